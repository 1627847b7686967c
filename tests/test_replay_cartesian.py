"""Replay of a Cartesian Franka log: a supervised run of the image student on a first-order pose plant (the fake
Franka's) is written as its bag would be; the replay reproduces its pose targets, the tracking fit finds the plant's
gain, time constant and an injected delay, the numpy twin re-runs it in closed loop, and replay.mcap reads back."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from robot_ac.contract.manifest import load_manifest
from robot_ac.deploy import CartesianSupervisor, PolicyRuntime, State, load_hardware_config, make_supervisor
from robot_ac.export.synthetic import write_mlp_export
from robot_ac.replay import (POSE_COLUMNS, fit_tracking, read_robot_log, replay_cartesian_open_loop,
                             resimulate_cartesian)
from robot_ac_ros.fake_franka import START_TCP, FirstOrderPosePlant
from tests.test_replay import delay_commands, run, setup  # noqa: F401  (fixtures of the joint replay)

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "hardware_configs" / "franka_gelsight.yaml"
IMAGE_STUDENT = ROOT / "policies" / "franka-peg-place" / "dagger-image-seed1"
GOAL = [0.5, 0.0, 0.05]
LAG_S = 0.05
PERIOD = 1 / 60
HELD_WIDTH = 0.0086
PLANT_GAIN = 1 - math.exp(-PERIOD / LAG_S)
"""The plant's per-tick gain: a first-order lag over one control period with the target held."""
# Phases chosen so that no input is logged between a tick and its command's log time (0.1 ms later): the replay
# takes the inputs logged before each command, as the node's tick had them.
RATES = {"pose": (250.0, 0.0003), "joints": (100.0, 0.0051), "gripper": (15.0, 0.0072), "tactile": (30.0, 0.0023),
         "tick": (60.0, 0.01)}
COMMAND_AFTER_TICK_S = 1e-4


def _ns(t: float) -> float:
    """A time as the bag stores it (integer nanoseconds)."""
    return round(t * 1e9) / 1e9


@pytest.fixture(scope="module")
def student(tmp_path_factory):
    folder = tmp_path_factory.mktemp("student")
    write_mlp_export(folder, load_manifest(IMAGE_STUDENT / "manifest.json").interface, hidden=(16,), seed=3)
    return folder, load_hardware_config(CONFIG)


def _tactile(k: int, untouched: np.ndarray) -> np.ndarray:
    """A 24x32 frame with a contact patch that grows and moves (so the policy's actions change)."""
    frame = untouched.copy()
    r = 2 + k % 9
    frame[12 - r // 2:12 + r // 2 + 1, (3 * k) % 24:(3 * k) % 24 + r] = 255
    return frame


def simulate_cartesian_run(export: Path, config, seconds: float = 4.0, delay_ticks: int = 0) -> list:
    """The policy node's supervisor on the fake Franka's plant, every message as the bag would hold it: (log time,
    kind, payload). The plant acts on each target ``delay_ticks`` control ticks after it was sent."""
    runtime = PolicyRuntime(export)
    supervisor = make_supervisor(runtime.manifest, config, runtime, on_reset_policy=runtime.reset)
    assert isinstance(supervisor, CartesianSupervisor)
    plant = FirstOrderPosePlant(np.array(START_TCP), LAG_S)
    untouched = np.random.default_rng(4).integers(0, 200, (24, 32, 3), dtype=np.uint8)
    arm = [j for j in config.joints if not j.name.startswith("panda_finger")]
    fingers = config.cartesian.gripper_joints
    timeline = sorted((_ns(phase + n / rate), kind, n) for kind, (rate, phase) in RATES.items()
                      for n in range(int(seconds * rate)))
    events, sent, last = [(0.001, "goal", GOAL)], [], 0.0
    supervisor.on_goal(GOAL)
    for t, kind, n in timeline:
        if t > last:
            plant.step(t - last)
        last = t
        if kind == "pose":
            pose = plant.pose.copy()
            events += [(t, "pose", pose), (_ns(t + 1e-6), "wrench", ([0.0, 0.0, 0.0], [0.0, 0.0, 0.0]))]
            supervisor.on_ee_pose(t, pose[:3], pose[3:], t)
            supervisor.on_wrench([0.0] * 3, [0.0] * 3, _ns(t + 1e-6))
        elif kind == "joints":
            payload = ([j.name for j in arm], [sum(j.position_limits) / 2 for j in arm], [0.0] * len(arm))
            events.append((t, "joint_state", payload))
            supervisor.on_joint_state(t, *payload, t)
        elif kind == "gripper":
            events.append((t, "gripper", (fingers, [HELD_WIDTH / 2] * 2)))
            supervisor.on_gripper_state(fingers, [HELD_WIDTH / 2] * 2)
        elif kind == "tactile":
            for sensor in ("left", "right"):
                frame = _tactile(n, untouched) if sensor == "left" else untouched
                events.append((t, "tactile", (sensor, frame)))
                supervisor.on_tactile(sensor, frame, t)
        else:
            before = supervisor.state
            if before == State.PASSIVE:
                assert supervisor.start(t), "every input is there from the first tick"
            command = supervisor.tick(t)
            events.append((_ns(t + COMMAND_AFTER_TICK_S), "command", (command.values.copy(), t)))
            sent.append(command.values.copy())
            if len(sent) > delay_ticks:
                plant.target = sent[-1 - delay_ticks]
            if supervisor.state != before:
                events.append((_ns(t + 2e-4), "diagnostics", f"{supervisor.state.value}: {supervisor.last_reason}"))
    assert supervisor.state == State.POLICY, supervisor.last_reason
    return events


def write_cartesian_bag(path: Path, config, events, skip: tuple[str, ...] = ()) -> None:
    """``skip``: kinds of message left out (a bag missing a topic)."""
    from robot_ac.replay.bag_writer import BagWriter

    topics, frame = config.topics, config.cartesian.base_frame
    with BagWriter(path, "mcap") as bag:
        for t, kind, payload in sorted(events, key=lambda e: e[0]):
            if kind in skip:
                continue
            if kind == "pose":
                bag.pose(topics.ee_pose, t, payload, frame)
            elif kind == "wrench":
                bag.wrench(topics.wrench, t, *payload, frame_id=frame)
            elif kind == "joint_state":
                bag.joint_state(topics.joint_states, t, *payload)
            elif kind == "gripper":
                bag.joint_state(topics.gripper, t, *payload)
            elif kind == "tactile":
                bag.image(topics.tactile[payload[0]], t, payload[1])
            elif kind == "goal":
                bag.array(topics.goal, t, payload)
            elif kind == "command":
                bag.pose(topics.command, t, payload[0], frame, stamp=payload[1])
            else:
                bag.diagnostics(topics.diagnostics, t, payload)


@pytest.fixture(scope="module")
def recorded(student, tmp_path_factory):
    """Bags of the run with the target acted on at once and two ticks late."""
    export, config = student
    folder = tmp_path_factory.mktemp("cartesian_bags")
    bags = {}
    for delay in (0, 2):
        events = simulate_cartesian_run(export, config, delay_ticks=delay)
        write_cartesian_bag(folder / f"delay{delay}", config, events)
        bags[delay] = (folder / f"delay{delay}", events)
    return bags


def test_the_cartesian_log_is_read_with_poses_wrench_gripper_and_stamps(student, recorded):
    _, config = student
    bag, events = recorded[0]
    log = read_robot_log(bag, config)
    counts = {kind: sum(e[1] == kind for e in events) for kind in ("pose", "wrench", "command", "gripper")}
    assert log.pose_commands and log.command_columns == POSE_COLUMNS and log.commands.values.shape == (
        counts["command"], 7)
    assert log.ee_pose.t.size == counts["pose"] and log.wrench.t.size == counts["wrench"]
    assert log.gripper.values.shape == (counts["gripper"], 2)
    np.testing.assert_allclose(log.gripper.values.sum(axis=1), HELD_WIDTH)
    commands = [e for e in events if e[1] == "command"]
    np.testing.assert_allclose(log.commands.stamp, [c[2][1] for c in commands], atol=2e-9)
    np.testing.assert_allclose(log.commands.values, [c[2][0] for c in commands], atol=0)
    assert {k: v.t.size for k, v in log.tactile.items()} == {"left": 120, "right": 120}
    assert [s for _, s, _ in log.states] == ["ramp", "policy"] and not log.problems and not log.partial
    assert log.summary()["ee_poses"] == counts["pose"]


def test_open_loop_replay_reproduces_the_targets(student, recorded, tmp_path):
    export, config = student
    bag, events = recorded[0]
    runtime = PolicyRuntime(export)
    result = replay_cartesian_open_loop(read_robot_log(bag, config), runtime.manifest, config, runtime,
                                        on_policy_reset=runtime.reset)
    errors = result.tick_errors()
    reproduced = float(np.mean(np.abs(result.error).max(axis=1) < 1e-6))
    print(f"reproduced {reproduced:.3f} of {result.t.size} ticks, max |error| {np.abs(result.error).max():.2e}, "
          f"position max {errors['position_m'].max():.2e} m, rotation max {errors['rotation_rad'].max():.2e} rad")
    assert result.t.size == sum(e[1] == "command" for e in events) and result.skipped_ticks == 0
    assert reproduced > 0.95 and result.lag_ticks == 0
    assert result.replayed_states[0] == "ramp" and result.replayed_states[-1] == "policy"
    moved = np.linalg.norm(result.recorded[-1, :3] - result.recorded[0, :3])
    assert moved > 1e-3, "the policy moves the TCP: the comparison is not of a robot at rest"
    late = tmp_path / "late"
    write_cartesian_bag(late, config, delay_commands(events, 3))
    delayed = replay_cartesian_open_loop(read_robot_log(late, config), runtime.manifest, config, runtime,
                                         on_policy_reset=runtime.reset)
    assert delayed.lag_ticks == 3 and delayed.diverged_at is not None


@pytest.mark.parametrize("delay", [0, 2])
def test_tracking_fit_finds_the_plants_gain_time_constant_and_delay(student, recorded, delay):
    _, config = student
    fit = fit_tracking(read_robot_log(recorded[delay][0], config), PERIOD)
    print(f"delay {delay}: gain {fit.position.gain:.4f} (plant {PLANT_GAIN:.4f}), tau "
          f"{fit.position_time_constant_s:.4f} s (plant {LAG_S}), rotation gain {fit.rotation.gain:.4f}, fitted "
          f"delay {fit.delay_ticks}, ranges {fit.domain_randomization()}")
    assert fit.delay_ticks == delay and fit.samples > 200
    assert fit.position.gain == pytest.approx(PLANT_GAIN, rel=0.1)
    assert fit.rotation.gain == pytest.approx(PLANT_GAIN, rel=0.1)
    assert fit.position_time_constant_s == pytest.approx(LAG_S, rel=0.1)
    low, high = fit.domain_randomization()["position_gain"]
    assert low <= fit.position.gain <= high and fit.domain_randomization()["action_delay_ticks"] == [delay, delay]


def test_the_twin_reruns_the_policy_in_closed_loop(student, recorded):
    export, config = student
    runtime = PolicyRuntime(export)
    log = read_robot_log(recorded[2][0], config)
    resim = resimulate_cartesian(log, runtime.manifest, config, runtime, runtime.reset)
    summary = resim.summary()
    gap, travel = summary["closed_loop_gap"], summary["recorded_travel_m"]
    print(f"closed loop: position rmse {gap['position_m']['rmse']:.2e} m (max {gap['position_m']['max']:.2e}), "
          f"rotation rmse {gap['rotation_rad']['rmse']:.2e} rad, travel {travel:.4f} m")
    assert resim.t.size > 200 and travel > 1e-3
    assert gap["position_m"]["max"] < 0.05 * travel and gap["rotation_rad"]["max"] < 0.01


def _mcap_contents(path: Path) -> tuple[dict[str, int], dict[str, str]]:
    """Message count and schema name per topic, read with the mcap library."""
    from mcap.reader import make_reader

    with open(path, "rb") as f:
        reader = make_reader(f)
        counts: dict[str, int] = {}
        schemas: dict[str, str] = {}
        for schema, channel, _ in reader.iter_messages():
            counts[channel.topic] = counts.get(channel.topic, 0) + 1
            schemas[channel.topic] = schema.name
    return counts, schemas


def test_replay_cli_with_resim_writes_the_report_and_replay_mcap(student, recorded, tmp_path, cli):
    export, _ = student
    bag, events = recorded[2]
    out = tmp_path / "report"
    code, stdout, err = cli(["replay", str(bag), "--config", str(CONFIG), "--policy", str(export), "--out", str(out),
                             "--resim"])
    assert code == 0, err
    assert "re-simulation on the Cartesian twin: tracking gain" in stdout and "delay 2 ticks" in stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["open_loop"]["lag_ticks"] == 0 and summary["open_loop"]["position_m"]["max"] < 1e-6
    assert summary["resimulation"]["tracking"]["delay_ticks"] == 2
    for name in ("commands.png", "resimulation.png"):
        assert (out / name).read_bytes()[:4] == b"\x89PNG"
    ticks = sum(e[1] == "command" for e in events)
    counts, schemas = _mcap_contents(out / "replay.mcap")
    assert counts == {"/replay/recorded/command": ticks, "/replay/replayed/command": ticks, "/replay/error": ticks,
                      "/replay/recorded/state": 2, "/replay/replayed/state": 2, "/replay/measured/pose": ticks,
                      "/replay/twin/pose": ticks}
    assert schemas["/replay/recorded/command"] == schemas["/replay/twin/pose"] == "geometry_msgs/msg/PoseStamped"
    assert schemas["/replay/error"] == "std_msgs/msg/Float64MultiArray"
    assert schemas["/replay/recorded/state"] == "std_msgs/msg/String"


def test_joint_replay_writes_replay_mcap(run, tmp_path, cli):  # noqa: F811  (the joint replay's fixture)
    from tests.test_replay import write_bag

    config_path, export, config, events = run
    write_bag(tmp_path / "bag", config, events, "mcap")
    code, _, err = cli(["replay", str(tmp_path / "bag"), "--config", str(config_path), "--policy", str(export),
                        "--out", str(tmp_path / "report")])
    assert code == 0, err
    counts, schemas = _mcap_contents(tmp_path / "report" / "replay.mcap")
    compared = json.loads((tmp_path / "report" / "summary.json").read_text())["open_loop"]["compared_commands"]
    assert counts["/replay/recorded/command"] == counts["/replay/replayed/command"] == counts["/replay/error"] \
        == compared
    assert schemas["/replay/replayed/command"] == "sensor_msgs/msg/JointState"
    assert counts["/replay/recorded/state"] == 2 and "/replay/replayed/state" not in counts


def test_missing_or_mistyped_cartesian_topics_are_named(student, recorded, tmp_path, cli):
    export, config = student
    _, events = recorded[0]
    write_cartesian_bag(tmp_path / "no_pose", config, events, skip=("pose",))
    code, _, err = cli(["replay", str(tmp_path / "no_pose"), "--config", str(CONFIG), "--policy", str(export),
                        "--out", str(tmp_path / "report")])
    assert code == 2 and "Traceback" not in err
    assert "no geometry_msgs/msg/PoseStamped on '/franka_robot_state_broadcaster/current_pose'" in err
    from robot_ac.replay.bag_writer import BagWriter

    with BagWriter(tmp_path / "joint_targets", "mcap") as bag:
        bag.array(config.topics.command, 0.1, [0.0] * 7)
    log = read_robot_log(tmp_path / "joint_targets", config)
    assert any("topic '/target_pose' carries std_msgs/msg/Float64MultiArray, expected geometry_msgs/msg/PoseStamped"
               in p for p in log.problems)


def test_the_recorder_records_the_cartesian_topics_best_effort_where_measured():
    from robot_ac_ros.record import config_topics, measurement_topics

    config = load_hardware_config(CONFIG)
    topics = config_topics(config)
    assert topics["/target_pose"] == topics["/franka_robot_state_broadcaster/current_pose"] \
        == "geometry_msgs/msg/PoseStamped"
    assert topics["/franka_robot_state_broadcaster/external_wrench_in_base_frame"] == "geometry_msgs/msg/WrenchStamped"
    assert topics["/franka_gripper/joint_states"] == "sensor_msgs/msg/JointState"
    assert topics["/gelsight_left/image_raw"] == "sensor_msgs/msg/Image"
    assert topics["/robot_ac/fixture_position"] == "std_msgs/msg/Float64MultiArray"
    measured = measurement_topics(config)
    assert "/franka_robot_state_broadcaster/current_pose" in measured and "/target_pose" not in measured


def test_recorder_over_ros_hears_the_fake_frankas_best_effort_pose(ros_context, tmp_path):
    """`robot-ac record`'s node next to the fake Franka (its own process): the best-effort pose and wrench, the
    unstamped arm and gripper states and the tactile frames are recorded and read back; targets too."""
    import os
    import subprocess
    import sys
    import time

    import rclpy
    from geometry_msgs.msg import PoseStamped
    from rclpy.executors import SingleThreadedExecutor

    from robot_ac_ros.record import RecorderNode

    config = load_hardware_config(CONFIG)
    log_file = open(tmp_path / "fake_franka.log", "w")
    fake = subprocess.Popen([sys.executable, "-m", "robot_ac_ros.fake_franka", "--config", str(CONFIG)],
                            env=dict(os.environ), stdout=log_file, stderr=subprocess.STDOUT)
    executor = SingleThreadedExecutor(context=ros_context)
    recorder = RecorderNode(config, tmp_path / "log", context=ros_context)
    sender = rclpy.create_node("target_sender", context=ros_context)
    targets = sender.create_publisher(PoseStamped, config.topics.command, 1)
    executor.add_node(recorder)
    executor.add_node(sender)
    try:
        deadline = time.monotonic() + 60.0
        while recorder.counts[config.topics.ee_pose] < 250 and time.monotonic() < deadline:
            executor.spin_once(timeout_sec=0.01)
            if recorder.counts[config.topics.ee_pose] % 25 == 1:
                message = PoseStamped()
                message.pose.position.x, message.pose.position.z = 0.5, 0.13
                message.pose.orientation.x, message.pose.orientation.w = 1.0, 0.0  # START_TCP: the fake stays
                targets.publish(message)
        recorder.close()
    finally:
        executor.shutdown()
        fake.terminate()
        fake.wait(timeout=10)
        log_file.close()
    assert recorder.counts[config.topics.ee_pose] >= 250, (tmp_path / "fake_franka.log").read_text()[-2000:]
    log = read_robot_log(tmp_path / "log", config)
    assert log.ee_pose.t.size >= 250 and log.wrench.t.size > 100 and log.commands.t.size > 0
    assert log.positions.t.size > 20, "unstamped joint states are kept (stamped with their log time)"
    np.testing.assert_allclose(log.gripper.values.sum(axis=1), HELD_WIDTH)
    np.testing.assert_allclose(log.ee_pose.values[-1], START_TCP, atol=1e-6)
    assert set(log.tactile) == {"left", "right"}
