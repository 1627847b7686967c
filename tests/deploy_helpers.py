"""Small exported policies and a toy robot for deploy tests (no torch)."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from robot_ac.deploy import Command, HardwareConfig
from robot_ac.contract.manifest import ActionSpec, JointSpec, ObservationTerm, PolicyInterface
from robot_ac.export.synthetic import write_mlp_export


def state_changes(log) -> list[str]:
    """A RobotLog's supervisor states, each run of repeats as one (the node repeats its state twice a second)."""
    return [state for state, _ in itertools.groupby(state for _, state, _ in log.states)]


def spin_until(executor, condition: Callable[[], bool], timeout_s: float) -> bool:
    """Spin ``executor`` until ``condition()`` holds (True) or ``timeout_s`` passes (False)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        executor.spin_once(timeout_sec=0.01)
        if condition():
            return True
    return False


def operator_start(executor, node, timeout_s: float = 10.0, service: str = "/policy_node/start") -> bool:
    """Call the policy node's ``~/start`` from ``node`` (the operator) until it is accepted (it is refused while
    inputs are missing or stale) or ``timeout_s`` passes."""
    from std_srvs.srv import Trigger

    client = node.create_client(Trigger, service)
    deadline = time.monotonic() + timeout_s
    try:
        if not client.wait_for_service(timeout_sec=timeout_s):
            return False
        while time.monotonic() < deadline:
            future = client.call_async(Trigger.Request())
            if spin_until(executor, future.done, max(0.0, deadline - time.monotonic())) and future.result().success:
                return True
            spin_until(executor, lambda: False, 0.1)
        return False
    finally:
        node.destroy_client(client)


def write_linear_export(out_dir: Path, interface: PolicyInterface, seed: int = 0, gain: float = 0.3) -> np.ndarray:
    """``actions = tanh(obs @ W + b)`` exported as policy.onnx + manifest.json; returns [W; b] for checking."""
    ((weights, bias),) = write_mlp_export(out_dir, interface, seed=seed, gain=gain / np.sqrt(2))
    return np.vstack([weights, bias])


def g1_imu_interface(config: HardwareConfig) -> PolicyInterface:
    """A humanoid-style policy on a G1 config: IMU angular velocity and gravity, joint positions -> joint targets."""
    names = config.joint_names
    return PolicyInterface(
        task="g1-test", robot="unitree_g1", control_period_s=1 / 50,
        joints=[JointSpec(name=j.name, default_position=0.0, position_limits=j.position_limits,
                          velocity_limit=j.velocity_limit, effort_limit=j.effort_limit, stiffness=j.kp,
                          damping=j.kd) for j in config.joints],
        observations=[
            ObservationTerm(name="base_ang_vel", size=3, source="imu", quantity="angular_velocity"),
            ObservationTerm(name="projected_gravity", size=3, source="imu", quantity="projected_gravity"),
            ObservationTerm(name="joint_pos", size=len(names), source="joint_state", quantity="position",
                            joint_names=names, offset=[0.0] * len(names)),
        ],
        action=ActionSpec(type="joint_position", joint_names=names, scale=[0.25] * len(names),
                          offset=[0.0] * len(names)),
    )


class ToyRobot:
    """Joints that move toward position commands at their velocity limit; JointState lists them in reverse order
    plus an unrelated joint, so the deploy side must match by name."""

    def __init__(self, config: HardwareConfig, start: dict[str, float]) -> None:
        self.config = config
        self.names = list(reversed(config.joint_names)) + ["unrelated_joint"]
        self.position = {n: start.get(n, 0.0) for n in config.joint_names}
        self.velocity = {n: 0.0 for n in config.joint_names}

    def apply(self, command: Command | None, dt: float) -> None:
        if command is None or command.kind != "position":
            return
        for name, target in zip(command.joint_names, command.values):
            step = np.clip(target - self.position[name], *(np.array([-1, 1]) * self.config.joint(name).velocity_limit
                                                           * 0.9 * dt))
            self.velocity[name] = step / dt
            self.position[name] += step

    def joint_state(self) -> tuple[list[str], list[float], list[float]]:
        return (self.names, [self.position.get(n, 0.0) for n in self.names],
                [self.velocity.get(n, 0.0) for n in self.names])
