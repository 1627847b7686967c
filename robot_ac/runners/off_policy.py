"""Off-policy training (Symphony) on a batch of parallel environments, into the same run directory as PPO.

One iteration: ``cfg.steps_per_iteration`` vectorised env steps, each stored in the GPU-resident replay buffer and
followed by ``updates_per_step`` gradient steps on batches of ``batch_size`` once the warm-up is collected; both
come from the env count unless given (:func:`robot_ac.algorithms.symphony.update_schedule`), and the runner prints
them at the start and records them in ``config.json`` (``symphony_schedule``). Checkpoints carry the policy
interface and the algorithm's config, so ``robot-ac export`` and ``play`` work as for PPO.

Environments reset themselves (rsl_rl's VecEnv contract): the observation after a done is the new episode's first.
Terminations bootstrap with zero; time-outs (``extras["time_outs"]``) are stored as not terminated, and with the
reset observation as next state, since the wrapper does not hand out the final one (a small bias at time limits).
"""

from __future__ import annotations

import collections
import math
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch

from robot_ac.algorithms.symphony import Symphony, SymphonyConfig
from robot_ac.errors import RobotAcError
from robot_ac.runners.checkpoints import load_checkpoint, save_checkpoint
from robot_ac.runners.runner import RunnerSummary
from robot_ac.runners.metrics import record_iteration, remaining_seconds
from robot_ac.runners.run_dir import RunDirectory

EPISODE_WINDOW = 100
"""Completed episodes averaged for the reported return."""


def _mean(values: collections.deque[float]) -> float:
    return sum(values) / len(values) if values else float("nan")


class OffPolicyRunner:
    """Symphony on an rsl_rl VecEnv; ``run=None`` on non-main ranks."""

    def __init__(self, env: Any, cfg: SymphonyConfig, run: RunDirectory | None, device: str,
                 checkpoint_infos: dict[str, Any], save_interval: int, plot_every: int = 10,
                 world_size: int = 1) -> None:
        self.env, self.cfg, self.run, self.device = env, cfg, run, device
        self.checkpoint_infos = checkpoint_infos
        self.steps_per_iteration = cfg.steps_per_iteration
        self.save_interval, self.plot_every = save_interval, plot_every
        self.obs_dim = int(env.get_observations()["policy"].shape[-1])
        if world_size > 1 and not torch.distributed.is_initialized():
            # torchrun's environment gives rank and world size; Symphony averages gradients over this group.
            torch.distributed.init_process_group(backend="nccl" if str(device).startswith("cuda") else "gloo")
        # Actors are bounded by tanh: built to the env's action bound where it declares one (Gymnasium), else 1.
        self.algorithm = Symphony(self.obs_dim, env.num_actions, cfg, device=device, num_envs=env.num_envs,
                                  max_action=getattr(env, "action_limit", 1.0))
        self.schedule = self.algorithm.schedule
        self.settings = {"symphony": asdict(cfg), "symphony_schedule": self.schedule.to_dict(),
                         "symphony_bf16": self.algorithm.bf16}
        if run is not None:
            print(f"{self.schedule.describe()}; replay {cfg.buffer_capacity:,} transitions = "
                  f"{cfg.buffer_capacity // env.num_envs:,} vectorised steps; bf16 autocast "
                  f"{'on' if self.algorithm.bf16 else 'off'} ({cfg.bf16})", flush=True)
        self.current_learning_iteration = 0
        self.total_env_steps = 0
        self.episode_returns: collections.deque[float] = collections.deque(maxlen=EPISODE_WINDOW)
        self.episode_lengths: collections.deque[float] = collections.deque(maxlen=EPISODE_WINDOW)
        self._running_return = torch.zeros(env.num_envs, device=device)
        self._running_length = torch.zeros(env.num_envs, device=device)

    def _step(self, obs: torch.Tensor) -> tuple[torch.Tensor, dict[str, float]]:
        actions = self.algorithm.act(obs, explore=True)  # Symphony explores with its bounded noise throughout
        next_obs_dict, rewards, dones, extras = self.env.step(actions)
        next_obs = next_obs_dict["policy"]
        if not (torch.isfinite(next_obs).all() and torch.isfinite(rewards).all()):
            raise RobotAcError("the environment returned NaN or inf observations or rewards")
        time_outs = extras.get("time_outs", torch.zeros_like(dones)).to(torch.bool)
        done = dones.to(torch.bool)
        self.algorithm.store(obs, actions, rewards, next_obs, (done & ~time_outs).float())
        self._running_return += rewards
        self._running_length += 1
        if done.any():
            self.episode_returns.extend(self._running_return[done].tolist())
            self.episode_lengths.extend(self._running_length[done].tolist())
            self._running_return[done] = 0
            self._running_length[done] = 0
        losses: dict[str, float] = {}
        if self.algorithm.ready:
            for _ in range(self.schedule.updates_per_step):
                losses = self.algorithm.update()
        self.total_env_steps += self.env.num_envs
        return next_obs, losses

    def learn(self, num_learning_iterations: int, deadline: float | None = None) -> None:
        """Train; with ``deadline`` (time.monotonic()) stop after the iteration that passes it."""
        obs = self.env.get_observations()["policy"].to(self.device)
        first = self.current_learning_iteration
        last = first + num_learning_iterations
        started = time.monotonic()
        for it in range(first, last):
            iteration_start = time.monotonic()
            updates_before = self.algorithm.num_updates
            losses: dict[str, float] = {}
            for _ in range(self.steps_per_iteration):
                obs, step_losses = self._step(obs)
                losses = step_losses or losses
            if not all(math.isfinite(value) for value in losses.values()):
                raise RobotAcError(f"Symphony produced NaN losses at iteration {it}: {losses}")
            self.current_learning_iteration = it
            elapsed = time.monotonic() - iteration_start
            if self.run is not None:
                done = it + 1 - first
                updates = self.algorithm.num_updates - updates_before
                extra = f"  {updates / elapsed:6.1f} upd/s" + (f"  q {losses['q_ema']:8.3f}" if losses else
                                                              "  (warm-up)")
                record_iteration(self.run, iteration=it, total_iterations=last, total_steps=self.total_env_steps,
                                 mean_return=_mean(self.episode_returns), mean_length=_mean(self.episode_lengths),
                                 steps_per_s=self.steps_per_iteration * self.env.num_envs / elapsed,
                                 wall_time_s=time.monotonic() - started,
                                 eta_s=remaining_seconds(time.monotonic() - started, done, last - it - 1, deadline),
                                 plot=done % self.plot_every == 0 or it + 1 == last, title=self.run.path.parent.name,
                                 extra=extra)
            out_of_time = deadline is not None and time.monotonic() > deadline
            if self.run is not None and ((it + 1) % self.save_interval == 0 or it + 1 == last or out_of_time):
                self.save(self.run.checkpoints / f"model_{it}.pt")
            if out_of_time:
                print(f"wall-clock budget reached after iteration {it}", flush=True)
                break
        if torch.distributed.is_initialized():
            self._check_ranks_agree()

    def _check_ranks_agree(self) -> None:
        """Averaged gradients keep every rank's networks identical; a difference means a rank went its own way."""
        params = torch.cat([p.detach().double().flatten() for p in self.algorithm.params])
        low, high = params.clone(), params.clone()
        torch.distributed.all_reduce(low, op=torch.distributed.ReduceOp.MIN)
        torch.distributed.all_reduce(high, op=torch.distributed.ReduceOp.MAX)
        if not torch.equal(low, high):
            raise RobotAcError(f"data-parallel ranks disagree on {(low != high).sum().item()} parameters")
        if self.run is not None:
            print(f"parameters identical on {torch.distributed.get_world_size()} ranks", flush=True)

    def summary(self) -> RunnerSummary:
        return RunnerSummary(iterations=self.current_learning_iteration + 1, total_env_steps=self.total_env_steps,
                             episode_returns=list(self.episode_returns), episode_lengths=list(self.episode_lengths))

    def save(self, path: str | Path) -> None:
        if self.run is None:
            return
        algorithm = self.algorithm.state_dict()
        save_checkpoint(path, {
            "actor_state_dict": algorithm["actor"], "critic_state_dict": algorithm["critic"],
            "symphony_state": algorithm, "iter": self.current_learning_iteration,
            "total_env_steps": self.total_env_steps, "infos": self.checkpoint_infos})

    def load(self, path: str | Path) -> None:
        """Resume: networks, optimiser, running statistics and the iteration counter (not the replay buffer:
        the warm-up is collected again before updates continue)."""
        state = load_checkpoint(path, map_location=self.device)
        if "symphony_state" not in state:
            raise RobotAcError(f"checkpoint '{path}' was not written by Symphony training (no 'symphony_state')")
        self.algorithm.load_state_dict(state["symphony_state"])
        self.current_learning_iteration = state["iter"] + 1
        self.total_env_steps = state.get("total_env_steps", 0)


def symphony_train_cfg(cfg: SymphonyConfig) -> dict[str, Any]:
    """What checkpoints record as ``infos['train_cfg']`` for Symphony (export rebuilds the actor from it)."""
    return {"algorithm": "symphony", "symphony": asdict(cfg)}
