"""The tactile sensor inside an Isaac Lab (Newton, CPU) scene: a pad on the Franka's left finger feels the right
finger's pad when the gripper closes, and nothing when it opens; at full resolution and at a policy's image size,
with and without supersampling."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from robot_ac.tasks import EnvOptions

pytestmark = pytest.mark.sim
GAP_TO_OTHER_PAD = 0.0035  # m between the pad surfaces at q = 0 (fingers closed): 2 x 1.5 mm + 0.5 mm overlap


def test_franka_finger_pad_feels_the_other_finger():
    from isaaclab.envs import ManagerBasedRLEnv
    from isaaclab_newton.physics import NewtonManager

    from sim.robots import franka
    from sim.tactile.isaaclab_sensor import VisuotactileSensorCfg
    from sim.tasks.reach.config.franka import ACTION_SCALE
    from sim.tasks.reach.env_cfg import make_reach_env_cfg

    cfg = make_reach_env_cfg(EnvOptions(num_envs=2, device="cpu", seed=0), robot=franka.franka_panda_cfg(),
                             ee_body=franka.HAND_BODY, arm_joints=franka.ARM_JOINT_NAMES, action_scale=ACTION_SCALE)
    # The left pad's inner face is at y = +1.5 mm (finger frame), its normal -y: put the gel surface 2 mm further
    # in, so that with the fingers closed the right pad (inner face at -1.5 mm) presses 0.5 mm into it.
    cfg.scene.left_tactile = VisuotactileSensorCfg(
        prim_path="{ENV_REGEX_NS}/Robot", body="panda_leftfinger",
        offset=VisuotactileSensorCfg.OffsetCfg(pos=(0.0, 0.0015 - 0.0035, 0.0445),
                                               rot=(math.sqrt(0.5), 0.0, 0.0, math.sqrt(0.5))),
        taxels=(6, 8), k_n=1000.0)
    cfg.scene.left_tactile_coarse = cfg.scene.left_tactile.replace(image_size=(24, 32))
    cfg.scene.left_tactile_supersampled = cfg.scene.left_tactile.replace(image_size=(24, 32), samples_per_pixel=4)
    env = ManagerBasedRLEnv(cfg)
    try:
        robot, sensor, coarse = env.scene["robot"], env.scene["left_tactile"], env.scene["left_tactile_coarse"]
        supersampled = env.scene["left_tactile_supersampled"]
        fingers = [robot.joint_names.index(n) for n in ("panda_finger_joint1", "panda_finger_joint2")]

        def set_fingers(opening: float) -> None:
            q = robot.data.joint_pos.torch.clone()
            q[:, fingers] = opening
            robot.write_joint_position_to_sim_index(position=q)
            NewtonManager.forward()
            sensor.update(0.0, force_recompute=True)
            coarse.update(0.0, force_recompute=True)
            supersampled.update(0.0, force_recompute=True)

        set_fingers(0.0)
        penetration = sensor.data.penetration
        assert penetration.shape == (2, 240, 320)
        assert float(penetration.max()) == pytest.approx(0.0005, abs=2e-5)
        touched = (penetration[0] > 0).float().mean().item()
        assert touched == pytest.approx(17.0 / 20.8, abs=0.02), "the 17 mm pad covers 82% of the image width"
        forces = sensor.data.force_field
        assert torch.all(forces[..., 2][penetration.new_tensor(sensor.data.taxel_positions[..., 0]).abs()
                                        .lt(0.008).expand(2, -1, -1)] > 0.4)
        image = sensor.data.rgb
        assert image.dtype == torch.uint8 and image.shape == (2, 240, 320, 3)
        assert coarse.data.rgb.shape == (2, 24, 32, 3) and coarse.data.penetration.shape == (2, 24, 32)
        assert coarse.no_contact_image.shape == (24, 32, 3)
        assert (coarse.data.rgb != torch.from_numpy(np.ascontiguousarray(coarse.no_contact_image))).any()
        assert supersampled._sensor.renderer.sample_size == (96, 128)
        assert supersampled.data.rgb.shape == (2, 24, 32, 3) and supersampled.data.penetration.shape == (2, 24, 32)
        assert float(supersampled.data.penetration.max()) == pytest.approx(0.0005, abs=2e-5)  # inside the face
        assert (supersampled.data.rgb != torch.from_numpy(np.ascontiguousarray(coarse.no_contact_image))).any()
        set_fingers(0.04)
        assert float(sensor.data.penetration.max()) == 0.0
        assert float(sensor.data.force_field.abs().max()) == 0.0
        no_contact = torch.from_numpy(np.ascontiguousarray(sensor._sensor.renderer.no_contact_image))
        assert torch.equal(sensor.data.rgb[0], no_contact)
        coarse_no_contact = torch.from_numpy(np.ascontiguousarray(coarse.no_contact_image))
        assert torch.equal(coarse.data.rgb, coarse_no_contact.expand_as(coarse.data.rgb))
        assert torch.equal(supersampled.data.rgb, coarse_no_contact.expand_as(supersampled.data.rgb))
        assert float(supersampled.data.penetration.abs().max()) == 0.0
    finally:
        env.close()
