"""Training runs on a wall-clock budget for the benchmarks that compare algorithms (`bench algos`, `bench aacd`)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from robot_ac.config import TrainOptions
from robot_ac.runners.run_dir import RunDirectory


def train_for(root: Path, task: str, algo: str, name: str, num_envs: int, minutes: float,
              **options: Any) -> RunDirectory:
    """Train ``algo`` on ``task`` for ``minutes`` of wall-clock into ``root/<task>/<stamp>_<name>``; ``options``:
    further :class:`TrainOptions` fields."""
    from robot_ac.training import train

    print(f"training {name} ({algo} on {task}, {num_envs} envs) for {minutes:g} min ...", flush=True)
    run = train(TrainOptions(task=task, num_envs=num_envs, max_iterations=10**6, algo=algo, run_root=root,
                             run_name=name, save_interval=10**6, max_wall_time_s=60 * minutes, **options))
    assert run is not None, "a benchmark trains on one rank"
    return run


def read_curve(metrics_csv: Path, keys: tuple[str, ...]) -> dict[str, list[float]]:
    """Columns of a run's ``metrics.csv`` (an empty cell: NaN)."""
    with open(metrics_csv, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return {key: [float(row[key]) if row[key] else float("nan") for row in rows] for key in keys}
