"""ObservationBuilder: ROS-side data -> the policy's observation vector, exactly as the manifest describes it.

Joint data is matched by joint name, never by index: a JointState message may list joints in any order and may
carry joints the policy does not use.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

import numpy as np

from robot_ac.errors import RobotAcError
from robot_ac.contract.manifest import ObservationTerm, PolicyInterface
from robot_ac.contract.tactile import TactilePreprocessing

_SUPPORTED = {("joint_state", "position"), ("joint_state", "velocity"), ("command", "pose"), ("command", ""),
              ("command", "position"), ("previous_action", ""), ("imu", "angular_velocity"),
              ("imu", "linear_acceleration"), ("imu", "orientation"), ("imu", "projected_gravity"),
              ("end_effector", "pose"), ("end_effector", "twist")}


def projected_gravity(orientation_xyzw: np.ndarray) -> np.ndarray:
    """Gravity's direction (unit, world -z) in the body frame of an orientation quaternion (x, y, z, w)."""
    x, y, z, w = orientation_xyzw / np.linalg.norm(orientation_xyzw)
    # Third row of R(q) transposed applied to (0, 0, -1): the body-frame components of world -z.
    return -np.array([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)])


class ObservationBuilder:
    """Keeps the latest value of every input and assembles ``[history_length x obs]`` float32 vectors."""

    def __init__(self, interface: PolicyInterface) -> None:
        for term in interface.observations:
            if term.source != "tactile" and (term.source, term.quantity) not in _SUPPORTED:
                raise RobotAcError(f"observation '{term.name}': source '{term.source}' / quantity "
                                   f"'{term.quantity}' is not supported by the deploy runtime yet")
        self.interface = interface
        self.joint_names = list(dict.fromkeys(n for t in interface.observations for n in t.joint_names))
        self._position = np.full(len(self.joint_names), np.nan)
        self._velocity = np.full(len(self.joint_names), np.nan)
        self._joint_index = {name: i for i, name in enumerate(self.joint_names)}
        self._layout_cache: dict[tuple[str, ...], tuple[np.ndarray, np.ndarray]] = {}
        self._goal: np.ndarray | None = None
        self._imu: dict[str, np.ndarray] = {}
        self._end_effector: dict[str, np.ndarray] = {}
        self.tactile = TactilePreprocessing(**interface.tactile) if interface.tactile else None
        self.tactile_sensors = [t.quantity for t in interface.observations if t.source == "tactile"]
        """Sensor keys (the hardware config's ``topics.tactile`` names) in observation order."""
        self._tactile_images: dict[str, np.ndarray] = {}
        self._tactile_reference: dict[str, np.ndarray] = {}
        self._previous_action = np.zeros(interface.action_size)
        self._history: deque[np.ndarray] = deque(maxlen=interface.history_length)
        self._slices = [(term, [self._joint_index[n] for n in term.joint_names]) for term in interface.observations]

    def _layout(self, names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        """(positions in the message, positions in our arrays) of the joints we use; cached per name order."""
        if names not in self._layout_cache:
            pairs = [(i, self._joint_index[n]) for i, n in enumerate(names) if n in self._joint_index]
            src, dst = (np.array(x, dtype=np.intp) for x in zip(*pairs)) if pairs else (np.empty(0, np.intp),) * 2
            self._layout_cache[names] = (src, dst)
        return self._layout_cache[names]

    def update_joint_state(self, names: Sequence[str], position: Sequence[float],
                           velocity: Sequence[float] | None = None) -> None:
        src, dst = self._layout(tuple(names))
        self._position[dst] = np.asarray(position, dtype=np.float64)[src]
        if velocity is not None and len(velocity):
            self._velocity[dst] = np.asarray(velocity, dtype=np.float64)[src]

    def update_imu(self, orientation_xyzw: Sequence[float], angular_velocity: Sequence[float],
                   linear_acceleration: Sequence[float]) -> None:
        """sensor_msgs/Imu: orientation (x, y, z, w), angular velocity (rad/s), linear acceleration (m/s²)."""
        orientation = np.asarray(orientation_xyzw, dtype=np.float64)
        self._imu = {"orientation": orientation, "angular_velocity": np.asarray(angular_velocity, dtype=np.float64),
                     "linear_acceleration": np.asarray(linear_acceleration, dtype=np.float64),
                     "projected_gravity": projected_gravity(orientation)}

    def update_end_effector(self, pose: np.ndarray, twist: np.ndarray) -> None:
        """The tool frame's pose ``[x, y, z, qx, qy, qz, qw]`` and twist ``[v, w]`` in the robot base frame."""
        self._end_effector = {"pose": np.asarray(pose, dtype=np.float64), "twist": np.asarray(twist, dtype=np.float64)}

    def update_tactile(self, sensor: str, image_rgb: np.ndarray) -> None:
        """Latest [H, W, 3] uint8 RGB frame of a tactile sensor."""
        self._tactile_images[sensor] = image_rgb

    def capture_tactile_reference(self) -> None:
        """Take the current frames as the untouched-gel references of ``difference`` preprocessing."""
        self._tactile_reference = dict(self._tactile_images)

    @property
    def has_tactile_reference(self) -> bool:
        return all(key in self._tactile_reference for key in self.tactile_sensors)

    @property
    def uses_imu(self) -> bool:
        return any(term.source == "imu" for term in self.interface.observations)

    def missing_inputs(self) -> list[str]:
        """Inputs the policy reads that have not arrived yet (``goal``, ``imu``, ``end-effector pose``)."""
        sources = {term.source for term in self.interface.observations}
        missing = [name for name, needed, present in (("goal", "command" in sources, self._goal is not None),
                                                     ("imu", "imu" in sources, bool(self._imu)),
                                                     ("end-effector pose", "end_effector" in sources,
                                                      bool(self._end_effector)))
                   if needed and not present]
        return missing + [f"tactile '{key}'" for key in self.tactile_sensors if key not in self._tactile_images]

    def set_goal(self, values: Sequence[float]) -> None:
        self._goal = np.asarray(values, dtype=np.float64)

    @property
    def goal(self) -> np.ndarray | None:
        """The latest goal received (None before the first)."""
        return None if self._goal is None else self._goal.copy()

    def set_previous_action(self, action: np.ndarray) -> None:
        self._previous_action = np.asarray(action, dtype=np.float64)

    def reset(self) -> None:
        """Forget history and the previous action (the policy restarts as at an episode start)."""
        self._history.clear()
        self._previous_action = np.zeros(self.interface.action_size)

    def _term(self, term: ObservationTerm, joints: list[int]) -> np.ndarray:
        if term.source == "joint_state":
            raw = (self._position if term.quantity == "position" else self._velocity)[joints]
        elif term.source == "previous_action":
            raw = self._previous_action
        elif term.source == "tactile":
            if term.quantity not in self._tactile_images:
                raise RobotAcError(f"observation '{term.name}' needs tactile sensor '{term.quantity}', no image yet")
            raw = self.tactile.apply(self._tactile_images[term.quantity],
                                     self._tactile_reference.get(term.quantity)).reshape(-1)
        elif term.source == "imu":
            if term.quantity not in self._imu:
                raise RobotAcError(f"observation '{term.name}' needs IMU data, and none has been received yet")
            raw = self._imu[term.quantity]
        elif term.source == "end_effector":
            if term.quantity not in self._end_effector:
                raise RobotAcError(f"observation '{term.name}' needs the end-effector pose, none received yet")
            raw = self._end_effector[term.quantity]
        else:
            if self._goal is None:
                raise RobotAcError(f"observation '{term.name}' needs a goal, and none has been received yet")
            raw = self._goal
        if raw.shape != (term.size,):
            raise RobotAcError(f"observation '{term.name}': got {raw.shape[0]} values, the manifest says {term.size}")
        value = (raw - np.asarray(term.offset)) * term.scale if term.offset else raw * term.scale
        return np.clip(value, -term.clip, term.clip) if term.clip is not None else value

    def build(self) -> np.ndarray:
        """The observation vector [obs_size] (float32), history oldest first, padded with the first frame."""
        frame = np.concatenate([self._term(term, joints) for term, joints in self._slices])
        self._history.append(frame)
        while len(self._history) < self._history.maxlen:
            self._history.appendleft(frame)
        return np.concatenate(self._history).astype(np.float32)
