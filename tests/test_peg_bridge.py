"""The tactile peg student on a simulated Franka over ROS 2: the peg bridge (Isaac Lab's peg scene behind the
Cartesian Franka's topics, GelSight frames as sensor_msgs/Image) in its own process, the policy node here; the
operator's sequence per episode (tactile reference, episode start, policy start, hold, reset) as on the robot.
`robot-ac record`'s recorder logs the run, which then replays open loop with the targets the node sent."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml
from rclpy.executors import SingleThreadedExecutor
from std_msgs.msg import String
from std_srvs.srv import Trigger

from robot_ac.deploy import PolicyRuntime, State, load_hardware_config
from robot_ac.replay import read_robot_log, replay_cartesian_open_loop
from robot_ac_ros.run import bring_up, make_policy_nodes
from tests.deploy_helpers import spin_until

ROOT = Path(__file__).resolve().parents[1]
IMAGE_STUDENT = ROOT / "policies" / "franka-peg-place" / "dagger-image-seed1"
EPISODES = 10


def test_a_lockstep_step_waits_for_its_tactile_frames(ros_context):
    """Trigger ``joint_state``: the tick on a pose waits for the tactile frames stamped like it (DDS may hand them
    over after the pose), and goes on without them one control period later."""
    from geometry_msgs.msg import PoseStamped
    from sensor_msgs.msg import Image

    now = [100.0]
    (node,) = make_policy_nodes(ROOT / "hardware_configs" / "franka_gelsight.yaml", IMAGE_STUDENT,
                                trigger="joint_state", context=ros_context, clock=lambda: now[0])
    try:
        bring_up([node])
        ticks, tick = [], node._tick
        node._tick = lambda: (ticks.append(now[0]), tick())

        def stamped(message, stamp: float):
            message.header.stamp.sec, message.header.stamp.nanosec = int(stamp), round(stamp % 1 * 1e9)
            return message

        def frame(pad: str, stamp: float) -> None:
            image = stamped(Image(height=24, width=32, encoding="rgb8", step=96, data=bytes(24 * 32 * 3)), stamp)
            node._on_tactile(pad, image)

        def pose(stamp: float) -> None:
            message = stamped(PoseStamped(), stamp)
            message.pose.position.z, message.pose.orientation.x, message.pose.orientation.w = 0.4, 1.0, 0.0
            node._on_ee_pose(message)

        frame("left", 5.0), frame("right", 5.0), pose(5.0)
        assert len(ticks) == 1
        pose(6.0)
        frame("left", 6.0)
        assert len(ticks) == 1, "ticked on the pose before the right pad's frame of its step"
        frame("right", 6.0)
        assert len(ticks) == 2
        pose(7.0)
        now[0] += node.config.control_period_s / 2
        node._watchdog()
        assert len(ticks) == 2
        now[0] += node.config.control_period_s
        node._watchdog()
        assert len(ticks) == 3, "a step whose frames never come must still be acted on"
    finally:
        node.destroy_node()


@pytest.mark.sim
@pytest.mark.slow
def test_zoo_image_student_seats_the_peg_over_ros(ros_context, tmp_path):
    import rclpy

    data = yaml.safe_load((ROOT / "hardware_configs" / "franka_gelsight.yaml").read_text())
    # Lockstep with a simulator slower than real time on 2 cores: the policy runs on every pose the bridge
    # publishes, so wall-clock timeouts and overruns say nothing here. The sim's episode has no ramp-in: a ramp far
    # shorter than a step ends on the first tick, both on the node and in the replay, whose clock is the log's
    # (a ramp of one control period ends on the first tick or the second, depending on when the pose comes).
    data["cartesian"].update(ramp_in_s=1e-3, pose_timeout_periods=120)
    data["safety"].update(joint_state_timeout_s=2.0, tactile_timeout_s=2.0, overrun_factor=200.0)
    config_path = tmp_path / "franka_sim.yaml"
    config_path.write_text(yaml.safe_dump(data))
    log = open(tmp_path / "bridge.log", "w")
    bridge = subprocess.Popen([sys.executable, "-m", "sim.peg_bridge", "--config", str(config_path), "--task",
                               "franka-peg-place", "--seed", "5"], env=dict(os.environ), stdout=log,
                              stderr=subprocess.STDOUT)
    executor = SingleThreadedExecutor(context=ros_context)
    operator = rclpy.create_node("operator", context=ros_context)
    executor.add_node(operator)
    results = []
    operator.create_subscription(String, "/peg_bridge/episode_result", lambda m: results.append(json.loads(m.data)),
                                 10)
    (node,) = make_policy_nodes(config_path, IMAGE_STUDENT, autostart=False, trigger="joint_state",
                                context=ros_context)
    executor.add_node(node)
    from robot_ac_ros.record import RecorderNode

    config = load_hardware_config(config_path)
    recorder = RecorderNode(config, tmp_path / "log", context=ros_context)
    executor.add_node(recorder)

    clients = {}

    def call(service: str) -> bool:
        """Call a Trigger service while spinning (a blocking wait would starve the policy node's inputs)."""
        client = clients.setdefault(service, operator.create_client(Trigger, service))
        assert spin_until(executor, client.service_is_ready, 120.0), service
        future = client.call_async(Trigger.Request())
        assert spin_until(executor, future.done, 10.0), service
        return future.result().success

    try:
        bring_up([node])
        assert spin_until(executor, lambda: not node.supervisor.observations.missing_inputs(), 180.0), \
            (tmp_path / "bridge.log").read_text()[-3000:]
        for episode in range(EPISODES):
            assert call("/policy_node/tactile_reference")
            assert call("/peg_bridge/start_episode")
            assert call("/policy_node/start"), node.supervisor.last_reason
            assert spin_until(executor, lambda: len(results) > episode, 60.0), (node.supervisor.last_reason,
                                                                                  node.supervisor.status())
            assert node.supervisor.state == State.POLICY, node.supervisor.last_reason
            assert call("/policy_node/hold") and call("/policy_node/reset")
        seated = sum(r["seated"] for r in results)
        print(f"seated {seated} of {len(results)}: {results}")
        assert all(r["steps"] == results[0]["steps"] for r in results), results
        assert seated >= 8, results
        recorder.close()
        runtime = PolicyRuntime(IMAGE_STUDENT)
        replay = replay_cartesian_open_loop(read_robot_log(tmp_path / "log", config), runtime.manifest, config,
                                            runtime, on_policy_reset=runtime.reset)
        reproduced = float(np.mean(np.abs(replay.error).max(axis=1) < 1e-6))
        print(f"replay: {reproduced:.3f} of {replay.t.size} ticks reproduced to 1e-6, lag {replay.lag_ticks}")
        assert replay.t.size >= EPISODES * results[0]["steps"] and reproduced > 0.95 and replay.lag_ticks == 0
    finally:
        recorder.destroy_node()
        node.destroy_node()
        operator.destroy_node()
        bridge.terminate()
        bridge.wait(timeout=30)
        log.close()
