"""A G1 policy on a simulated G1 over its real interface: the G1 bridge (Isaac Lab's G1 behind unitree_hg LowState /
LowCmd, each motor's PD at the gains the command carries, the remote and the hoist scripted) in its own process, the
policy node and `robot-ac record`'s recorder here. The operator's sequence is Unitree's: start (ramp to the default
pose), A (policy), the hoist lowered; the zoo's standing G1 then has to keep the robot up for 20 s. The recorded run
replays open loop with the LowCmd targets the node sent."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from rclpy.executors import SingleThreadedExecutor
from std_msgs.msg import Float64MultiArray, String

from robot_ac.deploy import PolicyRuntime, State, load_hardware_config
from robot_ac_ros.run import bring_up, make_policy_nodes
from tests.deploy_helpers import spin_until

pytest.importorskip("unitree_hg")

ROOT = Path(__file__).resolve().parents[1]
STANDING_G1 = ROOT / "policies" / "g1-stand" / "dagger-expert-seed1"
START_S, A_S, RELEASE_S, STAND_S = 0.2, 2.6, 3.0, 20.0
STANDING_HEIGHT = 0.757


@pytest.mark.sim
@pytest.mark.slow
def test_the_standing_g1_stands_on_the_simulated_g1_over_lowcmd(ros_context, tmp_path):
    import rclpy

    data = yaml.safe_load((ROOT / "hardware_configs" / "unitree_g1.yaml").read_text())
    # Lockstep with a simulator slower than real time on 2 cores: the node answers every LowState the bridge
    # publishes, so wall-clock timeouts and overruns say nothing here.
    data["safety"].update(joint_state_timeout_s=5.0, overrun_factor=500.0)
    config_path = tmp_path / "g1_sim.yaml"
    config_path.write_text(yaml.safe_dump(data))
    log = open(tmp_path / "bridge.log", "w")
    bridge = subprocess.Popen([sys.executable, "-m", "sim.g1_bridge", "--config", str(config_path),
                               "--press", f"start@{START_S}", "--press", f"A@{A_S}", "--harness-s", str(RELEASE_S)],
                              env=dict(os.environ), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    executor = SingleThreadedExecutor(context=ros_context)
    operator = rclpy.create_node("operator", context=ros_context)
    executor.add_node(operator)
    status: list[dict] = []
    operator.create_subscription(String, "/g1_bridge/status", lambda m: status.append(json.loads(m.data)), 100)
    goal = operator.create_publisher(Float64MultiArray, data["topics"]["goal"], 1)
    operator.create_timer(0.1, lambda: goal.publish(Float64MultiArray(data=[0.0, 0.0, 0.0])))
    (node,) = make_policy_nodes(config_path, STANDING_G1, trigger="joint_state", context=ros_context)
    executor.add_node(node)
    from robot_ac_ros.record import RecorderNode

    config = load_hardware_config(config_path)
    recorder = RecorderNode(config, tmp_path / "log", context=ros_context)
    executor.add_node(recorder)
    states_seen: list[State] = []
    try:
        bring_up([node])

        def stood_long_enough() -> bool:
            if node.supervisor.state not in states_seen:
                states_seen.append(node.supervisor.state)
            return bool(status) and status[-1]["script_time"] >= RELEASE_S + STAND_S

        assert spin_until(executor, stood_long_enough, 900.0), (
            node.supervisor.last_reason, status[-1:], (tmp_path / "bridge.log").read_text()[-3000:])
        recorder.close()
    finally:
        recorder.destroy_node()
        node.destroy_node()
        operator.destroy_node()
        bridge.terminate()
        bridge.wait(timeout=30)
        log.close()

    assert states_seen[:4] == [State.PASSIVE, State.RAMP, State.HOLD, State.POLICY], states_seen
    assert node.supervisor.state == State.POLICY, node.supervisor.last_reason
    free = [s for s in status if not s["harnessed"]]
    heights = np.array([s["pelvis_height"] for s in free])
    stood_s = free[-1]["script_time"] - free[0]["script_time"]
    print(f"stood {stood_s:.1f} s off the hoist: pelvis {heights.min():.3f}..{heights.max():.3f} m, "
          f"{status[-1]['commands']} commands, {status[-1]['crc_bad']} with a bad CRC")
    assert stood_s >= STAND_S - 0.1
    assert status[-1]["crc_bad"] == 0
    assert np.all(np.abs(heights - STANDING_HEIGHT) < 0.05), heights.min()

    from robot_ac.replay import read_robot_log, replay_open_loop

    robot_log = read_robot_log(tmp_path / "log", config)
    runtime = PolicyRuntime(STANDING_G1)
    replay = replay_open_loop(robot_log, runtime.manifest, config, runtime, on_policy_reset=runtime.reset)
    reproduced = float(np.mean(np.abs(replay.error).max(axis=1) < 1e-5))
    print(f"replay: {reproduced:.3f} of {replay.t.size} LowCmds reproduced to 1e-5, lag {replay.lag_ticks}")
    assert replay.t.size >= 0.9 * STAND_S / config.control_period_s and reproduced > 0.95
