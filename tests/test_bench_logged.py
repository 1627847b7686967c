"""`bench train` reads what the env logged per iteration (Isaac Lab's reward terms per episode, curriculum levels)
from a run's TensorBoard events and puts it on the env-step axis of the run's ``metrics.csv``."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks._training import read_logged


def test_logged_terms_are_read_per_iteration_onto_env_steps(tmp_path: Path) -> None:
    SummaryWriter = pytest.importorskip("torch.utils.tensorboard").SummaryWriter
    (tmp_path / "metrics.csv").write_text("iteration,total_steps,mean_return\n0,1536,0.1\n1,3072,0.2\n2,4608,0.3\n")
    writer = SummaryWriter(log_dir=str(tmp_path))
    for iteration, level in enumerate((0.0, 0.1, 0.2)):
        writer.add_scalar("Curriculum/standing/level", level, iteration)
        writer.add_scalar("Episode_Reward/track_lin_vel_xy", 2 * level, iteration)
        writer.add_scalar("Loss/value_function", 9.0, iteration)
    writer.close()
    logged = read_logged(tmp_path, tmp_path / "metrics.csv")
    assert set(logged) == {"Curriculum/standing/level", "Episode_Reward/track_lin_vel_xy"}, "only env terms"
    assert logged["Curriculum/standing/level"]["total_steps"] == [1536, 3072, 4608]
    assert logged["Episode_Reward/track_lin_vel_xy"]["value"] == pytest.approx([0.0, 0.2, 0.4])
    assert read_logged(tmp_path / "missing", tmp_path / "metrics.csv") == {}
