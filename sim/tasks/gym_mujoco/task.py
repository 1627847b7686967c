"""``mujoco-humanoid``: Gymnasium's ``Humanoid-v5`` as an rsl_rl VecEnv, with a policy interface for export."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from rsl_rl.env import VecEnv
from tensordict import TensorDict

from robot_ac.config import PpoConfig
from robot_ac.contract.manifest import ActionSpec, JointSpec, ObservationTerm, PolicyInterface
from robot_ac.tasks import EnvOptions, TaskSpec

GYM_ID = "Humanoid-v5"
JOINTS = ["abdomen_y", "abdomen_z", "abdomen_x", "right_hip_x", "right_hip_z", "right_hip_y", "right_knee",
          "left_hip_x", "left_hip_z", "left_hip_y", "left_knee", "right_shoulder1", "right_shoulder2", "right_elbow",
          "left_shoulder1", "left_shoulder2", "left_elbow"]
"""Actuated joints in actuator order (Gymnasium's humanoid.xml)."""
GEARS = [100, 100, 100, 100, 100, 300, 200, 100, 100, 300, 200, 25, 25, 25, 25, 25, 25]
ACTION_LIMIT = 0.4
"""Humanoid-v5's action space is [-0.4, 0.4] per motor (control x gear = torque, N·m)."""
OBSERVATION_SIZE = 348

INTERFACE = PolicyInterface(
    task="mujoco-humanoid",
    robot="gymnasium_humanoid",
    joints=[JointSpec(name=name, default_position=0.0, position_limits=(None, None), velocity_limit=None,
                      effort_limit=ACTION_LIMIT * gear, stiffness=0.0, damping=0.0)
            for name, gear in zip(JOINTS, GEARS)],
    control_period_s=0.015,  # MuJoCo timestep 0.003 s x frame_skip 5
    observations=[ObservationTerm(name="gym_observation", size=OBSERVATION_SIZE, source="task",
                                  quantity="observation", description="Humanoid-v5's observation vector "
                                  "(positions, velocities, inertias, actuator and external forces): sim-only")],
    action=ActionSpec(type="joint_effort", joint_names=JOINTS, scale=[float(g) for g in GEARS],
                      offset=[0.0] * len(JOINTS), clip=ACTION_LIMIT),
)


class GymnasiumVecEnv(VecEnv):
    """``num_envs`` Gymnasium envs stepped in turn, resetting themselves, with rsl_rl's VecEnv interface.

    ``extras['time_outs']`` marks truncations (time limit) apart from terminations (fall), ``extras['success']``
    episodes that reached the time limit without falling; ``action_limit`` is the symmetric bound of the action
    space (off-policy actors are built to it).
    """

    def __init__(self, gym_id: str, opts: EnvOptions) -> None:
        import gymnasium as gym

        self.envs = [gym.make(gym_id) for _ in range(opts.num_envs)]
        space = self.envs[0].action_space
        self.action_limit = float(np.max(np.abs([space.low, space.high])))
        self.num_envs, self.num_actions = opts.num_envs, int(space.shape[0])
        self.device = opts.device
        self.max_episode_length = self.envs[0].spec.max_episode_steps or 1000
        self.episode_length_buf = torch.zeros(self.num_envs, dtype=torch.long, device=self.device)
        self.cfg: dict[str, Any] = {"gym_id": gym_id}
        self._obs = np.stack([env.reset(seed=opts.seed + i)[0] for i, env in enumerate(self.envs)])

    def _tensor(self, values: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(np.asarray(values, dtype=np.float32), device=self.device)

    def get_observations(self) -> TensorDict:
        return TensorDict({"policy": self._tensor(self._obs)}, batch_size=[self.num_envs], device=self.device)

    def step(self, actions: torch.Tensor) -> tuple[TensorDict, torch.Tensor, torch.Tensor, dict]:
        actions_np = actions.detach().cpu().numpy().clip(-self.action_limit, self.action_limit)
        rewards, terminated, truncated = (np.zeros(self.num_envs) for _ in range(3))
        for i, env in enumerate(self.envs):
            obs, rewards[i], terminated[i], truncated[i], _ = env.step(actions_np[i])
            if terminated[i] or truncated[i]:
                obs, _ = env.reset()
            self._obs[i] = obs
        dones = np.logical_or(terminated, truncated)
        self.episode_length_buf += 1
        self.episode_length_buf[torch.as_tensor(dones, device=self.device)] = 0
        time_outs = torch.as_tensor(np.logical_and(truncated, ~terminated.astype(bool)), device=self.device)
        extras = {"time_outs": time_outs, "success": time_outs.clone()}
        return self.get_observations(), self._tensor(rewards), self._tensor(dones), extras

    def close(self) -> None:
        for env in self.envs:
            env.close()


def _make_gym_env(opts: EnvOptions) -> Any:
    import gymnasium as gym

    return gym.make(GYM_ID)


MUJOCO_HUMANOID_TASK = TaskSpec(
    name="mujoco-humanoid",
    gym_id=GYM_ID,
    description="Gymnasium MuJoCo Humanoid-v5 (CPU, one simulation per env): the Symphony paper's single-env "
                "setting; sim-only observations, so its exports do not deploy to a robot.",
    interface=INTERFACE,
    make_env=lambda opts: GymnasiumVecEnv(GYM_ID, opts),
    make_gym_env=_make_gym_env,
    ppo=PpoConfig(num_steps_per_env=64, actor_hidden_dims=(256, 256), critic_hidden_dims=(256, 256)),
    max_iterations=1000,
    num_envs=1,
    success_metric="the episode reaches Humanoid-v5's 1000-step limit without falling",
)
