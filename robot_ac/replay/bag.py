"""rosbag2 -> time-aligned arrays for the topics of a hardware config, streamed in batches.

JointState messages are matched by joint name (columns follow ``config.joint_names``; a joint a message lacks is
NaN there; the gripper's follow ``cartesian.gripper_joints``); commands are Float64MultiArray (forward controllers,
``command_joints`` order), the first point of a JointTrajectory or, for ``cartesian_pose``, PoseStamped targets
(:data:`POSE_COLUMNS`), next to the measured PoseStamped and the external WrenchStamped; a Unitree robot
(``unitree_lowcmd``) logs unitree_hg LowState (motor i is ``config.joints[i]``, and the IMU) and LowCmd (the q
targets, kp and kd of the same motors); tactile images go to a memory-mapped file (a long log does not fill memory);
diagnostics give the supervisor's state timeline. Times are the messages' log times (s). Messages of other topics
are counted, not read. Out-of-order and duplicate stamps are sorted out and counted; gaps longer than three control
periods are listed. A bag that breaks mid-way yields what was read before, marked partial.

The fixed-layout messages (JointState, Float64MultiArray, Imu, PoseStamped, WrenchStamped) are decoded in bulk
from their CDR bytes (:mod:`robot_ac.replay.cdr`), as are the fixed-size LowState and LowCmd
(:mod:`robot_ac.replay.unitree_types`); rosbags deserialises only the rare ones (diagnostics, trajectories).
"""

from __future__ import annotations

import shutil
import tempfile
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from robot_ac.contract.hardware_config import HardwareConfig
from robot_ac.errors import RobotAcError
from robot_ac.replay import cdr
from robot_ac.replay.unitree_types import (LOWCMD, LOWSTATE, FixedLayout, decode_fixed, fixed_layout,
                                           register_unitree_types)

BATCH = 4096
"""Messages of one topic decoded together: large enough for numpy to pay, small enough to keep memory flat.
Images (hundreds of kB each) are decoded one at a time, straight into their memory-mapped file."""

POSE_COLUMNS = ["x", "y", "z", "qx", "qy", "qz", "qw"]
"""Columns of a pose series: position (m) and orientation quaternion (x, y, z, w), robot base frame."""


@dataclass
class Series:
    """A topic as arrays: ``t`` [N] log times in seconds (sorted, unique), ``values`` [N, D].

    For stamped messages, those whose header stamp is older than one already received are dropped and counted as
    out of order (the robot's node ignores them too), and repeats of a stamp as duplicates."""

    t: np.ndarray
    values: np.ndarray
    duplicates: int = 0
    out_of_order: int = 0
    stamp: np.ndarray | None = None
    """[N] header stamps (s) of stamped messages; an unstamped one (zero) has its log time, as the node takes it."""

    @classmethod
    def empty(cls, width: int) -> Series:
        return cls(np.empty(0), np.empty((0, width)))

    @classmethod
    def from_arrays(cls, t: np.ndarray, values: np.ndarray, stamp: np.ndarray | None = None) -> Series:
        """From log times, rows and header stamps in reading order; copies only what needs reordering."""
        if stamp is not None:
            stamp = np.where(stamp > 0, stamp, t)
        if np.any(np.diff(t) < 0):
            order = np.argsort(t, kind="stable")
            t, values, stamp = t[order], values[order], None if stamp is None else stamp[order]
        duplicate = np.r_[False, np.diff(t) == 0]
        out_of_order = np.zeros_like(duplicate)
        if stamp is not None:
            newest_before = np.r_[-np.inf, np.maximum.accumulate(stamp)[:-1]]
            out_of_order = stamp < newest_before
            duplicate |= stamp == newest_before
        dropped = duplicate | out_of_order
        if dropped.any():
            t, values, stamp = t[~dropped], values[~dropped], None if stamp is None else stamp[~dropped]
        return cls(t, values, duplicates=int(duplicate.sum()), out_of_order=int(out_of_order.sum()), stamp=stamp)

    def gaps(self, longer_than: float) -> list[tuple[float, float]]:
        """(start, end) of every interval without messages longer than ``longer_than`` seconds."""
        if self.t.size < 2:
            return []
        where = np.nonzero(np.diff(self.t) > longer_than)[0]
        return [(float(self.t[i]), float(self.t[i + 1])) for i in where]

    def latest(self, t: float) -> int:
        """Index of the newest entry at or before ``t`` (-1: none yet)."""
        return int(np.searchsorted(self.t, t, side="right")) - 1


class TactileFrames:
    """One tactile sensor's images, [N, H, W, 3] uint8 in a temporary memory-mapped file, with sorted times."""

    def __init__(self, capacity: int, shape: tuple[int, ...]) -> None:
        folder = tempfile.mkdtemp(prefix="robot-ac-tactile-")
        weakref.finalize(self, shutil.rmtree, folder, True)
        self.frames = np.lib.format.open_memmap(Path(folder) / "frames.npy", mode="w+", dtype=np.uint8,
                                                shape=(capacity, *shape))
        self._times: list[float] = []
        self.t = np.empty(0)
        self._order = np.empty(0, dtype=np.int64)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.frames.shape[1:]

    def append(self, t: float, pixels: np.ndarray) -> bool:
        """Store a frame; False when it does not fit (another size, or more frames than the bag announced)."""
        if pixels.shape != self.shape or len(self._times) >= len(self.frames):
            return False
        self.frames[len(self._times)] = pixels
        self._times.append(t)
        return True

    def finish(self) -> None:
        times = np.asarray(self._times)
        self._order = np.argsort(times, kind="stable")
        self.t = times[self._order]

    def at(self, t: float) -> np.ndarray | None:
        """The newest frame at or before ``t``."""
        i = int(np.searchsorted(self.t, t, side="right")) - 1
        return None if i < 0 else self.frame(i)

    def frame(self, i: int) -> np.ndarray:
        """The ``i``-th frame in time order (the one logged at ``t[i]``)."""
        return np.asarray(self.frames[self._order[i]])


@dataclass
class RobotLog:
    joint_names: list[str]
    positions: Series
    """[N, joints] in ``joint_names`` order."""
    velocities: Series
    command_joints: list[str]
    """The joints of the command columns; empty for pose targets."""
    commands: Series
    """[M, command joints], or [M, 7] pose targets (:data:`POSE_COLUMNS`, the controller's frame, stamped). A
    LowCmd's are its position targets q (rad) of the command joints' motors, in every state (PASSIVE and damping
    send q = 0: :attr:`command_gains` tells them apart)."""
    goal: Series
    imu: Series = field(default_factory=lambda: Series.empty(10))
    """[L, 10]: orientation (x, y, z, w), angular velocity (rad/s), linear acceleration (m/s^2)."""
    tactile: dict[str, TactileFrames] = field(default_factory=dict)
    """Hardware config sensor key -> its frames (RGB)."""
    states: list[tuple[float, str, str]] = field(default_factory=list)
    """(time, supervisor state, reason) from /diagnostics, in time order."""
    ee_pose: Series = field(default_factory=lambda: Series.empty(7))
    """[P, 7] measured pose of the Cartesian controller's frame (:data:`POSE_COLUMNS`), with header stamps."""
    wrench: Series = field(default_factory=lambda: Series.empty(6))
    """[W, 6] external force (N) and torque (N·m) at the end effector, base frame."""
    gripper_joints: list[str] = field(default_factory=list)
    gripper: Series = field(default_factory=lambda: Series.empty(0))
    """[G, gripper joints] finger positions (m), ``gripper_joints`` order."""
    command_gains: Series = field(default_factory=lambda: Series.empty(0))
    """``unitree_lowcmd``: [M, 2 x command joints], the LowCmd's kp of every command joint, then its kd (both in
    ``command_joints`` order), at the times of :attr:`commands`; empty for other robots."""
    lowstate_tau: Series = field(default_factory=lambda: Series.empty(0))
    """``unitree_lowcmd``: [N, joints] the motors' estimated torques (LowState ``tau_est``, N·m), ``joint_names``
    order, at the times of :attr:`positions`; empty for other robots."""
    skipped_topics: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    partial: bool = False
    source: str = ""
    messages_read: int = 0

    @property
    def pose_commands(self) -> bool:
        """Whether the commands are pose targets (a ``cartesian_pose`` robot) rather than joint values."""
        return not self.command_joints

    @property
    def command_columns(self) -> list[str]:
        return POSE_COLUMNS if self.pose_commands else self.command_joints

    def summary(self) -> dict[str, Any]:
        cartesian = ({"ee_poses": int(self.ee_pose.t.size), "wrenches": int(self.wrench.t.size),
                      "gripper_states": int(self.gripper.t.size)} if self.pose_commands else {})
        return {"source": self.source, "partial": self.partial, "problems": self.problems,
                "messages_read": self.messages_read,
                "joint_states": int(self.positions.t.size), "commands": int(self.commands.t.size), **cartesian,
                "imu": int(self.imu.t.size), "tactile_frames": {k: int(v.t.size) for k, v in self.tactile.items()},
                "duplicate_joint_states": self.positions.duplicates,
                "out_of_order_joint_states": self.positions.out_of_order,
                "skipped_topics": self.skipped_topics, "supervisor_states": len(self.states)}


class _Topic:
    """Raw messages of one topic waiting to be decoded, and the decoded columns (preallocated for the number of
    messages the bag announces, so assembling the log copies nothing)."""

    def __init__(self, topic: str, msgtype: str, decode: Callable[[_Topic, list[float], list[bytes]], None],
                 capacity: int, batch: int = BATCH) -> None:
        self.topic, self.msgtype, self.decode, self.batch = topic, msgtype, decode, batch
        self.capacity = max(capacity, 1)
        self.pending_t: list[float] = []
        self.pending: list[bytes] = []
        self.size = 0
        self.columns: dict[str, np.ndarray] = {}
        self.dropped = 0

    def add(self, t: float, raw: bytes) -> None:
        self.pending_t.append(t)
        self.pending.append(raw)
        if len(self.pending) >= self.batch:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.decode(self, self.pending_t, self.pending)
            self.pending_t, self.pending = [], []

    def keep(self, t: np.ndarray, **columns: np.ndarray) -> None:
        end = self.size + t.size
        if end > self.capacity:  # the bag announced fewer messages than it holds
            self.capacity = max(end, 2 * self.capacity)
            self.columns = {k: np.resize(v, (self.capacity, *v.shape[1:])) for k, v in self.columns.items()}
        for name, values in {"t": t, **columns}.items():
            if name not in self.columns:
                self.columns[name] = np.empty((self.capacity, *values.shape[1:]), dtype=values.dtype)
            self.columns[name][self.size:end] = values
        self.size = end

    def width(self, name: str) -> int:
        return self.columns[name].shape[1] if name in self.columns else 0

    def series(self, name: str, width: int) -> Series:
        if not self.size or name not in self.columns:
            return Series.empty(width)
        stamp = self.columns["stamp"][:self.size] if "stamp" in self.columns else None
        return Series.from_arrays(self.columns["t"][:self.size], self.columns[name][:self.size], stamp)


_LOWSTATE_FIELDS = ["motor_state.q", "motor_state.dq", "motor_state.tau_est", "imu_state.quaternion",
                    "imu_state.gyroscope", "imu_state.accelerometer"]
_LOWCMD_FIELDS = ["motor_cmd.q", "motor_cmd.kp", "motor_cmd.kd"]
"""The fields of the Unitree messages a log keeps."""


class _LogReader:
    def __init__(self, config: HardwareConfig, command_joints: list[str], log: RobotLog, bag: Any) -> None:
        self.config, self.log = config, log
        self.command_joints = command_joints
        self.command_width = len(command_joints)
        self.bag = bag
        """The open rosbags reader: it deserialises the messages not decoded in bulk."""
        self._layouts: dict[str, FixedLayout] = {}

    def joint_states(self, names: list[str]) -> Callable[[_Topic, list[float], list[bytes]], None]:
        """JointState positions and velocities in ``names`` order (NaN for a joint a message lacks)."""
        index = {name: i for i, name in enumerate(names)}

        def decode(topic: _Topic, times: list[float], raws: list[bytes]) -> None:
            t = np.asarray(times)
            for layout, members, arrays in cdr.decode_batch(raws, cdr.joint_state_layout):
                position = np.full((members.size, len(index)), np.nan)
                velocity = np.full_like(position, np.nan)
                for source, name in enumerate(layout.names):
                    if name not in index:
                        continue
                    for out, values in ((position, arrays["position"]), (velocity, arrays["velocity"])):
                        if source < values.shape[1]:
                            out[:, index[name]] = values[:, source]
                topic.keep(t[members], position=position, velocity=velocity, stamp=arrays["stamp"])
        return decode

    def poses(self, topic: _Topic, times: list[float], raws: list[bytes]) -> None:
        t = np.asarray(times)
        for _, members, arrays in cdr.decode_batch(raws, cdr.pose_stamped_layout):
            topic.keep(t[members], stamp=arrays["stamp"], data=np.hstack([arrays["position"], arrays["orientation"]]))

    def wrenches(self, topic: _Topic, times: list[float], raws: list[bytes]) -> None:
        t = np.asarray(times)
        for _, members, arrays in cdr.decode_batch(raws, cdr.wrench_stamped_layout):
            topic.keep(t[members], stamp=arrays["stamp"], data=np.hstack([arrays["force"], arrays["torque"]]))

    def arrays(self, width: int | None) -> Callable[[_Topic, list[float], list[bytes]], None]:
        """Float64MultiArray rows of ``width`` values (None: whatever the first message has)."""
        def decode(topic: _Topic, times: list[float], raws: list[bytes]) -> None:
            t = np.asarray(times)
            for _, members, arrays in cdr.decode_batch(raws, cdr.float64_multi_array_layout):
                data = arrays["data"]
                expected = width if width is not None else (topic.width("data") or data.shape[1])
                if data.shape[1] != expected:
                    topic.dropped += members.size
                    continue
                topic.keep(t[members], data=data)
        return decode

    def layout(self, msgtype: str) -> FixedLayout:
        """Where a fixed-size message's fields are, by the bag's definition of it (worked out once)."""
        if msgtype not in self._layouts:
            self._layouts[msgtype] = fixed_layout(self.bag.typestore.fielddefs, msgtype)
        return self._layouts[msgtype]

    def low_state(self, topic: _Topic, times: list[float], raws: list[bytes]) -> None:
        """LowState: motor i as ``config.joints[i]`` (position, velocity, estimated torque), and the IMU as the rows
        of :attr:`RobotLog.imu` (Unitree sends the quaternion w first; the log keeps x, y, z, w)."""
        joints = len(self.config.joints)
        members, fields = decode_fixed(raws, self.layout(topic.msgtype), _LOWSTATE_FIELDS)
        topic.dropped += len(raws) - members.size
        wxyz = fields["imu_state.quaternion"]
        topic.keep(np.asarray(times)[members], position=fields["motor_state.q"][:, :joints],
                   velocity=fields["motor_state.dq"][:, :joints], tau=fields["motor_state.tau_est"][:, :joints],
                   imu=np.hstack([wxyz[:, 1:], wxyz[:, :1], fields["imu_state.gyroscope"],
                                  fields["imu_state.accelerometer"]]))

    def low_cmd(self, command_joints: list[str]) -> Callable[[_Topic, list[float], list[bytes]], None]:
        """LowCmd: the q targets of ``command_joints``' motors, and their kp then kd."""
        unknown = [name for name in command_joints if name not in self.config.joint_names]
        if unknown:
            raise RobotAcError(f"command joints {unknown} are not motors of the hardware config (its joints: "
                               f"{self.config.joint_names})")
        motors = np.array([self.config.joint_names.index(name) for name in command_joints], dtype=np.intp)

        def decode(topic: _Topic, times: list[float], raws: list[bytes]) -> None:
            members, fields = decode_fixed(raws, self.layout(topic.msgtype), _LOWCMD_FIELDS)
            topic.dropped += len(raws) - members.size
            topic.keep(np.asarray(times)[members], data=fields["motor_cmd.q"][:, motors],
                       gains=np.hstack([fields["motor_cmd.kp"][:, motors], fields["motor_cmd.kd"][:, motors]]))
        return decode

    def imu(self, topic: _Topic, times: list[float], raws: list[bytes]) -> None:
        t = np.asarray(times)
        for _, members, arrays in cdr.decode_batch(raws, cdr.imu_layout):
            topic.keep(t[members], stamp=arrays["stamp"], data=np.hstack(
                [arrays["orientation"], arrays["angular_velocity"], arrays["linear_acceleration"]]))

    def trajectory(self, topic: _Topic, times: list[float], raws: list[bytes]) -> None:
        for t, raw in zip(times, raws):
            msg = self.bag.deserialize(raw, topic.msgtype)
            row = np.asarray(msg.points[0].positions, dtype=np.float64) if msg.points else np.empty(0)
            if row.size != self.command_width:
                topic.dropped += 1
                continue
            topic.keep(np.array([t]), data=row[None])

    def diagnostics(self, topic: _Topic, times: list[float], raws: list[bytes]) -> None:
        for t, raw in zip(times, raws):
            for status in self.bag.deserialize(raw, topic.msgtype).status:
                state, _, reason = status.message.partition(": ")
                self.log.states.append((t, state, reason))

    def tactile(self, sensor: str, capacity: int) -> Callable[[_Topic, list[float], list[bytes]], None]:
        def decode(topic: _Topic, times: list[float], raws: list[bytes]) -> None:
            for t, raw in zip(times, raws):
                view = cdr.image(raw)
                if view.pixels.shape[2] != 3:
                    topic.dropped += 1
                    continue
                if sensor not in self.log.tactile:
                    self.log.tactile[sensor] = TactileFrames(capacity, view.pixels.shape)
                if not self.log.tactile[sensor].append(t, view.pixels):
                    topic.dropped += 1
        return decode


def _know_unitree_types(bag: Any, connections: list) -> None:
    """LowState and LowCmd are decoded by the bag's own message definitions; a bag that carries them without
    their definitions gets the unitree_hg package's."""
    if {c.msgtype for c in connections} & {LOWSTATE, LOWCMD} - bag.typestore.fielddefs.keys():
        register_unitree_types(bag.typestore)


def _decoders(reader: _LogReader, config: HardwareConfig, connections: list) -> dict[str, tuple[set[str], Any]]:
    """topic -> (message types it may carry, decoder)."""
    topics = config.topics
    counts: dict[str, int] = {}
    for c in connections:
        counts[c.topic] = counts.get(c.topic, 0) + c.msgcount
    table: dict[str, tuple[set[str], Any]] = {
        topics.joint_states: ({"sensor_msgs/msg/JointState"}, reader.joint_states(config.joint_names)),
        topics.command: ({"std_msgs/msg/Float64MultiArray", "trajectory_msgs/msg/JointTrajectory"}, None),
        topics.diagnostics: ({"diagnostic_msgs/msg/DiagnosticArray"}, reader.diagnostics),
    }
    if config.command_interface == "unitree_lowcmd":  # LowState replaces the joint states and the IMU
        _know_unitree_types(reader.bag, connections)
        del table[topics.joint_states]
        table[topics.low_state] = ({LOWSTATE}, reader.low_state)
        table[topics.command] = ({LOWCMD}, reader.low_cmd(reader.command_joints))
    if config.command_interface == "cartesian_pose":
        table[topics.command] = ({"geometry_msgs/msg/PoseStamped"}, reader.poses)
        table[topics.ee_pose] = ({"geometry_msgs/msg/PoseStamped"}, reader.poses)
        if topics.wrench:
            table[topics.wrench] = ({"geometry_msgs/msg/WrenchStamped"}, reader.wrenches)
        if topics.gripper:
            fingers = reader.joint_states(config.cartesian.gripper_joints)
            table[topics.gripper] = ({"sensor_msgs/msg/JointState"}, fingers)
    if topics.goal:
        table[topics.goal] = ({"std_msgs/msg/Float64MultiArray"}, reader.arrays(None))
    if topics.imu:
        table[topics.imu] = ({"sensor_msgs/msg/Imu"}, reader.imu)
    for sensor, topic in topics.tactile.items():
        table[topic] = ({"sensor_msgs/msg/Image"}, reader.tactile(sensor, counts.get(topic, 0)))
    return table


def read_robot_log(path: str | Path, config: HardwareConfig, command_joints: list[str] | None = None,
                   progress: bool = False) -> RobotLog:
    """Stream the bag at ``path`` (a rosbag2 directory or file) into a :class:`RobotLog`. ``command_joints``: the
    command controller's joints (default ``config.command_joints``; a ``unitree_lowcmd`` config's default is every
    joint, the motors of its LowCmd); a ``cartesian_pose`` config's commands are poses, and it has none."""
    from rosbags.highlevel import AnyReader
    from rosbags.typesys import Stores, get_typestore

    path = Path(path)
    if not path.exists():
        raise RobotAcError(f"bag '{path}' does not exist")
    pose_commands = config.command_interface == "cartesian_pose"
    unitree = config.command_interface == "unitree_lowcmd"
    every_motor = config.joint_names if unitree else []
    command_joints = [] if pose_commands else list(command_joints or config.command_joints or every_motor)
    command_width = len(POSE_COLUMNS) if pose_commands else len(command_joints)
    names = config.joint_names
    log = RobotLog(names, Series.empty(len(names)), Series.empty(len(names)), command_joints,
                   Series.empty(command_width), Series.empty(0), source=str(path),
                   gripper_joints=list(config.cartesian.gripper_joints) if pose_commands else [],
                   command_gains=Series.empty(2 * command_width if unitree else 0),
                   lowstate_tau=Series.empty(len(names) if unitree else 0))
    try:
        bag = AnyReader([path], default_typestore=get_typestore(Stores.ROS2_KILTED))
        bag.open()
    except Exception as exc:  # rosbags raises its own error types for every storage problem
        raise RobotAcError(f"bag '{path}' cannot be opened: {type(exc).__name__}: {exc}") from exc
    streams: dict[str, _Topic] = {}
    try:
        reader = _LogReader(config, command_joints, log, bag)
        table = _decoders(reader, config, bag.connections)
        for topic in sorted(set(table) - {c.topic for c in bag.connections} - {config.topics.diagnostics}):
            log.problems.append(f"topic '{topic}' is not in the bag")
        log.skipped_topics = {c.topic: c.msgcount for c in bag.connections if c.topic not in table}
        connections = []
        for c in bag.connections:
            if c.topic not in table:
                continue
            types, decode = table[c.topic]
            if c.msgtype not in types:
                log.problems.append(f"topic '{c.topic}' carries {c.msgtype}, expected {' or '.join(sorted(types))}; "
                                    f"skipped")
                continue
            if decode is None:  # the command topic: forward controller or trajectory controller
                decode = (reader.arrays(len(command_joints)) if c.msgtype.endswith("Float64MultiArray")
                          else reader.trajectory)
            batch = 1 if c.msgtype == "sensor_msgs/msg/Image" else BATCH
            capacity = sum(other.msgcount for other in bag.connections if other.topic == c.topic)
            streams.setdefault(c.topic, _Topic(c.topic, c.msgtype, decode, capacity, batch))
            connections.append(c)
        total = sum(c.msgcount for c in connections)
        with _progress(progress, total, path.name) as advance:
            try:
                for connection, timestamp, raw in bag.messages(connections=connections):
                    streams[connection.topic].add(timestamp * 1e-9, raw)
                    log.messages_read += 1
                    if log.messages_read % BATCH == 0:
                        advance(BATCH)
                for stream in streams.values():
                    stream.flush()
            except Exception as exc:  # a truncated or corrupt chunk, a malformed message: keep what was read
                log.partial = True
                log.problems.append(f"reading stopped after {log.messages_read} messages: "
                                    f"{type(exc).__name__}: {exc}")
                for stream in streams.values():
                    _flush_quietly(stream, log)
    finally:
        bag.close()
    _assemble(log, streams, config, command_width)
    return log


def _flush_quietly(stream: _Topic, log: RobotLog) -> None:
    try:
        stream.flush()
    except RobotAcError as exc:
        log.problems.append(f"topic '{stream.topic}': {len(stream.pending)} messages not decoded: {exc}")


def _assemble(log: RobotLog, streams: dict[str, _Topic], config: HardwareConfig, command_width: int) -> None:
    topics = config.topics
    empty = _Topic("", "", lambda *_: None, 0)
    unitree = config.command_interface == "unitree_lowcmd"
    joint_states = streams.get(topics.low_state if unitree else topics.joint_states, empty)
    log.positions = joint_states.series("position", len(log.joint_names))
    log.velocities = joint_states.series("velocity", len(log.joint_names))
    commands = streams.get(topics.command, empty)
    log.commands = commands.series("data", command_width)
    if unitree:
        log.command_gains = commands.series("gains", 2 * command_width)
        log.lowstate_tau = joint_states.series("tau", len(log.joint_names))
        log.imu = joint_states.series("imu", 10)
    if log.pose_commands:
        log.ee_pose = streams.get(topics.ee_pose, empty).series("data", 7)
        if topics.wrench:
            log.wrench = streams.get(topics.wrench, empty).series("data", 6)
        if topics.gripper:
            log.gripper = streams.get(topics.gripper, empty).series("position", len(log.gripper_joints))
    goal = streams.get(topics.goal, empty) if topics.goal else empty
    log.goal = goal.series("data", goal.width("data"))
    if topics.imu:
        log.imu = streams.get(topics.imu, empty).series("data", 10)
    for frames in log.tactile.values():
        frames.finish()
    log.states.sort(key=lambda s: s[0])
    for stream in streams.values():
        if stream.dropped:
            log.problems.append(f"topic '{stream.topic}': {stream.dropped} messages of an unexpected size skipped")
    for what, series in (("joint states", log.positions), ("end-effector poses", log.ee_pose)):
        for gap in series.gaps(3 * config.control_period_s):
            log.problems.append(f"no {what} from {gap[0]:.3f} s to {gap[1]:.3f} s")


@contextmanager
def _progress(enabled: bool, total: int, name: str) -> Iterator[Callable[[int], None]]:
    """A rich progress bar over the bag's messages, with rate and ETA (or nothing)."""
    if not enabled:
        yield lambda n: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TimeRemainingColumn
    from rich.text import Text

    class Rate(ProgressColumn):
        def render(self, task: Any) -> Text:
            return Text(f"{task.speed or 0:,.0f} msg/s")

    with Progress(f"reading {name}", BarColumn(), MofNCompleteColumn(), Rate(), TimeRemainingColumn()) as bar:
        task = bar.add_task(name, total=total)
        yield lambda n: bar.advance(task, n)
        bar.update(task, completed=total)
