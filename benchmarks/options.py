"""The options of every benchmark, one dataclass each: `robot-ac bench NAME` is generated from them.

This module imports nothing heavy (the CLI builds its flags from it on a robot without torch); the benchmark
programs themselves live beside it and are imported only when one runs (:func:`benchmarks.run`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

import tyro

from robot_ac.config import PpoConfig, SymphonyConfig

@dataclass
class BenchEnvs:
    """Measure env-steps/s at several env counts (and training throughput); write JSON + PNG to benchmarks/results."""

    tasks: tuple[str, ...] = ("cartpole",)
    num_envs: tuple[int, ...] = (16, 64, 256)
    device: str = "cpu"
    steps: int = 200
    """Timed environment steps per measurement (after a warm-up)."""
    repeats: int = 3
    """Measurements per env count (alternating with the baseline); the best of them is reported."""
    baseline: bool = True
    """Also time the task's upstream reference env (cartpole: Isaac Lab's own) and report our rate as a ratio."""
    train_iterations: int = 3
    """PPO iterations timed for training throughput at the largest env count (0: skip)."""
    out_dir: Path = Path("benchmarks/results")


@dataclass
class BenchDeploy:
    """Round trip state-in -> command-out of the policy node (own process, an MLP policy) at a fixed rate, joint
    or Cartesian path, against a bare rclpy + onnxruntime echo of the same policy; or the G1's LowState -> LowCmd
    with the zoo's g1-stand policy against a bare LowCmd-with-CRC echo; JSON + PNG histogram."""

    duration_s: float = 60.0
    """Measured time per node (after 1 s of warm-up; 5 s on ``lowcmd``, the G1's start sequence)."""
    rate_hz: float = 500.0
    path: Literal["joint", "cartesian", "lowcmd"] = "joint"
    """``joint``: JointState in, joint targets out; ``cartesian``: the measured TCP pose in, a TCP target out;
    ``lowcmd``: unitree_hg LowState in, LowCmd (with its CRC) out, on ``hardware_configs/unitree_g1.yaml`` with
    ``policies/g1-stand/dagger-expert-seed1`` (the G1's policy rate is 50 Hz)."""
    out_dir: Path = Path("benchmarks/results")


@dataclass
class BenchTactile:
    """Tactile images/s and force-field readings/s against batch size, with a torch render as baseline."""

    sensor: str = "gs_mini"
    batches: tuple[int, ...] = (1, 8, 64, 256, 512)
    taxel_batches: tuple[int, ...] = (64, 512, 4096)
    device: str = "cpu"
    out_dir: Path = Path("benchmarks/results")


@dataclass
class BenchReplay:
    """Messages/s reading a generated robot log (29 joints at 1 kHz + a GelSight camera at 30 Hz) into aligned
    arrays, against rosbags' own read + deserialise in the same run; memory while streaming."""

    seconds: tuple[float, ...] = (10.0, 30.0)
    """Lengths of the generated bags (two or more show whether memory stays flat)."""
    storages: tuple[Literal["mcap", "sqlite3"], ...] = ("mcap", "sqlite3")
    repeats: int = 3
    out_dir: Path = Path("benchmarks/results")


@dataclass
class BenchSymphony:
    """Symphony with the paper's networks on Humanoid-v5 and a full 512k buffer: env-steps/s and updates/s single-env
    against the reference implementation's replay handling (same process), and at several parallel env counts."""

    num_envs: tuple[int, ...] = (16, 64, 256)
    """Parallel env counts measured after the single-env comparison."""
    steps: int = 10
    """Timed env steps per measurement (each with 3 updates)."""
    compiled: bool = False
    """Also time the single-env loop with torch.compile'd networks."""
    out_dir: Path = Path("benchmarks/results")


@dataclass
class BenchAlgos:
    """Symphony vs PPO on one task, same env count, same wall-clock budget: return against wall-clock and env
    steps, and the final policies' action smoothness and energy."""

    task: str = "humanoid-walk"
    num_envs: int = 64
    minutes: float = 20.0
    """Wall-clock budget of each training run."""
    symphony: SymphonyConfig = field(default_factory=SymphonyConfig)
    out_dir: Path = Path("benchmarks/results")


@dataclass
class BenchAacd:
    """TacSL's comparison on a peg task, in parts (one training run each, then its evaluation): a teacher distilled
    from the scripted expert and its PPO fine-tune, then DAgger, BC, recurrent DAgger, AACD (frozen and fine-tuned
    critic) and AAC-from-scratch students of the force-field and image views; `throughput` times the three views.
    Every part writes its JSON + PNG; the report gathers the latest of every part and seed (no --parts: report only)."""

    task: Literal["franka-peg-place", "franka-peg-insert"] = "franka-peg-place"
    parts: tuple[str, ...] = ()
    """Parts to run, in order (see `benchmarks/aacd.py`): teacher, teacher-ppo, dagger-force-field, bc-force-field,
    dagger-gru-force-field, aacd-force-field, aacd-ft-force-field, aac-force-field, the same for -image, throughput."""
    num_envs: int = 32
    minutes: float = 20.0
    """Wall-clock training budget of each part."""
    seeds: tuple[int, ...] = (1,)
    eval_episodes: int = 64
    device: str = "cpu"
    """cpu or cuda[:N]: simulation, learner and evaluation (TacSL's scale needs a GPU: see the README)."""
    run: Path | None = None
    """Evaluate this existing run as the (single) part instead of training it (the JSON records its command)."""
    zoo: Path | None = None
    """Also copy each part's exported policy into ZOO/<task view>/<part>-seed<k>/ with a README (e.g. policies)."""
    runs_root: Path = Path("runs/bench-aacd")
    """Where the parts' run directories stay (students use the teacher's; the zoo copies from them)."""
    out_dir: Path = Path("benchmarks/results")


@dataclass
class BenchTrain:
    """Train one task on a wall-clock budget, evaluate its exported policy (success with its 95% interval); JSON +
    PNG, and with --zoo a copy of the policy in the zoo."""

    task: str = "franka-reach"
    algo: Literal["ppo", "symphony", "dagger", "bc"] = "ppo"
    teacher: str | None = None
    """For dagger / bc: ``expert`` (the task's scripted expert) or a PPO run directory."""
    init_actor: Path | None = None
    """For ppo: fine-tune this run's actor (e.g. a student distilled with --teacher expert) instead of starting from
    scratch; the budget is the fine-tune's alone."""
    critic_warmup_iterations: int = 0
    """For ppo with --init-actor: iterations that train only the critic on the initial actor's rollouts first."""
    curriculum: bool = True
    """Train under the task's curriculum (--no-curriculum: on the task as evaluated, e.g. to fine-tune a policy that
    already succeeds)."""
    ppo: PpoConfig = field(default_factory=PpoConfig)
    """For ppo: the settings of `robot-ac train --ppo.*`; flags left unset keep the task's own (a fine-tune of a
    policy that already succeeds may want a smaller, fixed learning rate)."""
    num_envs: int = 256
    minutes: float = 20.0
    seed: int = 1
    eval_episodes: int = 128
    device: str = "cpu"
    zoo: Path | None = None
    """Copy the exported policy into ZOO/<task>/<zoo-name>/ with a README (e.g. policies)."""
    zoo_name: str | None = None
    """Default: <algo>-seed<k> (<algo>-expert-seed<k> with --teacher expert, <algo>-finetune-seed<k> with
    --init-actor)."""
    run: Path | None = None
    """Evaluate this existing run (trained with the same options) instead of training one."""
    runs_root: Path = Path("runs/bench-train")
    out_dir: Path = Path("benchmarks/results")


@dataclass
class Bench:
    """Benchmarks: `bench envs` (simulation and training throughput), `bench deploy` (robot-side latency),
    `bench tactile` (visuotactile rendering and force fields), `bench replay` (reading robot logs),
    `bench symphony` (off-policy learner throughput), `bench algos` (Symphony vs PPO, same budget),
    `bench aacd` (tactile students from a privileged teacher, TacSL's comparison), `bench train` (one task to a
    measured success, for the zoo)."""

    target: tyro.conf.OmitSubcommandPrefixes[
        Annotated[BenchEnvs, tyro.conf.subcommand("envs")]
        | Annotated[BenchDeploy, tyro.conf.subcommand("deploy")]
        | Annotated[BenchTactile, tyro.conf.subcommand("tactile")]
        | Annotated[BenchReplay, tyro.conf.subcommand("replay")]
        | Annotated[BenchSymphony, tyro.conf.subcommand("symphony")]
        | Annotated[BenchAlgos, tyro.conf.subcommand("algos")]
        | Annotated[BenchAacd, tyro.conf.subcommand("aacd")]
        | Annotated[BenchTrain, tyro.conf.subcommand("train")]
    ]


