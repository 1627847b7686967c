"""The robot side: numpy + onnxruntime only (no torch, no simulator). Used by the ROS 2 node and `robot-ac deploy`.

* :class:`HardwareConfig` / :func:`load_hardware_config` / :func:`check_compatibility`: the robot's YAML and its
  agreement with a policy manifest (defined in :mod:`robot_ac.contract`, re-exported for the runtime's users).
* :class:`ObservationBuilder`: ROS data by joint name -> observation vector.
* :class:`PolicyRuntime`: ONNX policy under onnxruntime, checked against its manifest.
* :class:`ActionMapper`: action -> limited joint commands; :class:`CartesianMapper`: action -> limited TCP targets.
* :class:`Supervisor`: PASSIVE -> RAMP -> POLICY -> HOLD / DAMP, e-stop, watchdogs; :class:`CartesianSupervisor`
  the same for pose targets; :func:`make_supervisor` picks one by the config's command interface.
"""

from robot_ac.contract.hardware_config import HardwareConfig, check_compatibility, load_hardware_config
from collections.abc import Callable

import numpy as np

from robot_ac.contract.manifest import Manifest
from robot_ac.deploy.action_mapper import ActionMapper
from robot_ac.deploy.cartesian import CartesianMapper
from robot_ac.deploy.cartesian_supervisor import CartesianSupervisor
from robot_ac.deploy.observation import ObservationBuilder
from robot_ac.deploy.policy_runtime import PolicyRuntime
from robot_ac.deploy.supervisor import Command, State, Supervisor, Transition



def make_supervisor(manifest: Manifest, config: HardwareConfig, policy: Callable[[np.ndarray], np.ndarray], *,
                    on_reset_policy: Callable[[], None] | None = None) -> Supervisor:
    """The supervisor for the config's command interface: :class:`CartesianSupervisor` for ``cartesian_pose``."""
    kind = CartesianSupervisor if config.command_interface == "cartesian_pose" else Supervisor
    return kind(manifest, config, policy, on_reset_policy=on_reset_policy)


__all__ = [
    "ActionMapper",
    "CartesianMapper",
    "CartesianSupervisor",
    "Command",
    "HardwareConfig",
    "ObservationBuilder",
    "PolicyRuntime",
    "State",
    "Supervisor",
    "Transition",
    "check_compatibility",
    "load_hardware_config",
    "make_supervisor",
]
