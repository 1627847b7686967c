"""Reach: move a body of the robot to a random pose goal, commanded through joint-position targets or, in task
space, through pose increments of that body into an operational-space impedance controller.

Robot-agnostic: :func:`make_reach_env_cfg` takes the robot config, the end-effector body and the arm joints; the
robot-specific file (``config/<robot>.py``) fills them in. Terms are Isaac Lab's shared MDP functions, imported by
name; the task's own terms (success) are in ``mdp.py``. One goal per episode; an episode ends when the goal is
reached (success) or at its time limit.
"""

from __future__ import annotations

import math

import isaaclab.envs.mdp as mdp
from isaaclab.assets import ArticulationCfg
from isaaclab.envs.mdp import OperationalSpaceControllerActionCfg
from isaaclab.envs import ManagerBasedRLEnvCfg
from isaaclab.managers import EventTermCfg, ObservationGroupCfg, ObservationTermCfg, RewardTermCfg, SceneEntityCfg
from isaaclab.managers import TerminationTermCfg
from isaaclab.scene import InteractiveSceneCfg
from isaaclab.utils import configclass
from isaaclab.utils.noise import UniformNoiseCfg

from robot_ac.tasks import EnvOptions
from sim.bootstrap import check_local_assets, newton_physics
from sim.tasks.reach import mdp as reach_mdp

SIM_DT = 1 / 120
"""Physics step, s."""
DECIMATION = 2
"""Physics steps per policy step: 60 Hz control."""
EPISODE_LENGTH_S = 5.0
POSITION_SUCCESS_M = 0.05
ORIENTATION_SUCCESS_RAD = 0.2
GOAL_ORIENTATION_REFERENCE = (1.0, 0.0, 0.0, 0.0)
"""Task-space goals' quaternions are given in this one's hemisphere: the hand pointing down, as the robot's
``cartesian.orientation_reference`` (it canonicalises its goals and measured poses the same way)."""
NJMAX = 20
"""Constraint rows per world: at most the 9 joint limits; the robot makes no contacts in this task."""
NCONMAX = 20


@configclass
class ReachSceneCfg(InteractiveSceneCfg):
    """Just the robot: no ground, table or lights (no contacts happen, and offline means no Nucleus assets)."""

    robot: ArticulationCfg = None  # type: ignore[assignment]


@configclass
class PolicyObservationsCfg(ObservationGroupCfg):
    """What the real robot provides: joint states, the goal, and the policy's own previous action (in order)."""

    joint_pos = ObservationTermCfg(func=mdp.joint_pos_rel, noise=UniformNoiseCfg(n_min=-0.01, n_max=0.01))
    joint_vel = ObservationTermCfg(func=mdp.joint_vel_rel, noise=UniformNoiseCfg(n_min=-0.01, n_max=0.01))
    pose_command = ObservationTermCfg(func=mdp.generated_commands, params={"command_name": "ee_pose"})
    actions = ObservationTermCfg(func=mdp.last_action)

    def __post_init__(self):
        self.enable_corruption = True
        self.concatenate_terms = True


@configclass
class TaskSpaceObservationsCfg(ObservationGroupCfg):
    """What a Cartesian robot provides: the end effector's measured pose and velocity, the goal, the last action."""

    ee_pose = ObservationTermCfg(func=reach_mdp.body_pose, noise=UniformNoiseCfg(n_min=-0.0005, n_max=0.0005))
    ee_velocity = ObservationTermCfg(func=reach_mdp.body_velocity, noise=UniformNoiseCfg(n_min=-0.01, n_max=0.01))
    pose_command = ObservationTermCfg(func=reach_mdp.pose_command_in_hemisphere,
                                      params={"command_name": "ee_pose", "reference": GOAL_ORIENTATION_REFERENCE})
    actions = ObservationTermCfg(func=mdp.last_action)

    def __post_init__(self):
        self.enable_corruption = True
        self.concatenate_terms = True


@configclass
class ObservationsCfg:
    policy: PolicyObservationsCfg = PolicyObservationsCfg()


@configclass
class ActionsCfg:
    arm_action: mdp.JointPositionActionCfg = None  # type: ignore[assignment]


@configclass
class CommandsCfg:
    ee_pose = mdp.UniformPoseCommandCfg(
        asset_name="robot",
        body_name="",
        resampling_time_range=(1.0e9, 1.0e9),  # one goal per episode; a reset draws a new one
        debug_vis=False,  # the goal markers load Nucleus meshes
        position_success_threshold=POSITION_SUCCESS_M,
        orientation_success_threshold=ORIENTATION_SUCCESS_RAD,
        # Hand pointing down, yaw within 90 degrees of the ready pose's (yaw pi in this roll-pitch-yaw: the hand is
        # turned half a circle from the base's x axis), so every goal is inside the wrist's range the short way
        # round (centred on yaw 0, half the goals needed the hand turned 90-180 degrees, past joint 7's limit).
        ranges=mdp.UniformPoseCommandCfg.Ranges(
            pos_x=(0.35, 0.65), pos_y=(-0.2, 0.2), pos_z=(0.15, 0.5), roll=(0.0, 0.0), pitch=(math.pi, math.pi),
            yaw=(math.pi / 2, 3 * math.pi / 2),
        ),
    )


@configclass
class RewardsCfg:
    """Isaac Lab's reach terms, with the kernels near the goal and the success bonus made strong enough to learn on a
    CPU budget: per second (Isaac Lab multiplies by the 1/60 s step), so reaching the goal is worth 10, more than
    hovering next to it for the rest of the episode."""

    position_error = RewardTermCfg(func=mdp.position_command_error, weight=-0.2,
                                   params={"asset_cfg": SceneEntityCfg("robot"), "command_name": "ee_pose"})
    position_fine = RewardTermCfg(func=mdp.position_command_error_tanh, weight=1.0,
                                  params={"asset_cfg": SceneEntityCfg("robot"), "std": 0.1, "command_name": "ee_pose"})
    orientation_error = RewardTermCfg(func=mdp.orientation_command_error, weight=-0.1,
                                      params={"asset_cfg": SceneEntityCfg("robot"), "command_name": "ee_pose"})
    orientation_fine = RewardTermCfg(func=reach_mdp.orientation_command_error_tanh, weight=0.5,
                                     params={"asset_cfg": SceneEntityCfg("robot"), "std": 0.4,
                                             "command_name": "ee_pose"})
    success = RewardTermCfg(func=mdp.is_terminated_term, weight=600.0, params={"term_keys": ["success"]})
    action_rate = RewardTermCfg(func=mdp.action_rate_l2, weight=-0.001)
    action_magnitude = RewardTermCfg(func=mdp.action_l2, weight=-0.005)
    joint_vel = RewardTermCfg(func=mdp.joint_vel_l2, weight=-0.0001, params={"asset_cfg": SceneEntityCfg("robot")})


@configclass
class TerminationsCfg:
    success = TerminationTermCfg(func=mdp.pose_command_success, params={"command_name": "ee_pose"})
    time_out = TerminationTermCfg(func=mdp.time_out, time_out=True)


@configclass
class EventsCfg:
    reset_arm = EventTermCfg(func=mdp.reset_joints_by_offset, mode="reset",
                             params={"position_range": (-0.1, 0.1), "velocity_range": (0.0, 0.0),
                                     "asset_cfg": SceneEntityCfg("robot")})


@configclass
class ReachEnvCfg(ManagerBasedRLEnvCfg):
    scene: ReachSceneCfg = ReachSceneCfg(num_envs=64, env_spacing=2.0)
    observations: ObservationsCfg = ObservationsCfg()
    actions: ActionsCfg = ActionsCfg()
    commands: CommandsCfg = CommandsCfg()
    rewards: RewardsCfg = RewardsCfg()
    terminations: TerminationsCfg = TerminationsCfg()
    events: EventsCfg = EventsCfg()


def make_reach_env_cfg(opts: EnvOptions, *, robot: ArticulationCfg, ee_body: str, arm_joints: list[str],
                       action_scale: float, task_space: OperationalSpaceControllerActionCfg | None = None
                       ) -> ReachEnvCfg:
    """A complete reach config for ``robot``: goals for ``ee_body``, joint-position actions on ``arm_joints`` (by
    ``action_scale``), or the task-space action ``task_space`` (the robot's arm then torque-driven, no gravity: the
    real arm's controller compensates it) with the end effector's pose and velocity observed."""
    cfg = ReachEnvCfg()
    cfg.seed = opts.seed
    cfg.decimation = DECIMATION
    cfg.episode_length_s = EPISODE_LENGTH_S
    cfg.sim.dt = SIM_DT
    cfg.sim.render_interval = DECIMATION
    cfg.sim.device = opts.device
    cfg.sim.physics = newton_physics(opts.device, njmax=NJMAX, nconmax=NCONMAX)
    cfg.scene.num_envs = opts.num_envs
    cfg.scene.robot = robot
    if task_space is None:
        cfg.actions.arm_action = mdp.JointPositionActionCfg(asset_name="robot", joint_names=arm_joints,
                                                            scale=action_scale, use_default_offset=True,
                                                            preserve_order=True)
    else:
        cfg.sim.gravity = (0.0, 0.0, 0.0)
        cfg.actions.arm_action = task_space
        cfg.observations.policy = TaskSpaceObservationsCfg()
        for term in (cfg.observations.policy.ee_pose, cfg.observations.policy.ee_velocity):
            term.params = {"asset_cfg": SceneEntityCfg("robot", body_names=[ee_body])}
    cfg.commands.ee_pose.body_name = ee_body
    for term in (cfg.rewards.position_error, cfg.rewards.position_fine, cfg.rewards.orientation_error,
                 cfg.rewards.orientation_fine):
        term.params["asset_cfg"] = SceneEntityCfg("robot", body_names=[ee_body])
    cfg.rewards.joint_vel.params["asset_cfg"] = SceneEntityCfg("robot", joint_names=arm_joints)
    cfg.events.reset_arm.params["asset_cfg"] = SceneEntityCfg("robot", joint_names=arm_joints)
    check_local_assets(cfg.scene, "reach.scene")
    return cfg
