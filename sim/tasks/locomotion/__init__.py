"""Velocity-command locomotion on flat ground, joint-position actions (manager-based Isaac Lab env)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from robot_ac.tasks import EnvOptions

if TYPE_CHECKING:
    from robot_ac.contract.manifest import PolicyInterface


def env_factories(robot_cfg: Callable[[], Any], robot: Callable[[], Any], interface: PolicyInterface,
                  variant: Callable[[Any, EnvOptions], Any] | None = None,
                  success: Callable[[], Callable] | None = None
                  ) -> tuple[Callable[[EnvOptions], Any], Callable[[EnvOptions], Any]]:
    """A locomotion task's ``make_gym_env`` and ``make_env`` for one robot (its ArticulationCfg and its
    LocomotionRobot settings) and its policy ``interface``, which ``make_env`` checks the env against. ``variant``
    edits the config in place for the options (e.g. ``env_cfg.make_standing``); ``success`` returns the success term
    (default: the episode survived). Isaac Lab is imported when an env is made, not when the task is listed."""

    def make_gym_env(opts: EnvOptions) -> Any:
        from isaaclab.envs import ManagerBasedRLEnv

        from sim.tasks.locomotion.env_cfg import make_locomotion_env_cfg

        cfg = make_locomotion_env_cfg(opts, robot_cfg=robot_cfg(), robot=robot())
        if variant is not None:
            variant(cfg, opts)
        return ManagerBasedRLEnv(cfg)

    def make_env(opts: EnvOptions) -> Any:
        from sim.bootstrap import wrap_for_rsl_rl
        from sim.tasks.locomotion.mdp import survived

        return wrap_for_rsl_rl(make_gym_env(opts), interface, success=success() if success else survived)

    return make_gym_env, make_env
