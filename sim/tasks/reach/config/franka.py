"""``franka-reach``: the Franka Panda's hand reaches random poses above the table in task space (6-D pose increments
into an operational-space impedance controller, as a Cartesian impedance controller takes them on the robot);
``franka-reach-joint``: the same goals by joint-position targets."""

from __future__ import annotations

from robot_ac.config import PpoConfig
from robot_ac.contract.manifest import ActionSpec, ObservationTerm, PolicyInterface
from robot_ac.tasks import EnvOptions, TaskSpec
from sim.robots import franka

ACTION_SCALE = 0.5
"""rad of joint target offset per unit of action (joint-space variant)."""
POSITION_SCALE = 0.04
"""m of hand target offset from the measured pose per unit of action. The impedance (stiffness K, damping 2 sqrt K)
moves the hand at about sqrt(K) / 2 = 10 offsets per second: 0.4 m/s at full action, crossing the workspace within
the 5 s episode (the peg tasks' 5 mm offsets are for millimetre work)."""
ROTATION_SCALE = 0.15
"""rad of hand target rotation per unit of action (about 1.5 rad/s at full action, as above)."""
IMPEDANCE_STIFFNESS = (400.0, 400.0, 400.0, 200.0, 200.0, 200.0)
"""Task-space stiffness on the decoupled dynamics (1/s²), the peg tasks' (CRISP's operational-space mode on the
robot)."""

_GOAL = ObservationTerm(name="pose_command", size=7, source="command", quantity="pose",
                        description=f"goal pose of {franka.HAND_BODY} in the robot base frame: position (m), "
                                    "then orientation quaternion (x, y, z, w; task space: in the hemisphere of "
                                    "(1, 0, 0, 0), the hand pointing down)")
_JOINT_PPO = PpoConfig(num_steps_per_env=24, actor_hidden_dims=(64, 64), critic_hidden_dims=(64, 64),
                       num_learning_epochs=8, entropy_coef=0.01)
_TASK_SPACE_PPO = PpoConfig(num_steps_per_env=24, actor_hidden_dims=(128, 128), critic_hidden_dims=(128, 128),
                            num_learning_epochs=5, learning_rate=3e-4, entropy_coef=0.005, init_noise_std=0.5,
                            obs_normalization=True, clip_actions=1.0)
_SUCCESS = "hand within 5 cm and 0.2 rad of the goal before the 5 s time limit"

JOINT_INTERFACE = PolicyInterface(
    task="franka-reach-joint",
    robot="franka_panda",
    joints=franka.joint_specs(),
    control_period_s=1 / 60,
    observations=[
        ObservationTerm(name="joint_pos", size=9, source="joint_state", quantity="position",
                        joint_names=franka.JOINT_NAMES, offset=[franka.READY_POSE[n] for n in franka.JOINT_NAMES],
                        description="joint positions relative to the ready pose (rad, m for fingers)"),
        ObservationTerm(name="joint_vel", size=9, source="joint_state", quantity="velocity",
                        joint_names=franka.JOINT_NAMES, description="joint velocities (rad/s, m/s)"),
        _GOAL,
        ObservationTerm(name="actions", size=7, source="previous_action",
                        description="the policy's previous output, before scaling"),
    ],
    action=ActionSpec(type="joint_position", joint_names=franka.ARM_JOINT_NAMES,
                      scale=[ACTION_SCALE] * 7, offset=[franka.READY_POSE[n] for n in franka.ARM_JOINT_NAMES]),
)

INTERFACE = PolicyInterface(
    task="franka-reach",
    robot="franka_panda",
    joints=franka.joint_specs(arm_torque_control=True),
    control_period_s=1 / 60,
    observations=[
        ObservationTerm(name="ee_pose", size=7, source="end_effector", quantity="pose",
                        description=f"{franka.HAND_BODY} in the robot base frame: position (m), orientation "
                                    "(x, y, z, w)"),
        ObservationTerm(name="ee_velocity", size=6, source="end_effector", quantity="twist",
                        description=f"{franka.HAND_BODY} linear (m/s) and angular (rad/s) velocity, base frame"),
        _GOAL,
        ObservationTerm(name="actions", size=6, source="previous_action",
                        description="the policy's previous output, before scaling"),
    ],
    action=ActionSpec(type="ee_pose_delta", joint_names=franka.ARM_JOINT_NAMES,
                      scale=[POSITION_SCALE] * 3 + [ROTATION_SCALE] * 3, offset=[0.0] * 6, clip=1.0,
                      components=["x", "y", "z", "rx", "ry", "rz"], frame=franka.HAND_BODY),
)


def make_env_cfg(opts: EnvOptions, task_space: bool = True):
    """The Franka's reach config (``ReachEnvCfg``), in task space or joint space."""
    from sim.task_space import pose_increment_action
    from sim.tasks.reach.env_cfg import make_reach_env_cfg

    action = pose_increment_action(joint_names=franka.ARM_JOINT_NAMES, body_name=franka.HAND_BODY,
                                   stiffness=IMPEDANCE_STIFFNESS, position_scale=POSITION_SCALE,
                                   rotation_scale=ROTATION_SCALE) if task_space else None
    return make_reach_env_cfg(opts, robot=franka.franka_panda_cfg(arm_torque_control=task_space),
                              ee_body=franka.HAND_BODY, arm_joints=franka.ARM_JOINT_NAMES, action_scale=ACTION_SCALE,
                              task_space=action)


def make_env_from_cfg(cfg, interface: PolicyInterface = INTERFACE):
    """The rsl_rl env of a (possibly modified) :func:`make_env_cfg`, checked against ``interface``."""
    from isaaclab.envs import ManagerBasedRLEnv

    from sim.bootstrap import wrap_for_rsl_rl
    from sim.tasks.reach.mdp import goal_reached

    return wrap_for_rsl_rl(ManagerBasedRLEnv(cfg), interface, success=goal_reached, clip_actions=interface.action.clip)


def _expert_teacher() -> dict:
    """The proportional task-space expert (:mod:`sim.tasks.reach.expert`) on the policy group."""
    offsets = INTERFACE.term_offsets()
    return {"class_name": "sim.tasks.reach.expert:ReachExpertModel", "pose_at": offsets["ee_pose"],
            "goal_at": offsets["pose_command"], "position_scale": POSITION_SCALE, "rotation_scale": ROTATION_SCALE}


def _task(name: str, gym_id: str, interface: PolicyInterface, task_space: bool, description: str) -> TaskSpec:
    def make_gym_env(opts: EnvOptions):
        from isaaclab.envs import ManagerBasedRLEnv

        return ManagerBasedRLEnv(make_env_cfg(opts, task_space))

    return TaskSpec(name=name, gym_id=gym_id, description=description, interface=interface,
                    make_env=lambda opts: make_env_from_cfg(make_env_cfg(opts, task_space), interface),
                    make_gym_env=make_gym_env, ppo=_TASK_SPACE_PPO if task_space else _JOINT_PPO,
                    max_iterations=1000, num_envs=64, success_metric=_SUCCESS, expert_teacher=_expert_teacher() if task_space else None)


FRANKA_REACH_TASK = _task("franka-reach", "RobotAc-Franka-Reach-v0", INTERFACE, True,
                          "Franka Panda: bring the hand to a random pose (5 cm, 0.2 rad) by task-space pose "
                          "increments into an impedance controller, 60 Hz.")
FRANKA_REACH_JOINT_TASK = _task("franka-reach-joint", "RobotAc-Franka-Reach-Joint-v0", JOINT_INTERFACE, False,
                                "Franka Panda: bring the hand to a random pose (5 cm, 0.2 rad) by joint-position "
                                "targets, 60 Hz.")
