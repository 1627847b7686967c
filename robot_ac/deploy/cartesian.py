"""CartesianMapper: an ``ee_pose_delta`` action -> a TCP pose target within every Cartesian limit of the config.

The target is composed as the simulator composes it (measured TCP pose plus the scaled delta, the rotation applied
in the base frame), then passes the limits in the hardware config's order:

1. ramp-in: after start the step from the measured pose grows from zero to full over ``ramp_in_s``;
2. per-step clamp: at most ``max_step_m`` / ``max_step_rad`` from the measured TCP pose;
3. velocity limit: at most ``max_*_velocity`` x period from the previous target;
4. tracking-error limit: at most ``max_tracking_error_*`` from the measured TCP pose;
5. workspace box: the position is clamped into ``workspace_min`` .. ``workspace_max``;
6. tilt cone: the tool's z axis is turned back to within ``max_tilt_rad`` of ``insertion_axis``.

Each limit moves the target the least it can (a projection), so a later one never undoes an earlier one while the
robot tracks its targets. Poses are ``[x, y, z, qx, qy, qz, qw]`` in the robot base frame.
"""

from __future__ import annotations

import math

import numpy as np

from robot_ac.contract.hardware_config import HardwareConfig
from robot_ac.contract.manifest import PolicyInterface
from robot_ac.deploy.pose import (apply_delta_pose, cross, norm, quat_apply, quat_from_rotvec, quat_mul,
                                  rotation_between, same_hemisphere)
from robot_ac.errors import RobotAcError

COMPONENTS = ["x", "y", "z", "rx", "ry", "rz"]


def _shrink(vector: np.ndarray, limit: float) -> np.ndarray:
    length = norm(vector)
    return vector * (limit / length) if length > limit else vector


def _angle(a: np.ndarray, b: np.ndarray) -> float:
    """Geodesic angle (rad) between two unit quaternions' rotations."""
    return 2.0 * math.acos(min(1.0, abs(float(np.dot(a, b)))))


def _limit_towards(target: np.ndarray, anchor: np.ndarray, max_distance: float, max_angle: float) -> np.ndarray:
    """``target`` moved onto the ball of ``max_distance`` / ``max_angle`` around ``anchor`` (position and
    geodesic rotation separately); ``target`` itself (no arithmetic) where it is inside."""
    offset = target[:3] - anchor[:3]
    inside_position = norm(offset) <= max_distance
    inside_rotation = _angle(anchor[3:], target[3:]) <= max_angle
    if inside_position and inside_rotation:
        return target
    limited = target.copy()
    if not inside_position:
        limited[:3] = anchor[:3] + _shrink(offset, max_distance)
    if not inside_rotation:
        rotation = quat_mul(quat_from_rotvec(_shrink(rotation_between(anchor[3:], target[3:]), max_angle), eps=0.0),
                            anchor[3:])
        limited[3:] = rotation / norm(rotation)
    return limited


def tilt(quaternion: np.ndarray, axis: np.ndarray) -> float:
    """Angle (rad) between the tool's z axis and ``axis`` (unit)."""
    z = quat_apply(quaternion, np.array([0.0, 0.0, 1.0]))
    return math.acos(float(np.clip(np.dot(z, axis), -1.0, 1.0)))


class CartesianMapper:
    """Policy action -> limited TCP target; measured-frame <-> TCP conversion for the controller's topics."""

    def __init__(self, interface: PolicyInterface, config: HardwareConfig) -> None:
        action = interface.action
        if action.type != "ee_pose_delta":
            raise RobotAcError(f"policy action type '{action.type}' cannot drive a cartesian_pose robot "
                               "(it needs ee_pose_delta)")
        if action.components != COMPONENTS:
            raise RobotAcError(f"ee_pose_delta components {action.components}: the deploy runtime composes "
                               f"{COMPONENTS} (position in m, then an axis-angle rotation, base frame)")
        if config.cartesian is None:
            raise RobotAcError(f"hardware config for '{config.robot}' has no 'cartesian' section")
        self.limits = config.cartesian
        self.joint_names = list(action.joint_names)
        """The joints the Cartesian controller drives (watched, not commanded)."""
        self.is_effort = False
        self.period_s = config.control_period_s
        self._scale = np.asarray(action.scale, dtype=np.float64)
        self._offset = np.asarray(action.offset, dtype=np.float64)
        self._clip = action.clip
        self._tcp_offset = np.asarray(self.limits.tcp_offset, dtype=np.float64)
        self.insertion_axis = np.asarray(self.limits.insertion_axis, dtype=np.float64)
        self.insertion_axis /= norm(self.insertion_axis)
        self._box = (np.asarray(self.limits.workspace_min), np.asarray(self.limits.workspace_max))

    # -- frames -----------------------------------------------------------------------------------------------
    def tcp_from_measured(self, frame_pose: np.ndarray) -> np.ndarray:
        """The TCP pose of a measured controller-frame pose."""
        return np.concatenate([frame_pose[:3] + quat_apply(frame_pose[3:], self._tcp_offset), frame_pose[3:]])

    def measured_from_tcp(self, tcp_pose: np.ndarray) -> np.ndarray:
        """The controller-frame pose whose TCP is at ``tcp_pose`` (what goes on the target topic)."""
        return np.concatenate([tcp_pose[:3] - quat_apply(tcp_pose[3:], self._tcp_offset), tcp_pose[3:]])

    # -- targets ------------------------------------------------------------------------------------------------
    def delta(self, raw_action: np.ndarray) -> np.ndarray:
        """The policy's pose increment ``[dx, dy, dz, rx, ry, rz]`` as the simulator applies it."""
        action = np.clip(raw_action, -self._clip, self._clip) if self._clip is not None else raw_action
        return self._offset + self._scale * action

    def policy_target(self, raw_action: np.ndarray, measured_tcp: np.ndarray) -> np.ndarray:
        """The unconstrained target the policy asks for: the measured TCP pose moved by its delta."""
        return apply_delta_pose(measured_tcp[:3], measured_tcp[3:], self.delta(raw_action))

    def limit(self, target: np.ndarray, measured_tcp: np.ndarray, previous: np.ndarray | None,
              ramp: float = 1.0) -> np.ndarray:
        """``target`` through the six limits (module docstring); ``ramp`` in [0, 1] is the ramp-in factor and
        ``previous`` the last target sent (None for the first)."""
        c = self.limits
        ramp = float(np.clip(ramp, 0.0, 1.0))
        if ramp < 1.0:
            step = np.concatenate([target[:3] - measured_tcp[:3], rotation_between(measured_tcp[3:], target[3:])])
            target = apply_delta_pose(measured_tcp[:3], measured_tcp[3:], ramp * step)
        target = _limit_towards(target, measured_tcp, c.max_step_m, c.max_step_rad)
        if previous is not None:
            target = _limit_towards(target, previous, c.max_linear_velocity_m_s * self.period_s,
                                    c.max_angular_velocity_rad_s * self.period_s)
        target = _limit_towards(target, measured_tcp, c.max_tracking_error_m, c.max_tracking_error_rad)
        target = target.copy()
        target[:3] = np.clip(target[:3], *self._box)
        target[3:] = self._into_tilt_cone(target[3:])
        if previous is not None:
            target[3:] = same_hemisphere(target[3:], previous[3:])
        return target

    def _into_tilt_cone(self, quaternion: np.ndarray) -> np.ndarray:
        """The least base-frame rotation that brings the tool z axis within ``max_tilt_rad`` of the insertion axis."""
        z = quat_apply(quaternion, np.array([0.0, 0.0, 1.0]))
        angle = math.acos(float(np.clip(np.dot(z, self.insertion_axis), -1.0, 1.0)))
        excess = angle - self.limits.max_tilt_rad
        if excess <= 0:
            return quaternion
        normal = cross(z, self.insertion_axis)
        if norm(normal) < 1e-9:  # pointing straight against the axis: any perpendicular turns it back
            normal = cross(z, [1.0, 0.0, 0.0] if abs(z[0]) < 0.9 else [0.0, 1.0, 0.0])
        correction = quat_from_rotvec(normal / norm(normal) * excess, eps=0.0)
        rotated = quat_mul(correction, quaternion)
        return rotated / norm(rotated)

    def inside_limits(self, target: np.ndarray, tolerance: float = 1e-9) -> bool:
        """Whether ``target`` is in the workspace box and the tilt cone (the limits that do not depend on time)."""
        low, high = self._box
        return bool((target[:3] >= low - tolerance).all() and (target[:3] <= high + tolerance).all()
                    and tilt(target[3:], self.insertion_axis) <= self.limits.max_tilt_rad + 1e-6)
