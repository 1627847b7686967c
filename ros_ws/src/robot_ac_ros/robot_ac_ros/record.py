"""``robot-ac record``: write the topics of a hardware config to a rosbag2 (MCAP or sqlite3) with ``rosbags``, so
pip-only set-ups (no ``ros2 bag``) can make the logs `robot-ac replay` reads. Messages are stored as received (raw
CDR), stamped with their arrival time. The robot's measurements (joint states, IMU, images, the measured pose, the
wrench, the gripper, a Unitree robot's LowState) are subscribed best-effort, which hears reliable publishers too and
is the only way to hear best-effort-only ones such as franka_robot_state_broadcaster's.

A Unitree robot (``unitree_lowcmd``) is recorded as unitree_hg LowState and LowCmd, whose definitions the bag stores
(rosbags learns them from the package's .msg files), so any rosbag2 reader can decode it. The recorder takes the
config's Fast DDS profile, as the policy node does: a G1 runs Cyclone DDS, which hears no Fast DDS participant that
propagates its types."""

from __future__ import annotations

import os
import time
from pathlib import Path

import rclpy
from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy

from robot_ac.contract.hardware_config import HardwareConfig
from robot_ac.deploy.fastdds import write_fastdds_profile
from robot_ac.errors import RobotAcError
from robot_ac.replay.unitree_types import LOWCMD, LOWSTATE, PACKAGE, register_unitree_types


def config_topics(config: HardwareConfig) -> dict[str, str]:
    """Topic -> ROS message type of everything a deployment of ``config`` publishes or reads."""
    topics = config.topics
    command_type = {"joint_trajectory": "trajectory_msgs/msg/JointTrajectory",
                    "cartesian_pose": "geometry_msgs/msg/PoseStamped",
                    "unitree_lowcmd": LOWCMD}.get(config.command_interface, "std_msgs/msg/Float64MultiArray")
    found = {topics.command: command_type, topics.diagnostics: "diagnostic_msgs/msg/DiagnosticArray"}
    if topics.goal:
        found[topics.goal] = "std_msgs/msg/Float64MultiArray"
    return found | measurement_topics(config)


def measurement_topics(config: HardwareConfig) -> dict[str, str]:
    """Topic -> ROS message type of what the robot measures (recorded best-effort)."""
    topics = config.topics
    if config.command_interface == "unitree_lowcmd":  # LowState holds the motors' states and the IMU
        found = {topics.low_state: LOWSTATE}
    else:
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


def _message_class(msgtype: str, topic: str):
    package, _, name = msgtype.split("/")
    try:
        return getattr(__import__(f"{package}.msg", fromlist=[name]), name)
    except ImportError as exc:
        built = " (scripts/setup.sh builds it into the venv)" if package == PACKAGE else ""
        raise RobotAcError(f"recording '{topic}' needs the ROS message {msgtype}, which is not installed{built}: "
                           f"{exc}") from exc


class RecorderNode(Node):
    def __init__(self, config: HardwareConfig, out: str | Path, storage: str = "mcap",
                 node_name: str = "robot_ac_recorder", **kwargs) -> None:
        from rosbags.rosbag2 import StoragePlugin, Writer
        from rosbags.typesys import Stores, get_typestore

        super().__init__(node_name, **kwargs)
        topics = config_topics(config)
        classes = {topic: _message_class(msgtype, topic) for topic, msgtype in topics.items()}
        typestore = get_typestore(Stores.ROS2_KILTED)
        if config.command_interface == "unitree_lowcmd":
            register_unitree_types(typestore)
        plugin = StoragePlugin.MCAP if storage == "mcap" else StoragePlugin.SQLITE3
        self.writer = Writer(Path(out), version=9, storage_plugin=plugin)
        self.writer.open()
        self.counts: dict[str, int] = {}
        measured = measurement_topics(config)
        for topic, msgtype in topics.items():
            connection = self.writer.add_connection(topic, msgtype, typestore=typestore)
            # A deep queue: the pose comes at 250 Hz, a G1's LowState at 500 Hz, and a burst must not be dropped
            # while the bag is written.
            qos = QoSProfile(depth=100, reliability=ReliabilityPolicy.BEST_EFFORT if topic in measured
                             else ReliabilityPolicy.RELIABLE)
            self.create_subscription(classes[topic], topic,
                                     lambda raw, info, c=connection, t=topic: self._write(c, t, raw, info), qos,
                                     raw=True)
            self.counts[topic] = 0

    def _write(self, connection, topic: str, raw: bytes, info: dict | None = None) -> None:
        """Log ``raw`` at the time DDS received it (``ros2 bag record``'s choice since Jazzy): the time this callback
        runs comes later, and later for one topic than for another when this node falls behind, which would put a
        command before the states that preceded it."""
        received = (info or {}).get("received_timestamp") or self.get_clock().now().nanoseconds
        self.writer.write(connection, received, raw)
        self.counts[topic] += 1

    def close(self) -> None:
        self.writer.close()


def record(config: HardwareConfig, out: Path, duration_s: float | None = None, storage: str = "mcap") -> dict:
    """Record until Ctrl-C (or ``duration_s``); the bag is closed properly either way."""
    os.environ.update(write_fastdds_profile(config.dds))
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
