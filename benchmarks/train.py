"""`robot-ac bench train`: one task trained on a wall-clock budget, then its exported policy evaluated (one episode
per env, 95% Wilson interval); JSON + PNG (``bench_train_<task>_<algo>_seed<k>``), and optionally a copy in the
policy zoo. The measure of a zoo policy that is not part of a comparison (franka-reach, g1-stand)."""

from __future__ import annotations

from pathlib import Path

from benchmarks._results import write_result
from benchmarks._training import to_zoo, train_and_evaluate
from robot_ac._plotting import pyplot
from robot_ac.errors import RobotAcError


def bench_train(out_dir: Path, runs_root: Path, task: str, algo: str, num_envs: int, minutes: float, seed: int,
                eval_episodes: int, zoo: Path | None = None, zoo_name: str | None = None, device: str = "cpu",
                teacher: str | None = None) -> Path:
    if (teacher is not None) != (algo in ("dagger", "bc")):
        raise RobotAcError(f"bench train: --teacher goes with --algo dagger or bc (got --algo {algo}, --teacher "
                           f"{teacher})")
    name = f"{algo}-{'expert-' if teacher == 'expert' else ''}seed{seed}"
    options = {"device": device} | ({"teacher": Path(teacher)} if teacher else {})
    result = train_and_evaluate(runs_root, task, algo, name, num_envs, minutes, seed, eval_episodes, **options)
    result = {"benchmark": "train", "task": task, "benchmark_command":
              f"robot-ac bench train --task {task} --algo {algo} --num-envs {num_envs} --minutes {minutes:g} "
              f"--seed {seed} --device {device}" + (f" --teacher {teacher}" if teacher else ""), **result}
    fig, (ax_success, ax_return) = pyplot().subplots(1, 2, figsize=(11, 4))
    steps = [s / 1e3 for s in result["curve"]["total_steps"]]
    ax_success.plot(steps, result["curve"]["success_rate"], color="tab:green")
    evaluation = result["eval"]
    ax_success.axhline(evaluation["success_rate"], color="gray", linestyle="--",
                       label=f"evaluated {evaluation['success_rate']:.2f} [{evaluation['success_interval'][0]:.2f}, "
                             f"{evaluation['success_interval'][1]:.2f}]")
    ax_success.set_ylim(-0.02, 1.02)
    ax_success.set_xlabel("env steps (thousands)")
    ax_success.set_ylabel("training success rate (last 200 episodes)")
    ax_success.legend(fontsize=8)
    ax_return.plot(steps, result["curve"]["mean_return"], color="tab:blue")
    ax_return.set_xlabel("env steps (thousands)")
    ax_return.set_ylabel("mean episode return")
    for ax in (ax_success, ax_return):
        ax.grid(alpha=0.3)
    fig.suptitle(f"{task}: {algo}, {num_envs} envs, {minutes:g} min (CPU)")
    fig.tight_layout()
    path = write_result(out_dir, f"bench_train_{task}_{name.rsplit('-seed', 1)[0]}_seed{seed}", result, fig)
    if zoo is not None:
        to_zoo(path, zoo, zoo_name or name)
    return path
