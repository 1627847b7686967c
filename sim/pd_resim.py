"""Re-simulation of a PD-position robot's log (a Unitree G1 over LowCmd): which actuator the robot really has.

Every LowCmd carries, per motor, a position target and the kp / kd the motor driver applies. The real actuator is
modelled per joint as

    tau = s_k kp (q*_{k-d} - q) - s_d kd dq - f sign(dq),   clipped at the joint's effort limit,

with a stiffness scale ``s_k`` and a damping scale ``s_d`` on the commanded gains, Coulomb friction ``f`` and a
delay of ``d`` control ticks between a command and its effect. The fit is identification by inverse dynamics on
the twin: for every pair of consecutive recorded states (LowState comes at 500 Hz on a G1, ten per command), the
twin's rigid-body model gives the joint torques that produced the measured acceleration; those are linear in
``s_k, s_d, f``, so each joint is a linear least-squares problem, and the delay is the one of 0..``max_delay_ticks``
with the smallest residual. Standard errors give the domain-randomisation ranges for the next training run
(``robot-ac train --randomize-from REPORT/summary.json``).

The state must be whole for inverse dynamics, and LowState has no pelvis position or velocity: the fit needs a
log of the robot hung in its harness (pelvis fixed), the way actuators are identified on a gantry. The twin is the
G1's MJCF in MuJoCo (the model the USD was converted from, and the physics Newton's MJWarp solver implements), not
the Isaac Lab scene: identification queries the model once per recorded state, tens of thousands of times, which
MuJoCo does in microseconds. Then the twin re-plays the recorded targets twice, with the commanded actuator and
with the fitted one: the gap that remains is what the actuator model does not explain.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from robot_ac.errors import RobotAcError
from sim.robots import g1

MAX_DELAY_TICKS = 5
RANGE_SIGMAS = 3.0
"""Domain-randomisation ranges: fitted value ± this many standard errors (at least ±5% of a scale)."""
MIN_SCALE_SPREAD = 0.05
SATURATION_FRACTION = 0.9
"""States whose commanded torque is past this fraction of the effort limit are left out of the fit: a clipped
torque is no longer linear in the gains."""
TWIN_STEP_S = 0.001
"""The twin's integration step in a re-play: the motor drivers close their PD loop at kHz rates, not at the
policy's 50 Hz."""
LIMIT_MARGIN_RAD = 0.02
"""States this close to a joint limit are left out of the fit: the limit's force is not the actuator's."""


@dataclass
class PdActuator:
    """A PD actuator per joint, as the motor drivers apply a LowCmd (arrays over the G1's joints)."""

    stiffness_scale: np.ndarray
    damping_scale: np.ndarray
    coulomb_friction: np.ndarray
    """N·m."""
    delay_ticks: int = 0
    """Control ticks between a command and the driver applying it."""

    @classmethod
    def nominal(cls, joints: int = len(g1.JOINTS)) -> PdActuator:
        return cls(np.ones(joints), np.ones(joints), np.zeros(joints))

    def torque(self, target: np.ndarray, kp: np.ndarray, kd: np.ndarray, q: np.ndarray, v: np.ndarray
               ) -> np.ndarray:
        return (self.stiffness_scale * kp * (target - q) - self.damping_scale * kd * v
                - self.coulomb_friction * np.sign(v))


@dataclass
class PdCommands:
    """Recorded LowCmds: times [M] (s), and per joint the position target, kp and kd [M, joints]."""

    t: np.ndarray
    target: np.ndarray
    kp: np.ndarray
    kd: np.ndarray

    def active(self, t: np.ndarray, delay_ticks: int) -> np.ndarray:
        """Index of the command in effect at each time in ``t`` after ``delay_ticks`` ticks (-1: none yet)."""
        latest = np.searchsorted(self.t, t, side="right") - 1
        return np.where(latest >= delay_ticks, latest - delay_ticks, -1)


class HarnessG1:
    """The G1 hung in its harness (pelvis welded to the world) in MuJoCo, driven by explicit PD torques."""

    def __init__(self) -> None:
        import mujoco

        spec = g1.mujoco_spec(ground=False, fixed_base=True)
        spec.option.timestep = TWIN_STEP_S
        spec.option.integrator = mujoco.mjtIntegrator.mjINT_EULER
        self.mj = mujoco
        self.model = spec.compile()
        self.data = mujoco.MjData(self.model)
        ids = [self.model.joint(name).id for name in g1.JOINT_NAMES]
        self.qpos_at = self.model.jnt_qposadr[ids]
        self.dof_at = self.model.jnt_dofadr[ids]
        self.effort_limit = np.array([g1.effort_limit(j) for j in g1.JOINTS])
        self.joint_range = self.model.jnt_range[ids].copy()

    def set_state(self, q: np.ndarray, v: np.ndarray) -> None:
        self.data.qpos[self.qpos_at], self.data.qvel[self.dof_at] = q, v

    def state(self) -> tuple[np.ndarray, np.ndarray]:
        return self.data.qpos[self.qpos_at].copy(), self.data.qvel[self.dof_at].copy()

    def inverse_dynamics(self, q: np.ndarray, v: np.ndarray, acceleration: np.ndarray) -> tuple[np.ndarray, bool]:
        """Joint torques (N·m) that give ``acceleration`` (rad/s²) in state ``q, v``, and whether any of the G1's
        bodies touch there (a self-contact's forces are not the actuators')."""
        self.set_state(q, v)
        self.data.qacc[self.dof_at] = acceleration
        self.mj.mj_inverse(self.model, self.data)
        return self.data.qfrc_inverse[self.dof_at].copy(), self.data.ncon > 0

    def run(self, q0: np.ndarray, v0: np.ndarray, commands: PdCommands, actuator: PdActuator,
            sample_t: np.ndarray, step_s: float = TWIN_STEP_S) -> tuple[np.ndarray, np.ndarray]:
        """From ``q0, v0`` at ``sample_t[0]``, drive the recorded commands through ``actuator`` with the PD closed
        every ``step_s``; the joints' positions and velocities at every time in ``sample_t`` ([N, joints] each). No
        command yet: zero torque."""
        self.model.opt.timestep = step_s
        self.set_state(q0, v0)
        self.data.qfrc_applied[:] = 0.0
        positions, velocities = [q0.copy()], [v0.copy()]
        t = sample_t[0]
        for until in sample_t[1:]:
            while t < until - 1e-9:
                q, v = self.state()
                index = commands.active(np.array([t]), actuator.delay_ticks)[0]
                torque = np.zeros_like(q) if index < 0 else actuator.torque(
                    commands.target[index], commands.kp[index], commands.kd[index], q, v)
                self.data.qfrc_applied[self.dof_at] = np.clip(torque, -self.effort_limit, self.effort_limit)
                self.mj.mj_step(self.model, self.data)
                t += step_s
            q, v = self.state()
            positions.append(q)
            velocities.append(v)
        return np.asarray(positions), np.asarray(velocities)


@dataclass
class PdJointFit:
    stiffness_scale: float
    damping_scale: float
    coulomb_friction: float
    standard_errors: tuple[float, float, float]
    rms_residual: float
    """N·m."""

    def to_dict(self) -> dict[str, Any]:
        return {"stiffness_scale": self.stiffness_scale, "damping_scale": self.damping_scale,
                "coulomb_friction": self.coulomb_friction, "rms_residual_nm": self.rms_residual,
                "standard_errors": dict(zip(("stiffness_scale", "damping_scale", "coulomb_friction"),
                                            self.standard_errors))}


@dataclass
class PdFit:
    joints: dict[str, PdJointFit]
    delay_ticks: int
    delay_residuals: list[float]
    """RMS torque residual over all joints at each candidate delay 0..max (N·m)."""
    samples: int

    def actuator(self) -> PdActuator:
        fits = list(self.joints.values())
        return PdActuator(np.array([f.stiffness_scale for f in fits]), np.array([f.damping_scale for f in fits]),
                          np.array([f.coulomb_friction for f in fits]), self.delay_ticks)

    def domain_randomization(self) -> dict[str, Any]:
        """Ranges for the sim's actuator randomisation, per joint: the fitted value ± 3 standard errors."""
        ranges = {}
        for name, fit in self.joints.items():
            se_k, se_d, se_f = (RANGE_SIGMAS * s for s in fit.standard_errors)
            se_k, se_d = max(se_k, MIN_SCALE_SPREAD * fit.stiffness_scale), max(se_d, MIN_SCALE_SPREAD * fit.damping_scale)
            ranges[name] = {
                "stiffness_scale": [fit.stiffness_scale - se_k, fit.stiffness_scale + se_k],
                "damping_scale": [max(0.0, fit.damping_scale - se_d), fit.damping_scale + se_d],
                "coulomb_friction": [max(0.0, fit.coulomb_friction - se_f), max(0.0, fit.coulomb_friction + se_f)]}
        return {"actuators": ranges, "action_delay_ticks": [self.delay_ticks, self.delay_ticks]}


def _fit_joint(design: np.ndarray, torque: np.ndarray) -> PdJointFit:
    params, *_ = np.linalg.lstsq(design, torque, rcond=None)
    residual = torque - design @ params
    dof = max(len(torque) - design.shape[1], 1)
    covariance = np.linalg.pinv(design.T @ design) * float(residual @ residual) / dof
    errors = tuple(float(s) for s in np.sqrt(np.maximum(np.diag(covariance), 0.0)))
    return PdJointFit(float(params[0]), float(params[1]), float(params[2]), errors,
                      float(np.sqrt(np.mean(residual**2))))


def _fit_joints(torque: np.ndarray, usable: np.ndarray, regressors: tuple[np.ndarray, ...], driven: np.ndarray,
                delay: int) -> dict[str, PdJointFit]:
    stiffness_term, damping_term, friction_term = regressors
    fits = {}
    for j, name in enumerate(g1.JOINT_NAMES):
        rows = usable & driven[:, j]
        if rows.sum() < 10:
            raise RobotAcError(f"joint '{name}': {int(rows.sum())} driven, unsaturated samples at delay {delay}; the "
                               "actuator fit needs the joint to move under a PD command, clear of its limits")
        design = np.stack([stiffness_term[rows, j], -damping_term[rows, j], -friction_term[rows, j]], axis=1)
        fits[name] = _fit_joint(design, torque[rows, j])
    return fits


def fit_pd_actuators(twin: HarnessG1, t: np.ndarray, q: np.ndarray, v: np.ndarray, commands: PdCommands,
                     max_delay_ticks: int = MAX_DELAY_TICKS) -> PdFit:
    """Identify each joint's actuator from recorded states (``t`` [N], ``q``, ``v`` [N, joints]) and commands.

    1. The mean torque over each state interval, by the twin's inverse dynamics at the interval's midpoint;
       intervals in self-contact, at a joint limit or longer than usual (a dropped state) are left out.
    2. Per candidate delay and joint, least squares on the regressors averaged over the interval's two ends; the
       delay is the one with the smallest residual.

    A fast joint (a wrist or ankle: armature-dominated, PD time constant ~4 ms) changes within a 2 ms interval
    more than its two ends say, which biases its scales low by up to ~6% (measured on a G1 whose drivers close the
    PD at 4 kHz: 0.75-0.80 for a true 0.8); the large joints come out within 1%.
    """
    dt = np.diff(t)
    usable = dt < 1.5 * np.median(dt)
    t_mid = 0.5 * (t[1:] + t[:-1])
    q_mid, v_mid = 0.5 * (q[1:] + q[:-1]), 0.5 * (v[1:] + v[:-1])
    acceleration = np.diff(v, axis=0) / dt[:, None]
    torque, touching = zip(*(twin.inverse_dynamics(q_mid[n], v_mid[n], acceleration[n]) for n in range(len(dt))))
    torque = np.asarray(torque)
    touching = np.asarray(touching)
    touching[1:] |= touching[:-1]  # the contact may have begun or ended inside the neighbouring interval
    touching[:-1] |= touching[1:].copy()
    low, high = twin.joint_range[:, 0] + LIMIT_MARGIN_RAD, twin.joint_range[:, 1] - LIMIT_MARGIN_RAD
    clear = (q > low) & (q < high)
    usable &= ~touching & np.all(clear[1:] & clear[:-1], axis=1)
    residuals, fits = [], []
    for delay in range(max_delay_ticks + 1):
        index = commands.active(t_mid, delay)
        c = np.maximum(index, 0)
        stiffness_term, damping_term = commands.kp[c] * (commands.target[c] - q_mid), commands.kd[c] * v_mid
        driven = (commands.kp[c] > 0) & (np.abs(stiffness_term - damping_term)
                                         < SATURATION_FRACTION * twin.effort_limit)
        joint_fits = _fit_joints(torque, usable & (index >= 0), (stiffness_term, damping_term, np.sign(v_mid)),
                                 driven, delay)
        fits.append(joint_fits)
        residuals.append(float(np.sqrt(np.mean([f.rms_residual**2 for f in joint_fits.values()]))))
    delay = int(np.argmin(residuals))
    return PdFit(fits[delay], delay, residuals, int(usable.sum()))


@dataclass
class PdResimResult:
    """The fit and the twin's re-play of the log with the commanded and the fitted actuator."""

    joint_names: list[str]
    t: np.ndarray
    real: np.ndarray
    """[K, joints] recorded positions."""
    simulated: np.ndarray
    """[K, joints] the twin under the recorded commands, commanded gains, no delay."""
    calibrated: np.ndarray
    """[K, joints] the twin with the fitted actuator."""
    fit: PdFit
    control_period_s: float
    extra: dict[str, Any] = field(default_factory=dict)

    def domain_randomization(self) -> dict[str, Any]:
        return self.fit.domain_randomization()

    @staticmethod
    def _gap(simulated: np.ndarray, real: np.ndarray, names: list[str]) -> dict[str, dict[str, float]]:
        error = simulated - real
        return {name: {"rmse": float(np.sqrt(np.mean(error[:, j] ** 2))),
                       "max_abs_error": float(np.abs(error[:, j]).max())} for j, name in enumerate(names)}

    def describe(self) -> str:
        """What `robot-ac replay` prints."""
        fit, names = self.fit, self.joint_names
        scales = np.array([fit.joints[n].stiffness_scale for n in names])
        damping = np.array([fit.joints[n].damping_scale for n in names])
        gap = self._gap(self.calibrated, self.real, names)
        nominal = self._gap(self.simulated, self.real, names)
        rms = lambda g: float(np.sqrt(np.mean([v["rmse"] ** 2 for v in g.values()])))  # noqa: E731
        return (f"re-simulation (PD actuators, G1 twin in its harness): delay {fit.delay_ticks} ticks; stiffness scale "
                f"median {np.median(scales):.3f} ({scales.min():.3f}-{scales.max():.3f}), damping scale median "
                f"{np.median(damping):.3f}; joint rmse vs the robot {rms(nominal):.4f} rad as commanded, "
                f"{rms(gap):.4f} rad with the fitted actuators")

    def summary(self) -> dict[str, Any]:
        fit = self.fit
        return {"kind": "pd_position", "twin": "G1 MJCF in MuJoCo, pelvis in its harness", "steps": int(self.t.size),
                "fit_samples": fit.samples, "delay_ticks": fit.delay_ticks,
                "delay_s": fit.delay_ticks * self.control_period_s, "delay_fit_rms_residual_nm": fit.delay_residuals,
                "actuators": {name: joint.to_dict() for name, joint in fit.joints.items()},
                "per_joint": self._gap(self.simulated, self.real, self.joint_names),
                "per_joint_calibrated": self._gap(self.calibrated, self.real, self.joint_names),
                "domain_randomization": self.domain_randomization(), **self.extra}


def log_commands(log: Any, joint_names: list[str]) -> PdCommands:
    """The LowCmds of a :class:`robot_ac.replay.bag.RobotLog` as :class:`PdCommands` in ``joint_names`` order."""
    columns = [log.command_joints.index(name) for name in joint_names]
    joints = len(log.command_joints)
    gains = log.command_gains.values
    if log.commands.t.size != log.command_gains.t.size:
        raise RobotAcError(f"bag '{log.source}': {log.commands.t.size} commands but {log.command_gains.t.size} "
                           "gain rows; a PD re-simulation needs the kp / kd of every command")
    return PdCommands(log.commands.t, log.commands.values[:, columns], gains[:, columns],
                      gains[:, [joints + c for c in columns]])


def resimulate_pd(log: Any, config: Any, *, harness: bool, max_seconds: float = 12.0,
                  max_delay_ticks: int = MAX_DELAY_TICKS) -> PdResimResult:
    """Fit the actuators of the G1 in ``log`` (a :class:`robot_ac.replay.bag.RobotLog` of a ``unitree_lowcmd``
    config) and re-play up to ``max_seconds`` of it on the twin with the commanded and the fitted actuator."""
    if config.robot != "unitree_g1":
        raise RobotAcError(f"PD re-simulation has a twin for the Unitree G1 only, not '{config.robot}'")
    if not harness:
        raise RobotAcError(f"bag '{log.source}': LowState carries no pelvis position or velocity, so the actuator fit "
                           "needs a log of the robot hung in its harness (pelvis fixed); record one and pass "
                           "--harness")
    missing = sorted(set(g1.JOINT_NAMES) - set(log.joint_names))
    if missing:
        raise RobotAcError(f"bag '{log.source}': the G1's joints {missing} are not in the log")
    columns = [log.joint_names.index(name) for name in g1.JOINT_NAMES]
    t, q, v = log.positions.t, log.positions.values[:, columns], log.velocities.values[:, columns]
    if t.size < 100 or not (np.isfinite(q).all() and np.isfinite(v).all()):
        raise RobotAcError(f"bag '{log.source}': {t.size} joint states (finite ones needed, at least 100)")
    commands = log_commands(log, g1.JOINT_NAMES)
    twin = HarnessG1()
    fit = fit_pd_actuators(twin, t, q, v, commands, max_delay_ticks)
    window = t <= t[0] + max_seconds
    sample_t = t[window]
    nominal, _ = twin.run(q[0], v[0], commands, PdActuator.nominal(), sample_t)
    calibrated, _ = twin.run(q[0], v[0], commands, fit.actuator(), sample_t)
    return PdResimResult(joint_names=list(g1.JOINT_NAMES), t=sample_t, real=q[window], simulated=nominal,
                         calibrated=calibrated, fit=fit, control_period_s=config.control_period_s)
