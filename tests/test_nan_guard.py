"""The NaN guard keeps the history of the failing environments and names the dump in its error."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from tensordict import TensorDict

from robot_ac.errors import RobotAcError
from robot_ac.runners.nan_guard import NanGuard


class _ExplodingEnv:
    """Env 2 of 4 goes NaN at step 7; the others stay finite."""

    num_envs, num_actions, device = 4, 2, "cpu"

    def __init__(self) -> None:
        self.t = 0
        self.episode_length_buf = torch.zeros(4)

    def step(self, actions):
        self.t += 1
        obs = torch.full((4, 3), float(self.t))
        if self.t >= 7:
            obs[2, 1] = float("nan")
        return TensorDict({"policy": obs}, batch_size=[4]), torch.ones(4), torch.zeros(4), {}


def test_nan_guard_dumps_the_failing_envs_history(tmp_path):
    env = NanGuard(_ExplodingEnv(), tmp_path, history=4)
    env.episode_length_buf = torch.ones(4)  # rsl_rl assigns this; it must reach the real env
    assert torch.equal(env.env.episode_length_buf, torch.ones(4))
    for step in range(6):
        env.step(torch.full((4, 2), float(step)))
    with pytest.raises(RobotAcError, match=r"env\(s\) \[2\] at step 7; their last 4 steps are in .*nan_dump_step7.npz"):
        env.step(torch.full((4, 2), 6.0))
    dump = np.load(tmp_path / "nan_dump_step7.npz")
    assert dump["env_ids"].tolist() == [2]
    assert dump["observations"].shape == (4, 1, 3) and dump["actions"].shape == (4, 1, 2)
    np.testing.assert_array_equal(dump["observations"][:, 0, 0], [4.0, 5.0, 6.0, 7.0])  # oldest first
    assert np.isnan(dump["observations"][-1, 0, 1]) and np.isfinite(dump["observations"][:-1]).all()
    np.testing.assert_array_equal(dump["actions"][:, 0, 0], [3.0, 4.0, 5.0, 6.0])
