"""An unsecured ROS 2 participant in its own process (``python -m tests.ros_intruder GOAL_TOPIC SECONDS``): it
publishes goals and calls the policy node's start and e-stop, and prints what it managed as one JSON line."""

from __future__ import annotations

import json
import sys
import time

import rclpy
from std_msgs.msg import Float64MultiArray
from std_srvs.srv import Trigger

INTRUDER_GOAL = [9.0, 9.0, 9.0, 0.0, 0.0, 0.0, 1.0]


def main(goal_topic: str, seconds: float) -> dict:
    rclpy.init()
    node = rclpy.create_node("intruder")
    publisher = node.create_publisher(Float64MultiArray, goal_topic, 1)
    clients = {name: node.create_client(Trigger, f"/policy_node/{name}") for name in ("start", "estop")}
    answered = {name: False for name in clients}
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        publisher.publish(Float64MultiArray(data=INTRUDER_GOAL))
        for name, client in clients.items():
            if not answered[name] and client.service_is_ready():
                future = client.call_async(Trigger.Request())
                rclpy.spin_until_future_complete(node, future, timeout_sec=1.0)
                answered[name] = future.done()
        rclpy.spin_once(node, timeout_sec=0.05)
    node.destroy_node()
    rclpy.shutdown()
    return {"answered": answered}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], float(sys.argv[2]))), flush=True)
