"""Terms of the locomotion task beyond Isaac Lab's shared ones (which ``env_cfg.py`` imports by name).

The positive kernels are mjlab 1.6's way of paying for standing well (its velocity task weights posture and
uprightness 1 + 1 beside tracking 2 + 2): each is 1 at the target and falls off as a Gaussian of the error with
width ``std``, so the reward has a gradient near the target that an L2 penalty, flat at zero error, lacks.
"""

from __future__ import annotations

import torch
from isaaclab.managers import SceneEntityCfg

ROBOT = SceneEntityCfg("robot")


def survived(env) -> torch.Tensor:
    """Success: the episode ran to its time limit without a fall."""
    return env.reset_time_outs & ~env.reset_terminated


def stood_at_height(nominal_height: float, tolerance: float):
    """Success of a standing task: the episode ran to its time limit without a fall, the base at the end within
    ``tolerance`` (m) of ``nominal_height`` above the ground."""

    def success(env) -> torch.Tensor:
        height = env.scene["robot"].data.root_pos_w[:, 2] - env.scene.env_origins[:, 2]
        return survived(env) & ((height - nominal_height).abs() <= tolerance)

    return success


def upright_kernel(env, std: float, asset_cfg: SceneEntityCfg = ROBOT) -> torch.Tensor:
    """exp(-|g_xy|² / std²): g is the unit gravity direction in the base frame, so |g_xy| = sin(tilt)."""
    gravity = env.scene[asset_cfg.name].data.projected_gravity_b
    return torch.exp(-gravity[:, :2].square().sum(dim=1) / std**2)


def posture_kernel(env, std: float, asset_cfg: SceneEntityCfg = ROBOT) -> torch.Tensor:
    """exp(-mean_j (q_j - q0_j)² / std²) over the asset's joints (rad): 1 in the default pose."""
    data = env.scene[asset_cfg.name].data
    error = data.joint_pos[:, asset_cfg.joint_ids] - data.default_joint_pos[:, asset_cfg.joint_ids]
    return torch.exp(-error.square().mean(dim=1) / std**2)


def base_height_kernel(env, target_height: float, std: float, asset_cfg: SceneEntityCfg = ROBOT) -> torch.Tensor:
    """exp(-(h - target)² / std²), h the base height above the env's ground (m)."""
    height = env.scene[asset_cfg.name].data.root_pos_w[:, 2] - env.scene.env_origins[:, 2]
    return torch.exp(-(height - target_height).square() / std**2)
