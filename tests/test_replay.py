"""Replay of robot logs: bags written here with rosbags (sqlite3, MCAP, compressed) from a supervised run with a
known policy; the replay reproduces the commands, finds injected lag and reports broken bags clearly."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from robot_ac.deploy import PolicyRuntime, State, Supervisor, load_hardware_config
from robot_ac.errors import RobotAcError
from robot_ac.contract.manifest import load_manifest
from robot_ac.replay import read_robot_log, replay_open_loop
from sim.tasks import FRANKA_REACH_JOINT_TASK
from tests.deploy_helpers import ToyRobot, write_linear_export
from tests.test_deploy_runtime import GOAL, Harness

CONFIGS = Path(__file__).resolve().parents[1] / "hardware_configs"


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    folder = tmp_path_factory.mktemp("replay")
    data = yaml.safe_load((CONFIGS / "franka_panda.yaml").read_text())
    data["safety"]["ramp_duration_s"] = 0.3
    (folder / "robot.yaml").write_text(yaml.safe_dump(data))
    write_linear_export(folder / "export", FRANKA_REACH_JOINT_TASK.interface, gain=0.2)
    return folder / "robot.yaml", folder / "export"


def simulate_run(config_path, export, seconds=3.0):
    """A supervised run of the toy robot: (time, kind, payload) events as the robot's bag would hold them."""
    config = load_hardware_config(config_path)
    runtime = PolicyRuntime(export)
    supervisor = Supervisor(load_manifest(export / "manifest.json"), config, runtime, on_reset_policy=runtime.reset)
    supervisor.on_goal(GOAL)
    start = {j.name: j.default_position + (0.1 if j.name.startswith("panda_joint") else 0.0)
             for j in runtime.manifest.interface.joints}
    events = record_supervised_run(Harness(supervisor, ToyRobot(config, start)), seconds)
    return config, [(0.0, "goal", list(GOAL))] + events


def record_supervised_run(h: Harness, seconds: float, imu_at=None, tactile_at=None):
    """Run the harness's supervisor and toy robot; return the events its bag would hold. ``imu_at(k)`` gives the
    IMU reading (orientation, angular velocity, acceleration) of tick k for policies that read one, ``tactile_at(k)``
    the tactile frames {sensor: RGB image}."""
    supervisor, events = h.supervisor, []
    for k in range(int(seconds / h.dt)):
        names, position, velocity = h.robot.joint_state()
        # Logged just after the previous command (at now + 0.5 ms), as the robot measured after applying it.
        events.append((h.now + 0.001, "joint_state", (names, position, velocity)))
        h.feed()
        if imu_at is not None:
            events.append((h.now + 0.0011, "imu", imu_at(k)))
            supervisor.on_imu(*imu_at(k), h.now)
        for sensor, frame in (tactile_at(k) if tactile_at else {}).items():
            events.append((h.now + 0.0011, "tactile", (sensor, frame)))
            supervisor.on_tactile(sensor, frame, h.now)
        if k == 2:
            assert supervisor.start(h.now)
            events.append((h.now + 0.0012, "diagnostics", f"ramp: {supervisor.last_reason}"))
        before = supervisor.state
        h.now += h.dt
        command = supervisor.tick(h.now)
        if command is not None:
            events.append((h.now + 0.0005, "command", command.values.tolist()))
            h.robot.apply(command, h.dt)
        if supervisor.state != before:
            events.append((h.now + 0.0006, "diagnostics", f"{supervisor.state.value}: {supervisor.last_reason}"))
    assert supervisor.state == State.POLICY
    return events


def delay_commands(events, ticks: int):
    """The robot's commands arrive ``ticks`` control periods late: command i carries command i - ticks."""
    commands = [e for e in events if e[1] == "command"]
    late = {e[0]: commands[max(0, i - ticks)][2] for i, e in enumerate(commands)}
    return [(t, kind, late[t] if kind == "command" else payload) for t, kind, payload in events]


def write_bag(path: Path, config, events, storage: str = "sqlite3", compress: bool = False, split: bool = False):
    """The events as a bag (and one message on a topic the config does not name); ``split``: in two files."""
    from robot_ac.replay.bag_writer import BagWriter, join_split_bag

    topics = config.topics
    events = sorted(events + [(0.5, "extra", [0.0])], key=lambda e: e[0])
    halves = [events[: len(events) // 2], events[len(events) // 2:]] if split else [events]
    parts = [path.with_name(f"{path.name}_part{i}") for i in range(len(halves))] if split else [path]
    for part, part_events in zip(parts, halves):
        with BagWriter(part, storage, compress) as bag:
            for t, kind, payload in part_events:
                if kind == "joint_state":
                    bag.joint_state(topics.joint_states, t, *payload)
                elif kind == "imu":
                    bag.imu(topics.imu, t, *payload)
                elif kind == "diagnostics":
                    bag.diagnostics(topics.diagnostics, t, payload)
                elif kind == "tactile":
                    sensor, image = payload
                    bag.image(topics.tactile[sensor], t, image)
                else:
                    topic = {"command": topics.command, "goal": topics.goal, "extra": "/camera/unused"}[kind]
                    bag.array(topic, t, payload)
    if split:
        join_split_bag(parts, path)


@pytest.fixture(scope="module")
def run(setup):
    config_path, export = setup
    config, events = simulate_run(config_path, export)
    return config_path, export, config, events


@pytest.mark.parametrize(("storage", "compress", "split"), [
    ("sqlite3", False, False), ("mcap", False, False), ("sqlite3", True, False), ("mcap", True, True)])
def test_replay_reproduces_the_commands_the_robot_sent(run, tmp_path, storage, compress, split):
    config_path, export, config, events = run
    write_bag(tmp_path / "bag", config, events, storage, compress, split)
    if split:
        assert len(list((tmp_path / "bag").glob("*.mcap*"))) == 2
    runtime = PolicyRuntime(export)
    log = read_robot_log(tmp_path / "bag", config, config.command_joints)
    assert log.positions.t.size == sum(e[1] == "joint_state" for e in events)
    assert log.commands.t.size == sum(e[1] == "command" for e in events)
    assert log.skipped_topics == {"/camera/unused": 1} and not log.partial
    assert [s for _, s, _ in log.states] == ["ramp", "policy"]
    result = replay_open_loop(log, runtime.manifest, config, runtime, on_policy_reset=runtime.reset)
    policy_commands = sum(1 for t, kind, _ in events if kind == "command" and t > log.states[-1][0])
    assert result.t.size == policy_commands > 100
    assert np.abs(result.error).max() < 1e-9, "same policy, same observations: the same commands"
    assert result.lag_ticks == 0 and result.diverged_at is None


@pytest.mark.parametrize("ticks", [2, 5])
def test_injected_lag_is_recovered(run, tmp_path, ticks):
    config_path, export, config, events = run
    write_bag(tmp_path / "bag", config, delay_commands(events, ticks))
    runtime = PolicyRuntime(export)
    log = read_robot_log(tmp_path / "bag", config, config.command_joints)
    result = replay_open_loop(log, runtime.manifest, config, runtime, on_policy_reset=runtime.reset)
    assert result.lag_ticks == ticks
    assert result.diverged_at is not None


def test_cli_writes_the_report(run, tmp_path, cli):
    config_path, export, config, events = run
    write_bag(tmp_path / "bag", config, delay_commands(events, 3), "mcap")
    code, out, err = cli(["replay", str(tmp_path / "bag"), "--config", str(config_path), "--policy", str(export),
                          "--out", str(tmp_path / "report")])
    assert code == 0, err
    assert "lag 3 ticks (50.0 ms)" in out
    summary = json.loads((tmp_path / "report" / "summary.json").read_text())
    assert summary["open_loop"]["lag_ticks"] == 3 and summary["log"]["skipped_topics"] == {"/camera/unused": 1}
    for name in ("commands.png", "errors.png"):
        assert (tmp_path / "report" / name).read_bytes()[:4] == b"\x89PNG"
    assert "data:image/png;base64," in (tmp_path / "report" / "report.html").read_text()


def test_broken_and_foreign_bags_give_clear_errors(run, tmp_path, cli):
    config_path, export, config, events = run
    with pytest.raises(RobotAcError, match="does not exist"):
        read_robot_log(tmp_path / "missing", config)
    write_bag(tmp_path / "bag", config, events, "mcap")
    (mcap,) = (tmp_path / "bag").glob("*.mcap")
    mcap.write_bytes(mcap.read_bytes()[: mcap.stat().st_size // 2])
    code, _, err = cli(["replay", str(tmp_path / "bag"), "--config", str(config_path), "--policy", str(export),
                        "--out", str(tmp_path / "report")])
    assert code == 2 and "Traceback" not in err and "bag" in err
    other = load_hardware_config(CONFIGS / "cartpole_sim.yaml")
    write_bag(tmp_path / "cartpole_bag", other, [(0.1, "command", [0.0])])
    with pytest.raises(RobotAcError, match="no commands or no joint states"):
        runtime = PolicyRuntime(export)
        log = read_robot_log(tmp_path / "cartpole_bag", config, config.command_joints)
        assert any("is not in the bag" in p for p in log.problems)
        replay_open_loop(log, runtime.manifest, config, runtime)


def test_record_cli_refuses_an_existing_bag(tmp_path, cli):
    (tmp_path / "bag").mkdir()
    code, _, err = cli(["record", "--config", str(CONFIGS / "cartpole_sim.yaml"), "--out", str(tmp_path / "bag")])
    assert code == 2 and "exists; record writes a new bag directory" in err


def test_recorded_topics_follow_the_hardware_config():
    from robot_ac_ros.record import config_topics

    topics = config_topics(load_hardware_config(CONFIGS / "franka_panda.yaml"))
    assert topics["/franka/joint_states"] == "sensor_msgs/msg/JointState"
    assert topics["/forward_position_controller/commands"] == "std_msgs/msg/Float64MultiArray"
    assert topics["/gelsight_left/image_raw"] == topics["/gelsight_right/image_raw"] == "sensor_msgs/msg/Image"
    assert topics["/robot_ac/goal_pose"] == "std_msgs/msg/Float64MultiArray"


def test_sqlite_bag_with_a_broken_table(run, tmp_path):
    import sqlite3

    _, _, config, events = run
    write_bag(tmp_path / "bag", config, events, "sqlite3")
    (db,) = (tmp_path / "bag").glob("*.db3")
    with sqlite3.connect(db) as connection:
        connection.execute("DROP TABLE messages")
    with pytest.raises(RobotAcError, match=r"bag '.*bag' cannot be opened: .*missing tables"):
        read_robot_log(tmp_path / "bag", config, config.command_joints)


def test_replay_of_an_imu_policy(tmp_path):
    """A humanoid-style policy reading the IMU replays exactly: IMU messages are read and fed as the node did."""
    import math

    from tests.deploy_helpers import g1_imu_interface

    def imu_at(k):
        roll = 0.1 * math.sin(0.2 * k)
        return (math.sin(roll / 2), 0.0, 0.0, math.cos(roll / 2)), (0.3 * math.cos(0.2 * k), 0.0, 0.1), (0, 0, 9.81)

    config = load_hardware_config(CONFIGS / "unitree_g1_ros2_control.yaml")
    write_linear_export(tmp_path / "export", g1_imu_interface(config), gain=0.3)
    runtime = PolicyRuntime(tmp_path / "export")
    supervisor = Supervisor(runtime.manifest, config, runtime, on_reset_policy=runtime.reset)
    h = Harness(supervisor, ToyRobot(config, {n: 0.05 for n in config.joint_names}))
    write_bag(tmp_path / "bag", config, record_supervised_run(h, 4.0, imu_at))
    log = read_robot_log(tmp_path / "bag", config, config.joint_names)
    assert log.imu.t.size == int(4.0 / h.dt)
    result = replay_open_loop(log, runtime.manifest, config, runtime, on_policy_reset=runtime.reset)
    assert result.t.size > 30 and np.abs(result.error).max() < 1e-9 and result.lag_ticks == 0


def test_replay_of_a_tactile_policy(setup, tmp_path):
    """A policy reading two GelSight pads ('difference' preprocessing) replays exactly: frames come back from the
    bag, the references are the frames the node had when started; with other frames the commands differ."""
    import dataclasses

    from robot_ac.contract.manifest import ObservationTerm
    from robot_ac.contract.tactile import TactilePreprocessing

    preprocessing = TactilePreprocessing(height=15, width=20, mode="difference")
    interface = dataclasses.replace(
        FRANKA_REACH_JOINT_TASK.interface, tactile=preprocessing.to_dict(),
        observations=[*FRANKA_REACH_JOINT_TASK.interface.observations,
                      *(ObservationTerm(name=f"tactile_{key}", size=preprocessing.size, source="tactile",
                                        quantity=key) for key in ("left", "right"))])
    write_linear_export(tmp_path / "export", interface, gain=0.05)
    config = load_hardware_config(setup[0])
    runtime = PolicyRuntime(tmp_path / "export")
    supervisor = Supervisor(runtime.manifest, config, runtime, on_reset_policy=runtime.reset)
    supervisor.on_goal(GOAL)
    rng = np.random.default_rng(3)
    untouched = rng.integers(0, 200, (60, 80, 3), dtype=np.uint8)

    def frames(k):
        pressed = untouched.copy()
        if k > 20:  # a contact patch that grows and moves across the pad
            r = min(25, k - 20)
            pressed[30 - r // 2:30 + r // 2, 10 + k % 40:10 + k % 40 + r] = 255
        return {"left": pressed, "right": untouched}

    h = Harness(supervisor, ToyRobot(config, {j.name: j.default_position for j in runtime.manifest.interface.joints}))
    events = [(0.0, "goal", list(GOAL))] + record_supervised_run(h, 1.5, tactile_at=frames)
    write_bag(tmp_path / "bag", config, events, "mcap")
    log = read_robot_log(tmp_path / "bag", config, config.command_joints)
    assert {k: v.t.size for k, v in log.tactile.items()} == {"left": int(1.5 / h.dt), "right": int(1.5 / h.dt)}
    np.testing.assert_array_equal(log.tactile["left"].at(log.tactile["left"].t[30]), frames(30)["left"])
    result = replay_open_loop(log, runtime.manifest, config, runtime, on_policy_reset=runtime.reset)
    assert result.t.size > 20 and np.abs(result.error).max() < 1e-9 and result.lag_ticks == 0
    log.tactile["left"].frames[:] = untouched
    blind = replay_open_loop(log, runtime.manifest, config, runtime, on_policy_reset=runtime.reset)
    assert np.abs(blind.error).max() > 1e-4, "the tactile frames matter to this policy"


def test_irregular_logs_are_sorted_out_and_reported(run, tmp_path):
    """Duplicate, out-of-order (older header stamp, received later) and missing joint states, a message type only
    the bag defines, and a config topic carrying the wrong type: read, counted and reported, never fatal."""
    from rosbags.typesys import get_types_from_msg

    from robot_ac.replay.bag_writer import BagWriter

    _, _, config, events = run
    states = [e for e in events if e[1] == "joint_state"]
    gap = {e[0] for e in states[100:110]}
    irregular = [e for e in events if e[0] not in gap] + states[50:53]  # three logged twice
    late = irregular.index(states[60])
    irregular[late] = (states[61][0] + 0.0001, "joint_state", states[60][2])  # stamped 60, logged after 61
    tool_state = "my_robot_msgs/msg/ToolState"
    with BagWriter(tmp_path / "bag", "mcap") as bag:
        bag.typestore.register(get_types_from_msg("float64 grip\nstring mode", tool_state))
        for t, kind, payload in sorted(irregular, key=lambda e: e[0]):
            if kind == "joint_state":
                stamp = states[60][0] if payload is states[60][2] else t
                bag.joint_state(config.topics.joint_states, t, *payload, stamp=stamp)
            elif kind == "command":
                bag.array(config.topics.command, t, payload)
        bag.write("/gripper/state", 0.2, bag.types[tool_state](grip=0.5, mode="open"))
        bag.write(config.topics.goal, 0.1, bag.types[tool_state](grip=0.1, mode="x"))
    log = read_robot_log(tmp_path / "bag", config, config.command_joints)
    assert log.positions.t.size == len(states) - 10 - 1
    assert log.positions.duplicates == 3 and log.positions.out_of_order == 1
    assert np.all(np.diff(log.positions.t) > 0)
    assert log.skipped_topics == {"/gripper/state": 1}
    assert any(f"carries {tool_state}, expected std_msgs/msg/Float64MultiArray" in p for p in log.problems)
    assert sum("no joint states from" in p for p in log.problems) == 1 and not log.partial
