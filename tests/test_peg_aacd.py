"""AACD end to end on the tactile peg task, on the CPU: a privileged teacher (one PPO iteration), then the GelSight
student with the teacher's critic frozen, and DAgger from the same teacher; both students export with their tactile
preprocessing and reproduce their torch actions in ONNX."""

from __future__ import annotations

import json

import pytest
import torch

from robot_ac.contract.manifest import load_manifest
from robot_ac.runners.checkpoints import find_checkpoint, load_checkpoint

pytestmark = pytest.mark.sim
SMALL = ["--num-envs", "4", "--max-iterations", "1", "--ppo.num-steps-per-env", "8", "--save-interval", "100"]


@pytest.fixture(scope="module")
def teacher(tmp_path_factory):
    from robot_ac.cli import main

    root = tmp_path_factory.mktemp("teacher")
    assert main(["train", "--task", "franka-peg-place-privileged", *SMALL, "--run-root", str(root)]) == 0
    (run,) = (root / "franka-peg-place-privileged").iterdir()
    return run


@pytest.mark.parametrize("algo", ["aacd", "dagger"])
def test_tactile_student_from_a_privileged_teacher(algo, teacher, tmp_path, cli):
    extra = ["--aacd.freeze-critic"] if algo == "aacd" else []
    code, out, err = cli(["train", "--task", "franka-peg-place", *SMALL, "--max-iterations", "2", "--algo", algo,
                          "--teacher", str(teacher), *extra, "--run-root", str(tmp_path), "--export"])
    assert code == 0, err
    (run,) = (tmp_path / "franka-peg-place").iterdir()
    assert json.loads((run / "teacher.json").read_text())["task"] == "franka-peg-place-privileged"
    student = load_checkpoint(find_checkpoint(run))
    actor_cfg = student["infos"]["train_cfg"]["actor"]
    assert actor_cfg["class_name"].endswith(":TactileStudentModel")
    assert actor_cfg["tactile_layout"] == {"start": 22, "pads": 2, "height": 24, "width": 32}
    if algo == "aacd":
        handed = load_checkpoint(find_checkpoint(teacher))["critic_state_dict"]
        assert all(torch.equal(student["critic_state_dict"][k], v) for k, v in handed.items()), \
            "the frozen critic is still the teacher's after two PPO iterations"

    manifest = load_manifest(run / "export" / "manifest.json")
    interface = manifest.interface
    assert interface.tactile == {"height": 24, "width": 32, "mode": "difference", "scale": 1.0 / 255.0}
    assert [t.quantity for t in interface.observations if t.source == "tactile"] == ["left", "right"]
    assert interface.action.type == "ee_pose_delta" and interface.action_size == 6
    assert interface.observation_size == 22 + 2 * 3 * 24 * 32
    assert "export check passed" in out, out
