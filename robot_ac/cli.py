"""`robot-ac`: train, play, export, bench and list tasks. Each subcommand is one dataclass; tyro makes the flags.

Errors a user can fix (unknown task, bad device, missing or corrupt checkpoint...) print one line naming what is
wrong and exit with status 2; they never end in a traceback.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

import tyro

from robot_ac.config import AacdConfig, PpoConfig, SymphonyConfig
from robot_ac.device import parse_device
from robot_ac.errors import RobotAcError


@dataclass
class Train:
    """Train a policy with PPO (rsl_rl) or Symphony and write runs/<task>/<timestamp>/ (config, checkpoints,
    curve)."""

    task: str = "cartpole"
    """Task name or gym id (see `robot-ac tasks`)."""
    device: str = "cpu"
    """cpu, cuda or cuda:N: simulation, tensors and learner all run there."""
    num_envs: int | None = None
    """Parallel environments; default: the task's (sized for a 2-core CPU)."""
    max_iterations: int | None = None
    """Iterations; default: the task's. With --resume, iterations to add."""
    algo: Literal["ppo", "symphony", "aacd", "dagger", "bc"] = "ppo"
    """ppo: on-policy (rsl_rl; asymmetric where the task has a 'critic' group); symphony: off-policy with swaddling
    and fading replay (--symphony.*); aacd: PPO whose critic starts as --teacher's (--aacd.*); dagger / bc: the
    student regresses onto --teacher's actions on its own / the teacher's states (rsl_rl distillation)."""
    teacher: Path | None = None
    """aacd, dagger, bc: the teacher's run directory or checkpoint (PPO whose actor and critic read this task's
    'critic' group)."""
    seed: int = 42
    """Seed for torch, numpy and the simulator (rank r of a distributed run uses seed + r)."""
    run_root: Path = Path("runs")
    """Where run directories are created."""
    run_name: str = ""
    """Optional suffix of the run directory name."""
    resume: Path | None = None
    """Continue from a checkpoint file or a run directory (its latest checkpoint), in a new run directory."""
    export: bool = False
    """Export policy.onnx, policy.pt and manifest.json into RUN/export when training ends (and check them)."""
    distributed: bool = False
    """Multi-GPU data parallel: launch with torchrun, one process per GPU (see README)."""
    save_interval: int = 20
    """Write a checkpoint every this many iterations (and always at the end)."""
    max_wall_time_s: float | None = None
    """Stop after the iteration that passes this many seconds of training (for same-budget comparisons)."""
    verbose: bool = False
    """Print rsl_rl's full per-iteration report instead of one line per iteration."""
    nan_guard: bool = False
    """Keep every env's last 32 steps; on a NaN observation or reward write the failing envs' history to
    RUN/nan_dump_step<N>.npz before stopping (costs a little speed)."""
    ppo: PpoConfig = field(default_factory=PpoConfig)
    """PPO settings; flags you leave unset keep the task's own defaults."""
    symphony: SymphonyConfig = field(default_factory=SymphonyConfig)
    """Symphony settings (with --algo symphony); defaults are the paper's."""
    aacd: AacdConfig = field(default_factory=AacdConfig)
    """AACD settings (with --algo aacd)."""


@dataclass
class Play:
    """Roll out a policy for N episodes and print return, episode length and success statistics."""

    policy: Annotated[Path, tyro.conf.Positional]
    """A checkpoint, a run directory (latest checkpoint), an export directory or a policy.onnx file."""
    episodes: int = 20
    """Episodes to finish before reporting."""
    num_envs: int = 16
    device: str = "cpu"
    seed: int = 0
    """Same seed, same policy -> identical statistics."""
    task: str | None = None
    """Override the task named in the checkpoint/manifest (must have the same interface)."""
    json_out: Path | None = None
    """Also write the statistics as JSON to this file."""


@dataclass
class Eval(Play):
    """Success rate of a policy over N randomised episodes, with a 95% confidence interval (Wilson). Each env
    contributes its first episode only, so short failing episodes do not crowd out long ones."""

    episodes: int = 100
    """Episodes (= environments: one episode each)."""
    num_envs: int = 0
    """0: as many as --episodes."""


@dataclass
class Export:
    """Export a trained policy: policy.onnx, policy.pt (TorchScript) and manifest.json."""

    run: Annotated[Path, tyro.conf.Positional]
    """A run directory (latest checkpoint) or a checkpoint file."""
    out: Path | None = None
    """Output directory; default: RUN/export."""
    check: bool = False
    """Compare onnxruntime and TorchScript against torch on random and recorded observations; fail past tolerance."""
    tolerance: float = 1e-5


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
    """Round trip JointState-in -> command-out of the policy node (own process, 29-joint MLP) at a fixed rate,
    against a bare rclpy + onnxruntime echo of the same policy; JSON + PNG histogram."""

    duration_s: float = 60.0
    """Measured time per node (after 1 s of warm-up)."""
    rate_hz: float = 500.0
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
    """TacSL's comparison on a peg task: a privileged teacher, then AACD (image, force field), AAC from scratch,
    DAgger and behaviour cloning students with the same budget; success curves, evaluated success rates with
    confidence intervals, and the task's env-steps/s with and without tactile sensing."""

    task: Literal["franka-peg-place", "franka-peg-insert"] = "franka-peg-place"
    num_envs: int = 32
    teacher: Path | None = None
    """An existing teacher run on ``<task>-privileged``; none: train one for --teacher-minutes."""
    teacher_minutes: float = 25.0
    student_minutes: float = 10.0
    """Wall-clock budget of each student."""
    students: tuple[str, ...] = ("aacd-image", "aacd-force-field", "aac-image", "dagger-image", "bc-image")
    eval_episodes: int = 32
    out_dir: Path = Path("benchmarks/results")


@dataclass
class Bench:
    """Benchmarks: `bench envs` (simulation and training throughput), `bench deploy` (robot-side latency),
    `bench tactile` (visuotactile rendering and force fields), `bench replay` (reading robot logs),
    `bench symphony` (off-policy learner throughput), `bench algos` (Symphony vs PPO, same budget),
    `bench aacd` (tactile students from a privileged teacher, TacSL's comparison)."""

    target: tyro.conf.OmitSubcommandPrefixes[
        Annotated[BenchEnvs, tyro.conf.subcommand("envs")]
        | Annotated[BenchDeploy, tyro.conf.subcommand("deploy")]
        | Annotated[BenchTactile, tyro.conf.subcommand("tactile")]
        | Annotated[BenchReplay, tyro.conf.subcommand("replay")]
        | Annotated[BenchSymphony, tyro.conf.subcommand("symphony")]
        | Annotated[BenchAlgos, tyro.conf.subcommand("algos")]
        | Annotated[BenchAacd, tyro.conf.subcommand("aacd")]
    ]


@dataclass
class Deploy:
    """Run the ROS 2 policy node for a robot without `ros2 launch` (pip-only installs): configure, activate,
    ramp to the default pose, run the policy; Ctrl-C damps and releases the robot."""

    config: Path
    """Hardware config YAML (hardware_configs/*.yaml)."""
    policy: Path
    """Export directory holding manifest.json and policy.onnx."""
    autostart: bool = True
    """Ramp and start the policy as soon as fresh joint states arrive; else wait for the ~/start service."""
    duration_s: float | None = None
    """Stop after this many seconds (default: run until Ctrl-C)."""
    trigger: Literal["timer", "joint_state"] = "timer"
    """Run the policy on a control-rate timer, or on every JointState (drivers publishing at the control rate)."""


@dataclass
class Replay:
    """Replay a robot log (rosbag2, MCAP or sqlite3) through the policy: open-loop commands vs what the robot sent,
    lag, divergence; writes summary.json, PNGs and report.html."""

    bag: Annotated[Path, tyro.conf.Positional]
    config: Path
    """Hardware config the robot ran with (topics, joints)."""
    policy: Path
    """Export directory (manifest.json + policy.onnx) the robot ran."""
    out: Path = Path("replay_report")
    tolerance: float = 1e-4
    """Command difference (rad, m or N) above which the replay counts as diverged."""
    resim: bool = False
    """Also re-simulate the recorded commands on the robot's simulated twin: trajectory gap and actuator gain."""


@dataclass
class Record:
    """Record a robot's topics (from its hardware config) to a rosbag2 with rosbags: no `ros2 bag` needed."""

    config: Path
    out: Path = Path("robot_log")
    """Bag directory to create (must not exist)."""
    duration_s: float | None = None
    """Stop after this many seconds (default: Ctrl-C)."""
    storage: Literal["mcap", "sqlite3"] = "mcap"


@dataclass
class TactileRender:
    """Render an indentation map (.npy, [H, W] or [N, H, W], mm) to GelSight image(s)."""

    indentation: Annotated[Path, tyro.conf.Positional]
    """A .npy file: [H, W] or [N, H, W] float indentation in mm (H x W: the sensor's image size)."""
    out: Path = Path("tactile.png")
    """Output PNG; with N > 1 maps, out_000.png, out_001.png, ..."""
    sensor: str = "gs_mini"
    """Sensor preset: gs_mini or r15."""
    diff: bool = False
    """Write the difference from the no-contact image (x2, around grey) instead of the image."""


@dataclass
class TactileDemo:
    """Press a sphere, a cube edge and a cylinder into the pad; PNG sheet of images and force fields."""

    out: Path = Path("tactile_demo.png")
    sensor: str = "gs_mini"


@dataclass
class Tactile:
    """Visuotactile sensor tools (Warp, CPU or CUDA)."""

    target: tyro.conf.OmitSubcommandPrefixes[
        Annotated[TactileRender, tyro.conf.subcommand("render")] | Annotated[TactileDemo, tyro.conf.subcommand("demo")]
    ]


@dataclass
class Tasks:
    """List the registered tasks with their observation and action sizes."""


Command = (
    Annotated[Train, tyro.conf.subcommand("train")]
    | Annotated[Play, tyro.conf.subcommand("play")]
    | Annotated[Eval, tyro.conf.subcommand("eval")]
    | Annotated[Export, tyro.conf.subcommand("export")]
    | Annotated[Bench, tyro.conf.subcommand("bench")]
    | Annotated[Deploy, tyro.conf.subcommand("deploy")]
    | Annotated[Replay, tyro.conf.subcommand("replay")]
    | Annotated[Record, tyro.conf.subcommand("record")]
    | Annotated[Tactile, tyro.conf.subcommand("tactile")]
    | Annotated[Tasks, tyro.conf.subcommand("tasks")]
)


def run_train(args: Train) -> None:
    from robot_ac.training import train

    train(args)


def run_play(args: Play) -> None:
    from robot_ac.play import play

    play(args)


def run_export(args: Export) -> None:
    from robot_ac.export.policy_export import check_export, export_checkpoint, recorded_observations
    from robot_ac.runners.checkpoints import find_checkpoint

    checkpoint = find_checkpoint(args.run)
    run_dir = checkpoint.parent.parent if checkpoint.parent.name == "checkpoints" else checkpoint.parent
    out = args.out or run_dir / "export"
    manifest = export_checkpoint(checkpoint, out)
    print(f"exported {checkpoint} -> {out}/ (policy.onnx sha256 {manifest.policy.sha256[:12]}..., "
          f"obs {manifest.interface.observation_size}, actions {manifest.interface.action_size})")
    if args.check:
        result = check_export(out, checkpoint, recorded_observations(run_dir), tolerance=args.tolerance)
        for name, diff in result.onnx_vs_torch.items():
            print(f"  check {name:>8}: max |onnx - torch| / (1 + |torch|) = {diff:.2e}, "
                  f"torchscript: {result.torchscript_vs_torch[name]:.2e}")
        if not result.passed:
            raise RobotAcError(f"export check failed: difference above tolerance {args.tolerance:g}")
        print(f"  export check passed (tolerance {args.tolerance:g})")


def run_bench(args: Bench) -> None:
    if isinstance(args.target, BenchDeploy):
        try:
            from robot_ac_ros.bench import bench_deploy
        except ImportError as exc:
            raise RobotAcError(f"bench deploy needs ROS 2's rclpy ({exc}); install the ros extra") from exc
        bench_deploy(args.target.out_dir, args.target.duration_s, args.target.rate_hz)
        return
    if isinstance(args.target, BenchTactile):
        from sim.tactile.bench import bench_tactile

        target = args.target
        bench_tactile(target.out_dir, target.sensor, target.batches, target.taxel_batches,
                      device=parse_device(target.device))
        return
    if isinstance(args.target, BenchAacd):
        from robot_ac.algorithms.bench_aacd import bench_aacd

        target = args.target
        bench_aacd(target.out_dir, target.task, target.num_envs, target.teacher_minutes, target.student_minutes,
                   target.eval_episodes, teacher=target.teacher, students=target.students)
        return
    if isinstance(args.target, BenchAlgos):
        from robot_ac.algorithms.bench import bench_algos

        target = args.target
        bench_algos(target.out_dir, target.task, target.num_envs, target.minutes, symphony=target.symphony)
        return
    if isinstance(args.target, BenchSymphony):
        from robot_ac.algorithms.bench import bench_symphony

        bench_symphony(args.target.out_dir, args.target.num_envs, args.target.steps, compiled=args.target.compiled)
        return
    if isinstance(args.target, BenchReplay):
        from robot_ac.replay.bench import bench_replay

        bench_replay(args.target.out_dir, args.target.seconds, args.target.storages, args.target.repeats)
        return
    from robot_ac.bench import bench

    bench(args.target)


def run_deploy(args: Deploy) -> None:
    try:
        from robot_ac_ros.run import run_deployment
    except ImportError as exc:
        raise RobotAcError(f"deploy needs ROS 2's rclpy ({exc}); install the ros extra: pip install "
                           "'robot-ac[ros]', or source a ROS 2 installation") from exc
    run_deployment(args.config, args.policy, args.autostart, args.duration_s, args.trigger)


def run_replay(args: Replay) -> None:
    from robot_ac.deploy import PolicyRuntime, load_hardware_config
    from robot_ac.replay import read_robot_log, replay_open_loop
    from robot_ac.replay.report import write_report

    config = load_hardware_config(args.config)
    runtime = PolicyRuntime(args.policy)
    command_joints = list(config.command_joints or runtime.manifest.interface.action.joint_names)
    log = read_robot_log(args.bag, config, command_joints, progress=True)
    result = replay_open_loop(log, runtime.manifest, config, runtime, args.tolerance, runtime.reset)
    resim = None
    if args.resim:
        from sim.resim import resimulate
        from sim.sim_robot import make_sim_robot

        robot = make_sim_robot(config)
        try:
            resim = resimulate(log, robot)
        finally:
            robot.close()
        fits = ", ".join(f"{name}: gain {fit.gain:.3f}, friction {fit.coulomb_friction:.3g}, damping "
                         f"{fit.viscous_damping:.3g}" for name, fit in resim.actuators.items())
        print(f"re-simulation: actuator gain {resim.actuator_gain:.3f} (1 = as simulated), delay "
              f"{resim.delay_ticks} ticks; {fits}")
    summary_path = write_report(args.out, log, result, {"policy": str(args.policy), "config": str(args.config)},
                                resim)
    summary = result.summary()
    print(f"replayed {summary['compared_commands']} commands from {args.bag}: max |sent - replayed| "
          f"{summary['max_abs_error']:.3g}, lag {summary['lag_ticks']} ticks ({summary['lag_s'] * 1e3:.1f} ms), "
          f"diverged at {summary['diverged_at_s']}")
    if log.partial or log.problems:
        print("problems: " + "; ".join(log.problems))
    print(f"report: {args.out / 'report.html'} (summary: {summary_path})")


def run_record(args: Record) -> None:
    from robot_ac.deploy import load_hardware_config

    config = load_hardware_config(args.config)
    if args.out.exists():
        raise RobotAcError(f"'{args.out}' exists; record writes a new bag directory")
    try:
        from robot_ac_ros.record import record
    except ImportError as exc:
        raise RobotAcError(f"record needs ROS 2's rclpy ({exc}); install the ros extra") from exc
    counts = record(config, args.out, args.duration_s, args.storage)
    print(f"wrote {args.out}: " + ", ".join(f"{topic} {n}" for topic, n in counts.items()))


def run_tactile(args: Tactile) -> None:
    from sim.tactile.demo import demo_sheet, render_file

    if isinstance(args.target, TactileRender):
        for path in render_file(args.target.indentation, args.target.out, args.target.sensor, args.target.diff):
            print(f"wrote {path}")
    else:
        print(f"wrote {demo_sheet(args.target.out, args.target.sensor)}")


def run_tasks(_: Tasks) -> None:
    from rich.console import Console
    from rich.table import Table

    from robot_ac.tasks import all_tasks

    table = Table(title="robot-ac tasks")
    for column in ("task", "gym id", "obs", "actions", "control"):
        table.add_column(column, no_wrap=True)
    table.add_column("description")
    for spec in all_tasks():
        interface = spec.interface
        table.add_row(spec.name, spec.gym_id, str(interface.observation_size), str(interface.action_size),
                      f"{1 / interface.control_period_s:.0f} Hz {interface.action.type}", spec.description)
    Console(width=None if sys.stdout.isatty() else 160).print(table)


def main(argv: list[str] | None = None) -> int:
    args = tyro.cli(Command, args=argv, prog="robot-ac", description=__doc__.splitlines()[0])
    handlers = {Train: run_train, Play: run_play, Eval: run_play, Export: run_export, Bench: run_bench,
                Deploy: run_deploy, Replay: run_replay, Record: run_record, Tactile: run_tactile, Tasks: run_tasks}
    try:
        handlers[type(args)](args)
    except RobotAcError as exc:
        print(f"robot-ac: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("robot-ac: interrupted (checkpoints already written are complete)", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
