"""An operator's goal in its own process: ``python -m tests.goal_peer TOPIC SECONDS V1 V2 ...`` publishes the values as
a std_msgs/Float64MultiArray on TOPIC at 10 Hz for SECONDS (a G1 policy's velocity command, ``[0, 0, 0]`` to
stand)."""

from __future__ import annotations

import sys
import time

import rclpy
from std_msgs.msg import Float64MultiArray


def main(topic: str, seconds: float, values: list[float]) -> None:
    rclpy.init()
    node = rclpy.create_node("goal_peer")
    publisher = node.create_publisher(Float64MultiArray, topic, 1)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        publisher.publish(Float64MultiArray(data=values))
        rclpy.spin_once(node, timeout_sec=0.1)
    node.destroy_node()
    rclpy.shutdown()


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]), [float(v) for v in sys.argv[3:]])
