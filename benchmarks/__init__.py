"""Benchmarks: programs over the library (never imported by it), one module each, results in ``results/``.

`robot-ac bench NAME` parses :mod:`benchmarks.options` and calls :func:`run`, which imports only the benchmark
asked for.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.options import (
    BenchAacd,
    BenchAlgos,
    BenchDeploy,
    BenchEnvs,
    BenchReplay,
    BenchSymphony,
    BenchTactile,
    BenchTrain,
)

BenchOptions = (BenchEnvs | BenchDeploy | BenchTactile | BenchReplay | BenchSymphony | BenchAlgos | BenchAacd
                | BenchTrain)


def run(options: BenchOptions) -> Path | None:
    """Run the benchmark ``options`` belongs to; the result JSON it wrote (a PNG of the same name lies beside it;
    `bench envs` with several tasks: the last task's)."""
    if isinstance(options, BenchDeploy):
        from benchmarks.deploy import bench_deploy

        return bench_deploy(options.out_dir, options.duration_s, options.rate_hz, options.path)
    if isinstance(options, BenchTactile):
        from benchmarks.tactile import bench_tactile
        from robot_ac.device import parse_device

        return bench_tactile(options.out_dir, options.sensor, options.batches, options.taxel_batches,
                             device=parse_device(options.device))
    if isinstance(options, BenchAacd):
        from benchmarks.aacd import bench_aacd

        return bench_aacd(options.out_dir, options.runs_root, options.task, options.parts, options.num_envs,
                          options.minutes, options.seeds, options.eval_episodes, existing_run=options.run,
                          zoo=options.zoo, device=options.device)
    if isinstance(options, BenchTrain):
        from benchmarks.train import bench_train

        return bench_train(options.out_dir, options.runs_root, options.task, options.algo, options.num_envs,
                           options.minutes, options.seed, options.eval_episodes, zoo=options.zoo,
                           zoo_name=options.zoo_name, device=options.device, teacher=options.teacher,
                           init_actor=options.init_actor,
                           critic_warmup_iterations=options.critic_warmup_iterations,
                           curriculum=options.curriculum, ppo=options.ppo, existing_run=options.run)
    if isinstance(options, BenchAlgos):
        from benchmarks.algos import bench_algos

        return bench_algos(options.out_dir, options.task, options.num_envs, options.minutes,
                           symphony=options.symphony)
    if isinstance(options, BenchSymphony):
        from benchmarks.symphony import bench_symphony

        return bench_symphony(options.out_dir, options.num_envs, options.steps, compiled=options.compiled)
    if isinstance(options, BenchReplay):
        from benchmarks.replay import bench_replay

        return bench_replay(options.out_dir, options.seconds, options.storages, options.repeats)
    from benchmarks.envs import bench_envs

    written = bench_envs(options)
    return written[-1] if written else None
