"""Re-simulation of a robot log: the recorded commands, from the recorded state, through the simulated robot.

Three views of the sim-to-real gap, for robots commanded in effort (N, N·m):

* rollout: start the simulator in the first recorded POLICY state, apply each recorded command for one control
  period, compare the simulated joint trajectory with the recorded one (per joint RMS, largest difference);
* actuator fit: for every recorded step, put the simulator in the recorded state and step it once with no command
  and once with a unit effort on each commanded joint. The simulator is linear in effort over one step, so the
  measured velocity afterwards is ``v_real = v_sim(0) + dv_unit * e`` where ``e`` is the effort the real actuator
  delivered. The real actuator is modelled as ``e_k = g u_{k-d} - f sign(v_k) - b v_k``: gain ``g`` on the command
  ``d`` control periods old, Coulomb friction ``f`` and viscous damping ``b`` the simulator lacks. ``g, f, b`` come
  from linear least squares per joint, the delay ``d`` from the best fit over 0..``max_delay_ticks``;
  standard errors give the ranges to put into the sim's domain randomisation;
* calibrated rollout: the rollout again with the fitted actuator in the loop: the gap that remains is what the
  actuator model does not explain.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from robot_ac.errors import RobotAcError
from robot_ac.replay.bag import RobotLog
from robot_ac.replay.open_loop import policy_intervals

MAX_DELAY_TICKS = 5
RANGE_SIGMAS = 3.0
"""Domain-randomisation ranges: fitted value ± this many standard errors (at least ±5% of the gain)."""


@dataclass
class JointActuatorFit:
    gain: float
    coulomb_friction: float
    viscous_damping: float
    standard_errors: tuple[float, float, float]

    def to_dict(self) -> dict[str, Any]:
        return {"gain": self.gain, "coulomb_friction": self.coulomb_friction, "viscous_damping": self.viscous_damping,
                "standard_errors": dict(zip(("gain", "coulomb_friction", "viscous_damping"), self.standard_errors))}

    def effort(self, command: float, velocity: float) -> float:
        return self.gain * command - self.coulomb_friction * np.sign(velocity) - self.viscous_damping * velocity


@dataclass
class ResimResult:
    joint_names: list[str]
    command_joints: list[str]
    t: np.ndarray
    real: np.ndarray
    """[K, joints] recorded positions after each command."""
    simulated: np.ndarray
    """[K, joints] simulated positions after the same commands from the same start."""
    calibrated: np.ndarray
    """[K, joints] simulated positions with the fitted actuator model in the loop."""
    actuators: dict[str, JointActuatorFit]
    delay_ticks: int
    control_period_s: float
    fit_samples: int
    delay_residuals: list[float]
    """RMS velocity residual of the fit at each candidate delay 0..max (m/s or rad/s)."""

    @property
    def actuator_gain(self) -> float:
        return float(np.mean([fit.gain for fit in self.actuators.values()]))

    def domain_randomization(self) -> dict[str, Any]:
        """Ranges for the sim's actuator randomisation, per commanded joint."""
        ranges = {}
        for name, fit in self.actuators.items():
            se_gain, se_friction, se_damping = (RANGE_SIGMAS * s for s in fit.standard_errors)
            se_gain = max(se_gain, 0.05 * abs(fit.gain))
            ranges[name] = {
                "effort_scale": [fit.gain - se_gain, fit.gain + se_gain],
                "coulomb_friction": [max(0.0, fit.coulomb_friction - se_friction), fit.coulomb_friction + se_friction],
                "viscous_damping": [max(0.0, fit.viscous_damping - se_damping), fit.viscous_damping + se_damping]}
        return {"actuators": ranges, "action_delay_ticks": [self.delay_ticks, self.delay_ticks]}

    @staticmethod
    def _gap(simulated: np.ndarray, real: np.ndarray, names: list[str]) -> dict[str, dict[str, float]]:
        error = simulated - real
        return {name: {"rmse": float(np.sqrt(np.mean(error[:, j] ** 2))),
                       "max_abs_error": float(np.abs(error[:, j]).max())} for j, name in enumerate(names)}

    def summary(self) -> dict[str, Any]:
        return {"steps": int(self.t.size), "fit_samples": self.fit_samples, "actuator_gain": self.actuator_gain,
                "delay_ticks": self.delay_ticks, "delay_s": self.delay_ticks * self.control_period_s,
                "delay_fit_rms_residual": self.delay_residuals,
                "actuators": {name: fit.to_dict() for name, fit in self.actuators.items()},
                "per_joint": self._gap(self.simulated, self.real, self.joint_names),
                "per_joint_calibrated": self._gap(self.calibrated, self.real, self.joint_names),
                "domain_randomization": self.domain_randomization()}


def _next_state_index(log: RobotLog, t: float) -> int:
    return int(np.searchsorted(log.positions.t, t, side="right"))


class _Replayer:
    def __init__(self, log: RobotLog, robot: Any, commands: np.ndarray) -> None:
        self.log, self.robot, self.commands = log, robot, commands
        self.columns = [log.joint_names.index(name) for name in robot.joint_names]
        self.driven = [robot.joint_names.index(name) for name in robot.command_joints]
        self.driven_log = [log.joint_names.index(name) for name in robot.command_joints]
        self.command_columns = [log.command_joints.index(name) for name in robot.command_joints]

    def recorded_state(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        return self.log.positions.values[i, self.columns], self.log.velocities.values[i, self.columns]

    def step_from(self, i: int, effort: np.ndarray) -> np.ndarray:
        """Driven joints' velocities one control period after recorded state ``i`` under ``effort``."""
        self.robot.set_state(*self.recorded_state(i))
        self.robot.set_command(self.robot.command_joints, effort.tolist())
        self.robot.step()
        return np.asarray(self.robot.joint_state()[2])[self.driven]

    def rollout(self, effort_of: Any) -> tuple[list[float], list[np.ndarray], list[np.ndarray]]:
        """From the state before the first command, apply ``effort_of(k, velocity)`` for each command k."""
        log, robot = self.log, self.robot
        robot.set_state(*self.recorded_state(_next_state_index(log, log.commands.t[self.commands[0]]) - 1))
        times, real, simulated = [], [], []
        for n, k in enumerate(self.commands):
            after = _next_state_index(log, log.commands.t[k])
            if after >= log.positions.t.size:
                break
            velocity = np.asarray(robot.joint_state()[2])[self.driven]
            robot.set_command(robot.command_joints, list(effort_of(n, velocity)))
            robot.step()
            times.append(log.positions.t[after])
            real.append(log.positions.values[after, self.columns])
            simulated.append(np.asarray(robot.joint_state()[1]))
        return times, real, simulated

    def fit_samples(self) -> dict[str, np.ndarray]:
        """Per recorded step n: state velocity, v_sim(0), dv_unit per driven joint, measured velocity after."""
        log = self.log
        rows: dict[str, list] = {"n": [], "velocity": [], "zero": [], "unit": [], "measured": []}
        width = len(self.driven)
        for n, k in enumerate(self.commands):
            before = _next_state_index(log, log.commands.t[k]) - 1
            if before < 0 or before + 1 >= log.positions.t.size:
                continue
            zero = self.step_from(before, np.zeros(width))
            unit = np.array([self.step_from(before, np.eye(width)[j])[j] - zero[j] for j in range(width)])
            rows["n"].append(n)
            rows["velocity"].append(log.velocities.values[before, self.driven_log])
            rows["zero"].append(zero)
            rows["unit"].append(unit)
            rows["measured"].append(log.velocities.values[before + 1, self.driven_log])
        return {key: np.asarray(value) for key, value in rows.items()}


def _fit_joint(unit: np.ndarray, command: np.ndarray, velocity: np.ndarray, target: np.ndarray
               ) -> tuple[JointActuatorFit, float]:
    """Least squares of ``target = unit * (g command - f sign(velocity) - b velocity)``; the fit and its RMS."""
    design = unit[:, None] * np.stack([command, -np.sign(velocity), -velocity], axis=1)
    params, *_ = np.linalg.lstsq(design, target, rcond=None)
    residual = target - design @ params
    dof = max(len(target) - 3, 1)
    covariance = np.linalg.pinv(design.T @ design) * float(residual @ residual) / dof
    standard_errors = tuple(float(s) for s in np.sqrt(np.maximum(np.diag(covariance), 0.0)))
    fit = JointActuatorFit(float(params[0]), float(params[1]), float(params[2]), standard_errors)
    return fit, float(np.sqrt(np.mean(residual**2)))


def resimulate(log: RobotLog, robot: Any, max_steps: int = 600, max_delay_ticks: int = MAX_DELAY_TICKS
               ) -> ResimResult:
    """``robot``: a simulated robot with ``joint_names``, ``command_joints`` (effort), ``control_period_s``,
    ``set_state``, ``set_command``, ``step``, ``joint_state``."""
    start, end = policy_intervals(log)[0]
    commands = np.nonzero((log.commands.t > start) & (log.commands.t < end))[0][:max_steps]
    if commands.size < 2 * max_delay_ticks + 8:
        raise RobotAcError(f"bag '{log.source}': {commands.size} commands in the first POLICY interval, "
                           f"re-simulation needs at least {2 * max_delay_ticks + 8}")
    missing = sorted(set(robot.joint_names) - set(log.joint_names))
    if missing:
        raise RobotAcError(f"bag '{log.source}': the simulated robot's joints {missing} are not in the log")
    replayer = _Replayer(log, robot, commands)
    recorded = log.commands.values[commands][:, replayer.command_columns]

    times, real, simulated = replayer.rollout(lambda n, velocity: recorded[n])
    samples = replayer.fit_samples()
    target = samples["measured"] - samples["zero"]
    residuals, fits = [], []
    for delay in range(max_delay_ticks + 1):
        usable = samples["n"] >= delay
        joint_fits = [_fit_joint(samples["unit"][usable, j], recorded[samples["n"][usable] - delay, j],
                                 samples["velocity"][usable, j], target[usable, j])
                      for j in range(len(robot.command_joints))]
        fits.append({name: fit for name, (fit, _) in zip(robot.command_joints, joint_fits)})
        residuals.append(float(np.sqrt(np.mean([rms**2 for _, rms in joint_fits]))))
    delay = int(np.argmin(residuals))
    actuators = fits[delay]
    models = [actuators[name] for name in robot.command_joints]

    def calibrated_effort(n: int, velocity: np.ndarray) -> list[float]:
        source = recorded[max(n - delay, 0)]
        return [model.effort(source[j], velocity[j]) for j, model in enumerate(models)]

    _, _, calibrated = replayer.rollout(calibrated_effort)
    return ResimResult(joint_names=list(robot.joint_names), command_joints=list(robot.command_joints),
                       t=np.asarray(times), real=np.asarray(real), simulated=np.asarray(simulated),
                       calibrated=np.asarray(calibrated), actuators=actuators, delay_ticks=delay,
                       control_period_s=robot.control_period_s, fit_samples=int(samples["n"].size),
                       delay_residuals=residuals)


def resimulate_on_twin(log: RobotLog, config: Any, harness: bool = False) -> Any:
    """Re-simulate ``log`` on the simulated twin of the robot ``config`` describes (made and closed here): a
    PD-position robot's (``unitree_lowcmd``) on :mod:`sim.pd_resim` (``harness``: it was logged hung in its
    harness), an effort-commanded robot's here."""
    if config.command_interface == "unitree_lowcmd":
        from sim.pd_resim import resimulate_pd

        return resimulate_pd(log, config, harness=harness)
    from sim.sim_robot import make_sim_robot

    robot = make_sim_robot(config)
    try:
        return resimulate(log, robot)
    finally:
        robot.close()
