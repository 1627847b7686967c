"""The manifest: the contract between training and the robot.

A task states its :class:`PolicyInterface` (what the policy reads and commands, by joint name); export adds the
policy file, its checksum and the run it came from, and writes ``manifest.json``. The robot side reads it back
with :func:`load_manifest` (no torch needed) and refuses a policy whose manifest it cannot honour.

Conventions, used by training and deployment alike:

* observation term ``i`` fed to the policy is ``clip((raw - offset) * scale)``, concatenated in list order;
* action: ``target[j] = offset[j] + scale[j] * clip(action[j], -clip, clip)`` for ``joint_names[j]``;
* angles in rad, positions in m, forces in N (N·m for revolute joints), periods in s.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from robot_ac._atomic import atomic_write_json
from robot_ac.errors import RobotAcError

MANIFEST_FORMAT_VERSION = 1

ObservationSource = Literal["joint_state", "imu", "tactile", "command", "previous_action", "end_effector", "task"]
ActionType = Literal["joint_position", "joint_velocity", "joint_effort", "ee_pose_delta"]


@dataclass(frozen=True)
class ObservationTerm:
    """One slice of the policy's observation vector."""

    name: str
    """Term name, e.g. ``joint_pos``."""
    size: int
    """Number of floats this term contributes."""
    source: ObservationSource
    """Where the robot gets it: ``joint_state`` (sensor_msgs/JointState), ``imu``, ``tactile``, ``command`` (an
    operator, planner or perception goal), ``previous_action`` (the policy's own last output), ``end_effector``
    (the tool frame's ``pose`` or ``twist`` from the robot's forward kinematics) or ``task`` (sim-only)."""
    quantity: str = ""
    """Which quantity of the source, e.g. ``position``/``velocity`` for joint_state, ``pose`` for a command."""
    joint_names: list[str] = field(default_factory=list)
    """For joint_state terms: the joints, in the order they appear in the vector."""
    offset: list[float] = field(default_factory=list)
    """Subtracted from the raw value (e.g. the default joint positions); empty means zeros."""
    scale: float = 1.0
    """Multiplied after the offset."""
    clip: float | None = None
    """Symmetric clip after scaling; None means no clip."""
    description: str = ""


@dataclass(frozen=True)
class ActionSpec:
    """How the policy's output becomes joint commands."""

    type: ActionType
    joint_names: list[str]
    """Commanded joints, in the order of the action vector; for ``ee_pose_delta``, the joints the robot's Cartesian
    controller drives."""
    scale: list[float]
    offset: list[float]
    """Added after scaling: the default pose for position actions, zero for efforts."""
    clip: float | None = None
    """The raw action is clipped to [-clip, clip] before scaling."""
    components: list[str] = field(default_factory=list)
    """For ``ee_pose_delta``: what each action element is (``x, y, z`` in m, ``rx, ry, rz`` axis-angle in rad after
    scaling), an increment of the ``frame``'s pose target; empty for joint actions."""
    frame: str = ""
    """For ``ee_pose_delta``: the controlled frame, e.g. the tool centre point."""


@dataclass(frozen=True)
class JointSpec:
    """Per-joint facts the robot side needs to check limits and reproduce the sim's drive."""

    name: str
    default_position: float
    position_limits: tuple[float | None, float | None]
    """[lower, upper] in rad or m; None where the joint is unlimited (a continuous revolute joint)."""
    velocity_limit: float | None
    """rad/s or m/s; None where the model states no limit."""
    effort_limit: float
    stiffness: float
    """PD stiffness used in simulation (N·m/rad or N/m)."""
    damping: float
    """PD damping used in simulation (N·m·s/rad or N·s/m)."""


@dataclass(frozen=True)
class PolicyInterface:
    """Everything about a task's policy that the robot must reproduce, stated by the task."""

    task: str
    robot: str
    joints: list[JointSpec]
    """All joints the policy observes or commands, in policy order."""
    control_period_s: float
    observations: list[ObservationTerm]
    action: ActionSpec
    history_length: int = 1
    """Number of stacked observation frames (1: no history)."""
    tactile: dict[str, Any] | None = None
    """Tactile preprocessing, :class:`robot_ac.tactile_preprocessing.TactilePreprocessing` as a dict (image size,
    mode, scale); each tactile observation term names its sensor in ``quantity``. None without tactile."""

    @property
    def observation_size(self) -> int:
        return sum(term.size for term in self.observations) * self.history_length

    @property
    def action_size(self) -> int:
        return len(self.action.components or self.action.joint_names)

    def to_dict(self) -> dict[str, Any]:
        return json.loads(json.dumps(asdict(self)))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PolicyInterface:
        data = dict(data)
        data["joints"] = [JointSpec(**{**j, "position_limits": tuple(j["position_limits"])}) for j in data["joints"]]
        data["observations"] = [ObservationTerm(**term) for term in data["observations"]]
        data["action"] = ActionSpec(**data["action"])
        return cls(**data)


@dataclass(frozen=True)
class PolicyFile:
    """The exported network and how to call it."""

    onnx: str
    sha256: str
    input_name: str
    output_name: str
    torchscript: str | None = None
    recurrent_state: list[dict[str, Any]] = field(default_factory=list)
    """For recurrent policies: ``{"input": name, "output": name, "shape": [...]}`` per state tensor."""


@dataclass(frozen=True)
class Manifest:
    format_version: int
    robot_ac_version: str
    interface: PolicyInterface
    policy: PolicyFile
    source: dict[str, Any]
    """Where the policy came from: run directory, checkpoint, iteration, export time."""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types (tuples become lists), as written to and read from manifest.json."""
        return json.loads(json.dumps(asdict(self)))


def _schema() -> dict[str, Any]:
    return json.loads(resources.files("robot_ac.export").joinpath("manifest.schema.json").read_text())


def validate_manifest_dict(data: Any, origin: str = "manifest") -> None:
    """Raise :class:`RobotAcError` naming the first field that breaks the schema or the internal consistency."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        err = errors[0]
        where = "/".join(str(p) for p in err.absolute_path) or "(top level)"
        raise RobotAcError(f"{origin}: field '{where}': {err.message}")
    interface = data["interface"]
    joint_names = [j["name"] for j in interface["joints"]]
    for name in interface["action"]["joint_names"]:
        if name not in joint_names:
            raise RobotAcError(f"{origin}: action joint '{name}' is not listed in interface/joints {joint_names}")
    components = interface["action"].get("components") or []
    if (interface["action"]["type"] == "ee_pose_delta") != bool(components):
        raise RobotAcError(f"{origin}: interface/action/components must list the action's elements for "
                           "ee_pose_delta actions, and only for them")
    n_act = len(components or interface["action"]["joint_names"])
    for key in ("scale", "offset"):
        if len(interface["action"][key]) != n_act:
            raise RobotAcError(f"{origin}: interface/action/{key} has {len(interface['action'][key])} entries, "
                               f"expected one per action {'component' if components else 'joint'} ({n_act})")
    for i, term in enumerate(interface["observations"]):
        if term["source"] == "tactile":
            tactile = interface.get("tactile")
            if not tactile:
                raise RobotAcError(f"{origin}: observation '{term['name']}' is tactile but interface/tactile "
                                   "(the preprocessing) is not set")
            expected = 3 * tactile["height"] * tactile["width"]
            if term["size"] != expected:
                raise RobotAcError(f"{origin}: tactile observation '{term['name']}' has size {term['size']}, the "
                                   f"preprocessing gives 3 x {tactile['height']} x {tactile['width']} = {expected}")
        if term["joint_names"] and len(term["joint_names"]) != term["size"]:
            raise RobotAcError(f"{origin}: observation '{term['name']}' (interface/observations/{i}) has size "
                               f"{term['size']} but {len(term['joint_names'])} joint_names")
        if term["offset"] and len(term["offset"]) != term["size"]:
            raise RobotAcError(f"{origin}: observation '{term['name']}' offset has {len(term['offset'])} "
                               f"entries, expected {term['size']}")


def write_manifest(path: str | Path, manifest: Manifest) -> Path:
    data = manifest.to_dict()
    validate_manifest_dict(data, origin=str(path))
    return atomic_write_json(path, data)


def load_manifest(path: str | Path) -> Manifest:
    """Read and validate ``manifest.json``; errors name the file and the field."""
    path = Path(path)
    if not path.is_file():
        raise RobotAcError(f"{path}: manifest not found (expected the manifest.json written by `robot-ac export`)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise RobotAcError(f"{path}: not valid JSON ({exc})") from exc
    validate_manifest_dict(data, origin=str(path))
    if data["format_version"] != MANIFEST_FORMAT_VERSION:
        raise RobotAcError(f"{path}: format_version {data['format_version']} is not supported "
                           f"(this robot-ac reads version {MANIFEST_FORMAT_VERSION})")
    return Manifest(
        format_version=data["format_version"],
        robot_ac_version=data["robot_ac_version"],
        interface=PolicyInterface.from_dict(data["interface"]),
        policy=PolicyFile(**data["policy"]),
        source=data["source"],
    )
