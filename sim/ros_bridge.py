"""ROS 2 sim bridge: a simulated robot behind the topics of its hardware config.

Publishes ``sensor_msgs/JointState`` every control period after stepping the simulator and applies the latest
``std_msgs/Float64MultiArray`` command (joint order: the config's ``command_joints``), the way a ros2_control
forward controller would. Run it beside a policy node:

    python -m sim.ros_bridge --config hardware_configs/cartpole_sim.yaml
    robot-ac deploy --config hardware_configs/cartpole_sim.yaml --policy runs/cartpole/<run>/export
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from rclpy.node import Node
from rclpy.qos import QoSProfile, qos_profile_sensor_data
from sensor_msgs.msg import JointState
from std_msgs.msg import Float64MultiArray

from robot_ac.deploy import HardwareConfig, load_hardware_config
from robot_ac.errors import RobotAcError
from sim.sim_robot import CartpoleSimRobot, make_sim_robot


class SimBridgeNode(Node):
    def __init__(self, config: HardwareConfig, robot: CartpoleSimRobot, node_name: str = "sim_bridge",
                 **kwargs) -> None:
        super().__init__(node_name, **kwargs)
        self.robot = robot
        self.command_joints = list(config.command_joints)
        self.commands_received = 0
        self.trace: list[tuple[float, list[float]]] = []
        """(sim time, joint positions) after every step, for tests and plots."""
        self._publisher = self.create_publisher(JointState, config.topics.joint_states, qos_profile_sensor_data)
        self.create_subscription(Float64MultiArray, config.topics.command, self._on_command, QoSProfile(depth=1))
        self.create_timer(robot.control_period_s, self._step)

    def _on_command(self, msg: Float64MultiArray) -> None:
        self.commands_received += 1
        self.robot.set_command(self.command_joints, list(msg.data))

    def _step(self) -> None:
        self.robot.step()
        names, position, velocity = self.robot.joint_state()
        self.trace.append((self.robot.sim_time, position))
        msg = JointState(name=names, position=position, velocity=velocity)
        msg.header.stamp = self.get_clock().now().to_msg()
        self._publisher.publish(msg)


def serve(name: str, config_path: str, make_robot: Callable[[HardwareConfig], Any],
          make_node: Callable[[HardwareConfig, Any], Node]) -> None:
    """Load the config and the simulated robot (a bad one exits naming what is wrong), then spin its bridge node
    until shutdown; the simulator is closed on the way out."""
    import rclpy

    from robot_ac_ros.spin import spin_until_shutdown

    try:
        config = load_hardware_config(config_path)
        robot = make_robot(config)
    except RobotAcError as exc:
        raise SystemExit(f"{name}: error: {exc}") from exc
    rclpy.init()
    try:
        spin_until_shutdown(make_node(config, robot))
    finally:
        robot.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True, help="hardware config YAML of the simulated robot")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    serve("sim bridge", args.config, lambda config: make_sim_robot(config, args.device, args.seed), SimBridgeNode)


if __name__ == "__main__":
    sys.exit(main())
