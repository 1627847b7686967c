"""Write rosbag2 logs (sqlite3 or MCAP, optionally compressed or split) with rosbags: for tests, benchmarks and
users who want a log without ROS 2. Topics get their message type on first use."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from robot_ac.errors import RobotAcError


class BagWriter:
    def __init__(self, path: str | Path, storage: str = "mcap", compress: bool = False) -> None:
        from rosbags.rosbag2 import StoragePlugin, Writer
        from rosbags.typesys import Stores, get_typestore

        self.typestore = get_typestore(Stores.ROS2_KILTED)
        self.types = self.typestore.types
        if storage not in ("mcap", "sqlite3"):
            raise RobotAcError(f"bag storage '{storage}': expected 'mcap' or 'sqlite3'")
        self._writer = Writer(Path(path), version=9,
                              storage_plugin=StoragePlugin.MCAP if storage == "mcap" else StoragePlugin.SQLITE3)
        if compress:
            from rosbags.rosbag2.enums import CompressionFormat, CompressionMode

            self._writer.set_compression(CompressionMode.FILE, CompressionFormat.ZSTD)
        self._connections: dict[str, Any] = {}
        self._layout = self.types["std_msgs/msg/MultiArrayLayout"](dim=[], data_offset=0)

    def __enter__(self) -> BagWriter:
        self._writer.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self._writer.close()

    def write(self, topic: str, t: float, msg: Any) -> None:
        """Write ``msg`` (a rosbags message object) on ``topic`` with log time ``t`` (s)."""
        if topic not in self._connections:
            self._connections[topic] = self._writer.add_connection(topic, msg.__msgtype__, typestore=self.typestore)
        self._writer.write(self._connections[topic], int(round(t * 1e9)),
                           self.typestore.serialize_cdr(msg, msg.__msgtype__))

    def header(self, t: float, frame_id: str = "") -> Any:
        nanoseconds = int(round(t * 1e9))
        stamp = self.types["builtin_interfaces/msg/Time"](sec=nanoseconds // 1_000_000_000,
                                                          nanosec=nanoseconds % 1_000_000_000)
        return self.types["std_msgs/msg/Header"](stamp=stamp, frame_id=frame_id)

    def joint_state(self, topic: str, t: float, names: Sequence[str], position: Sequence[float],
                    velocity: Sequence[float] = (), effort: Sequence[float] = (), stamp: float | None = None) -> None:
        """``stamp``: the header stamp (default: the log time ``t``)."""
        self.write(topic, t, self.types["sensor_msgs/msg/JointState"](
            header=self.header(t if stamp is None else stamp), name=list(names),
            position=np.asarray(position, np.float64),
            velocity=np.asarray(velocity, np.float64), effort=np.asarray(effort, np.float64)))

    def array(self, topic: str, t: float, values: Sequence[float], label: str = "") -> None:
        """``label``: what the values are, as the layout's one dimension (none without it)."""
        layout = self._layout
        if label:
            dimension = self.types["std_msgs/msg/MultiArrayDimension"](label=label, size=len(values),
                                                                       stride=len(values))
            layout = self.types["std_msgs/msg/MultiArrayLayout"](dim=[dimension], data_offset=0)
        self.write(topic, t, self.types["std_msgs/msg/Float64MultiArray"](
            layout=layout, data=np.asarray(values, np.float64)))

    def imu(self, topic: str, t: float, orientation_xyzw: Sequence[float], angular_velocity: Sequence[float],
            linear_acceleration: Sequence[float]) -> None:
        vector, quaternion = self.types["geometry_msgs/msg/Vector3"], self.types["geometry_msgs/msg/Quaternion"]
        q, w, a = orientation_xyzw, angular_velocity, linear_acceleration
        self.write(topic, t, self.types["sensor_msgs/msg/Imu"](
            header=self.header(t), orientation=quaternion(x=q[0], y=q[1], z=q[2], w=q[3]),
            orientation_covariance=np.zeros(9), angular_velocity=vector(x=w[0], y=w[1], z=w[2]),
            angular_velocity_covariance=np.zeros(9), linear_acceleration=vector(x=a[0], y=a[1], z=a[2]),
            linear_acceleration_covariance=np.zeros(9)))

    def pose(self, topic: str, t: float, pose: Sequence[float], frame_id: str = "", stamp: float | None = None) -> None:
        """A PoseStamped of ``pose`` = [x, y, z, qx, qy, qz, qw]; ``stamp`` as for :meth:`joint_state`."""
        x, y, z, qx, qy, qz, qw = (float(v) for v in pose)
        self.write(topic, t, self.types["geometry_msgs/msg/PoseStamped"](
            header=self.header(t if stamp is None else stamp, frame_id),
            pose=self.types["geometry_msgs/msg/Pose"](
                position=self.types["geometry_msgs/msg/Point"](x=x, y=y, z=z),
                orientation=self.types["geometry_msgs/msg/Quaternion"](x=qx, y=qy, z=qz, w=qw))))

    def wrench(self, topic: str, t: float, force: Sequence[float], torque: Sequence[float],
               frame_id: str = "") -> None:
        vector = self.types["geometry_msgs/msg/Vector3"]
        f, m = (float(v) for v in force), (float(v) for v in torque)
        self.write(topic, t, self.types["geometry_msgs/msg/WrenchStamped"](
            header=self.header(t, frame_id),
            wrench=self.types["geometry_msgs/msg/Wrench"](force=vector(*f), torque=vector(*m))))

    def text(self, topic: str, t: float, text: str) -> None:
        self.write(topic, t, self.types["std_msgs/msg/String"](data=text))

    def image(self, topic: str, t: float, rgb: np.ndarray) -> None:
        height, width, _ = rgb.shape
        self.write(topic, t, self.types["sensor_msgs/msg/Image"](
            header=self.header(t), height=height, width=width, encoding="rgb8", is_bigendian=0, step=width * 3,
            data=np.ascontiguousarray(rgb, dtype=np.uint8).reshape(-1)))

    def diagnostics(self, topic: str, t: float, message: str) -> None:
        status = self.types["diagnostic_msgs/msg/DiagnosticStatus"](level=0, name="policy_node: supervisor",
                                                                    message=message, hardware_id="robot", values=[])
        self.write(topic, t, self.types["diagnostic_msgs/msg/DiagnosticArray"](header=self.header(t),
                                                                                status=[status]))


def join_split_bag(parts: Sequence[Path], out: Path) -> Path:
    """Make one split bag (as `ros2 bag record --max-bag-size` writes) from bags of one storage, in time order:
    their files side by side and one metadata.yaml listing them."""
    out.mkdir(parents=True)
    merged: dict[str, Any] | None = None
    for i, part in enumerate(parts):
        info = yaml.safe_load((part / "metadata.yaml").read_text())["rosbag2_bagfile_information"]
        (source,) = info["relative_file_paths"]
        name = f"{out.name}_{i}{''.join(Path(source).suffixes)}"
        shutil.copy(part / source, out / name)
        info["relative_file_paths"] = [name]
        for file in info.get("files", []):
            file["path"] = name
        if merged is None:
            merged = info
            continue
        merged["relative_file_paths"] += info["relative_file_paths"]
        merged["files"] += info.get("files", [])
        merged["message_count"] += info["message_count"]
        merged["duration"]["nanoseconds"] = (info["starting_time"]["nanoseconds_since_epoch"]
                                             + info["duration"]["nanoseconds"]
                                             - merged["starting_time"]["nanoseconds_since_epoch"])
        counts = {t["topic_metadata"]["name"]: t for t in merged["topics_with_message_count"]}
        for topic in info["topics_with_message_count"]:
            name = topic["topic_metadata"]["name"]
            if name in counts:
                counts[name]["message_count"] += topic["message_count"]
            else:
                merged["topics_with_message_count"].append(topic)
    (out / "metadata.yaml").write_text(yaml.safe_dump({"rosbag2_bagfile_information": merged}))
    return out
