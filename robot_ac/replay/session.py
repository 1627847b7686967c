"""One replay of a robot log: read the bag, re-run the policy open loop, optionally re-simulate, write the report.

Re-simulating a joint robot needs the simulator, which this package never imports: the caller hands in
``resimulate`` (the CLI passes :func:`sim.resim.resimulate_on_twin`). A Cartesian robot (``cartesian_pose``) is
re-simulated on the numpy twin of :mod:`robot_ac.replay.cartesian_twin` whenever ``options.resim`` is set.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from robot_ac.config import ReplayOptions
from robot_ac.contract.hardware_config import HardwareConfig, load_hardware_config
from robot_ac.deploy.policy_runtime import PolicyRuntime
from robot_ac.replay.bag import RobotLog, read_robot_log
from robot_ac.replay.cartesian_twin import CartesianResimResult, resimulate_cartesian
from robot_ac.replay.open_loop import OpenLoopResult, replay_cartesian_open_loop, replay_open_loop
from robot_ac.replay.report import write_report

Resimulate = Callable[[RobotLog, HardwareConfig], Any]
"""Recorded log and hardware config of a joint robot -> a re-simulation result (``sim.resim.ResimResult``)."""


@dataclass(frozen=True)
class ReplayOutcome:
    log: RobotLog
    open_loop: OpenLoopResult
    resim: Any
    """The re-simulation result (``sim.resim.ResimResult`` or :class:`CartesianResimResult`), or None."""
    summary_path: Path


def replay(options: ReplayOptions, resimulate: Resimulate | None = None, progress: bool = True) -> ReplayOutcome:
    """Replay ``options.bag`` through ``options.policy`` and write the report into ``options.out``."""
    config = load_hardware_config(options.config)
    runtime = PolicyRuntime(options.policy)
    command_joints = list(config.command_joints or runtime.manifest.interface.action.joint_names)
    log = read_robot_log(options.bag, config, command_joints, progress=progress)
    if log.pose_commands:
        result = replay_cartesian_open_loop(log, runtime.manifest, config, runtime, options.tolerance, runtime.reset)
        resim = (resimulate_cartesian(log, runtime.manifest, config, runtime, runtime.reset) if options.resim
                 else None)
    else:
        result = replay_open_loop(log, runtime.manifest, config, runtime, options.tolerance, runtime.reset)
        resim = resimulate(log, config) if resimulate is not None else None
    frame_id = config.cartesian.base_frame if config.cartesian else ""
    summary_path = write_report(options.out, log, result,
                                {"policy": str(options.policy), "config": str(options.config)}, resim, frame_id)
    return ReplayOutcome(log=log, open_loop=result, resim=resim, summary_path=summary_path)


def describe_replay(options: ReplayOptions, outcome: ReplayOutcome) -> str:
    """The lines `robot-ac replay` prints."""
    lines = []
    if isinstance(outcome.resim, CartesianResimResult):
        summary = outcome.resim.summary()
        tracking, gap = summary["tracking"], summary["closed_loop_gap"]
        rotation = tracking["rotation"]
        lines.append(f"re-simulation on the Cartesian twin: tracking gain {tracking['position']['gain']:.3f} per tick "
                     f"(time constant {_ms(tracking['position']['time_constant_s'])}), rotation "
                     + (f"{rotation['gain']:.3f} ({_ms(rotation['time_constant_s'])})" if rotation else "not moved")
                     + f", delay {tracking['delay_ticks']} ticks; closed loop vs the robot: position rmse "
                     f"{gap['position_m']['rmse'] * 1e3:.2f} mm (max {gap['position_m']['max'] * 1e3:.2f}), rotation "
                     f"rmse {gap['rotation_rad']['rmse']:.4f} rad")
    elif hasattr(outcome.resim, "describe"):
        lines.append(outcome.resim.describe())
    elif outcome.resim is not None:
        resim = outcome.resim
        fits = ", ".join(f"{name}: gain {fit.gain:.3f}, friction {fit.coulomb_friction:.3g}, damping "
                         f"{fit.viscous_damping:.3g}" for name, fit in resim.actuators.items())
        lines.append(f"re-simulation: actuator gain {resim.actuator_gain:.3f} (1 = as simulated), delay "
                     f"{resim.delay_ticks} ticks; {fits}")
    summary = outcome.open_loop.summary()
    lines.append(f"replayed {summary['compared_commands']} commands from {options.bag}: max |sent - replayed| "
                 f"{summary['max_abs_error']:.3g}, lag {summary['lag_ticks']} ticks ({summary['lag_s'] * 1e3:.1f} "
                 f"ms), diverged at {summary['diverged_at_s']}")
    if outcome.log.partial or outcome.log.problems:
        lines.append("problems: " + "; ".join(outcome.log.problems))
    lines.append(f"report: {options.out / 'report.html'} (summary: {outcome.summary_path}, Foxglove: "
                 f"{options.out / 'replay.mcap'})")
    return "\n".join(lines)


def _ms(seconds: float | None) -> str:
    return "n/a (gain outside 0..1)" if seconds is None else f"{seconds * 1e3:.1f} ms"
