"""Terms of the reach task beyond Isaac Lab's shared ones (which ``env_cfg.py`` imports by name): success."""

from __future__ import annotations

import torch


def goal_reached(env) -> torch.Tensor:
    """Success: the episode ended because the end effector reached its goal pose."""
    return env.termination_manager.get_term("success")


def orientation_command_error_tanh(env, command_name: str, asset_cfg, std: float) -> torch.Tensor:
    """1 at the commanded orientation, falling to 0 a few ``std`` (rad) away: the pull that the orientation
    penalty alone gives too weakly near the goal, where the success threshold (0.2 rad) is."""
    import isaaclab.envs.mdp as mdp

    return 1.0 - torch.tanh(mdp.orientation_command_error(env, command_name, asset_cfg) / std)
