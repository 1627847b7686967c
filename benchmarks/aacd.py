"""`robot-ac bench aacd`: TacSL's comparison on a peg task, in parts that fit this machine's budget.

Each part is one training run on a wall-clock budget, then an evaluation of its exported policy (one episode per
env, 95% Wilson interval); it writes its own JSON + PNG (``bench_aacd_<task>_<part>_seed<k>_<stamp>``). After every
part the report (``bench_aacd_<task>_<stamp>``: a table and a success-vs-steps plot) gathers the latest JSON of
every part and seed found in the results folder, so the whole comparison can be run a part at a time. Parts:

* ``teacher``: DAgger of the scripted expert on the privileged view (the teacher every student can use);
* ``teacher-ppo``: PPO fine-tune of that teacher, its critic warmed up first on the teacher's own rollouts (the
  critic AACD hands over);
* ``<algo>-<view>`` students, ``view`` = ``force-field`` or ``image``: ``dagger`` / ``bc`` from the expert,
  ``dagger-gru`` (a recurrent student), ``aacd`` (the ``teacher-ppo`` critic, frozen) and ``aacd-ft`` (fine-tuned),
  ``aac`` (asymmetric actor-critic from scratch);
* ``throughput``: env-steps/s of the three views in one process, the no-tactile one as the baseline.

TacSL's insertion numbers (Akinola et al. 2024: privileged AAC 0.97, tactile image 0.83, tactile force field 0.93)
are drawn for reference.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks._results import write_result
from benchmarks._training import read_curve, train_for
from robot_ac._plotting import pyplot
from robot_ac.errors import RobotAcError
from robot_ac.tasks import EnvOptions, get_task

TACSL_INSERTION_SUCCESS = {"privileged AAC": 0.97, "tactile image": 0.83, "tactile force field": 0.93}
"""TacSL (Akinola et al. 2024), peg insertion success in simulation, for reference."""

CURVE = ("total_steps", "success_rate", "mean_return", "wall_time_s", "curriculum_level")
VIEWS = {"force-field": "-force-field", "image": "", "privileged": "-privileged"}
CRITIC_WARMUP_ITERATIONS = 10


@dataclass(frozen=True)
class Part:
    view: str
    algo: str
    teacher: str | None = None
    """``expert``, another part's name (its latest run is used), or None."""
    options: dict[str, Any] = field(default_factory=dict)
    """Further TrainOptions fields."""


def _parts() -> dict[str, Part]:
    from robot_ac.config import AacdConfig, PpoConfig

    parts = {"teacher": Part("privileged", "dagger", "expert"),
             "teacher-ppo": Part("privileged", "ppo", None,
                                 {"critic_warmup_iterations": CRITIC_WARMUP_ITERATIONS, "init_actor": "teacher"})}
    for view in ("force-field", "image"):
        parts |= {f"dagger-{view}": Part(view, "dagger", "expert"), f"bc-{view}": Part(view, "bc", "expert"),
                  f"aacd-{view}": Part(view, "aacd", "teacher-ppo", {"aacd": AacdConfig(freeze_critic=True)}),
                  f"aacd-ft-{view}": Part(view, "aacd", "teacher-ppo", {"aacd": AacdConfig(freeze_critic=False)}),
                  f"aac-{view}": Part(view, "ppo")}
    parts["dagger-gru-force-field"] = Part("force-field", "dagger", "expert", {"ppo": PpoConfig(actor_rnn="gru")})
    return parts


def part_names() -> list[str]:
    return [*_parts(), "throughput"]


def _latest(out_dir: Path, task: str, part: str, seed: int | None = None) -> dict[str, Any] | None:
    pattern = f"bench_aacd_{task}_{part}_seed{seed if seed is not None else '*'}_*.json"
    found = sorted(Path(out_dir).glob(pattern), key=lambda p: json.loads(p.read_text())["created"])
    return json.loads(found[-1].read_text()) if found else None


def _run_of(out_dir: Path, task: str, part: str) -> Path:
    result = _latest(out_dir, task, part)
    if result is None:
        raise RobotAcError(f"bench aacd: this part needs part '{part}' of {task} first (no "
                           f"bench_aacd_{task}_{part}_seed*.json in {out_dir}); run `robot-ac bench aacd --parts {part}`")
    return Path(result["run"])


def _evaluate(export_dir: Path, episodes: int, seed: int) -> dict[str, Any]:
    from robot_ac.config import PlayOptions
    from robot_ac.play import play

    stats = play(PlayOptions(policy=export_dir, episodes=episodes, seed=seed, evaluate=True))
    return {"episodes": episodes, "seed": seed, "success_rate": stats.success_rate,
            "success_interval": stats.success_interval, "mean_return": stats.mean_return,
            "mean_length": stats.mean_length}


def run_part(out_dir: Path, runs_root: Path, task: str, name: str, num_envs: int, minutes: float, seed: int,
             eval_episodes: int, existing_run: Path | None = None) -> Path:
    """Train (or adopt ``existing_run``), export, evaluate one part; its JSON + PNG."""
    from robot_ac.config import ExportOptions
    from robot_ac.export.policy_export import export_run
    from robot_ac.runners.run_dir import RunDirectory

    part = _parts()[name]
    view_task = f"{task}{VIEWS[part.view]}"
    options = dict(part.options)
    if "init_actor" in options:
        options["init_actor"] = _run_of(out_dir, task, options["init_actor"])
    teacher = part.teacher if part.teacher in (None, "expert") else _run_of(out_dir, task, part.teacher)
    if existing_run is None:
        run = train_for(runs_root, view_task, part.algo, f"{name}-seed{seed}", num_envs, minutes, seed=seed,
                        export=True, teacher=Path(teacher) if teacher else None, **options)
    else:
        run = RunDirectory.of_checkpoint(existing_run)
        export_run(ExportOptions(run=run.path, check=True))
    command = (f"robot-ac train --task {view_task} --algo {part.algo} --num-envs {num_envs} --seed {seed} "
               f"--max-wall-time-s {60 * minutes:g}" + (f" --teacher {teacher}" if teacher else "") +
               "".join(f" --{key.replace('_', '-')} {value}" for key, value in options.items()
                       if key in ("init_actor", "critic_warmup_iterations")) +
               (" --ppo.actor-rnn gru" if "gru" in name else "") +
               (" --aacd.no-freeze-critic" if name.startswith("aacd-ft") else ""))
    curve = read_curve(run.metrics_csv, CURVE)
    evaluation = _evaluate(run.export_dir, eval_episodes, seed=1000 + seed)
    low, high = evaluation["success_interval"]
    print(f"  {name} (seed {seed}): success {evaluation['success_rate']:.2f} [{low:.2f}, {high:.2f}] over "
          f"{eval_episodes} episodes after {curve['total_steps'][-1]:,.0f} env steps", flush=True)
    result = {"benchmark": "aacd", "task": task, "part": name, "view_task": view_task, "algo": part.algo,
              "teacher": str(teacher) if teacher else None, "seed": seed, "num_envs": num_envs, "minutes": minutes,
              "command": command, "run": str(run.path), "export": str(run.export_dir), "curve": curve,
              "eval": evaluation}
    path = write_result(out_dir, f"bench_aacd_{task}_{name}_seed{seed}", result,
                        _plot_curves({f"{name} (seed {seed})": result}, f"{view_task}: {name}"))
    report(out_dir, task)
    return path


def to_zoo(part_json: Path, zoo_root: Path, name: str) -> Path:
    """Copy a part's exported policy into ``zoo_root/<view task>/<name>/`` with a README of how it was made."""
    result = json.loads(Path(part_json).read_text())
    target = Path(zoo_root) / result["view_task"] / name
    target.mkdir(parents=True, exist_ok=True)
    for file in ("policy.onnx", "manifest.json"):
        shutil.copy2(Path(result["export"]) / file, target / file)
    evaluation = result["eval"]
    low, high = evaluation["success_interval"]
    (target / "README.md").write_text(
        f"# {result['view_task']}: {result['part']}\n\n"
        f"Success **{evaluation['success_rate']:.2f}** (95% Wilson interval [{low:.2f}, {high:.2f}]) over "
        f"{evaluation['episodes']} evaluation episodes (`robot-ac eval`, seed {evaluation['seed']}), mean return "
        f"{evaluation['mean_return']:.2f}.\n\n"
        f"Trained with `{result['command']}` ({result['algo']}, {result['num_envs']} envs, "
        f"{result['minutes']:g} min of {Path(part_json).name.split('_seed')[0]} on a 2-core CPU, seed "
        f"{result['seed']}, {result['curve']['total_steps'][-1]:,.0f} env steps); measured by `robot-ac bench aacd "
        f"--task {result['task']} --parts {result['part']}` ({Path(part_json).name}).\n\n"
        f"Play it: `robot-ac eval policies/{result['view_task']}/{name} --episodes 64`\n", encoding="utf-8")
    print(f"[zoo] {target}", flush=True)
    return target


def env_throughput(task: str, num_envs: int, steps: int) -> dict[str, float]:
    """Env-steps/s of the task's three views (tactile images, force fields, none) under random actions."""
    from benchmarks.envs import env_steps_per_second

    opts = EnvOptions(num_envs=num_envs, device="cpu", seed=0)
    return {view: env_steps_per_second(get_task(f"{task}{suffix}").make_env, opts, steps)
            for view, suffix in VIEWS.items()}


def run_throughput(out_dir: Path, task: str, num_envs: int, steps: int) -> Path:
    throughput = env_throughput(task, num_envs, steps)
    print("  env-steps/s: " + ", ".join(f"{view} {rate:.0f}" for view, rate in throughput.items()), flush=True)
    ratios = {view: rate / throughput["privileged"] for view, rate in throughput.items()}
    fig, ax = pyplot().subplots(figsize=(6, 4))
    ax.bar(list(throughput), list(throughput.values()), color="tab:blue")
    ax.set_ylabel("env-steps/s (random actions)")
    ax.set_title(f"{task}, {num_envs} envs (CPU)")
    return write_result(out_dir, f"bench_aacd_{task}_throughput_seed0", {
        "benchmark": "aacd", "task": task, "part": "throughput", "num_envs": num_envs, "steps": steps,
        "env_steps_per_s": throughput, "ratio_to_no_tactile": ratios}, fig)


def report(out_dir: Path, task: str) -> Path:
    """Gather the latest result of every part and seed of ``task``: a table (printed and in the JSON) and the plot."""
    results: dict[str, dict[str, Any]] = {}
    for path in sorted(Path(out_dir).glob(f"bench_aacd_{task}_*_seed*_*.json")):
        data = json.loads(path.read_text())
        if data.get("part") in (None, "throughput"):
            continue
        key = f"{data['part']} (seed {data['seed']})"
        if key not in results or data["created"] > results[key]["created"]:
            results[key] = data
    table = [{"run": key, "env_steps": data["curve"]["total_steps"][-1], "minutes": data["minutes"],
              "success": data["eval"]["success_rate"], "interval": data["eval"]["success_interval"],
              "episodes": data["eval"]["episodes"]} for key, data in sorted(results.items())]
    for row in table:
        print(f"  {row['run']:>32}: {row['success']:.2f} [{row['interval'][0]:.2f}, {row['interval'][1]:.2f}] "
              f"({row['episodes']} episodes, {row['env_steps']:,.0f} env steps, {row['minutes']:g} min)")
    throughput = _latest(out_dir, task, "throughput")
    return write_result(out_dir, f"bench_aacd_{task}", {
        "benchmark": "aacd", "task": task, "table": table,
        "throughput": throughput["env_steps_per_s"] if throughput else None,
        "throughput_ratio_to_no_tactile": throughput["ratio_to_no_tactile"] if throughput else None,
        "tacsl_insertion_success": TACSL_INSERTION_SUCCESS}, _plot_curves(results, task, bars=True))


def _plot_curves(results: dict[str, dict[str, Any]], title: str, bars: bool = False) -> Any:
    fig, axes = pyplot().subplots(1, 2 if bars else 1, figsize=(14 if bars else 7, 4.5), squeeze=False)
    ax_curve = axes[0][0]
    for name, data in results.items():
        curve = data["curve"]
        ax_curve.plot([s / 1e3 for s in curve["total_steps"]], curve["success_rate"], label=name)
    ax_curve.set_xlabel("env steps (thousands)")
    ax_curve.set_ylabel("training success rate (last 200 episodes)")
    ax_curve.set_ylim(-0.02, 1.02)
    ax_curve.grid(alpha=0.3)
    ax_curve.legend(fontsize=7)
    if bars:
        ax_bars = axes[0][1]
        names = list(results)
        rates = [results[n]["eval"]["success_rate"] for n in names]
        low = [rate - results[n]["eval"]["success_interval"][0] for n, rate in zip(names, rates)]
        high = [results[n]["eval"]["success_interval"][1] - rate for n, rate in zip(names, rates)]
        ax_bars.bar(names, rates, yerr=[low, high], capsize=4, color="tab:blue", alpha=0.8)
        for label, value in TACSL_INSERTION_SUCCESS.items():
            ax_bars.axhline(value, linestyle="--", linewidth=1, color="gray")
            ax_bars.text(len(names) - 0.5, value, f"TacSL insertion: {label} {value:.2f}", fontsize=7, ha="right",
                         va="bottom", color="dimgray")
        ax_bars.set_ylim(0, 1.05)
        ax_bars.set_ylabel("evaluated success rate (95% CI)")
        ax_bars.tick_params(axis="x", labelrotation=30, labelsize=7)
    fig.suptitle(f"{title} (CPU)")
    fig.tight_layout()
    return fig


def bench_aacd(out_dir: Path, runs_root: Path, task: str, parts: tuple[str, ...], num_envs: int, minutes: float,
               seeds: tuple[int, ...], eval_episodes: int, existing_run: Path | None = None,
               zoo: Path | None = None, throughput_steps: int = 30) -> Path:
    unknown = sorted(set(parts) - set(part_names()))
    if unknown:
        raise RobotAcError(f"bench aacd: unknown parts {unknown}; choose from {', '.join(part_names())}")
    if existing_run is not None and (len(parts) != 1 or len(seeds) != 1):
        raise RobotAcError("bench aacd --run evaluates one existing run: give exactly one --parts and one --seeds")
    written = report(out_dir, task) if not parts else None
    for name in parts:
        if name == "throughput":
            written = run_throughput(out_dir, task, num_envs, throughput_steps)
            continue
        for seed in seeds:
            written = run_part(out_dir, runs_root, task, name, num_envs, minutes, seed, eval_episodes, existing_run)
            if zoo is not None:
                to_zoo(written, zoo, f"{name}-seed{seed}")
    if written is not None and parts:
        report(out_dir, task)
    return written
