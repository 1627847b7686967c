"""Baseline for `robot-ac bench deploy`: the least a policy node can do. A plain rclpy node that runs the same ONNX
policy on every JointState (observation by a fixed index map, no checks, no supervisor) and publishes the result;
with ``--cartesian``, on every measured PoseStamped (pose, zero twist, last action), publishing the composed target.
With ``--lowcmd``, no policy: what a G1 driver must do at least, a LowCmd filled from each LowState on /lowstate (the
29 motors in mode 1 at the measured q, fixed gains, mode_machine echoed) with its CRC, on /lowcmd.

Its own process: ``python -m benchmarks.deploy_echo --policy EXPORT --state-topic T --command-topic T``, or
``python -m benchmarks.deploy_echo --lowcmd``."""

from __future__ import annotations

import argparse

import numpy as np
import onnxruntime as ort
import rclpy
from rclpy.node import Node
from geometry_msgs.msg import PoseStamped
from rclpy.qos import QoSProfile
from sensor_msgs.msg import JointState
from std_msgs.msg import Float64MultiArray

from robot_ac.contract.manifest import load_manifest
from robot_ac.deploy.pose import apply_delta_pose
from robot_ac.deploy.unitree import lowcmd_crc
from robot_ac_ros.spin import spin_until_shutdown


BODY_MOTORS = 29


class EchoPolicyNode(Node):
    def __init__(self, export_dir: str, state_topic: str, command_topic: str, cartesian: bool = False) -> None:
        super().__init__("bench_echo")
        manifest = load_manifest(f"{export_dir}/manifest.json")
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        self.session = ort.InferenceSession(f"{export_dir}/{manifest.policy.onnx}", options,
                                            providers=["CPUExecutionProvider"])
        self.input_name, self.output_name = manifest.policy.input_name, manifest.policy.output_name
        self.previous = np.zeros(manifest.interface.action_size, dtype=np.float32)
        self.scale = np.asarray(manifest.interface.action.scale)
        kind, handler = (PoseStamped, self.on_pose) if cartesian else (JointState, self.on_state)
        self.publisher = self.create_publisher(PoseStamped if cartesian else Float64MultiArray, command_topic,
                                               QoSProfile(depth=1))
        self.create_subscription(kind, state_topic, handler, QoSProfile(depth=1))

    def on_state(self, msg: JointState) -> None:
        obs = np.concatenate([msg.position, msg.velocity, self.previous]).astype(np.float32)[None]
        self.previous = self.session.run([self.output_name], {self.input_name: obs})[0][0]
        self.publisher.publish(Float64MultiArray(data=self.previous.astype(np.float64).tolist()))

    def on_pose(self, msg: PoseStamped) -> None:
        p, q = msg.pose.position, msg.pose.orientation
        pose = np.array([p.x, p.y, p.z, q.x, q.y, q.z, q.w])
        obs = np.concatenate([pose, np.zeros(6), self.previous]).astype(np.float32)[None]
        self.previous = self.session.run([self.output_name], {self.input_name: obs})[0][0]
        target = apply_delta_pose(pose[:3], pose[3:], self.scale * np.clip(self.previous, -1.0, 1.0))
        out = PoseStamped()
        out.header = msg.header
        out.pose.position.x, out.pose.position.y, out.pose.position.z = (float(v) for v in target[:3])
        o = out.pose.orientation
        o.x, o.y, o.z, o.w = (float(v) for v in target[3:])
        self.publisher.publish(out)


class EchoLowCmdNode(Node):
    """LowState in, LowCmd out: one preallocated message refilled from each state, its CRC, published."""

    def __init__(self, state_topic: str = "/lowstate", command_topic: str = "/lowcmd") -> None:
        super().__init__("bench_echo")
        from rclpy.qos import ReliabilityPolicy, qos_profile_sensor_data
        from unitree_hg.msg import LowCmd, LowState

        self.command = LowCmd()
        for motor in self.command.motor_cmd[:BODY_MOTORS]:
            motor.mode, motor.kp, motor.kd = 1, 40.0, 1.0
        self.publisher = self.create_publisher(LowCmd, command_topic,
                                               QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE))
        self.create_subscription(LowState, state_topic, self.on_low_state, qos_profile_sensor_data)

    def on_low_state(self, msg) -> None:
        command = self.command
        command.mode_machine = msg.mode_machine
        for motor, state in zip(command.motor_cmd[:BODY_MOTORS], msg.motor_state[:BODY_MOTORS]):
            motor.q = state.q
        command.crc = lowcmd_crc(command)
        self.publisher.publish(command)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policy")
    parser.add_argument("--state-topic")
    parser.add_argument("--command-topic")
    parser.add_argument("--cartesian", action="store_true", help="PoseStamped in and out (ee_pose_delta policies)")
    parser.add_argument("--lowcmd", action="store_true", help="unitree_hg LowState in, LowCmd with its CRC out")
    args = parser.parse_args()
    if not args.lowcmd and not (args.policy and args.state_topic and args.command_topic):
        parser.error("--policy, --state-topic and --command-topic are required (but with --lowcmd)")
    rclpy.init()
    if args.lowcmd:
        spin_until_shutdown(EchoLowCmdNode(args.state_topic or "/lowstate", args.command_topic or "/lowcmd"))
    else:
        spin_until_shutdown(EchoPolicyNode(args.policy, args.state_topic, args.command_topic, args.cartesian))


if __name__ == "__main__":
    main()
