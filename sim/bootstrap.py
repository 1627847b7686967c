"""Isaac Lab kit-less bootstrap: Newton physics per device, local-assets-only checks, rsl_rl wrapping."""

from __future__ import annotations

import collections
import dataclasses
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from robot_ac.errors import RobotAcError

from isaaclab_newton.physics import MJWarpSolverCfg, NewtonCfg
from isaaclab_rl.rsl_rl import RslRlVecEnvWrapper

if TYPE_CHECKING:
    import torch

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
    logs)."""

    def __init__(self, env: Any, success: Callable[[Any], torch.Tensor], clip_actions: float | None = None,
                 window: int = 200):
        super().__init__(env, clip_actions=clip_actions)
        self._success = success
        self._outcomes: collections.deque[bool] = collections.deque(maxlen=window)

    @property
    def recent_success_rate(self) -> float | None:
        return sum(self._outcomes) / len(self._outcomes) if self._outcomes else None

    def step(self, actions: torch.Tensor):  # type: ignore[override]
        obs, rewards, dones, extras = super().step(actions)
        success = self._success(self.unwrapped)
        extras["success"] = success
        ended = dones.bool()
        if ended.any():
            self._outcomes.extend(success[ended].tolist())
        return obs, rewards, dones, extras


def wrap_for_rsl_rl(env: Any, success: Callable[[Any], torch.Tensor] | None = None,
                    clip_actions: float | None = None) -> RslRlVecEnvWrapper:
    """Wrap an Isaac Lab env for rsl_rl; with ``success`` the wrapper also reports per-episode success, with
    ``clip_actions`` it clips actions to [-clip, clip] (the manifest's action clip)."""
    if success is None:
        return RslRlVecEnvWrapper(env, clip_actions=clip_actions)
    return SuccessReportingVecEnv(env, success, clip_actions=clip_actions)
