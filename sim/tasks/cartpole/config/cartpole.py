"""``cartpole`` and ``cartpole-positions``: their policy interfaces (from Isaac Lab's cartpole) and factories.

``cartpole-positions`` is the cartpole with a policy that sees only joint positions (its last frames), while the
critic gets the full state: the smallest task where privileged information matters (asymmetric actor-critic). Like
a robot with encoders but no velocity estimate: the actor must infer velocities from its position history; the
critic, used only in training, reads the true velocities (the ``critic`` observation group).
"""

from __future__ import annotations

import dataclasses

from robot_ac.config import PpoConfig
from robot_ac.contract.manifest import ActionSpec, JointSpec, ObservationTerm, PolicyInterface
from robot_ac.tasks import EnvOptions, TaskSpec

CART_JOINT = "slider_to_cart"
POLE_JOINT = "cart_to_pole"
JOINTS = [CART_JOINT, POLE_JOINT]

JOINT_POS = ObservationTerm(name="joint_pos", size=2, source="joint_state", quantity="position", joint_names=JOINTS,
                            offset=[0.0, 0.0], description="cart position (m) and pole angle (rad) from default")

INTERFACE = PolicyInterface(
    task="cartpole",
    robot="cartpole",
    joints=[
        # Drive values are the ones of isaaclab_assets.robots.cartpole.CARTPOLE_CFG (effort-driven cart).
        JointSpec(name=CART_JOINT, default_position=0.0, position_limits=(-4.0, 4.0), velocity_limit=None,
                  effort_limit=400.0, stiffness=0.0, damping=10.0),
        JointSpec(name=POLE_JOINT, default_position=0.0, position_limits=(None, None), velocity_limit=None,
                  effort_limit=400.0, stiffness=0.0, damping=0.0),
    ],
    control_period_s=2 / 120,  # sim dt 1/120 s, decimation 2
    observations=[
        JOINT_POS,
        ObservationTerm(name="joint_vel", size=2, source="joint_state", quantity="velocity", joint_names=JOINTS,
                        description="cart velocity (m/s) and pole angular velocity (rad/s)"),
    ],
    action=ActionSpec(type="joint_effort", joint_names=[CART_JOINT], scale=[100.0], offset=[0.0], clip=None),
)

HISTORY = 3
"""Position frames the ``cartpole-positions`` policy sees, oldest first as the robot runtime stacks them (padded with
the first frame after a reset): enough to difference out velocity and acceleration."""

POSITIONS_INTERFACE = dataclasses.replace(INTERFACE, task="cartpole-positions", history_length=HISTORY,
                                          observations=[JOINT_POS])


def _make_gym_env(opts: EnvOptions):
    from isaaclab_tasks.core.cartpole.cartpole_direct_env import CartpoleEnv

    from sim.tasks.cartpole.env_cfg import make_env_cfg

    return CartpoleEnv(make_env_cfg(opts))


def _make_env(opts: EnvOptions):
    from sim.bootstrap import wrap_for_rsl_rl
    from sim.tasks.cartpole.mdp import POLICY_TERMS, episode_success

    return wrap_for_rsl_rl(_make_gym_env(opts), INTERFACE, success=episode_success, terms=POLICY_TERMS)


def _make_positions_env(opts: EnvOptions):
    from sim.bootstrap import checked
    from sim.tasks.cartpole.mdp import PositionHistoryVecEnv

    env = PositionHistoryVecEnv(_make_env(opts), HISTORY)
    return checked(env, POSITIONS_INTERFACE, env.policy_terms, env.history_length)


def _make_isaaclab_reference_env(opts: EnvOptions):
    """Isaac Lab's own direct cartpole with only what offline CPU/GPU running requires changed, unwrapped by us."""
    from isaaclab_rl.rsl_rl import RslRlVecEnvWrapper

    return RslRlVecEnvWrapper(_make_gym_env(opts))


CARTPOLE_TASK = TaskSpec(
    name="cartpole",
    gym_id="RobotAc-Cartpole-v0",
    description="Balance a pole on a cart by pushing the cart (effort control, 60 Hz, 5 s episodes).",
    interface=INTERFACE,
    make_env=_make_env,
    make_gym_env=_make_gym_env,
    make_baseline_env=_make_isaaclab_reference_env,
    baseline_description="isaaclab_tasks direct cartpole (Isaac-Cartpole-Direct), offline assets",
    ppo=PpoConfig(num_steps_per_env=16, actor_hidden_dims=(32, 32), critic_hidden_dims=(32, 32)),
    max_iterations=60,
    num_envs=1024,
    success_metric="episode reaches its 5 s time limit with the cart within ±3 m",
)

CARTPOLE_POSITIONS_TASK = dataclasses.replace(
    CARTPOLE_TASK, name="cartpole-positions", gym_id="RobotAc-Cartpole-Positions-v0",
    description="Cartpole whose policy sees only the last 3 joint-position frames; the critic sees velocities "
                "too (asymmetric actor-critic, AACD's smallest test).",
    interface=POSITIONS_INTERFACE,
    make_env=_make_positions_env,
    make_baseline_env=None,
)
