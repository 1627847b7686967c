"""``cartpole-positions``: the cartpole with a policy that sees only joint positions (its last frames), while the
critic gets the full state: the smallest task where privileged information matters (asymmetric actor-critic).

Like a robot with encoders but no velocity estimate: the actor must infer velocities from its position history;
the critic, used only in training, reads the true velocities (the ``critic`` observation group).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import torch
from tensordict import TensorDict

from robot_ac.export.manifest import ObservationTerm
from robot_ac.tasks import EnvOptions
from sim.tasks.cartpole.task import CARTPOLE_TASK, INTERFACE, JOINTS

HISTORY = 3
"""Position frames the policy sees, oldest first as the robot runtime stacks them (padded with the first frame
after a reset): enough to difference out velocity and acceleration."""

POSITIONS_INTERFACE = dataclasses.replace(
    INTERFACE, task="cartpole-positions", history_length=HISTORY,
    observations=[ObservationTerm(name="joint_pos", size=2, source="joint_state", quantity="position",
                                  joint_names=JOINTS, offset=[0.0, 0.0],
                                  description="cart position (m) and pole angle (rad) from default")])


class PositionHistoryVecEnv:
    """An rsl_rl cartpole VecEnv whose ``policy`` group is the last ``HISTORY`` position frames (oldest first) and
    whose ``critic`` group is the full state (positions and velocities)."""

    def __init__(self, env: Any) -> None:
        self.env = env
        self._history = self._fresh_history(env.get_observations()["policy"])

    def __getattr__(self, name: str) -> Any:  # num_envs, num_actions, device, cfg, unwrapped, close, ...
        return getattr(self.env, name)

    @staticmethod
    def _fresh_history(state: torch.Tensor) -> torch.Tensor:
        return state[:, None, :2].repeat(1, HISTORY, 1)

    def _observations(self, state: torch.Tensor) -> TensorDict:
        return TensorDict({"policy": self._history.flatten(1), "critic": state}, batch_size=[state.shape[0]],
                          device=state.device)

    def get_observations(self) -> TensorDict:
        return self._observations(self.env.get_observations()["policy"])

    def step(self, actions: torch.Tensor) -> tuple[TensorDict, torch.Tensor, torch.Tensor, dict]:
        obs, rewards, dones, extras = self.env.step(actions)
        state = obs["policy"]
        self._history = torch.cat([self._history[:, 1:], state[:, None, :2]], dim=1)
        restarted = dones.bool()
        self._history[restarted] = self._fresh_history(state[restarted])
        return self._observations(state), rewards, dones, extras


def make_positions_env(opts: EnvOptions) -> PositionHistoryVecEnv:
    return PositionHistoryVecEnv(CARTPOLE_TASK.make_env(opts))


CARTPOLE_POSITIONS_TASK = dataclasses.replace(
    CARTPOLE_TASK, name="cartpole-positions", gym_id="RobotAc-Cartpole-Positions-v0",
    description="Cartpole whose policy sees only the last 3 joint-position frames; the critic sees velocities "
                "too (asymmetric actor-critic, AACD's smallest test).",
    interface=POSITIONS_INTERFACE,
    make_env=make_positions_env,
    make_baseline_env=None,
)
