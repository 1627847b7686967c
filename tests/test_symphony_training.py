"""Symphony through `robot-ac train --algo symphony` on the Isaac Lab cartpole: the same run directory,
checkpoints, resume, export (deterministic actor, ONNX = torch) and play as PPO; the update schedule in the run
(printed, in config.json, overridden) and a short run on the derived schedule that learns."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from robot_ac.contract.manifest import load_manifest
from robot_ac.export.policy_export import check_export
from robot_ac.runners.checkpoints import find_checkpoint, load_checkpoint

pytestmark = pytest.mark.sim
SMALL = ["--symphony.hidden-dim", "32", "--symphony.q-nodes", "8", "--symphony.batch-size", "64",
         "--symphony.warmup-transitions", "256", "--symphony.buffer-capacity", "8192",
         "--symphony.steps-per-iteration", "8", "--symphony.updates-per-step", "1"]


@pytest.fixture(scope="module")
def symphony_run(tmp_path_factory):
    import contextlib
    import io

    from robot_ac.cli import main

    root = tmp_path_factory.mktemp("runs")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["train", "--algo", "symphony", "--task", "cartpole", "--num-envs", "16", "--max-iterations",
                     "6", "--save-interval", "3", "--run-root", str(root), "--export", *SMALL])
    assert code == 0
    (run,) = (root / "cartpole").iterdir()
    return run, out.getvalue()


def test_run_directory_checkpoints_and_export(symphony_run, tmp_path):
    run, out = symphony_run
    assert "training symphony for 6 iterations x 8 steps x 16 envs" in out and "upd/s" in out
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == ["model_2.pt", "model_5.pt"]
    with open(run / "metrics.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["total_steps"]) for r in rows] == [8 * 16 * (i + 1) for i in range(6)]
    config = json.loads((run / "config.json").read_text())
    assert config["algo"] == "symphony" and config["symphony"]["hidden_dim"] == 32
    # --symphony.updates-per-step / --symphony.batch-size replace the schedule's values, and the run says so.
    assert config["symphony_schedule"] == {"num_envs": 16, "updates_per_step": 1, "batch_size": 64, "utd": 4.0,
                                           "derived": []}
    assert config["symphony_bf16"] is False, "auto: off on the CPU"
    assert ("Symphony update schedule (updates_per_step and batch_size given): 16 envs -> 1 updates x batch 64 per "
            "vectorised step, UTD 4.0") in out
    state = load_checkpoint(find_checkpoint(run))
    assert state["symphony_state"]["num_updates"] == 6 * 8 - 256 // 16 + 1, "one update per step after warm-up"
    manifest = load_manifest(run / "export" / "manifest.json")
    assert manifest.interface.task == "cartpole"
    check = check_export(run / "export", find_checkpoint(run), np.load(run / "recorded_observations.npy"))
    assert check.passed, check


def test_resume_and_play(symphony_run, tmp_path, cli):
    run, _ = symphony_run
    code, out, err = cli(["train", "--algo", "symphony", "--task", "cartpole", "--num-envs", "16",
                          "--max-iterations", "2", "--resume", str(run), "--run-root", str(tmp_path), *SMALL])
    assert code == 0, err
    assert "at iteration 6" in out
    (resumed,) = (tmp_path / "cartpole").iterdir()
    before = load_checkpoint(find_checkpoint(run))["symphony_state"]["num_updates"]
    after = load_checkpoint(find_checkpoint(resumed))
    assert after["iter"] == 7
    # The replay buffer is not in checkpoints: the warm-up (16 steps x 16 envs) is collected again, so only the
    # last of the 16 steps updates, from the resumed optimiser state.
    assert after["symphony_state"]["num_updates"] == before + 1
    code, out, err = cli(["play", str(run / "export"), "--episodes", "4", "--num-envs", "4"])
    assert code == 0, err
    assert "return" in out


def test_single_env_humanoid_v5(tmp_path, cli):
    """The paper's setting: one Gymnasium Humanoid-v5; the actor is bounded to its [-0.4, 0.4] actions, falls are
    terminations and the 1000-step limit a time-out."""
    import torch

    from robot_ac.tasks import EnvOptions, get_task

    env = get_task("mujoco-humanoid").make_env(EnvOptions(num_envs=2, device="cpu", seed=0))
    try:
        assert env.action_limit == pytest.approx(0.4) and env.get_observations()["policy"].shape == (2, 348)
        ended = 0
        for _ in range(200):  # zero torques: the humanoid falls within ~100 steps, a termination
            _, rewards, dones, extras = env.step(torch.zeros(2, env.num_actions))
            assert torch.isfinite(rewards).all() and not extras["time_outs"].any()
            ended += int(dones.sum())
        assert ended >= 2
    finally:
        env.close()
    code, _, err = cli(["train", "--algo", "symphony", "--task", "mujoco-humanoid", "--max-iterations", "2",
                        "--run-root", str(tmp_path), "--export", *SMALL])
    assert code == 0, err
    (run,) = (tmp_path / "mujoco-humanoid").iterdir()
    state = load_checkpoint(find_checkpoint(run))
    assert torch.allclose(state["actor_state_dict"]["max_action"], torch.full((17,), 0.4))
    assert load_manifest(run / "export" / "manifest.json").interface.action.clip == pytest.approx(0.4)


def test_symphony_under_torchrun_on_cpu(tmp_path):
    """`--distributed` with two CPU ranks (gloo): both train, only rank 0 writes the run directory, and the
    parameters it saves equal rank 1's (gradients are averaged every update)."""
    import subprocess
    import sys

    args = ["train", "--algo", "symphony", "--task", "mujoco-humanoid", "--distributed", "--max-iterations", "12",
            "--run-root", str(tmp_path), *SMALL, "--symphony.warmup-transitions", "64"]
    result = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2",
                             "--master_port=29531", "-m", "robot_ac.cli", *args],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "parameters identical on 2 ranks" in result.stdout
    (run,) = (tmp_path / "mujoco-humanoid").iterdir()
    assert json.loads((run / "config.json").read_text())["world_size"] == 2
    assert load_checkpoint(find_checkpoint(run))["symphony_state"]["num_updates"] > 0


@pytest.mark.slow
def test_symphony_learns_cartpole_on_the_derived_schedule(tmp_path, cli):
    """32 envs, no schedule flags: 3 updates x 384 per vectorised step (UTD 36) come from the env count. ~30 s of
    training lift the deterministic policy's return from the untrained actor's (about -9) to a balancing one (about
    +2; the exploring policy's training return, noise always on, lags behind it)."""
    import torch

    from robot_ac.config import PlayOptions
    from robot_ac.play import play

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # two threads on two shared cores are ~10x slower per update than one
    try:
        code, out, err = cli(["train", "--algo", "symphony", "--task", "cartpole", "--num-envs", "32",
                              "--max-iterations", "42", "--save-interval", "3", "--run-root", str(tmp_path),
                              "--symphony.hidden-dim", "64", "--symphony.q-nodes", "16",
                              "--symphony.warmup-transitions", "1024", "--symphony.buffer-capacity", "100000",
                              "--symphony.steps-per-iteration", "8", "--symphony.learning-rate", "1e-3",
                              "--symphony.tau", "0.02"])
        assert code == 0, err
        (run,) = (tmp_path / "cartpole").iterdir()
        schedule = json.loads((run / "config.json").read_text())["symphony_schedule"]
        assert schedule == {"num_envs": 32, "updates_per_step": 3, "batch_size": 384, "utd": 36.0,
                            "derived": ["updates_per_step", "batch_size"]}
        assert "Symphony update schedule (from the env count): 32 envs -> 3 updates x batch 384" in out
        untrained = load_checkpoint(run / "checkpoints" / "model_2.pt")  # 24 steps: still in the warm-up
        assert untrained["symphony_state"]["num_updates"] == 0
        trained = load_checkpoint(find_checkpoint(run))
        assert trained["symphony_state"]["num_updates"] == 3 * (42 * 8 - 1024 // 32 + 1)

        def deterministic_return(checkpoint):
            stats = play(PlayOptions(policy=checkpoint, episodes=32, evaluate=True, seed=3))
            return stats.mean_return

        before = deterministic_return(run / "checkpoints" / "model_2.pt")
        after = deterministic_return(find_checkpoint(run))
    finally:
        torch.set_num_threads(threads)
    assert after > before + 5, f"the deterministic return rose only from {before:.2f} to {after:.2f}"
