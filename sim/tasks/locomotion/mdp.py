"""Terms of the locomotion task beyond Isaac Lab's shared ones (which ``env_cfg.py`` imports by name).

The positive kernels are mjlab 1.6's way of paying for standing well (its velocity task weights posture and
uprightness 1 + 1 beside tracking 2 + 2): each is 1 at the target and falls off as a Gaussian of the error with
width ``std``, so the reward has a gradient near the target that an L2 penalty, flat at zero error, lacks.

The foot terms are mjlab 1.6's stepping signal (clearance, swing height, slip, soft landing). They read the feet
from the robot's data (``asset_cfg.body_ids``: the foot bodies) and from a contact sensor on the same bodies
(``sensor_cfg``, Isaac Lab's ``ContactSensor`` with air time), and count only while the robot is told to move
(:func:`moving_command`): standing still needs no steps. A foot's height is its body's height above the env's
ground less ``sole_height``, the body's height when the sole rests flat on it.
"""

from __future__ import annotations

import isaaclab.utils.string as string_utils
import torch
from isaaclab.envs.mdp import UniformVelocityCommand, UniformVelocityCommandCfg
from isaaclab.managers import ManagerTermBase, SceneEntityCfg
from isaaclab.utils import configclass
from isaaclab.utils.math import (matrix_from_quat, quat_apply_inverse, quat_conjugate,
                                  quat_from_angle_axis, quat_mul)

from sim.tasks.curriculum import SuccessWindowCurriculum, env_indices

ROBOT = SceneEntityCfg("robot")


def survived(env) -> torch.Tensor:
    """Success: the episode ran to its time limit without a fall."""
    return env.reset_time_outs & ~env.reset_terminated


def stood_at_height(nominal_height: float, tolerance: float):
    """Success of a standing task: the episode ran to its time limit without a fall, the base at the end within
    ``tolerance`` (m) of ``nominal_height`` above the ground."""

    def success(env) -> torch.Tensor:
        height = env.scene["robot"].data.root_pos_w[:, 2] - env.scene.env_origins[:, 2]
        return survived(env) & ((height - nominal_height).abs() <= tolerance)

    return success


def upright_kernel(env, std: float, asset_cfg: SceneEntityCfg = ROBOT) -> torch.Tensor:
    """exp(-|g_xy|² / std²): g is the unit gravity direction in the base frame, so |g_xy| = sin(tilt)."""
    gravity = env.scene[asset_cfg.name].data.projected_gravity_b
    return torch.exp(-gravity[:, :2].square().sum(dim=1) / std**2)


def posture_kernel(env, std: float, asset_cfg: SceneEntityCfg = ROBOT) -> torch.Tensor:
    """exp(-mean_j (q_j - q0_j)² / std²) over the asset's joints (rad): 1 in the default pose."""
    data = env.scene[asset_cfg.name].data
    error = data.joint_pos[:, asset_cfg.joint_ids] - data.default_joint_pos[:, asset_cfg.joint_ids]
    return torch.exp(-error.square().mean(dim=1) / std**2)


def base_height_kernel(env, target_height: float, std: float, asset_cfg: SceneEntityCfg = ROBOT) -> torch.Tensor:
    """exp(-(h - target)² / std²), h the base height above the env's ground (m)."""
    height = env.scene[asset_cfg.name].data.root_pos_w[:, 2] - env.scene.env_origins[:, 2]
    return torch.exp(-(height - target_height).square() / std**2)


class speed_posture_kernel(ManagerTermBase):
    """mjlab's ``variable_posture``: the posture kernel exp(-mean_j (q_j - q0_j)² / std_j²) with per-joint widths
    that loosen with the commanded speed |v_xy| + |ω_z|: ``std_standing`` below ``walking_threshold``,
    ``std_walking`` up to ``running_threshold``, ``std_running`` above. Widths are given by joint-name regex."""

    def __init__(self, cfg, env):
        super().__init__(cfg, env)
        names = env.scene["robot"].joint_names
        self.widths = {regime: torch.tensor(string_utils.resolve_matching_names_values(cfg.params[regime], names)[2],
                                            device=env.device)
                       for regime in ("std_standing", "std_walking", "std_running")}

    def __call__(self, env, std_standing: dict[str, float], std_walking: dict[str, float],
                 std_running: dict[str, float], command_name: str, walking_threshold: float = 0.5,
                 running_threshold: float = 1.5, asset_cfg: SceneEntityCfg = ROBOT) -> torch.Tensor:
        speed = command_speed(env, command_name).unsqueeze(1)
        std = torch.where(speed < walking_threshold, self.widths["std_standing"],
                          torch.where(speed < running_threshold, self.widths["std_walking"],
                                      self.widths["std_running"]))
        data = env.scene[asset_cfg.name].data
        error = data.joint_pos.torch - data.default_joint_pos.torch
        return torch.exp(-(error.square() / std.square()).mean(dim=1))


def command_speed(env, command_name: str) -> torch.Tensor:
    """(num_envs,) |v_xy| + |ω_z| of the velocity command: how much motion it asks for (mjlab's measure)."""
    command = env.command_manager.get_command(command_name)
    return command[:, :2].norm(dim=1) + command[:, 2].abs()


def moving_command(env, command_name: str, threshold: float) -> torch.Tensor:
    """(num_envs,) float: 1 where the command asks for motion, :func:`command_speed` above ``threshold``."""
    return (command_speed(env, command_name) > threshold).float()


def centroidal_angular_momentum(env, asset_cfg: SceneEntityCfg = ROBOT) -> torch.Tensor:
    """The whole body's angular momentum about its centre of mass in the world frame, kg·m²/s [envs, 3]: each
    body's orbit around the common centre of mass, m (c - c̄) × (v - v̄), plus its spin, R I Rᵀ ω (I about the
    body's centre of mass in the body's frame, R that frame's orientation)."""
    data = env.scene[asset_cfg.name].data
    mass = data.body_mass.torch
    com, velocity = data.body_com_pos_w.torch, data.body_com_lin_vel_w.torch
    total = mass.sum(dim=1, keepdim=True)
    offset = com - (mass.unsqueeze(-1) * com).sum(dim=1, keepdim=True) / total.unsqueeze(-1)
    relative_velocity = velocity - (mass.unsqueeze(-1) * velocity).sum(dim=1, keepdim=True) / total.unsqueeze(-1)
    orbit = mass.unsqueeze(-1) * torch.cross(offset, relative_velocity, dim=-1)
    rotation = matrix_from_quat(data.body_com_quat_w.torch)
    inertia = data.body_inertia.torch.reshape(*mass.shape, 3, 3)
    omega = data.body_com_ang_vel_w.torch
    spin = rotation @ (inertia @ (rotation.transpose(-1, -2) @ omega.unsqueeze(-1)))  # matrix-vector products only
    return (orbit + spin.squeeze(-1)).sum(dim=1)


def angular_momentum(env, asset_cfg: SceneEntityCfg = ROBOT) -> torch.Tensor:
    """mjlab's angular-momentum penalty: the squared norm of :func:`centroidal_angular_momentum` (a body that
    swings its limbs to stay up, or spins, pays for it)."""
    return centroidal_angular_momentum(env, asset_cfg).square().sum(dim=-1)


def feet_frame(env, asset_cfg: SceneEntityCfg) -> tuple[torch.Tensor, torch.Tensor]:
    """The frame of a biped's two feet (``asset_cfg.body_ids``: left, then right): origin at their bodies'
    midpoint, z up, x ahead (perpendicular to the line from the right foot to the left), as (origin [envs, 3],
    heading quaternion [envs, 4] x, y, z, w)."""
    feet = env.scene[asset_cfg.name].data.body_link_pos_w.torch[:, asset_cfg.body_ids]
    left, right = feet[:, 0], feet[:, 1]
    side = left - right
    heading = torch.atan2(-side[:, 0], side[:, 1])
    up = torch.zeros_like(left)
    up[:, 2] = 1.0
    return (left + right) / 2, quat_from_angle_axis(heading, up)


def pelvis_in_feet_frame(env, asset_cfg: SceneEntityCfg) -> torch.Tensor:
    """Privileged [envs, 13]: the root body in :func:`feet_frame` — position (m), orientation (x, y, z, w), its
    origin's linear velocity in that frame (m/s) and its angular velocity in its own frame (rad/s). What a
    balance controller needs and an IMU with encoders only estimates."""
    data = env.scene[asset_cfg.name].data
    origin, heading = feet_frame(env, asset_cfg)
    root_quat = data.root_link_quat_w.torch
    position = quat_apply_inverse(heading, data.root_link_pos_w.torch - origin)
    orientation = quat_mul(quat_conjugate(heading), root_quat)
    velocity = quat_apply_inverse(heading, data.root_link_lin_vel_w.torch)
    angular_velocity = quat_apply_inverse(root_quat, data.root_link_ang_vel_w.torch)
    return torch.cat((position, orientation, velocity, angular_velocity), dim=-1)


def foot_heights(env, sole_height: float, asset_cfg: SceneEntityCfg) -> torch.Tensor:
    """(num_envs, feet) height of each sole above the env's ground, m."""
    z = env.scene[asset_cfg.name].data.body_pos_w.torch[:, asset_cfg.body_ids, 2]
    return z - env.scene.env_origins[:, 2:3] - sole_height


def _foot_speed_xy(env, asset_cfg: SceneEntityCfg) -> torch.Tensor:
    return env.scene[asset_cfg.name].data.body_lin_vel_w.torch[:, asset_cfg.body_ids, :2].norm(dim=-1)


def _in_contact(env, sensor_cfg: SceneEntityCfg) -> torch.Tensor:
    return env.scene.sensors[sensor_cfg.name].data.current_contact_time.torch[:, sensor_cfg.body_ids] > 0.0


def _landed(env, sensor_cfg: SceneEntityCfg) -> torch.Tensor:
    """(num_envs, feet) bool: the foot touched down during the last control step."""
    first = env.scene.sensors[sensor_cfg.name].compute_first_contact(env.step_dt).torch[:, sensor_cfg.body_ids]
    return first > 0  # a float mask from the sensor


def foot_clearance(env, target_height: float, sole_height: float, command_name: str, command_threshold: float,
                   asset_cfg: SceneEntityCfg) -> torch.Tensor:
    """Cost Σ_feet |h - target| · |v_xy|: a foot moving over the ground should be ``target_height`` up (mjlab's
    ``feet_clearance``); a foot at rest costs nothing wherever it is."""
    error = (foot_heights(env, sole_height, asset_cfg) - target_height).abs()
    return (error * _foot_speed_xy(env, asset_cfg)).sum(dim=1) * moving_command(env, command_name, command_threshold)


def foot_slip(env, command_name: str, command_threshold: float, sensor_cfg: SceneEntityCfg,
              asset_cfg: SceneEntityCfg) -> torch.Tensor:
    """Cost Σ_feet in contact |v_xy|², (m/s)²: a foot on the ground should not slide (mjlab's ``feet_slip``)."""
    slip = _foot_speed_xy(env, asset_cfg).square() * _in_contact(env, sensor_cfg)
    return slip.sum(dim=1) * moving_command(env, command_name, command_threshold)


def soft_landing(env, command_name: str, command_threshold: float, sensor_cfg: SceneEntityCfg) -> torch.Tensor:
    """Cost Σ_feet |F| at touch-down, N: footfalls should be soft (mjlab's ``soft_landing``)."""
    force = env.scene.sensors[sensor_cfg.name].data.net_forces_w.torch[:, sensor_cfg.body_ids].norm(dim=-1)
    return (force * _landed(env, sensor_cfg)).sum(dim=1) * moving_command(env, command_name, command_threshold)


def self_collision(env, sensor_cfg: SceneEntityCfg, force_threshold: float) -> torch.Tensor:
    """Cost: the number of pairs of the robot's bodies pressed together harder than ``force_threshold`` (N) — a
    hand in the hip, a knee against the other (mjlab's ``self_collision_cost``). ``sensor_cfg`` names a contact
    sensor whose sensing bodies and filter bodies are both the robot's bodies, so its force matrix holds each pair
    twice, once from either side. The sensor keeps no history, so it is read once a control step: the cost counts
    the pairs of the step's last physics step, where mjlab counts the physics steps of the control step (4 there)
    that had any self-contact above the threshold. (A history of ``decimation`` entries would hold physics steps
    only while Isaac Lab steps the physics one physics step at a time, as it does for these tasks; on Newton's
    actuator fast path, which runs a whole control step in one call, its entries would be control steps.)"""
    force = env.scene.sensors[sensor_cfg.name].data.force_matrix_w.torch
    pressed = force.norm(dim=-1) > force_threshold
    return pressed.sum(dim=(1, 2)).float() / 2


def feet_air_time(env, sensor_cfg: SceneEntityCfg) -> torch.Tensor:
    """Privileged observation: (num_envs, feet) seconds each foot has been off the ground (0 on it)."""
    return env.scene.sensors[sensor_cfg.name].data.current_air_time.torch[:, sensor_cfg.body_ids]


def feet_contact_force(env, sensor_cfg: SceneEntityCfg) -> torch.Tensor:
    """Privileged observation: (num_envs, feet) magnitude of each foot's contact force, in units of 100 N (the
    G1 stands on about 160 N a foot), so the critic's inputs stay near 1."""
    force = env.scene.sensors[sensor_cfg.name].data.net_forces_w.torch[:, sensor_cfg.body_ids]
    return force.norm(dim=-1) / 100.0


class joint_pos_with_encoder_bias(ManagerTermBase):
    """Joint positions relative to the default pose as a miscalibrated encoder reads them: each joint off by a
    bias drawn uniformly in ±``bias`` (rad) at every reset and fixed for the episode. mjlab draws its encoder bias
    once at start-up (one robot's calibration for the whole run); a draw per episode shows the policy many robots'
    calibrations from the same envs."""

    def __init__(self, cfg, env):
        super().__init__(cfg, env)
        self.offset = torch.zeros(env.num_envs, env.scene["robot"].num_joints, device=env.device)

    def reset(self, env_ids=None) -> None:
        ids = env_indices(self._env, env_ids)
        bias = self.cfg.params["bias"]
        self.offset[ids] = (torch.rand(len(ids), self.offset.shape[1], device=self.offset.device) * 2 - 1) * bias

    def __call__(self, env, bias: float, asset_cfg: SceneEntityCfg = ROBOT) -> torch.Tensor:
        data = env.scene[asset_cfg.name].data
        return data.joint_pos.torch - data.default_joint_pos.torch + self.offset


class foot_swing_height(ManagerTermBase):
    """Cost Σ_feet (peak / target - 1)² at each touch-down, the peak the foot's highest point in the swing that
    just ended (mjlab's ``feet_swing_height``): swings should reach ``target_height``, no lower and no higher."""

    def __init__(self, cfg, env):
        super().__init__(cfg, env)
        self.peak: torch.Tensor | None = None
        """(num_envs, feet) highest sole height since the foot's last touch-down, m; sized at the first call."""

    def reset(self, env_ids=None) -> None:
        if self.peak is not None:
            self.peak[slice(None) if env_ids is None else env_ids] = 0.0

    def __call__(self, env, target_height: float, sole_height: float, command_name: str, command_threshold: float,
                 sensor_cfg: SceneEntityCfg, asset_cfg: SceneEntityCfg) -> torch.Tensor:
        height = foot_heights(env, sole_height, asset_cfg)
        if self.peak is None:
            self.peak = torch.zeros_like(height)
        self.peak = torch.where(_in_contact(env, sensor_cfg), self.peak, torch.maximum(self.peak, height))
        landed = _landed(env, sensor_cfg)
        cost = ((self.peak / target_height - 1.0).square() * landed).sum(dim=1)
        self.peak = torch.where(landed, torch.zeros_like(self.peak), self.peak)
        return cost * moving_command(env, command_name, command_threshold)


def upright_assist(env, env_ids, stiffness: float, damping: float, lift: float, height: float,
                   asset_cfg: SceneEntityCfg = ROBOT) -> None:
    """Training wheels, an interval event run every control step: a horizontal spring-damper that holds the base
    over the env's origin, where it starts, F_xy = -stiffness · Δp_xy - damping · v_xy, and a harness that lifts it
    when it sags below ``height``, F_z = lift · (height - z) ≥ 0 (world frame, N). The assistive-force curriculum
    of Yu, Turk and Liu (2018): a G1 at mjlab's gains falls on its face in 1.3 s without a policy (its ankles,
    57 N·m/rad together, cannot hold m·g·h ≈ 226 N·m/rad); with the assist a young policy lives long enough to
    learn what standing pays, and :class:`standing_curriculum` takes the assist away. Forces and not a righting
    torque: the hips' PD (40 N·m/rad) would let a torque spin the light pelvis on the legs instead."""
    asset = env.scene[asset_cfg.name]
    ids = env_indices(env, env_ids)
    offset = asset.data.root_pos_w.torch[ids] - env.scene.env_origins[ids]
    force = torch.zeros(len(ids), 1, 3, device=env.device)
    force[:, 0, :2] = -stiffness * offset[:, :2] - damping * asset.data.root_lin_vel_w.torch[ids, :2]
    force[:, 0, 2] = (lift * (height - offset[:, 2])).clamp(min=0.0)
    asset.permanent_wrench_composer.set_forces_and_torques_index(forces=force, body_ids=[0], env_ids=ids,
                                                                 is_global=True)


class standing_curriculum(SuccessWindowCurriculum):
    """Standing learned in two halves (:class:`sim.tasks.curriculum.SuccessWindowCurriculum`): from level 0 to
    :attr:`ASSIST_END` the :func:`upright_assist` fades from its configured strength to none, with no pushes; from
    there to 1 the pushes grow from none to the ``push`` event's range as configured (the task as evaluated).
    Success is :func:`survived`: a robot that cannot yet stand on its own learns that first."""

    ASSIST_END = 0.5

    def __init__(self, cfg, env):
        super().__init__(cfg, env)
        self.full_push = dict(env.event_manager.get_term_cfg("push").params["velocity_range"])
        assist = env.event_manager.get_term_cfg("assist").params
        self.full_assist = {gain: assist[gain] for gain in ("stiffness", "damping", "lift")}
        self.apply(env)

    def succeeded(self, env) -> torch.Tensor:
        return survived(env)

    def assist_scale(self) -> float:
        return max(0.0, 1.0 - self.level / self.ASSIST_END)

    def push_scale(self) -> float:
        return max(0.0, (self.level - self.ASSIST_END) / (1.0 - self.ASSIST_END))

    def apply(self, env) -> None:
        assist = env.event_manager.get_term_cfg("assist").params
        for gain, full in self.full_assist.items():
            assist[gain] = full * self.assist_scale()
        env.event_manager.get_term_cfg("push").params["velocity_range"] = {
            axis: (low * self.push_scale(), high * self.push_scale()) for axis, (low, high) in self.full_push.items()}


class command_curriculum(SuccessWindowCurriculum):
    """Velocity commands that widen as the robot copes (:class:`sim.tasks.curriculum.SuccessWindowCurriculum`):
    level 0 draws from :attr:`START_SCALE` of each configured range, 1 from the full ranges (the task as
    evaluated). Success is :func:`survived`. mjlab widens its G1's ranges after fixed iteration counts instead."""

    START_SCALE = 0.25
    COMMAND = "base_velocity"

    def __init__(self, cfg, env):
        super().__init__(cfg, env)
        ranges = env.command_manager.get_term(self.COMMAND).cfg.ranges
        self.full = {axis: getattr(ranges, axis) for axis in ("lin_vel_x", "lin_vel_y", "ang_vel_z")}
        self.apply(env)

    def succeeded(self, env) -> torch.Tensor:
        return survived(env)

    def apply(self, env) -> None:
        scale = self.START_SCALE + (1.0 - self.START_SCALE) * self.level
        ranges = env.command_manager.get_term(self.COMMAND).cfg.ranges
        for axis, (low, high) in self.full.items():
            setattr(ranges, axis, (low * scale, high * scale))


FORWARD_SPEED_MPS = 0.3
"""mjlab's least forward speed of a forward-only command."""


class ForwardShareVelocityCommand(UniformVelocityCommand):
    """Isaac Lab's velocity command with mjlab's forward-only share: at each resampling a ``rel_forward_envs``
    fraction of the envs is told to walk straight ahead (v_x = max(|v_x|, 0.3 m/s), v_y = ω_z = 0), the gait a
    robot is asked for most. Under the command curriculum's narrower ranges the floor is the range's top speed."""

    cfg: ForwardShareVelocityCommandCfg

    def __init__(self, cfg: ForwardShareVelocityCommandCfg, env) -> None:
        super().__init__(cfg, env)
        self.is_forward_env = torch.zeros(self.num_envs, dtype=torch.bool, device=self.device)

    def _resample_command(self, env_ids) -> None:
        super()._resample_command(env_ids)
        ids = torch.arange(self.num_envs, device=self.device)[env_ids]
        self.is_forward_env[ids] = torch.rand(len(ids), device=self.device) < self.cfg.rel_forward_envs
        forward = ids[self.is_forward_env[ids]]
        floor = min(FORWARD_SPEED_MPS, self.cfg.ranges.lin_vel_x[1])
        self.vel_command_b[forward, 0] = self.vel_command_b[forward, 0].abs().clamp(min=floor)
        self.vel_command_b[forward, 1:] = 0.0


@configclass
class ForwardShareVelocityCommandCfg(UniformVelocityCommandCfg):
    class_type: type = ForwardShareVelocityCommand
    rel_forward_envs: float = 0.0
    """Fraction of the envs given forward-only commands at each resampling (mjlab's G1: 0.2)."""
