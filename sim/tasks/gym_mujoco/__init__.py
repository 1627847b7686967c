"""Gymnasium MuJoCo tasks (``mujoco-humanoid`` = ``Humanoid-v5``): the single-env setting of the Symphony paper.

One CPU MuJoCo simulation per env, stepped in a Python loop: the paper's setting (one env, one core), kept to
reproduce its numbers and to compare implementations. Parallel training belongs to the Isaac Lab tasks. There is
no Isaac Lab config: ``env_cfg.py`` builds Gymnasium's own envs as one rsl_rl VecEnv, ``mdp.py`` states their
observation term and success, ``config/humanoid.py`` the task.
"""
