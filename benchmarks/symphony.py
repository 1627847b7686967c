"""`robot-ac bench symphony`: Symphony's throughput against the reference implementation's replay handling.

Same process, same networks (the paper's: hidden 512, 3 x 128 critic nodes, batch 384, 3 updates per env step),
same env (Gymnasium ``Humanoid-v5``), a full 512k-transition buffer:

* robot-ac: the measured loop, act -> env step -> store -> 3 updates, with each part timed;
* reference: the reference code's ``ReplayBuffer`` (SuspensionRailway/symphony ``symphony.py``) does, once full,
  ``torch.roll`` of all five storage tensors on every insert and ``torch.multinomial`` over the full probability
  vector on every sample. Those two operations are reproduced here at the same size (:class:`RollingReplayBuffer`)
  and timed; the reference's env-steps/s is the same loop with its insert and sampling in place of ours.

Then the parallel mode: env-steps/s and updates/s at several env counts (one vectorised step, then
``updates_per_step`` updates), with the share of the time spent in the buffer and bookkeeping.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch

from benchmarks._results import scaling_axes, write_result
from robot_ac._plotting import pyplot
from robot_ac.algorithms.replay_buffer import fading_weights
from robot_ac.algorithms.symphony import Symphony
from robot_ac.config import SymphonyConfig
from robot_ac.tasks import EnvOptions, get_task

FILL_CHUNK = 16_384


class RollingReplayBuffer:
    """The reference's replay handling at full capacity: roll every storage tensor by one per insert, sample with
    ``torch.multinomial`` over the fading probabilities of all slots."""

    def __init__(self, capacity: int, obs_dim: int, action_dim: int) -> None:
        self.tensors = [torch.zeros(capacity, obs_dim), torch.zeros(capacity, action_dim), torch.zeros(capacity, 1),
                        torch.zeros(capacity, obs_dim), torch.zeros(capacity, 1)]
        weights = fading_weights(capacity)
        self.probs = (weights / weights.sum()).float()

    def add(self, *transition: torch.Tensor) -> None:
        for tensor, value in zip(self.tensors, transition):
            tensor[-1] = value
        self.tensors = [torch.roll(tensor, shifts=-1, dims=0) for tensor in self.tensors]

    def sample(self, batch_size: int) -> list[torch.Tensor]:
        indices = torch.multinomial(self.probs, num_samples=batch_size, replacement=True)
        return [tensor[indices] for tensor in self.tensors]


def _fill(algo: Symphony, obs_dim: int, action_dim: int) -> None:
    """Fill the buffer to capacity with random transitions (what is in it does not change the cost)."""
    generator = torch.Generator().manual_seed(0)
    while algo.buffer.size < algo.buffer.capacity:
        n = min(FILL_CHUNK, algo.buffer.capacity - algo.buffer.size)
        algo.store(torch.randn(n, obs_dim, generator=generator), torch.rand(n, action_dim, generator=generator),
                   torch.randn(n, generator=generator), torch.randn(n, obs_dim, generator=generator),
                   torch.zeros(n))


def _timed(fn: Any, repeats: int) -> float:
    started = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - started) / repeats


def _loop(env: Any, algo: Symphony, steps: int) -> dict[str, float]:
    """Run ``steps`` vectorised env steps with updates; seconds per step in each part."""
    parts = {"act": 0.0, "env": 0.0, "store": 0.0, "update": 0.0}
    obs = env.get_observations()["policy"]
    for _ in range(steps):
        t0 = time.perf_counter()
        actions = algo.act(obs, explore=True)
        t1 = time.perf_counter()
        next_obs, rewards, dones, extras = env.step(actions)
        t2 = time.perf_counter()
        algo.store(obs, actions, rewards, next_obs["policy"], dones.float())
        t3 = time.perf_counter()
        for _ in range(algo.cfg.updates_per_step):
            algo.update()
        t4 = time.perf_counter()
        obs = next_obs["policy"]
        for key, seconds in zip(parts, (t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
            parts[key] += seconds / steps
    return parts


def _measure(num_envs: int, cfg: SymphonyConfig, steps: int, with_reference: bool) -> dict[str, Any]:
    env = get_task("mujoco-humanoid").make_env(EnvOptions(num_envs=num_envs, device="cpu", seed=0))
    try:
        obs_dim = int(env.get_observations()["policy"].shape[-1])
        algo = Symphony(obs_dim, env.num_actions, cfg, max_action=env.action_limit)
        _fill(algo, obs_dim, env.num_actions)
        _loop(env, algo, 2)  # warm-up: allocator, first-call overheads
        parts = _loop(env, algo, steps)
        sample_s = _timed(lambda: algo.buffer.sample(cfg.batch_size), 50)
        step_s = sum(parts.values())
        row: dict[str, Any] = {
            "num_envs": num_envs, "env_steps_per_s": num_envs / step_s,
            "updates_per_s": cfg.updates_per_step / step_s, "seconds_per_step": parts,
            "sample_s": sample_s,
            "buffer_share_of_update": (parts["store"] + cfg.updates_per_step * sample_s) / parts["update"]}
        if with_reference:
            reference = RollingReplayBuffer(cfg.buffer_capacity, obs_dim, env.num_actions)
            one = [torch.zeros(obs_dim), torch.zeros(env.num_actions), torch.zeros(1), torch.zeros(obs_dim),
                   torch.zeros(1)]
            insert_s = _timed(lambda: reference.add(*one), 3)
            reference_sample_s = _timed(lambda: reference.sample(cfg.batch_size), 10)
            del reference
            reference_step_s = (parts["act"] + parts["env"] + insert_s
                                + parts["update"] + cfg.updates_per_step * (reference_sample_s - sample_s))
            row["reference"] = {"insert_s": insert_s, "sample_s": reference_sample_s,
                                "env_steps_per_s": 1 / reference_step_s}
            row["speedup_vs_reference"] = row["env_steps_per_s"] / row["reference"]["env_steps_per_s"]
        return row
    finally:
        env.close()


def _plot(rows: list[dict[str, Any]]) -> Any:
    fig, (ax_single, ax_parallel) = pyplot().subplots(1, 2, figsize=(11, 4))
    single = rows[0]
    ax_single.bar(["robot-ac", "reference\n(roll + multinomial)"],
                  [single["env_steps_per_s"], single["reference"]["env_steps_per_s"]], color=["tab:blue", "tab:grey"])
    ax_single.set_ylabel("env steps / s")
    ax_single.set_title(f"single env, full buffer: {single['speedup_vs_reference']:.1f}x")
    envs = [r["num_envs"] for r in rows]
    ax_parallel.plot(envs, [r["env_steps_per_s"] for r in rows], "o-", label="env steps / s")
    ax_parallel.plot(envs, [r["updates_per_s"] for r in rows], "s--", label="updates / s")
    scaling_axes(ax_parallel, "parallel envs (Humanoid-v5, CPU)",
                 title="Symphony, paper-size networks, 3 updates / env step")
    ax_parallel.legend(fontsize=8)
    fig.tight_layout()
    return fig


def bench_symphony(out_dir: Path, num_envs: tuple[int, ...] = (16, 64, 256), steps: int = 10,
                   compiled: bool = False) -> Path:
    """``compiled``: also time the single-env loop with ``torch.compile``d networks (after compiling)."""
    cfg = SymphonyConfig()
    rows = []
    compiled_row = None
    if compiled:
        print("1 env, torch.compile: compiling (first updates) and timing ...", flush=True)
        compiled_row = _measure(1, replace(cfg, compile=True), steps, with_reference=False)
        print(f"  {compiled_row['env_steps_per_s']:8.2f} env-steps/s compiled", flush=True)
    for n in (1, *num_envs):
        print(f"{n} env(s): filling a {cfg.buffer_capacity:,}-transition buffer and timing {steps} steps ...",
              flush=True)
        row = _measure(n, cfg, steps, with_reference=n == 1)
        rows.append(row)
        line = (f"  {row['env_steps_per_s']:8.2f} env-steps/s, {row['updates_per_s']:6.2f} updates/s, buffer + "
                f"bookkeeping {100 * row['buffer_share_of_update']:.1f}% of update time")
        if "reference" in row:
            line += (f"; reference {row['reference']['env_steps_per_s']:.2f} env-steps/s (insert "
                     f"{row['reference']['insert_s'] * 1e3:.0f} ms, sample {row['reference']['sample_s'] * 1e3:.1f} "
                     f"ms): {row['speedup_vs_reference']:.1f}x")
        print(line, flush=True)
    result = {"benchmark": "symphony", "env": "Humanoid-v5", "config": cfg.__dict__, "rows": rows}
    if compiled_row is not None:
        result["compiled_single_env"] = compiled_row
        result["compiled_speedup"] = compiled_row["env_steps_per_s"] / rows[0]["env_steps_per_s"]
        print(f"torch.compile: {result['compiled_speedup']:.2f}x the eager single-env loop")
    return write_result(out_dir, "bench_symphony", result, _plot(rows))
