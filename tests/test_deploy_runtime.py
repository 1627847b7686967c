"""The robot-side runtime without ROS: configs, compatibility, observations, ONNX runtime, supervisor and faults.

Every fault test drives a toy robot through the supervisor and asserts the resulting state and that no command
ever left the joint limits or moved more than the per-step rate limit (effort: the effort limit).
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest
import yaml

from robot_ac.deploy import (
    PolicyRuntime,
    State,
    Supervisor,
    check_compatibility,
    load_hardware_config,
)
from robot_ac.errors import RobotAcError
from robot_ac.contract.manifest import load_manifest
from sim.tasks import CARTPOLE_TASK, FRANKA_REACH_JOINT_TASK
from tests.deploy_helpers import ToyRobot, write_linear_export

CONFIGS = Path(__file__).resolve().parents[1] / "hardware_configs"
GOAL = [0.5, 0.0, 0.3, 1.0, 0.0, 0.0, 0.0]


@pytest.fixture
def franka(tmp_path):
    write_linear_export(tmp_path / "export", FRANKA_REACH_JOINT_TASK.interface)
    manifest = load_manifest(tmp_path / "export" / "manifest.json")
    config = load_hardware_config(CONFIGS / "franka_panda.yaml")
    runtime = PolicyRuntime(tmp_path / "export")
    return manifest, config, runtime


class Harness:
    """Runs supervisor + toy robot at the control rate and records every command."""

    def __init__(self, supervisor: Supervisor, robot: ToyRobot) -> None:
        self.supervisor, self.robot = supervisor, robot
        self.now, self.stamp = 0.0, 0.0
        self.commands = []
        self.dt = supervisor.config.control_period_s

    def feed(self, *, names=None, position=None, velocity=None, stamp=None) -> bool:
        n, p, v = self.robot.joint_state()
        self.stamp += self.dt
        return self.supervisor.on_joint_state(self.stamp if stamp is None else stamp, names or n,
                                              p if position is None else position,
                                              v if velocity is None else velocity, self.now)

    def step(self, *, feed: bool = True, late: float = 0.0) -> None:
        if feed:
            self.feed()
        self.now += self.dt + late
        command = self.supervisor.tick(self.now)
        if command is not None:
            self.commands.append(command)
        self.robot.apply(command, self.dt)

    def run_until_policy(self) -> None:
        for _ in range(2):
            self.step()
        assert self.supervisor.start(self.now)
        for _ in range(int(self.supervisor.config.safety.ramp_duration_s / self.dt) + 5):
            self.step()
        assert self.supervisor.state == State.POLICY

    def assert_commands_safe(self) -> None:
        mapper = self.supervisor.mapper
        previous = None
        for command in self.commands:
            if command.kind == "effort":
                assert np.all(np.abs(command.values) <= mapper.effort_limit + 1e-9)
                continue
            assert np.all(command.values >= mapper.lower - 1e-9) and np.all(command.values <= mapper.upper + 1e-9)
            if previous is not None:
                assert np.all(np.abs(command.values - previous) <= mapper.max_step + 1e-9), "rate limit broken"
            previous = command.values


def _franka_harness(franka, start_offset=0.3) -> Harness:
    manifest, config, runtime = franka
    supervisor = Supervisor(manifest, config, runtime, on_reset_policy=getattr(runtime, "reset", None))
    supervisor.on_goal(GOAL)
    start = {j.name: j.default_position + (start_offset if j.name.startswith("panda_joint") else 0.0)
             for j in manifest.interface.joints}
    start["panda_joint4"] = -2.0
    return Harness(supervisor, ToyRobot(config, start))


# -- configs and compatibility ----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["cartpole_sim", "franka_panda", "franka_gelsight", "franka_cartesian",
                                  "unitree_g1", "unitree_g1_ros2_control"])
def test_shipped_hardware_configs_validate(name):
    config = load_hardware_config(CONFIGS / f"{name}.yaml")
    assert config.joints and config.control_rate_hz > 0


def test_g1_config_has_29_joints_in_unitree_order():
    config = load_hardware_config(CONFIGS / "unitree_g1_ros2_control.yaml")
    assert len(config.joint_names) == 29
    assert config.joint_names[:2] == ["left_hip_pitch_joint", "left_hip_roll_joint"]
    assert config.joint_names[12:15] == ["waist_yaw_joint", "waist_roll_joint", "waist_pitch_joint"]
    assert config.joint_names[-1] == "right_wrist_yaw_joint"


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda d: d.pop("control_rate_hz"), "control_rate_hz: Field required"),
        (lambda d: d["joints"][0].__setitem__("position_limits", [1.0, -1.0]), "joints.0.position_limits"),
        (lambda d: d["joints"][1].__setitem__("velocity_limit", -2), "joints.1.velocity_limit"),
        (lambda d: d.__setitem__("command_interface", "telepathy"), "command_interface"),
        (lambda d: d["joints"].append(dict(d["joints"][0])), "joint names appear twice"),
        (lambda d: d.__setitem__("default_positions", {"elbow": 0.1}), "default_positions names joints not in"),
        (lambda d: d["safety"].__setitem__("ramp_duration_s", 0), "safety.ramp_duration_s"),
        (lambda d: d.__setitem__("speed", 3), "speed: Extra inputs are not permitted"),
    ],
)
def test_bad_hardware_config_names_file_and_field(tmp_path, edit, expected):
    data = yaml.safe_load((CONFIGS / "cartpole_sim.yaml").read_text())
    edit(data)
    path = tmp_path / "robot.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(RobotAcError, match=f"hardware config '{path}'.*{expected}"):
        load_hardware_config(path)


def test_unreadable_hardware_config(tmp_path):
    with pytest.raises(RobotAcError, match="not found"):
        load_hardware_config(tmp_path / "missing.yaml")
    (tmp_path / "bad.yaml").write_text("joints: [unclosed")
    with pytest.raises(RobotAcError, match="not valid YAML"):
        load_hardware_config(tmp_path / "bad.yaml")


def test_compatible_pairs(franka, tmp_path):
    manifest, config, _ = franka
    assert check_compatibility(manifest, config) == []
    write_linear_export(tmp_path / "cartpole", CARTPOLE_TASK.interface)
    cartpole = load_manifest(tmp_path / "cartpole" / "manifest.json")
    assert check_compatibility(cartpole, load_hardware_config(CONFIGS / "cartpole_sim.yaml")) == []


def test_mismatch_is_refused_with_every_reason(franka, tmp_path):
    manifest, _, _ = franka
    g1 = load_hardware_config(CONFIGS / "unitree_g1_ros2_control.yaml")
    problems = check_compatibility(manifest, g1)
    assert any("joints in the policy but not in the hardware config" in p and "panda_joint1" in p for p in problems)
    assert any("control period: policy 0.016667 s (60.00 Hz), hardware 0.020000 s (50.00 Hz)" in p for p in problems)
    write_linear_export(tmp_path / "cartpole", CARTPOLE_TASK.interface)
    cartpole = load_manifest(tmp_path / "cartpole" / "manifest.json")
    no_goal = load_hardware_config(CONFIGS / "franka_panda.yaml").model_copy(
        update={"topics": load_hardware_config(CONFIGS / "franka_panda.yaml").topics.model_copy(
            update={"goal": None})})
    assert any("needs a goal input; topics.goal is not set" in p for p in check_compatibility(manifest, no_goal))
    problems = check_compatibility(cartpole, load_hardware_config(CONFIGS / "franka_panda.yaml"))
    assert any("joint_effort, which the hardware's command_interface 'forward_position' cannot carry" in p
               for p in problems)


# -- observations and policy --------------------------------------------------------------------------------------
def test_observations_match_by_name_not_index(franka):
    manifest, config, runtime = franka
    supervisor = Supervisor(manifest, config, runtime)
    builder = supervisor.observations
    names = [j.name for j in manifest.interface.joints]
    position = np.linspace(-0.5, 0.5, len(names))
    velocity = np.linspace(1.0, 2.0, len(names))
    builder.update_joint_state(names, position, velocity)
    builder.set_goal(GOAL)
    ordered = builder.build()
    order = np.random.default_rng(1).permutation(len(names))
    builder.update_joint_state(["extra"] + [names[i] for i in order], np.r_[9.0, position[order]],
                               np.r_[9.0, velocity[order]])
    np.testing.assert_array_equal(builder.build(), ordered)
    defaults = np.array([j.default_position for j in manifest.interface.joints])
    np.testing.assert_allclose(ordered[:9], position - defaults, atol=1e-6)
    np.testing.assert_allclose(ordered[9:18], velocity, atol=1e-6)
    np.testing.assert_allclose(ordered[18:25], GOAL, atol=1e-6)
    assert ordered.dtype == np.float32 and ordered.shape == (manifest.interface.observation_size,)


def test_policy_runtime_computes_the_exported_function(tmp_path):
    params = write_linear_export(tmp_path, CARTPOLE_TASK.interface, seed=3)
    runtime = PolicyRuntime(tmp_path)
    obs = np.array([0.1, -0.2, 0.3, 0.05], dtype=np.float32)
    expected = np.tanh(obs @ params[:-1] + params[-1])
    np.testing.assert_allclose(runtime(obs), expected, atol=1e-6)


def test_policy_runtime_refuses_changed_or_mismatched_files(tmp_path):
    write_linear_export(tmp_path / "a", CARTPOLE_TASK.interface)
    (tmp_path / "a" / "policy.onnx").write_bytes((tmp_path / "a" / "policy.onnx").read_bytes() + b"\0")
    with pytest.raises(RobotAcError, match="sha256 differs from manifest.json"):
        PolicyRuntime(tmp_path / "a")
    wide = dataclasses.replace(CARTPOLE_TASK.interface, history_length=2)
    write_linear_export(tmp_path / "b", CARTPOLE_TASK.interface)
    manifest = load_manifest(tmp_path / "b" / "manifest.json")
    data = manifest.to_dict()
    data["interface"] = wide.to_dict()
    (tmp_path / "b" / "manifest.json").write_text(__import__("json").dumps(data))
    with pytest.raises(RobotAcError, match="'obs' has last dimension 4, the manifest says 8"):
        PolicyRuntime(tmp_path / "b")


# -- supervisor: the normal path ---------------------------------------------------------------------------------
def test_start_needs_fresh_complete_joint_states(franka):
    harness = _franka_harness(franka)
    assert not harness.supervisor.start(harness.now)
    assert harness.supervisor.state == State.PASSIVE
    harness.step()
    assert harness.supervisor.tick(harness.now) is None, "PASSIVE commands nothing"


def test_ramp_reaches_default_pose_then_policy_runs(franka):
    harness = _franka_harness(franka)
    harness.run_until_policy()
    supervisor = harness.supervisor
    default = supervisor.mapper.default_pose
    ramp = [c.values for c, t in zip(harness.commands, range(10**9))][: int(5.0 / harness.dt)]
    assert np.abs(ramp[0] - default).max() > 0.25, "the ramp starts from the measured pose"
    np.testing.assert_allclose(harness.commands[-6].values, default, atol=1e-9)
    for _ in range(30):
        harness.step()
    assert supervisor.state == State.POLICY and supervisor.counters.policy_steps >= 30
    reasons = [(t.source, t.target) for t in supervisor.transitions]
    assert reasons == [(State.PASSIVE, State.RAMP), (State.RAMP, State.POLICY)]
    harness.assert_commands_safe()


# -- supervisor: fault injection ---------------------------------------------------------------------------------
FAULTS = {
    "nan_joint_state": (lambda h: h.feed(position=[math.nan] * len(h.robot.names)), State.HOLD, "nan_input"),
    "missing_joint": (lambda h: h.feed(names=h.robot.names[1:] + ["x"]), State.HOLD, "missing_joint"),
    "out_of_range": (lambda h: h.feed(position=[5.0] * len(h.robot.names)), State.HOLD, "out_of_range"),
    "too_fast": (lambda h: h.feed(velocity=[10.0] * len(h.robot.names)), State.HOLD, "out_of_range"),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_bad_joint_state_freezes_the_last_safe_command(franka, fault):
    harness = _franka_harness(franka)
    harness.run_until_policy()
    for _ in range(10):
        harness.step()
    inject, expected_state, kind = FAULTS[fault]
    assert not inject(harness)
    assert harness.supervisor.state == expected_state
    assert harness.supervisor.counters.faults[kind] == 1
    frozen = harness.commands[-1].values
    for _ in range(20):
        harness.step()
    np.testing.assert_array_equal(harness.commands[-1].values, frozen)
    harness.assert_commands_safe()


def test_joint_states_that_stop_arriving(franka):
    harness = _franka_harness(franka)
    harness.run_until_policy()
    steps_to_timeout = math.ceil(harness.supervisor.config.safety.joint_state_timeout_s / harness.dt) + 1
    for _ in range(steps_to_timeout):
        harness.step(feed=False)
    assert harness.supervisor.state == State.HOLD
    assert "stale_input" in harness.supervisor.last_reason
    harness.assert_commands_safe()


def test_out_of_order_stamps_are_dropped_and_then_go_stale(franka):
    harness = _franka_harness(franka)
    harness.run_until_policy()
    for _ in range(3):
        harness.step()
    old_stamp = harness.stamp - 1.0
    for _ in range(20):  # only old messages from now on
        assert not harness.feed(stamp=old_stamp)
        harness.step(feed=False)
    assert harness.supervisor.counters.rejected_out_of_order == 20
    assert harness.supervisor.state == State.HOLD
    harness.assert_commands_safe()


def test_policy_that_outputs_nan(franka):
    manifest, config, runtime = franka
    calls = []

    def flaky_policy(obs):
        calls.append(obs)
        return runtime(obs) if len(calls) < 15 else np.full(7, np.nan)

    harness = _franka_harness((manifest, config, flaky_policy))
    harness.run_until_policy()
    for _ in range(20):
        harness.step()
    assert harness.supervisor.state == State.HOLD
    assert harness.supervisor.counters.faults["policy_output"] == 1
    assert all(np.isfinite(c.values).all() for c in harness.commands)
    harness.assert_commands_safe()


def test_estop_mid_motion_then_reset(franka):
    harness = _franka_harness(franka)
    harness.run_until_policy()
    for _ in range(10):
        harness.step()
    harness.supervisor.estop(harness.now)
    for _ in range(30):
        harness.step()
    assert harness.supervisor.state == State.ESTOP
    measured = np.array([harness.robot.position[n] for n in harness.supervisor.mapper.joint_names])
    np.testing.assert_allclose(harness.commands[-1].values, measured, atol=1e-6)
    assert not harness.supervisor.start(harness.now), "e-stop is latched"
    assert harness.supervisor.reset(harness.now) and harness.supervisor.state == State.PASSIVE
    harness.assert_commands_safe()


def test_loop_overruns(franka):
    harness = _franka_harness(franka)
    harness.run_until_policy()
    for _ in range(2):
        harness.step(late=harness.dt)  # twice in a row: below the limit of 3
    harness.step()
    assert harness.supervisor.state == State.POLICY
    for _ in range(3):
        harness.step(late=harness.dt)
    assert harness.supervisor.state == State.HOLD and "loop_overrun" in harness.supervisor.last_reason
    harness.assert_commands_safe()


def test_effort_robot_damps_on_fault_within_effort_limits(tmp_path):
    write_linear_export(tmp_path, CARTPOLE_TASK.interface, gain=20.0)
    manifest = load_manifest(tmp_path / "manifest.json")
    config = load_hardware_config(CONFIGS / "cartpole_sim.yaml")
    supervisor = Supervisor(manifest, config, PolicyRuntime(tmp_path))
    harness = Harness(supervisor, ToyRobot(config, {"slider_to_cart": 0.5, "cart_to_pole": 0.1}))
    harness.run_until_policy()
    assert {c.kind for c in harness.commands} == {"effort"}
    harness.feed(position=[math.nan] * 3)
    harness.step(feed=False)
    assert supervisor.state == State.DAMP
    harness.assert_commands_safe()
    assert max(abs(c.values).max() for c in harness.commands) <= 400.0


def test_every_transition_is_logged_with_its_reason(franka, caplog):
    harness = _franka_harness(franka)
    with caplog.at_level("WARNING", logger="robot_ac.deploy"):
        harness.run_until_policy()
        harness.supervisor.estop(harness.now, "operator pressed e-stop")
    messages = [r.getMessage() for r in caplog.records]
    assert "passive -> ramp: start requested" in messages
    assert any(m.startswith("ramp -> policy: ramp to the default pose done") for m in messages)
    assert "policy -> estop: operator pressed e-stop" in messages
    assert [t.reason for t in harness.supervisor.transitions][-1] == "operator pressed e-stop"


def test_deploy_runtime_never_imports_torch():
    import subprocess
    import sys

    code = "import sys, robot_ac.deploy; print('torch' in sys.modules, 'isaaclab' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False"]




# -- IMU (humanoids) ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("quaternion_xyzw", "expected"),
    [
        ((0.0, 0.0, 0.0, 1.0), (0.0, 0.0, -1.0)),  # upright
        ((math.sqrt(0.5), 0.0, 0.0, math.sqrt(0.5)), (0.0, -1.0, 0.0)),  # rolled +90° about x
        ((0.0, math.sqrt(0.5), 0.0, math.sqrt(0.5)), (1.0, 0.0, 0.0)),  # pitched +90° about y
        ((0.0, 0.0, 1.0, 0.0), (0.0, 0.0, -1.0)),  # yaw does not change gravity's direction
    ],
)
def test_projected_gravity(quaternion_xyzw, expected):
    from robot_ac.deploy.observation import projected_gravity

    np.testing.assert_allclose(projected_gravity(np.array(quaternion_xyzw)), expected, atol=1e-12)


@pytest.fixture
def g1(tmp_path):
    from tests.deploy_helpers import g1_imu_interface

    config = load_hardware_config(CONFIGS / "unitree_g1_ros2_control.yaml")
    names = config.joint_names
    interface = g1_imu_interface(config)
    write_linear_export(tmp_path, interface, gain=0.1)
    manifest = load_manifest(tmp_path / "manifest.json")
    assert check_compatibility(manifest, config) == []
    supervisor = Supervisor(manifest, config, PolicyRuntime(tmp_path))
    return Harness(supervisor, ToyRobot(config, {n: 0.1 for n in names}))


def test_imu_policy_waits_for_imu_and_faults_when_it_stops(g1):
    g1.step()
    assert not g1.supervisor.start(g1.now), "no IMU yet"
    assert g1.supervisor.observations.missing_inputs() == ["imu"]
    upright = ((0.0, 0.0, 0.0, 1.0), (0.0, 0.0, 0.0), (0.0, 0.0, 9.81))
    for _ in range(3):
        g1.supervisor.on_imu(*upright, g1.now)
        g1.step()
    assert g1.supervisor.start(g1.now)
    for _ in range(int(3.0 / g1.dt) + 5):
        g1.supervisor.on_imu(*upright, g1.now)
        g1.step()
    assert g1.supervisor.state == State.POLICY
    obs = g1.supervisor.observations.build()
    np.testing.assert_allclose(obs[3:6], [0.0, 0.0, -1.0], atol=1e-6)
    for _ in range(5):  # joint states keep coming, the IMU has stopped
        g1.step()
    assert g1.supervisor.state == State.DAMP and "IMU" in g1.supervisor.last_reason
    g1.assert_commands_safe()


def test_nan_imu_is_a_fault(g1):
    upright = ((0.0, 0.0, 0.0, 1.0), (0.0, 0.0, 0.0), (0.0, 0.0, 9.81))
    for _ in range(3):
        g1.supervisor.on_imu(*upright, g1.now)
        g1.step()
    assert g1.supervisor.start(g1.now)
    g1.step()
    assert not g1.supervisor.on_imu((0.0, 0.0, 0.0, 1.0), (math.nan, 0.0, 0.0), (0.0, 0.0, 9.81), g1.now)
    assert g1.supervisor.state == State.DAMP and g1.supervisor.counters.faults["nan_input"] == 1
