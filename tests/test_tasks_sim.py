"""Every task on Isaac Lab / Newton CPU: shapes, no NaN, determinism, and a manifest that matches the simulator."""

from __future__ import annotations

import pytest
import torch

from robot_ac.tasks import EnvOptions, TaskSpec
from sim.tasks import TASKS

pytestmark = pytest.mark.sim
NUM_ENVS = 8
STEPS = 120
"""Long enough to pass an episode's end and reset on the shortest episodic tasks (the peg tasks' 80 steps)."""
SPREAD_OVER_WORKERS = True
"""Every test builds its own envs: under pytest-xdist they share the workers one by one (tests/conftest.py)."""


def _rollout(spec: TaskSpec, seed: int, steps: int = STEPS) -> tuple[torch.Tensor, torch.Tensor]:
    """Observations [steps+1, envs, obs] and rewards [steps, envs] under seeded random actions."""
    env = spec.make_env(EnvOptions(num_envs=NUM_ENVS, device="cpu", seed=seed))
    try:
        generator = torch.Generator().manual_seed(seed)
        obs = env.get_observations()["policy"]
        assert obs.shape == (NUM_ENVS, spec.interface.observation_size)
        observations, rewards = [obs.clone()], []
        for _ in range(steps):
            actions = torch.rand(NUM_ENVS, env.num_actions, generator=generator) * 2 - 1
            obs_dict, reward, dones, extras = env.step(actions)
            assert obs_dict["policy"].shape == (NUM_ENVS, spec.interface.observation_size)
            assert reward.shape == (NUM_ENVS,) and dones.shape == (NUM_ENVS,)
            assert extras["success"].shape == (NUM_ENVS,) and extras["success"].dtype == torch.bool
            observations.append(obs_dict["policy"].clone())
            rewards.append(reward.clone())
        return torch.stack(observations), torch.stack(rewards)
    finally:
        env.close()


@pytest.mark.parametrize("spec", TASKS, ids=lambda s: s.name)
def test_rollout_is_finite_and_seeded(spec):
    obs_a, rew_a = _rollout(spec, seed=3)
    assert torch.isfinite(obs_a).all() and torch.isfinite(rew_a).all()
    assert obs_a.std(dim=(0, 1)).gt(0).any(), "observations never change: the simulator is not stepping"
    obs_b, rew_b = _rollout(spec, seed=3)
    assert torch.equal(obs_a, obs_b) and torch.equal(rew_a, rew_b), "same seed must give the same trajectory"
    obs_c, _ = _rollout(spec, seed=4, steps=10)
    assert not torch.equal(obs_a[:11], obs_c), "another seed must give another trajectory"


@pytest.mark.parametrize("spec", TASKS, ids=lambda s: s.name)
def test_interface_matches_simulator(spec):
    """What the manifest will state (joints, defaults, gains, limits) is what the simulator actually uses."""
    env = spec.make_env(EnvOptions(num_envs=4, device="cpu", seed=0))
    try:
        if not hasattr(env, "unwrapped"):  # a Gymnasium MuJoCo task: its model instead of an Isaac Lab scene
            _check_mujoco_interface(spec, env)
            return
        unwrapped = env.unwrapped
        (robot,) = unwrapped.scene.articulations.values()
        data = robot.data
        names = list(robot.joint_names)
        assert env.num_actions == spec.interface.action_size
        assert pytest.approx(unwrapped.step_dt) == spec.interface.control_period_s
        for joint in spec.interface.joints:
            assert joint.name in names, f"{joint.name} not in the articulation's joints {names}"
            j = names.index(joint.name)
            assert float(data.default_joint_pos.torch[0, j]) == pytest.approx(joint.default_position, abs=1e-6)
            assert float(data.joint_stiffness.torch[0, j]) == pytest.approx(joint.stiffness, rel=1e-5)
            assert float(data.joint_damping.torch[0, j]) == pytest.approx(joint.damping, rel=1e-5)
            assert float(data.joint_effort_limits.torch[0, j]) == pytest.approx(joint.effort_limit, rel=1e-5)
            lower, upper = (float(v) for v in data.joint_pos_limits.torch[0, j])
            if joint.position_limits[0] is not None:
                assert (lower, upper) == pytest.approx(joint.position_limits, abs=1e-4)
        for name in spec.interface.action.joint_names:
            assert name in names
    finally:
        env.close()


def _check_mujoco_interface(spec: TaskSpec, env) -> None:
    import mujoco

    gym_env = env.envs[0].unwrapped
    model = gym_env.model
    actuated = [mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_JOINT, model.actuator_trnid[i, 0]) for i in range(model.nu)]
    assert actuated == spec.interface.action.joint_names == [j.name for j in spec.interface.joints]
    assert spec.interface.action.scale == pytest.approx(list(model.actuator_gear[:, 0]))
    assert spec.interface.control_period_s == pytest.approx(gym_env.dt)
    assert env.action_limit == pytest.approx(spec.interface.action.clip)


def test_gym_registration_builds_the_same_env():
    import gymnasium as gym

    spec = TASKS[0]
    env = gym.make(spec.gym_id, num_envs=4, device="cpu", seed=0)
    try:
        obs, _ = env.reset()
        assert env.unwrapped.num_envs == 4
        assert obs["policy"].shape == (4, spec.interface.observation_size)
    finally:
        env.close()
