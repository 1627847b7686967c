"""A scripted expert as an rsl_rl model, so distillation can use it as its teacher (``--teacher expert``)."""

from __future__ import annotations

import torch
from tensordict import TensorDict


class ScriptedExpertModel(torch.nn.Module):
    """An rsl_rl model without parameters or memory: subclasses compute actions in :meth:`forward` from the
    concatenated groups of ``obs_set`` (``self.groups``); there is nothing to load, reset or detach."""

    is_recurrent = False

    def __init__(self, obs_groups: dict[str, list[str]], obs_set: str, output_dim: int, expected_dim: int) -> None:
        super().__init__()
        if output_dim != expected_dim:
            raise ValueError(f"{type(self).__name__} outputs {expected_dim} actions, the env expects {output_dim}")
        self.groups = obs_groups[obs_set]

    def state(self, obs: TensorDict) -> torch.Tensor:
        return torch.cat([obs[group] for group in self.groups], dim=-1)

    def reset(self, dones: torch.Tensor | None = None, hidden_state=None) -> None:
        pass

    def get_hidden_state(self):
        return None

    def detach_hidden_state(self, dones: torch.Tensor | None = None) -> None:
        pass
