"""A scripted expert that reads the simulator's true state: align the peg's bottom over the hole, tilt the peg
upright, then go down. It proves a task variant solvable (tests), sets the ceiling a learned policy is compared
with, and teaches (``robot-ac train --algo dagger|bc --teacher expert``: :class:`PegExpertModel` reads the privileged
``critic`` group). It is not a policy a robot could run: it knows the in-hand pose exactly."""

from __future__ import annotations

import torch
from isaaclab.utils.math import axis_angle_from_quat, quat_apply, quat_inv, quat_mul
from tensordict import TensorDict

from sim.scripted_expert import ScriptedExpertModel

from sim.tasks.peg_insertion import mdp as peg_mdp
from sim.tasks.peg_insertion.settings import PegTaskSettings

ALIGNED = 0.0015
"""Lateral error (m) under which the expert descends into the hole."""
HOVER = 0.005
"""Clearance (m) the peg's bottom keeps above a socket's walls until aligned."""


def expert_action_from_state(peg_bottom: torch.Tensor, fixture_pose: torch.Tensor, peg_quat: torch.Tensor, *,
                             fixture_depth: float, position_scale: float, rotation_scale: float) -> torch.Tensor:
    """(n, 6) actions in [-1, 1] from the peg's bottom centre (n, 3), the fixture pose (n, 7: position, x y z w) and
    the peg's orientation (n, 4), all in one frame."""
    error = fixture_pose[:, :3] - peg_bottom
    if fixture_depth > 0:  # a socket: stay above its walls until over the hole (a plate needs no such care)
        aligned = torch.linalg.norm(error[:, :2], dim=-1) < ALIGNED
        hover = fixture_pose[:, 2] + fixture_depth + HOVER - peg_bottom[:, 2]
        error[:, 2] = torch.where(aligned, error[:, 2], hover)
    tilt = axis_angle_from_quat(quat_mul(fixture_pose[:, 3:], quat_inv(peg_quat)))
    return torch.cat([error / position_scale, tilt / rotation_scale], dim=-1).clamp(-1.0, 1.0)


def expert_action(env, settings: PegTaskSettings) -> torch.Tensor:
    """(num_envs, 6) actions for the ``ManagerBasedRLEnv`` ``env``, from its scene."""
    return expert_action_from_state(
        peg_mdp.peg_bottom_w(env, settings.peg.length), env.scene["fixture"].data.root_pose_w.torch,
        env.scene["peg"].data.root_pose_w.torch[:, 3:], fixture_depth=settings.fixture.depth,
        position_scale=settings.position_scale, rotation_scale=settings.rotation_scale)


class PegExpertModel(ScriptedExpertModel):
    """The expert as an rsl_rl model (a distillation teacher): the same actions, computed from the privileged
    observation group (the fixture's and the peg's poses at ``fixture_pose_at`` and ``peg_pose_at``)."""

    def __init__(self, obs: TensorDict, obs_groups: dict[str, list[str]], obs_set: str, output_dim: int, *,
                 fixture_pose_at: int, peg_pose_at: int, peg_length: float, fixture_depth: float,
                 position_scale: float, rotation_scale: float) -> None:
        super().__init__(obs_groups, obs_set, output_dim, expected_dim=6)
        self.fixture_pose_at, self.peg_pose_at = fixture_pose_at, peg_pose_at
        self.peg_length, self.fixture_depth = peg_length, fixture_depth
        self.position_scale, self.rotation_scale = position_scale, rotation_scale

    def forward(self, obs: TensorDict, masks: torch.Tensor | None = None, hidden_state=None,
                stochastic_output: bool = False) -> torch.Tensor:
        state = self.state(obs)
        fixture = state[:, self.fixture_pose_at:self.fixture_pose_at + 7]
        peg = state[:, self.peg_pose_at:self.peg_pose_at + 7]
        down = torch.tensor((0.0, 0.0, -self.peg_length / 2), device=state.device).expand(len(state), 3)
        bottom = peg[:, :3] + quat_apply(peg[:, 3:], down)
        return expert_action_from_state(bottom, fixture, peg[:, 3:].clone(), fixture_depth=self.fixture_depth,
                                        position_scale=self.position_scale, rotation_scale=self.rotation_scale)
