"""A difficulty level that follows the success of the episodes that end: the curricula of the peg and standing tasks.

One level in [0, 1] for every env. Every ``window`` finished episodes it rises by ``step`` if more than
``raise_above`` of them succeeded and falls by ``step`` below ``lower_below`` (IndustReal's start curriculum; the same
rule moves the G1's assist, pushes and commands). Only whole episodes count: rsl_rl starts training with random
episode lengths, and the time-outs of those cut-short first episodes would pass for survival. A task's
curriculum says what counts as success (:meth:`succeeded`) and what the level changes in the env (:meth:`apply`).

:meth:`state` / :meth:`load_state` carry the level and the open window into checkpoints, so a resumed run goes on
where it stopped (``sim.bootstrap`` saves every curriculum term that has them); the curriculum manager logs the level
(``Curriculum/<name>/level``) and the last window's success.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from isaaclab.managers import ManagerTermBase

if TYPE_CHECKING:
    from isaaclab.envs import ManagerBasedRLEnv


def env_indices(env: ManagerBasedRLEnv, env_ids) -> torch.Tensor:
    """``env_ids`` as a tensor of indices (a manager passes None or a slice for every env)."""
    if env_ids is None or isinstance(env_ids, slice):
        return torch.arange(env.num_envs, device=env.device)
    return torch.as_tensor(env_ids, device=env.device)


class SuccessWindowCurriculum(ManagerTermBase):
    """The level-follows-success rule; subclasses define :meth:`succeeded` and :meth:`apply`."""

    def __init__(self, cfg, env: ManagerBasedRLEnv):
        super().__init__(cfg, env)
        self.level = 0.0
        self.successes = 0
        self.episodes = 0
        self.window_success = float("nan")
        self.start_step = torch.zeros(env.num_envs, dtype=torch.long, device=env.device)
        """The env step at which each env's episode began: an episode is whole if it lived its recorded length."""

    def succeeded(self, env: ManagerBasedRLEnv) -> torch.Tensor:
        """(num_envs,) bool: which of the episodes that end now count as a success."""
        raise NotImplementedError

    def apply(self, env: ManagerBasedRLEnv) -> None:
        """Set the env to :attr:`level` (the manager calls the term only at resets, so this edits term params)."""
        raise NotImplementedError

    def state(self) -> dict[str, float | int]:
        return {"level": self.level, "successes": self.successes, "episodes": self.episodes}

    def load_state(self, state: dict[str, float | int]) -> None:
        self.level = float(state["level"])
        self.successes, self.episodes = int(state["successes"]), int(state["episodes"])
        self.apply(self._env)

    def __call__(self, env: ManagerBasedRLEnv, env_ids, window: int, raise_above: float, lower_below: float,
                 step: float) -> dict[str, float]:
        ids = env_indices(env, env_ids)
        lived = env.common_step_counter - self.start_step[ids]
        ended = ids[(env.episode_length_buf[ids] > 0) & (env.episode_length_buf[ids] == lived)]
        self.start_step[ids] = env.common_step_counter
        if len(ended):
            self.successes += int(self.succeeded(env)[ended].sum())
            self.episodes += len(ended)
        if self.episodes >= window:
            self.window_success = self.successes / self.episodes
            if self.window_success > raise_above:
                self.level = min(1.0, self.level + step)
            elif self.window_success < lower_below:
                self.level = max(0.0, self.level - step)
            self.successes = self.episodes = 0
            self.apply(env)
        return {"level": self.level, "window_success": self.window_success}
