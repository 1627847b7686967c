"""Checks of the generated Franka Panda asset (sim/assets/franka) against Franka's published data.

The DH table and limits below are typed in again from Franka's documentation on
purpose: they are an independent reference, not an import of the generator's
table, so a typo in either place makes these tests fail.

* MuJoCo: forward kinematics of ``panda.xml`` equals DH forward kinematics, limits
  equal the datasheet, links never touch each other.
* Isaac Lab (kit-less, Newton / MuJoCo-Warp on CPU): ``panda.usda`` loads as a
  fixed-base articulation with the expected names, limits, inertials and gravity
  compensation, and a joint PD holds the "ready" pose where DH FK puts it.
* The committed files are exactly what ``scripts/make_franka_asset.py`` produces.
"""

from __future__ import annotations

import math
import pathlib
import subprocess
import sys

import numpy as np
import pytest

REPO = pathlib.Path(__file__).resolve().parents[1]
ASSET_DIR = REPO / "sim" / "assets" / "franka"
MJCF = ASSET_DIR / "panda.xml"
USD = ASSET_DIR / "panda.usda"

# Franka "robot and interface specifications": DH parameters (Craig convention), one row per joint:
# (a_{i-1} [m], d_i [m], alpha_{i-1} [rad]); then the flange row.
DH = [
    (0.0, 0.333, 0.0),
    (0.0, 0.0, -math.pi / 2),
    (0.0, 0.316, math.pi / 2),
    (0.0825, 0.0, math.pi / 2),
    (-0.0825, 0.384, -math.pi / 2),
    (0.0, 0.0, math.pi / 2),
    (0.088, 0.0, math.pi / 2),
]
FLANGE = (0.0, 0.107, 0.0)
HAND_YAW = -math.pi / 4
TCP_OFFSET = 0.1034

Q_MIN = [-2.8973, -1.7628, -2.8973, -3.0718, -2.8973, -0.0175, -2.8973]
Q_MAX = [2.8973, 1.7628, 2.8973, -0.0698, 2.8973, 3.7525, 2.8973]
DQ_MAX = [2.175] * 4 + [2.61] * 3
TAU_MAX = [87.0] * 4 + [12.0] * 3
FINGER_RANGE = (0.0, 0.04)
FINGER_DQ_MAX = 0.2
FINGER_FORCE = 200.0

ARM_JOINTS = [f"panda_joint{i}" for i in range(1, 8)]
FINGER_JOINTS = ["panda_finger_joint1", "panda_finger_joint2"]
BODIES = [f"panda_link{i}" for i in range(8)] + ["panda_hand", "panda_leftfinger", "panda_rightfinger"]
READY = [0.0, -math.pi / 4, 0.0, -3 * math.pi / 4, 0.0, math.pi / 2, math.pi / 4]


def _dh_transform(a: float, d: float, alpha: float, theta: float) -> np.ndarray:
    """Modified (Craig) DH: Rot_x(alpha) Trans_x(a) Rot_z(theta) Trans_z(d)."""
    ca, sa, ct, st = math.cos(alpha), math.sin(alpha), math.cos(theta), math.sin(theta)
    return np.array(
        [
            [ct, -st, 0.0, a],
            [st * ca, ct * ca, -sa, -d * sa],
            [st * sa, ct * sa, ca, d * ca],
            [0.0, 0.0, 0.0, 1.0],
        ]
    )


def dh_hand_and_tcp(q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Base-frame 4x4 poses of the hand frame (flange yawed by -pi/4) and of the TCP."""
    pose = np.eye(4)
    for (a, d, alpha), theta in zip(DH, q):
        pose = pose @ _dh_transform(a, d, alpha, theta)
    pose = pose @ _dh_transform(*FLANGE, HAND_YAW)
    tcp = pose @ np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, TCP_OFFSET], [0, 0, 0, 1.0]])
    return pose, tcp


def random_arm_configs(n: int, seed: int = 0) -> np.ndarray:
    """Uniform joint configurations inside the datasheet limits."""
    return np.random.default_rng(seed).uniform(Q_MIN, Q_MAX, size=(n, 7))


def test_dh_reference_matches_known_poses() -> None:
    """Sanity check of the reference FK itself: Franka's zero and ready poses."""
    _, tcp = dh_hand_and_tcp(np.zeros(7))
    np.testing.assert_allclose(tcp[:3, 3], [0.088, 0.0, 0.333 + 0.316 + 0.384 - 0.107 - TCP_OFFSET], atol=1e-12)
    _, tcp = dh_hand_and_tcp(np.array(READY))
    np.testing.assert_allclose(tcp[:3, 3], [0.30689, 0.0, 0.48688], atol=1e-5)


# ---------------------------------------------------------------------------------------------
# MuJoCo (panda.xml)
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mj_model():
    mujoco = pytest.importorskip("mujoco")
    return mujoco.MjModel.from_xml_path(str(MJCF))


def test_mjcf_forward_kinematics_matches_dh(mj_model) -> None:
    import mujoco

    data = mujoco.MjData(mj_model)
    hand = mj_model.body("panda_hand").id
    arm_qpos = [mj_model.jnt_qposadr[mj_model.joint(name).id] for name in ARM_JOINTS]
    worst_pos, worst_rot = 0.0, 0.0
    for q in random_arm_configs(50):
        data.qpos[:] = 0.0
        data.qpos[arm_qpos] = q
        mujoco.mj_kinematics(mj_model, data)
        ref_hand, ref_tcp = dh_hand_and_tcp(q)
        rot = data.xmat[hand].reshape(3, 3)
        tcp = data.xpos[hand] + rot @ np.array([0.0, 0.0, TCP_OFFSET])
        worst_pos = max(worst_pos, np.abs(data.xpos[hand] - ref_hand[:3, 3]).max(), np.abs(tcp - ref_tcp[:3, 3]).max())
        worst_rot = max(worst_rot, np.abs(rot - ref_hand[:3, :3]).max())
    assert worst_pos < 1e-6, f"TCP position error {worst_pos:.3g} m"
    assert worst_rot < 1e-6, f"hand rotation-matrix error {worst_rot:.3g}"


def test_mjcf_names_and_limits(mj_model) -> None:
    import mujoco

    assert [mj_model.joint(i).name for i in range(mj_model.njnt)] == ARM_JOINTS + FINGER_JOINTS
    assert [mj_model.body(i).name for i in range(1, mj_model.nbody)] == BODIES
    for i, name in enumerate(ARM_JOINTS):
        joint = mj_model.joint(name)
        assert joint.type[0] == mujoco.mjtJoint.mjJNT_HINGE
        np.testing.assert_allclose(joint.range, [Q_MIN[i], Q_MAX[i]], atol=1e-12)
        np.testing.assert_allclose(mj_model.jnt_actfrcrange[joint.id], [-TAU_MAX[i], TAU_MAX[i]], atol=1e-12)
    for name in FINGER_JOINTS:
        joint = mj_model.joint(name)
        assert joint.type[0] == mujoco.mjtJoint.mjJNT_SLIDE
        np.testing.assert_allclose(joint.range, FINGER_RANGE, atol=1e-12)
    # Root welded to the world: no free joint anywhere, link0 has no joint.
    assert mj_model.body("panda_link0").jntnum[0] == 0


def test_mjcf_fingers_open_symmetrically(mj_model) -> None:
    """Finger 1 moves along +y of the hand, finger 2 along -y, both from 0.0584 m along hand z."""
    import mujoco

    data = mujoco.MjData(mj_model)
    for name in FINGER_JOINTS:
        data.qpos[mj_model.jnt_qposadr[mj_model.joint(name).id]] = 0.04
    mujoco.mj_kinematics(mj_model, data)
    hand = mj_model.body("panda_hand").id
    rot, origin = data.xmat[hand].reshape(3, 3), data.xpos[hand]
    left = rot.T @ (data.xpos[mj_model.body("panda_leftfinger").id] - origin)
    right = rot.T @ (data.xpos[mj_model.body("panda_rightfinger").id] - origin)
    np.testing.assert_allclose(left, [0.0, 0.04, 0.0584], atol=1e-12)
    np.testing.assert_allclose(right, [0.0, -0.04, 0.0584], atol=1e-12)


def test_mjcf_links_never_collide(mj_model) -> None:
    import mujoco

    data = mujoco.MjData(mj_model)
    arm_qpos = [mj_model.jnt_qposadr[mj_model.joint(name).id] for name in ARM_JOINTS]
    for q in random_arm_configs(50, seed=1):
        data.qpos[arm_qpos] = q
        mujoco.mj_forward(mj_model, data)
        assert data.ncon == 0


# ---------------------------------------------------------------------------------------------
# Generator and USD file
# ---------------------------------------------------------------------------------------------


def test_generator_reproduces_committed_files(tmp_path: pathlib.Path) -> None:
    """The committed asset is exactly the generator's output (and the generator is deterministic)."""
    pytest.importorskip("mujoco_usd_converter")
    subprocess.run(
        [sys.executable, str(REPO / "scripts" / "make_franka_asset.py"), "--out-dir", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    for name in ("panda.xml", "panda.usda"):
        assert (tmp_path / name).read_bytes() == (ASSET_DIR / name).read_bytes(), f"{name} is stale: rerun the script"


def test_usd_is_self_contained() -> None:
    """No sublayer, reference, payload or asset path: the file loads offline on its own."""
    Sdf = pytest.importorskip("pxr.Sdf")
    layer = Sdf.Layer.FindOrOpen(str(USD))
    assert layer.GetCompositionAssetDependencies() == []
    assert "@" not in USD.read_text()
    assert USD.stat().st_size < 2_000_000


# ---------------------------------------------------------------------------------------------
# Isaac Lab kit-less on Newton (MuJoCo-Warp, CPU)
# ---------------------------------------------------------------------------------------------

NUM_ENVS = 4
SIM_DT = 1 / 120
HOLD_STEPS = 240  # 2 s


@pytest.fixture(scope="module")
def isaaclab_robot():
    """Spawn 4 Pandas from panda.usda in an InteractiveScene, start them off the ready pose, run 2 s of PD."""
    pytest.importorskip("isaaclab")
    import torch
    from isaaclab.scene import InteractiveScene, InteractiveSceneCfg
    from isaaclab.sim import SimulationCfg, build_simulation_context
    from isaaclab_newton.physics import MJWarpSolverCfg, NewtonCfg, NewtonManager

    from sim.robots.franka import franka_panda_cfg

    # The production config (sim.robots.franka): its gains and limits are what the tests below expect.
    robot_cfg = franka_panda_cfg()
    scene_cfg = InteractiveSceneCfg(num_envs=NUM_ENVS, env_spacing=2.0)
    scene_cfg.robot = robot_cfg
    solver_cfg = MJWarpSolverCfg(njmax=20, nconmax=20, cone="pyramidal", impratio=1, integrator="implicitfast")
    sim_cfg = SimulationCfg(
        dt=SIM_DT,
        device="cpu",
        physics=NewtonCfg(solver_cfg=solver_cfg, num_substeps=1, use_cuda_graph=False),
    )
    with build_simulation_context(sim_cfg=sim_cfg) as sim:
        scene = InteractiveScene(scene_cfg)
        sim.reset()
        robot = scene["robot"]
        target = robot.data.default_joint_pos.torch.clone()
        # Start 0.1 rad / 2 cm away from the target so the hold also exercises the PD.
        start = target.clone()
        start[:, :7] += 0.1
        start[:, 7:] = 0.02
        robot.write_joint_position_to_sim_index(position=start)
        robot.write_joint_velocity_to_sim_index(velocity=torch.zeros_like(start))
        robot.actuators.target_command.set_position_index(value=target)
        max_contacts = 0
        for _ in range(HOLD_STEPS):
            scene.write_data_to_sim()
            sim.step()
            scene.update(SIM_DT)
            max_contacts = max(max_contacts, int(NewtonManager._solver.mjw_data.nacon.numpy()[0]))
        yield {
            "robot": robot,
            "target": target,
            "env_origins": scene.env_origins.clone(),
            "max_contacts": max_contacts,
            "model": NewtonManager.get_model(),
            "mjw_model": NewtonManager._solver.mjw_model,
        }


@pytest.mark.sim
def test_isaaclab_names_and_fixed_base(isaaclab_robot) -> None:
    robot = isaaclab_robot["robot"]
    assert robot.joint_names == ARM_JOINTS + FINGER_JOINTS
    assert robot.body_names == BODIES
    assert robot.is_fixed_base


@pytest.mark.sim
def test_isaaclab_limits(isaaclab_robot) -> None:
    data = isaaclab_robot["robot"].data
    expected_pos = np.array(list(zip(Q_MIN, Q_MAX)) + [FINGER_RANGE] * 2)
    for limits in (data.joint_pos_limits, data.soft_joint_pos_limits):
        # float32 storage and the converter's degree round trip cost ~1e-7 rad.
        np.testing.assert_allclose(limits.torch.numpy(), np.broadcast_to(expected_pos, (NUM_ENVS, 9, 2)), atol=1e-5)
    np.testing.assert_allclose(data.joint_vel_limits.torch.numpy()[0], DQ_MAX + [FINGER_DQ_MAX] * 2, rtol=1e-6)
    np.testing.assert_allclose(data.joint_effort_limits.torch.numpy()[0], TAU_MAX + [FINGER_FORCE] * 2, rtol=1e-6)
    np.testing.assert_allclose(data.joint_stiffness.torch.numpy()[0], [400.0] * 7 + [2000.0] * 2)
    np.testing.assert_allclose(data.joint_damping.torch.numpy()[0], [80.0] * 7 + [100.0] * 2)
    np.testing.assert_allclose(data.joint_armature.torch.numpy()[0], [0.1] * 9, rtol=1e-6)


@pytest.mark.sim
def test_isaaclab_inertials_and_gravcomp_match_mjcf(isaaclab_robot, mj_model) -> None:
    """The USD carries the MJCF's identified inertials, and every moving body is gravity-compensated."""
    model = isaaclab_robot["model"]
    mjcf_bodies = [mj_model.body(name) for name in BODIES]
    np.testing.assert_allclose(model.body_mass.numpy()[: len(BODIES)], [b.mass[0] for b in mjcf_bodies], rtol=1e-6)
    np.testing.assert_allclose(model.body_com.numpy()[: len(BODIES)], [b.ipos for b in mjcf_bodies], atol=1e-7)
    # MuJoCo body 0 is the world; link0 is welded to it, the other 10 bodies are compensated.
    gravcomp = isaaclab_robot["mjw_model"].body_gravcomp.numpy()[0]
    np.testing.assert_array_equal(gravcomp[2 : len(BODIES) + 1], 1.0)
    np.testing.assert_allclose(model.gravity.numpy()[0], [0.0, 0.0, -9.81], rtol=1e-6)


@pytest.mark.sim
def test_isaaclab_holds_ready_pose_at_dh_fk(isaaclab_robot) -> None:
    from isaaclab.utils.math import matrix_from_quat

    robot = isaaclab_robot["robot"]
    data = robot.data
    joint_error = (data.joint_pos.torch - isaaclab_robot["target"]).abs().max().item()
    assert joint_error < 0.01, f"joint error after 2 s: {joint_error:.3g}"
    assert data.joint_vel.torch.abs().max().item() < 1e-3
    assert isaaclab_robot["max_contacts"] == 0

    ref_hand, ref_tcp = dh_hand_and_tcp(np.array(READY))
    hand = robot.find_bodies("panda_hand")[0][0]
    pose = data.body_link_pose_w.torch[:, hand]
    pos = (pose[:, :3] - isaaclab_robot["env_origins"]).numpy()
    rot = matrix_from_quat(pose[:, 3:]).numpy()
    np.testing.assert_allclose(pos, np.broadcast_to(ref_hand[:3, 3], pos.shape), atol=1e-3)
    np.testing.assert_allclose(rot, np.broadcast_to(ref_hand[:3, :3], rot.shape), atol=1e-3)
    tcp = pos + rot @ np.array([0.0, 0.0, TCP_OFFSET])
    np.testing.assert_allclose(tcp, np.broadcast_to(ref_tcp[:3, 3], tcp.shape), atol=1e-3)
