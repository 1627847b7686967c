"""CartesianSupervisor: the supervisor's states for a robot driven by TCP pose targets (``cartesian_pose``).

Joint states are still checked (limits, velocities, staleness); on top of them the measured pose, the external
wrench and the publishers on the target topic are watched. States mean:

* PASSIVE: nothing is published (the controller holds the robot where it is).
* RAMP: the policy runs from start, its steps scaled from zero to full over ``cartesian.ramp_in_s``; then POLICY.
* POLICY: the policy's delta on the measured TCP pose, through :class:`CartesianMapper`'s limits.
* HOLD: the target frozen at the TCP pose measured when HOLD began, published every tick.
* DAMP / ESTOP: the target follows the measured pose (the impedance pulls nowhere; the robot yields).

Start is refused without a fresh pose, while the external force is over its limit, while another node publishes on the target topic (a Cartesian impedance
controller such as CRISP ignores targets when two publishers are matched), and while the gripper is not at the
width of a held part. A stale pose (``pose_timeout_periods``), an external force over its limit or a second
publisher while the policy drives is a fault, which holds; so is the robot leaving its move mode, where it reports
one.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from robot_ac.contract.hardware_config import HardwareConfig
from robot_ac.contract.manifest import Manifest
from robot_ac.deploy.cartesian import CartesianMapper
from robot_ac.deploy.pose import TwistEstimator, cross, norm, quat_apply, same_hemisphere
from robot_ac.deploy.supervisor import Command, State, Supervisor, log


class CartesianSupervisor(Supervisor):
    """Feed :meth:`on_ee_pose`, :meth:`on_wrench` and :meth:`on_foreign_publishers` besides the joint states;
    :meth:`tick` returns ``pose`` commands in the controller's (measured) frame."""

    def __init__(self, manifest: Manifest, config: HardwareConfig, policy: Callable[[np.ndarray], np.ndarray],
                 *, on_reset_policy: Callable[[], None] | None = None) -> None:
        super().__init__(manifest, config, policy, on_reset_policy=on_reset_policy)
        self.limits = config.cartesian
        self._twist = TwistEstimator(self.limits.twist_filter_s)
        self._orientation_reference = np.asarray(self.limits.orientation_reference, dtype=np.float64)
        self._measured_tcp: np.ndarray | None = None
        self._last_pose_stamp = -math.inf
        self._last_pose_receive: float | None = None
        self._last_target: np.ndarray | None = None
        self._hold_pose: np.ndarray | None = None
        self._gripper_width: float | None = None
        self.foreign_publishers = 0
        self.external_force = 0.0
        """Magnitude of the last external force received, N."""
        self.robot_mode: tuple[bool, str] = (True, "not reported")
        """(in move mode, its name) as last reported; robots without a mode topic are taken to be moving."""
        """Other publishers on the target topic, as last reported by the node."""

    def _make_mapper(self, default_positions: dict[str, float]) -> CartesianMapper:
        return CartesianMapper(self.manifest.interface, self.config)

    @property
    def measured_tcp(self) -> np.ndarray | None:
        return self._measured_tcp

    # -- inputs -------------------------------------------------------------------------------------------------
    def on_ee_pose(self, stamp: float, position: Sequence[float], orientation_xyzw: Sequence[float],
                   now: float) -> bool:
        """One measured pose of the controller's frame (base frame); returns whether it was accepted."""
        pose = np.concatenate([np.asarray(position, dtype=np.float64), np.asarray(orientation_xyzw, np.float64)])
        if pose.shape != (7,) or not np.isfinite(pose).all():
            self._fault("nan_input", f"end-effector pose {pose.tolist()} is not 7 finite numbers", now)
            return False
        length = norm(pose[3:])
        if not 0.9 < length < 1.1:
            self._fault("malformed_input", f"end-effector orientation has norm {length:.3f}, expected a unit "
                        "quaternion", now)
            return False
        if stamp <= self._last_pose_stamp:
            self.counters.rejected_out_of_order += 1
            return False
        pose[3:] = same_hemisphere(pose[3:] / length, self._orientation_reference)
        self._last_pose_stamp, self._last_pose_receive = stamp, now
        self._measured_tcp = self.mapper.tcp_from_measured(pose)
        twist = self._twist.update(stamp, self._measured_tcp).copy()
        lever = quat_apply(self._measured_tcp[3:], np.asarray(self.limits.twist_point))
        twist[:3] += cross(twist[3:], lever)  # v_point = v_tcp + w x r
        self.observations.update_end_effector(self._measured_tcp, twist)
        return True

    def on_goal(self, values: Sequence[float]) -> None:
        """A pose goal's quaternion (the last four of seven values) is taken in the hemisphere of
        ``orientation_reference``, as the measured pose is and as the sim gives its goals."""
        goal = np.asarray(values, dtype=np.float64)
        if goal.shape == (7,) and np.isfinite(goal).all():
            goal = np.concatenate([goal[:3], same_hemisphere(goal[3:], self._orientation_reference)])
        super().on_goal(goal)

    def on_wrench(self, force: Sequence[float], torque: Sequence[float], now: float) -> bool:
        """External wrench at the end effector (N, N·m); a force over ``max_external_force_n`` is a fault."""
        wrench = np.concatenate([np.asarray(force, dtype=np.float64), np.asarray(torque, dtype=np.float64)])
        if wrench.shape != (6,) or not np.isfinite(wrench).all():
            self._fault("nan_input", f"external wrench {wrench.tolist()} is not 6 finite numbers", now)
            return False
        magnitude = self.external_force = norm(wrench[:3])
        if magnitude > self.limits.max_external_force_n:
            self._fault("external_force", f"external force {magnitude:.1f} N over the limit "
                        f"{self.limits.max_external_force_n} N", now)
        return True

    def on_robot_mode(self, moving: bool, mode: str, now: float) -> None:
        """The robot's own mode (Franka: ``robot_mode``); out of its move mode while driving is a fault, and start
        is refused until it is back."""
        self.robot_mode = (moving, mode)
        if not moving and self.state in (State.RAMP, State.POLICY):
            self._fault("robot_mode", f"the robot left its move mode: {mode}", now)

    def on_foreign_publishers(self, count: int, now: float) -> None:
        """Publishers on the target topic other than this node; while driving, any one is a fault."""
        self.foreign_publishers = count
        if count > 0 and self.state in (State.RAMP, State.POLICY):
            self._fault("second_publisher", f"{count} other publisher(s) on the target topic: the controller "
                        "would ignore our targets", now)

    def on_gripper_state(self, names: Sequence[str], position: Sequence[float]) -> None:
        """The gripper's JointState (e.g. franka_gripper's, 15 Hz): its width is the sum of the finger joints."""
        index = {name: i for i, name in enumerate(names)}
        if all(name in index for name in self.limits.gripper_joints) and len(position) == len(names):
            width = float(sum(position[index[name]] for name in self.limits.gripper_joints))
            self._gripper_width = width if math.isfinite(width) else None

    @property
    def gripper_width(self) -> float | None:
        """The last finite gripper width received (m), None before one."""
        return self._gripper_width

    def _pose_fresh(self, now: float) -> bool:
        timeout = self.limits.pose_timeout_periods * self.config.control_period_s
        return self._last_pose_receive is not None and now - self._last_pose_receive <= timeout

    def _inputs_fresh(self, now: float) -> bool:
        return super()._inputs_fresh(now) and self._pose_fresh(now)

    def _staleness(self, now: float) -> str:
        last = self._last_pose_receive
        pose = "end-effector pose " + ("never received" if last is None else f"{now - last:.3f} s old")
        return f"{super()._staleness(now)}, {pose} (pose timeout {self.limits.pose_timeout_periods} periods)"

    # -- transitions --------------------------------------------------------------------------------------------
    def start(self, now: float) -> bool:
        if self.state != State.PASSIVE:
            return super().start(now)
        if not self._pose_fresh(now):
            log.warning("start refused: no fresh end-effector pose")
            return False
        if self.external_force > self.limits.max_external_force_n:
            log.warning("start refused: external force %.1f N over the limit %.1f N", self.external_force,
                        self.limits.max_external_force_n)
            return False
        if not self.robot_mode[0]:
            log.warning("start refused: the robot is not in its move mode (%s)", self.robot_mode[1])
            return False
        if self.foreign_publishers:
            log.warning("start refused: %d other publisher(s) on the target topic", self.foreign_publishers)
            return False
        held = self.limits.held_width_m
        if held is not None and (self._gripper_width is None
                                 or abs(self._gripper_width - held) > self.limits.held_width_tolerance_m):
            log.warning("start refused: gripper width %s, holding the part means %.4f +- %.4f m",
                        "unknown" if self._gripper_width is None else f"{self._gripper_width:.4f} m", held,
                        self.limits.held_width_tolerance_m)
            return False
        if not super().start(now):
            return False
        self.observations.reset()
        if self.on_reset_policy:
            self.on_reset_policy()
        self._last_target = None
        return True

    def _go(self, target: State, reason: str, now: float) -> None:
        if target == State.HOLD and target != self.state:
            self._hold_pose = None if self._measured_tcp is None else self._measured_tcp.copy()
        super()._go(target, reason, now)

    # -- control tick -------------------------------------------------------------------------------------------
    def tick(self, now: float) -> Command | None:
        self._watch(now)
        if self.state == State.PASSIVE or self._measured_tcp is None:
            return None
        target = None
        if self.state in (State.RAMP, State.POLICY):
            target = self._policy_target(now)
        if self.state == State.HOLD:
            target = self._hold_pose
        elif self.state in (State.DAMP, State.ESTOP):
            target = self._measured_tcp
        if target is None:
            return None
        self._last_target = target
        return Command([], self.mapper.measured_from_tcp(target), "pose")

    def _policy_target(self, now: float) -> np.ndarray | None:
        action = self._policy_action(now)
        if action is None:
            return None
        ramp = 1.0
        if self.state == State.RAMP:
            ramp = (now - self._ramp_start_time) / self.limits.ramp_in_s
            if ramp >= 1.0:
                self._go(State.POLICY, f"ramp-in done ({self.limits.ramp_in_s} s)", now)
        measured = self._measured_tcp
        return self.mapper.limit(self.mapper.policy_target(action, measured), measured, self._last_target, ramp)
