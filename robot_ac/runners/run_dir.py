"""The run directory: everything one training run leaves behind, laid out for a person to read.

``runs/<task>/<YYYY-mm-dd_HH-MM-SS>/``
    ``config.json``      the resolved training config (CLI + task defaults + rsl_rl dict)
    ``interface.json``   the task's policy interface (what the manifest will state)
    ``checkpoints/``     ``model_<iteration>.pt``, written atomically
    ``metrics.csv``      one row per iteration: return, episode length, steps/s
    ``training.png``     the learning curve
    ``events.out.*``     TensorBoard logs (``tensorboard --logdir runs``)
    ``export/``          ``policy.onnx``, ``policy.pt``, ``manifest.json`` after ``--export``
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from robot_ac._atomic import atomic_write_json


@dataclass(frozen=True)
class RunDirectory:
    path: Path

    @classmethod
    def create(cls, root: Path, task: str, name: str = "") -> RunDirectory:
        """Make a fresh ``root/task/<timestamp>[_name]`` directory; never reuses an existing one."""
        stamp = datetime.datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
        base = root / task / (f"{stamp}_{name}" if name else stamp)
        path, suffix = base, 1
        while path.exists():
            path, suffix = base.with_name(f"{base.name}-{suffix}"), suffix + 1
        (path / "checkpoints").mkdir(parents=True)
        return cls(path)

    @property
    def checkpoints(self) -> Path:
        return self.path / "checkpoints"

    @property
    def export_dir(self) -> Path:
        return self.path / "export"

    @property
    def metrics_csv(self) -> Path:
        return self.path / "metrics.csv"

    @property
    def training_png(self) -> Path:
        return self.path / "training.png"

    def write_json(self, name: str, data: dict[str, Any]) -> Path:
        return atomic_write_json(self.path / name, data)
