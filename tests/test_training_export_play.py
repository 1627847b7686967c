"""End to end on cartpole: PPO learns, the export matches torch, play is seeded, resume continues, bench reports."""

from __future__ import annotations

import csv
import json

import numpy as np
import onnxruntime as ort
import pytest
import torch

from robot_ac.contract.manifest import load_manifest
from robot_ac.export.policy_export import check_export, deterministic_actions, rebuild_actor
from robot_ac.runners.checkpoints import find_checkpoint, load_checkpoint

pytestmark = pytest.mark.sim


def _metrics(run):
    with open(run / "metrics.csv", newline="") as f:
        return list(csv.DictReader(f))


def test_ppo_return_rises(trained_cartpole):
    rows = _metrics(trained_cartpole)
    assert len(rows) == 40
    first = np.mean([float(r["mean_return"]) for r in rows[:3]])
    last = np.mean([float(r["mean_return"]) for r in rows[-3:]])
    first_len = np.mean([float(r["mean_episode_length"]) for r in rows[:3]])
    last_len = np.mean([float(r["mean_episode_length"]) for r in rows[-3:]])
    # An episode lasts at most 300 steps (5 s at 60 Hz) and earns at most ~5; a random policy falls in ~10-20 steps.
    assert last > first + 1.5, f"mean return rose only from {first:.2f} to {last:.2f}"
    assert last_len > 3 * first_len, f"episode length rose only from {first_len:.0f} to {last_len:.0f}"
    # Success (balanced to the time limit) counts whole episodes only: the random head starts rsl_rl gives the
    # first episodes would otherwise show an untrained policy succeeding.
    success = [float(r["success_rate"]) for r in rows if r["success_rate"] != ""]
    assert success and success[0] < 0.5 and success[-1] > success[0], \
        f"success rate {success[0]:.2f} -> {success[-1]:.2f}"


def test_run_directory_is_complete(trained_cartpole):
    run = trained_cartpole
    for name in ("config.json", "interface.json", "summary.json", "metrics.csv", "training.png",
                 "recorded_observations.npy", "export/policy.onnx", "export/policy.pt", "export/manifest.json"):
        assert (run / name).is_file(), name
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == \
        ["model_0.pt", "model_10.pt", "model_20.pt", "model_30.pt", "model_39.pt"]
    assert not list(run.rglob("*.tmp")), "temporary files left behind: a write was not atomic"
    assert (run / "training.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    config = json.loads((run / "config.json").read_text())
    assert config["num_envs"] == 512 and config["rsl_rl"]["algorithm"]["class_name"] == "PPO"
    assert list(run.glob("events.out.tfevents.*")), "no TensorBoard log"


def test_export_matches_torch(trained_cartpole):
    run = trained_cartpole
    manifest = load_manifest(run / "export" / "manifest.json")
    assert manifest.interface.task == "cartpole"
    assert manifest.source["iteration"] == 39
    state = load_checkpoint(find_checkpoint(run))
    actor = rebuild_actor(state)
    recorded = np.load(run / "recorded_observations.npy")
    assert recorded.shape[1] == manifest.interface.observation_size and np.abs(recorded).sum() > 0
    session = ort.InferenceSession(str(run / "export" / "policy.onnx"), providers=["CPUExecutionProvider"])
    onnx_actions = session.run(["actions"], {"obs": recorded})[0]
    torch_actions = deterministic_actions(actor, torch.from_numpy(recorded)).numpy()
    assert onnx_actions.shape == (recorded.shape[0], 1)
    assert np.max(np.abs(onnx_actions - torch_actions)) < 1e-5
    assert np.std(torch_actions) > 1e-3, "a constant policy would make this comparison meaningless"
    result = check_export(run / "export", find_checkpoint(run), recorded)
    assert result.passed and set(result.onnx_vs_torch) == {"random", "recorded"}


def test_export_check_detects_a_changed_onnx_file(trained_cartpole, tmp_path, cli):
    out = tmp_path / "export"
    code, stdout, _ = cli(["export", str(trained_cartpole), "--out", str(out), "--check"])
    assert code == 0 and "export check passed" in stdout
    onnx = out / "policy.onnx"
    onnx.write_bytes(onnx.read_bytes() + b"\0")
    code, _, err = cli(["export", str(trained_cartpole), "--out", str(out / "again")])
    assert code == 0
    with pytest.raises(Exception, match="sha256 does not match manifest.json"):
        check_export(out, find_checkpoint(trained_cartpole))


def test_play_is_seeded_and_reports_success(trained_cartpole, tmp_path, cli):
    results = []
    for policy, name in ((trained_cartpole / "export", "a"), (trained_cartpole / "export", "b"),
                         (trained_cartpole, "c")):
        out = tmp_path / f"{name}.json"
        code, stdout, _ = cli(["play", str(policy), "--episodes", "8", "--num-envs", "8", "--seed", "5",
                               "--json-out", str(out)])
        assert code == 0 and "success" in stdout
        results.append(json.loads(out.read_text()))
    assert results[0]["returns"] == results[1]["returns"], "same seed, same policy: identical episodes"
    # The checkpoint and its ONNX export act alike (up to float rounding).
    assert results[2]["mean_return"] == pytest.approx(results[0]["mean_return"], rel=1e-3)
    assert results[0]["mean_length"] > 150, "a trained cartpole policy balances for most of the episode"


def test_eval_reports_a_success_rate_with_its_confidence_interval(trained_cartpole, tmp_path, cli):
    from robot_ac.play import wilson_interval

    assert wilson_interval(0, 10) == pytest.approx((0.0, 0.2775), abs=1e-4)
    assert wilson_interval(5, 10) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    assert wilson_interval(10, 10)[1] == 1.0
    out = tmp_path / "eval.json"
    code, stdout, err = cli(["eval", str(trained_cartpole / "export"), "--episodes", "24", "--json-out", str(out)])
    assert code == 0, err
    result = json.loads(out.read_text())
    assert result["episodes"] == len(result["returns"]) == 24
    low, high = result["success_interval"]
    assert low <= result["success_rate"] <= high and high - low < 0.5
    assert "95% CI" in stdout


def test_resume_continues_from_checkpoint(trained_cartpole, tmp_path, cli):
    code, stdout, _ = cli(["train", "--resume", str(trained_cartpole), "--num-envs", "16", "--max-iterations", "2",
                           "--run-root", str(tmp_path)])
    assert code == 0 and "resumed from" in stdout
    (run,) = (tmp_path / "cartpole").iterdir()
    assert json.loads((run / "config.json").read_text())["resumed_from"].endswith("model_39.pt")
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == ["model_40.pt", "model_41.pt"]
    resumed = load_checkpoint(run / "checkpoints" / "model_40.pt")
    original = load_checkpoint(trained_cartpole / "checkpoints" / "model_39.pt")
    # One more PPO update moves the weights, but only a little from where training stopped.
    drift = max((resumed["actor_state_dict"][k] - v).abs().max().item()
                for k, v in original["actor_state_dict"].items())
    assert 0 < drift < 0.5


def test_bench_writes_json_and_plot(tmp_path, cli):
    code, stdout, _ = cli(["bench", "envs", "--num-envs", "4", "8", "--steps", "20", "--repeats", "2", "--train-iterations", "1",
                           "--out-dir", str(tmp_path)])
    assert code == 0
    (result_file,) = tmp_path.glob("bench_cartpole_cpu_*.json")
    result = json.loads(result_file.read_text())
    assert [row["num_envs"] for row in result["env"]] == [4, 8]
    for row in result["env"]:
        assert row["steps_per_s"] > 0 and row["baseline_steps_per_s"] > 0
        assert row["ratio_to_baseline"] == pytest.approx(row["steps_per_s"] / row["baseline_steps_per_s"])
        assert len(row["samples"]["ours"]) == 2 and row["steps_per_s"] == max(row["samples"]["ours"])
    assert result["training"]["env_steps_per_s"] > 0
    assert result["machine"]["packages"]["isaaclab"] == "3.0.0"
    assert result_file.with_suffix(".png").read_bytes()[:4] == b"\x89PNG"
