"""Bulk decoding of the fixed-layout ROS 2 messages a robot log is made of, straight from their CDR bytes.

A driver publishes the same JointState a thousand times a second: same joint names, same array lengths, so the
same bytes everywhere except the stamp and the numbers. Deserialising each into a Python object (what rosbags
does, ~30-50k messages/s) is the slow part of reading a log. Here the first message of a batch is walked once to
find where its float64 arrays sit; every message of the same length whose other bytes (names, counts, frame id)
match is decoded by one numpy view over the whole batch. Messages that differ are walked one by one, so the result
never depends on the batch: bulk is only the fast path.

CDR as ROS 2 writes it: a 4-byte encapsulation header (byte 1: 0 big-endian, 1 little-endian), then fields aligned
to their own size relative to the end of that header; strings are a uint32 length (with the NUL) and the bytes.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from robot_ac.errors import RobotAcError

PAYLOAD_START = 4
STAMP = slice(PAYLOAD_START, PAYLOAD_START + 8)
"""std_msgs/Header.stamp (int32 sec, uint32 nanosec) of stamped messages: differs in every message."""


@dataclass(frozen=True)
class Layout:
    """Where one message's numeric arrays are: ``arrays[field] = (byte offset, count)`` of float64 values."""

    size: int
    little_endian: bool
    arrays: dict[str, tuple[int, int]]
    names: tuple[str, ...] = ()
    """JointState joint names; MultiArray dimension labels are not kept."""
    stamped: bool = False

    def variable_bytes(self) -> np.ndarray:
        """[size] bool: the bytes that may differ between messages sharing this layout."""
        mask = np.zeros(self.size, dtype=bool)
        for offset, count in self.arrays.values():
            mask[offset:offset + 8 * count] = True
        if self.stamped:
            mask[STAMP] = True
        return mask

    def stamps(self, block: np.ndarray) -> np.ndarray:
        """[n] header stamps (s) of [n, size] message bytes."""
        order = "<" if self.little_endian else ">"
        sec = np.ascontiguousarray(block[:, STAMP.start:STAMP.start + 4]).view(order + "i4")[:, 0]
        nanosec = np.ascontiguousarray(block[:, STAMP.start + 4:STAMP.stop]).view(order + "u4")[:, 0]
        return sec + nanosec * 1e-9

    def float64(self, raw: bytes | np.ndarray, field: str) -> np.ndarray:
        offset, count = self.arrays[field]
        dtype = "<f8" if self.little_endian else ">f8"
        return np.frombuffer(raw, dtype=dtype, count=count, offset=offset).astype(np.float64)


class _Cursor:
    def __init__(self, raw: bytes, what: str) -> None:
        if len(raw) < PAYLOAD_START or raw[1] not in (0, 1):
            raise RobotAcError(f"{what}: not CDR (encapsulation header {raw[:4].hex()})")
        self.raw, self.what = raw, what
        self.little_endian = raw[1] == 1
        self.prefix = "<" if self.little_endian else ">"
        self.at = PAYLOAD_START

    def _align(self, size: int) -> None:
        self.at += -(self.at - PAYLOAD_START) % size

    def _unpack(self, fmt: str, size: int) -> int:
        self._align(size)
        if self.at + size > len(self.raw):
            raise RobotAcError(f"{self.what}: message ends at byte {len(self.raw)}, a field needs {self.at + size}")
        (value,) = struct.unpack_from(self.prefix + fmt, self.raw, self.at)
        self.at += size
        return value

    def u8(self) -> int:
        return self._unpack("B", 1)

    def u32(self) -> int:
        return self._unpack("I", 4)

    def string(self) -> str:
        length = self.u32()
        text = self.raw[self.at:self.at + length].rstrip(b"\0").decode("utf-8", "replace")
        self.at += length
        return text

    def float64s(self, count: int | None = None) -> tuple[int, int]:
        """Skip a float64 array (a sequence when ``count`` is None); its (offset, count)."""
        if count is None:
            count = self.u32()
        if count == 0:  # serialisers do not pad before an empty sequence
            return self.at, 0
        self._align(8)
        offset = self.at
        self.at += 8 * count
        if self.at > len(self.raw):
            raise RobotAcError(f"{self.what}: a {count}-value array runs past the message's {len(self.raw)} bytes")
        return offset, count

    def header(self) -> None:
        self.u32()
        self.u32()
        self.string()

    def layout(self, arrays: dict[str, tuple[int, int]], names: tuple[str, ...] = (), stamped: bool = True) -> Layout:
        return Layout(len(self.raw), self.little_endian, arrays, names, stamped)


def joint_state_layout(raw: bytes) -> Layout:
    """sensor_msgs/msg/JointState: arrays position, velocity, effort."""
    c = _Cursor(raw, "sensor_msgs/msg/JointState")
    c.header()
    names = tuple(c.string() for _ in range(c.u32()))
    arrays = {field: c.float64s() for field in ("position", "velocity", "effort")}
    return c.layout(arrays, names)


def float64_multi_array_layout(raw: bytes) -> Layout:
    """std_msgs/msg/Float64MultiArray: array data."""
    c = _Cursor(raw, "std_msgs/msg/Float64MultiArray")
    for _ in range(c.u32()):
        c.string()
        c.u32()
        c.u32()
    c.u32()
    return c.layout({"data": c.float64s()}, stamped=False)


def imu_layout(raw: bytes) -> Layout:
    """sensor_msgs/msg/Imu: orientation (x, y, z, w), angular_velocity, linear_acceleration."""
    c = _Cursor(raw, "sensor_msgs/msg/Imu")
    c.header()
    arrays = {}
    for field, width in (("orientation", 4), ("angular_velocity", 3), ("linear_acceleration", 3)):
        arrays[field] = c.float64s(width)
        c.float64s(9)
    return c.layout(arrays)


def pose_stamped_layout(raw: bytes) -> Layout:
    """geometry_msgs/msg/PoseStamped: position (x, y, z), orientation (x, y, z, w)."""
    c = _Cursor(raw, "geometry_msgs/msg/PoseStamped")
    c.header()
    return c.layout({"position": c.float64s(3), "orientation": c.float64s(4)})


def wrench_stamped_layout(raw: bytes) -> Layout:
    """geometry_msgs/msg/WrenchStamped: force (N), torque (N·m)."""
    c = _Cursor(raw, "geometry_msgs/msg/WrenchStamped")
    c.header()
    return c.layout({"force": c.float64s(3), "torque": c.float64s(3)})


@dataclass(frozen=True)
class ImageView:
    height: int
    width: int
    encoding: str
    pixels: np.ndarray
    """[height, width, channels] uint8 (a view on the message bytes)."""


CHANNELS = {"rgb8": 3, "bgr8": 3, "rgba8": 4, "bgra8": 4, "mono8": 1}


def image(raw: bytes) -> ImageView:
    """sensor_msgs/msg/Image with 8-bit channels, as an array; other encodings are refused by name."""
    c = _Cursor(raw, "sensor_msgs/msg/Image")
    c.header()
    height, width, encoding = c.u32(), c.u32(), c.string()
    c.u8()
    step, size = c.u32(), c.u32()
    if encoding not in CHANNELS:
        raise RobotAcError(f"sensor_msgs/msg/Image: encoding '{encoding}' is not supported (expected one of "
                           f"{sorted(CHANNELS)})")
    channels = CHANNELS[encoding]
    if size < step * height or step < width * channels or c.at + size > len(raw):
        raise RobotAcError(f"sensor_msgs/msg/Image: {height}x{width} {encoding} with step {step} does not fit "
                           f"{size} data bytes")
    rows = np.frombuffer(raw, np.uint8, count=step * height, offset=c.at).reshape(height, step)
    pixels = rows[:, :width * channels].reshape(height, width, channels)
    if encoding.startswith("bgr"):
        pixels = pixels[..., [2, 1, 0, *range(3, channels)]]
    return ImageView(height, width, encoding, pixels)


LAYOUTS: dict[str, Callable[[bytes], Layout]] = {
    "sensor_msgs/msg/JointState": joint_state_layout,
    "std_msgs/msg/Float64MultiArray": float64_multi_array_layout,
    "sensor_msgs/msg/Imu": imu_layout,
    "geometry_msgs/msg/PoseStamped": pose_stamped_layout,
    "geometry_msgs/msg/WrenchStamped": wrench_stamped_layout,
}
"""Message types decoded in bulk."""


def decode_batch(raws: Sequence[bytes], layout_of: Callable[[bytes], Layout]
                 ) -> list[tuple[Layout, np.ndarray, dict[str, np.ndarray]]]:
    """Decode ``raws`` (one topic, in order): a list of (layout, message indices, field -> [n, count] float64);
    stamped messages also get ``stamp`` [n] (header stamp, s)."""
    groups: list[tuple[Layout, np.ndarray, dict[str, np.ndarray]]] = []
    sizes = np.fromiter((len(r) for r in raws), dtype=np.int64, count=len(raws))
    for size in np.unique(sizes):
        members = np.nonzero(sizes == size)[0]
        template = layout_of(raws[members[0]])
        block = np.frombuffer(b"".join(raws[i] for i in members), np.uint8).reshape(len(members), size)
        fixed = ~template.variable_bytes()
        same = (block[:, fixed] == block[0, fixed]).all(axis=1)
        dtype = "<f8" if template.little_endian else ">f8"
        rows = block[same]
        fields = {field: np.ascontiguousarray(rows[:, offset:offset + 8 * count]).view(dtype).astype(np.float64)
                  for field, (offset, count) in template.arrays.items()}
        if template.stamped:
            fields["stamp"] = template.stamps(rows)
        groups.append((template, members[same], fields))
        for i in members[~same]:
            layout = layout_of(raws[i])
            fields = {f: layout.float64(raws[i], f)[None] for f in layout.arrays}
            if layout.stamped:
                fields["stamp"] = layout.stamps(np.frombuffer(raws[i], np.uint8)[None])
            groups.append((layout, np.array([i]), fields))
    return groups
