"""Shared by the locomotion robot tests: drop robots on the task's ground, push them, record what happens."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

SIM_DT = 1 / 150
"""The locomotion tasks' physics step (s)."""


def drop_and_push(robot_cfg: Any, push_mps: np.ndarray, seconds: float, njmax: int, nconmax: int,
                  hold_default: bool, inspect: Callable[[Any, Any, Any], dict[str, Any]]) -> dict[str, Any]:
    """``len(push_mps)`` robots on the task's ground, each given the planar root velocity ``push_mps[i]`` (m/s), the
    PD targets at the default pose (``hold_default``: also start exactly there), simulated for ``seconds``.

    Returns joint and body names, ``heights`` and ``speeds`` [steps, envs] of the root, ``contacts`` [steps] (mean
    per env), the largest constraint-row count, plus ``inspect(robot, model, solver)`` evaluated inside the
    simulation context (which is closed on return, so tests can build their own environments afterwards).
    """
    import torch
    from isaaclab.scene import InteractiveScene
    from isaaclab.sim import SimulationCfg, build_simulation_context
    from isaaclab_newton.physics import NewtonManager

    from sim.bootstrap import newton_physics
    from sim.tasks.locomotion.env_cfg import LocomotionSceneCfg

    num_envs = len(push_mps)
    scene_cfg = LocomotionSceneCfg(num_envs=num_envs, env_spacing=3.0)
    scene_cfg.robot = robot_cfg
    sim_cfg = SimulationCfg(dt=SIM_DT, device="cpu", physics=newton_physics("cpu", njmax=njmax, nconmax=nconmax))
    with build_simulation_context(sim_cfg=sim_cfg) as sim:
        scene = InteractiveScene(scene_cfg)
        sim.reset()
        robot = scene["robot"]
        if hold_default:
            default = robot.data.default_joint_pos.torch.clone()
            robot.write_joint_position_to_sim_index(position=default)
            robot.set_joint_position_target_index(target=default)
        velocity = torch.zeros(num_envs, 6)
        velocity[:, :2] = torch.as_tensor(np.asarray(push_mps, dtype=np.float32))
        robot.write_root_velocity_to_sim_index(root_velocity=velocity)
        solver = NewtonManager._solver
        heights, speeds, contacts, max_rows = [], [], [], 0
        for _ in range(round(seconds / SIM_DT)):
            scene.write_data_to_sim()
            sim.step()
            scene.update(SIM_DT)
            heights.append(robot.data.root_pos_w.torch[:, 2].clone())
            speeds.append(robot.data.root_lin_vel_w.torch.norm(dim=-1).clone())
            contacts.append(int(solver.mjw_data.nacon.numpy()[0]) / num_envs)
            max_rows = max(max_rows, int(solver.mjw_data.nefc.numpy().max()))
        return {
            "joint_names": list(robot.joint_names),
            "body_names": list(robot.body_names),
            "fixed_base": robot.is_fixed_base,
            "heights": torch.stack(heights).numpy(),
            "speeds": torch.stack(speeds).numpy(),
            "contacts": np.array(contacts),
            "max_rows": max_rows,
            **inspect(robot, NewtonManager.get_model(), solver),
        }


BASE_PRIVILEGED = {"base_lin_vel": 3, "base_height": 1}


def assert_observation_groups_match(env: Any, interface: Any, num_envs: int,
                                    privileged: dict[str, int] = BASE_PRIVILEGED) -> None:
    """The ``policy`` group is the interface term by term; the ``critic`` group is those terms first, then only the
    ``privileged`` extras (name: size; default base velocity and height); the policy reads nothing a real robot
    lacks."""
    manager = env.unwrapped.observation_manager
    policy_terms = manager.active_terms["policy"]
    assert policy_terms == [term.name for term in interface.observations]
    assert [dims[0] for dims in manager.group_obs_term_dim["policy"]] == [term.size for term in interface.observations]
    obs = env.get_observations()
    assert obs["policy"].shape == (num_envs, interface.observation_size)
    assert manager.active_terms["critic"] == policy_terms + list(privileged)
    assert obs["critic"].shape == (num_envs, interface.observation_size + sum(privileged.values()))
    assert {term.source for term in interface.observations} <= {"imu", "joint_state", "command", "previous_action"}


def assert_steps_finite_and_a_fall_terminates(env: Any, num_envs: int) -> None:
    """Small random actions keep a standing robot up with finite observations and rewards; env 0 laid on its back
    terminates (not a time-out) and earns less than the others on that step."""
    import math

    import torch
    from isaaclab.utils.math import quat_from_euler_xyz

    unwrapped = env.unwrapped
    robot = unwrapped.scene["robot"]
    generator = torch.Generator().manual_seed(0)
    env.reset()
    for _ in range(10):
        obs, rewards, dones, _ = env.step(0.3 * torch.randn(num_envs, env.num_actions, generator=generator))
        assert torch.isfinite(obs["policy"]).all() and torch.isfinite(obs["critic"]).all()
        assert torch.isfinite(rewards).all()
    assert not dones.any(), "a standing robot fell within 0.2 s of small random actions"
    pose = robot.data.root_pose_w.torch.clone()
    pose[0, 2] = 0.3
    pose[0, 3:] = quat_from_euler_xyz(torch.tensor([math.pi / 2]), torch.zeros(1), torch.zeros(1))[0]
    robot.write_root_pose_to_sim_index(root_pose=pose)
    _, rewards, dones, _ = env.step(torch.zeros(num_envs, env.num_actions))
    assert dones.tolist() == [True] + [False] * (num_envs - 1)
    assert unwrapped.reset_terminated[0] and not unwrapped.reset_time_outs[0]
    assert rewards[0] < rewards[1:].min()
