"""How a Cartesian impedance controller tracks its targets, fitted from a robot log.

Per control tick ``k`` (a recorded command at log time ``t_k``) the measured pose ``m[k]`` is the recorded pose
stream interpolated at ``t_k``, the target ``u[k]`` the recorded command (both in the controller's frame). The
controller is modelled as a first-order lag behind the target commanded ``d`` ticks earlier::

    m[k+1] = m[k] + g (u[k-d] - m[k])

for the position, and with rotation vectors for the orientation (``rotation_between(m[k], m[k+1]) =
g_rot rotation_between(m[k], u[k-d])``). ``g`` comes from linear least squares for each ``d`` in
0..``max_delay_ticks``, and ``d`` is the delay leaving the least unexplained motion. The equivalent time constant is
``tau = -period / ln(1 - g)`` (a continuous first-order lag, held target over the tick). Fits over consecutive
segments of the log give the spread to randomise in simulation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from robot_ac.deploy.pose import quat_from_rotvec, quat_mul, rotation_between
from robot_ac.errors import RobotAcError
from robot_ac.replay.bag import RobotLog, Series

MAX_DELAY_TICKS = 5
SEGMENT_TICKS = 60
"""Ticks per segment for the per-segment fits (one second at 60 Hz)."""
RANGE_PERCENTILES = (5.0, 95.0)
RANGE_SIGMAS = 2.0
"""Randomisation ranges span the segments' 5th-95th percentile gains, and at least the gain ± 2 standard errors."""


def time_constant(gain: float, period_s: float) -> float | None:
    """The first-order time constant (s) whose per-tick gain is ``gain``; None outside (0, 1)."""
    return -period_s / math.log1p(-gain) if 0.0 < gain < 1.0 else None


@dataclass(frozen=True)
class GainFit:
    gain: float
    standard_error: float
    unexplained: float
    """Fraction of the measured motion the model leaves unexplained (residual over total sum of squares)."""


def _fit_gain(error: np.ndarray, step: np.ndarray) -> GainFit | None:
    """Least squares of ``step = g error`` over rows of 3-vectors; None without excitation."""
    excitation = float(np.sum(error * error))
    if excitation < 1e-18:
        return None
    gain = float(np.sum(error * step)) / excitation
    residual = float(np.sum((step - gain * error) ** 2))
    dof = max(error.size - 1, 1)
    return GainFit(gain, math.sqrt(residual / dof / excitation), residual / max(float(np.sum(step * step)), 1e-300))


@dataclass
class TrackingFit:
    position: GainFit
    rotation: GainFit | None
    """None when the log holds no rotation to fit."""
    delay_ticks: int
    control_period_s: float
    samples: int
    """Ticks the fit used."""
    delay_unexplained: list[float]
    """Fraction of the motion unexplained at each candidate delay 0..max (position and rotation together)."""
    segment_gains: np.ndarray
    """[S] position gains of consecutive segments of ``SEGMENT_TICKS`` ticks, at the fitted delay."""

    @property
    def position_time_constant_s(self) -> float | None:
        return time_constant(self.position.gain, self.control_period_s)

    @property
    def rotation_time_constant_s(self) -> float | None:
        return None if self.rotation is None else time_constant(self.rotation.gain, self.control_period_s)

    def domain_randomization(self) -> dict[str, Any]:
        """Ranges for the simulated controller: per-tick gain, the time constants they mean, the delay."""
        g, spread = self.position.gain, RANGE_SIGMAS * self.position.standard_error
        low, high = g - spread, g + spread
        if self.segment_gains.size:
            percentiles = np.percentile(self.segment_gains, RANGE_PERCENTILES)
            low, high = min(low, float(percentiles[0])), max(high, float(percentiles[1]))
        taus = [time_constant(gain, self.control_period_s) for gain in (high, low)]
        return {"position_gain": [low, high], "position_time_constant_s": taus,
                "action_delay_ticks": [self.delay_ticks, self.delay_ticks]}

    def summary(self) -> dict[str, Any]:
        rotation = None if self.rotation is None else {
            "gain": self.rotation.gain, "standard_error": self.rotation.standard_error,
            "time_constant_s": self.rotation_time_constant_s, "unexplained": self.rotation.unexplained}
        return {"samples": self.samples, "delay_ticks": self.delay_ticks,
                "delay_s": self.delay_ticks * self.control_period_s,
                "position": {"gain": self.position.gain, "standard_error": self.position.standard_error,
                             "time_constant_s": self.position_time_constant_s,
                             "unexplained": self.position.unexplained},
                "rotation": rotation, "delay_unexplained": self.delay_unexplained,
                "segment_gains": self.segment_gains.tolist(), "domain_randomization": self.domain_randomization()}


def pose_at(poses: Series, t: np.ndarray) -> np.ndarray:
    """[len(t), 7] the pose stream interpolated at times ``t`` (linear position, geodesic rotation); NaN rows
    outside the stream."""
    out = np.full((t.size, 7), np.nan)
    after = np.searchsorted(poses.t, t, side="left")
    for row, (time, j) in enumerate(zip(t, after)):
        if j < poses.t.size and poses.t[j] == time:
            out[row] = poses.values[j]
        elif 0 < j < poses.t.size:
            a, b = poses.values[j - 1], poses.values[j]
            alpha = (time - poses.t[j - 1]) / (poses.t[j] - poses.t[j - 1])
            rotation = quat_mul(quat_from_rotvec(alpha * rotation_between(a[3:], b[3:]), eps=0.0), a[3:])
            out[row] = np.concatenate([a[:3] + alpha * (b[:3] - a[:3]), rotation / np.linalg.norm(rotation)])
    return out


def _runs(t: np.ndarray, period_s: float) -> np.ndarray:
    """[K] the index of the run of back-to-back ticks (no tick missing) each command belongs to."""
    return np.r_[0, np.cumsum(np.diff(t) > 1.5 * period_s)]


def fit_tracking(log: RobotLog, period_s: float, max_delay_ticks: int = MAX_DELAY_TICKS) -> TrackingFit:
    """Fit the tracking model (module docstring) to the log's pose targets and measured poses."""
    targets = log.commands.values
    measured = pose_at(log.ee_pose, log.commands.t)
    run = _runs(log.commands.t, period_s)
    valid = np.isfinite(measured).all(axis=1)
    k = np.arange(targets.shape[0] - 1)
    base = k[valid[k] & valid[k + 1] & (run[k] == run[k + 1])]
    steps_p = measured[base + 1, :3] - measured[base, :3]
    steps_r = np.array([rotation_between(measured[i, 3:], measured[i + 1, 3:]) for i in base]).reshape(-1, 3)
    fits = []
    for delay in range(max_delay_ticks + 1):
        rows = (base >= delay) & (run[np.maximum(base - delay, 0)] == run[base])
        source = base[rows] - delay
        error_p = targets[source, :3] - measured[base[rows], :3]
        error_r = np.array([rotation_between(measured[i, 3:], targets[j, 3:])
                            for i, j in zip(base[rows], source)]).reshape(-1, 3)
        position, rotation = _fit_gain(error_p, steps_p[rows]), _fit_gain(error_r, steps_r[rows])
        fits.append((rows, position, rotation))
    if any(position is None for _, position, _ in fits) or base.size < 2 * max_delay_ticks + 8:
        raise RobotAcError(f"bag '{log.source}': {base.size} ticks with a measured pose on both sides and no "
                           "target motion to fit the tracking to (need at least "
                           f"{2 * max_delay_ticks + 8} moving ticks)")
    unexplained = [position.unexplained + (rotation.unexplained if rotation else 0.0) for _, position, rotation in fits]
    delay = int(np.argmin(unexplained))
    rows, position, rotation = fits[delay]
    segment_gains = []
    chosen = base[rows]
    for start in range(0, chosen.size - SEGMENT_TICKS + 1, SEGMENT_TICKS):
        part = chosen[start:start + SEGMENT_TICKS]
        fit = _fit_gain(targets[part - delay, :3] - measured[part, :3], measured[part + 1, :3] - measured[part, :3])
        if fit is not None:
            segment_gains.append(fit.gain)
    return TrackingFit(position=position, rotation=rotation, delay_ticks=delay, control_period_s=period_s,
                       samples=int(rows.sum()), delay_unexplained=unexplained, segment_gains=np.asarray(segment_gains))
