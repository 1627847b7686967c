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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks._results import write_result
from benchmarks._training import to_zoo, train_and_evaluate
from robot_ac._plotting import pyplot
from robot_ac.errors import RobotAcError
from robot_ac.tasks import EnvOptions, get_task

TACSL_INSERTION_SUCCESS = {"privileged AAC": 0.97, "tactile image": 0.83, "tactile force field": 0.93}
"""TacSL (Akinola et al. 2024), peg insertion success in simulation, for reference."""

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


def run_part(out_dir: Path, runs_root: Path, task: str, name: str, num_envs: int, minutes: float, seed: int,
             eval_episodes: int, existing_run: Path | None = None, device: str = "cpu") -> Path:
    """Train (or adopt ``existing_run``), export, evaluate one part; its JSON + PNG."""
    part = _parts()[name]
    options = {**part.options, "device": device}
    if "init_actor" in options:
        options["init_actor"] = _run_of(out_dir, task, options["init_actor"])
    if part.teacher is not None:
        options["teacher"] = Path(part.teacher) if part.teacher == "expert" else _run_of(out_dir, task, part.teacher)
    result = train_and_evaluate(runs_root, f"{task}{VIEWS[part.view]}", part.algo, f"{name}-seed{seed}", num_envs,
                                minutes, seed, eval_episodes, existing_run, **options)
    result = {"benchmark": "aacd", "task": task, "part": name, "teacher": str(options.get("teacher") or "") or None,
              "benchmark_command": f"robot-ac bench aacd --task {task} --parts {name} --seeds {seed} "
                                   f"--num-envs {num_envs} --minutes {minutes:g} --device {device}", **result}
    path = write_result(out_dir, f"bench_aacd_{task}_{name}_seed{seed}", result,
                        _plot_curves({f"{name} (seed {seed})": result}, f"{result['view_task']}: {name}"))
    return path


def _as_before(name: str):
    """The view's env as it was before issue 14: 480 Hz physics without substeps, full-resolution GelSight images."""
    from isaaclab.envs import ManagerBasedRLEnv

    from sim.tasks.peg_insertion.config.franka import SETTINGS, make_env_from_cfg
    from sim.tasks.peg_insertion.env_cfg import make_peg_env_cfg

    def make_env(opts: EnvOptions):
        cfg = make_peg_env_cfg(opts, SETTINGS[name])
        cfg.sim.dt, cfg.decimation, cfg.sim.render_interval = 1 / 480, 8, 8
        cfg.sim.physics.num_substeps = 1
        for pad in (cfg.scene.left_tactile, cfg.scene.right_tactile):
            pad.image_size, pad.samples_per_pixel = None, 1
        return make_env_from_cfg(ManagerBasedRLEnv(cfg), get_task(name).interface)

    return make_env


def env_throughput(task: str, num_envs: int, steps: int) -> dict[str, float]:
    """Env-steps/s of the task's three views (tactile images, force fields, none) under random actions, as they are
    and as they were (``<view> before``: 480 Hz, full-resolution images)."""
    from benchmarks.envs import env_steps_per_second

    opts = EnvOptions(num_envs=num_envs, device="cpu", seed=0)
    rates = {}
    for view, suffix in VIEWS.items():
        name = f"{task}{suffix}"
        rates[view] = env_steps_per_second(get_task(name).make_env, opts, steps)
        rates[f"{view} before"] = env_steps_per_second(_as_before(name), opts, steps)
    return rates


def run_throughput(out_dir: Path, task: str, num_envs: int, steps: int) -> Path:
    throughput = env_throughput(task, num_envs, steps)
    print("  env-steps/s: " + ", ".join(f"{view} {rate:.0f}" for view, rate in throughput.items()), flush=True)
    ratios = {view: rate / throughput["privileged"] for view, rate in throughput.items() if "before" not in view}
    ratios |= {view: rate / throughput["privileged before"] for view, rate in throughput.items() if "before" in view}
    ratios |= {f"{view} speed-up": throughput[view] / throughput[f"{view} before"] for view in VIEWS}
    fig, ax = pyplot().subplots(figsize=(6, 4))
    ax.bar(list(throughput), list(throughput.values()),
           color=["tab:gray" if "before" in view else "tab:blue" for view in throughput])
    ax.set_ylabel("env-steps/s (random actions)")
    ax.tick_params(axis="x", labelrotation=30, labelsize=8)
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
    # One colour per run, the same in both panels: the default cycle repeats after ten runs.
    colors = [pyplot().get_cmap("tab20")(i % 20) for i in range(len(results))]
    for (name, data), color in zip(results.items(), colors):
        curve = data["curve"]
        ax_curve.plot([s / 1e3 for s in curve["total_steps"]], curve["success_rate"], label=name, color=color)
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
        ax_bars.bar(names, rates, yerr=[low, high], capsize=4, color=colors, alpha=0.8)
        for label, value in TACSL_INSERTION_SUCCESS.items():
            ax_bars.axhline(value, linestyle="--", linewidth=1, color="gray")
            ax_bars.text(-0.5, value, f"TacSL insertion: {label} {value:.2f}", fontsize=7, ha="left",
                         va="bottom", color="dimgray")
        ax_bars.set_ylim(0, 1.05)
        ax_bars.set_ylabel("evaluated success rate (95% CI)")
        ax_bars.tick_params(axis="x", labelrotation=30, labelsize=7)
    fig.suptitle(f"{title} (CPU)")
    fig.tight_layout()
    return fig


def bench_aacd(out_dir: Path, runs_root: Path, task: str, parts: tuple[str, ...], num_envs: int, minutes: float,
               seeds: tuple[int, ...], eval_episodes: int, existing_run: Path | None = None,
               zoo: Path | None = None, device: str = "cpu", throughput_steps: int = 30) -> Path:
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
            written = run_part(out_dir, runs_root, task, name, num_envs, minutes, seed, eval_episodes, existing_run,
                               device)
            if zoo is not None:
                to_zoo(written, zoo, f"{name}-seed{seed}")
    if written is not None and parts:
        report(out_dir, task)
    return written
