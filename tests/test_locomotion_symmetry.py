"""The left/right mirror behind the G1's symmetry augmentation, on crafted observations (no simulator): the G1's
joint mirror, each term kind's reflection, the doubled batch rsl_rl trains on, and refusals of unknown terms. That
the simulated G1 moves as the mirror says is checked in ``test_g1_stand.py``."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch
from tensordict import TensorDict

from robot_ac.config import PpoConfig
from robot_ac.errors import RobotAcError
from sim.robots import g1
from sim.tasks.locomotion.symmetry import augment_with_mirror, group_mirror, joint_mirror_indices

POLICY_TERMS = ["base_ang_vel", "projected_gravity", "velocity_command", "joint_pos", "joint_vel", "actions"]
CRITIC_TERMS = POLICY_TERMS + ["base_lin_vel", "base_height", "foot_height", "feet_air_time"]
N = len(g1.JOINT_NAMES)


def _dims(terms: list[str]) -> list[tuple[int, ...]]:
    sizes = {"joint_pos": N, "joint_vel": N, "actions": N, "base_height": 1, "foot_height": 2, "feet_air_time": 2}
    return [(sizes.get(t, 3),) for t in terms]


def _fake_env(policy_terms: list[str] = POLICY_TERMS) -> SimpleNamespace:
    manager = SimpleNamespace(active_terms={"policy": policy_terms, "critic": CRITIC_TERMS},
                              group_obs_term_dim={"policy": _dims(policy_terms), "critic": _dims(CRITIC_TERMS)})
    base = SimpleNamespace(scene={"robot": SimpleNamespace(joint_names=list(g1.JOINT_NAMES))},
                           observation_manager=manager)
    return SimpleNamespace(unwrapped=base)


def _mirror(x: np.ndarray, name: str) -> float:
    other, sign = g1.mirrored_joint(name)
    return sign * x[g1.JOINT_NAMES.index(other)]


def test_g1_joint_mirror_swaps_sides_flips_roll_and_yaw_and_is_an_involution() -> None:
    assert g1.mirrored_joint("left_hip_roll_joint") == ("right_hip_roll_joint", -1.0)
    assert g1.mirrored_joint("right_knee_joint") == ("left_knee_joint", 1.0)
    assert g1.mirrored_joint("waist_yaw_joint") == ("waist_yaw_joint", -1.0)
    assert g1.mirrored_joint("waist_pitch_joint") == ("waist_pitch_joint", 1.0)
    limits = g1.position_limits()
    for name in g1.JOINT_NAMES:
        other, sign = g1.mirrored_joint(name)
        assert g1.mirrored_joint(other) == (name, sign)
        # The G1's own model says the mirror is right: default pose and joint ranges are their mirror images.
        assert g1.DEFAULT_POSE[other] == pytest.approx(sign * g1.DEFAULT_POSE[name]), name
        low, high = limits[other]
        expected = (low, high) if sign > 0 else (-high, -low)
        np.testing.assert_allclose(limits[name], expected, atol=1e-4, err_msg=name)


def test_policy_group_mirror_reflects_each_term_across_the_sagittal_plane() -> None:
    joints = joint_mirror_indices(list(g1.JOINT_NAMES), g1.mirrored_joint)
    index, sign = group_mirror(POLICY_TERMS, _dims(POLICY_TERMS), joints)
    # Rolling left (about +x) while turning left, gravity seen towards +y, told to walk forward-left, turning left;
    # the left hip rolled out, the left knee bent.
    joint_pos = np.zeros(N)
    joint_pos[g1.JOINT_NAMES.index("left_hip_roll_joint")] = 0.3
    joint_pos[g1.JOINT_NAMES.index("left_knee_joint")] = 0.5
    obs = np.concatenate([[0.4, 0.1, 0.2], [0.0, 0.2, -0.98], [0.5, 0.3, 0.4], joint_pos, np.zeros(2 * N)])
    mirrored = (torch.tensor(obs)[index] * sign).numpy()
    np.testing.assert_allclose(mirrored[:9], [-0.4, 0.1, -0.2, 0.0, -0.2, -0.98, 0.5, -0.3, -0.4])
    mirrored_pos = mirrored[9:9 + N]
    assert mirrored_pos[g1.JOINT_NAMES.index("right_hip_roll_joint")] == pytest.approx(-0.3)
    assert mirrored_pos[g1.JOINT_NAMES.index("right_knee_joint")] == pytest.approx(0.5)
    assert mirrored_pos[g1.JOINT_NAMES.index("left_knee_joint")] == 0.0
    assert np.count_nonzero(mirrored_pos) == 2


def test_augmentation_doubles_the_batch_with_its_mirror_image() -> None:
    env = _fake_env()
    batch = 5
    dims = {g: sum(d[0] for d in _dims(t)) for g, t in env.unwrapped.observation_manager.active_terms.items()}
    obs = TensorDict({g: torch.randn(batch, d) for g, d in dims.items()}, batch_size=[batch])
    actions = torch.randn(batch, N)
    aug_obs, aug_actions = augment_with_mirror(env, obs, actions, joint_mirror=g1.mirrored_joint)
    assert aug_obs.batch_size[0] == aug_actions.shape[0] == 2 * batch
    torch.testing.assert_close(aug_obs["policy"][:batch], obs["policy"])
    torch.testing.assert_close(aug_actions[:batch], actions)
    original, mirrored = actions[0].numpy(), aug_actions[batch].numpy()
    for i, name in enumerate(g1.JOINT_NAMES):
        assert mirrored[i] == pytest.approx(_mirror(original, name))
    critic = aug_obs["critic"]
    feet = slice(dims["critic"] - 4, dims["critic"])
    torch.testing.assert_close(critic[batch:, feet], obs["critic"][:, feet][:, [1, 0, 3, 2]])
    # Mirroring the mirror gives the batch back.
    twice, _ = augment_with_mirror(env, TensorDict({g: v[batch:] for g, v in aug_obs.items()}, batch_size=[batch]),
                                   None, joint_mirror=g1.mirrored_joint)
    torch.testing.assert_close(twice["policy"][batch:], obs["policy"])
    torch.testing.assert_close(twice["critic"][batch:], obs["critic"])


def test_a_term_without_a_mirror_is_refused_by_name() -> None:
    with pytest.raises(RobotAcError, match="policy/height_scan"):
        augment_with_mirror(_fake_env(POLICY_TERMS + ["height_scan"]), None, None, joint_mirror=g1.mirrored_joint)
    with pytest.raises(RobotAcError, match="'left_hip_roll_joint' mirrors to 'right_hip_roll_joint'"):
        joint_mirror_indices(["left_hip_roll_joint"], g1.mirrored_joint)


def test_ppo_config_hands_rsl_rl_the_mirror_only_when_asked() -> None:
    rsl = PpoConfig().to_rsl_rl(seed=0, device="cpu", save_interval=10, experiment_name="x", mirror="m:f")
    assert rsl["algorithm"]["symmetry_cfg"] is None
    cfg = PpoConfig(symmetry_augmentation=True).to_rsl_rl(seed=0, device="cpu", save_interval=10,
                                                          experiment_name="x", mirror="m:f")["algorithm"]
    assert cfg["symmetry_cfg"] == {"use_data_augmentation": True, "use_mirror_loss": False,
                                   "mirror_loss_coeff": 0.0, "data_augmentation_func": "m:f"}
    with pytest.raises(ValueError, match="left/right mirror"):
        PpoConfig(mirror_loss_coef=0.1).symmetry_cfg(None)
