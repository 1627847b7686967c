"""``num_envs`` Gymnasium MuJoCo envs as one rsl_rl VecEnv (there is no Isaac Lab config for these tasks)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from rsl_rl.env import VecEnv
from tensordict import TensorDict

from robot_ac.tasks import EnvOptions
from sim.tasks.gym_mujoco import mdp


class GymnasiumVecEnv(VecEnv):
    """``num_envs`` Gymnasium envs stepped in turn, resetting themselves, with rsl_rl's VecEnv interface.

    ``extras['time_outs']`` marks truncations (time limit) apart from terminations (fall), ``extras['success']``
    episodes that reached the time limit without falling; ``action_limit`` is the symmetric bound of the action
    space (off-policy actors are built to it); ``policy_terms`` the policy observation's one term.
    """

    def __init__(self, gym_id: str, opts: EnvOptions) -> None:
        import gymnasium as gym

        self.envs = [gym.make(gym_id) for _ in range(opts.num_envs)]
        space = self.envs[0].action_space
        self.action_limit = float(np.max(np.abs([space.low, space.high])))
        self.num_envs, self.num_actions = opts.num_envs, int(space.shape[0])
        self.policy_terms = mdp.policy_terms(int(np.prod(self.envs[0].observation_space.shape)))
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
        # Time-outs without a fall, which are also this task's successes.
        time_outs = torch.as_tensor(mdp.episode_success(terminated, truncated), device=self.device)
        extras = {"time_outs": time_outs, "success": time_outs.clone()}
        return self.get_observations(), self._tensor(rewards), self._tensor(dones), extras

    def close(self) -> None:
        for env in self.envs:
            env.close()
