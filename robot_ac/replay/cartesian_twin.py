"""Re-simulation of a Cartesian robot log on a numpy twin: the fitted tracking model in closed loop with the policy.

The twin is the controller as :func:`~robot_ac.replay.tracking_fit.fit_tracking` describes it: the measured pose
follows the target commanded ``delay_ticks`` ticks earlier through a first-order lag with the fitted time constants
(position, and geodesic rotation). A fresh CartesianSupervisor with the policy drives it
(:class:`~robot_ac.replay.supervised_replay.SupervisedReplay`): it gets the recorded joint states, gripper, wrench,
goal and tactile frames, and the twin's pose at the recorded pose times and stamps, so its twist filter and
watchdogs see the robot's rates. The twin's trajectory is then compared tick by tick with the measured one: what is
left is what the tracking model (and the policy's reaction to the difference) does not explain. No simulator is
needed; contact (the peg touching the fixture) is not modelled, so expect the gap to grow there.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from robot_ac.contract.hardware_config import HardwareConfig
from robot_ac.contract.manifest import Manifest
from robot_ac.deploy.pose import quat_from_rotvec, quat_mul, rotation_between
from robot_ac.replay.bag import RobotLog
from robot_ac.replay.open_loop import require_cartesian_inputs
from robot_ac.replay.supervised_replay import SupervisedReplay
from robot_ac.replay.tracking_fit import TrackingFit, fit_tracking, pose_at


class PoseTrackingTwin:
    """The fitted controller: :meth:`command` once per tick, :meth:`advance` to move time on (targets held)."""

    def __init__(self, pose: np.ndarray, t: float, fit: TrackingFit) -> None:
        self.pose = np.asarray(pose, dtype=np.float64).copy()
        self.target = self.pose.copy()
        self.time = t
        self.position_tau = fit.position_time_constant_s or 0.0
        rotation_tau = fit.rotation_time_constant_s
        self.rotation_tau = self.position_tau if rotation_tau is None else rotation_tau
        self._in_flight: deque[np.ndarray] = deque()
        self._delay = fit.delay_ticks

    def command(self, target: np.ndarray) -> None:
        """A target sent now; the controller acts on it ``delay_ticks`` ticks later."""
        self._in_flight.append(np.asarray(target, dtype=np.float64))
        if len(self._in_flight) > self._delay:
            self.target = self._in_flight.popleft()

    def advance(self, t: float) -> np.ndarray:
        """The pose at time ``t`` (s, not before the last call)."""
        dt = t - self.time
        if dt > 0:
            position = 1.0 - math.exp(-dt / self.position_tau) if self.position_tau > 0 else 1.0
            rotation = 1.0 - math.exp(-dt / self.rotation_tau) if self.rotation_tau > 0 else 1.0
            self.pose[:3] += position * (self.target[:3] - self.pose[:3])
            turned = quat_mul(quat_from_rotvec(rotation * rotation_between(self.pose[3:], self.target[3:]), eps=0.0),
                              self.pose[3:])
            self.pose[3:] = turned / np.linalg.norm(turned)
            self.time = t
        return self.pose.copy()


@dataclass
class CartesianResimResult:
    t: np.ndarray
    """[K] the compared ticks (recorded command times), s."""
    real: np.ndarray
    """[K, 7] measured pose at each tick (the controller's frame)."""
    simulated: np.ndarray
    """[K, 7] the twin's pose at each tick, under the policy in closed loop."""
    fit: TrackingFit

    def gap(self) -> dict[str, np.ndarray]:
        """[K] per tick: ``position_m`` distance and ``rotation_rad`` angle between twin and robot."""
        angles = [np.linalg.norm(rotation_between(a[3:], b[3:])) for a, b in zip(self.real, self.simulated)]
        return {"position_m": np.linalg.norm(self.simulated[:, :3] - self.real[:, :3], axis=1),
                "rotation_rad": np.asarray(angles)}

    def summary(self) -> dict[str, Any]:
        travel = float(np.linalg.norm(np.ptp(self.real[:, :3], axis=0)))
        gap = {name: {"rmse": float(np.sqrt(np.mean(e**2))), "max": float(e.max())} for name, e in self.gap().items()}
        return {"twin": "first-order pose tracking with delay (numpy)", "steps": int(self.t.size),
                "tracking": self.fit.summary(), "closed_loop_gap": gap, "recorded_travel_m": travel,
                "domain_randomization": self.fit.domain_randomization()}


def resimulate_cartesian(log: RobotLog, manifest: Manifest, config: HardwareConfig,
                         policy: Callable[[np.ndarray], np.ndarray],
                         on_policy_reset: Callable[[], None] | None = None) -> CartesianResimResult:
    """Fit the log's tracking, then run the policy on the twin from the first commanded tick's measured pose."""
    require_cartesian_inputs(log, config)
    fit = fit_tracking(log, config.control_period_s)
    first = log.commands.t[0]
    start = log.ee_pose.latest(first)
    twin = PoseTrackingTwin(log.ee_pose.values[max(start, 0)], log.ee_pose.t[max(start, 0)], fit)

    def twin_pose(t: float, i: int) -> np.ndarray:
        # Before the first command the controller holds: the robot's own poses, the twin starts from the last.
        return log.ee_pose.values[i] if t < first else twin.advance(t)

    replay = SupervisedReplay(log, manifest, config, policy, on_policy_reset, pose_source=twin_pose)
    times, simulated = [], []
    for t in log.commands.t:
        command = replay.tick(float(t))  # moves the twin to each pose time up to t
        pose = twin.advance(float(t))
        if command is not None:
            twin.command(command.values)
        times.append(float(t))
        simulated.append(pose)
    t = np.asarray(times)
    real = pose_at(log.ee_pose, t)
    known = np.isfinite(real).all(axis=1)
    return CartesianResimResult(t=t[known], real=real[known], simulated=np.asarray(simulated)[known], fit=fit)
