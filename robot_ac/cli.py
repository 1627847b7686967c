"""`robot-ac`: train, play, export, deploy, replay, bench and list tasks. The front door, and nothing imports it.

Each subcommand is one options dataclass (the library's own, from :mod:`robot_ac.config`, or a small one here for
the commands whose library function takes plain arguments); tyro makes the flags; a handler is a few lines that
call the library. Errors a user can fix (unknown task, bad device, missing or corrupt checkpoint, a missing extra...)
print one line naming what is wrong and exit with status 2; they never end in a traceback.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import tyro

from benchmarks.options import Bench
from robot_ac.config import ExportOptions, PlayOptions, ReplayOptions, TrainOptions
from robot_ac.errors import RobotAcError


@dataclass
class Deploy:
    """Run the ROS 2 policy node for a robot without `ros2 launch` (pip-only installs): configure, activate,
    ramp to the default pose, run the policy; Ctrl-C damps and releases the robot."""

    config: Path
    """Hardware config YAML (hardware_configs/*.yaml)."""
    policy: Path
    """Export directory holding manifest.json and policy.onnx."""
    autostart: bool = False
    """Simulated robots only (the config's ``simulated: true``): ramp and start the policy as soon as fresh joint
    states arrive. Otherwise the robot waits for the operator's ~/start service."""
    duration_s: float | None = None
    """Stop after this many seconds (default: run until Ctrl-C)."""
    trigger: Literal["timer", "joint_state"] = "timer"
    """Run the policy on a control-rate timer, or on every JointState (drivers publishing at the control rate)."""
    check: bool = False
    """Only check that config and policy agree (exit 0) or name every disagreement (exit 2); start nothing."""


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
class KeystoreCreate:
    """Make (or update) an SROS2 keystore for a robot: one CA, an identity per enclave (policy node, operator,
    viewer, robot driver), SROS2's governance and per-topic permissions from the hardware config, signed."""

    dir: Annotated[Path, tyro.conf.Positional]
    """Keystore directory (created; an existing one keeps its CA and identities, its permissions are renewed)."""
    config: Path
    """Hardware config YAML whose topics the permissions grant."""
    domain_id: int | None = None
    """DDS domain the governance and permissions cover (default: $ROS_DOMAIN_ID, else 0)."""


@dataclass
class KeystoreShow:
    """List a keystore's enclaves: the topics each may publish and subscribe to, and any file rcl would miss."""

    dir: Annotated[Path, tyro.conf.Positional]


@dataclass
class Keystore:
    """DDS security (SROS2) for a robot's ROS graph."""

    target: tyro.conf.OmitSubcommandPrefixes[
        Annotated[KeystoreCreate, tyro.conf.subcommand("create")]
        | Annotated[KeystoreShow, tyro.conf.subcommand("show")]
    ]


@dataclass
class Tasks:
    """List the registered tasks with their observation and action sizes."""


Command = (
    Annotated[TrainOptions, tyro.conf.subcommand("train")]
    | Annotated[PlayOptions, tyro.conf.subcommand("play")]
    | Annotated[PlayOptions, tyro.conf.subcommand(
        "eval", default=PlayOptions(policy=tyro.MISSING, episodes=100, evaluate=True),
        description="Success rate of a policy over N randomised episodes, one per environment, with a 95% "
                    "confidence interval (Wilson); `play --evaluate` with 100 episodes.")]
    | Annotated[ExportOptions, tyro.conf.subcommand("export")]
    | Annotated[Bench, tyro.conf.subcommand("bench")]
    | Annotated[Deploy, tyro.conf.subcommand("deploy")]
    | Annotated[ReplayOptions, tyro.conf.subcommand("replay")]
    | Annotated[Record, tyro.conf.subcommand("record")]
    | Annotated[Tactile, tyro.conf.subcommand("tactile")]
    | Annotated[Keystore, tyro.conf.subcommand("keystore")]
    | Annotated[Tasks, tyro.conf.subcommand("tasks")]
)

EXTRAS = {"torch": "learn", "rsl_rl": "learn", "tensordict": "learn", "tensorboard": "learn", "matplotlib": "learn",
          "onnx": "learn", "cryptography": "ros", "isaaclab": "sim", "isaaclab_newton": "sim", "newton": "sim",
          "warp": "sim", "mujoco": "sim", "rclpy": "ros", "rosidl_runtime_py": "ros", "robot_ac_ros": "ros"}
"""Top-level module -> the extra of pyproject.toml that installs it."""


def run_train(options: TrainOptions) -> None:
    from robot_ac.training import train

    train(options)


def run_play(options: PlayOptions) -> None:
    from robot_ac.play import play

    play(options)


def run_export(options: ExportOptions) -> None:
    from robot_ac.export.policy_export import describe_export, export_run

    print(describe_export(export_run(options)))


def run_bench(options: Bench) -> None:
    import benchmarks

    benchmarks.run(options.target)


def run_deploy(args: Deploy) -> None:
    if args.check:
        from robot_ac.deploy.check import deployment_problems

        problems = deployment_problems(args.config, args.policy)
        if problems:
            raise RobotAcError(f"policy '{args.policy}' cannot run on '{args.config}':\n  - "
                               + "\n  - ".join(problems))
        print(f"policy '{args.policy}' fits hardware config '{args.config}'")
        return
    from robot_ac_ros.run import run_deployment

    run_deployment(args.config, args.policy, args.autostart, args.duration_s, args.trigger)


def run_replay(options: ReplayOptions) -> None:
    from robot_ac.replay.session import describe_replay, replay

    def resimulate_on_sim_twin(log, config):
        # Imported only when a joint robot's log is re-simulated: the Cartesian twin needs no simulator.
        from sim.resim import resimulate_on_twin

        return resimulate_on_twin(log, config, harness=options.harness)

    print(describe_replay(options, replay(options, resimulate_on_sim_twin if options.resim else None)))


def run_record(args: Record) -> None:
    from robot_ac.contract.hardware_config import load_hardware_config
    from robot_ac_ros.record import record

    config = load_hardware_config(args.config)
    if args.out.exists():
        raise RobotAcError(f"'{args.out}' exists; record writes a new bag directory")
    counts = record(config, args.out, args.duration_s, args.storage)
    print(f"wrote {args.out}: " + ", ".join(f"{topic} {n}" for topic, n in counts.items()))


def run_tactile(args: Tactile) -> None:
    from sim.tactile.demo import demo_sheet, render_file

    if isinstance(args.target, TactileRender):
        for path in render_file(args.target.indentation, args.target.out, args.target.sensor, args.target.diff):
            print(f"wrote {path}")
    else:
        print(f"wrote {demo_sheet(args.target.out, args.target.sensor)}")


def run_keystore(args: Keystore) -> None:
    import os

    from robot_ac.contract.hardware_config import load_hardware_config
    from robot_ac.deploy.keystore import Keystore as Store, create_keystore, describe_keystore, show_keystore

    if isinstance(args.target, KeystoreShow):
        print(show_keystore(Store(args.target.dir)))
        return
    create = args.target
    domain = create.domain_id
    if domain is None:
        text = os.environ.get("ROS_DOMAIN_ID", "0") or "0"
        if not text.isdigit():
            raise RobotAcError(f"ROS_DOMAIN_ID '{text}' is not a domain id (0-232); pass --domain-id")
        domain = int(text)
    print(describe_keystore(create_keystore(create.dir, load_hardware_config(create.config), domain_id=domain)))


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


def missing_extra_message(exc: ModuleNotFoundError) -> str | None:
    """One line naming the extra that installs the missing module; None for a module no extra provides."""
    module = (exc.name or "").split(".")[0]
    if module not in EXTRAS:
        return None
    extra = EXTRAS[module]
    return (f"this command needs '{module}', which the '{extra}' extra installs: pip install 'robot-ac[{extra}]' "
            "(a development checkout: ./scripts/setup.sh installs everything)")


def main(argv: list[str] | None = None) -> int:
    args = tyro.cli(Command, args=argv, prog="robot-ac", description=__doc__.splitlines()[0])
    handlers = {TrainOptions: run_train, PlayOptions: run_play, ExportOptions: run_export, Bench: run_bench,
                Deploy: run_deploy, ReplayOptions: run_replay, Record: run_record, Tactile: run_tactile,
                Keystore: run_keystore, Tasks: run_tasks}
    try:
        handlers[type(args)](args)
    except RobotAcError as exc:
        print(f"robot-ac: error: {exc}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as exc:
        message = missing_extra_message(exc)
        if message is None:
            raise
        print(f"robot-ac: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("robot-ac: interrupted (checkpoints already written are complete)", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
