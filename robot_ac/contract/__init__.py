"""The contract every side shares: no torch, no simulator, no ROS.

Sim, training, export, deploy, replay and the ROS node all read these formats; each is stated once, here.

* :mod:`robot_ac.contract.manifest`: the policy manifest (``manifest.json``): the interface a task promises and the
  exported policy file, with its JSON schema generated from the same models.
* :mod:`robot_ac.contract.hardware_config`: one robot set-up's YAML (joints, topics, gains, limits, safety) and its
  agreement with a manifest.
* :mod:`robot_ac.contract.tactile`: the tactile image preprocessing and where tactile images sit in the policy
  vector.
"""

from robot_ac.contract.hardware_config import HardwareConfig, check_compatibility, load_hardware_config
from robot_ac.contract.manifest import (
    ActionSpec,
    JointSpec,
    Manifest,
    ObservationTerm,
    PolicyFile,
    PolicyInterface,
    load_manifest,
    validate_manifest_dict,
    write_manifest,
)
from robot_ac.contract.tactile import TactileLayout, TactilePreprocessing

__all__ = [
    "ActionSpec",
    "HardwareConfig",
    "JointSpec",
    "Manifest",
    "ObservationTerm",
    "PolicyFile",
    "PolicyInterface",
    "TactileLayout",
    "TactilePreprocessing",
    "check_compatibility",
    "load_hardware_config",
    "load_manifest",
    "validate_manifest_dict",
    "write_manifest",
]
