"""The learning curve a person looks at first: ``training.png`` from ``metrics.csv``."""

from __future__ import annotations

import csv
from pathlib import Path

from robot_ac._plotting import png_bytes, pyplot
from robot_ac._atomic import atomic_write_bytes


def read_metrics(csv_path: Path) -> dict[str, list[float]]:
    with open(csv_path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    columns: dict[str, list[float]] = {}
    for row in rows:
        for key, value in row.items():
            columns.setdefault(key, []).append(float(value) if value not in ("", None) else float("nan"))
    return columns


def plot_training(csv_path: Path, png_path: Path, title: str) -> Path:
    """Mean episode return and length (and success rate and curriculum level, where the task has them) against
    environment steps; written atomically."""
    plt = pyplot()

    metrics = read_metrics(csv_path)
    steps = [s / 1e3 for s in metrics.get("total_steps", [])]
    success = metrics.get("success_rate", [])
    with_success = any(value == value for value in success)  # NaN != NaN: the column is empty without success
    fig, axes = plt.subplots(1, 3 if with_success else 2, figsize=(15 if with_success else 10, 3.8))
    ax_ret, ax_len = axes[:2]
    if with_success:
        axes[2].plot(steps, success, color="tab:green", label="success rate (last 200 episodes)")
        level = metrics.get("curriculum_level", [])
        if any(value == value for value in level):
            axes[2].plot(steps, level, color="tab:purple", linestyle="--", label="curriculum level")
        axes[2].legend(loc="upper left", fontsize=8)
        axes[2].set_xlabel("environment steps (thousands)")
        axes[2].set_ylabel("share")
        axes[2].set_ylim(-0.02, 1.02)
        axes[2].grid(alpha=0.3)
    ax_ret.plot(steps, metrics.get("mean_return", []), color="tab:blue")
    ax_ret.set_xlabel("environment steps (thousands)")
    ax_ret.set_ylabel("mean episode return")
    ax_ret.grid(alpha=0.3)
    ax_len.plot(steps, metrics.get("mean_episode_length", []), color="tab:orange")
    ax_len.set_xlabel("environment steps (thousands)")
    ax_len.set_ylabel("mean episode length (steps)")
    ax_len.grid(alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    png = png_bytes(fig, dpi=100)
    return atomic_write_bytes(png_path, png)
