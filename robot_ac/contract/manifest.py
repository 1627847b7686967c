"""The manifest: the contract between training and the robot.

A task states its :class:`PolicyInterface` (what the policy reads and commands, by joint name); export adds the
policy file, its checksum and the run it came from, and writes ``manifest.json``. The robot side reads it back
with :func:`load_manifest` (no torch needed) and refuses a policy whose manifest it cannot honour.

The format is stated once, by the pydantic dataclasses below: they validate on construction and on loading (every
error names its field), and :func:`manifest_json_schema` derives the JSON schema from them for other tools.

Conventions, used by training and deployment alike:

* observation term ``i`` fed to the policy is ``clip((raw - offset) * scale)``, concatenated in list order;
* action: ``target[j] = offset[j] + scale[j] * clip(action[j], -clip, clip)`` for ``joint_names[j]``;
* angles in rad, positions in m, forces in N (N·m for revolute joints), periods in s.
"""

from __future__ import annotations

import json
from dataclasses import asdict, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, TypeAdapter, ValidationError, model_validator
from pydantic.dataclasses import dataclass

from robot_ac._atomic import atomic_write_json
from robot_ac.errors import RobotAcError

MANIFEST_FORMAT_VERSION = 1

_STRICT = ConfigDict(extra="forbid")
Name = Annotated[str, Field(min_length=1)]
Positive = Annotated[float, Field(gt=0)]
NonNegative = Annotated[float, Field(ge=0)]

ObservationSource = Literal["joint_state", "imu", "tactile", "command", "previous_action", "end_effector", "task"]
ActionType = Literal["joint_position", "joint_velocity", "joint_effort", "ee_pose_delta"]


@dataclass(frozen=True, config=_STRICT)
class ObservationTerm:
    """One slice of the policy's observation vector."""

    name: Name
    """Term name, e.g. ``joint_pos``."""
    size: Annotated[int, Field(ge=1)]
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
    clip: Positive | None = None
    """Symmetric clip after scaling; None means no clip."""
    description: str = ""

    @model_validator(mode="after")
    def _sizes_agree(self) -> ObservationTerm:
        if self.joint_names and len(self.joint_names) != self.size:
            raise ValueError(f"observation '{self.name}' has size {self.size} but {len(self.joint_names)} "
                             "joint_names")
        if self.offset and len(self.offset) != self.size:
            raise ValueError(f"observation '{self.name}' offset has {len(self.offset)} entries, expected "
                             f"{self.size}")
        return self


@dataclass(frozen=True, config=_STRICT)
class ActionSpec:
    """How the policy's output becomes joint commands."""

    type: ActionType
    joint_names: Annotated[list[Name], Field(min_length=1)]
    """Commanded joints, in the order of the action vector; for ``ee_pose_delta``, the joints the robot's Cartesian
    controller drives."""
    scale: list[float]
    offset: list[float]
    """Added after scaling: the default pose for position actions, zero for efforts."""
    clip: Positive | None = None
    """The raw action is clipped to [-clip, clip] before scaling."""
    components: list[str] = field(default_factory=list)
    """For ``ee_pose_delta``: what each action element is (``x, y, z`` in m, ``rx, ry, rz`` axis-angle in rad after
    scaling), an increment of the ``frame``'s pose target; empty for joint actions."""
    frame: str = ""
    """For ``ee_pose_delta``: the controlled frame, e.g. the tool centre point."""

    @model_validator(mode="after")
    def _sizes_agree(self) -> ActionSpec:
        if (self.type == "ee_pose_delta") != bool(self.components):
            raise ValueError("components must list the action's elements for ee_pose_delta actions, and "
                             "only for them")
        n_act = len(self.components or self.joint_names)
        for key in ("scale", "offset"):
            if len(getattr(self, key)) != n_act:
                raise ValueError(f"{key} has {len(getattr(self, key))} entries, expected one per "
                                 f"action {'component' if self.components else 'joint'} ({n_act})")
        return self


@dataclass(frozen=True, config=_STRICT)
class JointSpec:
    """Per-joint facts the robot side needs to check limits and reproduce the sim's drive."""

    name: Name
    default_position: float
    position_limits: tuple[float | None, float | None]
    """[lower, upper] in rad or m; None where the joint is unlimited (a continuous revolute joint)."""
    velocity_limit: Positive | None
    """rad/s or m/s; None where the model states no limit."""
    effort_limit: Positive
    stiffness: NonNegative
    """PD stiffness used in simulation (N·m/rad or N/m)."""
    damping: NonNegative
    """PD damping used in simulation (N·m·s/rad or N·s/m)."""


@dataclass(frozen=True, config=_STRICT)
class PolicyInterface:
    """Everything about a task's policy that the robot must reproduce, stated by the task."""

    task: Name
    robot: Name
    joints: Annotated[list[JointSpec], Field(min_length=1)]
    """All joints the policy observes or commands, in policy order."""
    control_period_s: Positive
    observations: Annotated[list[ObservationTerm], Field(min_length=1)]
    action: ActionSpec
    history_length: Annotated[int, Field(ge=1)] = 1
    """Number of stacked observation frames (1: no history)."""
    tactile: dict[str, Any] | None = None
    """Tactile preprocessing, :class:`robot_ac.contract.tactile.TactilePreprocessing` as a dict (image size,
    mode, scale); each tactile observation term names its sensor in ``quantity``. None without tactile."""

    @property
    def observation_size(self) -> int:
        return sum(term.size for term in self.observations) * self.history_length

    def term_offsets(self, extra: dict[str, int] | None = None) -> dict[str, int]:
        """Where each observation term starts in the concatenated observation, then ``extra`` terms (name: size)
        appended after them, as a critic group appends its privileged ones (history 1 only)."""
        if self.history_length != 1:
            raise RobotAcError(f"term_offsets: task '{self.task}' stacks {self.history_length} frames; offsets are "
                               "defined for a single frame")
        offsets, at = {}, 0
        for name, size in [*((term.name, term.size) for term in self.observations), *(extra or {}).items()]:
            offsets[name] = at
            at += size
        return offsets

    @property
    def action_size(self) -> int:
        return len(self.action.components or self.action.joint_names)

    @model_validator(mode="after")
    def _terms_agree(self) -> PolicyInterface:
        joint_names = [joint.name for joint in self.joints]
        for name in self.action.joint_names:
            if name not in joint_names:
                raise ValueError(f"action joint '{name}' is not listed in interface/joints {joint_names}")
        for term in self.observations:
            if term.source != "tactile":
                continue
            if not self.tactile:
                raise ValueError(f"observation '{term.name}' is tactile but interface/tactile (the preprocessing) "
                                 "is not set")
            expected = 3 * self.tactile["height"] * self.tactile["width"]
            if term.size != expected:
                raise ValueError(f"tactile observation '{term.name}' has size {term.size}, the preprocessing "
                                 f"gives 3 x {self.tactile['height']} x {self.tactile['width']} = {expected}")
        return self

    def to_dict(self) -> dict[str, Any]:
        return json.loads(json.dumps(asdict(self)))

    @classmethod
    def from_dict(cls, data: dict[str, Any], origin: str = "interface") -> PolicyInterface:
        return _validated(PolicyInterface, data, origin)


@dataclass(frozen=True, config=_STRICT)
class PolicyFile:
    """The exported network and how to call it."""

    onnx: Name
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    input_name: Name
    output_name: Name
    torchscript: str | None = None
    recurrent_state: list[dict[str, Any]] = field(default_factory=list)
    """For recurrent policies: ``{"input": name, "output": name, "shape": [...]}`` per state tensor."""


@dataclass(frozen=True, config=_STRICT)
class Manifest:
    format_version: Annotated[int, Field(ge=1)]
    robot_ac_version: str
    interface: PolicyInterface
    policy: PolicyFile
    source: dict[str, Any]
    """Where the policy came from: run directory, checkpoint, iteration, export time."""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types (tuples become lists), as written to and read from manifest.json."""
        return json.loads(json.dumps(asdict(self)))


def _validated(model: type, data: Any, origin: str) -> Any:
    """``data`` (plain JSON types) as ``model``; a :class:`RobotAcError` naming the first field that is wrong."""
    try:
        return TypeAdapter(model).validate_python(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = "/".join(str(p) for p in err["loc"]) or "(top level)"
        message = err["msg"].removeprefix("Value error, ")
        raise RobotAcError(f"{origin}: field '{where}': {message}") from None


def validate_manifest_dict(data: Any, origin: str = "manifest") -> Manifest:
    """``data`` as a :class:`Manifest`; raise :class:`RobotAcError` naming the first field that breaks the format
    or the internal consistency (sizes, joint names, tactile preprocessing)."""
    return _validated(Manifest, data, origin)


def manifest_json_schema() -> dict[str, Any]:
    """The JSON schema of ``manifest.json``, derived from the models (for tools outside Python)."""
    return TypeAdapter(Manifest).json_schema()


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
    manifest = validate_manifest_dict(data, origin=str(path))
    if manifest.format_version != MANIFEST_FORMAT_VERSION:
        raise RobotAcError(f"{path}: format_version {manifest.format_version} is not supported "
                           f"(this robot-ac reads version {MANIFEST_FORMAT_VERSION})")
    return manifest
