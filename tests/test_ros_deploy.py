"""The policy node over real rclpy (FastDDS, a private domain): lifecycle, services, diagnostics, closed loop."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from lifecycle_msgs.msg import State as LifecycleState
from rclpy.executors import SingleThreadedExecutor
from rclpy.lifecycle import TransitionCallbackReturn
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import JointState
from std_msgs.msg import Float64MultiArray
from std_srvs.srv import Trigger
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus

from robot_ac.deploy import Command, State, load_hardware_config
from robot_ac.errors import RobotAcError
from robot_ac_ros.launch_nodes import deploy_nodes
from robot_ac_ros.run import bring_up, make_policy_nodes
from sim.tasks import CARTPOLE_TASK, FRANKA_REACH_JOINT_TASK
from tests.deploy_helpers import ToyRobot, operator_start, spin_until, state_changes, write_linear_export

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "hardware_configs"



@pytest.fixture
def fast_franka(tmp_path):
    """Franka config with a 0.3 s ramp, and a small linear policy exported for franka-reach."""
    data = yaml.safe_load((CONFIGS / "franka_panda.yaml").read_text())
    data["safety"]["ramp_duration_s"] = 0.3
    data["safety"]["joint_state_timeout_s"] = 0.2
    config_path = tmp_path / "franka_fast.yaml"
    config_path.write_text(yaml.safe_dump(data))
    write_linear_export(tmp_path / "export", FRANKA_REACH_JOINT_TASK.interface, gain=0.05)
    return config_path, tmp_path / "export"


def test_launch_node_list_checks_the_pair_first(fast_franka, tmp_path):
    config, export = fast_franka
    (node,) = deploy_nodes(config, export)
    assert (node.package, node.executable, node.lifecycle) == ("robot_ac_ros", "policy_node", True)
    assert node.parameters == {"hardware_config": str(config.resolve()), "policy": str(export.resolve()),
                               "autostart": False, "trigger": "timer"}
    assert (node.ros_arguments, node.environment) == ([], {}), "no security or discovery settings in this config"
    with pytest.raises(RobotAcError, match="does not fit hardware config.*panda_joint1"):
        deploy_nodes(CONFIGS / "unitree_g1_ros2_control.yaml", export)
    launch_file = (ROOT / "launch" / "deploy.launch.py").read_text()
    compile(launch_file, "deploy.launch.py", "exec")
    assert "deploy_nodes(" in launch_file and "TRANSITION_ACTIVATE" in launch_file


def test_ament_package_is_complete():
    import subprocess
    import sys

    from robot_ac_ros import policy_node

    package = ROOT / "ros_ws" / "src" / "robot_ac_ros"
    assert (package / "resource" / "robot_ac_ros").is_file()
    assert "<build_type>ament_python</build_type>" in (package / "package.xml").read_text()
    name = subprocess.run([sys.executable, "setup.py", "--name"], cwd=package, capture_output=True, text=True,
                          check=True).stdout.split()[-1]
    assert name == "robot_ac_ros" and callable(policy_node.main)


def test_colcon_builds_the_ros_package(tmp_path):
    """`colcon build` (from PyPI, no ROS install) makes an ament_python package with the node, launch and configs."""
    import shutil
    import subprocess
    import sys

    colcon = Path(sys.executable).with_name("colcon")
    repo = tmp_path / "repo"
    for folder in ("ros_ws", "launch", "hardware_configs"):
        shutil.copytree(ROOT / folder, repo / folder, ignore=shutil.ignore_patterns("build", "install", "log"))
    workspace = repo / "ros_ws"
    listed = subprocess.run([colcon, "list"], cwd=workspace, capture_output=True, text=True, check=True).stdout
    assert "robot_ac_ros" in listed and "(ros.ament_python)" in listed
    assert "unitree_hg" in listed and "(ros.ament_cmake)" in listed, "the G1's messages (scripts/build_ros_messages.sh)"
    subprocess.run([colcon, "build", "--packages-select", "robot_ac_ros"], cwd=workspace, capture_output=True,
                   text=True, check=True, timeout=300)
    share = workspace / "install" / "robot_ac_ros" / "share" / "robot_ac_ros"
    assert (workspace / "install" / "robot_ac_ros" / "lib" / "robot_ac_ros" / "policy_node").is_file()
    assert (share / "launch" / "deploy.launch.py").is_file()
    assert sorted(p.name for p in (share / "hardware_configs").iterdir()) == \
        ["cartpole_sim.yaml", "franka_cartesian.yaml", "franka_gelsight.yaml", "franka_panda.yaml",
         "unitree_g1.yaml", "unitree_g1_ros2_control.yaml"]


class _ToyRobotNode:
    """Publishes the toy robot's JointState at 100 Hz and applies position commands from the policy node."""

    def __init__(self, node, config, robot: ToyRobot) -> None:
        self.robot, self.commands = robot, []
        self._names = config.command_joints
        self._pub = node.create_publisher(JointState, config.topics.joint_states, qos_profile_sensor_data)
        node.create_subscription(Float64MultiArray, config.topics.command, self._on_command, 10)
        node.create_timer(0.01, self._publish)

    def _on_command(self, msg):
        values = np.array(msg.data)
        self.commands.append(values)
        self.robot.apply(Command(self._names, values, "position"), 0.01)

    def _publish(self):
        names, position, velocity = self.robot.joint_state()
        self._pub.publish(JointState(name=names, position=position, velocity=velocity))


def _call(executor, node, service: str) -> Trigger.Response:
    client = node.create_client(Trigger, service)
    assert client.wait_for_service(timeout_sec=5.0)
    future = client.call_async(Trigger.Request())
    assert spin_until(executor, future.done, 5.0)
    node.destroy_client(client)
    return future.result()


def test_lifecycle_services_and_diagnostics(ros_context, fast_franka, tmp_path):
    import rclpy

    config_path, export = fast_franka
    config = load_hardware_config(config_path)
    executor = SingleThreadedExecutor(context=ros_context)
    helper = rclpy.create_node("test_helper", context=ros_context)
    executor.add_node(helper)
    start = {j.name: j.default_position + 0.2 for j in FRANKA_REACH_JOINT_TASK.interface.joints}
    start.update({"panda_finger_joint1": 0.04, "panda_finger_joint2": 0.04})
    toy = _ToyRobotNode(helper, config, ToyRobot(config, start))
    goal_pub = helper.create_publisher(Float64MultiArray, config.topics.goal, 1)
    diagnostics = []
    helper.create_subscription(DiagnosticArray, config.topics.diagnostics, diagnostics.append, 10)

    # A policy that does not fit the robot is refused at configure.
    write_linear_export(tmp_path / "cartpole", CARTPOLE_TASK.interface)
    (node,) = make_policy_nodes(config_path, export, context=ros_context)
    node.set_parameters([rclpy.parameter.Parameter("policy", value=str(tmp_path / "cartpole"))])
    assert node.trigger_configure() == TransitionCallbackReturn.FAILURE
    node.set_parameters([rclpy.parameter.Parameter("policy", value=str(export))])
    executor.add_node(node)
    bring_up([node])
    assert node._state_machine.current_state[0] == LifecycleState.PRIMARY_STATE_ACTIVE
    assert not spin_until(executor, lambda: node.supervisor.state != State.PASSIVE, 0.5), \
        "without a goal the policy must not start"
    assert node.supervisor.observations.missing_inputs() == ["goal"]

    def goal_arrived():
        goal_pub.publish(Float64MultiArray(data=[0.5, 0.0, 0.3, 1.0, 0.0, 0.0, 0.0]))
        return not node.supervisor.observations.missing_inputs()

    assert spin_until(executor, goal_arrived, 5.0)
    assert not spin_until(executor, lambda: node.supervisor.state != State.PASSIVE, 0.5), \
        "a real robot's config moves only on the operator's start"
    intruder = helper.create_publisher(Float64MultiArray, config.topics.command, 1)
    second_goal = helper.create_publisher(Float64MultiArray, config.topics.goal, 1)
    spin_until(executor, lambda: len(node.unexpected_publishers()) == 2, 3.0)
    refused = _call(executor, helper, "/policy_node/start")
    assert not refused.success and config.topics.command in refused.message and config.topics.goal in refused.message
    assert node.supervisor.state == State.PASSIVE, "someone else on the command or goal topic: no start"
    helper.destroy_publisher(intruder)
    helper.destroy_publisher(second_goal)
    assert spin_until(executor, lambda: not node.unexpected_publishers(), 3.0)
    assert operator_start(executor, helper)
    assert node.supervisor.state == State.RAMP
    assert spin_until(executor, lambda: node.supervisor.state == State.POLICY, 5.0)
    assert spin_until(executor, lambda: node.supervisor.counters.policy_steps > 20, 5.0)

    client = helper.create_client(Trigger, "/policy_node/estop")
    assert client.wait_for_service(timeout_sec=5.0)
    future = client.call_async(Trigger.Request())
    assert spin_until(executor, future.done, 5.0)
    assert future.result().success and "e-stop latched" in future.result().message
    assert node.supervisor.state == State.ESTOP
    assert spin_until(executor, lambda: any(d.status[0].level == DiagnosticStatus.ERROR for d in diagnostics), 3.0)
    assert diagnostics[-1].status[0].message.startswith("estop: e-stop service called")

    reset = helper.create_client(Trigger, "/policy_node/reset")
    future = reset.call_async(Trigger.Request())
    assert spin_until(executor, future.done, 5.0) and future.result().success
    assert not spin_until(executor, lambda: node.supervisor.state != State.PASSIVE, 0.3), "reset does not start"
    assert operator_start(executor, helper) and node.supervisor.state == State.RAMP

    assert node.trigger_deactivate() == TransitionCallbackReturn.SUCCESS
    assert node.supervisor.state == State.HOLD
    assert node.trigger_cleanup() == TransitionCallbackReturn.SUCCESS
    assert node.supervisor is None
    limits = load_hardware_config(config_path)
    for values in toy.commands:
        for name, value in zip(limits.command_joints, values):
            low, high = limits.joint(name).position_limits
            assert low - 1e-9 <= value <= high + 1e-9
    node.destroy_node()
    helper.destroy_node()


@pytest.mark.sim
def test_exported_cartpole_policy_balances_over_ros(ros_context, trained_cartpole, tmp_path):
    """Closed loop as on a robot: the sim bridge (Isaac Lab cartpole) in its own process, the policy node here
    (stepping on each joint state), `robot-ac record`'s recorder logging it; the log then replays open loop with the
    commands the node sent, to float precision."""
    import gc
    import os
    import subprocess
    import sys

    import rclpy

    config_path = CONFIGS / "cartpole_sim.yaml"
    config = load_hardware_config(config_path)
    log = open(tmp_path / "bridge.log", "w")
    bridge = subprocess.Popen([sys.executable, "-m", "sim.ros_bridge", "--config", str(config_path), "--seed", "11"],
                              env=dict(os.environ), stdout=log, stderr=subprocess.STDOUT)
    executor = SingleThreadedExecutor(context=ros_context)
    monitor = rclpy.create_node("balance_monitor", context=ros_context)
    states: list[JointState] = []
    monitor.create_subscription(JointState, config.topics.joint_states, states.append, qos_profile_sensor_data)
    executor.add_node(monitor)
    (node,) = make_policy_nodes(config_path, trained_cartpole / "export", autostart=True, trigger="joint_state",
                                context=ros_context)
    executor.add_node(node)
    from robot_ac_ros.record import RecorderNode

    recorder = RecorderNode(config, tmp_path / "log", context=ros_context)
    executor.add_node(recorder)
    # The node shares this process with every earlier test's objects: a full garbage collection over them can
    # stall it for several control periods (a deployed node runs in its own small process).
    gc.collect()
    gc.freeze()
    try:
        assert spin_until(executor, lambda: len(states) > 5, 90.0), (tmp_path / "bridge.log").read_text()[-2000:]
        bring_up([node])
        assert spin_until(executor, lambda: node.supervisor.state == State.POLICY, 5.0)
        start = len(states)
        steps = int(10.5 * config.control_rate_hz)
        assert spin_until(executor, lambda: len(states) >= start + steps, 40.0)
        assert node.supervisor.state == State.POLICY, node.supervisor.last_reason
        cart = np.array([s.position[s.name.index("slider_to_cart")] for s in states[start:]])
        pole = np.array([s.position[s.name.index("cart_to_pole")] for s in states[start:]])
        assert np.abs(cart).max() < 2.9, "the cart ran off the track (the simulator would have reset it)"
        settled = pole[int(2.0 * config.control_rate_hz):]
        assert np.abs(settled).max() < 0.3, f"pole swung to {np.abs(settled).max():.2f} rad"
        assert node.supervisor.counters.policy_steps > 0.8 * steps
        recorder.close()
        from robot_ac.deploy import PolicyRuntime
        from robot_ac.replay import read_robot_log, replay_open_loop

        runtime = PolicyRuntime(trained_cartpole / "export")
        robot_log = read_robot_log(tmp_path / "log", config, config.command_joints)
        # The recorder may hear the node's periodic state before bring-up: PASSIVE, then RAMP and POLICY.
        changes = state_changes(robot_log)
        after_bring_up = changes[1:] if changes[0] == "passive" else changes
        assert after_bring_up[:2] == ["ramp", "policy"], changes
        result = replay_open_loop(robot_log, runtime.manifest, config, runtime)
        assert result.t.size > 0.8 * steps
        # Same policy, same observations: the same efforts (N). A log can order a state and a command of
        # neighbouring ticks the other way round (two subscriptions, one executor), which mispairs a rare tick.
        per_tick = np.abs(result.error).max(axis=1)
        assert np.mean(per_tick < 1e-6) > 0.95 and np.median(per_tick) < 1e-9, per_tick.max()
        assert result.lag_ticks == 0
    finally:
        gc.unfreeze()
        node.destroy_node()
        recorder.destroy_node()
        monitor.destroy_node()
        bridge.terminate()
        bridge.wait(timeout=30)
        log.close()


@pytest.mark.parametrize("path", ["joint", "cartesian"])
def test_bench_deploy_measures_both_nodes(tmp_path, cli, path):
    code, stdout, _ = cli(["bench", "deploy", "--duration-s", "1", "--rate-hz", "200", "--path", path,
                           "--out-dir", str(tmp_path)])
    assert code == 0
    (result_file,) = tmp_path.glob("bench_deploy_200hz_*.json" if path == "joint" else
                                   "bench_deploy_cartesian_200hz_*.json")
    import json

    result = json.loads(result_file.read_text())
    assert result["path"] == path
    for name in ("robot_ac_policy_node", "bare_echo"):
        node = result["nodes"][name]
        assert node["ticks"] == 200
        assert node["missed_ticks"] < 100, f"{name} answered fewer than half of the states"
        assert 0 < node["round_trip_ms"]["p50"] <= node["round_trip_ms"]["p99"] <= node["round_trip_ms"]["max"]
    assert result["p99_ratio_to_bare_echo"] > 0
    assert result_file.with_suffix(".png").read_bytes()[:4] == b"\x89PNG"
