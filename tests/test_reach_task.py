"""franka-reach in task space: every goal is reachable by the proportional expert the student learns from."""

from __future__ import annotations

import pytest
import torch

from robot_ac.tasks import EnvOptions, get_task


@pytest.mark.sim
def test_proportional_expert_reaches_every_goal_within_the_episode():
    from sim.tasks.reach.config.franka import INTERFACE, POSITION_SCALE, ROTATION_SCALE
    from sim.tasks.reach.expert import expert_action_from_poses

    offsets, at = {}, 0
    for term in INTERFACE.observations:
        offsets[term.name], at = at, at + term.size
    env = get_task("franka-reach").make_env(EnvOptions(num_envs=8, device="cpu", seed=3))
    try:
        obs = env.get_observations()["policy"]
        first_outcome = torch.full((8,), -1)
        for _ in range(300):
            pose = obs[:, offsets["ee_pose"]:offsets["ee_pose"] + 7]
            goal = obs[:, offsets["pose_command"]:offsets["pose_command"] + 7]
            action = expert_action_from_poses(pose, goal, position_scale=POSITION_SCALE,
                                              rotation_scale=ROTATION_SCALE)
            observations, _, dones, extras = env.step(action)
            obs = observations["policy"]
            ended = dones.bool() & (first_outcome < 0)
            first_outcome[ended] = extras["success"][ended].long()
            if (first_outcome >= 0).all():
                break
        assert (first_outcome == 1).all(), f"first episodes ended {first_outcome.tolist()} (1: goal reached)"
    finally:
        env.close()
