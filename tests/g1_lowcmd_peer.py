"""The ROS side of the G1 link in its own process (Fast DDS reads its profile once per process):
``python -m tests.g1_lowcmd_peer SECONDS`` subscribes to /lowstate and publishes a LowCmd for each LowState heard,
echoing its mode_machine, with the CRC right except on every fifth. Prints one JSON line."""

from __future__ import annotations

import json
import sys
import time

import rclpy
from rclpy.qos import QoSProfile, ReliabilityPolicy, qos_profile_sensor_data

from robot_ac.deploy.unitree import lowcmd_crc


def main(seconds: float) -> dict:
    from unitree_hg.msg import LowCmd, LowState

    rclpy.init()
    node = rclpy.create_node("g1_lowcmd_peer")
    states: list = []
    node.create_subscription(LowState, "/lowstate", states.append, qos_profile_sensor_data)
    publisher = node.create_publisher(LowCmd, "/lowcmd", QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE))
    sent = corrupted = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        rclpy.spin_once(node, timeout_sec=0.01)
        if not states:
            continue
        command = LowCmd(mode_machine=states[-1].mode_machine)
        for motor in command.motor_cmd[:29]:
            motor.mode, motor.q, motor.kp, motor.kd = 1, 0.1, 20.0, 1.0
        command.crc = lowcmd_crc(command)
        if sent % 5 == 4:
            command.crc ^= 1
            corrupted += 1
        publisher.publish(command)
        sent += 1
    result = {"states": len(states), "sent": sent, "corrupted": corrupted,
              "mode_machine": states[-1].mode_machine if states else None,
              "ticks_rise": bool(states) and states[-1].tick > states[0].tick}
    node.destroy_node()
    rclpy.shutdown()
    return result


if __name__ == "__main__":
    print(json.dumps(main(float(sys.argv[1]))), flush=True)
