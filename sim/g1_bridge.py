"""Unitree G1 sim bridge: the simulated G1 behind the robot's own low-level interface, for rehearsal before the robot.

What a policy node sees is what a real G1 offers: ``unitree_hg/LowState`` on the config's ``topics.low_state``
(motors, the pelvis IMU, the remote's buttons, a ticking ``tick`` and ``mode_machine``, with its CRC) and
``unitree_hg/LowCmd`` taken on ``topics.command``. Each motor is driven as the G1's drivers drive it: in mode 1 a PD
towards ``q`` / ``dq`` with the ``kp`` / ``kd`` the command carries, plus ``tau``; in mode 0 no torque. A command
whose CRC is wrong is dropped, as the robot drops it. The scene is g1-stand's (Isaac Lab, Newton physics, the G1
on flat ground), stepped without the task's pushes or resets: a robot that falls stays down.

The bridge steps one control period per command received (lockstep: the simulator may be slower than real time)
and stamps ``tick`` with simulated milliseconds. Until the first command it steps every ``--idle-s`` of wall time
with zero torque, so the node has states to answer; after it, a node silent for 2 s lets the world go on with its
last command, so a stopped node does not freeze it. The operator's hands are
scripted: ``--press BUTTON@SECONDS`` holds a remote button for 0.2 s, and ``--harness-s`` keeps the pelvis in the
hoist (pinned at the standing height) that long, both counted in simulated time from the first command, as an
operator starts a G1 hung in its hoist and lowers it once the policy runs. ``--stiffness-scale`` and
``--delay-ticks`` make it a G1 whose actuators differ from what its commands say, for re-simulation tests. Its
``~/status`` (std_msgs/String, JSON) reports each step: simulated time, pelvis height, harness, CRC failures. Run::

    python -m sim.g1_bridge --config hardware_configs/unitree_g1.yaml --press start@1 --press A@4 --harness-s 4.5
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections import deque
from dataclasses import dataclass

import numpy as np
import torch
from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy
from std_msgs.msg import String

from robot_ac.contract.hardware_config import HardwareConfig
from robot_ac.deploy.unitree import lowcmd_crc, lowstate_crc, parse_presses, remote_bytes
from robot_ac.errors import RobotAcError
from robot_ac.tasks import EnvOptions, get_task
from sim.ros_bridge import serve

MODE_MACHINE = 5
"""The G1's model code in ``LowState.mode_machine`` (commands echo it)."""
PRESS_S = 0.2
IDLE_S = 0.1
STALLED_S = 2.0
GRAVITY = np.array([0.0, 0.0, -9.81])
HOIST_STIFFNESS, HOIST_DAMPING = 20000.0, 1500.0
"""N/m and N·s/m on the pelvis's position: the 33 kg G1 hangs 1.6 cm below its standing height."""
HOIST_ROT_STIFFNESS, HOIST_ROT_DAMPING = 300.0, 10.0
"""N·m/rad and N·m·s/rad on the pelvis's tilt and yaw."""


@dataclass
class MotorCommands:
    """One LowCmd's body motors as arrays over the G1's joints (motor order)."""

    enabled: np.ndarray
    q: np.ndarray
    dq: np.ndarray
    tau: np.ndarray
    kp: np.ndarray
    kd: np.ndarray

    @classmethod
    def zero_torque(cls, motors: int) -> MotorCommands:
        zeros = np.zeros(motors)
        return cls(np.zeros(motors, dtype=bool), zeros, zeros, zeros, zeros, zeros)

    @classmethod
    def from_lowcmd(cls, msg, motors: int) -> MotorCommands:
        fields = np.array([(m.mode, m.q, m.dq, m.tau, m.kp, m.kd) for m in msg.motor_cmd[:motors]], dtype=np.float64)
        return cls(fields[:, 0] == 1, *fields[:, 1:].T)


class G1SimRobot:
    """One G1 in g1-stand's scene, driven motor by motor, with an optional hoist and a modified actuator."""

    def __init__(self, seed: int = 0, device: str = "cpu", stiffness_scale: float = 1.0, delay_ticks: int = 0
                 ) -> None:
        from sim.robots import g1

        self.env = get_task("g1-stand").make_gym_env(EnvOptions(num_envs=1, device=device, seed=seed))
        self.env.reset()
        self.robot = self.env.scene["robot"]
        if list(self.robot.joint_names) != g1.JOINT_NAMES:
            raise RobotAcError(f"g1 bridge: the simulated G1's joints {self.robot.joint_names} are not in Unitree's "
                               "motor order")
        self.joint_names = list(g1.JOINT_NAMES)
        self.motors = len(self.joint_names)
        self.control_period_s = self.env.step_dt
        self.physics_dt = self.env.physics_dt
        self.decimation = self.env.cfg.decimation
        self.stiffness_scale, self.delay_ticks = stiffness_scale, delay_ticks
        self.sim_time = 0.0
        self._pending: deque[MotorCommands] = deque(maxlen=delay_ticks + 1)
        self._gains: tuple[np.ndarray, np.ndarray] | None = None
        self._standing_pose = self.robot.data.default_root_pose.torch.clone()
        self._standing_pose[:, :3] += self.env.scene.env_origins
        self.robot.write_joint_state_to_sim_index(position=self.robot.data.default_joint_pos.torch.clone(),
                                                  velocity=torch.zeros_like(self.robot.data.default_joint_vel.torch))
        self._velocity = self.robot.data.root_com_lin_vel_w.torch[0].cpu().numpy().copy()
        self._acceleration = np.zeros(3)

    def _hoist(self, holding: bool) -> None:
        """The hoist's pull on the pelvis: a spring-damper to the standing pose (the rope only pulls up), off once
        released. Forces, not a teleport: the G1 hangs in it and its joints move freely."""
        force, torque = torch.zeros(1, 1, 3, device=self.env.device), torch.zeros(1, 1, 3, device=self.env.device)
        if holding:
            data = self.robot.data
            offset = data.root_pos_w.torch[0] - self._standing_pose[0, :3]
            force[0, 0] = -HOIST_STIFFNESS * offset - HOIST_DAMPING * data.root_com_lin_vel_w.torch[0]
            force[0, 0, 2] = force[0, 0, 2].clamp(min=0.0)
            x, y, z, w = data.root_quat_w.torch[0]
            tilt = 2.0 * torch.stack([x, y, z]) * torch.sign(w)  # small-angle rotation vector from upright
            torque[0, 0] = -HOIST_ROT_STIFFNESS * tilt - HOIST_ROT_DAMPING * data.root_ang_vel_w.torch[0]
        self.robot.permanent_wrench_composer.set_forces_and_torques_index(forces=force, torques=torque, body_ids=[0],
                                                                          env_ids=[0], is_global=True)

    def step(self, command: MotorCommands, harnessed: bool) -> None:
        """One control period under ``command`` (applied ``delay_ticks`` periods late); the hoist pins the pelvis."""
        self._pending.append(command)
        applied = self._pending[0] if len(self._pending) > self.delay_ticks else MotorCommands.zero_torque(self.motors)
        enabled = applied.enabled
        as_tensor = lambda values: torch.as_tensor(np.where(enabled, values, 0.0)[None], dtype=torch.float32,  # noqa: E731
                                                   device=self.env.device)
        robot = self.robot
        gains = np.where(enabled, applied.kp * self.stiffness_scale, 0.0), np.where(enabled, applied.kd, 0.0)
        if self._gains is None or not all(np.array_equal(a, b) for a, b in zip(gains, self._gains)):
            # A gain change makes the solver rebuild its model (milliseconds): only when the command's gains change.
            robot.write_joint_stiffness_to_sim_index(stiffness=as_tensor(gains[0]))
            robot.write_joint_damping_to_sim_index(damping=as_tensor(gains[1]))
            self._gains = gains
        robot.set_joint_position_target_index(target=as_tensor(applied.q))
        robot.set_joint_velocity_target_index(target=as_tensor(applied.dq))
        robot.set_joint_effort_target_index(target=as_tensor(applied.tau))
        for _ in range(self.decimation):
            self._hoist(harnessed)
            self.env.scene.write_data_to_sim()
            self.env.sim.step(render=False)
            self.env.scene.update(dt=self.physics_dt)
        self.sim_time += self.control_period_s
        velocity = robot.data.root_com_lin_vel_w.torch[0].cpu().numpy()
        self._acceleration = (velocity - self._velocity) / self.control_period_s
        self._velocity = velocity.copy()

    def motor_state(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Joint positions (rad), velocities (rad/s) and the torques the drives applied (N·m), motor order."""
        data = self.robot.data
        return tuple(x.torch[0].cpu().numpy().astype(np.float64) for x in (data.joint_pos, data.joint_vel,
                                                                         data.applied_torque))

    def imu(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The pelvis IMU as the G1 reports it: orientation (w, x, y, z), gyro (rad/s, pelvis frame), specific
        force (m/s², pelvis frame: +9.81 up at rest)."""
        data = self.robot.data
        x, y, z, w = data.root_quat_w.torch[0].cpu().numpy().astype(np.float64)
        rotation = np.array([[1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
                             [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
                             [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)]])
        gyro = data.root_ang_vel_b.torch[0].cpu().numpy().astype(np.float64)
        return np.array([w, x, y, z]), gyro, rotation.T @ (self._acceleration - GRAVITY)

    def pelvis_height(self) -> float:
        return float(self.robot.data.root_pos_w.torch[0, 2] - self.env.scene.env_origins[0, 2])

    def close(self) -> None:
        self.env.close()


class G1BridgeNode(Node):
    def __init__(self, config: HardwareConfig, robot: G1SimRobot, presses: list[tuple[str, float]] = (),
                 harness_s: float = 0.0, idle_s: float = IDLE_S, node_name: str = "g1_bridge", **kwargs) -> None:
        from unitree_hg.msg import LowCmd, LowState

        super().__init__(node_name, **kwargs)
        if config.command_interface != "unitree_lowcmd" or not config.topics.low_state:
            raise RobotAcError("g1 bridge: the hardware config must be a unitree_lowcmd config with topics.low_state")
        if config.joint_names != robot.joint_names:
            raise RobotAcError(f"g1 bridge: the config's joints are not the G1's in motor order ({robot.joint_names})")
        self.robot, self.presses, self.harness_s, self.idle_s = robot, list(presses), harness_s, idle_s
        self._low_state_type = LowState
        self._command = MotorCommands.zero_torque(robot.motors)
        self._first_command_s: float | None = None
        """Simulated time of the first valid command: the operator's script counts from there."""
        self._last_step = time.monotonic()
        self.crc_bad = self.commands = self.tick = 0
        self._state_pub = self.create_publisher(LowState, config.topics.low_state,
                                                QoSProfile(depth=1, reliability=ReliabilityPolicy.BEST_EFFORT))
        self._status_pub = self.create_publisher(String, "~/status", QoSProfile(depth=10))
        self.create_subscription(LowCmd, config.topics.command, self._on_command, QoSProfile(depth=10))
        self.create_timer(idle_s / 2, self._idle)
        self._publish_state()

    def _script_time(self) -> float:
        return -math.inf if self._first_command_s is None else self.robot.sim_time - self._first_command_s

    def _on_command(self, msg) -> None:
        self.commands += 1
        if msg.crc != lowcmd_crc(msg):
            self.crc_bad += 1
            return
        if self._first_command_s is None:
            self._first_command_s = self.robot.sim_time
        self._command = MotorCommands.from_lowcmd(msg, self.robot.motors)
        self._step()

    def _idle(self) -> None:
        """Before the first command the world runs at the idle rate; after it, only a node silent for
        :data:`STALLED_S` lets the world go on without it (a slow answer must not turn into a delayed command)."""
        silence = time.monotonic() - self._last_step
        if silence >= (self.idle_s if self._first_command_s is None else STALLED_S):
            self._step()

    def _step(self) -> None:
        self._last_step = time.monotonic()
        harnessed = self._script_time() < self.harness_s
        self.robot.step(self._command, harnessed)
        self.tick += round(self.robot.control_period_s * 1000)
        self._publish_state()
        self._status_pub.publish(String(data=json.dumps({
            "sim_time": round(self.robot.sim_time, 4), "script_time": round(self._script_time(), 4),
            "pelvis_height": round(self.robot.pelvis_height(), 4), "harnessed": harnessed,
            "commands": self.commands, "crc_bad": self.crc_bad})))

    def _publish_state(self) -> None:
        state = self._low_state_type()
        state.mode_machine, state.tick = MODE_MACHINE, self.tick
        q, dq, tau = self.robot.motor_state()
        for motor, (qi, dqi, taui) in zip(state.motor_state, zip(q, dq, tau)):
            motor.mode, motor.q, motor.dq, motor.tau_est = 1, float(qi), float(dqi), float(taui)
        quaternion, gyro, accelerometer = self.robot.imu()
        imu = state.imu_state
        imu.quaternion, imu.gyroscope, imu.accelerometer = quaternion.tolist(), gyro.tolist(), accelerometer.tolist()
        now = self._script_time()
        state.wireless_remote = remote_bytes({b for b, at in self.presses if at <= now < at + PRESS_S})
        state.crc = lowstate_crc(state)
        self._state_pub.publish(state)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True, help="hardware config YAML of the G1 (command_interface "
                        "unitree_lowcmd)")
    parser.add_argument("--press", action="append", default=[], metavar="BUTTON@SECONDS",
                        help=f"hold a remote button for {PRESS_S} s, simulated seconds after the first command")
    parser.add_argument("--harness-s", type=float, default=0.0,
                        help="keep the pelvis in the hoist this long after the first command (inf: always)")
    parser.add_argument("--stiffness-scale", type=float, default=1.0, help="the drives' kp = this x the command's")
    parser.add_argument("--delay-ticks", type=int, default=0, help="commands take effect this many periods late")
    parser.add_argument("--idle-s", type=float, default=IDLE_S)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        presses = parse_presses(args.press)
    except RobotAcError as exc:
        parser.error(str(exc))
    serve("g1 bridge", args.config,
          lambda config: G1SimRobot(args.seed, args.device, args.stiffness_scale, args.delay_ticks),
          lambda config, robot: G1BridgeNode(config, robot, presses, args.harness_s, args.idle_s))


if __name__ == "__main__":
    sys.exit(main())
