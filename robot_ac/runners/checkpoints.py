"""Checkpoints: atomic writes, and reads that say what is wrong with a bad file."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import torch

from robot_ac._atomic import atomic_write_bytes
from robot_ac.errors import RobotAcError

REQUIRED_KEYS = ("actor_state_dict", "critic_state_dict", "iter", "infos")
"""What rsl_rl's PPO.save() plus our runner put in every checkpoint."""


def save_checkpoint(path: Path, state: dict[str, Any]) -> Path:
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return atomic_write_bytes(path, buffer.getvalue())


def _iteration_of(path: Path) -> int:
    match = re.fullmatch(r"model_(\d+)\.pt", path.name)
    return int(match.group(1)) if match else -1


def find_checkpoint(target: str | Path) -> Path:
    """Resolve a checkpoint file, a run directory (its latest checkpoint) or a checkpoints folder."""
    path = Path(target)
    if path.is_file():
        return path
    if not path.exists():
        raise RobotAcError(f"checkpoint '{path}' does not exist (give a model_<N>.pt file or a run directory)")
    folder = path / "checkpoints" if (path / "checkpoints").is_dir() else path
    candidates = sorted(folder.glob("model_*.pt"), key=_iteration_of)
    if not candidates:
        raise RobotAcError(f"no checkpoint (model_<N>.pt) in '{folder}'")
    return candidates[-1]


def load_checkpoint(path: str | Path, map_location: str = "cpu") -> dict[str, Any]:
    """Load a robot-ac checkpoint, failing with the file name and the reason."""
    path = find_checkpoint(path)
    try:
        state = torch.load(path, map_location=map_location, weights_only=False)
    except Exception as exc:  # torch raises many types for truncated or foreign files
        raise RobotAcError(f"checkpoint '{path}' cannot be read ({type(exc).__name__}: {exc}); "
                           "the file is corrupt or not a torch checkpoint") from exc
    if not isinstance(state, dict):
        raise RobotAcError(f"checkpoint '{path}' holds a {type(state).__name__}, expected a dict")
    missing = [k for k in REQUIRED_KEYS if k not in state]
    if missing:
        raise RobotAcError(f"checkpoint '{path}' lacks {missing}; it was not written by `robot-ac train`")
    infos = state["infos"] or {}
    for key in ("interface", "train_cfg", "obs_dims"):
        if key not in infos:
            raise RobotAcError(f"checkpoint '{path}' lacks infos['{key}']; it was not written by `robot-ac train`")
    state["path"] = path
    return state
