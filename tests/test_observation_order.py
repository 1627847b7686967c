"""An env refuses to start unless its policy observation terms (names, order, sizes, history) and its action size
are the task interface's: a policy trained on swapped terms would read velocities as positions on the robot."""

from __future__ import annotations

import dataclasses
import re

import pytest
import torch

from robot_ac.errors import RobotAcError
from robot_ac.tasks import EnvOptions
from sim.tasks.cartpole.config.cartpole import INTERFACE as CARTPOLE_INTERFACE

OPTS = EnvOptions(num_envs=4, device="cpu", seed=0)


def _swap_terms(group, first: str, second: str) -> None:
    """Swap two terms' places in an observation group config (the manager reads its terms in attribute order)."""
    items = list(vars(group).items())
    names = [name for name, _ in items]
    i, j = names.index(first), names.index(second)
    items[i], items[j] = items[j], items[i]
    vars(group).clear()
    vars(group).update(items)


@pytest.mark.sim
def test_franka_reach_refuses_swapped_joint_terms_and_builds_unmodified():
    from sim.tasks.reach.config.franka import JOINT_INTERFACE as INTERFACE
    from sim.tasks.reach.config.franka import make_env_cfg, make_env_from_cfg

    cfg = make_env_cfg(OPTS, task_space=False)
    _swap_terms(cfg.observations.policy, "joint_pos", "joint_vel")
    with pytest.raises(RobotAcError) as refused:
        make_env_from_cfg(cfg, INTERFACE)
    assert str(refused.value) == ("task 'franka-reach-joint': policy observation term 1 is 'joint_vel' (9 values) in "
                                  "the env config, the manifest expects 'joint_pos' (9)")

    env = make_env_from_cfg(make_env_cfg(OPTS, task_space=False), INTERFACE)
    try:
        assert env.unwrapped.observation_manager.active_terms["policy"] == [t.name for t in INTERFACE.observations]
        assert env.get_observations()["policy"].shape == (4, INTERFACE.observation_size)
    finally:
        env.close()


class _DeclaredEnv:
    """A VecEnv stand-in whose policy observation is ``width`` values and whose action ``num_actions``."""

    def __init__(self, width: int, num_actions: int) -> None:
        self.width, self.num_actions, self.closed = width, num_actions, False

    def get_observations(self):
        return {"policy": torch.zeros(2, self.width)}

    def close(self) -> None:
        self.closed = True


INTERFACE_2x3 = dataclasses.replace(CARTPOLE_INTERFACE, history_length=3)
"""joint_pos (2), joint_vel (2), 3 frames of them; 1 action."""


@pytest.mark.parametrize("terms, history, width, actions, message", [
    ([("joint_pos", 2)], 3, 6, 1, "term 2 is nothing in the env config, the manifest expects 'joint_vel' (2)"),
    ([("joint_pos", 2), ("joint_vel", 3)], 3, 15, 1, "term 2 is 'joint_vel' (3 values)"),
    ([("joint_pos", 2), ("joint_vel", 2)], 1, 4, 1, "stacks 1 policy observation frames, the manifest expects 3"),
    ([("joint_pos", 2), ("joint_vel", 2)], 3, 4, 1, "has 4 values, its terms and the manifest 12"),
    ([("joint_pos", 2), ("joint_vel", 2)], 3, 12, 2, "takes 2 action values, the manifest 1"),
])
def test_declared_terms_are_checked_with_history_and_action_size(terms, history, width, actions, message):
    from sim.bootstrap import checked

    env = _DeclaredEnv(width, actions)
    with pytest.raises(RobotAcError, match=re.escape(message)):
        checked(env, INTERFACE_2x3, terms, history)
    assert env.closed, "a refused env is closed"
    good = _DeclaredEnv(12, 1)
    assert checked(good, INTERFACE_2x3, [("joint_pos", 2), ("joint_vel", 2)], 3) is good and not good.closed
