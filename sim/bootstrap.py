"""Isaac Lab kit-less bootstrap: Newton physics per device, local-assets-only checks, rsl_rl wrapping with a check
that the env's policy observation and action are the task interface's."""

from __future__ import annotations

import collections
import dataclasses
import math
import re
from collections.abc import Callable, Sequence
from itertools import zip_longest
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from robot_ac.errors import RobotAcError

from isaaclab_newton.physics import MJWarpSolverCfg, NewtonCfg
from isaaclab_rl.rsl_rl import RslRlVecEnvWrapper

if TYPE_CHECKING:
    from robot_ac.contract.manifest import PolicyInterface

_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://|^omniverse:")
_ASSET_FIELDS = ("usd_path", "asset_path", "mjcf_path", "urdf_path", "file_path")


def newton_physics(device: str, *, njmax: int, nconmax: int, num_substeps: int = 1, **solver: Any) -> NewtonCfg:
    """Newton with the MuJoCo-Warp solver; contact buffers sized per task (the defaults overflow into NaN).

    CUDA graphs only on CUDA: on CPU they do not exist and Newton refuses them.
    """
    solver_cfg = MJWarpSolverCfg(njmax=njmax, nconmax=nconmax, cone="pyramidal", impratio=1,
                                 integrator="implicitfast", **solver)
    return NewtonCfg(solver_cfg=solver_cfg, num_substeps=num_substeps, debug_mode=False,
                     use_cuda_graph=device.startswith("cuda"))


def _walk(obj: Any, path: str, seen: set[int]):
    if id(obj) in seen or obj is None or isinstance(obj, (int, float, bool, type)):
        return
    seen.add(id(obj))
    if isinstance(obj, str):
        yield path, obj
    elif isinstance(obj, dict):
        for key, value in obj.items():
            yield from _walk(value, f"{path}.{key}", seen)
    elif isinstance(obj, (list, tuple)):
        for i, value in enumerate(obj):
            yield from _walk(value, f"{path}[{i}]", seen)
    elif dataclasses.is_dataclass(obj):
        for f in dataclasses.fields(obj):
            yield from _walk(getattr(obj, f.name, None), f"{path}.{f.name}", seen)


def check_local_assets(cfg: Any, name: str = "cfg") -> None:
    """Fail fast if any asset path in ``cfg`` is a URL or a missing file.

    An unreachable Nucleus/S3 URL otherwise costs a ~50 s timeout before Isaac Lab fails with an unclear error.
    """
    for path, value in _walk(cfg, name, set()):
        field = path.rsplit(".", 1)[-1]
        if _URL.match(value):
            raise RobotAcError(f"{path} = '{value}' is a URL; robot-ac runs offline and loads assets only from "
                               f"local files (put the model under sim/assets/)")
        if field in _ASSET_FIELDS and not Path(value).is_file():
            raise RobotAcError(f"{path} = '{value}': no such file")


class SuccessReportingVecEnv(RslRlVecEnvWrapper):
    """Isaac Lab's rsl_rl wrapper plus ``extras['success']``: a per-env bool, valid where an episode just ended;
    ``recent_success_rate`` is the share of the last ``window`` finished episodes that succeeded (what training
    logs). Episodes that did not start at a reset (rsl_rl's random initial episode lengths) are left out of it: a
    time-out after a random head start is no success."""

    def __init__(self, env: Any, success: Callable[[Any], torch.Tensor], clip_actions: float | None = None,
                 window: int = 200):
        super().__init__(env, clip_actions=clip_actions)
        self._success = success
        self._outcomes: collections.deque[bool] = collections.deque(maxlen=window)
        self._whole_episode = torch.ones(self.num_envs, dtype=torch.bool, device=self.device)
        """Per env: the running episode started at a reset (not at a random episode length)."""

    @property
    def episode_length_buf(self) -> torch.Tensor:
        return self.unwrapped.episode_length_buf

    @episode_length_buf.setter
    def episode_length_buf(self, value: torch.Tensor) -> None:
        self.unwrapped.episode_length_buf = value
        self._whole_episode = value == 0

    @property
    def recent_success_rate(self) -> float | None:
        return sum(self._outcomes) / len(self._outcomes) if self._outcomes else None

    def _curricula(self) -> dict[str, Any]:
        """The env's curriculum terms that keep a state (``state`` / ``load_state``), by name."""
        manager = getattr(self.unwrapped, "curriculum_manager", None)
        if manager is None:
            return {}
        return {name: cfg.func for name, cfg in zip(manager.active_terms, manager._term_cfgs)
                if hasattr(cfg.func, "state")}

    @property
    def curriculum_level(self) -> float | None:
        """The first curriculum's difficulty level (what training logs and plots), None without one."""
        levels = [term.state()["level"] for term in self._curricula().values()]
        return levels[0] if levels else None

    def curriculum_state(self) -> dict[str, dict[str, Any]]:
        """What a checkpoint keeps of the curricula, so a resumed run continues where it was."""
        return {name: term.state() for name, term in self._curricula().items()}

    def load_curriculum_state(self, state: dict[str, dict[str, Any]]) -> None:
        curricula = self._curricula()
        for name, term_state in state.items():
            if name in curricula:
                curricula[name].load_state(term_state)

    def step(self, actions: torch.Tensor):  # type: ignore[override]
        obs, rewards, dones, extras = super().step(actions)
        success = self._success(self.unwrapped)
        extras["success"] = success
        ended = dones.bool()
        if ended.any():
            self._outcomes.extend(success[ended & self._whole_episode].tolist())
            self._whole_episode |= ended
        return obs, rewards, dones, extras


def _manager_terms(env: Any, task: str) -> tuple[list[tuple[str, int]], int]:
    """(name, values per frame) of a manager-based env's ``policy`` terms in order, and its history length."""
    unwrapped = env.unwrapped
    manager = getattr(unwrapped, "observation_manager", None)
    if manager is None:
        raise RobotAcError(f"task '{task}': the env has no observation manager and its factory states no policy "
                           "observation terms; a direct env must declare them where its observations are built")
    names = list(manager.active_terms["policy"])
    group = unwrapped.cfg.observations.policy
    lengths = {(group.history_length if group.history_length is not None else getattr(group, n).history_length) or 1
               for n in names}
    if len(lengths) > 1:
        raise RobotAcError(f"task '{task}': the policy observation terms have different history lengths "
                           f"{sorted(lengths)}; the robot runtime stacks whole frames")
    history = lengths.pop()
    if history > 1 and len(names) > 1 and group.history_order != "time":
        raise RobotAcError(f"task '{task}': the policy history is stacked term by term; the robot runtime stacks "
                           "whole frames, oldest first (set history_order='time' on the policy group)")
    sizes = [math.prod(dim) // history for dim in manager.group_obs_term_dim["policy"]]
    return list(zip(names, sizes)), history


def _term(term: tuple[str, int] | None, unit: str = "") -> str:
    return "nothing" if term is None else f"'{term[0]}' ({term[1]}{unit})"


def check_observation_terms(env: Any, interface: PolicyInterface, terms: Sequence[tuple[str, int]] | None = None,
                            history_length: int = 1) -> None:
    """Refuse an rsl_rl env whose policy observation or action is not the task interface's (the manifest's).

    The policy group must have the interface's terms (name, values per frame) in its order, its history length,
    the observation width they add up to, and the interface's action size. A manager-based env's terms are read
    from its observation manager; any other env passes ``terms`` and ``history_length`` as declared where its
    observations are built.
    """
    task = interface.task
    if terms is None:
        terms, history_length = _manager_terms(env, task)
    expected = [(term.name, term.size) for term in interface.observations]
    for i, (want, found) in enumerate(zip_longest(expected, list(terms)), start=1):
        if want != found:
            raise RobotAcError(f"task '{task}': policy observation term {i} is {_term(found, ' values')} in the env "
                               f"config, the manifest expects {_term(want)}")
    if history_length != interface.history_length:
        raise RobotAcError(f"task '{task}': the env stacks {history_length} policy observation frames, the manifest "
                           f"expects {interface.history_length}")
    width = env.get_observations()["policy"].shape[-1]
    if width != interface.observation_size:
        raise RobotAcError(f"task '{task}': the env's policy observation has {width} values, its terms and the "
                           f"manifest {interface.observation_size}")
    if env.num_actions != interface.action_size:
        raise RobotAcError(f"task '{task}': the env takes {env.num_actions} action values, the manifest "
                           f"{interface.action_size}")


def checked(env: Any, interface: PolicyInterface, terms: Sequence[tuple[str, int]] | None = None,
            history_length: int = 1) -> Any:
    """``env`` after :func:`check_observation_terms`; an env that fails it is closed before the error is raised."""
    try:
        check_observation_terms(env, interface, terms, history_length)
    except RobotAcError:
        env.close()
        raise
    return env


def wrap_for_rsl_rl(env: Any, interface: PolicyInterface, success: Callable[[Any], torch.Tensor] | None = None,
                    clip_actions: float | None = None, terms: Sequence[tuple[str, int]] | None = None
                    ) -> RslRlVecEnvWrapper:
    """Wrap an Isaac Lab env for rsl_rl after checking it against the task's ``interface``
    (:func:`check_observation_terms`; ``terms``: a direct env's declared policy terms). With ``success`` the wrapper
    also reports per-episode success, with ``clip_actions`` it clips actions to [-clip, clip] (the manifest's action
    clip)."""
    if success is None:
        wrapped = RslRlVecEnvWrapper(env, clip_actions=clip_actions)
    else:
        wrapped = SuccessReportingVecEnv(env, success, clip_actions=clip_actions)
    return checked(wrapped, interface, terms)
