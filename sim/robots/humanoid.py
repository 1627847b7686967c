"""MuJoCo humanoid (Newton's ``nv_humanoid.xml``: 21 hinges, floating torso): joint data, gains, Isaac Lab config.

The model is ``sim/assets/humanoid/humanoid.usda``, made by ``scripts/make_humanoid_asset.py`` (see its README): the
classic MuJoCo humanoid as NVIDIA ships it with Newton, floor, sensors and motors stripped. Total mass 40.8 kg;
standing on straight legs the torso (root body) is 1.285 m above the soles.

Actuation: **joint-position targets through a PD drive, clamped to the MJCF motor torque.** The MJCF drives each
joint with a torque motor, ``torque = gear * ctrl``, ``ctrl`` in [-1, 1]. Here ``gear`` stays as the joint's effort
limit and an implicit PD (solved inside MuJoCo-Warp, stable at the 150 Hz physics rate) tracks
``target = default + ACTION_SCALE * action``. Why not direct effort, as the gym/Isaac Lab humanoid does:

* a real humanoid's joint controllers take position targets with PD gains (ros2_control forward position
  controller), and the manifest's ``joint_position`` action with its stiffness/damping is what deployment runs;
* a zero action means "hold the default pose", so exploration perturbs a standing robot instead of commanding
  random torques to a collapsing one, which speeds up learning a gait.

Gains come from the gears with one rule each, so sim, manifest and any hardware config share the same numbers:
``stiffness = gear / SATURATION_ERROR`` (a target error of 0.5 rad asks for the full motor torque) and
``damping = DAMPING_TIME * stiffness``. The joints keep the MJCF's own armature, passive damping and passive
springs (``mjc:stiffness``, towards the zero pose), as the original model has them.
"""

from __future__ import annotations

from dataclasses import dataclass

from robot_ac.contract.manifest import JointSpec
from sim import ASSETS_DIR

HUMANOID_USD = ASSETS_DIR / "humanoid" / "humanoid.usda"

ROOT_BODY = "torso"
"""The floating base: the IMU sits here."""
BODY_NAMES = ["torso", "left_upper_arm", "left_lower_arm", "lower_waist", "pelvis", "left_thigh", "left_shin",
              "left_foot", "right_thigh", "right_shin", "right_foot", "right_upper_arm", "right_lower_arm"]
"""The 13 rigid bodies, in articulation order."""
FOOT_BODIES = ["right_foot", "left_foot"]

STANDING_HEIGHT = 1.285
"""Torso (root body origin) height above flat ground with the feet flat and all joints at zero, m."""
SATURATION_ERROR = 0.5
"""Joint position error (rad) at which the PD asks for the full motor torque (``gear``)."""
DAMPING_TIME = 0.1
"""PD damping / stiffness ratio, s."""
ACTION_SCALE = 0.5
"""rad of joint-target offset from the default pose per unit of action."""


@dataclass(frozen=True)
class _Joint:
    name: str
    """Joint (DOF) name in the simulator and the manifest."""
    mjcf: str
    """The MJCF hinge this DOF is (``displayName`` of its USD joint prim)."""
    lower_deg: float
    upper_deg: float
    gear: float
    """Torque of a unit MJCF motor command, N·m: the effort limit here."""


JOINTS = [
    _Joint("left_shoulder:0", "left_shoulder1", -60, 60, 67.5),
    _Joint("left_shoulder:1", "left_shoulder2", -60, 60, 67.5),
    _Joint("left_elbow", "left_elbow", -90, 50, 45.0),
    _Joint("abdomen:0", "abdomen_y", -75, 30, 67.5),
    _Joint("abdomen:1", "abdomen_z", -45, 45, 67.5),
    _Joint("abdomen_x", "abdomen_x", -35, 35, 67.5),
    _Joint("left_hip:0", "left_hip_x", -25, 5, 45.0),
    _Joint("left_hip:1", "left_hip_y", -80, 20, 135.0),
    _Joint("left_hip:2", "left_hip_z", -60, 35, 45.0),
    _Joint("left_knee", "left_knee", -160, 2, 90.0),
    _Joint("left_ankle:0", "left_ankle_x", -50, 50, 22.5),
    _Joint("left_ankle:1", "left_ankle_y", -50, 50, 22.5),
    _Joint("right_hip:0", "right_hip_x", -25, 5, 45.0),
    _Joint("right_hip:1", "right_hip_y", -80, 20, 135.0),
    _Joint("right_hip:2", "right_hip_z", -60, 35, 45.0),
    _Joint("right_knee", "right_knee", -160, 2, 90.0),
    _Joint("right_ankle:0", "right_ankle_x", -50, 50, 22.5),
    _Joint("right_ankle:1", "right_ankle_y", -50, 50, 22.5),
    _Joint("right_shoulder:0", "right_shoulder1", -60, 60, 67.5),
    _Joint("right_shoulder:1", "right_shoulder2", -60, 60, 67.5),
    _Joint("right_elbow", "right_elbow", -90, 50, 45.0),
]
"""The 21 hinge DOFs in articulation order, with the ranges (deg) and motor gears of ``nv_humanoid.xml``.

Newton merges the hinges between two bodies into one multi-DOF joint and Isaac Lab names its DOFs ``<joint>:<i>``;
the asset names each such joint after its group (``right_hip``), so ``right_hip:1`` is the MJCF's ``right_hip_y``.
"""
JOINT_NAMES = [j.name for j in JOINTS]

DEFAULT_POSE = {name: 0.0 for name in JOINT_NAMES}
"""The MJCF reference pose: upright on straight legs, arms angled down and forward (rad)."""


def stiffness(joint: _Joint) -> float:
    """PD stiffness of a joint, N·m/rad."""
    return joint.gear / SATURATION_ERROR


def damping(joint: _Joint) -> float:
    """PD damping of a joint, N·m·s/rad."""
    return DAMPING_TIME * stiffness(joint)


def joint_specs() -> list[JointSpec]:
    """All 21 joints as the manifest states them, in articulation order."""
    import math

    return [JointSpec(name=j.name, default_position=DEFAULT_POSE[j.name],
                      position_limits=(math.radians(j.lower_deg), math.radians(j.upper_deg)), velocity_limit=None,
                      effort_limit=j.gear, stiffness=stiffness(j), damping=damping(j)) for j in JOINTS]


def humanoid_cfg(prim_path: str = "{ENV_REGEX_NS}/Robot", *, height: float = STANDING_HEIGHT + 0.02):
    """Isaac Lab ArticulationCfg for the local humanoid: floating base ``height`` m up, PD drives on all joints."""
    import isaaclab.sim as sim_utils
    from isaaclab.actuators import ImplicitActuatorCfg
    from isaaclab.assets import ArticulationCfg
    from isaaclab_newton.sim.schemas import NewtonArticulationCfg

    return ArticulationCfg(
        prim_path=prim_path,
        spawn=sim_utils.UsdFileCfg(
            usd_path=str(HUMANOID_USD),
            # MuJoCo lets non-adjacent bodies collide (legs, arms against the torso); so does the asset.
            articulation_props=[NewtonArticulationCfg(self_collision_enabled=True)],
        ),
        init_state=ArticulationCfg.InitialStateCfg(pos=(0.0, 0.0, height), joint_pos=dict(DEFAULT_POSE)),
        actuators={
            "body": ImplicitActuatorCfg(
                joint_names_expr=[".*"],
                stiffness={j.name: stiffness(j) for j in JOINTS},
                damping={j.name: damping(j) for j in JOINTS},
                joint_effort_limit={j.name: j.gear for j in JOINTS},
            ),
        },
        soft_joint_pos_limit_factor=1.0,
    )
