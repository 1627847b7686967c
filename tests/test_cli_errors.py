"""Bad input gets one clear line naming what is wrong, exit status 2, and no traceback."""

from __future__ import annotations

import pytest
import torch


def _assert_clean_error(code: int, err: str, *expected: str) -> None:
    assert code == 2
    assert "Traceback" not in err
    for text in expected:
        assert text in err, f"{text!r} not in {err!r}"


def test_unknown_task_lists_the_valid_ones(cli):
    code, _, err = cli(["train", "--task", "cartpoel"])
    _assert_clean_error(code, err, "unknown task 'cartpoel'", "available tasks: cartpole")


@pytest.mark.parametrize("device", ["gpu", "cuda:x", "cpu0", ""])
def test_bad_device_string(cli, device):
    code, _, err = cli(["train", "--device", device])
    _assert_clean_error(code, err, f"bad device '{device}'", "expected 'cpu', 'cuda' or 'cuda:N'")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message on a machine without a GPU")
def test_cuda_without_gpu(cli):
    code, _, err = cli(["train", "--device", "cuda:0"])
    _assert_clean_error(code, err, "torch sees no CUDA GPU", "--device cpu")


@pytest.mark.parametrize("command", ["play", "export"])
def test_missing_checkpoint(cli, tmp_path, command):
    missing = tmp_path / "nope" / "model_5.pt"
    code, _, err = cli([command, str(missing)])
    _assert_clean_error(code, err, f"checkpoint '{missing}' does not exist")


def test_run_directory_without_checkpoints(cli, tmp_path):
    (tmp_path / "checkpoints").mkdir()
    code, _, err = cli(["export", str(tmp_path)])
    _assert_clean_error(code, err, "no checkpoint (model_<N>.pt)")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"\x00garbage, not a zip or pickle", "the file is corrupt or not a torch checkpoint"),
        (None, "lacks ['critic_state_dict', 'iter', 'infos']"),
    ],
)
@pytest.mark.parametrize("command", ["play", "export"])
def test_corrupt_checkpoint(cli, tmp_path, command, content, expected):
    path = tmp_path / "model_3.pt"
    if content is None:
        torch.save({"actor_state_dict": {}}, path)
    else:
        path.write_bytes(content)
    code, _, err = cli([command, str(path)])
    _assert_clean_error(code, err, f"checkpoint '{path}'", expected)


def test_truncated_checkpoint(cli, tmp_path):
    path = tmp_path / "model_9.pt"
    torch.save({"actor_state_dict": {"w": torch.zeros(1000)}, "iter": 9}, path)
    path.write_bytes(path.read_bytes()[:300])
    code, _, err = cli(["play", str(path)])
    _assert_clean_error(code, err, "cannot be read", "corrupt")


def test_distributed_without_torchrun(cli, monkeypatch):
    for key in ("WORLD_SIZE", "RANK", "LOCAL_RANK"):
        monkeypatch.delenv(key, raising=False)
    code, _, err = cli(["train", "--distributed"])
    _assert_clean_error(code, err, "--distributed needs", "torchrun")


def test_tasks_lists_sizes(cli):
    code, out, _ = cli(["tasks"])
    assert code == 0
    (row,) = [line for line in out.splitlines() if "RobotAc-Cartpole-v0" in line]
    assert [cell.strip() for cell in row.split("│")[1:5]] == ["cartpole", "RobotAc-Cartpole-v0", "4", "1"]


def test_help_explains_options(cli):
    code, out, _ = cli(["train", "--help"])
    assert code == 0
    assert "--num-envs" in out and "Parallel environments" in out and "--ppo.learning-rate" in out
