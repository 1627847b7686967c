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
from robot_ac.contract.manifest import Manifest, PolicyInterface

CommandInterface = Literal["forward_position", "forward_effort", "joint_trajectory", "cartesian_pose",
                           "unitree_lowcmd"]
"""How commands reach the robot: a ros2_control forward controller (std_msgs/Float64MultiArray of positions or
efforts), a JointTrajectory controller, a Cartesian impedance controller (geometry_msgs/PoseStamped), or Unitree's
low-level motor commands (unitree_hg/LowCmd: a PD target per motor, with its CRC)."""

_ACTION_TO_INTERFACES = {
    "joint_position": {"forward_position", "joint_trajectory", "unitree_lowcmd"},
    "joint_effort": {"forward_effort"},
    "joint_velocity": set(),
    "ee_pose_delta": {"cartesian_pose"},
}


UNITREE_MOTORS = 35
"""Motor slots of a unitree_hg LowCmd; a config's joints are its motors 0, 1, ... in order."""


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


Reliability = Literal["reliable", "best_effort"]

BEST_EFFORT_ONLY_PUBLISHERS = ("franka_robot_state_broadcaster/",)
"""Publishers whose topics are best-effort only (franka_ros2's state broadcaster publishes ``current_pose``,
``current_twist`` and the external wrench with sensor-data QoS)."""


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
    ee_pose: str | None = None
    """geometry_msgs/PoseStamped in: the measured pose of the Cartesian controller's frame in the robot base frame
    (e.g. franka_robot_state_broadcaster's ``current_pose``); needed by ``cartesian_pose`` and ``end_effector``."""
    gripper: str | None = None
    """sensor_msgs/JointState in: the gripper's finger joints (e.g. ``/franka_gripper/joint_states``), read for
    ``cartesian.held_width_m``."""
    wrench: str | None = None
    """geometry_msgs/WrenchStamped in: the external wrench at the end effector, base frame (a force watchdog)."""
    robot_state: str | None = None
    """franka_msgs/FrankaRobotState in (``/franka_robot_state_broadcaster/robot_state``): while the policy drives,
    a ``robot_mode`` other than move (a reflex, the user stop, guiding) is a fault. Needs franka_msgs built in the
    ROS workspace."""
    low_state: str | None = None
    """unitree_hg/LowState in (``unitree_lowcmd``): the motors' positions and velocities by motor index, the IMU
    and the remote; it replaces ``joint_states`` and ``imu``."""
    diagnostics: str = "/diagnostics"
    reliability: dict[str, Reliability] = Field(default_factory=dict)
    """Input topic field -> the QoS reliability to subscribe with (default ``best_effort``, which also hears
    reliable publishers). A ``reliable`` subscriber hears nothing from a best-effort publisher, so it is refused on
    topics known to be published best-effort only."""

    @model_validator(mode="after")
    def _reliability_fits_publishers(self) -> TopicsConfig:
        inputs = {"joint_states", "imu", "goal", "ee_pose", "wrench", "gripper", "robot_state"}
        for field_name, reliability in self.reliability.items():
            if field_name not in inputs:
                raise ValueError(f"reliability names '{field_name}', expected one of the input topics "
                                 f"{sorted(inputs)}")
            topic = getattr(self, field_name) or ""
            publisher = next((p for p in BEST_EFFORT_ONLY_PUBLISHERS if p in topic), None)
            if reliability == "reliable" and publisher:
                raise ValueError(f"topic {field_name} '{topic}' is published best-effort only (by {publisher}): a "
                                 "reliable subscription would receive nothing; use best_effort")
        return self


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
    hold_after_ramp: bool = False
    """At the end of the ramp, hold the default pose until the operator's ``proceed`` (Unitree's sequence: the A
    button) instead of handing over to the policy at once."""
    on_fault: Literal["hold", "damp"] = "hold"
    """What a fault in POLICY leads to: HOLD freezes the last safe command, DAMP removes stiffness."""


class UnitreeConfig(_Strict):
    """``unitree_lowcmd``: how the robot-ac states map onto Unitree's own start sequence (unitree_rl_gym's
    deploy_real): PASSIVE sends zero torque (kp = kd = 0); start ramps to the default pose at the joints' gains;
    there the robot holds until the operator lets the policy go; faults and e-stop send damping."""

    damping_kd: float = Field(default=8.0, ge=0)
    """kd of every motor in DAMP and E-STOP (kp = 0, q = dq = tau = 0), as Unitree's damping command."""
    mode_pr: Literal[0, 1] = 0
    """0: PR (serial pitch / roll ankles), 1: AB (parallel), as the policy was trained."""
    remote: bool = True
    """Take the operator's buttons from ``LowState.wireless_remote``: start ramps, A lets the policy go, select
    is the e-stop (Unitree's remote, as the operator's physical channel)."""


class SecurityConfig(_Strict):
    """Who may join the robot's ROS graph. ``robot-ac keystore create`` makes the enclaves; see the README."""

    dds: Literal["off", "required"] = "off"
    """``required``: the policy node configures only with SROS2 in force (``ROS_SECURITY_ENABLE=true``,
    ``ROS_SECURITY_STRATEGY=Enforce``, its enclave's six files in ``ROS_SECURITY_KEYSTORE``), and says what is
    missing. Needs an rmw built with DDS security (PyPI's Fast DDS is not; Debian's Cyclone DDS is)."""
    enclave: str = Field(default="/robot_ac/policy_node", pattern=r"^(/[A-Za-z0-9_]+)+$")
    """The policy node's enclave (``--enclave``), as the keystore names it."""
    discovery_range: Literal["subnet", "localhost", "off", "system_default"] | None = None
    """``ROS_AUTOMATIC_DISCOVERY_RANGE`` for the node: ``localhost`` keeps it to this machine, ``off`` to
    ``static_peers`` alone. None leaves the environment's."""
    static_peers: list[str] = Field(default_factory=list)
    """``ROS_STATIC_PEERS``: the hosts (names or addresses) discovery reaches beyond the range, e.g. the robot."""
    goal_publishers: int = Field(default=1, ge=0)
    """Publishers ``topics.goal`` may have when the operator starts (theirs); more, or any other publisher on the
    command topic than the node's own, and start is refused: someone else is talking to the robot."""


class DdsConfig(_Strict):
    """How the node's DDS (PyPI's Fast DDS) must be set for this robot's own DDS to hear it."""

    type_propagation: bool = True
    """False for a robot on Cyclone DDS (the G1's 0.10.2): Cyclone rejects Fast DDS's XTypes type objects, so the
    two match only with Fast DDS's type propagation off (``fastdds.type_propagation=disabled``)."""
    interfaces: list[str] = Field(default_factory=list)
    """Network interfaces Fast DDS may use (its UDPv4 allow-list), e.g. the robot's own network card; empty: all."""


Vector3 = tuple[float, float, float]


class CartesianConfig(_Strict):
    """A Cartesian impedance controller takes pose targets: where the measured frame's TCP is, and the limits every
    target passes, in this order: ramp-in, per-step clamp, velocity limit, tracking-error limit, workspace box, tilt
    cone."""

    base_frame: str = Field(min_length=1)
    """``header.frame_id`` of the published targets: the robot base the measured pose is given in."""
    tcp_offset: Vector3 = (0.0, 0.0, 0.0)
    """The policy's TCP in the measured (``topics.ee_pose``) frame, m; targets go out in the measured frame."""
    ramp_in_s: float = Field(default=2.0, gt=0)
    """After start, the policy's steps grow linearly from zero to full over this time."""
    max_step_m: float = Field(gt=0)
    """Largest target position distance from the measured TCP position (the sim's action clip x scale)."""
    max_step_rad: float = Field(gt=0)
    """Largest target rotation from the measured TCP orientation."""
    max_linear_velocity_m_s: float = Field(gt=0)
    """Largest change of the target position per second."""
    max_angular_velocity_rad_s: float = Field(gt=0)
    max_tracking_error_m: float = Field(gt=0)
    """Target minus measured position, at most (IndustReal clips the tracking error too)."""
    max_tracking_error_rad: float = Field(gt=0)
    workspace_min: Vector3
    """Corner of the box (base frame, m) the TCP target stays in: around the fixture."""
    workspace_max: Vector3
    insertion_axis: Vector3 = (0.0, 0.0, -1.0)
    """Base-frame direction the tool's z axis points along when aligned for insertion."""
    max_tilt_rad: float = Field(gt=0, le=math.pi / 2)
    """Largest angle of the target tool z axis from ``insertion_axis``."""
    pose_timeout_periods: float = Field(default=2.0, gt=0)
    """A measured pose older than this many control periods is stale: a fault."""
    max_external_force_n: float = Field(default=30.0, gt=0)
    """External force (``topics.wrench``) above this is a fault."""
    orientation_reference: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 1.0)
    """A quaternion (x, y, z, w) near the task's orientations: of ``q`` and ``-q`` (the same rotation) the policy
    sees the one nearer this, as in the sim (the peg task's TCP points down: (1, 0, 0, 0))."""
    twist_point: Vector3 = (0.0, 0.0, 0.0)
    """The point whose linear velocity the policy observes, in the TCP frame, m (the sim's ``tcp_velocity`` is
    the hand link's, 0.1034 m behind the Franka TCP)."""
    twist_filter_s: float = Field(default=0.01, ge=0)
    """Time constant of the low-pass filter on the pose differences that give the TCP twist."""
    gripper_joints: list[str] = Field(default_factory=list)
    """Finger joints (on ``topics.gripper``) whose positions sum to the gripper width; start is refused unless it
    holds the part."""
    held_width_m: float | None = Field(default=None, gt=0)
    """Gripper width when it holds the part (e.g. the peg's side minus the pads' squeeze)."""
    held_width_tolerance_m: float = Field(default=0.003, gt=0)

    @model_validator(mode="after")
    def _consistent(self) -> CartesianConfig:
        if not all(lo < hi for lo, hi in zip(self.workspace_min, self.workspace_max)):
            raise ValueError(f"workspace_min {list(self.workspace_min)} must be below workspace_max "
                             f"{list(self.workspace_max)} on every axis")
        if math.isclose(sum(a * a for a in self.insertion_axis), 0.0):
            raise ValueError("insertion_axis must not be zero")
        if bool(self.gripper_joints) != (self.held_width_m is not None):
            raise ValueError("gripper_joints and held_width_m go together (both set, or neither)")
        return self


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
    cartesian: CartesianConfig | None = None
    """Required with ``command_interface: cartesian_pose``."""
    simulated: bool = False
    """True for a robot that exists only in a simulator: only such a config may start the policy on its own
    (``autostart``); a real robot waits for the operator's start."""
    security: SecurityConfig = Field(default_factory=SecurityConfig)
    unitree: UnitreeConfig | None = None
    """Required with ``command_interface: unitree_lowcmd``."""
    dds: DdsConfig = Field(default_factory=DdsConfig)

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
        if (self.command_interface == "cartesian_pose") != (self.cartesian is not None):
            raise ValueError("command_interface cartesian_pose needs a 'cartesian' section, and only it has one")
        if (self.command_interface == "unitree_lowcmd") != (self.unitree is not None):
            raise ValueError("command_interface unitree_lowcmd needs a 'unitree' section, and only it has one")
        if self.unitree is not None:
            if not self.topics.low_state:
                raise ValueError("command_interface unitree_lowcmd needs topics.low_state (unitree_hg/LowState)")
            if len(self.joints) > UNITREE_MOTORS:
                raise ValueError(f"unitree_lowcmd addresses {UNITREE_MOTORS} motors; 'joints' lists {len(self.joints)}")
        if self.cartesian is not None:
            if not self.topics.ee_pose:
                raise ValueError("command_interface cartesian_pose needs topics.ee_pose (the measured pose)")
            if self.cartesian.gripper_joints and not self.topics.gripper:
                raise ValueError("cartesian.gripper_joints needs topics.gripper (the gripper's JointState)")
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
        if term.source == "imu" and not (config.topics.imu or config.topics.low_state):
            problems.append(f"observation '{term.name}' needs an IMU; topics.imu (or a robot's topics.low_state) "
                            "is not set")
        if term.source == "tactile" and term.quantity not in config.topics.tactile:
            problems.append(f"observation '{term.name}' needs tactile sensor '{term.quantity}'; topics.tactile has "
                            f"{sorted(config.topics.tactile) or 'none'}")
        if term.source == "command" and not config.topics.goal:
            problems.append(f"observation '{term.name}' needs a goal input; topics.goal is not set")
        if term.source == "end_effector" and not config.topics.ee_pose:
            problems.append(f"observation '{term.name}' needs the end-effector pose; topics.ee_pose is not set")
        if term.source == "task":
            problems.append(f"observation '{term.name}' is simulator-only (source 'task'): no robot provides it")
    if interface.action.type == "ee_pose_delta" and config.cartesian is not None:
        problems += _cartesian_step_problems(interface.action, config.cartesian)
    for spec in interface.joints:
        if spec.name not in config.joint_names:
            continue
        limits = config.joint(spec.name).position_limits
        if limits and not limits[0] <= spec.default_position <= limits[1]:
            problems.append(f"joint '{spec.name}': policy default position {spec.default_position} is outside "
                            f"the hardware limits {list(limits)}")
    if config.command_interface == "unitree_lowcmd":
        problems += _gain_ceiling_problems(interface, config)
    return problems


def _gain_ceiling_problems(interface: PolicyInterface, config: HardwareConfig) -> list[str]:
    """LowCmd carries the policy's own PD gains in POLICY (the manifest's stiffness / damping); the config's kp / kd
    (the gains it ramps and holds at) are their ceiling."""
    problems = []
    for spec in interface.joints:
        if spec.name not in config.joint_names:
            continue
        joint = config.joint(spec.name)
        for what, policy, key, ceiling in (("stiffness", spec.stiffness, "kp", joint.kp),
                                           ("damping", spec.damping, "kd", joint.kd)):
            if policy > ceiling and not math.isclose(policy, ceiling, rel_tol=1e-9, abs_tol=1e-12):
                problems.append(f"joint '{spec.name}': policy {what} {policy:.6g} is above the hardware config's "
                                f"{key} {ceiling:.6g}, the ceiling of the gains LowCmd sends")
    return problems


def _cartesian_step_problems(action, cartesian: CartesianConfig) -> list[str]:
    """The robot's per-step clamp (on the step's length) may be tighter than the sim's per-axis clip, never looser."""
    problems = []
    clip = action.clip if action.clip is not None else math.inf
    for limit, what, unit, indices in (("max_step_m", "position", "m", range(3)),
                                       ("max_step_rad", "rotation", "rad", range(3, 6))):
        sim_step = max(abs(action.scale[i]) * clip for i in indices)
        if getattr(cartesian, limit) > sim_step + 1e-12:
            problems.append(f"cartesian.{limit} {getattr(cartesian, limit)} {unit} is above the largest {what} step "
                            f"the policy takes per axis in simulation ({sim_step:.4g} {unit})")
    return problems
