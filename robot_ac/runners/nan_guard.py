"""NaN guard (off by default, ``robot-ac train --nan-guard``): keeps the last steps of every environment and, when
an observation or reward stops being finite, writes the failing environments' history to a file before failing.

Why: a simulator NaN (an overflowing contact buffer, an exploding joint) is usually born a few steps before it is
seen; the history shows the observations and actions that led there. The dump is ``nan_dump_step<N>.npz`` with
``observations`` [steps, envs, obs], ``actions`` [steps, envs, actions], ``rewards`` [steps, envs], ``env_ids``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from robot_ac._atomic import atomic_write
from robot_ac.errors import RobotAcError


class NanGuard:
    """Wraps an rsl_rl VecEnv; everything but ``step`` passes through."""

    def __init__(self, env, dump_dir: Path, history: int = 32) -> None:
        object.__setattr__(self, "env", env)
        object.__setattr__(self, "dump_dir", Path(dump_dir))
        object.__setattr__(self, "history", history)
        object.__setattr__(self, "_buffers", None)
        object.__setattr__(self, "_steps", 0)

    def __getattr__(self, name: str):
        return getattr(self.env, name)

    def __setattr__(self, name: str, value) -> None:
        # rsl_rl assigns env attributes (episode_length_buf): they belong to the wrapped env.
        setattr(self.env, name, value)

    def step(self, actions: torch.Tensor):
        obs, rewards, dones, extras = self.env.step(actions)
        policy_obs = obs["policy"]
        if self._buffers is None:
            shape = (self.history, *policy_obs.shape)
            object.__setattr__(self, "_buffers", (
                torch.zeros(shape, device=policy_obs.device),
                torch.zeros((self.history, *actions.shape), device=policy_obs.device),
                torch.zeros((self.history, *rewards.shape), device=policy_obs.device)))
        slot = self._steps % self.history
        for buffer, value in zip(self._buffers, (policy_obs, actions, rewards)):
            buffer[slot] = value.to(buffer.device)
        object.__setattr__(self, "_steps", self._steps + 1)
        bad = ~(torch.isfinite(policy_obs).all(dim=-1) & torch.isfinite(rewards))
        if bad.any():
            self._dump_and_raise(bad.nonzero().flatten())
        return obs, rewards, dones, extras

    def _dump_and_raise(self, env_ids: torch.Tensor) -> None:
        kept = min(self._steps, self.history)
        order = [(self._steps - kept + i) % self.history for i in range(kept)]  # oldest first
        ids = env_ids.cpu().numpy()
        arrays = {name: buffer[order][:, ids].cpu().numpy()
                  for name, buffer in zip(("observations", "actions", "rewards"), self._buffers)}
        path = self.dump_dir / f"nan_dump_step{self._steps}.npz"
        def write(tmp: Path) -> None:
            with open(tmp, "wb") as f:
                np.savez(f, env_ids=ids, **arrays)

        atomic_write(path, write)
        raise RobotAcError(f"non-finite observation or reward in env(s) {ids.tolist()[:10]} at step {self._steps}; "
                           f"their last {kept} steps are in {path}")
