"""A scripted reach expert: a proportional controller on the observed pose error, in the task's own action units.

It reads only what the policy reads (the hand's measured pose and the goal), so the ceiling it sets is one a robot
could reach; it teaches (``robot-ac train --task franka-reach --algo dagger --teacher expert``) and proves the task
solvable (tests)."""

from __future__ import annotations

import torch
from isaaclab.utils.math import axis_angle_from_quat, quat_inv, quat_mul
from tensordict import TensorDict

from sim.scripted_expert import ScriptedExpertModel


def expert_action_from_poses(pose: torch.Tensor, goal: torch.Tensor, *, position_scale: float,
                             rotation_scale: float) -> torch.Tensor:
    """(n, 6) actions in [-1, 1] that move ``pose`` (n, 7: position, x y z w) to ``goal``: the whole error in one
    step where the action's range allows, base-frame rotation as the controller composes it."""
    rotation = axis_angle_from_quat(quat_mul(goal[:, 3:], quat_inv(pose[:, 3:])))
    return torch.cat([(goal[:, :3] - pose[:, :3]) / position_scale, rotation / rotation_scale], dim=-1).clamp(-1, 1)


class ReachExpertModel(ScriptedExpertModel):
    """The expert as an rsl_rl model (a distillation teacher) on the policy group: the hand's pose at ``pose_at``,
    the goal at ``goal_at``."""

    def __init__(self, obs: TensorDict, obs_groups: dict[str, list[str]], obs_set: str, output_dim: int, *,
                 pose_at: int, goal_at: int, position_scale: float, rotation_scale: float) -> None:
        super().__init__(obs_groups, obs_set, output_dim, expected_dim=6)
        self.pose_at, self.goal_at = pose_at, goal_at
        self.position_scale, self.rotation_scale = position_scale, rotation_scale

    def forward(self, obs: TensorDict, masks: torch.Tensor | None = None, hidden_state=None,
                stochastic_output: bool = False) -> torch.Tensor:
        state = self.state(obs)
        pose, goal = state[:, self.pose_at:self.pose_at + 7], state[:, self.goal_at:self.goal_at + 7]
        return expert_action_from_poses(pose, goal, position_scale=self.position_scale,
                                        rotation_scale=self.rotation_scale)
