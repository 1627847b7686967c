"""A fresh :class:`CartesianSupervisor` re-run on a log's recorded inputs, one control tick per recorded command.

The Cartesian node's supervisor is stateful well beyond the policy's history: the twist comes from every measured
pose (a filtered finite difference at the pose rate), the ramp-in scales steps by the time since start, watchdogs
see every message. So every recorded input message (joint states, gripper, measured pose, wrench, goal, tactile
frames) is handed to the supervisor in log-time order, as the node's callbacks received them, and the supervisor
ticks at each recorded command's log time, after the inputs logged before it.

The node publishes a target on every tick outside PASSIVE, so the first command after a silence is the tick that
started the supervisor: the replay starts it there. The operator's e-stops and resets come from the recorded
state timeline (/diagnostics), with the operator's holds and tactile references; faults are left to the replayed supervisor, so a fault the robot did not have (or
missed) shows up as a difference.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from robot_ac.contract.hardware_config import HardwareConfig
from robot_ac.contract.manifest import Manifest
from robot_ac.deploy.cartesian_supervisor import CartesianSupervisor
from robot_ac.deploy.supervisor import OPERATOR_HOLD, TACTILE_REFERENCES_CAPTURED, Command, State
from robot_ac.replay.bag import RobotLog

PoseSource = Callable[[float, int], np.ndarray]
"""(log time, index into ``log.ee_pose``) -> the measured pose [7] to hand the supervisor then."""

_JOINTS, _GRIPPER, _POSE, _WRENCH, _GOAL, _TACTILE = range(6)
"""Input streams, in the order their messages are handed over when logged at the same time."""


class SupervisedReplay:
    """Call :meth:`tick` with each recorded command time, in order. ``pose_source`` replaces the recorded measured
    poses (a simulated twin's, at the recorded pose times and stamps); default: the recorded ones."""

    def __init__(self, log: RobotLog, manifest: Manifest, config: HardwareConfig,
                 policy: Callable[[np.ndarray], np.ndarray], on_policy_reset: Callable[[], None] | None = None,
                 pose_source: PoseSource | None = None) -> None:
        self.log = log
        self.supervisor = CartesianSupervisor(manifest, config, policy, on_reset_policy=on_policy_reset)
        self._pose_source = pose_source or (lambda t, i: log.ee_pose.values[i])
        self._sensors = [s for s in self.supervisor.observations.tactile_sensors if s in log.tactile]
        streams = [(_JOINTS, log.positions.t), (_GRIPPER, log.gripper.t), (_POSE, log.ee_pose.t),
                   (_WRENCH, log.wrench.t), (_GOAL, log.goal.t)]
        streams += [(_TACTILE + n, log.tactile[s].t) for n, s in enumerate(self._sensors)]
        times = np.concatenate([t for _, t in streams])
        kinds = np.concatenate([np.full(t.size, kind) for kind, t in streams])
        indices = np.concatenate([np.arange(t.size) for _, t in streams])
        order = np.lexsort((kinds, times))
        self._times, self._kinds, self._indices = times[order], kinds[order], indices[order]
        self._next = 0
        self._states = iter(log.states)
        self._pending_state = next(self._states, None)
        self._recorded_state: str | None = None

    def tick(self, t: float) -> Command | None:
        """Hand over the inputs logged up to ``t`` and follow the operator's actions logged among them, in log-time
        order; start if PASSIVE, then tick at ``t``."""
        while self._pending_state is not None and self._pending_state[0] <= t:
            self._feed_until(self._pending_state[0])
            self._follow_operator()
        self._feed_until(t)
        if self.supervisor.state == State.PASSIVE:
            self.supervisor.start(t)
        return self.supervisor.tick(t)

    def _feed(self, kind: int, i: int, t: float) -> None:
        s, log = self.supervisor, self.log
        if kind == _JOINTS:
            present = np.isfinite(log.positions.values[i])
            names = [name for name, ok in zip(log.joint_names, present) if ok]
            velocity = log.velocities.values[i, present]
            s.on_joint_state(log.positions.stamp[i], names, log.positions.values[i, present],
                             velocity if np.isfinite(velocity).all() else [], t)
        elif kind == _GRIPPER:
            s.on_gripper_state(log.gripper_joints, log.gripper.values[i])
        elif kind == _POSE:
            pose = self._pose_source(t, i)
            s.on_ee_pose(log.ee_pose.stamp[i], pose[:3], pose[3:], t)
        elif kind == _WRENCH:
            s.on_wrench(log.wrench.values[i, :3], log.wrench.values[i, 3:], t)
        elif kind == _GOAL:
            s.on_goal(log.goal.values[i])
        else:
            sensor = self._sensors[kind - _TACTILE]
            s.on_tactile(sensor, log.tactile[sensor].frame(i), t)

    def _feed_until(self, t: float) -> None:
        end = int(np.searchsorted(self._times, t, side="right"))
        for i in range(self._next, end):
            self._feed(int(self._kinds[i]), int(self._indices[i]), float(self._times[i]))
        self._next = max(self._next, end)

    def _follow_operator(self) -> None:
        """Apply the next recorded operator action: tactile references taken, a start, an e-stop, an operator's hold,
        a reset. A restart (RAMP entered again) whose PASSIVE the diagnostics did not catch resets too: the node
        autostarts in the tick right after a reset."""
        s = self.supervisor
        time, state, reason = self._pending_state
        changed = state != self._recorded_state  # the node repeats its state every half second
        self._recorded_state = state
        self._pending_state = next(self._states, None)
        if reason == TACTILE_REFERENCES_CAPTURED:
            s.capture_tactile_reference()
        if changed:
            if state == State.ESTOP.value:
                s.estop(time, reason)
            elif state == State.HOLD.value and reason == OPERATOR_HOLD:
                s.hold(time, reason)
            elif state == State.RAMP.value and s.state == State.PASSIVE:
                s.start(time)  # the operator's start, when it was logged (the first command comes a tick later)
            elif state in (State.PASSIVE.value, State.RAMP.value) and s.state in (State.HOLD, State.DAMP,
                                                                                    State.ESTOP):
                s.reset(time)
