"""`robot-ac train`: task + PPO settings -> a run directory with checkpoints, curve and (optionally) an export."""

from __future__ import annotations

import copy
import random
import time
from dataclasses import asdict, fields, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from robot_ac.config import PpoConfig
from robot_ac.device import parse_device
from robot_ac.errors import RobotAcError
from robot_ac.runners import (
    DistributedContext,
    RunDirectory,
    find_checkpoint,
    load_checkpoint,
    resolve_distributed,
)
from robot_ac.tasks import EnvOptions, TaskSpec, get_task

if TYPE_CHECKING:
    from robot_ac.cli import Train

RECORDED_SAMPLES = 256


def merge_ppo(task_defaults: PpoConfig, cli: PpoConfig) -> PpoConfig:
    """The task's PPO defaults with every field the user changed on the command line."""
    untouched = PpoConfig()
    changed = {f.name: getattr(cli, f.name) for f in fields(PpoConfig)
               if getattr(cli, f.name) != getattr(untouched, f.name)}
    return replace(task_defaults, **changed)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def _check_interface(spec: TaskSpec, obs_dims: dict[str, int], num_actions: int) -> None:
    """The environment must produce what the task's interface (and so the manifest) promises."""
    if obs_dims.get("policy") != spec.interface.observation_size:
        raise RobotAcError(f"task '{spec.name}': the environment's policy observation has {obs_dims.get('policy')} "
                           f"values, its interface declares {spec.interface.observation_size}")
    if num_actions != spec.interface.action_size:
        raise RobotAcError(f"task '{spec.name}': the environment takes {num_actions} actions, its interface "
                           f"declares {spec.interface.action_size}")


TEACHER_ALGOS = ("aacd", "dagger", "bc")
"""Algorithms that learn from a teacher run (``--teacher``)."""


def _make_runner(args: Train, spec: TaskSpec, ppo: PpoConfig, env: Any, run: RunDirectory | None,
                 ctx: DistributedContext, obs_dims: dict[str, int], resuming: bool) -> tuple[Any, dict, int]:
    """The algorithm's runner, the config recorded in config.json, and env steps per iteration."""
    from robot_ac.runners.off_policy import OffPolicyRunner, symphony_train_cfg
    from robot_ac.networks.tactile_student import TactileLayout, tactile_actor_cfg
    from robot_ac.runners.on_policy import RobotAcOnPolicyRunner

    def infos(train_cfg: dict) -> dict[str, Any]:
        return {"interface": spec.interface.to_dict(), "train_cfg": copy.deepcopy(train_cfg), "obs_dims": obs_dims}

    if args.algo == "symphony":
        cfg = symphony_train_cfg(args.symphony)
        runner = OffPolicyRunner(env, args.symphony, run, ctx.device, infos(cfg), save_interval=args.save_interval,
                                 world_size=ctx.world_size)
        return runner, cfg, args.symphony.steps_per_iteration
    rsl = ppo.to_rsl_rl(seed=ctx.seed, device=ctx.device, save_interval=args.save_interval,
                        experiment_name=spec.name, critic_groups=("critic",) if "critic" in obs_dims else ("policy",))
    layout = TactileLayout.of(spec.interface)
    if layout is not None:
        rsl["actor"] = tactile_actor_cfg(rsl["actor"], layout)
    if args.algo in ("dagger", "bc"):
        from robot_ac.runners.distillation import RobotAcDistillationRunner, distillation_train_cfg, export_view

        cfg = distillation_train_cfg(args.algo, rsl["actor"], load_checkpoint(find_checkpoint(args.teacher)),
                                     seed=ctx.seed, device=ctx.device, num_steps_per_env=ppo.num_steps_per_env,
                                     save_interval=args.save_interval, learning_rate=ppo.learning_rate,
                                     experiment_name=spec.name)
        runner = RobotAcDistillationRunner(env, copy.deepcopy(cfg), run, ctx.device, infos(export_view(cfg)),
                                           verbose=args.verbose)
        if not resuming:
            runner.checkpoint_infos["teacher"] = runner.load_teacher(args.teacher)
        return runner, cfg, ppo.num_steps_per_env
    runner = RobotAcOnPolicyRunner(env, copy.deepcopy(rsl), run, ctx.device, infos(rsl), verbose=args.verbose)
    if args.algo == "aacd":
        from robot_ac.algorithms.aacd import hand_over_critic, set_critic_frozen

        if resuming:  # the checkpoint holds the student's critic; only its frozen state is re-applied
            set_critic_frozen(runner.alg.critic, args.aacd.freeze_critic)
        else:
            runner.checkpoint_infos["teacher"] = hand_over_critic(runner.alg.critic, args.teacher,
                                                                  args.aacd.freeze_critic)
            print(f"critic handed over from teacher {runner.checkpoint_infos['teacher']['checkpoint']} "
                  f"({'frozen' if args.aacd.freeze_critic else 'fine-tuned'})")
    return runner, rsl, ppo.num_steps_per_env


def train(args: Train) -> RunDirectory | None:
    from robot_ac.export.policy_export import RECORDED_OBSERVATIONS

    spec = get_task(args.task)
    ctx = resolve_distributed(args.distributed, parse_device(args.device), args.seed,
                              allow_cpu=args.algo == "symphony")
    resume_from = find_checkpoint(args.resume) if args.resume else None
    num_envs = args.num_envs or spec.num_envs
    iterations = args.max_iterations or spec.max_iterations
    if num_envs < 1 or iterations < 1:
        raise RobotAcError(f"--num-envs ({num_envs}) and --max-iterations ({iterations}) must be positive")
    if args.algo in TEACHER_ALGOS and args.teacher is None:
        raise RobotAcError(f"--algo {args.algo} needs --teacher RUN (a PPO run on the task's privileged state)")
    if args.teacher is not None and args.algo not in TEACHER_ALGOS:
        raise RobotAcError(f"--teacher goes with --algo {' / '.join(TEACHER_ALGOS)}, not with --algo {args.algo}")
    if args.max_wall_time_s is not None and args.distributed:
        raise RobotAcError("--max-wall-time-s is not supported with --distributed (ranks would stop at different "
                           "iterations)")
    ppo = merge_ppo(spec.ppo, args.ppo)
    seed_everything(ctx.seed)

    print(f"creating {num_envs} '{spec.name}' envs on {ctx.device} "
          "(the first run on a machine compiles Warp kernels: about a minute per solver)", flush=True)
    started = time.monotonic()
    env = spec.make_env(EnvOptions(num_envs=num_envs, device=ctx.device, seed=ctx.seed))
    try:
        obs = env.get_observations()
        obs_dims = {key: int(value.shape[-1]) for key, value in obs.items()}
        _check_interface(spec, obs_dims, env.num_actions)
        run = RunDirectory.create(args.run_root, spec.name, args.run_name) if ctx.is_main else None
        if run:
            print(f"run directory: {run.path}")
            if args.nan_guard:
                from robot_ac.runners.nan_guard import NanGuard

                env = NanGuard(env, run.path)
        runner, train_cfg, steps_per_iteration = _make_runner(args, spec, ppo, env, run, ctx, obs_dims,
                                                              resuming=resume_from is not None)
        if run:
            run.write_json("config.json", {
                "task": spec.name, "gym_id": spec.gym_id, "num_envs": num_envs, "max_iterations": iterations,
                "device": ctx.device, "seed": ctx.seed, "world_size": ctx.world_size, "algo": args.algo,
                "resumed_from": str(resume_from) if resume_from else None,
                **({"symphony": asdict(args.symphony)} if args.algo == "symphony" else
                   {"ppo": asdict(ppo), "rsl_rl": train_cfg}),
            })
            run.write_json("interface.json", spec.interface.to_dict())
            if "teacher" in runner.checkpoint_infos:
                run.write_json("teacher.json", runner.checkpoint_infos["teacher"])
        if resume_from:
            runner.load(str(resume_from))
            print(f"resumed from {resume_from} at iteration {runner.current_learning_iteration}")
        print(f"environment ready in {time.monotonic() - started:.1f} s; training {args.algo} for {iterations} "
              f"iterations x {steps_per_iteration} steps x {num_envs} envs", flush=True)
        deadline = time.monotonic() + args.max_wall_time_s if args.max_wall_time_s else None
        try:
            if args.algo == "symphony":
                runner.learn(num_learning_iterations=iterations, deadline=deadline)
            else:
                runner.learn(num_learning_iterations=iterations, init_at_random_ep_len=True, deadline=deadline)
        except ValueError as exc:
            if "NaN" not in str(exc):
                raise
            where = f"; checkpoints written so far are in {run.checkpoints}" if run else ""
            raise RobotAcError(f"task '{spec.name}': {exc} On Newton/MuJoCo-Warp this often means the task's "
                               f"njmax/nconmax contact buffers are too small{where}") from exc
        if run:
            sample = env.get_observations()["policy"][:RECORDED_SAMPLES].detach().cpu().numpy()
            np.save(run.path / RECORDED_OBSERVATIONS, sample)
            if args.algo == "symphony":
                returns, lengths, total_steps = runner.episode_returns, runner.episode_lengths, runner.total_env_steps
            else:
                returns, lengths = runner.logger.rewbuffer, runner.logger.lenbuffer
                total_steps = runner.logger.tot_timesteps
            run.write_json("summary.json", {
                "algo": args.algo,
                "iterations": runner.current_learning_iteration + 1,
                "total_env_steps": total_steps,
                "final_mean_return": float(np.mean(returns)) if returns else None,
                "final_mean_episode_length": float(np.mean(lengths)) if lengths else None,
                "wall_time_s": round(time.monotonic() - started, 1),
            })
    finally:
        env.close()
    if run is None:
        return None
    print(f"training done in {time.monotonic() - started:.0f} s; curve: {run.training_png}")
    if args.export:
        from robot_ac.cli import Export, run_export

        run_export(Export(run=run.path, check=True))
    return run
