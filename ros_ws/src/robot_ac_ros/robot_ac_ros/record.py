"""``robot-ac record``: write the topics of a hardware config to a rosbag2 (MCAP or sqlite3) with ``rosbags``, so
pip-only set-ups (no ``ros2 bag``) can make the logs `robot-ac replay` reads. Messages are stored as received (raw
CDR), stamped with their arrival time. The robot's measurements (joint states, IMU, images, the measured pose, the
wrench, the gripper) are subscribed best-effort, which hears reliable publishers too and is the only way to hear
best-effort-only ones such as franka_robot_state_broadcaster's."""

from __future__ import annotations

import time
from pathlib import Path

import rclpy
from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy

from robot_ac.contract.hardware_config import HardwareConfig


def config_topics(config: HardwareConfig) -> dict[str, str]:
    """Topic -> ROS message type of everything a deployment of ``config`` publishes or reads."""
    topics = config.topics
    command_type = {"joint_trajectory": "trajectory_msgs/msg/JointTrajectory",
                    "cartesian_pose": "geometry_msgs/msg/PoseStamped"}.get(config.command_interface,
                                                                            "std_msgs/msg/Float64MultiArray")
    found = {topics.command: command_type, topics.diagnostics: "diagnostic_msgs/msg/DiagnosticArray"}
    if topics.goal:
        found[topics.goal] = "std_msgs/msg/Float64MultiArray"
    return found | measurement_topics(config)


def measurement_topics(config: HardwareConfig) -> dict[str, str]:
    """Topic -> ROS message type of what the robot measures (recorded best-effort)."""
    topics = config.topics
    found = {topics.joint_states: "sensor_msgs/msg/JointState"}
    if topics.imu:
        found[topics.imu] = "sensor_msgs/msg/Imu"
    found.update({topic: "sensor_msgs/msg/Image" for topic in topics.tactile.values()})
    if config.command_interface == "cartesian_pose":
        for topic, msgtype in ((topics.ee_pose, "geometry_msgs/msg/PoseStamped"),
                               (topics.wrench, "geometry_msgs/msg/WrenchStamped"),
                               (topics.gripper, "sensor_msgs/msg/JointState")):
            if topic:
                found[topic] = msgtype
    return found


def _message_class(msgtype: str):
    package, _, name = msgtype.split("/")
    return getattr(__import__(f"{package}.msg", fromlist=[name]), name)


class RecorderNode(Node):
    def __init__(self, config: HardwareConfig, out: str | Path, storage: str = "mcap",
                 node_name: str = "robot_ac_recorder", **kwargs) -> None:
        from rosbags.rosbag2 import StoragePlugin, Writer
        from rosbags.typesys import Stores, get_typestore

        super().__init__(node_name, **kwargs)
        typestore = get_typestore(Stores.ROS2_KILTED)
        plugin = StoragePlugin.MCAP if storage == "mcap" else StoragePlugin.SQLITE3
        self.writer = Writer(Path(out), version=9, storage_plugin=plugin)
        self.writer.open()
        self.counts: dict[str, int] = {}
        measured = measurement_topics(config)
        for topic, msgtype in config_topics(config).items():
            connection = self.writer.add_connection(topic, msgtype, typestore=typestore)
            # A deep queue: the pose comes at 250 Hz and a burst must not be dropped while the bag is written.
            qos = QoSProfile(depth=100, reliability=ReliabilityPolicy.BEST_EFFORT if topic in measured
                             else ReliabilityPolicy.RELIABLE)
            self.create_subscription(_message_class(msgtype), topic,
                                     lambda raw, c=connection, t=topic: self._write(c, t, raw), qos, raw=True)
            self.counts[topic] = 0

    def _write(self, connection, topic: str, raw: bytes) -> None:
        self.writer.write(connection, self.get_clock().now().nanoseconds, raw)
        self.counts[topic] += 1

    def close(self) -> None:
        self.writer.close()


def record(config: HardwareConfig, out: Path, duration_s: float | None = None, storage: str = "mcap") -> dict:
    """Record until Ctrl-C (or ``duration_s``); the bag is closed properly either way."""
    rclpy.init()
    node = RecorderNode(config, out, storage)
    started = time.monotonic()
    try:
        while rclpy.ok() and (duration_s is None or time.monotonic() - started < duration_s):
            rclpy.spin_once(node, timeout_sec=0.1)
    except KeyboardInterrupt:
        pass
    finally:
        node.close()
        node.destroy_node()
        rclpy.try_shutdown()
    return node.counts
