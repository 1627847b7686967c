"""AACD, asymmetric actor-critic distillation (TacSL, Akinola et al. 2024, Sec. IV-B).

Stage 1 trains a teacher with PPO on privileged state. Stage 2 trains the student actor, which sees only what the
real robot sees, with PPO as well, but its critic starts as the teacher's critic and keeps reading privileged
state: the student's first advantages are already informed by a good value function instead of a random one. The
critic then stays frozen or is fine-tuned (``AacdConfig.freeze_critic``).

Everything else is rsl_rl's PPO; this module only hands the critic over and checks that it fits: the teacher's
critic input must be the student's ``critic`` observation group (same quantities, same order, same size).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from robot_ac.errors import RobotAcError
from robot_ac.runners.checkpoints import find_checkpoint, load_checkpoint


def set_critic_frozen(critic: torch.nn.Module, frozen: bool) -> None:
    """Freeze (or unfreeze) the critic's weights and its observation normaliser's running statistics: a frozen
    critic must keep computing the teacher's value function, which moving statistics would change."""
    critic.requires_grad_(not frozen)
    if hasattr(critic, "obs_normalizer"):
        # rsl_rl updates the statistics only where this flag is set; the normaliser stays in the forward pass.
        critic.obs_normalization = not frozen and not isinstance(critic.obs_normalizer, torch.nn.Identity)


def hand_over_critic(critic: torch.nn.Module, teacher: str | Path, freeze: bool) -> dict[str, Any]:
    """Load the teacher checkpoint's critic into ``critic`` (the student's) and freeze it if asked; returns what the
    student's run records about its teacher."""
    path = find_checkpoint(teacher)
    state = load_checkpoint(path)
    weights = state["critic_state_dict"]
    own = critic.state_dict()
    mismatched = {name: (tuple(weights[name].shape) if name in weights else None, tuple(value.shape))
                  for name, value in own.items() if name not in weights or weights[name].shape != value.shape}
    if mismatched or set(weights) != set(own):
        raise RobotAcError(
            f"teacher '{path}': its critic does not fit the student's (teacher, student shapes: "
            f"{mismatched or 'keys differ'}); "
            "the teacher's critic input must be the student's 'critic' observation group, with the same hidden sizes "
            "(--ppo.critic-hidden-dims)")
    critic.load_state_dict(weights)
    set_critic_frozen(critic, freeze)
    infos = state["infos"]
    return {"checkpoint": str(path.resolve()), "task": infos["interface"]["task"], "iteration": int(state["iter"]),
            "critic_frozen": freeze}
