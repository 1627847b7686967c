"""Unitree G1, 29 DoF (rev 1.0): joint names in Unitree's motor order, standing pose, PD gains, Isaac Lab config.

The model is ``sim/assets/g1/g1.usda``, made by ``scripts/make_g1_asset.py`` (see its README) from the G1 MJCF that
ships in the mjlab 1.6.0 wheel: collision primitives only (no visual meshes), 30 bodies, 33.3 kg. The pelvis is the
floating base and carries the IMU; a real G1 reports its joints in :data:`JOINT_NAMES` order, which is also the
simulator's articulation order (``tests/test_g1_task.py`` checks both against ``hardware_configs/unitree_g1_ros2_control.yaml``).

Actuation follows mjlab's ``asset_zoo/robots/unitree_g1/g1_constants.py``, the numbers mjlab's trained G1 velocity
policies use. Each joint is driven by one of four Unitree motors (5020, 7520-14, 7520-22, 4010); the ankles and the
waist roll/pitch are 4-bar linkages driven by two 5020s, counted as one joint with twice the motor's armature,
gains and torque. Per motor:

* armature = the rotor inertias reflected through the two-stage planetary gearbox (kg·m²);
* stiffness = armature · ω², damping = 2 ζ · armature · ω, with ω = 2π · 10 Hz and ζ = 2 (overdamped);
* action scale = 0.25 · effort limit / stiffness (a unit action asks for a quarter of the peak torque).

Differences from ``hardware_configs/unitree_g1_ros2_control.yaml``'s kp / kd (unitree_rl_gym's deploy gains for the legs,
conservative starting values for waist and arms): the sim is stiffer nowhere and damps the legs and wrists more.

=============================  ============  ================
joints                         sim kp / kd   hardware kp / kd
=============================  ============  ================
hip pitch, hip yaw             40.2 / 2.56   100 / 2
hip roll                       99.1 / 6.31   100 / 2
knee                           99.1 / 6.31   150 / 4
ankle pitch, ankle roll        28.5 / 1.81   40 / 2
waist yaw                      40.2 / 2.56   200 / 5
waist roll, waist pitch        28.5 / 1.81   200 / 5
shoulders, elbow               14.3 / 0.91   40 / 1
wrist roll                     14.3 / 0.91   20 / 0.5
wrist pitch, wrist yaw         16.8 / 1.07   20 / 0.5
=============================  ============  ================

The manifest states the sim's gains; a robot running a policy trained here should track its targets with them (or
the policy be fine-tuned to the robot's gains). Torque and speed limits are the same numbers in both.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import cache

from robot_ac.contract.manifest import JointSpec
from sim import ASSETS_DIR

G1_USD = ASSETS_DIR / "g1" / "g1.usda"
G1_MJCF = ASSETS_DIR / "g1" / "g1.xml"

ROOT_BODY = "pelvis"
"""The floating base: the IMU sits here."""
FOOT_BODIES = ["left_ankle_roll_link", "right_ankle_roll_link"]
FOOT_BODY_REGEX = "(left|right)_ankle_roll_link"
SOLE_HEIGHT = 0.035
"""Height of a foot body's origin with the sole flat on the ground, m: the MJCF's foot capsules lie 0.025 m
below it with radius 0.01."""
TOTAL_MASS = 33.341142
"""Sum of the MJCF's body masses, kg (Unitree states ~35 kg for the robot with batteries and hands)."""


@dataclass(frozen=True)
class Motor:
    """A Unitree joint motor with its gearbox, as mjlab models it."""

    name: str
    rotor_inertia: tuple[float, float, float]
    """Inertia of the rotor and of the two planetary stages, kg·m²."""
    gear_ratio: tuple[float, float, float]
    """1, then the ratios of the two stages."""
    velocity_limit: float
    """Peak joint speed, rad/s."""
    effort_limit: float
    """Peak joint torque, N·m."""

    @property
    def armature(self) -> float:
        """Rotor inertia reflected at the joint, kg·m² (mjlab's ``reflected_inertia_from_two_stage_planetary``)."""
        (i0, i1, i2), (_, g1, g2) = self.rotor_inertia, self.gear_ratio
        return i0 * (g1 * g2) ** 2 + i1 * g2 ** 2 + i2


MOTOR_5020 = Motor("5020", (0.139e-4, 0.017e-4, 0.169e-4), (1, 1 + 46 / 18, 1 + 56 / 16), 37.0, 25.0)
MOTOR_7520_14 = Motor("7520-14", (0.489e-4, 0.098e-4, 0.533e-4), (1, 4.5, 1 + 48 / 22), 32.0, 88.0)
MOTOR_7520_22 = Motor("7520-22", (0.489e-4, 0.109e-4, 0.738e-4), (1, 4.5, 5), 20.0, 139.0)
MOTOR_4010 = Motor("4010", (0.068e-4, 0.0, 0.0), (1, 5, 5), 22.0, 5.0)

NATURAL_FREQUENCY = 10 * 2.0 * 3.1415926535
"""PD natural frequency ω, rad/s (mjlab: 10 Hz, with its 10-digit π)."""
DAMPING_RATIO = 2.0
"""PD damping ratio ζ."""
ACTION_SCALE_FRACTION = 0.25
"""Fraction of the peak torque that a unit action asks for at zero velocity."""


@dataclass(frozen=True)
class _Joint:
    name: str
    """Unitree's joint name: in the simulator, the hardware config and the manifest."""
    motor: Motor
    motors: int = 1
    """Motors driving the joint: 2 for the ankles and waist roll/pitch (parallel linkages)."""


def _leg(side: str) -> list[_Joint]:
    return [_Joint(f"{side}_hip_pitch_joint", MOTOR_7520_14), _Joint(f"{side}_hip_roll_joint", MOTOR_7520_22),
            _Joint(f"{side}_hip_yaw_joint", MOTOR_7520_14), _Joint(f"{side}_knee_joint", MOTOR_7520_22),
            _Joint(f"{side}_ankle_pitch_joint", MOTOR_5020, 2), _Joint(f"{side}_ankle_roll_joint", MOTOR_5020, 2)]


def _arm(side: str) -> list[_Joint]:
    return [_Joint(f"{side}_shoulder_pitch_joint", MOTOR_5020), _Joint(f"{side}_shoulder_roll_joint", MOTOR_5020),
            _Joint(f"{side}_shoulder_yaw_joint", MOTOR_5020), _Joint(f"{side}_elbow_joint", MOTOR_5020),
            _Joint(f"{side}_wrist_roll_joint", MOTOR_5020), _Joint(f"{side}_wrist_pitch_joint", MOTOR_4010),
            _Joint(f"{side}_wrist_yaw_joint", MOTOR_4010)]


JOINTS = [*_leg("left"), *_leg("right"),
          _Joint("waist_yaw_joint", MOTOR_7520_14), _Joint("waist_roll_joint", MOTOR_5020, 2),
          _Joint("waist_pitch_joint", MOTOR_5020, 2),
          *_arm("left"), *_arm("right")]
"""The 29 joints in Unitree's motor order (= ``hardware_configs/unitree_g1_ros2_control.yaml`` = the articulation order)."""
JOINT_NAMES = [j.name for j in JOINTS]
LEG_JOINT_NAMES = [j.name for j in (*_leg("left"), *_leg("right"))]

DEFAULT_POSE = {name: 0.0 for name in JOINT_NAMES} | {
    "left_hip_pitch_joint": -0.312, "right_hip_pitch_joint": -0.312,
    "left_knee_joint": 0.669, "right_knee_joint": 0.669,
    "left_ankle_pitch_joint": -0.363, "right_ankle_pitch_joint": -0.363,
    "left_shoulder_pitch_joint": 0.2, "right_shoulder_pitch_joint": 0.2,
    "left_shoulder_roll_joint": 0.2, "right_shoulder_roll_joint": -0.2,
    "left_elbow_joint": 0.6, "right_elbow_joint": 0.6,
}
"""mjlab's ``KNEES_BENT_KEYFRAME`` (rad), the initial and default pose of its G1 velocity task: knees bent, arms
slightly forward and out, elbows bent."""


def mirrored_joint(name: str) -> tuple[str, float]:
    """The joint that mirrors ``name`` across the G1's sagittal plane, and the sign between their angles: left and
    right swap; roll and yaw joints (axes x and z in the MJCF, the same on both sides) turn the other way, pitch
    joints (axis y) the same way. :data:`DEFAULT_POSE` and the joint ranges are their own mirror images."""
    for side, other in (("left_", "right_"), ("right_", "left_")):
        if name.startswith(side):
            name_mirrored = other + name[len(side):]
            break
    else:
        name_mirrored = name
    return name_mirrored, -1.0 if ("_roll_" in name or "_yaw_" in name) else 1.0


STANDING_HEIGHT = 0.757
"""Pelvis (root body origin) height above flat ground with both soles flat in :data:`DEFAULT_POSE`, m."""


def armature(joint: _Joint) -> float:
    """Reflected rotor inertia at the joint, kg·m²."""
    return joint.motors * joint.motor.armature


def stiffness(joint: _Joint) -> float:
    """PD stiffness, N·m/rad."""
    return armature(joint) * NATURAL_FREQUENCY ** 2


def damping(joint: _Joint) -> float:
    """PD damping, N·m·s/rad."""
    return 2.0 * DAMPING_RATIO * armature(joint) * NATURAL_FREQUENCY


def effort_limit(joint: _Joint) -> float:
    """Peak torque, N·m."""
    return joint.motors * joint.motor.effort_limit


def action_scale(joint: _Joint) -> float:
    """rad of joint-target offset from the default pose per unit of action (mjlab's ``G1_ACTION_SCALE``)."""
    return ACTION_SCALE_FRACTION * effort_limit(joint) / stiffness(joint)


ACTION_SCALE = {j.name: action_scale(j) for j in JOINTS}


@cache
def collision_bodies() -> list[str]:
    """The bodies of the asset's MJCF that carry a collision geom (18 of 30): the only ones that can touch."""
    return [body.get("name") for body in ET.parse(G1_MJCF).getroot().iter("body") if body.find("geom") is not None]


@cache
def position_limits() -> dict[str, tuple[float, float]]:
    """Joint ranges of the asset's MJCF, rad (Unitree's, as the hardware config states them to 5-6 digits)."""
    root = ET.parse(G1_MJCF).getroot()
    ranges = {j.get("name"): tuple(float(v) for v in j.get("range").split()) for j in root.iter("joint")
              if j.get("range")}
    if missing := set(JOINT_NAMES) - set(ranges):
        raise RuntimeError(f"{G1_MJCF}: no range for {sorted(missing)}; regenerate it with scripts/make_g1_asset.py")
    return {name: ranges[name] for name in JOINT_NAMES}


def _hold_gains(name: str) -> tuple[float, float]:
    if name.startswith("waist"):
        return 200.0, 5.0
    return (20.0, 0.5) if "wrist" in name else (40.0, 1.0)


HOLD_GAINS = {name: _hold_gains(name) for name in JOINT_NAMES if name not in LEG_JOINT_NAMES}
"""(kp, kd) that hold waist and arms still when no policy drives them: unitree_rl_gym's deploy gains, the ones
``hardware_configs/unitree_g1_ros2_control.yaml`` sends. mjlab's gains are for joints the policy moves: at its waist pitch kp of
28.5 N·m/rad the torso slumps 0.27 rad forward under its own weight and the G1 falls on its face in 1.3 s."""


def _gains(joint: _Joint, held: frozenset[str]) -> tuple[float, float]:
    return HOLD_GAINS[joint.name] if joint.name in held else (stiffness(joint), damping(joint))


def joint_specs(held: frozenset[str] = frozenset()) -> list[JointSpec]:
    """All 29 joints as the manifest states them, in Unitree's motor order; ``held`` joints with :data:`HOLD_GAINS`."""
    limits = position_limits()
    gains = {j.name: _gains(j, held) for j in JOINTS}
    return [JointSpec(name=j.name, default_position=DEFAULT_POSE[j.name], position_limits=limits[j.name],
                      velocity_limit=j.motor.velocity_limit, effort_limit=effort_limit(j),
                      stiffness=gains[j.name][0], damping=gains[j.name][1]) for j in JOINTS]


def mujoco_spec(*, ground: bool = True, fixed_base: bool = False):
    """The asset's MJCF as a ``mujoco.MjSpec`` with each joint's reflected armature: on a ground plane, or with the
    pelvis welded to the world (``fixed_base``: the G1 hung in its harness, as for actuator identification). No
    actuators: callers add the drives they model."""
    import mujoco

    spec = mujoco.MjSpec.from_file(str(G1_MJCF))
    if ground:
        spec.worldbody.add_geom(type=mujoco.mjtGeom.mjGEOM_PLANE, size=[0, 0, 1])
    if fixed_base:
        spec.delete(spec.joint("floating_base_joint"))
        spec.body(ROOT_BODY).pos = [0.0, 0.0, STANDING_HEIGHT]
    for joint in JOINTS:
        spec.joint(joint.name).armature = armature(joint)
    return spec


def g1_cfg(prim_path: str = "{ENV_REGEX_NS}/Robot", *, height: float = STANDING_HEIGHT + 0.02,
           held: frozenset[str] = frozenset()):
    """Isaac Lab ArticulationCfg for the local G1: floating pelvis ``height`` m up, implicit PD drives on all joints.

    Gains, armature and torque limits are mjlab's (module docstring), except for the ``held`` joints (no policy
    drives them), which get :data:`HOLD_GAINS`; the motor speed limits are stated for rewards and the manifest but
    not enforced by the solver, as in mjlab.
    """
    import isaaclab.sim as sim_utils
    from isaaclab.actuators import ImplicitActuatorCfg
    from isaaclab.assets import ArticulationCfg
    from isaaclab_newton.sim.schemas import NewtonArticulationCfg

    gains = {j.name: _gains(j, held) for j in JOINTS}

    return ArticulationCfg(
        prim_path=prim_path,
        spawn=sim_utils.UsdFileCfg(
            usd_path=str(G1_USD),
            # mjlab's G1 collides with itself (FULL_COLLISION); the MJCF's <contact> exclusions (pelvis/hip roll,
            # elbow/wrist pitch) are the USD's filtered pairs.
            articulation_props=[NewtonArticulationCfg(self_collision_enabled=True)],
        ),
        init_state=ArticulationCfg.InitialStateCfg(pos=(0.0, 0.0, height), joint_pos=dict(DEFAULT_POSE)),
        actuators={
            "joints": ImplicitActuatorCfg(
                joint_names_expr=[".*"],
                stiffness={name: kp for name, (kp, _) in gains.items()},
                damping={name: kd for name, (_, kd) in gains.items()},
                armature={j.name: armature(j) for j in JOINTS},
                joint_effort_limit={j.name: effort_limit(j) for j in JOINTS},
                actuator_velocity_limit={j.name: j.motor.velocity_limit for j in JOINTS},
            ),
        },
        soft_joint_pos_limit_factor=0.9,
    )

