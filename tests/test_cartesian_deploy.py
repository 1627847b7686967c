"""The Cartesian robot side (no ROS): target composition against Isaac Lab's, the limit chain, the supervisor's
watchdogs and start conditions, the config's QoS rule and `deploy --check`."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import yaml

from robot_ac.contract.hardware_config import load_hardware_config
from robot_ac.contract.manifest import load_manifest
from robot_ac.deploy import CartesianSupervisor, State, make_supervisor
from robot_ac.deploy.cartesian import tilt
from robot_ac.deploy.check import deployment_problems
from robot_ac.deploy.pose import apply_delta_pose, quat_from_rotvec, quat_mul, rotation_between
from robot_ac.errors import RobotAcError
from robot_ac.export.synthetic import write_mlp_export
from robot_ac_ros.fake_franka import START_TCP, FirstOrderPosePlant

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "hardware_configs" / "franka_gelsight.yaml"
IMAGE_STUDENT = ROOT / "policies" / "franka-peg-place" / "dagger-image-seed1"
PERIOD = 1 / 60


def _random_quaternions(rng, n):
    q = rng.normal(size=(n, 4))
    return q / np.linalg.norm(q, axis=1, keepdims=True)


@pytest.mark.sim
def test_target_composition_matches_isaac_labs_delta_pose():
    import torch
    from isaaclab.utils.math import apply_delta_pose as isaaclab_apply_delta_pose

    rng = np.random.default_rng(0)
    positions, quats = rng.normal(size=(64, 3)), _random_quaternions(rng, 64)
    deltas = np.concatenate([rng.normal(scale=0.01, size=(64, 3)), rng.normal(scale=0.5, size=(64, 3))], axis=1)
    deltas[0, 3:] = 0.0  # the identity branch
    expected_pos, expected_rot = isaaclab_apply_delta_pose(*(torch.tensor(a) for a in (positions, quats, deltas)))
    ours = np.stack([apply_delta_pose(p, q, d) for p, q, d in zip(positions, quats, deltas)])
    np.testing.assert_allclose(ours[:, :3], expected_pos.numpy(), atol=1e-12)
    np.testing.assert_allclose(ours[:, 3:], expected_rot.numpy(), atol=1e-9)


@pytest.fixture(scope="module")
def student(tmp_path_factory):
    """An image student export (the zoo's interface) with random weights, and the config it deploys on."""
    folder = tmp_path_factory.mktemp("student")
    write_mlp_export(folder, load_manifest(IMAGE_STUDENT / "manifest.json").interface, hidden=(16,), seed=3)
    return load_manifest(folder / "manifest.json"), load_hardware_config(CONFIG)


class _Rig:
    """A CartesianSupervisor on a first-order plant, stepped at the control rate with every input fresh."""

    def __init__(self, manifest, config, policy, lag_s=0.05, held_width=0.0086):
        self.supervisor = make_supervisor(manifest, config, policy)
        assert isinstance(self.supervisor, CartesianSupervisor)
        self.plant = FirstOrderPosePlant(np.array(START_TCP), lag_s)
        self.config, self.now, self.targets, self.measured = config, 0.0, [], []
        self.held_width, self.force = held_width, 0.0
        self.pose_stale = False
        self.supervisor.on_goal([0.5, 0.0, 0.05])
        self.feed()

    def feed(self):
        s, arm = self.supervisor, [j for j in self.config.joints if not j.name.startswith("panda_finger")]
        s.on_joint_state(self.now, [j.name for j in arm], [sum(j.position_limits) / 2 for j in arm],
                         [0.0] * len(arm), self.now)
        s.on_gripper_state(["panda_finger_joint1", "panda_finger_joint2"], [self.held_width / 2] * 2)
        if not self.pose_stale:
            s.on_ee_pose(self.now, self.plant.pose[:3], self.plant.pose[3:], self.now)
        s.on_wrench([0.0, 0.0, self.force], [0.0] * 3, self.now)
        for key in ("left", "right"):
            s.on_tactile(key, np.full((24, 32, 3), 40, np.uint8), self.now)

    def step(self, n=1):
        for _ in range(n):
            measured = self.supervisor.measured_tcp.copy()
            command = self.supervisor.tick(self.now)
            if command is not None:
                assert command.kind == "pose" and command.values.shape == (7,)
                self.targets.append((self.supervisor.state, command.values.copy()))
                self.measured.append(measured)
                self.plant.target = command.values.copy()
            for _ in range(4):
                self.plant.step(PERIOD / 4)
            self.now += PERIOD
            self.feed()


def _policies(rng):
    flip = {"sign": 1.0}

    def oscillating(obs):
        flip["sign"] *= -1
        return np.full(6, 5.0 * flip["sign"])

    return {"random": lambda obs: rng.uniform(-3, 3, 6), "saturated": lambda obs: np.array([9, -9, 9, 9, -9, 9.0]),
            "oscillating": oscillating}


@pytest.mark.parametrize("name", ["random", "saturated", "oscillating"])
def test_targets_stay_within_every_cartesian_limit(student, name):
    manifest, config = student
    rig = _Rig(manifest, config, _policies(np.random.default_rng(1))[name])
    c = config.cartesian
    assert rig.supervisor.start(rig.now)
    rig.step(240)
    assert rig.supervisor.state == State.POLICY, rig.supervisor.last_reason
    previous = None
    axis = np.array(c.insertion_axis)
    for (state, target), measured in zip(rig.targets, rig.measured):
        assert np.all(target[:3] >= np.array(c.workspace_min) - 1e-12)
        assert np.all(target[:3] <= np.array(c.workspace_max) + 1e-12)
        assert tilt(target[3:], axis) <= c.max_tilt_rad + 1e-9
        assert np.linalg.norm(target[:3] - measured[:3]) <= c.max_tracking_error_m + 1e-12
        assert np.linalg.norm(rotation_between(measured[3:], target[3:])) <= c.max_tracking_error_rad + 1e-9
        if previous is not None:
            assert np.linalg.norm(target[:3] - previous[:3]) <= c.max_linear_velocity_m_s * PERIOD + 1e-12
            assert np.linalg.norm(rotation_between(previous[3:], target[3:])) \
                <= c.max_angular_velocity_rad_s * PERIOD + 1e-9
            assert np.dot(target[3:], previous[3:]) > 0, "the target's quaternion never flips hemisphere"
        previous = target
    if name == "saturated":  # pushed against the box's corner and the cone's edge, and held there
        final = rig.targets[-1][1]
        assert math.isclose(tilt(final[3:], axis), c.max_tilt_rad, abs_tol=1e-6)
        assert np.isclose(final[:3], [c.workspace_max[0], c.workspace_min[1], c.workspace_max[2]], atol=1e-3).all()


def test_policy_step_is_clamped_and_ramped_in(student):
    manifest, config = student
    rig = _Rig(manifest, config, lambda obs: np.array([1.0, 0, 0, 0, 0, 0]))
    mapper = rig.supervisor.mapper
    measured = rig.plant.pose.copy()
    wanted = mapper.policy_target(np.array([1.0, 1.0, 1.0, 1.0, 1.0, 1.0]), measured)
    assert np.linalg.norm(wanted[:3] - measured[:3]) == pytest.approx(0.005 * math.sqrt(3))
    limited = mapper.limit(wanted, measured, None)
    assert np.linalg.norm(limited[:3] - measured[:3]) == pytest.approx(config.cartesian.max_step_m)
    assert np.linalg.norm(rotation_between(measured[3:], limited[3:])) == pytest.approx(config.cartesian.max_step_rad)
    assert rig.supervisor.start(rig.now)
    rig.step(int(config.cartesian.ramp_in_s / PERIOD) + 5)
    steps = [t[0] - m[0] for (_, t), m in zip(rig.targets, rig.measured)]
    assert steps[0] < 0.1 * 0.005 and steps[len(steps) // 2] == pytest.approx(0.0025, abs=4e-4), steps[:5]
    assert rig.supervisor.state == State.POLICY and steps[-1] == pytest.approx(0.005, abs=1e-9)


def test_the_supervisor_composes_the_policys_delta_on_the_measured_tcp(student):
    manifest, config = student
    rig = _Rig(manifest, config, lambda obs: np.array([0.2, -0.4, 0.1, 0.3, 0.0, -0.2]))
    rig.supervisor.start(rig.now)
    rig.step(int(config.cartesian.ramp_in_s / PERIOD) + 3)
    (_, target), measured = rig.targets[-1], rig.measured[-1]
    delta = np.array([0.2, -0.4, 0.1, 0.3, 0.0, -0.2]) * np.array([0.005] * 3 + [0.02] * 3)
    np.testing.assert_allclose(target, apply_delta_pose(measured[:3], measured[3:], delta), atol=1e-12)


@pytest.mark.parametrize("fault", ["stale_pose", "force_spike", "second_publisher", "nan_policy", "reflex"])
def test_faults_hold_at_the_measured_pose(student, fault):
    manifest, config = student
    rig = _Rig(manifest, config, (lambda obs: np.full(6, np.nan)) if fault == "nan_policy"
               else (lambda obs: np.array([0.5, 0.5, -0.5, 0.2, 0.2, 0.2])))
    assert rig.supervisor.start(rig.now)
    rig.step(int(config.cartesian.ramp_in_s / PERIOD) + 10 if fault != "nan_policy" else 1)
    if fault == "stale_pose":
        rig.pose_stale = True
    elif fault == "force_spike":
        rig.force = 45.0
    elif fault == "second_publisher":
        rig.supervisor.on_foreign_publishers(1, rig.now)
    elif fault == "reflex":
        rig.supervisor.on_robot_mode(False, "reflex", rig.now)
    rig.step(6)  # a pose is stale after two periods
    s = rig.supervisor
    assert s.state == State.HOLD, (fault, s.last_reason)
    kind = {"stale_pose": "stale_input", "force_spike": "external_force", "second_publisher": "second_publisher",
            "nan_policy": "policy_output", "reflex": "robot_mode"}[fault]
    assert s.last_reason.startswith(kind) and s.counters.faults[kind] >= 1
    held = [t for state, t in rig.targets if state == State.HOLD]
    assert len(held) >= 2 and all(np.array_equal(held[0], t) for t in held), "HOLD publishes one frozen target"
    np.testing.assert_allclose(held[0], s._hold_pose, atol=0)
    moved = np.linalg.norm(rig.plant.pose[:3] - held[0][:3])
    assert moved < 0.006, "the robot settles where it was when HOLD began"


def test_start_is_refused_without_a_held_part_under_force_without_a_pose_or_the_topic_to_itself(student):
    manifest, config = student
    rig = _Rig(manifest, config, lambda obs: np.zeros(6), held_width=0.03)
    assert not rig.supervisor.start(rig.now)
    rig.held_width = 0.0086
    rig.feed()
    rig.supervisor.on_foreign_publishers(1, rig.now)
    assert not rig.supervisor.start(rig.now)
    rig.supervisor.on_foreign_publishers(0, rig.now)
    rig.force = 31.0
    rig.feed()
    assert not rig.supervisor.start(rig.now)
    rig.force = 0.0
    rig.supervisor.on_robot_mode(False, "reflex", rig.now)
    rig.feed()
    assert not rig.supervisor.start(rig.now)
    rig.supervisor.on_robot_mode(True, "move", rig.now)
    rig.now += 5 * PERIOD  # the pose is now 5 periods old
    assert not rig.supervisor.start(rig.now)
    rig.feed()
    assert rig.supervisor.start(rig.now) and rig.supervisor.state == State.RAMP


def test_bad_poses_are_refused_and_the_quaternion_sign_is_the_sims(student):
    manifest, config = student
    rig = _Rig(manifest, config, lambda obs: np.zeros(6))
    s = rig.supervisor
    assert not s.on_ee_pose(rig.now + 1, [0.5, 0, np.nan], [1, 0, 0, 0], rig.now)
    assert not s.on_ee_pose(rig.now + 1, [0.5, 0, 0.1], [0.2, 0, 0, 0], rig.now)
    assert s.on_ee_pose(rig.now + 1, [0.5, 0, 0.1], [-1.0, 0, 0, 0.01], rig.now)
    assert s.measured_tcp[3] > 0.99, "(-1, 0, 0, 0.01) is observed as its twin near (1, 0, 0, 0), as the sim reports"


def test_twist_is_the_hand_links_from_pose_differences(student):
    manifest, config = student
    rig = _Rig(manifest, config, lambda obs: np.zeros(6))
    config_no_filter = config.model_copy(update={"cartesian": config.cartesian.model_copy(
        update={"twist_filter_s": 0.0})})
    s = make_supervisor(manifest, config_no_filter, lambda obs: np.zeros(6))
    omega = np.array([0.0, 0.0, 0.8])
    quat = np.array(START_TCP[3:])
    for k in range(3):
        t = k * 0.004
        s.on_ee_pose(t, [0.5 + 0.1 * t, 0.0, 0.13], quat_mul(quat_from_rotvec(omega * t), quat), t)
    twist = s.observations._end_effector["twist"]
    lever = np.array([0.0, 0.0, 0.1034])  # the hand is 0.1034 m above the TCP pointing down
    np.testing.assert_allclose(twist[3:], omega, atol=1e-9)
    np.testing.assert_allclose(twist[:3], [0.1, 0, 0] + np.cross(omega, lever), atol=1e-6)
    assert rig.supervisor.limits.twist_filter_s > 0


def test_config_refuses_a_reliable_subscription_to_a_best_effort_only_topic(tmp_path):
    data = yaml.safe_load(CONFIG.read_text())
    data["topics"]["reliability"]["ee_pose"] = "reliable"
    path = tmp_path / "franka.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(RobotAcError, match=r"franka\.yaml.*ee_pose '/franka_robot_state_broadcaster/current_pose' "
                                           r"is published best-effort only"):
        load_hardware_config(path)
    data["topics"]["reliability"]["ee_pose"] = "best_effort"
    data["cartesian"]["max_step_m"] = 0.01
    path.write_text(yaml.safe_dump(data))
    manifest = load_manifest(IMAGE_STUDENT / "manifest.json")
    from robot_ac.contract.hardware_config import check_compatibility

    assert check_compatibility(manifest, load_hardware_config(path)) == [
        "cartesian.max_step_m 0.01 m is above the largest position step the policy takes per axis in simulation "
        "(0.005 m)"]


def test_deploy_check_passes_the_zoo_student_and_names_a_joint_policy(tmp_path, capsys):
    from robot_ac.cli import main
    from sim.tasks.reach.config.franka import JOINT_INTERFACE

    assert deployment_problems(CONFIG, IMAGE_STUDENT) == []
    assert main(["deploy", "--check", "--config", str(CONFIG), "--policy", str(IMAGE_STUDENT)]) == 0
    write_mlp_export(tmp_path, JOINT_INTERFACE)
    assert main(["deploy", "--check", "--config", str(CONFIG), "--policy", str(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert "policy actions are joint_position, which the hardware's command_interface 'cartesian_pose' cannot " \
           "carry" in error
    (tmp_path / "policy.onnx").write_bytes(b"truncated")
    problems = deployment_problems(CONFIG, tmp_path)
    assert len(problems) == 1 and "sha256 differs" in problems[0]
