"""``g1-stand``: the G1 standing variant of the locomotion task. It drives the legs only, holds waist and arms in the
default pose through a zero action scale (so the policy keeps the real G1's 29-joint interface; its manifest against
the real G1 is checked in ``test_g1_task.py``), tells every env to stand, pushes the robot, and lasts 20 s. Its own
module: Isaac Lab builds one env at a time in a process, and ``test_g1_task.py`` holds g1-velocity's."""

from __future__ import annotations

import numpy as np
import pytest

from sim.robots import g1
from tests.locomotion_helpers import assert_observation_groups_match

pytestmark = pytest.mark.sim

NUM_ENVS = 4


@pytest.fixture(scope="module")
def stand_env():
    pytest.importorskip("isaaclab")
    from robot_ac.tasks import EnvOptions
    from sim.tasks.locomotion.config.g1 import G1_STAND_TASK

    env = G1_STAND_TASK.make_env(EnvOptions(num_envs=NUM_ENVS, device="cpu", seed=0))
    yield env
    env.close()


def test_stand_drives_the_legs_and_holds_waist_and_arms_in_the_default_pose(stand_env) -> None:
    import torch

    from sim.tasks.locomotion.config.g1 import G1_STAND_TASK, HELD_JOINTS

    interface = G1_STAND_TASK.interface
    assert_observation_groups_match(stand_env, interface, NUM_ENVS)
    held = [g1.JOINT_NAMES.index(n) for n in HELD_JOINTS]
    legs = [g1.JOINT_NAMES.index(n) for n in g1.LEG_JOINT_NAMES]
    assert len(legs) == 12 and len(held) == 17
    scale = np.array(interface.action.scale)
    assert (scale[held] == 0).all() and (scale[legs] > 0).all()

    stand_env.step(torch.ones(NUM_ENVS, stand_env.num_actions))
    robot = stand_env.unwrapped.scene["robot"]
    target = robot.data.joint_pos_target[0].numpy()
    default = np.array([g1.DEFAULT_POSE[n] for n in g1.JOINT_NAMES])
    np.testing.assert_allclose(target[held], default[held], atol=1e-6)
    np.testing.assert_allclose(target[legs], default[legs] + scale[legs], rtol=1e-5)
    # Every env is told to stand, and the robot is pushed.
    assert stand_env.unwrapped.command_manager.get_command("base_velocity").abs().max() == 0
    assert "push" in stand_env.unwrapped.event_manager.active_terms["interval"]
    assert stand_env.unwrapped.max_episode_length_s == pytest.approx(20.0)

