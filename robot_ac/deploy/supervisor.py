"""Supervisor: the safety state machine between the robot's inputs, the policy and the commands.

States::

    PASSIVE --start--> RAMP --ramp done--> POLICY
       ^                 |                   |  fault (stale / missing / NaN / out-of-range input,
       |                 +------fault--------+  policy NaN, loop overruns) -> HOLD or DAMP (safety.on_fault)
       +------reset------ HOLD / DAMP / ESTOP <- e-stop from any state (latched until reset)

* PASSIVE: nothing is commanded.
* RAMP: position targets interpolate from the measured pose to the default pose over ``ramp_duration_s``.
* POLICY: the policy's action, through :class:`ActionMapper`.
* HOLD: the last safe command is repeated (position interfaces); on request (not after an input fault, which
  damps instead) effort interfaces hold the position measured at that moment with the configured PD gains.
* DAMP / ESTOP: no stiffness. Position interfaces command the measured position (the robot stops where it is and
  yields); effort interfaces command ``-kd * velocity`` (zero effort without fresh data).

Every command leaves through :meth:`ActionMapper.limit` (joint limits, effort limits, per-step rate limit), whatever
the state, so no state change can make a command jump. Every transition is logged with its reason.
"""

from __future__ import annotations

import enum
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from robot_ac.deploy.action_mapper import ActionMapper
from robot_ac.contract.hardware_config import HardwareConfig
from robot_ac.deploy.observation import ObservationBuilder
from robot_ac.errors import RobotAcError
from robot_ac.contract.manifest import Manifest

log = logging.getLogger("robot_ac.deploy")

OPERATOR_HOLD = "hold service called"
"""The reason of a HOLD the operator asked for (a replay follows it; fault holds it must reproduce itself)."""
AT_DEFAULT_POSE = "at the default pose: waiting for the operator to let the policy go"
"""The HOLD after the ramp with ``safety.hold_after_ramp`` (Unitree's sequence); :meth:`Supervisor.proceed` ends it."""
TACTILE_REFERENCES_CAPTURED = "tactile references captured"
"""The reason reported when the untouched-gel references are taken (a replay takes its own at that moment)."""


class State(enum.Enum):
    PASSIVE = "passive"
    RAMP = "ramp"
    POLICY = "policy"
    HOLD = "hold"
    DAMP = "damp"
    ESTOP = "estop"


@dataclass(frozen=True)
class Transition:
    time: float
    source: State
    target: State
    reason: str


@dataclass(frozen=True)
class Command:
    """What to publish: one value per joint of ``joint_names`` (positions in rad/m or efforts in N·m/N), or a
    ``pose`` target ``[x, y, z, qx, qy, qz, qw]`` of the Cartesian controller's frame (no joint names)."""

    joint_names: list[str]
    values: np.ndarray
    kind: str
    """``position``, ``effort`` or ``pose``."""


@dataclass
class Counters:
    joint_states: int = 0
    rejected_out_of_order: int = 0
    overruns: int = 0
    consecutive_overruns: int = 0
    policy_steps: int = 0
    faults: dict[str, int] = field(default_factory=dict)


class Supervisor:
    """Call :meth:`on_joint_state` for every JointState message and :meth:`tick` once per control period."""

    def __init__(self, manifest: Manifest, config: HardwareConfig, policy: Callable[[np.ndarray], np.ndarray],
                 *, on_reset_policy: Callable[[], None] | None = None) -> None:
        self.manifest = manifest
        self.config = config
        self.policy = policy
        self.on_reset_policy = on_reset_policy
        self.observations = ObservationBuilder(manifest.interface)
        defaults = {j.name: j.default_position for j in manifest.interface.joints}
        defaults.update(config.default_positions)
        self.mapper = self._make_mapper(defaults)
        self.state = State.PASSIVE
        self.transitions: list[Transition] = []
        self.counters = Counters()
        self.last_reason = "started"
        self._command_joints = self.mapper.joint_names
        self._monitored = list(dict.fromkeys(self.observations.joint_names + self._command_joints))
        self._position = {name: math.nan for name in self._monitored}
        self._velocity = {name: 0.0 for name in self._monitored}
        self._last_stamp = -math.inf
        self._last_receive: float | None = None
        self._last_imu: float | None = None
        self._last_tactile: dict[str, float] = {}
        self._last_tick: float | None = None
        self._last_command: np.ndarray | None = None
        self._ramp_start_time = 0.0
        self._ramp_from: np.ndarray | None = None
        self._hold_position: np.ndarray | None = None

    def _make_mapper(self, default_positions: dict[str, float]) -> ActionMapper:
        return ActionMapper(self.manifest.interface, self.config, default_positions)

    # -- transitions -------------------------------------------------------------------------------------------
    def _go(self, target: State, reason: str, now: float) -> None:
        if target == self.state:
            return
        self.transitions.append(Transition(now, self.state, target, reason))
        log.warning("%s -> %s: %s", self.state.value, target.value, reason)
        self.state, self.last_reason = target, reason
        if target == State.HOLD:
            self._hold_position = self._measured_command_positions()

    def _fault(self, kind: str, reason: str, now: float) -> None:
        self.counters.faults[kind] = self.counters.faults.get(kind, 0) + 1
        if self.state in (State.RAMP, State.POLICY):
            # An effort hold would servo on the very inputs that just failed, so effort robots damp instead.
            fallback = State.DAMP if self.config.safety.on_fault == "damp" or self.mapper.is_effort else State.HOLD
            self._go(fallback, f"{kind}: {reason}", now)
        elif self.state != State.ESTOP:
            log.warning("%s (state stays %s): %s", kind, self.state.value, reason)

    def start(self, now: float) -> bool:
        """PASSIVE -> RAMP, only with fresh and complete joint states."""
        if self.state != State.PASSIVE:
            log.warning("start ignored in state %s", self.state.value)
            return False
        if not self._inputs_fresh(now) or any(math.isnan(self._position[n]) for n in self._monitored):
            log.warning("start refused: no fresh, complete joint state yet")
            return False
        missing = self.observations.missing_inputs()
        if missing:
            log.warning("start refused: the policy needs %s, not received yet", " and ".join(missing))
            return False
        if self.observations.tactile is not None and not self.observations.has_tactile_reference:
            # Without a reference taken earlier (capture_tactile_reference, before a grasp), the gel is untouched
            # when the task starts: these frames are the difference references.
            self.observations.capture_tactile_reference()
        self._ramp_from = self._measured_command_positions()
        self._ramp_start_time = now
        self._last_command = None
        self._go(State.RAMP, "start requested", now)
        return True

    def capture_tactile_reference(self) -> bool:
        """Take the current tactile frames as the untouched-gel references (call it before the gripper closes on
        a part); False while a sensor has sent no frame."""
        if self.observations.tactile is None or any(m.startswith("tactile")
                                                    for m in self.observations.missing_inputs()):
            return False
        self.observations.capture_tactile_reference()
        self.last_reason = TACTILE_REFERENCES_CAPTURED
        log.info(TACTILE_REFERENCES_CAPTURED)
        return True

    def estop(self, now: float, reason: str = "e-stop requested") -> None:
        self._go(State.ESTOP, reason, now)

    def reset(self, now: float) -> bool:
        """HOLD / DAMP / ESTOP -> PASSIVE; the policy and its history restart from scratch."""
        if self.state not in (State.HOLD, State.DAMP, State.ESTOP):
            log.warning("reset ignored in state %s", self.state.value)
            return False
        self.observations.reset()
        if self.on_reset_policy:
            self.on_reset_policy()
        self._go(State.PASSIVE, "reset requested", now)
        return True

    def hold(self, now: float, reason: str) -> None:
        """Operator or lifecycle request to freeze (e.g. node deactivation)."""
        if self.state in (State.RAMP, State.POLICY):
            self._go(State.HOLD, reason, now)

    def damp(self, now: float, reason: str) -> None:
        if self.state != State.ESTOP:
            self._go(State.DAMP, reason, now)

    # -- inputs -----------------------------------------------------------------------------------------------
    def on_joint_state(self, stamp: float, names: Sequence[str], position: Sequence[float],
                       velocity: Sequence[float] | None, now: float) -> bool:
        """Check one JointState message; returns whether it was accepted. Faults move the state at once."""
        self.counters.joint_states += 1
        if stamp < self._last_stamp:
            self.counters.rejected_out_of_order += 1
            log.warning("joint state stamped %.6f arrived after %.6f: ignored", stamp, self._last_stamp)
            return False
        names = list(names)
        if len(position) != len(names) or (velocity is not None and len(velocity) not in (0, len(names))):
            self._fault("malformed_input", f"{len(names)} names, {len(position)} positions, "
                        f"{len(velocity or [])} velocities", now)
            return False
        missing = [n for n in self._monitored if n not in names]
        if missing:
            self._fault("missing_joint", f"joint state lacks {missing}", now)
            return False
        pos = np.asarray(position, dtype=np.float64)
        vel = np.asarray(velocity, dtype=np.float64) if velocity is not None and len(velocity) else None
        index = {n: i for i, n in enumerate(names)}
        monitored = np.array([index[n] for n in self._monitored])
        if not np.isfinite(pos[monitored]).all() or (vel is not None and not np.isfinite(vel[monitored]).all()):
            self._fault("nan_input", "joint state holds NaN or inf", now)
            return False
        problem = self._out_of_range(pos, vel, index)
        if problem:
            self._fault("out_of_range", problem, now)
            return False
        self._last_stamp = stamp
        self._last_receive = now
        for name in self._monitored:
            self._position[name] = float(pos[index[name]])
            self._velocity[name] = float(vel[index[name]]) if vel is not None else 0.0
        self.observations.update_joint_state(names, pos, vel)
        return True

    def on_goal(self, values: Sequence[float]) -> None:
        self.observations.set_goal(values)

    def on_imu(self, orientation_xyzw: Sequence[float], angular_velocity: Sequence[float],
               linear_acceleration: Sequence[float], now: float) -> bool:
        """Check one Imu message (finite, non-degenerate orientation); faults move the state at once."""
        values = np.concatenate([orientation_xyzw, angular_velocity, linear_acceleration]).astype(np.float64)
        if not np.isfinite(values).all() or np.linalg.norm(values[:4]) < 0.5:
            self._fault("nan_input", "IMU message holds NaN/inf or a zero orientation quaternion", now)
            return False
        self._last_imu = now
        self.observations.update_imu(orientation_xyzw, angular_velocity, linear_acceleration)
        return True

    def _out_of_range(self, pos: np.ndarray, vel: np.ndarray | None, index: dict[str, int]) -> str:
        safety = self.config.safety
        for name in self._monitored:
            joint = self.config.joint(name)
            q = pos[index[name]]
            if joint.position_limits and not (joint.position_limits[0] - safety.position_limit_margin <= q
                                              <= joint.position_limits[1] + safety.position_limit_margin):
                return f"{name} at {q:.4f} is outside its limits {list(joint.position_limits)}"
            if vel is not None and abs(vel[index[name]]) > safety.velocity_limit_factor * joint.velocity_limit:
                return f"{name} moves at {vel[index[name]]:.3f}, limit {joint.velocity_limit}"
        return ""

    def on_tactile(self, sensor: str, image_rgb: np.ndarray, now: float) -> bool:
        """Check one tactile frame ([H, W, 3] uint8 RGB) of a sensor the policy reads."""
        if sensor not in self.observations.tactile_sensors:
            return False
        if image_rgb.ndim != 3 or image_rgb.shape[2] != 3 or image_rgb.dtype != np.uint8:
            self._fault("malformed_input", f"tactile '{sensor}' frame {image_rgb.shape} {image_rgb.dtype}, "
                        "expected (H, W, 3) uint8", now)
            return False
        self._last_tactile[sensor] = now
        self.observations.update_tactile(sensor, image_rgb)
        return True

    def _inputs_fresh(self, now: float) -> bool:
        timeout = self.config.safety.joint_state_timeout_s
        joints_fresh = self._last_receive is not None and now - self._last_receive <= timeout
        imu_fresh = not self.observations.uses_imu or (self._last_imu is not None and now - self._last_imu <= timeout)
        tactile_fresh = all(now - self._last_tactile.get(key, -np.inf) <= self.config.safety.tactile_timeout_s
                            for key in self.observations.tactile_sensors)
        return joints_fresh and imu_fresh and tactile_fresh

    def _staleness(self, now: float) -> str:
        ages = [("joint states", self._last_receive)] + ([("IMU", self._last_imu)] if self.observations.uses_imu else [])
        ages += [(f"tactile '{key}'", self._last_tactile.get(key)) for key in self.observations.tactile_sensors]
        return ", ".join(f"{name} " + ("never received" if last is None else f"{now - last:.3f} s old")
                         for name, last in ages)

    def _measured_command_positions(self) -> np.ndarray:
        return np.array([self._position[n] for n in self._command_joints])

    # -- control tick -----------------------------------------------------------------------------------------
    def tick(self, now: float) -> Command | None:
        """Run one control period: watchdogs, then the command of the current state (None in PASSIVE)."""
        self._watch(now)
        if self.state == State.PASSIVE:
            return None
        if self.state == State.RAMP:
            target = self._ramp_target(now)
        elif self.state == State.POLICY:
            target = self._policy_target(now)
        elif self.state == State.HOLD:
            target = self._hold_target()
        else:
            target = self._damp_target(now)
        if self.state in (State.HOLD, State.DAMP, State.ESTOP) and target is None:
            return None
        values = self.mapper.limit(target, self._last_command)
        self._last_command = values
        return Command(self._command_joints, values, "effort" if self.mapper.is_effort else "position")

    def _watch(self, now: float) -> None:
        """The watchdogs of every tick: loop timing, then stale inputs while the robot is driven."""
        self._check_timing(now)
        waiting_at_default = self.state == State.HOLD and self.last_reason == AT_DEFAULT_POSE
        if (self.state in (State.RAMP, State.POLICY) or waiting_at_default) and not self._inputs_fresh(now):
            reason = f"{self._staleness(now)} (timeout {self.config.safety.joint_state_timeout_s} s)"
            if waiting_at_default:  # the robot holds its pose on inputs that stopped: damp, as a fault in POLICY
                self._go(State.DAMP, f"stale_input: {reason}", now)
            else:
                self._fault("stale_input", reason, now)

    def _check_timing(self, now: float) -> None:
        period = self.config.control_period_s
        if self._last_tick is not None and now - self._last_tick > self.config.safety.overrun_factor * period:
            self.counters.overruns += 1
            self.counters.consecutive_overruns += 1
            if self.counters.consecutive_overruns >= self.config.safety.max_consecutive_overruns:
                self._fault("loop_overrun", f"{self.counters.consecutive_overruns} control ticks in a row later "
                            f"than {self.config.safety.overrun_factor} x {period * 1e3:.1f} ms", now)
        else:
            self.counters.consecutive_overruns = 0
        self._last_tick = now

    def _pd_effort(self, target_position: np.ndarray) -> np.ndarray:
        measured = self._measured_command_positions()
        velocity = np.array([self._velocity[n] for n in self._command_joints])
        kp = np.array([self.config.joint(n).kp for n in self._command_joints])
        kd = np.array([self.config.joint(n).kd for n in self._command_joints])
        return kp * (target_position - measured) - kd * velocity

    def _ramp_target(self, now: float) -> np.ndarray:
        alpha = min(1.0, (now - self._ramp_start_time) / self.config.safety.ramp_duration_s)
        position = (1 - alpha) * self._ramp_from + alpha * self.mapper.default_pose
        if alpha >= 1.0:
            if self.config.safety.hold_after_ramp:
                self._go(State.HOLD, AT_DEFAULT_POSE, now)
                self._hold_position = self.mapper.default_pose.copy()
            else:
                self._hand_over(now, f"ramp to the default pose done ({self.config.safety.ramp_duration_s} s)")
        return self._pd_effort(position) if self.mapper.is_effort else position

    def _hand_over(self, now: float, reason: str) -> None:
        self.observations.reset()
        if self.on_reset_policy:
            self.on_reset_policy()
        self._go(State.POLICY, reason, now)

    def proceed(self, now: float) -> bool:
        """HOLD at the default pose after the ramp (``safety.hold_after_ramp``) -> POLICY, with fresh inputs."""
        if self.state != State.HOLD or self.last_reason != AT_DEFAULT_POSE:
            log.warning("proceed ignored in state %s (%s)", self.state.value, self.last_reason)
            return False
        if not self._inputs_fresh(now):
            log.warning("proceed refused: %s", self._staleness(now))
            return False
        self._hand_over(now, "the operator let the policy go")
        return True

    def _policy_action(self, now: float) -> np.ndarray | None:
        """One policy step on the current observation; None (after a fault) without a complete observation or
        with an output that is not ``action_size`` finite numbers."""
        try:
            obs = self.observations.build()
        except RobotAcError as exc:
            self._fault("missing_input", str(exc), now)
            return None
        action = np.asarray(self.policy(obs), dtype=np.float64)
        if action.shape != (self.manifest.interface.action_size,) or not np.isfinite(action).all():
            self._fault("policy_output", f"policy returned {action.shape} values, finite: "
                        f"{bool(np.isfinite(action).all())}", now)
            return None
        self.counters.policy_steps += 1
        self.observations.set_previous_action(action)
        return action

    def _policy_target(self, now: float) -> np.ndarray | None:
        action = self._policy_action(now)
        if action is None:
            return self._hold_target() if self.state == State.HOLD else self._damp_target(now)
        return self.mapper.policy_command(action)

    def _hold_target(self) -> np.ndarray | None:
        if self.mapper.is_effort:
            return self._pd_effort(self._hold_position) if self._hold_position is not None else None
        return self._last_command if self._last_command is not None else self._hold_position

    def _damp_target(self, now: float) -> np.ndarray:
        if self.mapper.is_effort:
            if not self._inputs_fresh(now):
                return np.zeros(len(self._command_joints))
            kd = np.array([self.config.joint(n).kd for n in self._command_joints])
            return -kd * np.array([self._velocity[n] for n in self._command_joints])
        return self._measured_command_positions()

    def status(self) -> dict[str, object]:
        """For diagnostics: state, last reason, counters."""
        return {"state": self.state.value, "reason": self.last_reason, "joint_states": self.counters.joint_states,
                "rejected_out_of_order": self.counters.rejected_out_of_order, "overruns": self.counters.overruns,
                "policy_steps": self.counters.policy_steps, **{f"faults.{k}": v for k, v in
                                                               self.counters.faults.items()}}
