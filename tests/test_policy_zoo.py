"""The policy zoo: every entry is a complete export that the robot side accepts, and playing one reproduces the
success its README records (statistically: the new evaluation's 95% interval overlaps the recorded one)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from robot_ac.contract.manifest import load_manifest

ZOO = Path(__file__).resolve().parents[1] / "policies"
ENTRIES = sorted(path.parent for path in ZOO.glob("*/*/manifest.json"))


def test_the_zoo_is_not_empty():
    assert ENTRIES, f"no policies under {ZOO}"


@pytest.mark.parametrize("entry", ENTRIES, ids=[f"{e.parent.name}/{e.name}" for e in ENTRIES])
def test_entry_is_complete_and_loads(entry):
    from robot_ac.deploy.policy_runtime import PolicyRuntime

    manifest = load_manifest(entry / "manifest.json")
    evaluation = json.loads((entry / "evaluation.json").read_text())
    assert manifest.interface.task == entry.parent.name == evaluation["task"]
    readme = (entry / "README.md").read_text()
    assert f"{evaluation['evaluation']['success_rate']:.2f}" in readme and evaluation["command"] in readme
    assert (entry / "policy.onnx").stat().st_size < 5_000_000, "zoo entries stay small"
    runtime = PolicyRuntime(entry)  # checks the checksum and the ONNX file's inputs against the manifest
    assert runtime(__import__("numpy").zeros(manifest.interface.observation_size)).shape == \
        (manifest.interface.action_size,)


@pytest.mark.sim
def test_playing_the_peg_teacher_reproduces_its_recorded_success():
    from robot_ac.config import PlayOptions
    from robot_ac.play import play

    entry = ZOO / "franka-peg-place-privileged" / "teacher-seed1"
    recorded = json.loads((entry / "evaluation.json").read_text())["evaluation"]
    stats = play(PlayOptions(policy=entry, episodes=32, seed=7, evaluate=True))
    low, high = stats.success_interval
    assert low <= recorded["success_interval"][1] and recorded["success_interval"][0] <= high, \
        f"played {stats.success_rate:.2f} [{low:.2f}, {high:.2f}], recorded {recorded}"
