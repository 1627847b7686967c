"""Gymnasium MuJoCo tasks (``mujoco-humanoid`` = ``Humanoid-v5``): the single-env setting of the Symphony paper.

One CPU MuJoCo simulation per env, stepped in a Python loop: the paper's setting (one env, one core), kept to
reproduce its numbers and to compare implementations. Parallel training belongs to the Isaac Lab tasks.
"""

from sim.tasks.gym_mujoco.task import MUJOCO_HUMANOID_TASK, GymnasiumVecEnv

__all__ = ["MUJOCO_HUMANOID_TASK", "GymnasiumVecEnv"]
