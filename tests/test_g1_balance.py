"""g1-stand's scripted expert, the LQR balance designed on the G1's MJCF (``sim.tasks.locomotion.config.g1_balance``),
checked in plain MuJoCo: the G1 at its PD gains falls from its equilibrium without the feedback and stands with
it, through a kick."""

from __future__ import annotations

import numpy as np
import pytest

from sim.robots import g1

pytest.importorskip("mujoco")
pytest.importorskip("scipy")


@pytest.fixture(scope="module")
def balance():
    from sim.tasks.locomotion.config.g1 import HELD_JOINTS
    from sim.tasks.locomotion.config.g1_balance import _Plant, design

    return _Plant(HELD_JOINTS), design(HELD_JOINTS)


def _com_over_feet(plant) -> np.ndarray:
    """The centre of mass from the ankles' midpoint, horizontally, m."""
    com = plant.data.subtree_com[plant.model.body(g1.ROOT_BODY).id]
    origin, _ = plant.feet_frame()
    return com[:2] - origin[:2]


def test_the_design_is_a_stable_equilibrium_near_the_standing_pose(balance) -> None:
    _, design = balance
    assert design.gain.shape == (12, 70)
    assert design.closed_loop_radius <= 1.0 + 1e-6
    assert design.pelvis_pos[2] + g1.SOLE_HEIGHT == pytest.approx(g1.STANDING_HEIGHT, abs=0.03)
    legs = [g1.JOINT_NAMES.index(n) for n in g1.LEG_JOINT_NAMES]
    default = np.array([g1.DEFAULT_POSE[n] for n in g1.JOINT_NAMES])
    assert np.abs(design.joint_pos[legs] - default[legs]).max() < 0.2, "the pose the LQR holds is the default's"


def test_without_feedback_the_g1_falls_from_the_equilibrium(balance) -> None:
    plant, design = balance
    plant.balance(design.mujoco_qpos, design.mujoco_ctrl, np.zeros_like(design.gain), steps=150,
                  kick=(0.05, 0.0))
    assert plant.data.qpos[2] < 0.6, "at its PD gains alone the G1 cannot stand: 3 s after a nudge it is down"


@pytest.mark.parametrize("kick", [(0.25, 0.0), (-0.2, 0.0), (0.0, 0.3), (0.15, -0.15)])
def test_the_feedback_stands_the_g1_up_through_a_kick(balance, kick) -> None:
    import mujoco

    plant, design = balance
    plant.data.qpos[:] = design.mujoco_qpos
    mujoco.mj_forward(plant.model, plant.data)
    balanced = _com_over_feet(plant)
    plant.balance(design.mujoco_qpos, design.mujoco_ctrl, design.gain, steps=150, kick=kick)
    assert plant.data.qpos[2] == pytest.approx(design.mujoco_qpos[2], abs=0.02)
    assert np.linalg.norm(_com_over_feet(plant) - balanced) < 0.01, "3 s on, the centre of mass is back over the feet"
    assert np.abs(plant.data.qvel).max() < 0.1, "and the G1 is at rest"


def test_the_expert_leaves_states_past_its_tilt_limit_unlabelled(balance) -> None:
    """The teacher labels a state at the equilibrium with the actions of its leg targets and leaves a pelvis tilted
    past ``LABEL_TILT_LIMIT`` unlabelled (NaN), for a student not to learn falling from a linear gain."""
    import torch
    from scipy.spatial.transform import Rotation
    from tensordict import TensorDict

    from robot_ac.runners.distillation import teacher_model_cfg
    from rsl_rl.utils import resolve_class
    from sim.tasks.locomotion.config.g1 import G1_STAND_TASK
    from sim.tasks.locomotion.config.g1_balance import LABEL_TILT_LIMIT

    _, design = balance
    model_class, cfg = resolve_class(teacher_model_cfg("expert", G1_STAND_TASK.expert_teacher, "g1-stand"))
    pelvis_at, n = cfg["pelvis_at"], len(g1.JOINT_NAMES)
    default = np.array([g1.DEFAULT_POSE[name] for name in g1.JOINT_NAMES])
    critic = np.zeros((3, pelvis_at + 13), dtype=np.float32)
    critic[:, cfg["joint_pos_at"]:cfg["joint_pos_at"] + n] = design.joint_pos - default
    critic[:, pelvis_at:pelvis_at + 3] = design.pelvis_pos
    at_rest = Rotation.from_quat(design.pelvis_quat)
    for row, tilt in enumerate((0.0, 0.8 * LABEL_TILT_LIMIT, 1.2 * LABEL_TILT_LIMIT)):
        critic[row, pelvis_at + 3:pelvis_at + 7] = (Rotation.from_rotvec([0.0, tilt, 0.0]) * at_rest).as_quat()
    obs = TensorDict({"critic": torch.tensor(critic)}, batch_size=[3])
    expert = model_class(obs, {"teacher": ["critic"]}, "teacher", n, **cfg)
    actions = expert(obs).numpy()
    legs = [g1.JOINT_NAMES.index(name) for name in g1.LEG_JOINT_NAMES]
    scale = np.array(cfg["action_scale"])[legs]
    np.testing.assert_allclose(actions[0, legs], (design.leg_targets - default[legs]) / scale, atol=1e-4)
    assert np.isfinite(actions[1]).all() and np.abs(actions[1] - actions[0]).max() > 0.05, "a tilt is acted on"
    assert np.isnan(actions[2]).all()
