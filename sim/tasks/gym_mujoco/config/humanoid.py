"""``mujoco-humanoid``: Gymnasium's ``Humanoid-v5`` as an rsl_rl VecEnv, with a policy interface for export."""

from __future__ import annotations

from typing import Any

from robot_ac.config import PpoConfig
from robot_ac.contract.manifest import ActionSpec, JointSpec, ObservationTerm, PolicyInterface
from robot_ac.tasks import EnvOptions, TaskSpec

GYM_ID = "Humanoid-v5"
JOINTS = ["abdomen_y", "abdomen_z", "abdomen_x", "right_hip_x", "right_hip_z", "right_hip_y", "right_knee",
          "left_hip_x", "left_hip_z", "left_hip_y", "left_knee", "right_shoulder1", "right_shoulder2", "right_elbow",
          "left_shoulder1", "left_shoulder2", "left_elbow"]
"""Actuated joints in actuator order (Gymnasium's humanoid.xml)."""
GEARS = [100, 100, 100, 100, 100, 300, 200, 100, 100, 300, 200, 25, 25, 25, 25, 25, 25]
ACTION_LIMIT = 0.4
"""Humanoid-v5's action space is [-0.4, 0.4] per motor (control x gear = torque, N·m)."""
OBSERVATION_SIZE = 348

INTERFACE = PolicyInterface(
    task="mujoco-humanoid",
    robot="gymnasium_humanoid",
    joints=[JointSpec(name=name, default_position=0.0, position_limits=(None, None), velocity_limit=None,
                      effort_limit=ACTION_LIMIT * gear, stiffness=0.0, damping=0.0)
            for name, gear in zip(JOINTS, GEARS)],
    control_period_s=0.015,  # MuJoCo timestep 0.003 s x frame_skip 5
    observations=[ObservationTerm(name="gym_observation", size=OBSERVATION_SIZE, source="task",
                                  quantity="observation", description="Humanoid-v5's observation vector "
                                  "(positions, velocities, inertias, actuator and external forces): sim-only")],
    action=ActionSpec(type="joint_effort", joint_names=JOINTS, scale=[float(g) for g in GEARS],
                      offset=[0.0] * len(JOINTS), clip=ACTION_LIMIT),
)


def _make_env(opts: EnvOptions):
    from sim.bootstrap import checked
    from sim.tasks.gym_mujoco.env_cfg import GymnasiumVecEnv

    env = GymnasiumVecEnv(GYM_ID, opts)
    return checked(env, INTERFACE, env.policy_terms)


def _make_gym_env(opts: EnvOptions) -> Any:
    import gymnasium as gym

    return gym.make(GYM_ID)


MUJOCO_HUMANOID_TASK = TaskSpec(
    name="mujoco-humanoid",
    gym_id=GYM_ID,
    description="Gymnasium MuJoCo Humanoid-v5 (CPU, one simulation per env): the Symphony paper's single-env "
                "setting; sim-only observations, so its exports do not deploy to a robot.",
    interface=INTERFACE,
    make_env=_make_env,
    make_gym_env=_make_gym_env,
    ppo=PpoConfig(num_steps_per_env=64, actor_hidden_dims=(256, 256), critic_hidden_dims=(256, 256)),
    max_iterations=1000,
    num_envs=1,
    success_metric="the episode reaches Humanoid-v5's 1000-step limit without falling",
)
