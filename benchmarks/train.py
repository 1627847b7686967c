"""`robot-ac bench train`: one task trained on a wall-clock budget, then its exported policy evaluated (one episode
per env, 95% Wilson interval); JSON + PNG (``bench_train_<task>_<algo>_seed<k>``), and optionally a copy in the
policy zoo. The measure of a zoo policy that is not part of a comparison (franka-reach, g1-stand)."""

from __future__ import annotations

from pathlib import Path

from benchmarks._results import write_result
from benchmarks._training import _flag, to_zoo, train_and_evaluate
from robot_ac._plotting import pyplot
from robot_ac.config import PpoConfig
from robot_ac.errors import RobotAcError


def bench_train(out_dir: Path, runs_root: Path, task: str, algo: str, num_envs: int, minutes: float, seed: int,
                eval_episodes: int, zoo: Path | None = None, zoo_name: str | None = None, device: str = "cpu",
                teacher: str | None = None, init_actor: Path | None = None, critic_warmup_iterations: int = 0,
                curriculum: bool = True, ppo: PpoConfig | None = None, existing_run: Path | None = None) -> Path:
    if (teacher is not None) != (algo in ("dagger", "bc")):
        raise RobotAcError(f"bench train: --teacher goes with --algo dagger or bc (got --algo {algo}, --teacher "
                           f"{teacher})")
    if init_actor is not None and algo != "ppo":
        raise RobotAcError(f"bench train: --init-actor goes with --algo ppo (got --algo {algo})")
    name = f"{algo}-{'expert-' if teacher == 'expert' else ''}{'finetune-' if init_actor else ''}seed{seed}"
    options = {"device": device} | ({"teacher": Path(teacher)} if teacher else {})
    if init_actor is not None:
        options |= {"init_actor": Path(init_actor), "critic_warmup_iterations": critic_warmup_iterations}
    if not curriculum:
        options["curriculum"] = False
    if ppo is not None and ppo != PpoConfig():
        if algo != "ppo":
            raise RobotAcError(f"bench train: --ppo.* settings go with --algo ppo (got --algo {algo})")
        options["ppo"] = ppo
    result = train_and_evaluate(runs_root, task, algo, name, num_envs, minutes, seed, eval_episodes,
                                existing_run=existing_run, **options)
    result = {"benchmark": "train", "task": task, "benchmark_command":
              f"robot-ac bench train --task {task} --algo {algo} --num-envs {num_envs} --minutes {minutes:g} "
              f"--seed {seed}" + "".join(_flag(key, value) for key, value in options.items()), **result}
    terms = {tag: curve for tag, curve in result["logged"].items() if tag.startswith(TERMS_PLOTTED)}
    fig, axes = pyplot().subplots(1, 3 if terms else 2, figsize=(16 if terms else 11, 4))
    ax_success, ax_return = axes[:2]
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
    if terms:
        _plot_terms(axes[2], terms)
    for ax in axes:
        ax.grid(alpha=0.3)
    fig.suptitle(f"{task}: {algo}, {num_envs} envs, {minutes:g} min (CPU)")
    fig.tight_layout()
    path = write_result(out_dir, f"bench_train_{task}_{name.rsplit('-seed', 1)[0]}_seed{seed}", result, fig)
    if zoo is not None:
        to_zoo(path, zoo, zoo_name or name)
    return path


TERMS_PLOTTED = ("Episode_Reward/track", "Episode_Reward/upright_kernel", "Episode_Reward/posture_kernel",
                 "Curriculum/")
"""The logged curves the third panel shows: tracking and standing rewards per episode, and curriculum levels."""


def _plot_terms(ax, terms: dict[str, dict[str, list]]) -> None:
    levels = ax.twinx()
    for tag, curve in sorted(terms.items()):
        steps = [s / 1e3 for s in curve["total_steps"]]
        if tag.endswith("/level"):
            levels.plot(steps, curve["value"], color="black", linestyle="--", label=tag)
        elif tag.startswith("Episode_Reward/"):
            ax.plot(steps, curve["value"], label=tag.removeprefix("Episode_Reward/"))
    ax.set_xlabel("env steps (thousands)")
    ax.set_ylabel("reward per episode (weighted)")
    levels.set_ylabel("curriculum level")
    levels.set_ylim(-0.02, 1.02)
    handles = ax.get_legend_handles_labels()
    extra = levels.get_legend_handles_labels()
    ax.legend(handles[0] + extra[0], handles[1] + extra[1], fontsize=7, loc="upper left")
