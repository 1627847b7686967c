"""The one device setting (``--device cpu|cuda|cuda:N``) that sim, tensors and learner share."""

from __future__ import annotations

import re

from robot_ac.errors import RobotAcError


def parse_device(device: str) -> str:
    """Normalise ``cuda`` to ``cuda:0``; reject anything else than ``cpu`` / ``cuda[:N]`` or a GPU that is absent."""
    text = device.strip().lower()
    match = re.fullmatch(r"cpu|cuda(?::(\d+))?", text)
    if not match:
        raise RobotAcError(f"bad device '{device}': expected 'cpu', 'cuda' or 'cuda:N' (N = GPU index)")
    if text == "cpu":
        return "cpu"
    import torch

    index = int(match.group(1) or 0)
    if not torch.cuda.is_available():
        raise RobotAcError(f"device '{device}' asked for, but torch sees no CUDA GPU on this machine; use --device cpu")
    if index >= torch.cuda.device_count():
        raise RobotAcError(f"device '{device}': this machine has {torch.cuda.device_count()} CUDA GPU(s) "
                           f"(valid: cuda:0..cuda:{torch.cuda.device_count() - 1})")
    return f"cuda:{index}"
