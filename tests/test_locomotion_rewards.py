"""The locomotion task's own reward and success terms (``sim/tasks/locomotion/mdp.py``) on crafted states: each is
1 (or true) exactly at its target, falls off as the Gaussian its docstring states, and reads its input (a term
that ignored the tilt, the joints or the height would give the same number for the two states compared)."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
import torch

pytest.importorskip("isaaclab")

from isaaclab.managers import SceneEntityCfg  # noqa: E402

from sim.tasks.locomotion import mdp  # noqa: E402

ROBOT = SceneEntityCfg("robot")
ROBOT.joint_ids = slice(None)


def _env(*, gravity=None, joint_pos=None, default_joint_pos=None, height=None, origin_z=0.0, terminated=None,
         time_outs=None):
    """A stand-in for a ManagerBasedRLEnv with just what the terms read, for len(height) envs."""
    data = SimpleNamespace(projected_gravity_b=None if gravity is None else torch.tensor(gravity),
                           joint_pos=None if joint_pos is None else torch.tensor(joint_pos),
                           default_joint_pos=None if default_joint_pos is None else torch.tensor(default_joint_pos))
    if height is not None:
        data.root_pos_w = torch.tensor([[0.0, 0.0, h] for h in height])
    origins = torch.tensor([[0.0, 0.0, origin_z]] * (len(height) if height is not None else 1))
    env = SimpleNamespace(scene=_Scene(data, origins))
    if terminated is not None:
        env.reset_terminated = torch.tensor(terminated)
        env.reset_time_outs = torch.tensor(time_outs)
    return env


class _Scene:
    def __init__(self, data, origins):
        self._robot = SimpleNamespace(data=data)
        self.env_origins = origins

    def __getitem__(self, name: str):
        assert name == "robot"
        return self._robot


def test_upright_kernel_is_one_upright_and_a_gaussian_of_the_sine_of_the_tilt() -> None:
    tilt = 0.2
    env = _env(gravity=[[0.0, 0.0, -1.0], [math.sin(tilt), 0.0, -math.cos(tilt)],
                        [0.0, -math.sin(tilt), -math.cos(tilt)], [0.0, 0.0, 1.0]])
    value = mdp.upright_kernel(env, std=0.25, asset_cfg=ROBOT)
    expected = math.exp(-math.sin(tilt) ** 2 / 0.25**2)
    torch.testing.assert_close(value, torch.tensor([1.0, expected, expected, 1.0]))
    # Upside down has no horizontal gravity component: the kernel alone does not see it (the fall termination
    # does), which is why the task keeps the tilt limit.


def test_posture_kernel_is_one_in_the_default_pose_and_falls_with_the_mean_square_error() -> None:
    default = [[0.3, -0.6, 0.0, 0.2]] * 3
    env = _env(joint_pos=[[0.3, -0.6, 0.0, 0.2], [0.5, -0.6, 0.0, 0.2], [0.5, -0.4, -0.2, 0.4]],
               default_joint_pos=default)
    value = mdp.posture_kernel(env, std=0.25, asset_cfg=ROBOT)
    one_joint = math.exp(-(0.2**2 / 4) / 0.25**2)
    all_joints = math.exp(-(0.2**2) / 0.25**2)
    torch.testing.assert_close(value, torch.tensor([1.0, one_joint, all_joints]))
    assert value[0] > value[1] > value[2]


def test_posture_kernel_reads_only_the_selected_joints() -> None:
    env = _env(joint_pos=[[0.0, 1.0]], default_joint_pos=[[0.0, 0.0]])
    first = SceneEntityCfg("robot")
    first.joint_ids = [0]
    assert mdp.posture_kernel(env, std=0.25, asset_cfg=first).item() == pytest.approx(1.0)
    assert mdp.posture_kernel(env, std=0.25, asset_cfg=ROBOT).item() < 0.01


def test_speed_posture_kernel_loosens_with_the_commanded_speed() -> None:
    """mjlab's ``variable_posture`` as its G1 task sets it: standing widths below a command speed |v_xy| + |ω_z| of
    0.05, walking widths (per joint, by name) up to 1.5, running widths above."""
    from isaaclab.managers import RewardTermCfg

    params = {"std_standing": {".*": 0.05}, "std_walking": {"hip_.*": 0.3, "knee": 0.6}, "std_running": {".*": 1.0},
              "command_name": "twist", "walking_threshold": 0.05, "running_threshold": 1.5}
    env = _env()
    data = SimpleNamespace(joint_pos=SimpleNamespace(torch=torch.full((3, 2), 0.1)),  # Isaac Lab 3's wp arrays
                           default_joint_pos=SimpleNamespace(torch=torch.zeros(3, 2)))
    env.scene._robot = SimpleNamespace(data=data, joint_names=["hip_pitch", "knee"])
    env.device = "cpu"
    commands = torch.tensor([[0.0, 0.0, 0.0], [0.2, 0.0, 0.1], [1.5, 0.5, 0.2]])
    env.command_manager = SimpleNamespace(get_command=lambda name: commands)
    term = mdp.speed_posture_kernel(RewardTermCfg(func=mdp.speed_posture_kernel, weight=1.0, params=params), env)
    expected = [math.exp(-(0.01 / 0.05**2 + 0.01 / 0.05**2) / 2), math.exp(-(0.01 / 0.3**2 + 0.01 / 0.6**2) / 2),
                math.exp(-(0.01 + 0.01) / 2)]
    torch.testing.assert_close(term(env, **params), torch.tensor(expected))


def test_base_height_kernel_measures_the_height_above_the_envs_own_ground() -> None:
    env = _env(height=[1.757, 1.707, 1.5], origin_z=1.0)
    value = mdp.base_height_kernel(env, target_height=0.757, std=0.05, asset_cfg=ROBOT)
    torch.testing.assert_close(value, torch.tensor([1.0, math.exp(-1.0), math.exp(-(0.257 / 0.05) ** 2)]))


def test_standing_success_needs_the_time_limit_no_fall_and_the_height() -> None:
    success = mdp.stood_at_height(0.757, 0.05)
    env = _env(height=[0.75, 0.70, 0.75, 0.75], terminated=[False, False, True, False],
               time_outs=[True, True, True, False])
    assert success(env).tolist() == [True, False, False, False]


# --- foot terms ---------------------------------------------------------------------------------------------------

SOLE = 0.03
FEET = SceneEntityCfg("robot")
FEET.body_ids = [1, 2]
FEET_SENSOR = SceneEntityCfg("feet")
FEET_SENSOR.body_ids = [0, 1]


class _Array(SimpleNamespace):
    """Isaac Lab 3 data fields are warp arrays with a ``.torch`` view."""

    def __init__(self, values):
        super().__init__(torch=torch.as_tensor(values, dtype=torch.float32))


def _feet_env(*, foot_z, foot_vel_xy, contact_time, landed=None, force=None, command=(0.5, 0.0, 0.0)):
    """One env per row; body 0 is the pelvis, bodies 1 and 2 the feet (the sensor's 0 and 1)."""
    n = len(foot_z)
    body_pos = [[[0.0, 0.0, 0.75], [0.0, 0.1, z[0] + SOLE], [0.0, -0.1, z[1] + SOLE]] for z in foot_z]
    body_vel = [[[0.0, 0.0, 0.0], [*v[0], 0.0], [*v[1], 0.0]] for v in foot_vel_xy]
    data = SimpleNamespace(body_pos_w=_Array(body_pos), body_lin_vel_w=_Array(body_vel))
    landed = [[False, False]] * n if landed is None else landed
    sensor = SimpleNamespace(
        data=SimpleNamespace(current_contact_time=_Array(contact_time),
                             net_forces_w=_Array([[[0.0, 0.0, f] for f in row] for row in (force or [[0, 0]] * n)])),
        compute_first_contact=lambda dt: SimpleNamespace(torch=torch.tensor(landed, dtype=torch.float32)))
    scene = _Scene(data, torch.zeros(n, 3))
    scene.sensors = {"feet": sensor}
    commands = torch.tensor([command] * n)
    return SimpleNamespace(scene=scene, step_dt=0.02,
                           command_manager=SimpleNamespace(get_command=lambda name: commands))


def test_moving_command_gates_on_linear_plus_yaw_speed() -> None:
    for command, moving in [((0.0, 0.0, 0.0), 0.0), ((0.03, 0.0, 0.0), 0.0), ((0.0, 0.0, 0.2), 1.0),
                            ((0.3, -0.4, 0.0), 1.0)]:
        env = _feet_env(foot_z=[[0, 0]], foot_vel_xy=[[[0, 0], [0, 0]]], contact_time=[[1, 1]], command=command)
        assert mdp.moving_command(env, "base_velocity", 0.05).item() == moving


def test_foot_clearance_costs_the_height_error_times_the_foot_speed() -> None:
    env = _feet_env(foot_z=[[0.1, 0.0], [0.04, 0.0], [0.04, 0.0]],
                    foot_vel_xy=[[[1.0, 0.0], [0.0, 0.0]], [[0.6, 0.8], [0.0, 0.0]], [[0.0, 0.0], [0.0, 0.0]]],
                    contact_time=[[0, 1]] * 3)
    cost = mdp.foot_clearance(env, 0.1, SOLE, "base_velocity", 0.05, FEET)
    # Swinging at the target: free. 6 cm low at 1 m/s: 0.06, plus the planted foot 0.1 low at rest: 0.
    torch.testing.assert_close(cost, torch.tensor([0.0, 0.06, 0.0]))
    still = _feet_env(foot_z=[[0.04, 0.0]], foot_vel_xy=[[[0.6, 0.8], [0.0, 0.0]]], contact_time=[[0, 1]],
                      command=(0.0, 0.0, 0.0))
    assert mdp.foot_clearance(still, 0.1, SOLE, "base_velocity", 0.05, FEET).item() == 0.0, "standing: no cost"


def test_foot_slip_costs_squared_speed_of_feet_on_the_ground_only() -> None:
    env = _feet_env(foot_z=[[0, 0]] * 2, foot_vel_xy=[[[0.3, 0.4], [0.1, 0.0]]] * 2,
                    contact_time=[[0.2, 0.0], [0.0, 0.0]])
    torch.testing.assert_close(mdp.foot_slip(env, "base_velocity", 0.05, FEET_SENSOR, FEET),
                               torch.tensor([0.25, 0.0]))


def test_soft_landing_costs_the_force_of_feet_that_just_touched_down() -> None:
    env = _feet_env(foot_z=[[0, 0]] * 2, foot_vel_xy=[[[0, 0], [0, 0]]] * 2, contact_time=[[0.02, 0.5]] * 2,
                    landed=[[True, False], [False, False]], force=[[400.0, 300.0], [400.0, 300.0]])
    torch.testing.assert_close(mdp.soft_landing(env, "base_velocity", 0.05, FEET_SENSOR), torch.tensor([400.0, 0.0]))


def test_swing_height_costs_the_peak_of_the_swing_that_just_ended() -> None:
    term = mdp.foot_swing_height.__new__(mdp.foot_swing_height)
    term.peak = None
    params = dict(target_height=0.1, sole_height=SOLE, command_name="base_velocity", command_threshold=0.05,
                  sensor_cfg=FEET_SENSOR, asset_cfg=FEET)
    swing = [0.02, 0.05, 0.08, 0.06, 0.01]  # the left foot's swing, peaking at 8 cm; the right foot stays down
    for z in swing:
        env = _feet_env(foot_z=[[z, 0.0]], foot_vel_xy=[[[0, 0], [0, 0]]], contact_time=[[0.0, 1.0]])
        assert term(env, **params).item() == 0.0, "no cost while the foot is in the air"
    landing = _feet_env(foot_z=[[0.0, 0.0]], foot_vel_xy=[[[0, 0], [0, 0]]], contact_time=[[0.02, 1.0]],
                        landed=[[True, False]])
    assert term(landing, **params).item() == pytest.approx((0.08 / 0.1 - 1) ** 2)
    assert term.peak.tolist() == [[0.0, 0.0]], "the next swing starts from zero"


def _self_contact_env(pairs: list[dict[tuple[int, int], float]], bodies: int = 4):
    """One env per dict {(body a, body b): force N}; the sensor sees each pair from both sides, as Newton's does
    when sensing and filter bodies are the same."""
    matrix = torch.zeros(len(pairs), bodies, bodies, 3)
    for env_id, forces in enumerate(pairs):
        for (a, b), force in forces.items():
            matrix[env_id, a, b] = torch.tensor([0.6, 0.0, 0.8]) * force
            matrix[env_id, b, a] = -matrix[env_id, a, b]
    sensor = SimpleNamespace(data=SimpleNamespace(force_matrix_w=_Array(matrix)))
    return SimpleNamespace(scene=SimpleNamespace(sensors={"self_contact": sensor}))


def test_self_collision_counts_the_pairs_pressed_together_above_the_threshold() -> None:
    env = _self_contact_env([{}, {(0, 3): 25.0}, {(0, 3): 25.0, (1, 2): 12.0}, {(1, 2): 9.0}])
    cost = mdp.self_collision(env, SceneEntityCfg("self_contact"), force_threshold=10.0)
    # No contact; a hand in the hip (counted once, not from both sides); two pairs; a touch under the threshold.
    torch.testing.assert_close(cost, torch.tensor([0.0, 1.0, 2.0, 0.0]))


def test_command_curriculum_widens_the_ranges_from_a_quarter_as_episodes_survive() -> None:
    ranges = SimpleNamespace(lin_vel_x=(-1.0, 1.0), lin_vel_y=(-0.5, 0.5), ang_vel_z=(-0.5, 0.5))
    command = SimpleNamespace(cfg=SimpleNamespace(ranges=ranges))
    env = SimpleNamespace(command_manager=SimpleNamespace(get_term=lambda name: command), num_envs=4,
                          device="cpu", episode_length_buf=torch.full((4,), 1000), common_step_counter=1000)
    curriculum = mdp.command_curriculum(SimpleNamespace(params={}), env)
    assert (ranges.lin_vel_x, ranges.lin_vel_y, ranges.ang_vel_z) == ((-0.25, 0.25), (-0.125, 0.125), (-0.125, 0.125))
    window = dict(window=4, raise_above=0.7, lower_below=0.4, step=0.5)
    env.reset_time_outs, env.reset_terminated = torch.ones(4, dtype=torch.bool), torch.zeros(4, dtype=torch.bool)
    curriculum(env, None, **window)
    assert curriculum.level == 0.5 and ranges.lin_vel_x == pytest.approx((-0.625, 0.625)), "all survived: wider"
    env.reset_time_outs, env.reset_terminated = torch.zeros(4, dtype=torch.bool), torch.ones(4, dtype=torch.bool)
    env.episode_length_buf, env.common_step_counter = torch.full((4,), 20), 1020
    curriculum(env, None, **window)
    assert curriculum.level == 0.0 and ranges.ang_vel_z == pytest.approx((-0.125, 0.125)), "all fell: narrower"


def test_success_window_counts_only_whole_episodes() -> None:
    """rsl_rl starts training with random episode lengths: a time-out after 300 of a recorded 1000 steps is not a
    survived episode."""
    ranges = SimpleNamespace(lin_vel_x=(-1.0, 1.0), lin_vel_y=(-1.0, 1.0), ang_vel_z=(-1.0, 1.0))
    command = SimpleNamespace(cfg=SimpleNamespace(ranges=ranges))
    env = SimpleNamespace(command_manager=SimpleNamespace(get_term=lambda name: command), num_envs=4,
                          device="cpu", episode_length_buf=torch.full((4,), 1000), common_step_counter=300,
                          reset_time_outs=torch.ones(4, dtype=torch.bool),
                          reset_terminated=torch.zeros(4, dtype=torch.bool))
    curriculum = mdp.command_curriculum(SimpleNamespace(params={}), env)
    curriculum(env, None, window=4, raise_above=0.7, lower_below=0.4, step=0.5)
    assert curriculum.episodes == 0 and curriculum.level == 0.0
    env.common_step_counter = 1300  # the next episodes began at step 300 and lived their 1000 steps
    curriculum(env, None, window=4, raise_above=0.7, lower_below=0.4, step=0.5)
    assert curriculum.level == 0.5
