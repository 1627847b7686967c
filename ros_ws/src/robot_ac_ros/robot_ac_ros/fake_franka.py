"""``fake_franka``: a Franka behind a Cartesian impedance controller, as the policy node sees it over ROS 2.

A first-order pose plant (the measured TCP pose moves towards the last target with time constant ``lag_s``) that
speaks the real set-up's interface from ``hardware_configs/franka_gelsight.yaml``: the target in as
``geometry_msgs/PoseStamped`` (reliable, depth 1, as CRISP subscribes), the measured pose out at 250 Hz
**best-effort only** (as franka_robot_state_broadcaster), the external wrench (WrenchStamped), the arm's and the
gripper's JointState, and GelSight frames when the config names tactile topics. A ``std_msgs/String`` on
``~/fault`` injects what a real robot does to a controller: ``stale`` (the pose stops), ``force_spike`` (a 60 N
external force for 0.2 s), ``resume``. Run: ``python -m robot_ac_ros.fake_franka --config C``.
"""

from __future__ import annotations

import argparse
import math
import sys
import time

import numpy as np

from robot_ac.contract.hardware_config import HardwareConfig, load_hardware_config
from robot_ac.deploy.pose import quat_from_rotvec, quat_mul, rotation_between

POSE_RATE_HZ = 250.0
START_TCP = (0.5, 0.0, 0.13, 1.0, 0.0, 0.0, 0.0)
"""The peg task's start: the TCP above the fixture, pointing down."""


class FirstOrderPosePlant:
    """The measured pose follows the target through a first-order lag (position and geodesic rotation)."""

    def __init__(self, pose: np.ndarray, lag_s: float) -> None:
        self.pose = np.asarray(pose, dtype=np.float64).copy()
        self.target = self.pose.copy()
        self.lag_s = lag_s

    def step(self, dt: float) -> np.ndarray:
        fraction = 1.0 - math.exp(-dt / self.lag_s)
        self.pose[:3] += fraction * (self.target[:3] - self.pose[:3])
        rotation = quat_mul(quat_from_rotvec(fraction * rotation_between(self.pose[3:], self.target[3:])),
                            self.pose[3:])
        self.pose[3:] = rotation / np.linalg.norm(rotation)
        return self.pose


def _make_node(config: HardwareConfig, lag_s: float, held_width: float):
    from geometry_msgs.msg import PoseStamped, WrenchStamped
    from rclpy.node import Node
    from rclpy.qos import QoSProfile, ReliabilityPolicy
    from sensor_msgs.msg import Image, JointState
    from std_msgs.msg import String

    class FakeFranka(Node):
        def __init__(self) -> None:
            super().__init__("fake_franka")
            topics = config.topics
            self.plant = FirstOrderPosePlant(np.array(START_TCP), lag_s)
            self.stale = False
            self.spike_until = 0.0
            self.targets_received = 0
            best_effort = QoSProfile(depth=1, reliability=ReliabilityPolicy.BEST_EFFORT)
            self.pose_pub = self.create_publisher(PoseStamped, topics.ee_pose, best_effort)
            self.wrench_pub = self.create_publisher(WrenchStamped, topics.wrench, best_effort) if topics.wrench \
                else None
            self.joint_pub = self.create_publisher(JointState, topics.joint_states, 10)
            self.gripper_pub = self.create_publisher(JointState, topics.gripper, 10) if topics.gripper else None
            self.image_pubs = [self.create_publisher(Image, topic, best_effort) for topic in topics.tactile.values()]
            self.create_subscription(PoseStamped, topics.command, self._on_target, QoSProfile(depth=1))
            self.create_subscription(String, "~/fault", self._on_fault, 10)
            self._last = time.monotonic()
            self.create_timer(1.0 / POSE_RATE_HZ, self._publish_pose)
            self.create_timer(1.0 / 100.0, self._publish_joints)
            self.create_timer(1.0 / 30.0, self._publish_images)

        def _on_target(self, msg) -> None:
            p, q = msg.pose.position, msg.pose.orientation
            target = np.array([p.x, p.y, p.z, q.x, q.y, q.z, q.w])
            if np.isfinite(target).all() and np.linalg.norm(target[3:]) > 0.5:
                target[3:] /= np.linalg.norm(target[3:])
                self.plant.target = target
                self.targets_received += 1

        def _on_fault(self, msg) -> None:
            if msg.data == "stale":
                self.stale = True
            elif msg.data == "force_spike":
                self.spike_until = time.monotonic() + 0.2
            elif msg.data == "resume":
                self.stale = False

        def _publish_pose(self) -> None:
            now = time.monotonic()
            pose = self.plant.step(now - self._last)
            self._last = now
            if self.stale:
                return
            stamp = self.get_clock().now().to_msg()
            msg = PoseStamped()
            msg.header.stamp, msg.header.frame_id = stamp, config.cartesian.base_frame
            msg.pose.position.x, msg.pose.position.y, msg.pose.position.z = (float(v) for v in pose[:3])
            o = msg.pose.orientation
            o.x, o.y, o.z, o.w = (float(v) for v in pose[3:])
            self.pose_pub.publish(msg)
            if self.wrench_pub is not None:
                wrench = WrenchStamped()
                wrench.header.stamp, wrench.header.frame_id = stamp, config.cartesian.base_frame
                wrench.wrench.force.z = 60.0 if now < self.spike_until else 0.0
                self.wrench_pub.publish(wrench)

        def _publish_joints(self) -> None:
            if self.stale:
                return
            arm = [j for j in config.joints if not j.name.startswith("panda_finger")]
            self.joint_pub.publish(JointState(
                name=[j.name for j in arm], position=[sum(j.position_limits) / 2 for j in arm],
                velocity=[0.0] * len(arm)))
            if self.gripper_pub is not None:
                fingers = config.cartesian.gripper_joints
                self.gripper_pub.publish(JointState(name=fingers, position=[held_width / 2] * len(fingers)))

        def _publish_images(self) -> None:
            for publisher in self.image_pubs:
                frame = Image(height=24, width=32, encoding="rgb8", step=32 * 3)
                frame.data = bytes(24 * 32 * 3)
                publisher.publish(frame)

    return FakeFranka()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", required=True, help="hardware config YAML (cartesian_pose)")
    parser.add_argument("--lag-s", type=float, default=0.05, help="time constant of the pose tracking, s")
    parser.add_argument("--held-width", type=float, default=None, help="gripper width, m (default: held part)")
    args = parser.parse_args(argv)
    import rclpy

    from robot_ac_ros.spin import spin_until_shutdown

    config = load_hardware_config(args.config)
    if config.cartesian is None:
        sys.exit(f"fake_franka: {args.config} is not a cartesian_pose config")
    held = args.held_width if args.held_width is not None else (config.cartesian.held_width_m or 0.0)
    rclpy.init()
    spin_until_shutdown(_make_node(config, args.lag_s, held))


if __name__ == "__main__":
    main()
