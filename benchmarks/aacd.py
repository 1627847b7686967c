"""`robot-ac bench aacd`: TacSL's comparison on a peg task, on this machine's budget.

One privileged teacher (PPO on ``<task>-privileged``, or an existing run), then the students from it, each for the
same wall-clock budget and env count, one after the other in this process:

* ``aacd-image`` / ``aacd-force-field``: AACD, the teacher's critic handed over and frozen;
* ``aac-image``: asymmetric actor-critic from scratch (same student, fresh critic on the privileged state);
* ``dagger-image`` / ``bc-image``: rsl_rl distillation from the teacher's actor.

Each run's success-rate curve (last 200 episodes during training) and a final evaluation of its exported policy
(one episode per env, 95% Wilson interval) go into a JSON and a PNG, next to TacSL's insertion numbers (Akinola et
al. 2024, Table III: privileged AAC 0.97, tactile image 0.83, tactile force field 0.93) for reference. Then the
env's throughput with tactile images, force fields and no tactile, in the same process.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from benchmarks._results import write_result
from benchmarks._training import read_curve, train_for
from robot_ac._plotting import pyplot
from robot_ac.tasks import EnvOptions, get_task

TACSL_INSERTION_SUCCESS = {"privileged AAC": 0.97, "tactile image": 0.83, "tactile force field": 0.93}
"""TacSL (Akinola et al. 2024), peg insertion success in simulation, for reference."""

STUDENTS = {
    "aacd-image": ("", "aacd"),
    "aacd-force-field": ("-force-field", "aacd"),
    "aac-image": ("", "ppo"),
    "dagger-image": ("", "dagger"),
    "bc-image": ("", "bc"),
}
"""Student name -> (task suffix, algorithm)."""

CURVE = ("total_steps", "success_rate", "mean_return", "wall_time_s")


def _evaluate(export_dir: Path, episodes: int) -> dict[str, Any]:
    from robot_ac.config import PlayOptions
    from robot_ac.play import play

    stats = play(PlayOptions(policy=export_dir, episodes=episodes, seed=1000, evaluate=True))
    return {"episodes": episodes, "success_rate": stats.success_rate, "success_interval": stats.success_interval,
            "mean_return": stats.mean_return, "mean_length": stats.mean_length}


def _train(root: Path, task: str, algo: str, name: str, num_envs: int, minutes: float,
           teacher: Path | None) -> dict[str, Any]:
    from robot_ac.config import AacdConfig
    from robot_ac.runners.factory import teacher_algorithms

    run = train_for(root, task, algo, name, num_envs, minutes, export=True,
                    teacher=teacher if algo in teacher_algorithms() else None, aacd=AacdConfig(freeze_critic=True))
    return {"task": task, "algo": algo, "run": str(run.path), "curve": read_curve(run.metrics_csv, CURVE),
            "eval_policy": run.export_dir}


def _existing_teacher(target: Path, task: str) -> dict[str, Any]:
    """A teacher run given on the command line, exported first if it was not."""
    from robot_ac.config import ExportOptions
    from robot_ac.export.policy_export import export_run
    from robot_ac.runners.checkpoints import find_checkpoint
    from robot_ac.runners.run_dir import RunDirectory

    run = RunDirectory.of_checkpoint(find_checkpoint(target))
    if not (run.export_dir / "manifest.json").is_file():
        export_run(ExportOptions(run=run.path))
    return {"task": f"{task}-privileged", "algo": "ppo", "run": str(run.path),
            "curve": read_curve(run.metrics_csv, CURVE), "eval_policy": run.export_dir}


def env_throughput(task: str, num_envs: int, steps: int) -> dict[str, float]:
    """Env-steps/s of the task's three views (tactile images, force fields, none) under random actions."""
    from benchmarks.envs import env_steps_per_second

    opts = EnvOptions(num_envs=num_envs, device="cpu", seed=0)
    return {view: env_steps_per_second(get_task(name).make_env, opts, steps)
            for view, name in (("image", task), ("force_field", f"{task}-force-field"),
                               ("none", f"{task}-privileged"))}


def bench_aacd(out_dir: Path, task: str, num_envs: int, teacher_minutes: float, student_minutes: float,
               eval_episodes: int, teacher: Path | None = None, students: tuple[str, ...] = tuple(STUDENTS),
               throughput_steps: int = 30) -> Path:
    unknown = sorted(set(students) - set(STUDENTS))
    if unknown:
        from robot_ac.errors import RobotAcError

        raise RobotAcError(f"bench aacd: unknown students {unknown}; choose from {', '.join(STUDENTS)}")
    runs: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="robot-ac-bench-aacd-") as tmp:
        root = Path(tmp)
        if teacher is None:
            runs["teacher"] = _train(root, f"{task}-privileged", "ppo", "teacher", num_envs, teacher_minutes, None)
        else:
            runs["teacher"] = _existing_teacher(teacher, task)
        teacher = Path(runs["teacher"]["run"])
        for name in students:
            suffix, algo = STUDENTS[name]
            runs[name] = _train(root, f"{task}{suffix}", algo, name, num_envs, student_minutes, teacher)
        for name, data in runs.items():
            evaluation = data["eval"] = _evaluate(data.pop("eval_policy"), eval_episodes)
            print(f"  {name:>16}: success {evaluation['success_rate']:.2f} "
                  f"[{evaluation['success_interval'][0]:.2f}, {evaluation['success_interval'][1]:.2f}] over "
                  f"{eval_episodes} episodes after {data['curve']['total_steps'][-1]:,.0f} env steps", flush=True)
    throughput = env_throughput(task, num_envs, throughput_steps)
    print("  env-steps/s: " + ", ".join(f"{view} {rate:.0f}" for view, rate in throughput.items()), flush=True)
    result = {"benchmark": "aacd", "task": task, "num_envs": num_envs, "teacher_minutes": teacher_minutes,
              "student_minutes": student_minutes, "runs": runs, "throughput_env_steps_per_s": throughput,
              "throughput_ratio_to_no_tactile": {view: rate / throughput["none"] for view, rate in throughput.items()},
              "tacsl_insertion_success": TACSL_INSERTION_SUCCESS}
    return write_result(out_dir, f"bench_aacd_{task}_{num_envs}envs", result, _plot(runs, task, num_envs))


def _plot(runs: dict[str, dict[str, Any]], task: str, num_envs: int) -> Any:
    fig, (ax_curve, ax_bars) = pyplot().subplots(1, 2, figsize=(14, 4.5), gridspec_kw={"width_ratios": [3, 2]})
    for name, data in runs.items():
        curve = data["curve"]
        ax_curve.plot([s / 1e3 for s in curve["total_steps"]], curve["success_rate"], label=name)
    ax_curve.set_xlabel("env steps (thousands)")
    ax_curve.set_ylabel("training success rate (last 200 episodes)")
    ax_curve.set_ylim(-0.02, 1.02)
    ax_curve.grid(alpha=0.3)
    ax_curve.legend(fontsize=8)
    names = list(runs)
    rates = [runs[n]["eval"]["success_rate"] for n in names]
    low = [rate - runs[n]["eval"]["success_interval"][0] for n, rate in zip(names, rates)]
    high = [runs[n]["eval"]["success_interval"][1] - rate for n, rate in zip(names, rates)]
    ax_bars.bar(names, rates, yerr=[low, high], capsize=4, color="tab:blue", alpha=0.8)
    for label, value in TACSL_INSERTION_SUCCESS.items():
        ax_bars.axhline(value, linestyle="--", linewidth=1, color="gray")
        ax_bars.text(len(names) - 0.5, value, f"TacSL insertion: {label} {value:.2f}", fontsize=7, ha="right",
                     va="bottom", color="dimgray")
    ax_bars.set_ylim(0, 1.05)
    ax_bars.set_ylabel("final success rate (eval, 95% CI)")
    ax_bars.tick_params(axis="x", labelrotation=30, labelsize=8)
    fig.suptitle(f"{task}: teacher and students, {num_envs} envs each (CPU)")
    fig.tight_layout()
    return fig
