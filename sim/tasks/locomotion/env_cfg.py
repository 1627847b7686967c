"""Velocity-command locomotion on flat ground with joint-position actions (manager-based Isaac Lab env).

Robot-agnostic: :func:`make_locomotion_env_cfg` takes the robot config and a few robot numbers (action scale, fall
height, command ranges); ``config/<robot>.py`` fills them in. Terms are Isaac Lab's shared MDP functions
(``isaaclab.envs.mdp``, and the velocity-tracking rewards of ``isaaclab_tasks.core.velocity.mdp``), imported by name;
the task's own terms (success, the positive kernels) are in ``mdp.py``.

Observation groups:

* ``policy``: what a real legged robot measures or is told, in order: IMU angular velocity and projected gravity
  (torso frame), the velocity command, joint positions relative to the default pose, joint velocities, and the
  policy's previous action. Noisy in training (``enable_corruption``).
* ``critic``: the same terms without noise, then privileged state the robot cannot measure directly: base linear
  velocity (torso frame) and base height. For asymmetric actor-critic training; rsl_rl maps groups to networks.

The ground is a local collision plane (``sim/assets/ground/plane.usda``): Isaac Lab's default ground is a Nucleus
download. One episode lasts :data:`EPISODE_LENGTH_S` unless the robot falls (base too low or tilted too far).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import isaaclab.envs.mdp as mdp
import isaaclab.sim as sim_utils
from isaaclab.assets import ArticulationCfg, AssetBaseCfg
from isaaclab.envs import ManagerBasedRLEnvCfg
from isaaclab.managers import CurriculumTermCfg, EventTermCfg, ObservationGroupCfg, ObservationTermCfg, RewardTermCfg
from isaaclab.managers import SceneEntityCfg
from isaaclab.managers import TerminationTermCfg
from isaaclab.scene import InteractiveSceneCfg
from isaaclab.sensors import ContactSensorCfg
from isaaclab.utils import configclass
from isaaclab.utils.noise import UniformNoiseCfg
from isaaclab_tasks.core.velocity.mdp.rewards import track_ang_vel_z_world_exp, track_lin_vel_xy_yaw_frame_exp

from robot_ac.tasks import EnvOptions
from sim import ASSETS_DIR
from sim.actuator_randomization import apply_actuator_randomization
from sim.bootstrap import check_local_assets, newton_physics
from sim.tasks.locomotion import mdp as locomotion_mdp

GROUND_USD = ASSETS_DIR / "ground" / "plane.usda"
SIM_DT = 1 / 150
"""Physics step, s. MuJoCo needs a contact time constant (``solref``) of at least 2 steps; the humanoid's 0.015 s
allows 1/150 s, which runs ~30 % faster on CPU than 1/200 s (the MJCF's own step is 1/180 s)."""
DECIMATION = 3
"""Physics steps per policy step: 50 Hz control."""
EPISODE_LENGTH_S = 10.0
STANDING_EPISODE_LENGTH_S = 20.0
"""Episodes of the standing variant: the anchors' 20 s."""
COMMAND_NAME = "base_velocity"


@dataclass(frozen=True)
class LocomotionRobot:
    """What the locomotion task needs to know about a robot besides its ArticulationCfg."""

    action_scale: float | dict[str, float]
    """rad of joint-target offset from the default pose per unit of action: one for all joints, or by joint name."""
    min_base_height: float
    """The episode ends (a fall) when the base is lower than this, m."""
    max_tilt_rad: float
    """The episode ends (a fall) when the base tilts further than this from upright, rad."""
    njmax: int
    """MuJoCo-Warp constraint rows per env (joint limits + 4 per frictional contact, pyramidal cone)."""
    nconmax: int
    """MuJoCo-Warp contacts per env."""
    lin_vel_x: tuple[float, float] = (0.0, 1.0)
    """Forward velocity command range, m/s (torso heading frame)."""
    lin_vel_y: tuple[float, float] = (0.0, 0.0)
    """Sideways velocity command range, m/s."""
    ang_vel_z: tuple[float, float] = (0.0, 0.0)
    """Yaw-rate command range, rad/s."""
    foot_bodies: str | None = None
    """Regex of the foot bodies, each ending in a sole: the feet contact sensor and the foot terms need them."""
    sole_height: float = 0.0
    """Height of a foot body's origin above flat ground with its sole flat on it, m."""
    torso_body: str | None = None
    """The body whose centre of mass the velocity recipe randomises (mjlab: the torso)."""
    collision_bodies: str = ".*"
    """Regex of the bodies that carry collision geoms, the only ones that can touch each other: the self-contact
    sensor senses these against themselves (a smaller force matrix to fill and read each step)."""


@configclass
class LocomotionSceneCfg(InteractiveSceneCfg):
    """A local ground plane (friction 1, no bounce) and the robot; no lights (Nucleus textures)."""

    ground = AssetBaseCfg(
        prim_path="/World/ground",
        spawn=sim_utils.GroundPlaneCfg(
            usd_path=str(GROUND_USD),
            physics_material=sim_utils.RigidBodyMaterialCfg(static_friction=1.0, dynamic_friction=1.0,
                                                            restitution=0.0),
        ),
    )
    robot: ArticulationCfg = None  # type: ignore[assignment]
    feet_contact: ContactSensorCfg | None = None
    """Feet against anything, with air time: made for robots that name their :attr:`LocomotionRobot.foot_bodies`."""
    self_contact: ContactSensorCfg | None = None
    """The robot's bodies against its own bodies (the velocity recipe's self-collision cost)."""


@configclass
class PolicyObservationsCfg(ObservationGroupCfg):
    """What the real robot provides (in order); noise levels are Isaac Lab's velocity-task ones."""

    base_ang_vel = ObservationTermCfg(func=mdp.base_ang_vel, noise=UniformNoiseCfg(n_min=-0.2, n_max=0.2))
    projected_gravity = ObservationTermCfg(func=mdp.projected_gravity,
                                           noise=UniformNoiseCfg(n_min=-0.05, n_max=0.05))
    velocity_command = ObservationTermCfg(func=mdp.generated_commands, params={"command_name": COMMAND_NAME})
    joint_pos = ObservationTermCfg(func=mdp.joint_pos_rel, noise=UniformNoiseCfg(n_min=-0.01, n_max=0.01))
    joint_vel = ObservationTermCfg(func=mdp.joint_vel_rel, noise=UniformNoiseCfg(n_min=-1.5, n_max=1.5))
    actions = ObservationTermCfg(func=mdp.last_action)

    def __post_init__(self):
        self.enable_corruption = True
        self.concatenate_terms = True


@configclass
class CriticObservationsCfg(ObservationGroupCfg):
    """The policy's terms without noise, then privileged state (appended, so the policy's slice comes first)."""

    base_ang_vel = ObservationTermCfg(func=mdp.base_ang_vel)
    projected_gravity = ObservationTermCfg(func=mdp.projected_gravity)
    velocity_command = ObservationTermCfg(func=mdp.generated_commands, params={"command_name": COMMAND_NAME})
    joint_pos = ObservationTermCfg(func=mdp.joint_pos_rel)
    joint_vel = ObservationTermCfg(func=mdp.joint_vel_rel)
    actions = ObservationTermCfg(func=mdp.last_action)
    base_lin_vel = ObservationTermCfg(func=mdp.base_lin_vel)
    """Privileged: torso linear velocity in the torso frame, m/s."""
    base_height = ObservationTermCfg(func=mdp.base_pos_z)
    """Privileged: torso height above the env origin (the ground), m."""

    def __post_init__(self):
        self.enable_corruption = False
        self.concatenate_terms = True


@configclass
class ObservationsCfg:
    policy: PolicyObservationsCfg = PolicyObservationsCfg()
    critic: CriticObservationsCfg = CriticObservationsCfg()


@configclass
class ActionsCfg:
    joint_pos: mdp.JointPositionActionCfg = None  # type: ignore[assignment]


@configclass
class CommandsCfg:
    base_velocity = mdp.UniformVelocityCommandCfg(
        asset_name="robot",
        resampling_time_range=(5.0, 5.0),
        rel_standing_envs=0.1,
        heading_command=False,
        debug_vis=False,  # the arrow markers load Nucleus meshes
        ranges=mdp.UniformVelocityCommandCfg.Ranges(lin_vel_x=(0.0, 1.0), lin_vel_y=(0.0, 0.0), ang_vel_z=(0.0, 0.0)),
    )


@configclass
class RewardsCfg:
    """Track the command, stay up; small penalties keep the motion smooth and cheap. Weights are per step."""

    track_lin_vel_xy = RewardTermCfg(func=track_lin_vel_xy_yaw_frame_exp, weight=1.0,
                                     params={"command_name": COMMAND_NAME, "std": 0.5})
    track_ang_vel_z = RewardTermCfg(func=track_ang_vel_z_world_exp, weight=0.5,
                                    params={"command_name": COMMAND_NAME, "std": 0.5})
    alive = RewardTermCfg(func=mdp.is_alive, weight=0.5)
    fallen = RewardTermCfg(func=mdp.is_terminated, weight=-10.0)
    upright = RewardTermCfg(func=mdp.flat_orientation_l2, weight=-1.0)
    lin_vel_z = RewardTermCfg(func=mdp.lin_vel_z_l2, weight=-0.2)
    action_rate = RewardTermCfg(func=mdp.action_rate_l2, weight=-0.01)
    torques = RewardTermCfg(func=mdp.joint_torques_l2, weight=-2.0e-5)
    """Squared joint torques: the copper-loss (energy) proxy of Isaac Lab's humanoid velocity tasks."""
    joint_limits = RewardTermCfg(func=mdp.joint_pos_limits, weight=-1.0)
    upright_kernel = RewardTermCfg(func=locomotion_mdp.upright_kernel, weight=0.0, params={"std": 0.25})
    """Positive kernels (mjlab's), off unless a variant weights them: Isaac Lab skips terms of weight 0."""
    posture_kernel = RewardTermCfg(func=locomotion_mdp.posture_kernel, weight=0.0, params={"std": 0.25})
    base_height_kernel = RewardTermCfg(func=locomotion_mdp.base_height_kernel, weight=0.0,
                                       params={"target_height": 0.0, "std": 0.05})
    body_ang_vel_xy = RewardTermCfg(func=mdp.ang_vel_xy_l2, weight=0.0)
    foot_clearance = None
    """The foot terms need a feet contact sensor: set by :func:`make_velocity_recipe`."""
    foot_swing_height = None
    foot_slip = None
    soft_landing = None
    self_collision = None
    """Needs the self-contact sensor: set by :func:`make_velocity_recipe`."""


@configclass
class TerminationsCfg:
    time_out = TerminationTermCfg(func=mdp.time_out, time_out=True)
    base_too_low = TerminationTermCfg(func=mdp.root_height_below_minimum, params={"minimum_height": 0.0})
    fallen_over = TerminationTermCfg(func=mdp.bad_orientation, params={"limit_angle": 1.0})


@configclass
class EventsCfg:
    reset_base = EventTermCfg(func=mdp.reset_root_state_uniform, mode="reset",
                              params={"pose_range": {"yaw": (-3.14159, 3.14159)}, "velocity_range": {}})
    reset_joints = EventTermCfg(func=mdp.reset_joints_by_offset, mode="reset",
                                params={"position_range": (-0.05, 0.05), "velocity_range": (0.0, 0.0)})
    push = None
    """Set by a variant that pushes the robot (:func:`make_standing`)."""
    assist = None
    """The standing curriculum's training wheels (:func:`make_standing`, training only)."""
    foot_friction = None
    """Domain randomisation of the velocity recipe (:func:`make_velocity_recipe`)."""
    torso_com = None


@configclass
class StandingCurriculumCfg:
    """Training only (``EnvOptions.curriculum``): evaluation and play see no assist and full pushes. A window is
    about half the envs' episodes; from the full assist, two raises and a half take it away and as many bring the
    pushes to full."""

    standing = CurriculumTermCfg(func=locomotion_mdp.standing_curriculum,
                                 params={"window": 32, "raise_above": 0.5, "lower_below": 0.25, "step": 0.2})


@configclass
class CommandCurriculumCfg:
    """Training only: the command ranges widen from a quarter to full as episodes survive."""

    commands = CurriculumTermCfg(func=locomotion_mdp.command_curriculum,
                                 params={"window": 64, "raise_above": 0.7, "lower_below": 0.4, "step": 0.125})


@configclass
class LocomotionEnvCfg(ManagerBasedRLEnvCfg):
    scene: LocomotionSceneCfg = LocomotionSceneCfg(num_envs=64, env_spacing=3.0)
    observations: ObservationsCfg = ObservationsCfg()
    actions: ActionsCfg = ActionsCfg()
    commands: CommandsCfg = CommandsCfg()
    rewards: RewardsCfg = RewardsCfg()
    terminations: TerminationsCfg = TerminationsCfg()
    events: EventsCfg = EventsCfg()
    curriculum: StandingCurriculumCfg | CommandCurriculumCfg | None = None


def make_locomotion_env_cfg(opts: EnvOptions, *, robot_cfg: ArticulationCfg, robot: LocomotionRobot
                            ) -> LocomotionEnvCfg:
    """A complete velocity-tracking config for ``robot_cfg``; all joints are commanded, in articulation order."""
    cfg = LocomotionEnvCfg()
    cfg.seed = opts.seed
    cfg.decimation = DECIMATION
    cfg.episode_length_s = EPISODE_LENGTH_S
    cfg.sim.dt = SIM_DT
    cfg.sim.render_interval = DECIMATION
    cfg.sim.device = opts.device
    cfg.sim.physics = newton_physics(opts.device, njmax=robot.njmax, nconmax=robot.nconmax)
    cfg.scene.num_envs = opts.num_envs
    cfg.scene.robot = robot_cfg
    cfg.actions.joint_pos = mdp.JointPositionActionCfg(asset_name="robot", joint_names=[".*"],
                                                       scale=robot.action_scale, use_default_offset=True,
                                                       preserve_order=True)
    cfg.commands.base_velocity.ranges = mdp.UniformVelocityCommandCfg.Ranges(
        lin_vel_x=robot.lin_vel_x, lin_vel_y=robot.lin_vel_y, ang_vel_z=robot.ang_vel_z)
    cfg.terminations.base_too_low.params["minimum_height"] = robot.min_base_height
    cfg.terminations.fallen_over.params["limit_angle"] = robot.max_tilt_rad
    if opts.actuator_randomization is not None:
        apply_actuator_randomization(cfg, opts.actuator_randomization)
    check_local_assets(cfg.scene, "locomotion.scene")
    return cfg


def make_standing(cfg: LocomotionEnvCfg, opts: EnvOptions, *, nominal_height: float,
                  assist: tuple[float, float, float],
                  push_mps: float = 0.5, push_interval_s: tuple[float, float] = (1.0, 3.0)) -> LocomotionEnvCfg:
    """The standing variant of a locomotion config, in place: every env is told to stand (zero command), episodes
    last :data:`STANDING_EPISODE_LENGTH_S`, the base is pushed (its planar velocity set to a uniform draw in
    ±``push_mps``, mjlab's G1 pushes) every ``push_interval_s``, and mjlab's positive kernels pay for an upright
    base, the default posture and the ``nominal_height``. A fall costs what Isaac Lab's G1 charges (-200 x dt).
    With ``opts.curriculum`` (training) the robot starts held up by ``assist`` (:func:`mdp.upright_assist`'s
    stiffness N/m, damping N·s/m and lift N/m), which fades with survival before the
    pushes grow (:class:`StandingCurriculumCfg`)."""
    cfg.episode_length_s = STANDING_EPISODE_LENGTH_S
    command = cfg.commands.base_velocity
    command.rel_standing_envs = 1.0
    command.resampling_time_range = (STANDING_EPISODE_LENGTH_S, STANDING_EPISODE_LENGTH_S)
    command.ranges = mdp.UniformVelocityCommandCfg.Ranges(lin_vel_x=(0.0, 0.0), lin_vel_y=(0.0, 0.0),
                                                          ang_vel_z=(0.0, 0.0))
    cfg.events.push = EventTermCfg(func=mdp.push_by_setting_velocity, mode="interval",
                                   interval_range_s=push_interval_s,
                                   params={"velocity_range": {"x": (-push_mps, push_mps), "y": (-push_mps, push_mps)}})
    if opts.curriculum:
        cfg.events.assist = EventTermCfg(func=locomotion_mdp.upright_assist, mode="interval",
                                         interval_range_s=(0.0, 0.0), is_global_time=True,
                                         params={"stiffness": assist[0], "damping": assist[1], "lift": assist[2],
                                                 "height": nominal_height})
        cfg.curriculum = StandingCurriculumCfg()
    rewards = cfg.rewards
    rewards.upright_kernel.weight = 1.0
    rewards.posture_kernel.weight = 1.0
    rewards.base_height_kernel.weight = 1.0
    rewards.base_height_kernel.params["target_height"] = nominal_height
    rewards.body_ang_vel_xy.weight = -0.05
    rewards.fallen.weight = -200.0
    rewards.alive.weight = 0.0
    rewards.action_rate.weight = -0.1
    rewards.torques.weight = -1.5e-7
    return cfg


VELOCITY_EPISODE_LENGTH_S = 20.0
"""Episodes of the velocity recipe: the anchors' 20 s."""
POSTURE_STD_WALKING = {r".*hip_pitch.*": 0.3, r".*hip_roll.*": 0.15, r".*hip_yaw.*": 0.15, r".*knee.*": 0.35,
                       r".*ankle_pitch.*": 0.25, r".*ankle_roll.*": 0.1, r".*waist_yaw.*": 0.2,
                       r".*waist_roll.*": 0.08, r".*waist_pitch.*": 0.1, r".*shoulder_pitch.*": 0.15,
                       r".*shoulder_roll.*": 0.15, r".*shoulder_yaw.*": 0.1, r".*elbow.*": 0.15, r".*wrist.*": 0.3}
"""mjlab 1.6's G1 posture widths while walking, rad (standing: 0.05 everywhere)."""
POSTURE_STD_RUNNING = {r".*hip_pitch.*": 0.5, r".*hip_roll.*": 0.2, r".*hip_yaw.*": 0.2, r".*knee.*": 0.6,
                       r".*ankle_pitch.*": 0.35, r".*ankle_roll.*": 0.15, r".*waist_yaw.*": 0.3,
                       r".*waist_roll.*": 0.08, r".*waist_pitch.*": 0.2, r".*shoulder_pitch.*": 0.5,
                       r".*shoulder_roll.*": 0.2, r".*shoulder_yaw.*": 0.15, r".*elbow.*": 0.35, r".*wrist.*": 0.3}


def make_mjlab_rewards(cfg: LocomotionEnvCfg, robot: LocomotionRobot, *, std_walking: dict[str, float],
                       std_running: dict[str, float]) -> LocomotionEnvCfg:
    """mjlab 1.6's velocity reward set, in place, for a robot that names its feet: the tracking kernels (2 + 2),
    upright and speed-dependent posture kernels (1 + 1; posture widths by joint-name regex, rad, 0.05 standing,
    ``std_walking`` / ``std_running`` moving), action rate, joint limits, body angular velocity, centroidal angular
    momentum, foot clearance, swing height, slip and soft landing on a feet contact sensor with air time, and
    self-collision (body pairs pressed together over 10 N) on a sensor of the robot against itself. mjlab has no
    alive, fall or torque terms: they go."""
    if robot.foot_bodies is None:
        raise ValueError("make_mjlab_rewards: the robot must name its foot_bodies")
    cfg.scene.feet_contact = ContactSensorCfg(prim_path="{ENV_REGEX_NS}/Robot/.*" + robot.foot_bodies,
                                              track_air_time=True, history_length=3)
    colliding = "{ENV_REGEX_NS}/Robot/.*" + robot.collision_bodies
    cfg.scene.self_contact = ContactSensorCfg(prim_path=colliding, filter_prim_paths_expr=[colliding])
    feet = SceneEntityCfg("robot", body_names=robot.foot_bodies)
    feet_sensor = SceneEntityCfg("feet_contact", body_names=robot.foot_bodies)
    gate = {"command_name": COMMAND_NAME, "command_threshold": 0.05}

    rewards = cfg.rewards
    rewards.track_lin_vel_xy.weight = 2.0
    rewards.track_ang_vel_z.weight = 2.0
    rewards.track_ang_vel_z.params["std"] = math.sqrt(0.5)
    rewards.upright_kernel.weight = 1.0
    rewards.upright_kernel.params["std"] = math.sqrt(0.2)
    rewards.posture_kernel = RewardTermCfg(func=locomotion_mdp.speed_posture_kernel, weight=1.0, params={
        "std_standing": {".*": 0.05}, "std_walking": std_walking, "std_running": std_running,
        "command_name": COMMAND_NAME, "walking_threshold": 0.05, "running_threshold": 1.5})
    rewards.action_rate.weight = -0.1
    rewards.joint_limits.weight = -1.0
    rewards.body_ang_vel_xy.weight = -0.05
    rewards.angular_momentum = RewardTermCfg(func=locomotion_mdp.angular_momentum, weight=-0.02)
    rewards.alive = rewards.fallen = rewards.upright = rewards.lin_vel_z = rewards.torques = None
    rewards.base_height_kernel = None
    rewards.foot_clearance = RewardTermCfg(func=locomotion_mdp.foot_clearance, weight=-2.0, params={
        "target_height": 0.1, "sole_height": robot.sole_height, "asset_cfg": feet, **gate})
    rewards.foot_swing_height = RewardTermCfg(func=locomotion_mdp.foot_swing_height, weight=-0.25, params={
        "target_height": 0.1, "sole_height": robot.sole_height, "sensor_cfg": feet_sensor, "asset_cfg": feet, **gate})
    rewards.foot_slip = RewardTermCfg(func=locomotion_mdp.foot_slip, weight=-0.1,
                                      params={"sensor_cfg": feet_sensor, "asset_cfg": feet, **gate})
    rewards.soft_landing = RewardTermCfg(func=locomotion_mdp.soft_landing, weight=-1e-5,
                                         params={"sensor_cfg": feet_sensor, **gate})
    rewards.self_collision = RewardTermCfg(func=locomotion_mdp.self_collision, weight=-1.0, params={
        "sensor_cfg": SceneEntityCfg("self_contact"), "force_threshold": 10.0})
    return cfg


def make_velocity_recipe(cfg: LocomotionEnvCfg, opts: EnvOptions, robot: LocomotionRobot) -> LocomotionEnvCfg:
    """mjlab 1.6's velocity task, in place, for a robot that names its feet and torso: its rewards
    (:func:`make_mjlab_rewards` with the G1's posture widths); heading commands with a standing share, resampled
    every 3-8 s, their ranges widening in training (:class:`CommandCurriculumCfg`); 20 s episodes; pushes every
    1-3 s, foot friction 0.3-1.2, encoder bias ±0.015 rad and torso centre of mass ±2.5 cm; a critic that also sees
    foot heights, air times and contact forces."""
    if robot.foot_bodies is None or robot.torso_body is None:
        raise ValueError("make_velocity_recipe: the robot must name its foot_bodies and torso_body")
    make_mjlab_rewards(cfg, robot, std_walking=POSTURE_STD_WALKING, std_running=POSTURE_STD_RUNNING)
    cfg.episode_length_s = VELOCITY_EPISODE_LENGTH_S
    feet = SceneEntityCfg("robot", body_names=robot.foot_bodies)
    feet_sensor = SceneEntityCfg("feet_contact", body_names=robot.foot_bodies)

    base = cfg.commands.base_velocity
    command = cfg.commands.base_velocity = locomotion_mdp.ForwardShareVelocityCommandCfg(
        asset_name=base.asset_name, debug_vis=base.debug_vis, ranges=base.ranges, rel_forward_envs=0.2)
    command.resampling_time_range = (3.0, 8.0)
    command.rel_standing_envs = 0.1
    command.heading_command = True
    command.rel_heading_envs = 0.3
    command.heading_control_stiffness = 0.5
    command.ranges.heading = (-math.pi, math.pi)

    cfg.events.push = EventTermCfg(func=mdp.push_by_setting_velocity, mode="interval", interval_range_s=(1.0, 3.0),
                                   params={"velocity_range": {"x": (-0.5, 0.5), "y": (-0.5, 0.5), "z": (-0.4, 0.4),
                                                              "roll": (-0.52, 0.52), "pitch": (-0.52, 0.52),
                                                              "yaw": (-0.78, 0.78)}})
    cfg.events.foot_friction = EventTermCfg(func=mdp.randomize_rigid_body_material, mode="startup", params={
        "asset_cfg": feet, "static_friction_range": (0.3, 1.2), "dynamic_friction_range": (0.3, 1.2),
        "restitution_range": (0.0, 0.0), "num_buckets": 64})
    cfg.events.torso_com = EventTermCfg(func=mdp.randomize_rigid_body_com, mode="startup", params={
        "asset_cfg": SceneEntityCfg("robot", body_names=robot.torso_body),
        "com_range": {"x": (-0.025, 0.025), "y": (-0.025, 0.025), "z": (-0.03, 0.03)}})
    policy = cfg.observations.policy
    policy.joint_pos = ObservationTermCfg(func=locomotion_mdp.joint_pos_with_encoder_bias, params={"bias": 0.015},
                                          noise=policy.joint_pos.noise)

    critic = cfg.observations.critic
    critic.foot_height = ObservationTermCfg(func=locomotion_mdp.foot_heights,
                                            params={"sole_height": robot.sole_height, "asset_cfg": feet})
    critic.feet_air_time = ObservationTermCfg(func=locomotion_mdp.feet_air_time, params={"sensor_cfg": feet_sensor})
    critic.feet_contact_force = ObservationTermCfg(func=locomotion_mdp.feet_contact_force,
                                                   params={"sensor_cfg": feet_sensor})
    if opts.curriculum:
        cfg.curriculum = CommandCurriculumCfg()
    return cfg
