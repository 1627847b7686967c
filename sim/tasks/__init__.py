"""robot-ac's tasks, registered for the CLI (entry point ``robot_ac.tasks``) and as Gymnasium ids.

``gymnasium.make("RobotAc-Cartpole-v0", num_envs=16, device="cpu", seed=0)`` returns the Isaac Lab environment
`robot-ac train` uses, before the rsl_rl wrapper.
"""

from __future__ import annotations

import gymnasium as gym

from robot_ac.tasks import EnvOptions, TaskSpec
from sim.tasks.cartpole.config.cartpole import CARTPOLE_POSITIONS_TASK, CARTPOLE_TASK
from sim.tasks.gym_mujoco.config.humanoid import MUJOCO_HUMANOID_TASK
from sim.tasks.locomotion.config.g1 import G1_STAND_TASK, G1_VELOCITY_TASK
from sim.tasks.locomotion.config.humanoid import HUMANOID_WALK_TASK
from sim.tasks.peg_insertion.config.franka import PEG_TASKS
from sim.tasks.reach.config.franka import FRANKA_REACH_JOINT_TASK, FRANKA_REACH_TASK

TASKS: list[TaskSpec] = [CARTPOLE_TASK, CARTPOLE_POSITIONS_TASK, FRANKA_REACH_TASK, FRANKA_REACH_JOINT_TASK,
                         MUJOCO_HUMANOID_TASK, HUMANOID_WALK_TASK, G1_VELOCITY_TASK, G1_STAND_TASK, *PEG_TASKS]


def _gym_factory(spec: TaskSpec):
    def make(num_envs: int = 16, device: str = "cpu", seed: int = 0):
        return spec.make_gym_env(EnvOptions(num_envs=num_envs, device=device, seed=seed))

    return make


for _spec in TASKS:
    if _spec.gym_id not in gym.registry:
        gym.register(id=_spec.gym_id, entry_point=_gym_factory(_spec), disable_env_checker=True)
