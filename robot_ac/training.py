"""Training: a task and :class:`~robot_ac.config.TrainOptions` -> a run directory with checkpoints, curve and
(optionally) an export. The algorithm's runner comes from :mod:`robot_ac.runners.factory`."""

from __future__ import annotations

import time
from dataclasses import fields, replace

import numpy as np

from robot_ac._atomic import atomic_write_json
from robot_ac.config import ExportOptions, PpoConfig, TrainOptions
from robot_ac.device import parse_device
from robot_ac.errors import RobotAcError
from robot_ac.randomization import load_actuator_randomization
from robot_ac.runners import RunDirectory, find_checkpoint, resolve_distributed
from robot_ac.runners.factory import RunnerRequest, algorithm, make_runner, teacher_algorithms
from robot_ac.seeding import seed_everything
from robot_ac.tasks import EnvOptions, get_task

RECORDED_SAMPLES = 256
"""Policy observations kept at the end of training for the export check."""


def merge_ppo(task_defaults: PpoConfig, cli: PpoConfig) -> PpoConfig:
    """The task's PPO defaults with every field the user changed on the command line."""
    untouched = PpoConfig()
    changed = {f.name: getattr(cli, f.name) for f in fields(PpoConfig)
               if getattr(cli, f.name) != getattr(untouched, f.name)}
    return replace(task_defaults, **changed)


def _check_options(options: TrainOptions, num_envs: int, iterations: int) -> None:
    if num_envs < 1 or iterations < 1:
        raise RobotAcError(f"--num-envs ({num_envs}) and --max-iterations ({iterations}) must be positive")
    teachers = " / ".join(teacher_algorithms())
    if algorithm(options.algo).needs_teacher and options.teacher is None:
        raise RobotAcError(f"--algo {options.algo} needs --teacher RUN (a PPO run on the task's privileged state) or --teacher expert (the task's scripted expert, for dagger / bc)")
    if options.teacher is not None and not algorithm(options.algo).needs_teacher:
        raise RobotAcError(f"--teacher goes with --algo {teachers}, not with --algo {options.algo}")
    if options.init_actor is not None and options.algo != "ppo":
        raise RobotAcError(f"--init-actor starts a PPO fine-tune; it does not go with --algo {options.algo}")
    if options.critic_warmup_iterations and options.init_actor is None:
        raise RobotAcError("--critic-warmup-iterations warms a critic up for an --init-actor policy; give --init-actor")
    if options.max_wall_time_s is not None and options.distributed:
        raise RobotAcError("--max-wall-time-s is not supported with --distributed (ranks would stop at different "
                           "iterations)")


def train(options: TrainOptions) -> RunDirectory | None:
    """Train ``options.task`` with ``options.algo``; the run directory (None on non-main ranks)."""
    spec = get_task(options.task)
    ctx = resolve_distributed(options.distributed, parse_device(options.device), options.seed,
                              allow_cpu=algorithm(options.algo).distributed_on_cpu)
    resume_from = find_checkpoint(options.resume) if options.resume else None
    num_envs = options.num_envs or spec.num_envs
    iterations = options.max_iterations or spec.max_iterations
    _check_options(options, num_envs, iterations)
    ppo = merge_ppo(spec.ppo, options.ppo)
    seed_everything(ctx.seed)

    print(f"creating {num_envs} '{spec.name}' envs on {ctx.device} "
          "(the first run on a machine compiles Warp kernels: about a minute per solver)", flush=True)
    started = time.monotonic()
    randomization = None
    if options.randomize_from is not None:
        if not spec.randomizes_actuators:
            raise RobotAcError(f"--randomize-from: task '{spec.name}' has no actuator randomisation (the PD-position "
                               "robots' tasks have: g1-stand, g1-velocity, humanoid-walk)")
        randomization = load_actuator_randomization(options.randomize_from)
        print(f"actuator randomisation from {randomization.source}: {len(randomization.joints)} joints, delay "
              f"{randomization.delay_ticks[0]}-{randomization.delay_ticks[1]} ticks", flush=True)
    env = spec.make_env(EnvOptions(num_envs=num_envs, device=ctx.device, seed=ctx.seed,
                                   curriculum=options.curriculum, actuator_randomization=randomization))
    try:
        obs_dims = {key: int(value.shape[-1]) for key, value in env.get_observations().items()}
        run = RunDirectory.create(options.run_root, spec.name, options.run_name) if ctx.is_main else None
        if run:
            print(f"run directory: {run.path}")
            if options.nan_guard:
                from robot_ac.runners.nan_guard import NanGuard

                env = NanGuard(env, run.path)
        runner = make_runner(RunnerRequest(options=options, spec=spec, ppo=ppo, env=env, run=run, ctx=ctx,
                                           obs_dims=obs_dims, resuming=resume_from is not None))
        if run:
            atomic_write_json(run.config_json, {
                "task": spec.name, "gym_id": spec.gym_id, "num_envs": num_envs, "max_iterations": iterations,
                "device": ctx.device, "seed": ctx.seed, "world_size": ctx.world_size, "algo": options.algo,
                "resumed_from": str(resume_from) if resume_from else None,
                "actuator_randomization": None if randomization is None else {
                    "source": randomization.source, "joints": randomization.joints,
                    "delay_ticks": randomization.delay_ticks}, **runner.settings,
            })
            atomic_write_json(run.interface_json, spec.interface.to_dict())
            if "teacher" in runner.checkpoint_infos:
                atomic_write_json(run.teacher_json, runner.checkpoint_infos["teacher"])
        if resume_from:
            runner.load(resume_from)
            print(f"resumed from {resume_from} at iteration {runner.current_learning_iteration}")
        print(f"environment ready in {time.monotonic() - started:.1f} s; training {options.algo} for {iterations} "
              f"iterations x {runner.steps_per_iteration} steps x {num_envs} envs", flush=True)
        deadline = time.monotonic() + options.max_wall_time_s if options.max_wall_time_s else None
        try:
            runner.learn(iterations, deadline=deadline)
        except ValueError as exc:
            if "NaN" not in str(exc):
                raise
            where = f"; checkpoints written so far are in {run.checkpoints}" if run else ""
            raise RobotAcError(f"task '{spec.name}': {exc} On Newton/MuJoCo-Warp this often means the task's "
                               f"njmax/nconmax contact buffers are too small{where}") from exc
        if run:
            sample = env.get_observations()["policy"][:RECORDED_SAMPLES].detach().cpu().numpy()
            np.save(run.recorded_observations, sample)
            summary = runner.summary()
            atomic_write_json(run.summary_json, {
                "algo": options.algo,
                "iterations": summary.iterations,
                "total_env_steps": summary.total_env_steps,
                "final_mean_return": float(np.mean(summary.episode_returns)) if summary.episode_returns else None,
                "final_mean_episode_length": (float(np.mean(summary.episode_lengths)) if summary.episode_lengths
                                              else None),
                "wall_time_s": round(time.monotonic() - started, 1),
            })
    finally:
        env.close()
    if run is None:
        return None
    print(f"training done in {time.monotonic() - started:.0f} s; curve: {run.training_png}")
    if options.export:
        from robot_ac.export.policy_export import describe_export, export_run

        print(describe_export(export_run(ExportOptions(run=run.path, check=True))))
    return run
