"""`robot-ac bench symphony`: Symphony's throughput against the reference implementation's replay handling, and its
update schedule per env count against fixed ones.

Same process, same networks (the paper's: hidden 512, 3 x 128 critic nodes), same env (Gymnasium ``Humanoid-v5``),
a full 512k-transition buffer:

* robot-ac, one env: the measured loop, act -> env step -> store -> the schedule's 3 updates of 384, each part
  timed;
* reference: the reference code's ``ReplayBuffer`` (SuspensionRailway/symphony ``symphony.py``) does, once full,
  ``torch.roll`` of all five storage tensors on every insert and ``torch.multinomial`` over the full probability
  vector on every sample. Those two operations are reproduced here at the same size (:class:`RollingReplayBuffer`)
  and timed; the reference's env-steps/s is the same loop with its insert and sampling in place of ours.

Then the parallel mode: at each env count, env-steps/s, updates/s and the UTD (samples per new transition) of the
update schedule (:func:`robot_ac.algorithms.symphony.update_schedule`) against one update of 384 per vectorised
step and the fixed 3 x 384 that was the default before the schedule, on the same env and the same buffer, the arms
taking turns.
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
from robot_ac.algorithms.symphony import PAPER_BATCH_SIZE, PAPER_UPDATES_PER_STEP, Symphony, update_schedule
from robot_ac.config import SymphonyConfig
from robot_ac.tasks import EnvOptions, get_task

FILL_CHUNK = 16_384
FIXED = {"1 x 384": (1, PAPER_BATCH_SIZE), "3 x 384 (before)": (PAPER_UPDATES_PER_STEP, PAPER_BATCH_SIZE)}
"""The fixed settings the schedule is measured against: one update per vectorised step, and the previous default."""
ROUNDS = 2
"""The arms at one env count take turns this many times (a loaded machine slows them alike)."""


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
    """Run ``steps`` vectorised env steps with the scheduled updates; seconds per step in each part."""
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
        for _ in range(algo.schedule.updates_per_step):
            algo.update()
        t4 = time.perf_counter()
        obs = next_obs["policy"]
        for key, seconds in zip(parts, (t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
            parts[key] += seconds / steps
    return parts


def _rates(algo: Symphony, parts: dict[str, float]) -> dict[str, Any]:
    schedule, step_s = algo.schedule, sum(parts.values())
    return {"updates_per_step": schedule.updates_per_step, "batch_size": schedule.batch_size, "utd": schedule.utd,
            "env_steps_per_s": schedule.num_envs / step_s, "updates_per_s": schedule.updates_per_step / step_s,
            "samples_per_s": schedule.updates_per_step * schedule.batch_size / step_s, "seconds_per_step": parts}


def _single_env(cfg: SymphonyConfig, steps: int, with_reference: bool) -> dict[str, Any]:
    """One env on the schedule (the paper's 3 x 384), and the reference's replay handling in the same loop."""
    env = get_task("mujoco-humanoid").make_env(EnvOptions(num_envs=1, device="cpu", seed=0))
    try:
        obs_dim = int(env.get_observations()["policy"].shape[-1])
        algo = Symphony(obs_dim, env.num_actions, cfg, max_action=env.action_limit)
        _fill(algo, obs_dim, env.num_actions)
        _loop(env, algo, 2)  # warm-up: allocator, first-call overheads
        parts = _loop(env, algo, steps)
        updates, batch = algo.schedule.updates_per_step, algo.batch_size
        sample_s = _timed(lambda: algo.buffer.sample(batch), 50)
        row: dict[str, Any] = {"num_envs": 1, **_rates(algo, parts), "sample_s": sample_s,
                               "buffer_share_of_update": (parts["store"] + updates * sample_s) / parts["update"]}
        if with_reference:
            reference = RollingReplayBuffer(cfg.buffer_capacity, obs_dim, env.num_actions)
            one = [torch.zeros(obs_dim), torch.zeros(env.num_actions), torch.zeros(1), torch.zeros(obs_dim),
                   torch.zeros(1)]
            insert_s = _timed(lambda: reference.add(*one), 3)
            reference_sample_s = _timed(lambda: reference.sample(batch), 10)
            del reference
            reference_step_s = (parts["act"] + parts["env"] + insert_s
                                + parts["update"] + updates * (reference_sample_s - sample_s))
            row["reference"] = {"insert_s": insert_s, "sample_s": reference_sample_s,
                                "env_steps_per_s": 1 / reference_step_s}
            row["speedup_vs_reference"] = row["env_steps_per_s"] / row["reference"]["env_steps_per_s"]
        return row
    finally:
        env.close()


def _arms(num_envs: int, cfg: SymphonyConfig) -> dict[str, tuple[int, int]]:
    """Name -> (updates per vectorised step, batch); the schedule first, a fixed setting it equals merged into it."""
    schedule = update_schedule(num_envs, cfg)
    derived = (schedule.updates_per_step, schedule.batch_size)
    arms = {"schedule" + "".join(f" = {name}" for name, fixed in FIXED.items() if fixed == derived): derived}
    arms.update({name: fixed for name, fixed in FIXED.items() if fixed != derived})
    return arms


def _parallel(num_envs: int, cfg: SymphonyConfig, steps: int) -> dict[str, Any]:
    """The schedule and the fixed settings at ``num_envs`` envs: one env, one full buffer they share, in turns."""
    env = get_task("mujoco-humanoid").make_env(EnvOptions(num_envs=num_envs, device="cpu", seed=0))
    try:
        obs_dim = int(env.get_observations()["policy"].shape[-1])
        algos = {}
        for name, (updates, batch) in _arms(num_envs, cfg).items():
            algos[name] = Symphony(obs_dim, env.num_actions, replace(cfg, updates_per_step=updates, batch_size=batch),
                                   max_action=env.action_limit, num_envs=num_envs)
            if len(algos) == 1:
                _fill(algos[name], obs_dim, env.num_actions)
            else:
                algos[name].buffer = next(iter(algos.values())).buffer  # one full buffer: the same data for all
            _loop(env, algos[name], 2)  # warm-up: allocator, first-call overheads
        parts = {name: dict.fromkeys(("act", "env", "store", "update"), 0.0) for name in algos}
        for _ in range(ROUNDS):
            for name, algo in algos.items():
                for key, seconds in _loop(env, algo, max(1, steps // ROUNDS)).items():
                    parts[name][key] += seconds / ROUNDS
        return {"num_envs": num_envs, "arms": {name: _rates(algos[name], parts[name]) for name in algos}}
    finally:
        env.close()


def _arm(row: dict[str, Any], kind: str) -> dict[str, Any]:
    """The arm of ``kind`` (``schedule`` or a :data:`FIXED` name) in a parallel row, merged or not."""
    return next(arm for name, arm in row["arms"].items() if name.startswith(kind) or name.endswith(kind))


def _plot(single: dict[str, Any], rows: list[dict[str, Any]]) -> Any:
    fig, (ax_single, ax_steps, ax_utd) = pyplot().subplots(1, 3, figsize=(16, 4))
    ax_single.bar(["robot-ac", "reference\n(roll + multinomial)"],
                  [single["env_steps_per_s"], single["reference"]["env_steps_per_s"]], color=["tab:blue", "tab:grey"])
    ax_single.set_ylabel("env steps / s")
    ax_single.set_title(f"single env, full buffer: {single['speedup_vs_reference']:.1f}x")
    envs = [r["num_envs"] for r in rows]
    for kind, style in (("schedule", "o-"), *((name, "s--") for name in FIXED)):
        arms = [_arm(r, kind) for r in rows]
        ax_steps.plot(envs, [a["env_steps_per_s"] for a in arms], style, label=kind)
        ax_utd.plot(envs, [a["utd"] for a in arms], style, label=kind)
        for n, a in zip(envs, arms):
            ax_steps.annotate(f"{a['updates_per_s']:.1f} upd/s", (n, a["env_steps_per_s"]), fontsize=7,
                              xytext=(3, 3), textcoords="offset points")
    scaling_axes(ax_steps, "parallel envs (Humanoid-v5, CPU)", "env steps / s",
                 title="Symphony, paper-size networks: env steps / s (updates / s)")
    scaling_axes(ax_utd, "parallel envs", "UTD: samples per new transition", title="update-to-data ratio")
    ax_utd.axhline(16, color="grey", lw=0.8, ls=":")
    for ax in (ax_steps, ax_utd):
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def bench_symphony(out_dir: Path, num_envs: tuple[int, ...] = (16, 64, 256), steps: int = 10,
                   compiled: bool = False) -> Path:
    """``compiled``: also time the single-env loop with ``torch.compile``d networks (after compiling)."""
    cfg = SymphonyConfig()
    compiled_row = None
    if compiled:
        print("1 env, torch.compile: compiling (first updates) and timing ...", flush=True)
        compiled_row = _single_env(replace(cfg, compile=True), steps, with_reference=False)
        print(f"  {compiled_row['env_steps_per_s']:8.2f} env-steps/s compiled", flush=True)
    print(f"1 env: filling a {cfg.buffer_capacity:,}-transition buffer and timing {steps} steps ...", flush=True)
    single = _single_env(cfg, steps, with_reference=True)
    reference = single["reference"]
    print(f"  {single['env_steps_per_s']:8.2f} env-steps/s, {single['updates_per_s']:6.2f} updates/s, buffer + "
          f"bookkeeping {100 * single['buffer_share_of_update']:.1f}% of update time; reference "
          f"{reference['env_steps_per_s']:.2f} env-steps/s (insert {reference['insert_s'] * 1e3:.0f} ms, sample "
          f"{reference['sample_s'] * 1e3:.1f} ms): {single['speedup_vs_reference']:.1f}x", flush=True)
    rows = []
    for n in num_envs:
        print(f"{n} envs: the schedule against {', '.join(FIXED)}, {steps} steps each ...", flush=True)
        rows.append(_parallel(n, cfg, steps))
        for name, arm in rows[-1]["arms"].items():
            print(f"  {name:>28}: {arm['updates_per_step']} x {arm['batch_size']:>5} (UTD {arm['utd']:7.1f}) "
                  f"{arm['env_steps_per_s']:8.1f} env-steps/s {arm['updates_per_s']:6.2f} updates/s "
                  f"{arm['samples_per_s']:8.0f} samples/s", flush=True)
    result = {"benchmark": "symphony", "env": "Humanoid-v5", "config": cfg.__dict__, "single_env": single,
              "rows": rows}
    if compiled_row is not None:
        result["compiled_single_env"] = compiled_row
        result["compiled_speedup"] = compiled_row["env_steps_per_s"] / single["env_steps_per_s"]
        print(f"torch.compile: {result['compiled_speedup']:.2f}x the eager single-env loop")
    return write_result(out_dir, "bench_symphony", result, _plot(single, rows))
