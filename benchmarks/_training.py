"""Training runs on a wall-clock budget for the benchmarks that train (`bench algos`, `bench aacd`, `bench train`),
their evaluation, and the copy of a result into the policy zoo."""

from __future__ import annotations

import csv
import dataclasses
import json
import shutil
from pathlib import Path
from typing import Any

from robot_ac._atomic import atomic_write_json
from robot_ac.config import TrainOptions
from robot_ac.runners.run_dir import RunDirectory


def train_for(root: Path, task: str, algo: str, name: str, num_envs: int, minutes: float,
              **options: Any) -> RunDirectory:
    """Train ``algo`` on ``task`` for ``minutes`` of wall-clock into ``root/<task>/<stamp>_<name>``; ``options``:
    further :class:`TrainOptions` fields."""
    from robot_ac.training import train

    print(f"training {name} ({algo} on {task}, {num_envs} envs) for {minutes:g} min ...", flush=True)
    run = train(TrainOptions(task=task, num_envs=num_envs, max_iterations=10**6, algo=algo, run_root=root,
                             run_name=name, save_interval=10**6, max_wall_time_s=60 * minutes, **options))
    assert run is not None, "a benchmark trains on one rank"
    return run


def read_curve(metrics_csv: Path, keys: tuple[str, ...]) -> dict[str, list[float]]:
    """Columns of a run's ``metrics.csv`` (an empty cell: NaN)."""
    with open(metrics_csv, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return {key: [float(row[key]) if row[key] else float("nan") for row in rows] for key in keys}


LOGGED = ("Episode_Reward/", "Curriculum/")


def read_logged(run_dir: Path, metrics_csv: Path, prefixes: tuple[str, ...] = LOGGED) -> dict[str, dict[str, list]]:
    """What the env logged per iteration to the run's TensorBoard events under ``prefixes`` (Isaac Lab's reward
    terms per episode and curriculum levels), by tag: ``{"total_steps": [...], "value": [...]}`` (iterations
    mapped to env steps through ``metrics.csv``); empty without events."""
    events = sorted(run_dir.glob("events.out.tfevents.*"))
    if not events:
        return {}
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    steps_at = dict(zip(*read_curve(metrics_csv, ("iteration", "total_steps")).values(), strict=True))
    logged: dict[str, dict[str, list]] = {}
    for path in events:
        accumulator = EventAccumulator(str(path), size_guidance={"scalars": 0})
        accumulator.Reload()
        for tag in accumulator.Tags()["scalars"]:
            if tag.startswith(prefixes):
                points = [(steps_at[float(e.step)], e.value) for e in accumulator.Scalars(tag)
                          if float(e.step) in steps_at]
                logged[tag] = {"total_steps": [p[0] for p in points], "value": [p[1] for p in points]}
    return logged


def evaluate(export_dir: Path, episodes: int, seed: int, device: str = "cpu") -> dict[str, Any]:
    """Success rate (95% Wilson interval) of an exported policy over one episode per env (`robot-ac eval`)."""
    from robot_ac.config import PlayOptions
    from robot_ac.play import play

    stats = play(PlayOptions(policy=export_dir, episodes=episodes, seed=seed, evaluate=True, device=device))
    return {"episodes": episodes, "seed": seed, "success_rate": stats.success_rate,
            "success_interval": stats.success_interval, "mean_return": stats.mean_return,
            "mean_length": stats.mean_length}


def train_and_evaluate(runs_root: Path, task: str, algo: str, name: str, num_envs: int, minutes: float, seed: int,
                       eval_episodes: int, existing_run: Path | None = None, **options: Any) -> dict[str, Any]:
    """Train ``algo`` on ``task`` for ``minutes`` (or take ``existing_run``), export and check it, evaluate the
    export; what a result JSON records: the run, its curve, the evaluation and the command that reproduces it."""
    from robot_ac.config import ExportOptions
    from robot_ac.export.policy_export import export_run

    if existing_run is None:
        run = train_for(runs_root, task, algo, name, num_envs, minutes, seed=seed, export=True, **options)
    else:
        from robot_ac.runners.checkpoints import find_checkpoint

        run = RunDirectory.of_checkpoint(find_checkpoint(existing_run))
        export_run(ExportOptions(run=run.path, check=True))
    flags = "".join(_flag(key, value) for key, value in options.items())
    command = (f"robot-ac train --task {task} --algo {algo} --num-envs {num_envs} --seed {seed} "
               f"--max-wall-time-s {60 * minutes:g}{flags}")
    curve = read_curve(run.metrics_csv, CURVE)
    logged = read_logged(run.path, run.metrics_csv)
    evaluation = evaluate(run.export_dir, eval_episodes, seed=1000 + seed, device=options.get("device", "cpu"))
    low, high = evaluation["success_interval"]
    print(f"  {name}: success {evaluation['success_rate']:.2f} [{low:.2f}, {high:.2f}] over {eval_episodes} "
          f"episodes after {curve['total_steps'][-1]:,.0f} env steps", flush=True)
    return {"view_task": task, "algo": algo, "seed": seed, "num_envs": num_envs, "minutes": minutes,
            "command": command, "run": str(run.path), "export": str(run.export_dir), "curve": curve,
            "logged": logged, "eval": evaluation}


CURVE = ("total_steps", "success_rate", "mean_return", "wall_time_s", "curriculum_level")


def _flag(key: str, value: Any) -> str:
    """A TrainOptions field as the CLI flag that sets it (nested configs: the fields that differ from default)."""
    if dataclasses.is_dataclass(value):
        default = type(value)()
        prefix = key.replace("_", "-")
        return "".join(_flag(f"{prefix}.{f.name}", getattr(value, f.name)) for f in dataclasses.fields(value)
                       if getattr(value, f.name) != getattr(default, f.name))
    name = key.replace("_", "-")
    if isinstance(value, bool):
        head, _, leaf = name.rpartition(".")
        return f" --{name}" if value else f" --{head + '.' if head else ''}no-{leaf}"
    return f" --{name} {value}"


def to_zoo(result_json: Path, zoo_root: Path, name: str) -> Path:
    """Copy a result's exported policy into ``zoo_root/<task>/<name>/`` with a README (how it was made, what it
    reached, how to play it) and ``evaluation.json`` (the same, for programs and tests)."""
    result = json.loads(Path(result_json).read_text())
    target = Path(zoo_root) / result["view_task"] / name
    target.mkdir(parents=True, exist_ok=True)
    for file in ("policy.onnx", "manifest.json"):
        shutil.copy2(Path(result["export"]) / file, target / file)
    evaluation = result["eval"]
    atomic_write_json(target / "evaluation.json", {
        "task": result["view_task"], "evaluation": evaluation, "command": result["command"],
        "benchmark_command": result["benchmark_command"], "result": Path(result_json).name,
        "env_steps": result["curve"]["total_steps"][-1], "minutes": result["minutes"], "seed": result["seed"]})
    low, high = evaluation["success_interval"]
    (target / "README.md").write_text(
        f"# {result['view_task']}: {name}\n\n"
        f"Success **{evaluation['success_rate']:.2f}** (95% Wilson interval [{low:.2f}, {high:.2f}]) over "
        f"{evaluation['episodes']} evaluation episodes (one per env, seed {evaluation['seed']}); mean return "
        f"{evaluation['mean_return']:.2f}.\n\n"
        f"- command: `{result['command']}`\n"
        f"- budget: {result['minutes']:g} min of a 2-core CPU, {result['num_envs']} envs, "
        f"{result['curve']['total_steps'][-1]:,.0f} env steps\n"
        f"- seed: {result['seed']}\n"
        f"- measured by: `{result['benchmark_command']}` ({Path(result_json).name} in benchmarks/results)\n\n"
        f"Play it: `robot-ac eval policies/{result['view_task']}/{name} --episodes 64` (other seeds: `--seed N`).\n",
        encoding="utf-8")
    print(f"[zoo] {target}", flush=True)
    return target
