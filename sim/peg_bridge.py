"""Franka peg sim bridge: the simulated peg scene behind the topics of a Cartesian Franka's hardware config.

What a policy node sees is what ``hardware_configs/franka_gelsight.yaml`` names on the real set-up: the measured TCP
pose (``PoseStamped``, best effort), the arm's and the gripper's ``JointState``, both GelSight pads as
``sensor_msgs/Image`` (rgb8) and the perceived fixture position on the goal topic; TCP targets (``PoseStamped``) go
into the simulator's task-space impedance controller, the one the policy trained with. The bridge steps the
simulator once per target received (lockstep: the sim may run slower than real time) and stamps its messages with
its own clock (simulated time, plus the time it spends paused at rest), so velocities computed from stamps are the
simulator's.

Episodes are the operator's, as on a robot: between them the bridge idles (publishes its state, ignores targets, the
pads show the untouched gel so the node can take its tactile reference); ``~/start_episode`` (std_srvs/Trigger)
arms one episode of the task's length (its state is published at rest until the first target arrives), whose result goes out on ``~/episode_result`` (std_msgs/String, JSON:
``{"episode", "seated", "steps"}``). Run::

    python -m sim.peg_bridge --config hardware_configs/franka_gelsight.yaml --task franka-peg-place
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np
import torch
from geometry_msgs.msg import PoseStamped
from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import Image, JointState
from std_msgs.msg import Float64MultiArray, String
from std_srvs.srv import Trigger

from robot_ac.contract.hardware_config import HardwareConfig
from robot_ac.deploy.pose import rotation_between
from robot_ac.errors import RobotAcError
from robot_ac.tasks import EnvOptions, get_task
from sim.ros_bridge import serve

IDLE_RATE_HZ = 60.0


class FrankaPegSimRobot:
    """One env of a peg task: the TCP pose, joints and pad images out; a TCP pose target in, stepped through the
    task's operational-space action (the target becomes the action that composes to it)."""

    def __init__(self, task: str, seed: int = 0, device: str = "cpu") -> None:
        from sim.tasks.peg_insertion import mdp as peg_mdp
        from sim.tasks.peg_insertion.config.franka import HARDWARE_TACTILE_NAMES, SETTINGS
        from sim.tasks.peg_insertion.settings import EPISODE_STEPS, TACTILE_SENSORS

        spec = get_task(task)
        settings = SETTINGS[task]
        if settings.privileged_policy or settings.tactile == "force_field":
            raise RobotAcError(f"peg bridge: task '{task}' has no robot-side view (use the image student's task)")
        self.env = spec.make_gym_env(EnvOptions(num_envs=1, device=device, seed=seed))
        # The first step builds what a step needs (seconds); a robot does not pause like that mid-episode.
        self.env.reset()
        self.env.step(torch.zeros(1, 6, device=self.env.device))
        self.env.reset()
        self._mdp = peg_mdp
        self.episode_steps = EPISODE_STEPS
        self.pads = {HARDWARE_TACTILE_NAMES[name]: name for name in TACTILE_SENSORS}
        self._scale = np.array([settings.position_scale] * 3 + [settings.rotation_scale] * 3)
        offsets, at = {}, 0
        for term in spec.interface.observations:
            offsets[term.name] = slice(at, at + term.size)
            at += term.size
        self._fixture_slice = offsets["fixture_position"]
        self.robot = self.env.scene["robot"]
        self.joint_names = list(self.robot.joint_names)
        self.control_period_s = self.env.step_dt

    def tcp_pose(self) -> np.ndarray:
        """``[x, y, z, qx, qy, qz, qw]`` of the TCP in the robot base frame."""
        return self._mdp.tcp_pose(self.env)[0].double().cpu().numpy()

    def fixture_estimate(self) -> np.ndarray:
        """The perceived fixture position this episode (true position plus the episode's perception error)."""
        return self.env.obs_buf["policy"][0, self._fixture_slice].double().cpu().numpy()

    def joint_state(self) -> tuple[list[str], np.ndarray, np.ndarray]:
        data = self.robot.data
        return self.joint_names, data.joint_pos.torch[0].cpu().numpy(), data.joint_vel.torch[0].cpu().numpy()

    def image(self, pad: str, touched: bool = True) -> np.ndarray:
        """[H, W, 3] uint8 RGB of a pad (``touched=False``: the untouched gel)."""
        sensor = self.env.scene[self.pads[pad]]
        return np.asarray(sensor.data.rgb[0].cpu().numpy() if touched else sensor.no_contact_image, dtype=np.uint8)

    def action_for(self, target: np.ndarray) -> np.ndarray:
        """The action whose delta on the current TCP pose is ``target`` (what the sim's controller composes)."""
        current = self.tcp_pose()
        delta = np.concatenate([target[:3] - current[:3], rotation_between(current[3:], target[3:])])
        return delta / self._scale

    def step(self, target: np.ndarray) -> tuple[bool, bool]:
        """One control period towards ``target``; returns (episode ended, seated at its end)."""
        action = torch.as_tensor(self.action_for(target), dtype=torch.float32, device=self.env.device)[None]
        _, _, terminated, truncated, _ = self.env.step(action.clamp(-1.0, 1.0))
        ended = bool(terminated[0] or truncated[0])
        return ended, ended and bool(self._mdp.task_success(self.env)[0])

    def close(self) -> None:
        self.env.close()


class PegBridgeNode(Node):
    def __init__(self, config: HardwareConfig, robot: FrankaPegSimRobot, node_name: str = "peg_bridge",
                 **kwargs) -> None:
        super().__init__(node_name, **kwargs)
        topics = config.topics
        if config.cartesian is None or not topics.ee_pose:
            raise RobotAcError("peg bridge: the hardware config must be a cartesian_pose config with topics.ee_pose")
        self.config, self.robot = config, robot
        self.running = False
        self.episode, self.steps = 0, 0
        self.results: list[dict] = []
        self._stamp_origin = time.time()
        self._clock_s = 0.0
        """The bridge's clock: simulated time while stepping, wall time at rest (between episodes, before the first
        target of one)."""
        self._last_publish = -float("inf")
        best_effort = QoSProfile(depth=1, reliability=ReliabilityPolicy.BEST_EFFORT)
        self._pose_pub = self.create_publisher(PoseStamped, topics.ee_pose, best_effort)
        self._joint_pub = self.create_publisher(JointState, topics.joint_states, QoSProfile(depth=1))
        self._gripper_pub = self.create_publisher(JointState, topics.gripper, QoSProfile(depth=1)) \
            if topics.gripper else None
        self._goal_pub = self.create_publisher(Float64MultiArray, topics.goal, QoSProfile(depth=1)) \
            if topics.goal else None
        self._image_pubs = {pad: self.create_publisher(Image, topic, best_effort)
                            for pad, topic in topics.tactile.items() if pad in robot.pads}
        self._result_pub = self.create_publisher(String, "~/episode_result", QoSProfile(depth=10))
        self.create_subscription(PoseStamped, topics.command, self._on_target, QoSProfile(depth=1))
        self.create_service(Trigger, "~/start_episode", self._start_episode)
        self.create_timer(1.0 / IDLE_RATE_HZ, self._idle)
        self._fingers = config.cartesian.gripper_joints

    def _start_episode(self, request: Trigger.Request, response: Trigger.Response) -> Trigger.Response:
        response.success = not self.running
        response.message = "already running" if self.running else f"episode {self.episode} started"
        if not self.running:
            self.running, self.steps = True, 0
            self._publish_state()
        return response

    def _on_target(self, msg: PoseStamped) -> None:
        if not self.running:
            return
        p, q = msg.pose.position, msg.pose.orientation
        target = np.array([p.x, p.y, p.z, q.x, q.y, q.z, q.w])
        if not np.isfinite(target).all() or np.linalg.norm(target[3:]) < 0.5:
            self.get_logger().error(f"target {target.tolist()} is not a finite pose: ignored")
            return
        target[3:] /= np.linalg.norm(target[3:])
        ended, seated = self.robot.step(target)
        self._clock_s += self.robot.control_period_s
        self.steps += 1
        if ended:
            result = {"episode": self.episode, "seated": seated, "steps": self.steps}
            self.results.append(result)
            self._result_pub.publish(String(data=json.dumps(result)))
            self.running, self.episode = False, self.episode + 1
        self._publish_state()

    def _idle(self) -> None:
        """At rest (between episodes, or armed and waiting for the first target) the state goes out at the control
        rate; while an episode steps, only after each step."""
        at_rest = not self.running or self.steps == 0
        if at_rest and time.monotonic() - self._last_publish >= 1.0 / IDLE_RATE_HZ:
            self._clock_s += 1.0 / IDLE_RATE_HZ
            self._publish_state()

    def _publish_state(self) -> None:
        self._last_publish = time.monotonic()
        stamp_s = self._stamp_origin + self._clock_s
        stamp = self.get_clock().now().to_msg()
        stamp.sec, stamp.nanosec = int(stamp_s), int((stamp_s % 1.0) * 1e9)
        names, position, velocity = self.robot.joint_state()
        arm = [i for i, n in enumerate(names) if n not in self._fingers]
        joints = JointState(name=[names[i] for i in arm], position=position[arm].tolist(),
                            velocity=velocity[arm].tolist())
        joints.header.stamp = stamp
        self._joint_pub.publish(joints)
        if self._gripper_pub is not None:
            fingers = [names.index(n) for n in self._fingers]
            self._gripper_pub.publish(JointState(name=list(self._fingers), position=position[fingers].tolist()))
        if self._goal_pub is not None:
            self._goal_pub.publish(Float64MultiArray(data=self.robot.fixture_estimate().tolist()))
        for pad, publisher in self._image_pubs.items():
            rgb = self.robot.image(pad, touched=self.running)
            frame = Image(height=rgb.shape[0], width=rgb.shape[1], encoding="rgb8", step=rgb.shape[1] * 3,
                          data=rgb.tobytes())
            frame.header.stamp = stamp
            publisher.publish(frame)
        pose = self.robot.tcp_pose()  # last: a node stepping on poses has everything else of this step
        msg = PoseStamped()
        msg.header.stamp, msg.header.frame_id = stamp, self.config.cartesian.base_frame
        msg.pose.position.x, msg.pose.position.y, msg.pose.position.z = (float(v) for v in pose[:3])
        o = msg.pose.orientation
        o.x, o.y, o.z, o.w = (float(v) for v in pose[3:])
        self._pose_pub.publish(msg)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True, help="hardware config YAML of the Cartesian Franka")
    parser.add_argument("--task", default="franka-peg-place", help="peg task whose scene to simulate")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    serve("peg bridge", args.config, lambda config: FrankaPegSimRobot(args.task, args.seed, args.device),
          PegBridgeNode)


if __name__ == "__main__":
    sys.exit(main())
