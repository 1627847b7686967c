"""Open-loop replay: the recorded observations through the same ObservationBuilder, policy and limits the robot's
node used, compared with the commands it actually sent.

Each recorded command is paired with the newest joint state (and goal) logged before it, as the node's control tick
saw them; the policy's history restarts where the supervisor entered POLICY (from /diagnostics; the whole log when
the bag has none). Reported per joint: RMS and largest difference, the lag that best aligns the two command streams
(cross-correlation over whole control ticks) and the first time they part by more than ``tolerance``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from robot_ac.deploy.action_mapper import ActionMapper
from robot_ac.contract.hardware_config import HardwareConfig
from robot_ac.deploy.observation import ObservationBuilder
from robot_ac.errors import RobotAcError
from robot_ac.contract.manifest import Manifest
from robot_ac.replay.bag import RobotLog

MAX_LAG_TICKS = 25


@dataclass
class OpenLoopResult:
    joint_names: list[str]
    t: np.ndarray
    """[K] times of the compared commands, s."""
    recorded: np.ndarray
    """[K, joints] commands the robot's node sent."""
    replayed: np.ndarray
    """[K, joints] commands the policy gives on the recorded observations."""
    lag_ticks: int
    """Shift (control ticks) that best aligns recorded with replayed: > 0 means the recording lags."""
    control_period_s: float
    tolerance: float
    skipped_ticks: int

    @property
    def error(self) -> np.ndarray:
        return self.recorded - self.replayed

    @property
    def diverged_at(self) -> float | None:
        over = np.nonzero(np.abs(self.error).max(axis=1) > self.tolerance)[0]
        return float(self.t[over[0]]) if over.size else None

    def summary(self) -> dict[str, Any]:
        error = np.abs(self.error)
        return {
            "compared_commands": int(self.t.size), "skipped_ticks": self.skipped_ticks,
            "max_abs_error": float(error.max()) if error.size else None,
            "per_joint": {name: {"rmse": float(np.sqrt(np.mean(self.error[:, j] ** 2))),
                                 "max_abs_error": float(error[:, j].max())}
                          for j, name in enumerate(self.joint_names)} if error.size else {},
            "fraction_within_tolerance": float(np.mean(error.max(axis=1) <= self.tolerance)) if error.size else None,
            "lag_ticks": self.lag_ticks, "lag_s": self.lag_ticks * self.control_period_s,
            "diverged_at_s": self.diverged_at, "tolerance": self.tolerance,
        }


def policy_intervals(log: RobotLog) -> list[tuple[float, float]]:
    if not log.states:
        return [(-np.inf, np.inf)]
    intervals, start = [], None
    for t, state, _ in log.states:
        if state == "policy" and start is None:
            start = t
        elif state != "policy" and start is not None:
            intervals.append((start, t))
            start = None
    if start is not None:
        intervals.append((start, np.inf))
    return intervals


def _started_at(log: RobotLog, policy_start: float) -> float:
    """When the node was started for the POLICY interval beginning at ``policy_start`` (its RAMP entry)."""
    ramps = [t for t, state, _ in log.states if state == "ramp" and t <= policy_start]
    if ramps:
        return ramps[-1]
    first_frames = [frames.t[0] for frames in log.tactile.values() if frames.t.size]
    return max([policy_start, *first_frames])


def _feed_inputs(builder: ObservationBuilder, log: RobotLog, t: float) -> bool:
    """Give ``builder`` the newest logged inputs at time ``t``, as the node's tick saw them; False if incomplete."""
    if (g := log.goal.latest(t)) >= 0:
        builder.set_goal(log.goal.values[g])
    if (m := log.imu.latest(t)) >= 0:
        row = log.imu.values[m]
        builder.update_imu(row[:4], row[4:7], row[7:])
    for sensor in builder.tactile_sensors:
        frame = log.tactile[sensor].at(t) if sensor in log.tactile else None
        if frame is not None:
            builder.update_tactile(sensor, frame)
    i = log.positions.latest(t)
    if i < 0 or not np.isfinite(log.positions.values[i]).all():
        return False
    builder.update_joint_state(log.joint_names, log.positions.values[i], log.velocities.values[i])
    return not builder.missing_inputs()


def best_lag(recorded: np.ndarray, replayed: np.ndarray, max_lag: int = MAX_LAG_TICKS) -> int:
    """The shift s minimising mean |recorded[k] - replayed[k - s]|^2 over the overlap (cross-correlation)."""
    n = len(recorded)
    best, best_cost = 0, np.inf
    for s in range(-min(max_lag, n // 2), min(max_lag, n // 2) + 1):
        a = recorded[max(s, 0): n + min(s, 0)]
        b = replayed[max(-s, 0): n - max(s, 0)]
        cost = float(np.mean((a - b) ** 2))
        if cost < best_cost - 1e-15:
            best, best_cost = s, cost
    return best


def replay_open_loop(log: RobotLog, manifest: Manifest, config: HardwareConfig,
                     policy: Callable[[np.ndarray], np.ndarray], tolerance: float = 1e-4,
                     on_policy_reset: Callable[[], None] | None = None) -> OpenLoopResult:
    if log.commands.t.size == 0 or log.positions.t.size == 0:
        raise RobotAcError(f"bag '{log.source}' has no commands or no joint states on the config's topics; "
                           f"problems: {log.problems}")
    builder = ObservationBuilder(manifest.interface)
    defaults = {j.name: j.default_position for j in manifest.interface.joints}
    defaults.update(config.default_positions)
    mapper = ActionMapper(manifest.interface, config, defaults)
    if mapper.joint_names != log.command_joints:
        raise RobotAcError(f"command joints differ: log {log.command_joints}, policy/config {mapper.joint_names}")
    times, recorded, replayed, skipped = [], [], [], 0
    for start, end in policy_intervals(log):
        builder.reset()
        if builder.tactile is not None:
            # The node took its difference references from the frames it had when it was started (entered RAMP).
            _feed_inputs(builder, log, _started_at(log, start))
            builder.capture_tactile_reference()
        if on_policy_reset:
            on_policy_reset()
        # Strictly after the transition: the tick that enters POLICY still sends the ramp's last command.
        selected = np.nonzero((log.commands.t > start) & (log.commands.t < end))[0]
        # The node rate-limits against its last published command: the ramp's before POLICY, then its own (the
        # replayed chain stays self-consistent, so a delayed recording shows up as lag instead of being followed).
        previous = log.commands.values[selected[0] - 1] if selected.size and selected[0] > 0 else None
        for k in selected:
            t = log.commands.t[k]
            if not _feed_inputs(builder, log, t):
                skipped += 1
                continue
            action = np.asarray(policy(builder.build()), dtype=np.float64)
            builder.set_previous_action(action)
            command = mapper.limit(mapper.policy_command(action), previous)
            previous = command
            times.append(t)
            recorded.append(log.commands.values[k])
            replayed.append(command)
    if not times:
        raise RobotAcError(f"bag '{log.source}': no command fell inside a POLICY interval with a joint state before it")
    recorded_a, replayed_a = np.asarray(recorded), np.asarray(replayed)
    return OpenLoopResult(joint_names=log.command_joints, t=np.asarray(times), recorded=recorded_a,
                          replayed=replayed_a, lag_ticks=best_lag(recorded_a, replayed_a),
                          control_period_s=config.control_period_s, tolerance=tolerance, skipped_ticks=skipped)
