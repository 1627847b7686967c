"""Terms of the reach task beyond Isaac Lab's shared ones (which ``env_cfg.py`` imports by name): success."""

from __future__ import annotations

import torch


def goal_reached(env) -> torch.Tensor:
    """Success: the episode ended because the end effector reached its goal pose."""
    return env.termination_manager.get_term("success")
