"""Franka Emika Panda (7-DoF arm + parallel gripper): joint data, drive gains and the Isaac Lab config.

Joint names follow franka_ros / franka_description (what the real robot's ``/joint_states`` publishes). Limits are
Franka's published control parameters; the model is ``sim/assets/franka/panda.usda`` (see its README for sources).

Gravity is compensated on every link (``mjc:gravcomp = 1`` in the asset), as Franka's own controllers do on the
real robot, so a joint-position PD target is held without the steady-state sag of an uncompensated PD loop.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from robot_ac.contract.manifest import JointSpec
from sim import ASSETS_DIR

PANDA_USD = ASSETS_DIR / "franka" / "panda.usda"


@dataclass(frozen=True)
class _Joint:
    name: str
    lower: float
    upper: float
    velocity: float
    """rad/s or m/s"""
    effort: float
    """N·m or N"""


ARM_JOINTS = [
    _Joint("panda_joint1", -2.8973, 2.8973, 2.175, 87.0),
    _Joint("panda_joint2", -1.7628, 1.7628, 2.175, 87.0),
    _Joint("panda_joint3", -2.8973, 2.8973, 2.175, 87.0),
    _Joint("panda_joint4", -3.0718, -0.0698, 2.175, 87.0),
    _Joint("panda_joint5", -2.8973, 2.8973, 2.61, 12.0),
    _Joint("panda_joint6", -0.0175, 3.7525, 2.61, 12.0),
    _Joint("panda_joint7", -2.8973, 2.8973, 2.61, 12.0),
]
FINGER_JOINTS = [
    _Joint("panda_finger_joint1", 0.0, 0.04, 0.2, 200.0),
    _Joint("panda_finger_joint2", 0.0, 0.04, 0.2, 200.0),
]
ARM_JOINT_NAMES = [j.name for j in ARM_JOINTS]
JOINT_NAMES = ARM_JOINT_NAMES + [j.name for j in FINGER_JOINTS]

READY_POSE = dict(zip(ARM_JOINT_NAMES, [0.0, -math.pi / 4, 0.0, -3 * math.pi / 4, 0.0, math.pi / 2, math.pi / 4]))
"""Franka's 'ready' configuration (hand above the table, pointing down), fingers open."""
READY_POSE.update({j.name: 0.04 for j in FINGER_JOINTS})

ARM_STIFFNESS, ARM_DAMPING = 400.0, 80.0
"""Joint PD gains of the arm in simulation (N·m/rad, N·m·s/rad): Isaac Lab's high-PD Franka for task-space work."""
FINGER_STIFFNESS, FINGER_DAMPING = 2000.0, 100.0
"""Finger PD gains (N/m, N·s/m), as Isaac Lab's Franka config."""

HAND_BODY = "panda_hand"
FINGER_BODIES = ("panda_leftfinger", "panda_rightfinger")
TCP_OFFSET = (0.0, 0.0, 0.1034)
"""Tool centre point (between the fingertips) in the panda_hand frame, m."""


def joint_specs(default_pose: dict[str, float] | None = None, arm_torque_control: bool = False) -> list[JointSpec]:
    """All nine joints as the manifest states them, in articulation order (arguments as :func:`franka_panda_cfg`)."""
    pose = default_pose or READY_POSE

    def spec(joint: _Joint, stiffness: float, damping: float) -> JointSpec:
        return JointSpec(name=joint.name, default_position=pose[joint.name],
                         position_limits=(joint.lower, joint.upper), velocity_limit=joint.velocity,
                         effort_limit=joint.effort, stiffness=stiffness, damping=damping)

    arm_gains = (0.0, 0.0) if arm_torque_control else (ARM_STIFFNESS, ARM_DAMPING)
    return [spec(j, *arm_gains) for j in ARM_JOINTS] + \
        [spec(j, FINGER_STIFFNESS, FINGER_DAMPING) for j in FINGER_JOINTS]


def franka_panda_cfg(prim_path: str = "{ENV_REGEX_NS}/Robot", *, joint_pos: dict[str, float] | None = None,
                     arm_torque_control: bool = False):
    """Isaac Lab ArticulationCfg for the local Panda model, fixed base, PD position drives on the fingers.

    The arm has PD position drives too, unless ``arm_torque_control``: then its joints take efforts only (for a
    task-space impedance controller). ``joint_pos`` replaces the ready pose as the default configuration.
    """
    import isaaclab.sim as sim_utils
    from isaaclab.actuators import ImplicitActuatorCfg
    from isaaclab.assets import ArticulationCfg
    from isaaclab_newton.sim.schemas import NewtonArticulationCfg

    return ArticulationCfg(
        prim_path=prim_path,
        spawn=sim_utils.UsdFileCfg(
            usd_path=str(PANDA_USD),
            articulation_props=[NewtonArticulationCfg(self_collision_enabled=False)],
        ),
        init_state=ArticulationCfg.InitialStateCfg(joint_pos=dict(joint_pos or READY_POSE)),
        actuators={
            "panda_arm": ImplicitActuatorCfg(
                joint_names_expr=["panda_joint[1-7]"], stiffness=0.0 if arm_torque_control else ARM_STIFFNESS,
                damping=0.0 if arm_torque_control else ARM_DAMPING,
                joint_effort_limit={j.name: j.effort for j in ARM_JOINTS},
                joint_velocity_limit={j.name: j.velocity for j in ARM_JOINTS},
            ),
            "panda_hand": ImplicitActuatorCfg(
                joint_names_expr=["panda_finger_joint.*"], stiffness=FINGER_STIFFNESS, damping=FINGER_DAMPING,
                joint_effort_limit=FINGER_JOINTS[0].effort, joint_velocity_limit=FINGER_JOINTS[0].velocity,
            ),
        },
        soft_joint_pos_limit_factor=1.0,
    )


def arm_configuration_for_tcp(position: tuple[float, float, float], *, tolerance: float = 1e-5) -> dict[str, float]:
    """Arm joint angles that put the TCP at ``position`` (robot base frame, m) with the ready pose's orientation
    (gripper pointing down), by damped least squares on the MJCF model; fingers open.

    Raises if the position is out of reach.
    """
    import mujoco
    import numpy as np

    from robot_ac.errors import RobotAcError

    model = mujoco.MjModel.from_xml_path(str(ASSETS_DIR / "franka" / "panda.xml"))
    data = mujoco.MjData(model)
    arm = [model.joint(name).qposadr[0] for name in ARM_JOINT_NAMES]
    data.qpos[arm] = [READY_POSE[name] for name in ARM_JOINT_NAMES]
    hand = model.body(HAND_BODY).id
    mujoco.mj_kinematics(model, data)
    target_rotation = data.xmat[hand].reshape(3, 3).copy()
    target = np.asarray(position, dtype=float)
    jac_p, jac_r = np.zeros((3, model.nv)), np.zeros((3, model.nv))
    for _ in range(200):
        mujoco.mj_kinematics(model, data)
        mujoco.mj_comPos(model, data)
        rotation = data.xmat[hand].reshape(3, 3)
        tcp = data.xpos[hand] + rotation @ np.asarray(TCP_OFFSET)
        rotation_error = 0.5 * sum(np.cross(rotation[:, i], target_rotation[:, i]) for i in range(3))
        error = np.concatenate([target - tcp, rotation_error])
        if np.linalg.norm(error) < tolerance:
            break
        mujoco.mj_jac(model, data, jac_p, jac_r, tcp, hand)
        jacobian = np.vstack([jac_p, jac_r])[:, arm]
        step = jacobian.T @ np.linalg.solve(jacobian @ jacobian.T + 1e-4 * np.eye(6), error)
        data.qpos[arm] += step
    else:
        raise RobotAcError(f"Franka TCP position {tuple(position)} is out of reach (IK residual "
                           f"{np.linalg.norm(error):.4f})")
    configuration = {name: float(data.qpos[a]) for name, a in zip(ARM_JOINT_NAMES, arm)}
    for joint in ARM_JOINTS:
        if not joint.lower <= configuration[joint.name] <= joint.upper:
            raise RobotAcError(f"Franka TCP position {tuple(position)} needs {joint.name} = "
                               f"{configuration[joint.name]:.3f} rad, outside [{joint.lower}, {joint.upper}]")
    return configuration
