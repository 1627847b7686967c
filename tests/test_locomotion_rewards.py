"""The locomotion task's own reward and success terms (``sim/tasks/locomotion/mdp.py``) on crafted states: each is
1 (or true) exactly at its target, falls off as the Gaussian its docstring states, and reads its input (a term
that ignored the tilt, the joints or the height would give the same number for the two states compared)."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
import torch

pytest.importorskip("isaaclab")

from isaaclab.managers import SceneEntityCfg  # noqa: E402

from sim.tasks.locomotion import mdp  # noqa: E402

ROBOT = SceneEntityCfg("robot")
ROBOT.joint_ids = slice(None)


def _env(*, gravity=None, joint_pos=None, default_joint_pos=None, height=None, origin_z=0.0, terminated=None,
         time_outs=None):
    """A stand-in for a ManagerBasedRLEnv with just what the terms read, for len(height) envs."""
    data = SimpleNamespace(projected_gravity_b=None if gravity is None else torch.tensor(gravity),
                           joint_pos=None if joint_pos is None else torch.tensor(joint_pos),
                           default_joint_pos=None if default_joint_pos is None else torch.tensor(default_joint_pos))
    if height is not None:
        data.root_pos_w = torch.tensor([[0.0, 0.0, h] for h in height])
    origins = torch.tensor([[0.0, 0.0, origin_z]] * (len(height) if height is not None else 1))
    env = SimpleNamespace(scene=_Scene(data, origins))
    if terminated is not None:
        env.reset_terminated = torch.tensor(terminated)
        env.reset_time_outs = torch.tensor(time_outs)
    return env


class _Scene:
    def __init__(self, data, origins):
        self._robot = SimpleNamespace(data=data)
        self.env_origins = origins

    def __getitem__(self, name: str):
        assert name == "robot"
        return self._robot


def test_upright_kernel_is_one_upright_and_a_gaussian_of_the_sine_of_the_tilt() -> None:
    tilt = 0.2
    env = _env(gravity=[[0.0, 0.0, -1.0], [math.sin(tilt), 0.0, -math.cos(tilt)],
                        [0.0, -math.sin(tilt), -math.cos(tilt)], [0.0, 0.0, 1.0]])
    value = mdp.upright_kernel(env, std=0.25, asset_cfg=ROBOT)
    expected = math.exp(-math.sin(tilt) ** 2 / 0.25**2)
    torch.testing.assert_close(value, torch.tensor([1.0, expected, expected, 1.0]))
    # Upside down has no horizontal gravity component: the kernel alone does not see it (the fall termination
    # does), which is why the task keeps the tilt limit.


def test_posture_kernel_is_one_in_the_default_pose_and_falls_with_the_mean_square_error() -> None:
    default = [[0.3, -0.6, 0.0, 0.2]] * 3
    env = _env(joint_pos=[[0.3, -0.6, 0.0, 0.2], [0.5, -0.6, 0.0, 0.2], [0.5, -0.4, -0.2, 0.4]],
               default_joint_pos=default)
    value = mdp.posture_kernel(env, std=0.25, asset_cfg=ROBOT)
    one_joint = math.exp(-(0.2**2 / 4) / 0.25**2)
    all_joints = math.exp(-(0.2**2) / 0.25**2)
    torch.testing.assert_close(value, torch.tensor([1.0, one_joint, all_joints]))
    assert value[0] > value[1] > value[2]


def test_posture_kernel_reads_only_the_selected_joints() -> None:
    env = _env(joint_pos=[[0.0, 1.0]], default_joint_pos=[[0.0, 0.0]])
    first = SceneEntityCfg("robot")
    first.joint_ids = [0]
    assert mdp.posture_kernel(env, std=0.25, asset_cfg=first).item() == pytest.approx(1.0)
    assert mdp.posture_kernel(env, std=0.25, asset_cfg=ROBOT).item() < 0.01


def test_base_height_kernel_measures_the_height_above_the_envs_own_ground() -> None:
    env = _env(height=[1.757, 1.707, 1.5], origin_z=1.0)
    value = mdp.base_height_kernel(env, target_height=0.757, std=0.05, asset_cfg=ROBOT)
    torch.testing.assert_close(value, torch.tensor([1.0, math.exp(-1.0), math.exp(-(0.257 / 0.05) ** 2)]))


def test_standing_success_needs_the_time_limit_no_fall_and_the_height() -> None:
    success = mdp.stood_at_height(0.757, 0.05)
    env = _env(height=[0.75, 0.70, 0.75, 0.75], terminated=[False, False, True, False],
               time_outs=[True, True, True, False])
    assert success(env).tolist() == [True, False, False, False]
