"""PPO training: rsl_rl's OnPolicyRunner plus what a run directory needs.

rsl_rl does the learning; this subclass adds atomic checkpoints that carry the policy interface (so export needs no
simulator), a compact progress line with rate and ETA, ``metrics.csv`` and ``training.png``.
"""

from __future__ import annotations

import contextlib
import io
import statistics
import time
from pathlib import Path
from collections.abc import Callable
from typing import Any

from rsl_rl.env import VecEnv
from rsl_rl.runners import OnPolicyRunner
from rsl_rl.utils.logger import Logger

from robot_ac.errors import RobotAcError
from robot_ac.runners.checkpoints import find_checkpoint, load_checkpoint, save_checkpoint
from robot_ac.runners.runner import RunnerSummary
from robot_ac.runners.metrics import record_iteration, remaining_seconds
from robot_ac.runners.plots import plot_training
from robot_ac.runners.run_dir import RunDirectory


class TimeBudgetReached(Exception):
    """Raised at the end of the iteration that passes the wall-clock budget (``train --max-wall-time-s``)."""


class _RunLogger(Logger):
    """rsl_rl's logger (TensorBoard) with a one-line console summary and a CSV of the learning curve."""

    def __init__(self, *args: Any, run: RunDirectory | None, verbose: bool, plot_every: int, title: str,
                 success_rate: Callable[[], float | None], curriculum_level: Callable[[], float | None],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.success_rate = success_rate
        self.curriculum_level = curriculum_level
        self.run = run
        self.verbose = verbose
        self.plot_every = plot_every
        self.title = title
        self._started = time.monotonic()
        self.deadline: float | None = None
        """time.monotonic() after which training stops at the end of the iteration."""

    def log(self, *, it: int, start_it: int, total_it: int, collect_time: float, learn_time: float,
            **kwargs: Any) -> None:
        quiet = contextlib.nullcontext() if self.verbose else contextlib.redirect_stdout(io.StringIO())
        with quiet:
            super().log(it=it, start_it=start_it, total_it=total_it, collect_time=collect_time,
                        learn_time=learn_time, **kwargs)
        if self.writer is None or self.run is None:
            self._check_deadline()
            return
        mean_return = statistics.mean(self.rewbuffer) if self.rewbuffer else float("nan")
        mean_length = statistics.mean(self.lenbuffer) if self.lenbuffer else float("nan")
        rate = self.cfg["num_steps_per_env"] * self.num_envs * self.gpu_world_size / (collect_time + learn_time)
        done = it + 1 - start_it
        eta = remaining_seconds(self.tot_time, done, total_it - start_it - done, self.deadline)
        record_iteration(self.run, iteration=it, total_iterations=total_it, total_steps=self.tot_timesteps,
                         mean_return=mean_return, mean_length=mean_length, steps_per_s=rate,
                         wall_time_s=time.monotonic() - self._started, eta_s=eta, title=self.title,
                         plot=done % self.plot_every == 0 or it + 1 == total_it, quiet=self.verbose,
                         success_rate=self.success_rate(), curriculum_level=self.curriculum_level())
        self._check_deadline()

    def _check_deadline(self) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            if self.run is not None:
                plot_training(self.run.metrics_csv, self.run.training_png, self.title)
            raise TimeBudgetReached


class RobotAcOnPolicyRunner(OnPolicyRunner):
    """OnPolicyRunner writing into a :class:`RunDirectory`; ``run=None`` for non-main ranks and evaluation."""

    def __init__(self, env: VecEnv, train_cfg: dict, run: RunDirectory | None, device: str,
                 checkpoint_infos: dict[str, Any], settings: dict[str, Any] | None = None, verbose: bool = False,
                 plot_every: int = 10, critic_warmup_iterations: int = 0) -> None:
        super().__init__(env, train_cfg, log_dir=str(run.path) if run else None, device=device)
        self.critic_warmup_iterations = critic_warmup_iterations
        self.run = run
        self.checkpoint_infos = checkpoint_infos
        self.settings = settings or {"rsl_rl": train_cfg}
        self.steps_per_iteration = int(train_cfg["num_steps_per_env"])
        self.logger = _RunLogger(
            log_dir=str(run.path) if run else None, cfg=self.cfg, env_cfg=self.env.cfg, num_envs=self.env.num_envs,
            is_distributed=self.is_distributed, gpu_world_size=self.gpu_world_size,
            gpu_global_rank=self.gpu_global_rank, device=self.device,
            run=run, verbose=verbose, plot_every=plot_every, title=checkpoint_infos["interface"]["task"],
            success_rate=lambda: getattr(self.env, "recent_success_rate", None),
            curriculum_level=lambda: getattr(self.env, "curriculum_level", None),
        )
        # rsl_rl stores the git diff of its own package; the user's project is what matters here.
        self.logger.git_status_repos = [str(Path(__file__).resolve())]

    def learn(self, num_learning_iterations: int, deadline: float | None = None,
              init_at_random_ep_len: bool = True) -> None:
        """rsl_rl's loop; with ``deadline`` (time.monotonic()) it stops after the iteration that passes it and
        writes the final checkpoint. Episodes start at random lengths (rsl_rl's decorrelation) unless told not to."""
        self.logger.deadline = deadline
        try:
            warmup = min(max(0, self.critic_warmup_iterations - self.current_learning_iteration),
                         num_learning_iterations)
            if warmup:
                with self._actor_frozen():
                    super().learn(warmup, init_at_random_ep_len)
            if num_learning_iterations > warmup:
                if warmup:
                    self.current_learning_iteration += 1  # rsl_rl leaves it at the last iteration done
                super().learn(num_learning_iterations - warmup, init_at_random_ep_len and not warmup)
        except TimeBudgetReached:
            self.save(f"model_{self.current_learning_iteration}.pt")
            if self.logger.writer is not None:
                self.logger.stop_logging_writer()
            print(f"wall-clock budget reached after iteration {self.current_learning_iteration}", flush=True)

    @contextlib.contextmanager
    def _actor_frozen(self):
        """Only the critic learns inside (the actor's weights get no gradient and its observation normaliser stays
        as it is: the policy acts exactly as it came), at a fixed learning rate: the adaptive schedule would read the
        zero KL of a frozen actor as room to raise it."""
        actor, schedule = self.alg.actor, self.alg.schedule
        for parameter in actor.parameters():
            parameter.requires_grad_(False)
        actor.update_normalization = lambda obs: None  # shadows the method until deleted below
        self.alg.schedule = "fixed"
        print(f"critic warm-up: {self.critic_warmup_iterations} iterations with the actor frozen", flush=True)
        try:
            yield
        finally:
            for parameter in actor.parameters():
                parameter.requires_grad_(True)
            del actor.update_normalization
            self.alg.schedule = schedule

    def load_initial_actor(self, run: Path | str) -> dict[str, Any]:
        """Start the actor from another run's (a distilled student or a PPO run of this task's observations);
        what this run records about it."""
        path = find_checkpoint(run)
        state = load_checkpoint(path, map_location=self.device)
        try:
            self.alg.actor.load_state_dict(state["actor_state_dict"], strict=True)
        except RuntimeError as exc:
            raise RobotAcError(f"--init-actor '{path}': its actor does not fit this task's policy observations and "
                               f"network ({exc})") from exc
        print(f"actor initialised from {path}", flush=True)
        return {"checkpoint": str(path.resolve()), "task": state["infos"]["interface"]["task"],
                "iteration": int(state["iter"])}

    def summary(self) -> RunnerSummary:
        return RunnerSummary(iterations=self.current_learning_iteration + 1,
                             total_env_steps=int(self.logger.tot_timesteps),
                             episode_returns=[float(r) for r in self.logger.rewbuffer],
                             episode_lengths=[float(n) for n in self.logger.lenbuffer])

    def save(self, path: str | Path, infos: dict | None = None) -> None:
        """Write ``checkpoints/model_<it>.pt`` atomically, with the interface and config export needs."""
        if self.run is None:
            return
        state = self._algorithm_state()
        state["iter"] = self.current_learning_iteration
        state["infos"] = {**self.checkpoint_infos, **(infos or {})}
        curriculum = getattr(self.env, "curriculum_state", None)
        if curriculum is not None and curriculum():
            state["infos"]["curriculum"] = curriculum()
        save_checkpoint(self.run.checkpoints / Path(path).name, state)

    def load(self, path: str | Path, load_cfg: dict | None = None, strict: bool = True,
             map_location: str | None = None) -> dict:
        """Resume: weights, optimiser and the iteration counter (continues after the saved iteration)."""
        state = load_checkpoint(path, map_location=map_location or self.device)
        self._restore_algorithm(path, state, load_cfg, strict)
        if "curriculum" in state["infos"] and hasattr(self.env, "load_curriculum_state"):
            self.env.load_curriculum_state(state["infos"]["curriculum"])
        self.current_learning_iteration = state["iter"] + 1
        return state["infos"]

    def _algorithm_state(self) -> dict[str, Any]:
        """The algorithm's part of a checkpoint, under the names export reads (``actor_state_dict``, ...)."""
        return self.alg.save()

    def _restore_algorithm(self, path: str, state: dict[str, Any], load_cfg: dict | None, strict: bool) -> None:
        self.alg.load(state, load_cfg, strict)
