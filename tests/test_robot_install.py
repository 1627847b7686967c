"""The robot side installs on its own: `pip install robot-ac` (the core, no extras) into a fresh venv runs the
deploy and replay commands and imports the runtime, and brings no torch."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_core_install_runs_the_robot_side_without_torch(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python, cli = venv / "bin" / "python", venv / "bin" / "robot-ac"
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    # A copy of the tree keeps the build's egg-info and build/ folders out of the checkout.
    source = tmp_path / "source"
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        if (REPO / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, source / name)
    install = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--progress-bar", "off", str(source)],
                             capture_output=True, text=True, timeout=900, env=env)
    assert install.returncode == 0, install.stderr[-3000:]

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(args, capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)

    probe = run(str(python), "-c", "import importlib.util, robot_ac.contract, robot_ac.deploy, robot_ac.replay, "
                "robot_ac.replay.session; print([m for m in ('torch', 'rsl_rl', 'isaaclab', 'warp') "
                "if importlib.util.find_spec(m)])")
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.strip() == "[]"
    for command in ("deploy", "replay"):
        result = run(str(cli), command, "--help")
        assert result.returncode == 0, result.stderr
        assert "--config" in result.stdout
    # A learning command names the extra it needs in one line instead of an ImportError.
    train = run(str(cli), "train", "--task", "cartpole")
    assert train.returncode == 2
    assert "robot-ac[learn]" in train.stderr and "Traceback" not in train.stderr
