"""The peg tasks: generated fixtures, the start pose's inverse kinematics, the tactile pads on a held peg, and
that a privileged scripted expert solves both tasks through the task-space impedance controller (the physics holds
the grasp and lets the peg into a 2 mm clearance socket)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from robot_ac.errors import RobotAcError
from robot_ac.tasks import EnvOptions, get_task
from sim.tasks.peg_insertion.fixtures import SocketGeometry, write_socket_usd
from sim.tasks.peg_insertion.settings import EPISODE_STEPS, INSERT, PLACE, TACTILE_SENSORS

REPO = Path(__file__).resolve().parent.parent


def test_socket_hole_is_peg_plus_clearance(tmp_path):
    from pxr import Usd, UsdGeom, UsdPhysics

    socket = SocketGeometry(hole_side=0.012, clearance=0.002)
    path = write_socket_usd(socket, tmp_path)
    assert write_socket_usd(socket, tmp_path) == path, "the same geometry reuses its file"
    stage = Usd.Stage.Open(str(path))
    root = stage.GetDefaultPrim()
    assert UsdPhysics.RigidBodyAPI(root).GetKinematicEnabledAttr().Get() is True
    cache = UsdGeom.BBoxCache(Usd.TimeCode.Default(), ["default"])
    walls = {p.GetName(): cache.ComputeLocalBound(p).ComputeAlignedRange() for p in root.GetChildren()}
    assert set(walls) == {"base", "wall_px", "wall_nx", "wall_py", "wall_ny"}
    assert walls["wall_px"].GetMin()[0] - walls["wall_nx"].GetMax()[0] == pytest.approx(0.014, abs=1e-7)
    assert walls["wall_py"].GetMin()[1] - walls["wall_ny"].GetMax()[1] == pytest.approx(0.014, abs=1e-7)
    assert walls["base"].GetMax()[2] == pytest.approx(0.0, abs=1e-7)
    assert walls["wall_px"].GetMax()[2] == pytest.approx(0.02, abs=1e-7)
    assert len(list(stage.GetDefaultPrim().GetChildren())) == 1 + 4
    plate = Usd.Stage.Open(str(write_socket_usd(SocketGeometry(depth=0.0), tmp_path)))
    assert [p.GetName() for p in plate.GetDefaultPrim().GetChildren()] == ["base"]


def test_start_pose_puts_the_tcp_above_the_fixture():
    import mujoco

    from sim import ASSETS_DIR
    from sim.robots import franka

    target = INSERT.start_tcp_position
    pose = franka.arm_configuration_for_tcp(target)
    model = mujoco.MjModel.from_xml_path(str(ASSETS_DIR / "franka" / "panda.xml"))
    data = mujoco.MjData(model)
    for name, value in pose.items():
        data.qpos[model.joint(name).qposadr[0]] = value
    mujoco.mj_kinematics(model, data)
    rotation = data.xmat[model.body(franka.HAND_BODY).id].reshape(3, 3)
    tcp = data.xpos[model.body(franka.HAND_BODY).id] + rotation @ np.array(franka.TCP_OFFSET)
    np.testing.assert_allclose(tcp, target, atol=1e-4)
    assert rotation[2, 2] == pytest.approx(-1.0, abs=1e-4), "the gripper points straight down"
    with pytest.raises(RobotAcError, match="out of reach"):
        franka.arm_configuration_for_tcp((1.5, 0.0, 0.2))


@pytest.mark.sim
def test_pads_feel_the_held_peg_and_nothing_without_it():
    from isaaclab_newton.physics import NewtonManager

    from robot_ac.contract.tactile import TactilePreprocessing
    from sim.tactile.preprocessing import preprocess_torch

    spec = get_task("franka-peg-insert")
    env = spec.make_gym_env(EnvOptions(num_envs=4, device="cpu", seed=0))
    try:
        obs, _ = env.reset()
        assert obs["policy"].shape == (4, spec.interface.observation_size)
        assert obs["critic"].shape == (4, 46)
        assert torch.isfinite(obs["policy"]).all() and torch.isfinite(obs["critic"]).all()
        preprocessing = TactilePreprocessing(**spec.interface.tactile)
        manager = env.observation_manager
        term_cfgs = [manager._group_obs_term_cfgs["policy"][manager.active_terms["policy"].index(name)]
                     for name in TACTILE_SENSORS]  # one policy term per pad, named after it
        gains = torch.cat([term_cfg.func.gains for term_cfg in term_cfgs], dim=1)
        low, high = term_cfgs[0].func.gain_range
        assert (gains >= low * low).all() and (gains <= high * high).all()
        assert gains.std() > 0.01, "each env and pad draws its own colour gains"
        for name, term_cfg in zip(TACTILE_SENSORS, term_cfgs):
            expected = preprocess_torch(preprocessing, env.scene[name].data.rgb,
                                        torch.as_tensor(env.scene[name].no_contact_image))
            torch.testing.assert_close(term_cfg.func(env, **term_cfg.params),
                                       (expected[:, None] * term_cfg.func.gains).flatten(start_dim=1))
        for name in TACTILE_SENSORS:
            sensor = env.scene[name]
            reference = torch.as_tensor(sensor.no_contact_image)
            difference = preprocess_torch(preprocessing, sensor.data.rgb, reference)
            assert difference.abs().amax(dim=(1, 2, 3)).min() > 0.05, f"{name}: the held peg shows in every image"
            normal = sensor.data.force_field[..., 2]
            assert (normal.sum(dim=(1, 2)) > 0).all()
            # The 12 mm peg covers the middle of the 17 mm-wide pad, not its outer columns.
            assert (normal[:, :, 0] == 0).all() and (normal[:, :, 5] > 0).all()

        peg = env.scene["peg"]
        away = peg.data.root_pose_w.torch.clone()
        away[:, 2] += 0.3
        peg.write_root_pose_to_sim_index(root_pose=away)
        NewtonManager.forward()
        for name in TACTILE_SENSORS:
            sensor = env.scene[name]
            sensor.update(0.0, force_recompute=True)
            reference = torch.as_tensor(sensor.no_contact_image)
            assert torch.equal(sensor.data.rgb, reference.expand_as(sensor.data.rgb)), f"{name}: untouched gel"
            assert float(sensor.data.force_field.abs().max()) == 0.0
        for term_cfg in term_cfgs:
            assert float(term_cfg.func(env, **term_cfg.params).abs().max()) == 0.0, "no contact: zero difference"
    finally:
        env.close()


@pytest.mark.sim
@pytest.mark.parametrize("name, settings", [("franka-peg-place-force-field", PLACE),
                                            ("franka-peg-insert-privileged", INSERT)])
def test_privileged_expert_solves_the_task(name, settings):
    from sim.tasks.peg_insertion import mdp as peg_mdp
    from sim.tasks.peg_insertion.mdp import peg_is_seated, task_success
    from sim.tasks.peg_insertion.expert import expert_action

    spec = get_task(name)
    env = spec.make_gym_env(EnvOptions(num_envs=4, device="cpu", seed=3))
    try:
        obs, _ = env.reset()
        assert obs["policy"].shape == (4, spec.interface.observation_size)
        start = peg_mdp.keypoint_distance(env, settings.peg.length)
        assert (start > 0.02).all(), "every episode starts with the peg well above its goal"
        seated_at = torch.full((4,), -1)
        rewards = []
        for step in range(EPISODE_STEPS):
            obs, reward, terminated, truncated, _ = env.step(expert_action(env, settings))
            assert torch.isfinite(obs["policy"]).all() and torch.isfinite(reward).all()
            assert not terminated.any(), "the grasp holds (no dropped peg)"
            seated = peg_is_seated(env)
            seated_at[(seated_at < 0) & seated] = step
            rewards.append(reward.clone())  # the env reuses its reward buffer
            assert not task_success(env).any() or step == EPISODE_STEPS - 1
        assert (seated_at >= 0).all() and seated_at.max() < 60, f"steps to seat the peg: {seated_at.tolist()}"
        assert truncated.all() and task_success(env).all(), "every episode ends at its time limit, seated"
        rewards = torch.stack(rewards)
        assert (rewards[-1] > rewards[0] + 5.0 / 60).all(), "seated steps earn the seated bonus on top"
    finally:
        env.close()


def test_student_interface_fits_the_cartesian_franka_and_the_force_field_does_not(tmp_path):
    """The GelSight student's manifest is what the Franka GelSight setup (Cartesian impedance targets, the measured
    TCP pose, both pads' cameras) provides; the force-field student's taxel forces exist only in simulation."""
    from robot_ac.contract.hardware_config import check_compatibility, load_hardware_config
    from robot_ac.contract.manifest import load_manifest
    from robot_ac.deploy import make_supervisor
    from robot_ac.export.synthetic import write_mlp_export

    interface = get_task("franka-peg-insert").interface
    write_mlp_export(tmp_path, interface)
    manifest = load_manifest(tmp_path / "manifest.json")  # validates against the schema
    assert manifest.interface == interface
    config = load_hardware_config(REPO / "hardware_configs" / "franka_gelsight.yaml")
    assert check_compatibility(manifest, config) == []
    make_supervisor(manifest, config, lambda obs: obs[:6])
    write_mlp_export(tmp_path / "ff", get_task("franka-peg-insert-force-field").interface)
    problems = check_compatibility(load_manifest(tmp_path / "ff" / "manifest.json"), config)
    assert problems and all("simulator-only" in p and "force_field" in p for p in problems), problems
