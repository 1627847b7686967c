"""Terms of the cartpole tasks beyond Isaac Lab's direct cartpole: its policy observation terms as declared for the
interface check, episode success, and the position-history observation of ``cartpole-positions``.

The dynamics, reward, terminations and the full-state observation are Isaac Lab's ``CartpoleEnv``.
"""

from __future__ import annotations

from typing import Any

import torch
from tensordict import TensorDict

POLICY_TERMS = [("joint_pos", 2), ("joint_vel", 2)]
"""The direct env's ``policy`` observation as ``CartpoleEnv._get_observations`` concatenates it: cart and pole
position relative to default, then cart and pole velocity."""
POSITIONS = POLICY_TERMS[0][1]
"""The first values of the state are the joint positions."""


def episode_success(env) -> torch.Tensor:
    """Success: the episode ran to its time limit with the cart on the track (Isaac Lab's 'survived')."""
    return env.reset_time_outs & ~env.reset_terminated


class PositionHistoryVecEnv:
    """An rsl_rl cartpole VecEnv whose ``policy`` group is the last ``history`` position frames (oldest first, padded
    with the first frame after a reset, as the robot runtime stacks them) and whose ``critic`` group is the full
    state (positions and velocities)."""

    policy_terms = POLICY_TERMS[:1]
    """Each policy frame: the joint positions."""

    def __init__(self, env: Any, history: int) -> None:
        self.env = env
        self.history_length = history
        self._history = self._fresh_history(env.get_observations()["policy"])

    def __getattr__(self, name: str) -> Any:  # num_envs, num_actions, device, cfg, unwrapped, close, ...
        return getattr(self.env, name)

    def _fresh_history(self, state: torch.Tensor) -> torch.Tensor:
        return state[:, None, :POSITIONS].repeat(1, self.history_length, 1)

    def _observations(self, state: torch.Tensor) -> TensorDict:
        return TensorDict({"policy": self._history.flatten(1), "critic": state}, batch_size=[state.shape[0]],
                          device=state.device)

    def get_observations(self) -> TensorDict:
        return self._observations(self.env.get_observations()["policy"])

    def step(self, actions: torch.Tensor) -> tuple[TensorDict, torch.Tensor, torch.Tensor, dict]:
        obs, rewards, dones, extras = self.env.step(actions)
        state = obs["policy"]
        self._history = torch.cat([self._history[:, 1:], state[:, None, :POSITIONS]], dim=1)
        restarted = dones.bool()
        self._history[restarted] = self._fresh_history(state[restarted])
        return self._observations(state), rewards, dones, extras
