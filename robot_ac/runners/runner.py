"""The shape every training loop has: what :func:`robot_ac.training.train` drives and
:mod:`robot_ac.runners.factory` builds."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol


@dataclass(frozen=True)
class RunnerSummary:
    """What a finished run reports (``summary.json``)."""

    iterations: int
    total_env_steps: int
    episode_returns: list[float]
    """Returns of the most recent finished episodes (the runner's window)."""
    episode_lengths: list[float]


class Runner(Protocol):
    """What training drives; on-policy, distillation and off-policy runners all have this shape."""

    current_learning_iteration: int
    checkpoint_infos: dict[str, Any]
    """Stored in every checkpoint: the interface, the train config, observation sizes, the teacher."""
    steps_per_iteration: int
    """Vectorised environment steps per iteration."""
    settings: dict[str, Any]
    """What ``config.json`` records about the algorithm."""

    def learn(self, num_learning_iterations: int, deadline: float | None = None) -> None: ...

    def save(self, path: str | Path) -> None: ...

    def load(self, path: str | Path) -> Any: ...

    def summary(self) -> RunnerSummary: ...
