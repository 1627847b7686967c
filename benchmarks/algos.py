"""`robot-ac bench algos`: Symphony vs PPO on one task, same env count, same wall-clock budget, one after the other
in this process: return against wall-clock and env steps, and the final policies' action smoothness and energy.
Symphony's update schedule for the env count (its run's ``config.json``) goes into the result."""

from __future__ import annotations

import json
import statistics
import tempfile
from pathlib import Path
from typing import Any

from benchmarks._results import write_result
from benchmarks._training import read_curve, train_for
from robot_ac._plotting import pyplot
from robot_ac.config import SymphonyConfig
from robot_ac.tasks import EnvOptions, get_task

CURVE = ("total_steps", "mean_return", "wall_time_s")


def _rollout_statistics(run: Path, task: str, num_envs: int, steps: int) -> dict[str, float]:
    """The final policy, deterministic: return per env step, action smoothness mean |a_t - a_{t-1}|, and
    effort mean a_t^2 (actions as the env receives them, clipped to its bound where it declares one)."""
    from robot_ac.play import load_policy

    policy, _ = load_policy(run, "cpu")
    env = get_task(task).make_env(EnvOptions(num_envs=num_envs, device="cpu", seed=123))
    try:
        obs = env.get_observations()["policy"]
        limit = getattr(env, "action_limit", None)
        previous, changes, efforts, rewards = None, [], [], []
        for _ in range(steps):
            actions = policy(obs)
            if limit is not None:
                actions = actions.clamp(-limit, limit)
            if previous is not None:
                changes.append((actions - previous).abs().mean().item())
            efforts.append(actions.pow(2).mean().item())
            next_obs, reward, _, _ = env.step(actions)
            rewards.append(reward.mean().item())
            obs, previous = next_obs["policy"], actions
    finally:
        env.close()
    return {"reward_per_step": statistics.fmean(rewards), "action_smoothness": statistics.fmean(changes),
            "action_energy": statistics.fmean(efforts)}


def bench_algos(out_dir: Path, task: str, num_envs: int, minutes: float, eval_steps: int = 300,
                symphony: SymphonyConfig | None = None) -> Path:
    runs: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="robot-ac-bench-algos-") as root:
        for algo in ("symphony", "ppo"):
            run = train_for(Path(root), task, algo, algo, num_envs, minutes, symphony=symphony or SymphonyConfig())
            curve = read_curve(run.metrics_csv, CURVE)
            runs[algo] = {"curve": curve, **_rollout_statistics(run.path, task, min(num_envs, 16), eval_steps)}
            if algo == "symphony":
                runs[algo]["schedule"] = json.loads(run.config_json.read_text())["symphony_schedule"]
            print(f"  {algo}: final return {curve['mean_return'][-1]:.2f} after {curve['total_steps'][-1]:,.0f} "
                  f"env steps; smoothness {runs[algo]['action_smoothness']:.4f}, energy "
                  f"{runs[algo]['action_energy']:.4f}", flush=True)
    result = {"benchmark": "algos", "task": task, "num_envs": num_envs, "minutes": minutes, "runs": runs}
    return write_result(out_dir, f"bench_algos_{task}_{num_envs}envs", result, _plot(runs, task, num_envs))


def _plot(runs: dict[str, dict[str, Any]], task: str, num_envs: int) -> Any:
    fig, (ax_time, ax_steps, ax_bars) = pyplot().subplots(1, 3, figsize=(15, 4))
    for algo, data in runs.items():
        curve = data["curve"]
        ax_time.plot([t / 60 for t in curve["wall_time_s"]], curve["mean_return"], label=algo)
        ax_steps.plot([s / 1e3 for s in curve["total_steps"]], curve["mean_return"], label=algo)
    ax_time.set_xlabel("wall-clock (min)")
    ax_steps.set_xlabel("env steps (thousands)")
    for ax in (ax_time, ax_steps):
        ax.set_ylabel("mean episode return")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    names = list(runs)
    x = range(len(names))
    ax_bars.bar([i - 0.2 for i in x], [runs[n]["action_smoothness"] for n in names], 0.4, label="mean |a_t - a_t-1|")
    ax_bars.bar([i + 0.2 for i in x], [runs[n]["action_energy"] for n in names], 0.4, label="mean a^2")
    ax_bars.set_xticks(list(x), names)
    ax_bars.legend(fontsize=8)
    ax_bars.set_title("final policies (lower is smoother / cheaper)")
    fig.suptitle(f"{task}, {num_envs} envs, same wall-clock budget")
    fig.tight_layout()
    return fig
