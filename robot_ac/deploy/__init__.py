"""The robot side: numpy + onnxruntime only (no torch, no simulator). Used by the ROS 2 node and `robot-ac deploy`.

* :class:`HardwareConfig` / :func:`load_hardware_config` / :func:`check_compatibility`: the robot's YAML and its
  agreement with a policy manifest (defined in :mod:`robot_ac.contract`, re-exported for the runtime's users).
* :class:`ObservationBuilder`: ROS data by joint name -> observation vector.
* :class:`PolicyRuntime`: ONNX policy under onnxruntime, checked against its manifest.
* :class:`ActionMapper`: action -> limited joint commands.
* :class:`Supervisor`: PASSIVE -> RAMP -> POLICY -> HOLD / DAMP, e-stop, watchdogs.
"""

from robot_ac.contract.hardware_config import HardwareConfig, check_compatibility, load_hardware_config
from robot_ac.deploy.action_mapper import ActionMapper
from robot_ac.deploy.observation import ObservationBuilder
from robot_ac.deploy.policy_runtime import PolicyRuntime
from robot_ac.deploy.supervisor import Command, State, Supervisor, Transition

__all__ = [
    "ActionMapper",
    "Command",
    "HardwareConfig",
    "ObservationBuilder",
    "PolicyRuntime",
    "State",
    "Supervisor",
    "Transition",
    "check_compatibility",
    "load_hardware_config",
]
