"""rosbag2 -> time-aligned arrays for the topics of a hardware config, streamed message by message.

JointState messages are matched by joint name (columns follow ``config.joint_names``; a joint a message lacks is
NaN there); commands are Float64MultiArray (forward controllers, ``command_joints`` order) or the first point of a
JointTrajectory; diagnostics give the supervisor's state timeline. Times are the messages' log times (s). Messages
of other topics are counted, not read. Out-of-order and duplicate stamps are sorted out and counted; gaps longer
than three control periods are listed. A bag that breaks mid-way yields what was read before, marked partial.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from robot_ac.deploy.hardware_config import HardwareConfig
from robot_ac.errors import RobotAcError


@dataclass
class Series:
    """A topic as arrays: ``t`` [N] seconds (sorted, unique), ``values`` [N, D]."""

    t: np.ndarray
    values: np.ndarray
    duplicates: int = 0
    out_of_order: int = 0

    @classmethod
    def from_lists(cls, times: list[float], rows: list[np.ndarray], width: int) -> Series:
        if not times:
            return cls(np.empty(0), np.empty((0, width)))
        t = np.asarray(times)
        out_of_order = int(np.sum(np.diff(t) < 0))
        order = np.argsort(t, kind="stable")
        t, values = t[order], np.asarray(rows, dtype=np.float64)[order]
        keep = np.r_[True, np.diff(t) > 0]
        return cls(t[keep], values[keep], duplicates=int((~keep).sum()), out_of_order=out_of_order)

    def gaps(self, longer_than: float) -> list[tuple[float, float]]:
        """(start, end) of every interval without messages longer than ``longer_than`` seconds."""
        if self.t.size < 2:
            return []
        where = np.nonzero(np.diff(self.t) > longer_than)[0]
        return [(float(self.t[i]), float(self.t[i + 1])) for i in where]


@dataclass
class RobotLog:
    joint_names: list[str]
    positions: Series
    """[N, joints] in ``joint_names`` order."""
    velocities: Series
    command_joints: list[str]
    commands: Series
    """[M, command joints]."""
    goal: Series
    imu: Series = field(default_factory=lambda: Series(np.empty(0), np.empty((0, 10))))
    """[L, 10]: orientation (x, y, z, w), angular velocity (rad/s), linear acceleration (m/s^2)."""
    states: list[tuple[float, str, str]] = field(default_factory=list)
    """(time, supervisor state, reason) from /diagnostics, in time order."""
    skipped_topics: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    partial: bool = False
    source: str = ""

    def summary(self) -> dict[str, Any]:
        return {"source": self.source, "partial": self.partial, "problems": self.problems,
                "joint_states": int(self.positions.t.size), "commands": int(self.commands.t.size),
                "duplicate_joint_states": self.positions.duplicates,
                "out_of_order_joint_states": self.positions.out_of_order,
                "skipped_topics": self.skipped_topics, "supervisor_states": len(self.states)}


def _command_row(msg: Any, msgtype: str, width: int) -> np.ndarray | None:
    if msgtype.endswith("Float64MultiArray"):
        data = np.asarray(msg.data, dtype=np.float64)
    elif msgtype.endswith("JointTrajectory") and msg.points:
        data = np.asarray(msg.points[0].positions, dtype=np.float64)
    else:
        return None
    return data if data.size == width else None


def read_robot_log(path: str | Path, config: HardwareConfig, command_joints: list[str] | None = None) -> RobotLog:
    """Stream the bag at ``path`` (a rosbag2 directory or file) into a :class:`RobotLog`."""
    from rosbags.highlevel import AnyReader
    from rosbags.typesys import Stores, get_typestore

    path = Path(path)
    if not path.exists():
        raise RobotAcError(f"bag '{path}' does not exist")
    names = config.joint_names
    index = {name: i for i, name in enumerate(names)}
    command_joints = list(command_joints or config.command_joints)
    topics = config.topics
    wanted = {topics.joint_states, topics.command, topics.diagnostics} | {t for t in (topics.goal, topics.imu) if t}
    pos_t, pos_rows, vel_rows, cmd_t, cmd_rows, goal_t, goal_rows, imu_t, imu_rows = [], [], [], [], [], [], [], [], []
    log = RobotLog(names, Series.from_lists([], [], len(names)), Series.from_lists([], [], len(names)),
                   command_joints, Series.from_lists([], [], len(command_joints)), Series.from_lists([], [], 0),
                   source=str(path))
    try:
        reader = AnyReader([path], default_typestore=get_typestore(Stores.ROS2_KILTED))
        reader.open()
    except Exception as exc:  # rosbags raises its own error types for every storage problem
        raise RobotAcError(f"bag '{path}' cannot be opened: {type(exc).__name__}: {exc}") from exc
    try:
        present = {c.topic for c in reader.connections}
        for topic in sorted(wanted - present - {topics.diagnostics}):
            log.problems.append(f"topic '{topic}' is not in the bag")
        log.skipped_topics = {c.topic: c.msgcount for c in reader.connections if c.topic not in wanted}
        connections = [c for c in reader.connections if c.topic in wanted]
        try:
            for connection, timestamp, raw in reader.messages(connections=connections):
                t = timestamp * 1e-9
                msg = reader.deserialize(raw, connection.msgtype)
                if connection.topic == topics.joint_states:
                    position = np.full(len(names), np.nan)
                    velocity = np.full(len(names), np.nan)
                    for i, name in enumerate(msg.name):
                        if name in index:
                            position[index[name]] = msg.position[i] if i < len(msg.position) else np.nan
                            velocity[index[name]] = msg.velocity[i] if i < len(msg.velocity) else np.nan
                    pos_t.append(t)
                    pos_rows.append(position)
                    vel_rows.append(velocity)
                elif connection.topic == topics.command:
                    row = _command_row(msg, connection.msgtype, len(command_joints))
                    if row is not None:
                        cmd_t.append(t)
                        cmd_rows.append(row)
                elif connection.topic == topics.goal:
                    goal_t.append(t)
                    goal_rows.append(np.asarray(msg.data, dtype=np.float64))
                elif connection.topic == topics.imu:
                    q, w, a = msg.orientation, msg.angular_velocity, msg.linear_acceleration
                    imu_t.append(t)
                    imu_rows.append(np.array([q.x, q.y, q.z, q.w, w.x, w.y, w.z, a.x, a.y, a.z]))
                else:
                    for status in msg.status:
                        state, _, reason = status.message.partition(": ")
                        log.states.append((t, state, reason))
        except Exception as exc:  # a truncated or corrupt chunk: keep what was read
            log.partial = True
            log.problems.append(f"reading stopped after {len(pos_t)} joint states and {len(cmd_t)} commands: "
                                f"{type(exc).__name__}: {exc}")
    finally:
        reader.close()
    log.positions = Series.from_lists(pos_t, pos_rows, len(names))
    log.velocities = Series.from_lists(pos_t, vel_rows, len(names))
    log.commands = Series.from_lists(cmd_t, cmd_rows, len(command_joints))
    goal_width = len(goal_rows[0]) if goal_rows else 0
    log.goal = Series.from_lists(goal_t, goal_rows, goal_width)
    log.imu = Series.from_lists(imu_t, imu_rows, 10)
    for gap in log.positions.gaps(3 * config.control_period_s):
        log.problems.append(f"no joint states from {gap[0]:.3f} s to {gap[1]:.3f} s")
    return log
