"""Start a deployment's nodes in this process, without `ros2 launch` (what `robot-ac deploy` runs)."""

from __future__ import annotations

import gc
import os
import time
from pathlib import Path

import rclpy
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor
from rclpy.lifecycle import TransitionCallbackReturn
from rclpy.parameter import Parameter

from robot_ac.contract.hardware_config import load_hardware_config
from robot_ac.contract.manifest import load_manifest
from robot_ac.deploy.check import describe_motion
from robot_ac.errors import RobotAcError
from robot_ac_ros.launch_nodes import NodeDescription, deploy_nodes
from robot_ac_ros.policy_node import PolicyNode


def make_policy_nodes(hardware_config: str | Path, policy: str | Path, autostart: bool = False,
                      trigger: str = "timer", **node_kwargs) -> list[PolicyNode]:
    """The deployment's nodes, created (rclpy must be initialised) but not yet configured."""
    return nodes_from(deploy_nodes(hardware_config, policy, autostart, trigger), **node_kwargs)


def nodes_from(descriptions: list[NodeDescription], **node_kwargs) -> list[PolicyNode]:
    return [PolicyNode(d.name, parameter_overrides=[Parameter(k, value=v) for k, v in d.parameters.items()],
                       **node_kwargs) for d in descriptions]


def bring_up(nodes: list[PolicyNode]) -> None:
    """configure -> activate every node, as the launch file does; a refused transition is an error."""
    for node in nodes:
        for transition in (node.trigger_configure, node.trigger_activate):
            if transition() != TransitionCallbackReturn.SUCCESS:
                raise RobotAcError(f"node '{node.get_name()}' refused {transition.__name__.removeprefix('trigger_')}"
                                   " (its log says why)")


def run_deployment(hardware_config: str | Path, policy: str | Path, autostart: bool = False,
                   duration_s: float | None = None, trigger: str = "timer") -> None:
    """Run until Ctrl-C (or ``duration_s``); on the way out every node damps and releases the robot. One process
    holds every node, so they share one rcl context: its environment and ``--ros-args`` are the first node's."""
    descriptions = deploy_nodes(hardware_config, policy, autostart, trigger)
    description = descriptions[0]
    print(describe_motion(load_manifest(Path(policy) / "manifest.json"), load_hardware_config(hardware_config)))
    os.environ.update(description.environment)
    rclpy.init(args=["--ros-args", *description.ros_arguments] if description.ros_arguments else None)
    executor = SingleThreadedExecutor()
    nodes: list[PolicyNode] = []
    try:
        nodes = nodes_from(descriptions)
        for node in nodes:
            executor.add_node(node)
        bring_up(nodes)
        # Everything built so far (ONNX session, buffers, message types) lives as long as the node: keep it out of
        # the garbage collector's scans, so collections stay short inside the control loop.
        gc.collect()
        gc.freeze()
        deadline = None if duration_s is None else time.monotonic() + duration_s
        while rclpy.ok() and (deadline is None or time.monotonic() < deadline):
            executor.spin_once(timeout_sec=0.1)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        for node in nodes:
            # After SIGTERM the context is already shut down and nothing can be published any more.
            if node.supervisor is not None and rclpy.ok():
                node.trigger_deactivate()
                node.trigger_cleanup()
            node.destroy_node()
        rclpy.try_shutdown()
