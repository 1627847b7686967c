"""A scripted expert that reads the simulator's true state: align the peg's bottom over the hole, tilt the peg
upright, then go down. It proves a task variant solvable (tests) and sets the ceiling a learned policy is compared
with; it is not a policy a robot could run (it knows the in-hand pose exactly)."""

from __future__ import annotations

import torch
from isaaclab.utils.math import axis_angle_from_quat, quat_inv, quat_mul

from sim.tasks.peg_insertion import mdp as peg_mdp
from sim.tasks.peg_insertion.settings import PegTaskSettings

ALIGNED = 0.0015
"""Lateral error (m) under which the expert descends into the hole."""
HOVER = 0.005
"""Clearance (m) the peg's bottom keeps above the fixture's walls until aligned."""


def expert_action(env, settings: PegTaskSettings) -> torch.Tensor:
    """(num_envs, 6) actions in [-1, 1] for the ``ManagerBasedRLEnv`` ``env``."""
    bottom = peg_mdp.peg_bottom_w(env, settings.peg.length)
    fixture = env.scene["fixture"].data.root_pose_w.torch
    peg_quat = env.scene["peg"].data.root_pose_w.torch[:, 3:]
    error = fixture[:, :3] - bottom
    aligned = torch.linalg.norm(error[:, :2], dim=-1) < ALIGNED
    hover = fixture[:, 2] + settings.fixture.depth + HOVER - bottom[:, 2]
    error[:, 2] = torch.where(aligned, error[:, 2], hover)
    tilt = axis_angle_from_quat(quat_mul(fixture[:, 3:], quat_inv(peg_quat)))
    return torch.cat([error / settings.position_scale, tilt / settings.rotation_scale], dim=-1).clamp(-1.0, 1.0)
