"""The policy node on a Cartesian Franka over real rclpy: the fake Franka (a first-order impedance plant publishing
its pose best-effort at 250 Hz) runs in its own process; random, saturated, oscillating and NaN policies never
send a target past a limit, and a stale pose, a force spike and a second publisher each end in HOLD at the
measured pose."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from geometry_msgs.msg import PoseStamped
from rclpy.executors import SingleThreadedExecutor
from rclpy.qos import QoSProfile, qos_profile_sensor_data
from std_msgs.msg import Float64MultiArray, String
from std_srvs.srv import Trigger

from robot_ac.contract.manifest import load_manifest
from robot_ac.deploy import State, load_hardware_config
from robot_ac.deploy.cartesian import tilt
from robot_ac.deploy.pose import rotation_between
from robot_ac.export.synthetic import write_mlp_export
from robot_ac_ros.run import bring_up, make_policy_nodes
from tests.deploy_helpers import operator_start, spin_until

ROOT = Path(__file__).resolve().parents[1]
IMAGE_STUDENT = ROOT / "policies" / "franka-peg-place" / "dagger-image-seed1"



def _start_fake_franka(config_path: Path, tmp_path: Path):
    """The fake Franka in its own process (its output in ``tmp_path/fake_franka.log``): (process, log file)."""
    log = open(tmp_path / "fake_franka.log", "w")
    fake = subprocess.Popen([sys.executable, "-m", "robot_ac_ros.fake_franka", "--config", str(config_path)],
                            env=dict(os.environ), stdout=log, stderr=subprocess.STDOUT)
    return fake, log


@pytest.fixture
def franka_rig(ros_context, tmp_path):
    """The Franka GelSight config (0.3 s ramp-in, lenient timeouts), a student export, the fake Franka in its own
    process, the policy node here (explicit start), and a helper node that sends the goal and can inject faults."""
    import rclpy

    data = yaml.safe_load((ROOT / "hardware_configs" / "franka_gelsight.yaml").read_text())
    data["cartesian"]["ramp_in_s"] = 0.3
    # This process shares 2 cores with the fake robot (and maybe a training): input timeouts of a second
    # keep a stalled test executor from counting as a stale robot; the stale test stops the inputs for good.
    data["cartesian"]["pose_timeout_periods"] = 60
    data["safety"].update(joint_state_timeout_s=1.0, tactile_timeout_s=1.0)
    config_path = tmp_path / "franka.yaml"
    config_path.write_text(yaml.safe_dump(data))
    config = load_hardware_config(config_path)
    write_mlp_export(tmp_path / "export", load_manifest(IMAGE_STUDENT / "manifest.json").interface, seed=1)
    fake, log = _start_fake_franka(config_path, tmp_path)
    executor = SingleThreadedExecutor(context=ros_context)
    helper = rclpy.create_node("operator", context=ros_context)
    executor.add_node(helper)
    goal = helper.create_publisher(Float64MultiArray, config.topics.goal, 1)
    faults = helper.create_publisher(String, "/fake_franka/fault", 10)
    poses = []
    helper.create_subscription(PoseStamped, config.topics.ee_pose, poses.append, qos_profile_sensor_data)
    (node,) = make_policy_nodes(config_path, tmp_path / "export", autostart=False, context=ros_context)
    executor.add_node(node)
    # This process holds every earlier test's objects: a full garbage collection over them can stall the executor
    # for longer than a timeout (a deployed node runs in its own small process).
    gc.collect()
    gc.freeze()
    try:
        assert spin_until(executor, lambda: len(poses) > 10, 60.0), (tmp_path / "fake_franka.log").read_text()
        bring_up([node])
        ticks = []
        tick = node.supervisor.tick

        def recording_tick(now):
            measured = node.supervisor.measured_tcp
            measured = None if measured is None else measured.copy()
            command = tick(now)
            if command is not None:
                ticks.append((node.supervisor.state, measured, command.values.copy()))
            return command

        node.supervisor.tick = recording_tick

        clients = {}

        def call(service: str) -> bool:
            client = clients.setdefault(service, helper.create_client(Trigger, f"/policy_node/{service}"))
            assert spin_until(executor, client.service_is_ready, 10.0), service
            future = client.call_async(Trigger.Request())
            assert spin_until(executor, future.done, 5.0)
            return future.result().success

        def until(condition, timeout_s=5.0):
            def with_goal():
                goal.publish(Float64MultiArray(data=[0.5, 0.0, 0.05]))
                return condition()
            return spin_until(executor, with_goal, timeout_s)

        yield node, config, ticks, call, until, faults, helper, poses
    finally:
        gc.unfreeze()
        node.destroy_node()
        helper.destroy_node()
        fake.terminate()
        fake.wait(timeout=30)
        log.close()


def test_misbehaving_policies_never_send_a_target_past_a_limit(franka_rig):
    node, config, ticks, call, until, faults, helper, poses = franka_rig
    c = config.cartesian
    rng = np.random.default_rng(0)
    flip = {"sign": 1.0}

    def oscillating(obs):
        flip["sign"] = -flip["sign"]
        return np.full(6, 4.0 * flip["sign"])

    policies = {"random": lambda obs: rng.uniform(-3, 3, 6), "saturated": lambda obs: np.array([9, 9, -9, 9, 9, 9.0]),
                "oscillating": oscillating, "nan": lambda obs: np.full(6, np.nan)}
    for name, policy in policies.items():
        node.supervisor.policy = policy
        assert until(lambda: not node.supervisor.observations.missing_inputs()), \
            node.supervisor.observations.missing_inputs()
        assert call("start"), f"{name}: {node.supervisor.last_reason}"
        first = len(ticks)
        if name == "nan":
            assert until(lambda: node.supervisor.state == State.HOLD), node.supervisor.last_reason
            assert node.supervisor.last_reason.startswith("policy_output")
        assert until(lambda: len(ticks) > first + 90, 10.0)
        driven = [(s, m, t) for s, m, t in ticks[first:]]
        if name != "nan":
            assert all(s in (State.RAMP, State.POLICY) for s, _, _ in driven), (name, node.supervisor.last_reason)
        previous = None
        for state, measured, target in driven:
            assert np.all(target[:3] >= np.array(c.workspace_min) - 1e-12), (name, target)
            assert np.all(target[:3] <= np.array(c.workspace_max) + 1e-12), (name, target)
            assert tilt(target[3:], np.array(c.insertion_axis)) <= c.max_tilt_rad + 1e-9
            assert np.linalg.norm(target[:3] - measured[:3]) <= c.max_tracking_error_m + 1e-12
            assert np.linalg.norm(rotation_between(measured[3:], target[3:])) <= c.max_tracking_error_rad + 1e-9
            if previous is not None and state != State.HOLD:
                assert np.linalg.norm(target[:3] - previous[:3]) <= c.max_linear_velocity_m_s / 60 + 1e-12
            previous = target
        node.supervisor.hold(0.0, "next policy")
        assert call("reset")
    moved = np.ptp(np.array([[p.pose.position.x, p.pose.position.y, p.pose.position.z] for p in poses]), axis=0)
    assert moved.max() > 0.02, "the fake Franka followed the targets"


def test_stale_pose_force_spike_and_second_publisher_each_hold_at_the_measured_pose(franka_rig):
    node, config, ticks, call, until, faults, helper, poses = franka_rig
    node.supervisor.policy = lambda obs: np.array([0.6, -0.4, -0.3, 0.1, 0.1, 0.0])
    intruder = None
    for fault in ("stale", "force_spike", "second_publisher"):
        assert until(lambda: not node.supervisor.observations.missing_inputs() and node.supervisor.foreign_publishers
                     == 0 and node.supervisor.external_force < 1.0, 10.0)
        assert call("start"), f"{fault}: {node.supervisor.last_reason}"
        assert until(lambda: node.supervisor.state == State.POLICY)
        if fault == "second_publisher":
            intruder = helper.create_publisher(PoseStamped, config.topics.command, QoSProfile(depth=1))
        else:
            faults.publish(String(data=fault))
        assert until(lambda: node.supervisor.state == State.HOLD), node.supervisor.last_reason
        expected = {"stale": "stale_input", "force_spike": "external_force", "second_publisher": "second_publisher"}
        assert node.supervisor.last_reason.startswith(expected[fault]), node.supervisor.last_reason
        entered = len(ticks)
        assert until(lambda: len(ticks) > entered + 10)
        held = np.array([t for s, _, t in ticks[entered:]])
        np.testing.assert_array_equal(held, np.repeat(held[:1], len(held), axis=0))
        np.testing.assert_allclose(held[0], node.supervisor.mapper.measured_from_tcp(node.supervisor._hold_pose))
        if fault == "stale":
            faults.publish(String(data="resume"))
            resumed = len(poses)
            assert until(lambda: len(poses) > resumed + 25)
        if intruder is not None:
            helper.destroy_publisher(intruder)
        assert call("reset")


def test_zoo_reach_policy_brings_the_fake_frankas_hand_to_its_goal(ros_context, tmp_path):
    """The task-space reach student from the zoo, deployed on the fake Franka (franka_cartesian.yaml) over ROS 2:
    the hand ends within the task's success tolerance (5 cm, 0.2 rad) of an operator's goal."""
    import rclpy

    from robot_ac.deploy.pose import quat_from_rotvec, quat_mul

    config_path = ROOT / "hardware_configs" / "franka_cartesian.yaml"
    config = load_hardware_config(config_path)
    fake, fake_log = _start_fake_franka(config_path, tmp_path)
    executor = SingleThreadedExecutor(context=ros_context)
    operator = rclpy.create_node("operator", context=ros_context)
    executor.add_node(operator)
    goal_pub = operator.create_publisher(Float64MultiArray, config.topics.goal, 1)
    down = np.array([1.0, 0.0, 0.0, 0.0])
    goal = np.concatenate([[0.45, 0.12, 0.35], quat_mul(quat_from_rotvec(np.array([0.0, 0.0, 0.5])), down)])
    (node,) = make_policy_nodes(config_path, ROOT / "policies" / "franka-reach" / "dagger-expert-seed1",
                                context=ros_context)
    executor.add_node(node)
    try:
        bring_up([node])
        assert spin_until(executor, lambda: goal_pub.publish(Float64MultiArray(data=goal.tolist())) or
                          not node.supervisor.observations.missing_inputs(), 10.0)
        assert operator_start(executor, operator)

        def reached() -> bool:
            goal_pub.publish(Float64MultiArray(data=goal.tolist()))
            hand = node.supervisor.measured_tcp
            return hand is not None and node.supervisor.state == State.POLICY and \
                np.linalg.norm(hand[:3] - goal[:3]) < 0.05 and \
                np.linalg.norm(rotation_between(hand[3:], goal[3:])) < 0.2

        assert spin_until(executor, reached, 20.0), (node.supervisor.state, node.supervisor.last_reason,
                                                     node.supervisor.measured_tcp, goal)
    finally:
        node.destroy_node()
        operator.destroy_node()
        fake.terminate()
        fake.wait(timeout=30)
        fake_log.close()
