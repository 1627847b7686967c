"""Terms of the reach task beyond Isaac Lab's shared ones (which ``env_cfg.py`` imports by name): success, the
orientation kernel, and the end effector's pose and velocity (task-space variant)."""

from __future__ import annotations

import torch


def goal_reached(env) -> torch.Tensor:
    """Success: the episode ended because the end effector reached its goal pose."""
    return env.termination_manager.get_term("success")


def orientation_command_error_tanh(env, command_name: str, asset_cfg, std: float) -> torch.Tensor:
    """1 at the commanded orientation, falling to 0 a few ``std`` (rad) away: the pull that the orientation
    penalty alone gives too weakly near the goal, where the success threshold (0.2 rad) is."""
    import isaaclab.envs.mdp as mdp

    return 1.0 - torch.tanh(mdp.orientation_command_error(env, command_name, asset_cfg) / std)


def body_pose(env, asset_cfg) -> torch.Tensor:
    """Pose of ``asset_cfg``'s body in the robot base frame (base at the env origin, not rotated): position (m)
    relative to the env origin, orientation (x, y, z, w)."""
    robot = env.scene[asset_cfg.name]
    pose = robot.data.body_link_pose_w.torch[:, asset_cfg.body_ids[0]]
    return torch.cat([pose[:, :3] - env.scene.env_origins, pose[:, 3:]], dim=-1)


def body_velocity(env, asset_cfg) -> torch.Tensor:
    """Linear (m/s) and angular (rad/s) velocity of ``asset_cfg``'s body, base-frame axes."""
    return env.scene[asset_cfg.name].data.body_link_vel_w.torch[:, asset_cfg.body_ids[0]]


def pose_command_in_hemisphere(env, command_name: str, reference: tuple[float, float, float, float]) -> torch.Tensor:
    """The goal pose (position, x y z w) with its quaternion's sign chosen nearest ``reference``: ``q`` and ``-q``
    are the same rotation, and a robot's goal source cannot know which one the command generator happened to give
    (pointing-down goals have w = 0, so not even ``w >= 0`` decides)."""
    command = env.command_manager.get_command(command_name).clone()
    reference_q = torch.tensor(reference, device=command.device, dtype=command.dtype)
    flip = (command[:, 3:] @ reference_q) < 0
    command[flip, 3:] = -command[flip, 3:]
    return command
