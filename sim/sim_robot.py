"""A simulated robot with a real robot's interface: joint states out, joint commands in, by joint name.

The ROS 2 sim bridge (``sim/ros_bridge.py``) puts this behind the same topics a physical robot uses, so a deployed
policy node cannot tell the difference. One environment, episodes that never time out.
"""

from __future__ import annotations

import numpy as np
import torch

from robot_ac.tasks import EnvOptions

LONG_EPISODE_S = 1.0e6
"""Effectively no time limit: a robot does not reset itself every few seconds."""
START_SPREAD = {"cart_position": (-0.2, 0.2), "cart_velocity": (0.0, 0.0), "pole_angle": (-0.1, 0.1),
                "pole_velocity": (0.0, 0.0)}
"""A robot switched on near its rest pose (training starts from up to ±45° to make the policy robust)."""


class CartpoleSimRobot:
    """Isaac Lab's cartpole (1 env) driven by a cart effort in N, like a ros2_control effort forward controller."""

    command_joints = ["slider_to_cart"]

    def __init__(self, device: str = "cpu", seed: int = 0) -> None:
        from isaaclab_tasks.core.cartpole.cartpole_direct_env import CartpoleEnv

        from sim.tasks.cartpole.env_cfg import make_env_cfg

        cfg = make_env_cfg(EnvOptions(num_envs=1, device=device, seed=seed))
        cfg.episode_length_s = LONG_EPISODE_S
        cfg.initial_cart_position_range = START_SPREAD["cart_position"]
        cfg.initial_cart_velocity_range = START_SPREAD["cart_velocity"]
        cfg.initial_pole_angle_range = START_SPREAD["pole_angle"]
        cfg.initial_pole_velocity_range = START_SPREAD["pole_velocity"]
        self.env = CartpoleEnv(cfg)
        self.env.reset()
        self.robot = self.env.scene["cartpole"]
        self.joint_names = list(self.robot.joint_names)
        self.control_period_s = self.env.step_dt
        self.sim_time = 0.0
        self.resets = 0
        """Episodes the simulator ended (cart off the track): a balancing policy keeps this at 0."""
        self._effort = torch.zeros(1, 1, device=self.env.device)

    def set_command(self, joint_names: list[str], values: list[float]) -> None:
        effort = dict(zip(joint_names, values)).get("slider_to_cart")
        if effort is not None:
            self._effort[0, 0] = effort / self.env.cfg.action_scale

    def set_state(self, positions, velocities) -> None:
        """Teleport the joints (rad, m; rad/s, m/s in ``joint_names`` order); the next step starts from there."""
        position = torch.as_tensor(np.asarray(positions, dtype=np.float32), device=self.env.device)[None]
        velocity = torch.as_tensor(np.asarray(velocities, dtype=np.float32), device=self.env.device)[None]
        self.robot.write_joint_position_to_sim_index(position=position)
        self.robot.write_joint_velocity_to_sim_index(velocity=velocity)

    def step(self) -> None:
        """Advance one control period with the latest command."""
        _, _, terminated, truncated, _ = self.env.step(self._effort)
        self.resets += int(terminated.sum() + truncated.sum())
        self.sim_time += self.control_period_s

    def joint_state(self) -> tuple[list[str], list[float], list[float]]:
        data = self.robot.data
        return (self.joint_names, data.joint_pos.torch[0].tolist(), data.joint_vel.torch[0].tolist())

    def close(self) -> None:
        self.env.close()


SIM_ROBOTS = {"cartpole": CartpoleSimRobot}
"""Hardware config ``robot`` -> simulated robot class."""


def make_sim_robot(config, device: str = "cpu", seed: int = 0) -> CartpoleSimRobot:
    """The simulated twin of the robot a hardware config describes."""
    from robot_ac.errors import RobotAcError

    if config.robot not in SIM_ROBOTS:
        raise RobotAcError(f"no simulated robot for '{config.robot}' (available: {sorted(SIM_ROBOTS)})")
    return SIM_ROBOTS[config.robot](device=device, seed=seed)
