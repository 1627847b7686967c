"""`robot-ac bench envs`: environment and training throughput at several env counts.

Absolute rates on shared machines are noisy, so where a task has an upstream reference environment (cartpole:
Isaac Lab's own direct env) both are timed in the same process, alternately, and the ratio is what to compare.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from benchmarks._results import scaling_axes, write_result
from benchmarks.options import BenchEnvs
from robot_ac._plotting import pyplot
from robot_ac.device import parse_device
from robot_ac.errors import RobotAcError
from robot_ac.tasks import EnvOptions, TaskSpec, get_task

WARMUP_STEPS = 20


def env_steps_per_second(make_env: Callable[[EnvOptions], Any], opts: EnvOptions, steps: int) -> float:
    """Steps x envs / s under uniform random actions in [-1, 1], after a warm-up."""
    env = make_env(opts)
    try:
        generator = torch.Generator(device=env.device).manual_seed(opts.seed)

        def random_actions() -> torch.Tensor:
            return torch.rand(env.num_envs, env.num_actions, device=env.device, generator=generator) * 2 - 1

        for _ in range(WARMUP_STEPS):
            env.step(random_actions())
        if str(env.device).startswith("cuda"):
            torch.cuda.synchronize()
        started = time.perf_counter()
        for _ in range(steps):
            env.step(random_actions())
        if str(env.device).startswith("cuda"):
            torch.cuda.synchronize()
        return steps * env.num_envs / (time.perf_counter() - started)
    finally:
        env.close()


def training_steps_per_second(spec: TaskSpec, opts: EnvOptions, iterations: int) -> dict[str, float]:
    """PPO iterations (rollout + update) timed end to end; no run directory is written."""
    from robot_ac.runners.on_policy import RobotAcOnPolicyRunner

    env = spec.make_env(opts)
    try:
        train_cfg = spec.ppo.to_rsl_rl(seed=opts.seed, device=opts.device, save_interval=10**9,
                                       experiment_name=spec.name, mirror=spec.symmetry)
        infos = {"interface": spec.interface.to_dict(), "train_cfg": train_cfg, "obs_dims": {}}
        runner = RobotAcOnPolicyRunner(env, train_cfg, None, opts.device, infos)
        runner.learn(1)  # warm-up: first-iteration allocations and lazy inits
        started = time.perf_counter()
        runner.learn(iterations)
        elapsed = time.perf_counter() - started
    finally:
        env.close()
    steps = iterations * spec.ppo.num_steps_per_env * opts.num_envs
    return {"num_envs": opts.num_envs, "iterations": iterations, "env_steps_per_s": steps / elapsed,
            "iterations_per_s": iterations / elapsed}


@dataclass(frozen=True)
class _Row:
    num_envs: int
    steps_per_s: float
    """Best of the repeats: the least disturbed measurement."""
    baseline_steps_per_s: float | None
    samples: dict[str, list[float]]

    def to_dict(self) -> dict[str, Any]:
        ratio = self.steps_per_s / self.baseline_steps_per_s if self.baseline_steps_per_s else None
        return {"num_envs": self.num_envs, "steps_per_s": self.steps_per_s,
                "baseline_steps_per_s": self.baseline_steps_per_s, "ratio_to_baseline": ratio,
                "samples": self.samples}


def _plot(task: str, rows: list[_Row], device: str) -> Any:
    fig, ax = pyplot().subplots(figsize=(6, 4))
    envs = [r.num_envs for r in rows]
    ax.plot(envs, [r.steps_per_s for r in rows], "o-", label=f"robot-ac {task}")
    if all(r.baseline_steps_per_s for r in rows):
        ax.plot(envs, [r.baseline_steps_per_s for r in rows], "s--", label="Isaac Lab reference env")
    scaling_axes(ax, "parallel environments", "env-steps / s", f"{task} on {device}")
    ax.legend()
    fig.tight_layout()
    return fig


def _measure(spec: TaskSpec, num_envs: int, device: str, args: BenchEnvs) -> _Row:
    opts = EnvOptions(num_envs=num_envs, device=device, seed=0)
    makers = {"ours": spec.make_env}
    if args.baseline and spec.make_baseline_env:
        makers["baseline"] = spec.make_baseline_env
    samples: dict[str, list[float]] = {name: [] for name in makers}
    for repeat in range(args.repeats):
        # Alternate which env goes first, so slow drift of the machine favours neither.
        for name in sorted(makers, reverse=repeat % 2 == 1):
            samples[name].append(env_steps_per_second(makers[name], opts, args.steps))
    return _Row(num_envs, max(samples["ours"]), max(samples["baseline"]) if "baseline" in samples else None,
                samples)


def bench_envs(args: BenchEnvs) -> list[Path]:
    """One result per task; the paths of their JSON files."""
    device = parse_device(args.device)
    if not args.num_envs or min(args.num_envs) < 1 or args.steps < 1 or args.repeats < 1:
        raise RobotAcError("bench needs positive --num-envs values, --steps and --repeats")
    specs = [get_task(name) for name in args.tasks]
    written = []
    for spec in specs:
        rows = []
        for num_envs in sorted(args.num_envs):
            rows.append(_measure(spec, num_envs, device, args))
            row = rows[-1].to_dict()
            base = (f"  baseline {row['baseline_steps_per_s']:10.0f}  ratio {row['ratio_to_baseline']:.3f}"
                    if row["ratio_to_baseline"] else "")
            print(f"[bench] {spec.name:<14} {num_envs:>6} envs  {row['steps_per_s']:10.0f} steps/s{base}", flush=True)
        training = None
        if args.train_iterations > 0:
            opts = EnvOptions(num_envs=max(args.num_envs), device=device, seed=0)
            training = training_steps_per_second(spec, opts, args.train_iterations)
            print(f"[bench] {spec.name:<14} training at {opts.num_envs} envs: "
                  f"{training['env_steps_per_s']:.0f} env-steps/s, {training['iterations_per_s']:.2f} it/s")
        result = {
            "benchmark": "envs", "task": spec.name, "steps_per_measurement": args.steps, "repeats": args.repeats,
            "baseline": spec.baseline_description if spec.make_baseline_env and args.baseline else None,
            "env": [row.to_dict() for row in rows], "training": training,
        }
        written.append(write_result(args.out_dir, f"bench_{spec.name}_{device.replace(':', '')}", result,
                                    _plot(spec.name, rows, device), device))
    return written
