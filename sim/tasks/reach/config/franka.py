"""``franka-reach``: the Franka Panda's hand reaches random poses above the table, joint-position actions."""

from __future__ import annotations

from robot_ac.config import PpoConfig
from robot_ac.contract.manifest import ActionSpec, ObservationTerm, PolicyInterface
from robot_ac.tasks import EnvOptions, TaskSpec
from sim.robots import franka

ACTION_SCALE = 0.5
"""rad of joint target offset per unit of action."""

INTERFACE = PolicyInterface(
    task="franka-reach",
    robot="franka_panda",
    joints=franka.joint_specs(),
    control_period_s=1 / 60,
    observations=[
        ObservationTerm(name="joint_pos", size=9, source="joint_state", quantity="position",
                        joint_names=franka.JOINT_NAMES, offset=[franka.READY_POSE[n] for n in franka.JOINT_NAMES],
                        description="joint positions relative to the ready pose (rad, m for fingers)"),
        ObservationTerm(name="joint_vel", size=9, source="joint_state", quantity="velocity",
                        joint_names=franka.JOINT_NAMES, description="joint velocities (rad/s, m/s)"),
        ObservationTerm(name="pose_command", size=7, source="command", quantity="pose",
                        description=f"goal pose of {franka.HAND_BODY} in the robot base frame: position (m), "
                                    "then orientation quaternion (x, y, z, w)"),
        ObservationTerm(name="actions", size=7, source="previous_action",
                        description="the policy's previous output, before scaling"),
    ],
    action=ActionSpec(type="joint_position", joint_names=franka.ARM_JOINT_NAMES,
                      scale=[ACTION_SCALE] * 7, offset=[franka.READY_POSE[n] for n in franka.ARM_JOINT_NAMES]),
)


def make_env_cfg(opts: EnvOptions):
    """The Franka's reach config (``ReachEnvCfg``)."""
    from sim.tasks.reach.env_cfg import make_reach_env_cfg

    return make_reach_env_cfg(opts, robot=franka.franka_panda_cfg(), ee_body=franka.HAND_BODY,
                              arm_joints=franka.ARM_JOINT_NAMES, action_scale=ACTION_SCALE)


def make_env_from_cfg(cfg):
    """The rsl_rl env of a (possibly modified) :func:`make_env_cfg`, checked against :data:`INTERFACE`."""
    from isaaclab.envs import ManagerBasedRLEnv

    from sim.bootstrap import wrap_for_rsl_rl
    from sim.tasks.reach.mdp import goal_reached

    return wrap_for_rsl_rl(ManagerBasedRLEnv(cfg), INTERFACE, success=goal_reached)


def _make_gym_env(opts: EnvOptions):
    from isaaclab.envs import ManagerBasedRLEnv

    return ManagerBasedRLEnv(make_env_cfg(opts))


def _make_env(opts: EnvOptions):
    return make_env_from_cfg(make_env_cfg(opts))


FRANKA_REACH_TASK = TaskSpec(
    name="franka-reach",
    gym_id="RobotAc-Franka-Reach-v0",
    description="Franka Panda: bring the hand to a random pose (5 cm, 0.2 rad) by joint-position targets, 60 Hz.",
    interface=INTERFACE,
    make_env=_make_env,
    make_gym_env=_make_gym_env,
    ppo=PpoConfig(num_steps_per_env=24, actor_hidden_dims=(64, 64), critic_hidden_dims=(64, 64),
                  num_learning_epochs=8, entropy_coef=0.01),
    max_iterations=1000,
    num_envs=64,
    success_metric="hand within 5 cm and 0.2 rad of the goal before the 5 s time limit",
)
