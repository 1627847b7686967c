"""A real robot's fitted actuators in a training env (``robot-ac train --randomize-from REPORT/summary.json``).

:func:`apply_actuator_randomization` edits a manager-based env config with the ranges of a
:class:`robot_ac.randomization.ActuatorRandomization`: every reset draws each joint's stiffness and damping as a
uniform scale of the gains the robot config gives it, start-up draws each joint's friction, and the joint-position
action reaches the robot a uniform draw of whole control ticks late, fixed per episode. Joints the report does not
name keep their gains.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields

import torch
from isaaclab.envs.mdp.actions.actions_cfg import JointPositionActionCfg
from isaaclab.envs.mdp.actions.joint_actions import JointPositionAction
from isaaclab.managers import EventTermCfg, ManagerTermBase, SceneEntityCfg
from isaaclab.utils import configclass

from robot_ac.errors import RobotAcError
from robot_ac.randomization import ActuatorRandomization
from sim.tasks.curriculum import env_indices

ROBOT = SceneEntityCfg("robot")


def _joint_ranges(env, asset_cfg: SceneEntityCfg, ranges: dict[str, dict[str, tuple[float, float]]], quantity: str
                  ) -> tuple[list[int], torch.Tensor, torch.Tensor]:
    """Joint indices of the report's joints and the low / high of ``quantity`` for each, [joints] tensors."""
    names = list(env.scene[asset_cfg.name].joint_names)
    unknown = sorted(set(ranges) - set(names))
    if unknown:
        raise RobotAcError(f"--randomize-from: joints {unknown} are not the robot's ({names})")
    ids = [names.index(name) for name in ranges]
    low, high = (torch.tensor([ranges[name][quantity][i] for name in ranges], device=env.device) for i in (0, 1))
    return ids, low, high


def _uniform(low: torch.Tensor, high: torch.Tensor, count: int) -> torch.Tensor:
    return low + torch.rand(count, low.numel(), device=low.device) * (high - low)


class randomize_actuator_scales(ManagerTermBase):
    """Reset event: each joint's stiffness and damping, a uniform scale of its configured gains."""

    def __init__(self, cfg: EventTermCfg, env) -> None:
        super().__init__(cfg, env)
        asset_cfg, ranges = cfg.params["asset_cfg"], cfg.params["ranges"]
        self.asset = env.scene[asset_cfg.name]
        self.joint_ids, *self.stiffness = _joint_ranges(env, asset_cfg, ranges, "stiffness_scale")
        _, *self.damping = _joint_ranges(env, asset_cfg, ranges, "damping_scale")
        self.nominal_stiffness = self.asset.data.joint_stiffness.torch[:, self.joint_ids].clone()
        self.nominal_damping = self.asset.data.joint_damping.torch[:, self.joint_ids].clone()

    def __call__(self, env, env_ids, asset_cfg: SceneEntityCfg, ranges: dict) -> None:
        ids = env_indices(env, env_ids)
        stiffness = self.nominal_stiffness[ids] * _uniform(*self.stiffness, len(ids))
        damping = self.nominal_damping[ids] * _uniform(*self.damping, len(ids))
        self.asset.write_joint_stiffness_to_sim_index(stiffness=stiffness, joint_ids=self.joint_ids, env_ids=ids)
        self.asset.write_joint_damping_to_sim_index(damping=damping, joint_ids=self.joint_ids, env_ids=ids)


def randomize_joint_friction(env, env_ids, asset_cfg: SceneEntityCfg, ranges: dict) -> None:
    """Start-up event: each joint's Coulomb friction (N·m), uniform in its range."""
    ids = env_indices(env, env_ids)
    joint_ids, low, high = _joint_ranges(env, asset_cfg, ranges, "coulomb_friction")
    env.scene[asset_cfg.name].write_joint_friction_coefficient_to_sim_index(
        joint_friction_coeff=_uniform(low, high, len(ids)), joint_ids=joint_ids, env_ids=ids)


class DelayedJointPositionAction(JointPositionAction):
    """Joint-position targets applied ``d`` control ticks late, ``d`` drawn per env at each reset from
    ``cfg.delay_ticks``; before an episode's first ``d`` actions the targets are the default offset."""

    cfg: DelayedJointPositionActionCfg

    def __init__(self, cfg: DelayedJointPositionActionCfg, env) -> None:
        super().__init__(cfg, env)
        low, high = cfg.delay_ticks
        self._history = self._offset_targets().unsqueeze(0).repeat(high + 1, 1, 1)
        self._delay = torch.randint(low, high + 1, (self.num_envs,), device=self.device)
        self._rows = torch.arange(self.num_envs, device=self.device)

    def _offset_targets(self) -> torch.Tensor:
        return torch.zeros(self.num_envs, self.action_dim, device=self.device) + self._offset

    def process_actions(self, actions: torch.Tensor) -> None:
        super().process_actions(actions)
        self._history = torch.roll(self._history, 1, dims=0)
        self._history[0] = self._processed_actions

    def apply_actions(self) -> None:
        delayed = self._history[self._delay, self._rows]
        self._asset.set_joint_position_target_index(target=delayed, joint_ids=self._joint_ids)

    def reset(self, env_ids: Sequence[int] | None = None) -> None:
        super().reset(env_ids)
        ids = slice(None) if env_ids is None else env_ids
        self._history[:, ids] = self._offset_targets()[ids]
        low, high = self.cfg.delay_ticks
        self._delay[ids] = torch.randint(low, high + 1, self._delay[ids].shape, device=self.device)


@configclass
class DelayedJointPositionActionCfg(JointPositionActionCfg):
    class_type: type = DelayedJointPositionAction
    delay_ticks: tuple[int, int] = (0, 0)
    """(low, high) control ticks between an action and the joints' targets, drawn per env at each reset."""


def apply_actuator_randomization(cfg, randomization: ActuatorRandomization) -> None:
    """Edit ``cfg`` (a manager-based env config with a ``joint_pos`` action on ``robot``) in place."""
    ranges = randomization.joints
    cfg.events.actuator_scales = EventTermCfg(func=randomize_actuator_scales, mode="reset",
                                              params={"asset_cfg": ROBOT, "ranges": ranges})
    cfg.events.joint_friction = EventTermCfg(func=randomize_joint_friction, mode="startup",
                                             params={"asset_cfg": ROBOT, "ranges": ranges})
    action = cfg.actions.joint_pos
    settings = {f.name: getattr(action, f.name) for f in fields(action) if f.name != "class_type"}
    cfg.actions.joint_pos = DelayedJointPositionActionCfg(**settings, delay_ticks=randomization.delay_ticks)
