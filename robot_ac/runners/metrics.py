"""The learning curve every runner writes: one CSV row and one console line per iteration, ``training.png``."""

from __future__ import annotations

import csv
import datetime
import time

from robot_ac.runners.plots import plot_training
from robot_ac.runners.run_dir import RunDirectory

METRIC_COLUMNS = ("iteration", "total_steps", "mean_return", "mean_episode_length", "steps_per_s", "wall_time_s",
                  "success_rate", "curriculum_level")


def remaining_seconds(elapsed_s: float, done: int, left: int, deadline: float | None) -> float:
    """ETA: the iterations left at the rate so far, or the wall-clock budget left if that comes first."""
    eta = elapsed_s / max(done, 1) * left
    return min(eta, max(0.0, deadline - time.monotonic())) if deadline is not None else eta


def record_iteration(run: RunDirectory, *, iteration: int, total_iterations: int, total_steps: int,
                     mean_return: float, mean_length: float, steps_per_s: float, wall_time_s: float,
                     eta_s: float, plot: bool, title: str, extra: str = "", quiet: bool = False,
                     success_rate: float | None = None, curriculum_level: float | None = None) -> None:
    """Append to ``metrics.csv``, print the progress line (unless ``quiet``), redraw ``training.png`` if ``plot``.

    ``success_rate``: share of recent episodes that succeeded, for tasks that report success (else left empty);
    ``curriculum_level``: the task's curriculum difficulty in [0, 1], for tasks training with one."""
    new_file = not run.metrics_csv.exists()
    with open(run.metrics_csv, "a", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        if new_file:
            writer.writerow(METRIC_COLUMNS)
        writer.writerow((iteration, total_steps, mean_return, mean_length, steps_per_s, wall_time_s,
                         "" if success_rate is None else success_rate,
                         "" if curriculum_level is None else curriculum_level))
    if curriculum_level is not None:
        extra = f"  level {curriculum_level:4.2f}{extra}"
    if success_rate is not None:
        extra = f"  success {success_rate:5.1%}{extra}"
    if not quiet:
        print(f"[{iteration + 1:>5}/{total_iterations}] return {mean_return:9.3f}  ep.len {mean_length:7.1f}  "
              f"{steps_per_s:9.0f} steps/s{extra}  ETA {datetime.timedelta(seconds=int(eta_s))}", flush=True)
    if plot:
        plot_training(run.metrics_csv, run.training_png, title)
