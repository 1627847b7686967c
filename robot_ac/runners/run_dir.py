"""The run directory: everything one training run leaves behind, laid out for a person to read.

``runs/<task>/<YYYY-mm-dd_HH-MM-SS>/``
    ``config.json``      the resolved training config (CLI + task defaults + rsl_rl dict)
    ``interface.json``   the task's policy interface (what the manifest will state)
    ``teacher.json``     the teacher a distilled student learnt from (AACD, DAgger, BC)
    ``checkpoints/``     ``model_<iteration>.pt``, written atomically
    ``metrics.csv``      one row per iteration: return, episode length, steps/s, success rate
    ``training.png``     the learning curve
    ``summary.json``     the final statistics
    ``recorded_observations.npy``  policy observations from the end of training (the export check replays them)
    ``events.out.*``     TensorBoard logs (``tensorboard --logdir runs``)
    ``export/``          ``policy.onnx``, ``policy.pt``, ``manifest.json`` after ``--export``

Every file name is stated here once; the code reaches them through :class:`RunDirectory`.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path



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

    @classmethod
    def of_checkpoint(cls, checkpoint: Path) -> RunDirectory:
        """The run a checkpoint belongs to (a checkpoint outside ``checkpoints/``: the folder it is in)."""
        return cls(checkpoint.parent.parent if checkpoint.parent.name == "checkpoints" else checkpoint.parent)

    @property
    def checkpoints(self) -> Path:
        return self.path / "checkpoints"

    @property
    def config_json(self) -> Path:
        return self.path / "config.json"

    @property
    def interface_json(self) -> Path:
        return self.path / "interface.json"

    @property
    def teacher_json(self) -> Path:
        return self.path / "teacher.json"

    @property
    def summary_json(self) -> Path:
        return self.path / "summary.json"

    @property
    def recorded_observations(self) -> Path:
        return self.path / "recorded_observations.npy"

    @property
    def export_dir(self) -> Path:
        return self.path / "export"

    @property
    def metrics_csv(self) -> Path:
        return self.path / "metrics.csv"

    @property
    def training_png(self) -> Path:
        return self.path / "training.png"
