"""Terms of the locomotion task beyond Isaac Lab's shared ones (which ``env_cfg.py`` imports by name): success."""

from __future__ import annotations

import torch


def survived(env) -> torch.Tensor:
    """Success: the episode ran to its time limit without a fall."""
    return env.reset_time_outs & ~env.reset_terminated
