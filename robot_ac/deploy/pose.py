"""Poses on the robot side: quaternions (x, y, z, w, as in the manifest and Isaac Lab 3), numpy only.

:func:`apply_delta_pose` composes a Cartesian target exactly as the simulator's task-space controller does
(Isaac Lab's ``apply_delta_pose``: position plus the delta, rotation delta applied in the base frame on the left);
:class:`TwistEstimator` gives the frame's velocity from its measured poses.
"""

from __future__ import annotations

import math

import numpy as np

IDENTITY = np.array([0.0, 0.0, 0.0, 1.0])


def norm(v: np.ndarray) -> float:
    """Euclidean length of a short vector (a third of ``np.linalg.norm``'s cost)."""
    return math.sqrt(float(np.dot(v, v)))


def quat_mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Hamilton product ``a * b`` of (x, y, z, w) quaternions: rotation ``b`` first, then ``a``."""
    ax, ay, az, aw = a
    bx, by, bz, bw = b
    return np.array([aw * bx + ax * bw + ay * bz - az * by,
                     aw * by - ax * bz + ay * bw + az * bx,
                     aw * bz + ax * by - ay * bx + az * bw,
                     aw * bw - ax * bx - ay * by - az * bz])


def quat_conjugate(q: np.ndarray) -> np.ndarray:
    return np.array([-q[0], -q[1], -q[2], q[3]])


def cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a x b`` of two 3-vectors (``np.cross`` costs ten times more on one pair, in a 60-500 Hz loop)."""
    a0, a1, a2 = a
    b0, b1, b2 = b
    return np.array([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0])


def quat_apply(q: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Rotate vector ``v`` by the unit quaternion ``q``."""
    xyz, w = q[:3], q[3]
    t = 2.0 * cross(xyz, v)
    return v + w * t + cross(xyz, t)


def quat_from_rotvec(rotvec: np.ndarray, eps: float = 1.0e-6) -> np.ndarray:
    """Axis-angle vector (rad) -> unit quaternion; the identity below ``eps`` rad, as Isaac Lab does."""
    angle = norm(rotvec)
    if angle <= eps:
        return IDENTITY.copy()
    x, y, z = rotvec * (math.sin(angle / 2) / angle)
    return np.array([x, y, z, math.cos(angle / 2)])


def quat_to_rotvec(q: np.ndarray) -> np.ndarray:
    """Unit quaternion -> the axis-angle vector of the shorter rotation (angle in [0, pi])."""
    q = q if q[3] >= 0 else -q
    sin_half = norm(q[:3])
    if sin_half < 1e-12:
        return 2.0 * q[:3]
    return q[:3] / sin_half * 2.0 * math.atan2(sin_half, q[3])


def rotation_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The axis-angle vector ``r`` of the base-frame rotation from ``a`` to ``b``: ``b = quat(r) * a``."""
    return quat_to_rotvec(quat_mul(b, quat_conjugate(a)))


def same_hemisphere(q: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """``q`` or ``-q`` (the same rotation), whichever is nearer ``reference``, so a target stream never flips sign."""
    return -q if float(np.dot(q, reference)) < 0 else q


def apply_delta_pose(position: np.ndarray, quaternion: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """The pose ``[x, y, z, qx, qy, qz, qw]`` reached from (``position``, ``quaternion``) by ``delta`` =
    ``[dx, dy, dz, rx, ry, rz]`` (m, axis-angle rad), both in the base frame."""
    rotation = quat_mul(quat_from_rotvec(np.asarray(delta[3:6], dtype=np.float64)), quaternion)
    return np.concatenate([position + delta[:3], rotation / norm(rotation)])


class TwistEstimator:
    """Linear and angular velocity of a frame (base-frame axes) from its stamped poses: finite differences through
    a first-order low-pass filter with time constant ``time_constant_s`` (0: raw differences)."""

    def __init__(self, time_constant_s: float) -> None:
        self.time_constant_s = time_constant_s
        self.reset()

    def reset(self) -> None:
        self._last: tuple[float, np.ndarray] | None = None
        self.twist = np.zeros(6)

    def update(self, stamp: float, pose: np.ndarray) -> np.ndarray:
        """Add the pose measured at ``stamp`` (s); returns the filtered twist ``[vx, vy, vz, wx, wy, wz]``."""
        if self._last is not None:
            dt = stamp - self._last[0]
            if dt > 0:
                previous = self._last[1]
                raw = np.concatenate([(pose[:3] - previous[:3]) / dt, rotation_between(previous[3:], pose[3:]) / dt])
                alpha = dt / (self.time_constant_s + dt)
                self.twist = self.twist + alpha * (raw - self.twist)
        self._last = (stamp, pose.copy())
        return self.twist
