"""Dependency arrows of ARCHITECTURE.md: robot_ac never imports the simulator; the manifest needs no torch."""

from __future__ import annotations

import re
import subprocess
import sys


def _modules_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return {name.split(".")[0] for name in out.split()}


def test_robot_ac_never_imports_the_simulator():
    loaded = _modules_after("import robot_ac.cli, robot_ac.training, robot_ac.play, robot_ac.bench, "
                            "robot_ac.export.policy_export, robot_ac.runners.on_policy")
    assert not loaded & {"isaaclab", "isaaclab_newton", "newton", "warp", "sim"}


def test_manifest_reading_needs_no_torch():
    loaded = _modules_after("import robot_ac.export; from robot_ac.export import load_manifest")
    assert "torch" not in loaded


def test_task_listing_does_not_start_the_simulator():
    loaded = _modules_after("from robot_ac.tasks import all_tasks; all_tasks()")
    assert "sim" in loaded and not loaded & {"isaaclab", "newton", "warp"}


def test_torchrun_gives_each_rank_its_device_and_seed():
    """Per-rank plumbing under a real torchrun launch (CPU: no process group is formed here)."""
    code = ("from robot_ac.runners import resolve_distributed; "
            "c = resolve_distributed(True, 'cuda', 100); print(f'RANK {c.rank} {c.device} {c.seed} {c.is_main}')")
    result = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "--master_port=29517",
         "--no-python", sys.executable, "-c", code],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    # The two ranks share one stdout: their lines may interleave, so each record is found by its pattern.
    lines = sorted(re.findall(r"RANK \d cuda:\d \d+ (?:True|False)", result.stdout))
    assert lines == ["RANK 0 cuda:0 100 True", "RANK 1 cuda:1 101 False"]
