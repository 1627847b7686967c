"""Actuator randomisation from a replay report: the ranges a re-simulation fitted to a real robot's actuators, read
from ``REPORT/summary.json`` for ``robot-ac train --randomize-from``, so a replay feeds the next training run.

A PD-position robot's report (:mod:`sim.pd_resim`) gives, per joint, ``stiffness_scale``, ``damping_scale`` (on the
commanded gains) and ``coulomb_friction`` (N·m) ranges, and the command delay in control ticks. The task's env
draws each joint's values from these ranges at every reset (friction once, at start-up) and delays its actions by a
draw from the delay range.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from robot_ac.errors import RobotAcError

PD_QUANTITIES = ("stiffness_scale", "damping_scale", "coulomb_friction")


@dataclass(frozen=True)
class ActuatorRandomization:
    """Per joint, (low, high) of each of :data:`PD_QUANTITIES`; the action delay's (low, high) in control ticks."""

    joints: dict[str, dict[str, tuple[float, float]]]
    delay_ticks: tuple[int, int]
    source: str = ""


def _range(value: object, where: str, integer: bool = False) -> tuple[float, float]:
    if (not isinstance(value, list) or len(value) != 2
            or not all(isinstance(v, (int, float)) and math.isfinite(v) for v in value)):
        raise RobotAcError(f"{where}: expected [low, high] (two finite numbers), got {value!r}")
    low, high = value
    if low > high or low < 0 or (integer and not all(float(v).is_integer() for v in value)):
        raise RobotAcError(f"{where}: expected 0 <= low <= high{' (whole ticks)' if integer else ''}, got {value!r}")
    return (int(low), int(high)) if integer else (float(low), float(high))


def load_actuator_randomization(path: str | Path) -> ActuatorRandomization:
    """The ranges in a replay's ``summary.json`` (or the report directory holding it); every problem names the file
    and the field."""
    path = Path(path)
    if path.is_dir():
        path = path / "summary.json"
    try:
        summary = json.loads(path.read_text())
    except FileNotFoundError:
        raise RobotAcError(f"--randomize-from: '{path}' does not exist (give a replay report's summary.json)") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise RobotAcError(f"--randomize-from: '{path}' is not readable JSON: {exc}") from exc
    ranges = (summary.get("resimulation") or {}).get("domain_randomization") if isinstance(summary, dict) else None
    if not isinstance(ranges, dict):
        raise RobotAcError(f"{path}: no resimulation.domain_randomization (made by `robot-ac replay --resim`?)")
    actuators = ranges.get("actuators")
    if not isinstance(actuators, dict) or not actuators:
        raise RobotAcError(f"{path}: resimulation.domain_randomization.actuators: expected ranges per joint")
    joints = {}
    for name, quantities in actuators.items():
        where = f"{path}: resimulation.domain_randomization.actuators.{name}"
        if not isinstance(quantities, dict) or set(quantities) != set(PD_QUANTITIES):
            found = sorted(quantities) if isinstance(quantities, dict) else quantities
            raise RobotAcError(f"{where}: expected the ranges of a PD-position robot's actuator "
                               f"{list(PD_QUANTITIES)}, found {found}")
        joints[name] = {q: _range(quantities[q], f"{where}.{q}") for q in PD_QUANTITIES}
    delay = _range(ranges.get("action_delay_ticks"), f"{path}: resimulation.domain_randomization.action_delay_ticks",
                   integer=True)
    return ActuatorRandomization(joints, delay, str(path))
