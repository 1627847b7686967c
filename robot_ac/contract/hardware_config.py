"""Hardware config: one YAML per real robot set-up (joints, topics, gains, limits, rates, safety thresholds).

Validated by a pydantic schema; an error names the file and the field (``joints.2.position_limits``) and says what
was expected. :func:`check_compatibility` compares a config with a policy manifest and lists every disagreement.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from robot_ac.errors import RobotAcError
from robot_ac.contract.manifest import Manifest

CommandInterface = Literal["forward_position", "forward_effort", "joint_trajectory", "cartesian_pose"]
"""How commands reach the robot: a ros2_control forward controller (std_msgs/Float64MultiArray of positions or
efforts), a JointTrajectory controller, or a Cartesian impedance controller (geometry_msgs/PoseStamped)."""

_ACTION_TO_INTERFACES = {
    "joint_position": {"forward_position", "joint_trajectory"},
    "joint_effort": {"forward_effort"},
    "joint_velocity": set(),
    "ee_pose_delta": {"cartesian_pose"},
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class JointConfig(_Strict):
    name: str = Field(min_length=1)
    position_limits: tuple[float, float] | None = None
    """Hard limits of the real joint (rad or m); None for a continuous joint."""
    velocity_limit: float = Field(gt=0)
    """rad/s or m/s; inputs above ``safety.velocity_limit_factor`` times this are a fault."""
    effort_limit: float = Field(gt=0)
    """N·m or N; effort commands are clamped to it."""
    kp: float = Field(ge=0)
    """Stiffness used to ramp, hold and (effort interfaces) track position targets."""
    kd: float = Field(ge=0)
    """Damping, also used alone in DAMP."""

    @field_validator("position_limits")
    @classmethod
    def _ordered(cls, limits: tuple[float, float] | None) -> tuple[float, float] | None:
        if limits is not None and not limits[0] < limits[1]:
            raise ValueError(f"lower limit {limits[0]} must be below upper limit {limits[1]}")
        return limits


class TopicsConfig(_Strict):
    joint_states: str = "/joint_states"
    """sensor_msgs/JointState in."""
    command: str
    """Commands out (message type from ``command_interface``)."""
    imu: str | None = None
    """sensor_msgs/Imu in, if the robot has one the policy uses."""
    tactile: dict[str, str] = Field(default_factory=dict)
    """Sensor name -> sensor_msgs/Image topic (e.g. GelSight cameras)."""
    goal: str | None = None
    """Goal/command input for policies with a ``command`` observation (std_msgs/Float64MultiArray)."""
    diagnostics: str = "/diagnostics"


class SafetyConfig(_Strict):
    ramp_duration_s: float = Field(default=3.0, gt=0)
    """Time to interpolate from the measured pose to the default pose before the policy takes over."""
    joint_state_timeout_s: float = Field(default=0.1, gt=0)
    """Joint states (and IMU messages) older than this are stale: a fault."""
    tactile_timeout_s: float = Field(default=0.2, gt=0)
    """Tactile frames older than this are stale: a fault (cameras run at ~25-60 Hz)."""
    velocity_limit_factor: float = Field(default=1.2, gt=0)
    """Measured |velocity| above factor x limit is a fault."""
    position_limit_margin: float = Field(default=0.05, ge=0)
    """Measured positions farther than this outside the limits are a fault (rad or m)."""
    max_command_rate: float = Field(default=1.0, gt=0)
    """Largest change of a position target per second as a fraction of the joint's velocity limit."""
    overrun_factor: float = Field(default=1.5, gt=1)
    """A control tick later than factor x period counts as an overrun."""
    max_consecutive_overruns: int = Field(default=3, ge=1)
    on_fault: Literal["hold", "damp"] = "hold"
    """What a fault in POLICY leads to: HOLD freezes the last safe command, DAMP removes stiffness."""


class HardwareConfig(_Strict):
    robot: str = Field(min_length=1)
    description: str = ""
    control_rate_hz: float = Field(gt=0)
    """Policy rate; must equal 1 / the manifest's control period."""
    command_interface: CommandInterface
    joints: list[JointConfig] = Field(min_length=1)
    """Every joint the robot reports and the policy may use."""
    command_joints: list[str] = Field(default_factory=list)
    """Joint order of the command controller (e.g. the forward controller's ``joints`` parameter); default:
    the policy's action joints. Commanded joints the policy does not drive are held at their default position."""
    default_positions: dict[str, float] = Field(default_factory=dict)
    """Pose to ramp to; defaults to the manifest's default joint positions."""
    topics: TopicsConfig
    safety: SafetyConfig = Field(default_factory=SafetyConfig)
    adapters: list[str] = Field(default_factory=list)
    """Optional vendor adapters (e.g. ``unitree_hg``) loaded only where their message packages exist."""

    @model_validator(mode="after")
    def _consistent(self) -> HardwareConfig:
        names = [j.name for j in self.joints]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"joint names appear twice: {duplicates}")
        for field_name in ("default_positions", "command_joints"):
            unknown = sorted(set(getattr(self, field_name)) - set(names))
            if unknown:
                raise ValueError(f"{field_name} names joints not in 'joints': {unknown}")
        return self

    @property
    def joint_names(self) -> list[str]:
        return [j.name for j in self.joints]

    @property
    def control_period_s(self) -> float:
        return 1.0 / self.control_rate_hz

    def joint(self, name: str) -> JointConfig:
        return self.joints[self.joint_names.index(name)]


def load_hardware_config(path: str | Path) -> HardwareConfig:
    """Read and validate a hardware config YAML; errors name the file and every bad field."""
    path = Path(path)
    if not path.is_file():
        raise RobotAcError(f"hardware config '{path}' not found")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise RobotAcError(f"hardware config '{path}': not valid YAML ({exc})") from exc
    if not isinstance(data, dict):
        raise RobotAcError(f"hardware config '{path}': expected a mapping at the top level, got {type(data).__name__}")
    try:
        return HardwareConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top level)'}: {err['msg']}" for err in exc.errors()
        )
        raise RobotAcError(f"hardware config '{path}': {problems}") from exc


def check_compatibility(manifest: Manifest, config: HardwareConfig) -> list[str]:
    """Every way ``manifest`` and ``config`` disagree; empty when the policy may run on this robot."""
    problems = []
    interface = manifest.interface
    missing = [j.name for j in interface.joints if j.name not in config.joint_names]
    if missing:
        problems.append(f"joints in the policy but not in the hardware config: {missing}")
    if not math.isclose(interface.control_period_s, config.control_period_s, rel_tol=1e-6):
        problems.append(f"control period: policy {interface.control_period_s:.6f} s "
                        f"({1 / interface.control_period_s:.2f} Hz), hardware {config.control_period_s:.6f} s "
                        f"({config.control_rate_hz:.2f} Hz)")
    if config.command_joints:
        undriven = [n for n in interface.action.joint_names if n not in config.command_joints]
        if undriven:
            problems.append(f"policy action joints missing from command_joints: {undriven}")
    allowed = _ACTION_TO_INTERFACES[interface.action.type]
    if config.command_interface not in allowed:
        problems.append(f"policy actions are {interface.action.type}, which the hardware's command_interface "
                        f"'{config.command_interface}' cannot carry (use one of {sorted(allowed) or 'none yet'})")
    for term in interface.observations:
        if term.source == "imu" and not config.topics.imu:
            problems.append(f"observation '{term.name}' needs an IMU; topics.imu is not set")
        if term.source == "tactile" and term.quantity not in config.topics.tactile:
            problems.append(f"observation '{term.name}' needs tactile sensor '{term.quantity}'; topics.tactile has "
                            f"{sorted(config.topics.tactile) or 'none'}")
        if term.source == "command" and not config.topics.goal:
            problems.append(f"observation '{term.name}' needs a goal input; topics.goal is not set")
        if term.source == "task":
            problems.append(f"observation '{term.name}' is simulator-only (source 'task'): no robot provides it")
    for spec in interface.joints:
        if spec.name not in config.joint_names:
            continue
        limits = config.joint(spec.name).position_limits
        if limits and not limits[0] <= spec.default_position <= limits[1]:
            problems.append(f"joint '{spec.name}': policy default position {spec.default_position} is outside "
                            f"the hardware limits {list(limits)}")
    return problems
