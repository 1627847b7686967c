"""Open-loop replay: the recorded observations through the same ObservationBuilder, policy and limits the robot's
node used, compared with the commands it actually sent.

Joint robots (:func:`replay_open_loop`): each recorded command is paired with the newest joint state (and goal)
logged before it, as the node's control tick saw them; the policy's history restarts where the supervisor entered
POLICY (from /diagnostics; the whole log when the bag has none). Cartesian robots
(:func:`replay_cartesian_open_loop`): a fresh CartesianSupervisor gets every recorded input and ticks at the recorded
command times (:class:`~robot_ac.replay.supervised_replay.SupervisedReplay`); its pose targets are compared from
the first one. Reported per joint (pose component): RMS and largest difference, the lag that best aligns the two
command streams (cross-correlation over whole control ticks) and the first time they part by more than
``tolerance``; for poses also the position (m) and rotation (rad) between the two targets of each tick.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from robot_ac.deploy.action_mapper import ActionMapper
from robot_ac.contract.hardware_config import HardwareConfig
from robot_ac.deploy.observation import ObservationBuilder
from robot_ac.errors import RobotAcError
from robot_ac.contract.manifest import Manifest
from robot_ac.deploy.pose import rotation_between
from robot_ac.replay.bag import POSE_COLUMNS, RobotLog
from robot_ac.replay.supervised_replay import SupervisedReplay

MAX_LAG_TICKS = 25


@dataclass
class OpenLoopResult:
    columns: list[str]
    """What the command's columns are: joint names, or :data:`POSE_COLUMNS` for pose targets."""
    t: np.ndarray
    """[K] times of the compared commands, s."""
    recorded: np.ndarray
    """[K, columns] commands the robot's node sent."""
    replayed: np.ndarray
    """[K, columns] commands the policy gives on the recorded observations."""
    lag_ticks: int
    """Shift (control ticks) that best aligns recorded with replayed: > 0 means the recording lags."""
    control_period_s: float
    tolerance: float
    skipped_ticks: int
    replayed_states: list[str] = field(default_factory=list)
    """[K] the replayed supervisor's state after each compared tick; empty for joint robots, whose replay re-runs
    the policy and the limits, not the supervisor."""

    @property
    def pose_targets(self) -> bool:
        return self.columns == POSE_COLUMNS

    @property
    def error(self) -> np.ndarray:
        return self.recorded - self.replayed

    def tick_errors(self) -> dict[str, np.ndarray]:
        """[K] errors per compared tick by name: |recorded - replayed| per joint; for pose targets the distance
        ``position_m`` and the angle ``rotation_rad`` between the recorded and the replayed target."""
        if not self.pose_targets:
            return {name: np.abs(self.error[:, j]) for j, name in enumerate(self.columns)}
        angles = [np.linalg.norm(rotation_between(a[3:], b[3:])) for a, b in zip(self.recorded, self.replayed)]
        return {"position_m": np.linalg.norm(self.error[:, :3], axis=1), "rotation_rad": np.asarray(angles)}

    @property
    def diverged_at(self) -> float | None:
        over = np.nonzero(np.abs(self.error).max(axis=1) > self.tolerance)[0]
        return float(self.t[over[0]]) if over.size else None

    def summary(self) -> dict[str, Any]:
        error = np.abs(self.error)
        per_column = {name: {"rmse": float(np.sqrt(np.mean(self.error[:, j] ** 2))),
                             "max_abs_error": float(error[:, j].max())}
                      for j, name in enumerate(self.columns)} if error.size else {}
        summary = {
            "compared_commands": int(self.t.size), "skipped_ticks": self.skipped_ticks,
            "max_abs_error": float(error.max()) if error.size else None,
            "per_component" if self.pose_targets else "per_joint": per_column,
            "fraction_within_tolerance": float(np.mean(error.max(axis=1) <= self.tolerance)) if error.size else None,
            "lag_ticks": self.lag_ticks, "lag_s": self.lag_ticks * self.control_period_s,
            "diverged_at_s": self.diverged_at, "tolerance": self.tolerance,
        }
        if self.pose_targets and error.size:
            summary.update({name: {"rmse": float(np.sqrt(np.mean(e**2))), "max": float(e.max())}
                            for name, e in self.tick_errors().items()})
        return summary


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


def _compared(log: RobotLog, config: HardwareConfig, times: list[float], recorded: list[np.ndarray],
              replayed: list[np.ndarray], tolerance: float, skipped: int, states: list[str] | None = None
              ) -> OpenLoopResult:
    if not times:
        raise RobotAcError(f"bag '{log.source}': no recorded command could be replayed ({skipped} ticks without the "
                           f"inputs the policy needs, or outside a POLICY interval); problems: {log.problems}")
    recorded_a, replayed_a = np.asarray(recorded), np.asarray(replayed)
    return OpenLoopResult(columns=log.command_columns, t=np.asarray(times), recorded=recorded_a, replayed=replayed_a,
                          lag_ticks=best_lag(recorded_a, replayed_a), control_period_s=config.control_period_s,
                          tolerance=tolerance, skipped_ticks=skipped, replayed_states=states or [])


def replay_open_loop(log: RobotLog, manifest: Manifest, config: HardwareConfig,
                     policy: Callable[[np.ndarray], np.ndarray], tolerance: float = 1e-4,
                     on_policy_reset: Callable[[], None] | None = None) -> OpenLoopResult:
    """Joint robots: the recorded joint states (goal, IMU, tactile) through the policy and the ActionMapper."""
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
    return _compared(log, config, times, recorded, replayed, tolerance, skipped)


def require_cartesian_inputs(log: RobotLog, config: HardwareConfig) -> None:
    """Raise, naming the topic and the message type, when the log lacks what a Cartesian replay needs."""
    topics = config.topics
    for series, topic, msgtype in ((log.commands, topics.command, "geometry_msgs/msg/PoseStamped"),
                                   (log.ee_pose, topics.ee_pose, "geometry_msgs/msg/PoseStamped"),
                                   (log.positions, topics.joint_states, "sensor_msgs/msg/JointState")):
        if series.t.size == 0:
            raise RobotAcError(f"bag '{log.source}' has no {msgtype} on '{topic}' (hardware config topics); "
                               f"problems: {log.problems}")


def replay_cartesian_open_loop(log: RobotLog, manifest: Manifest, config: HardwareConfig,
                               policy: Callable[[np.ndarray], np.ndarray], tolerance: float = 1e-4,
                               on_policy_reset: Callable[[], None] | None = None) -> OpenLoopResult:
    """Cartesian robots: a fresh CartesianSupervisor on every recorded input, ticked at the recorded command times;
    its targets against the recorded ones. ``tolerance``: m for positions, quaternion components for rotations."""
    if not log.pose_commands:
        raise RobotAcError(f"bag '{log.source}' was read for joint commands; a Cartesian replay needs the pose "
                           "targets of a cartesian_pose config")
    require_cartesian_inputs(log, config)
    replay = SupervisedReplay(log, manifest, config, policy, on_policy_reset)
    times, recorded, replayed, states, skipped = [], [], [], [], 0
    for t, target in zip(log.commands.t, log.commands.values):
        command = replay.tick(float(t))
        if command is None:
            skipped += 1
            continue
        times.append(float(t))
        recorded.append(target)
        replayed.append(command.values)
        states.append(replay.supervisor.state.value)
    return _compared(log, config, times, recorded, replayed, tolerance, skipped, states)
