"""Export: ONNX + TorchScript + the manifest that states what the robot side must know."""

from robot_ac.export.manifest import (
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

__all__ = [
    "ActionSpec",
    "JointSpec",
    "Manifest",
    "ObservationTerm",
    "PolicyFile",
    "PolicyInterface",
    "load_manifest",
    "validate_manifest_dict",
    "write_manifest",
]
