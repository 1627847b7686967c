"""ActionMapper: policy output -> joint commands within every limit the robot and the manifest state."""

from __future__ import annotations

import numpy as np

from robot_ac.contract.hardware_config import HardwareConfig
from robot_ac.errors import RobotAcError
from robot_ac.contract.manifest import PolicyInterface


class ActionMapper:
    """Scale/offset/clip as in training, then joint limits, then a per-step rate limit on position targets.

    Command vectors follow ``config.command_joints`` (the controller's joint order); joints the policy does not
    drive stay at their default position (position interfaces) or zero effort.
    """

    def __init__(self, interface: PolicyInterface, config: HardwareConfig, default_positions: dict[str, float]):
        action = interface.action
        if action.type not in ("joint_position", "joint_effort"):
            raise RobotAcError(f"policy action type '{action.type}' is not supported by the deploy runtime yet "
                               "(it maps joint_position and joint_effort actions)")
        self.is_effort = action.type == "joint_effort"
        self.joint_names = list(config.command_joints or action.joint_names)
        index = {name: i for i, name in enumerate(self.joint_names)}
        self._action_slots = np.array([index[n] for n in action.joint_names], dtype=np.intp)
        self._scale = np.asarray(action.scale, dtype=np.float64)
        self._offset = np.asarray(action.offset, dtype=np.float64)
        self._clip = action.clip
        self.default_pose = np.array([default_positions[n] for n in self.joint_names])
        """Default positions of the command joints: where RAMP goes, and what undriven joints hold."""
        self._idle_command = np.zeros(len(self.joint_names)) if self.is_effort else self.default_pose
        joints = [config.joint(n) for n in self.joint_names]
        manifest_limits = {j.name: j.position_limits for j in interface.joints}
        lower, upper = [], []
        for joint in joints:
            bounds = [b for b in (joint.position_limits, manifest_limits.get(joint.name)) if b is not None]
            lower.append(max([-np.inf] + [b[0] for b in bounds if b[0] is not None]))
            upper.append(min([np.inf] + [b[1] for b in bounds if b[1] is not None]))
        self.lower, self.upper = np.array(lower), np.array(upper)
        self.effort_limit = np.array([j.effort_limit for j in joints])
        self.max_step = np.array([j.velocity_limit for j in joints]) * config.safety.max_command_rate \
            * config.control_period_s
        """Largest change of a position target in one control period."""

    def policy_command(self, raw_action: np.ndarray) -> np.ndarray:
        """The unconstrained command the policy asks for (before limits)."""
        action = np.clip(raw_action, -self._clip, self._clip) if self._clip is not None else raw_action
        command = self._idle_command.copy()
        command[self._action_slots] = self._offset + self._scale * action
        return command

    def limit(self, command: np.ndarray, previous: np.ndarray | None) -> np.ndarray:
        """Every command passes here: efforts clamped to their limits; positions clamped to the joint limits and
        moved at most ``max_step`` from the previous command."""
        if self.is_effort:
            return np.clip(command, -self.effort_limit, self.effort_limit)
        command = np.clip(command, self.lower, self.upper)
        if previous is not None:
            command = np.clip(command, previous - self.max_step, previous + self.max_step)
        return command
