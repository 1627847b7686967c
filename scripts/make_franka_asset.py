#!/usr/bin/env python3
"""Generate the Franka Emika Panda asset (MJCF + USD) used by the Newton simulation.

Isaac Lab's own Franka asset lives on a Nucleus server that our kit-less, offline
setup cannot reach, and the MuJoCo Menagerie model relies on meshes we do not
need. So the robot is rebuilt here from public data only:

* kinematics from Franka's published DH table (Craig / modified convention),
* joint limits from Franka's "robot and interface specifications",
* link inertials identified by Gaz et al. 2019, as published in MuJoCo Menagerie
  (``franka_emika_panda/panda.xml``, Apache-2.0),
* primitive collision shapes (capsules, boxes) sized by hand.

The script writes ``panda.xml`` (MJCF, the source of truth that plain MuJoCo can
load) and converts it with ``mujoco-usd-converter`` into one flattened,
self-contained ``panda.usda`` that ``isaaclab.sim.UsdFileCfg`` can spawn. The
converter does not carry some facts Isaac Lab on Newton needs, so they are
authored on the USD afterwards (see :func:`author_newton_extras`).

Names follow franka_ros / Isaac Lab (``panda_link0``..``panda_link7``,
``panda_hand``, ``panda_joint1``..``panda_joint7``, ``panda_finger_joint1/2``),
which is also what the real robot publishes on ``/joint_states``.

Running it again overwrites the outputs with identical content.
"""

from __future__ import annotations

import argparse
import math
import pathlib
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]
DEFAULT_OUT_DIR = REPO_ROOT / "sim" / "assets" / "franka"
MODEL_NAME = "panda"

# Robot links never collide with each other (bit 2 is never in their own
# conaffinity) but still collide with default MuJoCo geoms (contype=conaffinity=1).
ROBOT_CONTYPE = 2
ROBOT_CONAFFINITY = 1

ARM_ARMATURE = 0.1  # [kg m^2], Menagerie's value; also keeps stiff PD gains stable at large dt.
ARM_DAMPING = 1.0  # [N m s/rad], Menagerie's passive joint damping.
FINGER_ARMATURE = 0.1  # [kg], Menagerie's value; a 15 g finger with kp=2000 is unstable without it.
FINGER_DAMPING = 1.0  # [N s/m]
# The real robot cancels gravity inside its controller (FCI torques are "gravity
# free"), so every moving body is fully gravity-compensated (MuJoCo gravcomp).
# Without it, a joint PD at Isaac Lab's kp=400 sags ~0.05 rad under gravity.
GRAVCOMP = 1.0

FLANGE_D = 0.107  # [m], DH "flange" row: link7 origin to flange along z7.
HAND_YAW = -math.pi / 4  # [rad], hand mounted rotated -45 deg about the flange z axis.
FINGER_Z = 0.0584  # [m], finger joint origin along the hand z axis.
TCP_OFFSET = 0.1034  # [m], Franka's default end-effector frame along the hand z axis.
FINGER_STROKE = 0.04  # [m], each finger opens 0..0.04 m.
FINGER_VELOCITY = 0.2  # [m/s]
FINGER_FORCE = 200.0  # [N], Isaac Lab's value for the finger effort limit.


@dataclass(frozen=True)
class Geom:
    """A primitive collision shape in a body's frame (MJCF attribute strings)."""

    name: str
    type: str  # "capsule" or "box"
    size: str
    pos: str | None = None
    fromto: str | None = None
    rgba: str = "0.92 0.92 0.93 1"


@dataclass(frozen=True)
class Inertial:
    """Identified inertial data: mass [kg], COM [m], full inertia [kg m^2] (Ixx Iyy Izz Ixy Ixz Iyz)."""

    mass: float
    pos: tuple[float, float, float]
    fullinertia: tuple[float, float, float, float, float, float] | None = None
    diaginertia: tuple[float, float, float] | None = None


@dataclass(frozen=True)
class ArmLink:
    """One row of the arm table: the DH row of its joint plus limits, inertial and shapes."""

    a: float  # DH a_{i-1} [m]
    d: float  # DH d_i [m]
    alpha: float  # DH alpha_{i-1} [rad]
    q_min: float  # [rad]
    q_max: float  # [rad]
    velocity: float  # [rad/s]
    torque: float  # [N m]
    inertial: Inertial
    geoms: tuple[Geom, ...] = field(default_factory=tuple)


# Base link: fixed to the world, so its inertial only matters for reporting.
LINK0_INERTIAL = Inertial(0.629769, (-0.041018, -0.00014, 0.049974), (0.00315, 0.00388, 0.004285, 8.2904e-7, 0.00015, 8.2299e-6))
LINK0_GEOMS = (Geom("panda_link0_c0", "box", "0.11 0.09 0.07", pos="-0.04 0 0.07"),)

# panda_joint1..7 with the link each joint moves (panda_link1..7).
ARM: tuple[ArmLink, ...] = (
    ArmLink(
        0.0, 0.333, 0.0, -2.8973, 2.8973, 2.175, 87.0,
        Inertial(4.970684, (0.003875, 0.002081, -0.04762), (0.70337, 0.70661, 0.009117, -0.000139, 0.006772, 0.019169)),
        (Geom("panda_link1_c0", "capsule", "0.06", fromto="0 0 -0.19 0 0 -0.04"),),
    ),
    ArmLink(
        0.0, 0.0, -math.pi / 2, -1.7628, 1.7628, 2.175, 87.0,
        Inertial(0.646926, (-0.003141, -0.02872, 0.003495), (0.007962, 0.02811, 0.025995, -0.003925, 0.010254, 0.000704)),
        (Geom("panda_link2_c0", "capsule", "0.06", fromto="0 0 -0.06 0 0 0.06"),
         Geom("panda_link2_c1", "capsule", "0.06", fromto="0 0 0 0 -0.16 0")),
    ),
    ArmLink(
        0.0, 0.316, math.pi / 2, -2.8973, 2.8973, 2.175, 87.0,
        Inertial(3.228604, (0.027518, 0.039252, -0.066502), (0.037242, 0.036155, 0.01083, -0.004761, -0.011396, -0.012805)),
        (Geom("panda_link3_c0", "capsule", "0.06", fromto="0 0 -0.15 0 0 -0.04"),
         Geom("panda_link3_c1", "capsule", "0.06", fromto="0.0825 -0.06 0 0.0825 0.06 0")),
    ),
    ArmLink(
        0.0825, 0.0, math.pi / 2, -3.0718, -0.0698, 2.175, 87.0,
        Inertial(3.587895, (-0.05317, 0.104419, 0.027454), (0.025853, 0.019552, 0.028323, 0.007796, -0.001332, 0.008641)),
        (Geom("panda_link4_c0", "capsule", "0.055", fromto="0 0 0 -0.0825 0.11 0"),),
    ),
    ArmLink(
        -0.0825, 0.384, -math.pi / 2, -2.8973, 2.8973, 2.61, 12.0,
        Inertial(1.225946, (-0.011953, 0.041065, -0.038437), (0.035549, 0.029474, 0.008627, -0.002117, -0.004037, 0.000229)),
        (Geom("panda_link5_c0", "capsule", "0.055", fromto="0 0 -0.26 0 0 -0.03"),),
    ),
    ArmLink(
        0.0, 0.0, math.pi / 2, -0.0175, 3.7525, 2.61, 12.0,
        Inertial(1.666555, (0.060149, -0.014117, -0.010517), (0.001964, 0.004354, 0.005433, 0.000109, -0.001158, 0.000341)),
        (Geom("panda_link6_c0", "capsule", "0.05", fromto="0 0 0 0.088 0 0"),),
    ),
    ArmLink(
        0.088, 0.0, math.pi / 2, -2.8973, 2.8973, 2.61, 12.0,
        Inertial(0.735522, (0.010517, -0.004252, 0.061597), (0.012516, 0.010027, 0.004815, -0.000428, -0.001196, -0.000741)),
        (Geom("panda_link7_c0", "capsule", "0.045", fromto="0 0 0 0 0 0.08"),),
    ),
)

# Hand and fingers: franka_description values as carried by Menagerie (no identified data exists).
HAND_INERTIAL = Inertial(0.73, (-0.01, 0.0, 0.03), diaginertia=(0.001, 0.0025, 0.0017))
HAND_GEOMS = (Geom("panda_hand_c0", "box", "0.025 0.1 0.028", pos="0 0 0.03"),)
FINGER_INERTIAL = Inertial(0.015, (0.0, 0.0, 0.0), diaginertia=(2.375e-6, 2.375e-6, 7.5e-7))


def finger_geoms(side: str, sign: int) -> tuple[Geom, ...]:
    """Finger body box plus the fingertip pad (Menagerie's pad box), mirrored in y for the right finger.

    The pad is a separate, named geom so that tactile sensing can later be attached to it.
    """
    dark = "0.25 0.25 0.25 1"
    return (
        Geom(f"panda_{side}finger_c0", "box", "0.0105 0.0075 0.0225", pos=f"0 {sign * 0.013:g} 0.0225"),
        Geom(f"panda_{side}finger_pad", "box", "0.0085 0.004 0.0085", pos=f"0 {sign * 0.0055:g} 0.0445", rgba=dark),
    )


def fmt(*values: float) -> str:
    """Format numbers for MJCF: 12 significant digits, and exact 0 for float noise like cos(pi/2)."""
    return " ".join(f"{0.0 if abs(v) < 1e-12 else v:.12g}" for v in values)


def dh_body_frame(a: float, d: float, alpha: float) -> tuple[str, str]:
    """Body pos/quat of a modified-DH row: Rot_x(alpha) Trans_x(a) Trans_z(d); theta is the joint.

    Encoding each row exactly in the body frame (and the joint along the body z axis)
    is what makes MuJoCo's forward kinematics equal Franka's published FK.
    """
    pos = fmt(a, -d * math.sin(alpha), d * math.cos(alpha))
    quat = fmt(math.cos(alpha / 2), math.sin(alpha / 2), 0.0, 0.0)
    return pos, quat


def add_inertial(body: ET.Element, inertial: Inertial) -> None:
    """Append an <inertial> element with either a full or a diagonal inertia tensor."""
    attrs = {"mass": fmt(inertial.mass), "pos": fmt(*inertial.pos)}
    if inertial.fullinertia is not None:
        attrs["fullinertia"] = fmt(*inertial.fullinertia)
    else:
        assert inertial.diaginertia is not None
        attrs["diaginertia"] = fmt(*inertial.diaginertia)
    ET.SubElement(body, "inertial", attrs)


def add_geoms(body: ET.Element, geoms: tuple[Geom, ...]) -> None:
    """Append the collision shapes of one body."""
    for geom in geoms:
        attrs = {"name": geom.name, "type": geom.type, "size": geom.size, "rgba": geom.rgba}
        if geom.pos is not None:
            attrs["pos"] = geom.pos
        if geom.fromto is not None:
            attrs["fromto"] = geom.fromto
        ET.SubElement(body, "geom", attrs)


def add_finger(hand: ET.Element, side: str, index: int, sign: int) -> None:
    """Add one finger: a slide joint along +y (left) or -y (right) of the hand, as in franka_description."""
    finger = ET.SubElement(hand, "body", {"name": f"panda_{side}finger", "pos": fmt(0, 0, FINGER_Z), "gravcomp": fmt(GRAVCOMP)})
    add_inertial(finger, FINGER_INERTIAL)
    ET.SubElement(
        finger,
        "joint",
        {
            "name": f"panda_finger_joint{index}",
            "type": "slide",
            "axis": fmt(0, sign, 0),
            "range": fmt(0.0, FINGER_STROKE),
            "actuatorfrcrange": fmt(-FINGER_FORCE, FINGER_FORCE),
            "armature": fmt(FINGER_ARMATURE),
            "damping": fmt(FINGER_DAMPING),
        },
    )
    add_geoms(finger, finger_geoms(side, sign))


def build_mjcf() -> ET.ElementTree:
    """Build the MJCF tree: a fixed-base chain panda_link0 -> panda_link7 -> panda_hand -> 2 fingers.

    No actuators are written: Isaac Lab adds its own joint drives, and converted
    MJCF actuators would act on top of them.
    """
    root = ET.Element("mujoco", {"model": MODEL_NAME})
    ET.SubElement(root, "compiler", {"angle": "radian", "autolimits": "true"})
    ET.SubElement(root, "option", {"integrator": "implicitfast"})
    default = ET.SubElement(root, "default")
    ET.SubElement(default, "geom", {"contype": str(ROBOT_CONTYPE), "conaffinity": str(ROBOT_CONAFFINITY)})
    world = ET.SubElement(root, "worldbody")

    # No joint on panda_link0: a body without a joint is welded to its parent (the world).
    parent = ET.SubElement(world, "body", {"name": "panda_link0"})
    add_inertial(parent, LINK0_INERTIAL)
    add_geoms(parent, LINK0_GEOMS)
    for i, link in enumerate(ARM, start=1):
        pos, quat = dh_body_frame(link.a, link.d, link.alpha)
        body = ET.SubElement(parent, "body", {"name": f"panda_link{i}", "pos": pos, "quat": quat, "gravcomp": fmt(GRAVCOMP)})
        add_inertial(body, link.inertial)
        ET.SubElement(
            body,
            "joint",
            {
                "name": f"panda_joint{i}",
                "type": "hinge",
                "axis": "0 0 1",
                "range": fmt(link.q_min, link.q_max),
                "actuatorfrcrange": fmt(-link.torque, link.torque),
                "armature": fmt(ARM_ARMATURE),
                "damping": fmt(ARM_DAMPING),
            },
        )
        add_geoms(body, link.geoms)
        parent = body

    # The flange frame has no mass of its own, so the hand sits directly on panda_link7.
    hand = ET.SubElement(
        parent,
        "body",
        {
            "name": "panda_hand",
            "pos": fmt(0, 0, FLANGE_D),
            "quat": fmt(math.cos(HAND_YAW / 2), 0, 0, math.sin(HAND_YAW / 2)),
            "gravcomp": fmt(GRAVCOMP),
        },
    )
    add_inertial(hand, HAND_INERTIAL)
    add_geoms(hand, HAND_GEOMS)
    add_finger(hand, "left", 1, +1)
    add_finger(hand, "right", 2, -1)

    ET.indent(root)
    return ET.ElementTree(root)


def write_mjcf(path: pathlib.Path) -> None:
    """Write the MJCF and check that MuJoCo compiles it, so a bad table fails here, not in a test."""
    import mujoco

    tree = build_mjcf()
    path.parent.mkdir(parents=True, exist_ok=True)
    header = "<!-- Generated by scripts/make_franka_asset.py; do not edit. Sources: README.md. -->\n"
    path.write_text(header + ET.tostring(tree.getroot(), encoding="unicode") + "\n")
    mujoco.MjModel.from_xml_path(str(path))


def author_newton_extras(stage: "Usd.Stage") -> None:  # noqa: F821 (pxr is imported lazily)
    """Author what mujoco-usd-converter 0.6.1 drops or misnames but Isaac Lab on Newton reads.

    * Self-collision: the converter does not translate contype/conaffinity, so the
      "links never collide with each other" rule is expressed the Newton way, as
      ``newton:selfCollisionEnabled = false`` on the articulation root.
    * Gravity compensation: the converter writes ``mjc:body:gravcomp``, but Newton's
      MuJoCo solver reads ``mjc:gravcomp``; the attribute is renamed.
    * Velocity limits: MJCF has no joint velocity limit; Newton reads
      ``newton:velocityLimit`` (deg/s for revolute joints, m/s for prismatic ones).
    * Effort limits: Newton takes a joint's effort limit from its UsdPhysics drive's
      ``maxForce``; a drive with zero gains only carries that limit, and Isaac Lab
      overwrites the gains with its actuator config.
    """
    from pxr import Sdf, UsdPhysics

    limits = {f"panda_joint{i}": (link.velocity, link.torque) for i, link in enumerate(ARM, start=1)}
    limits |= {f"panda_finger_joint{i}": (FINGER_VELOCITY, FINGER_FORCE) for i in (1, 2)}
    seen: set[str] = set()
    for prim in stage.Traverse():
        if prim.HasAPI(UsdPhysics.ArticulationRootAPI):
            prim.GetAttribute("newton:selfCollisionEnabled").Set(False)
        if (gravcomp := prim.GetAttribute("mjc:body:gravcomp")).IsValid():
            prim.CreateAttribute("mjc:gravcomp", Sdf.ValueTypeNames.Float, custom=True).Set(gravcomp.Get())
            prim.RemoveProperty("mjc:body:gravcomp")
        name = prim.GetName()
        if name not in limits:
            continue
        velocity, effort = limits[name]
        if prim.IsA(UsdPhysics.RevoluteJoint):
            drive_type, velocity = "angular", math.degrees(velocity)
        elif prim.IsA(UsdPhysics.PrismaticJoint):
            drive_type = "linear"
        else:
            continue
        prim.GetAttribute("newton:velocityLimit").Set(velocity)
        drive = UsdPhysics.DriveAPI.Apply(prim, drive_type)
        drive.CreateTypeAttr(UsdPhysics.Tokens.force)
        drive.CreateMaxForceAttr(effort)
        drive.CreateStiffnessAttr(0.0)
        drive.CreateDampingAttr(0.0)
        seen.add(name)
    missing = set(limits) - seen
    if missing:
        raise RuntimeError(f"joints not found in the converted USD: {sorted(missing)}")


def convert_to_usd(mjcf_path: pathlib.Path, usd_path: pathlib.Path) -> None:
    """Convert the MJCF with mujoco-usd-converter, flatten it to one .usda and add the Newton extras.

    The converter's layered output (interface layer + payload layers) is built in a
    temporary folder and flattened, so the repo holds a single self-contained text
    file and nothing references paths outside ``sim/assets/franka``.
    """
    import mujoco_usd_converter
    from pxr import Usd

    with tempfile.TemporaryDirectory() as tmp:
        asset = mujoco_usd_converter.Converter(layer_structure=True, scene=False).convert(str(mjcf_path), tmp)
        layer = Usd.Stage.Open(asset.path).Flatten()
    layer.documentation = "Franka Emika Panda, generated by scripts/make_franka_asset.py from panda.xml; see README.md."
    author_newton_extras(Usd.Stage.Open(layer))
    layer.Export(str(usd_path))


def main() -> None:
    """Parse arguments and (re)generate the MJCF and USD files."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out-dir", type=pathlib.Path, default=DEFAULT_OUT_DIR, help="output folder (default: %(default)s)")
    parser.add_argument("--mjcf-only", action="store_true", help="write panda.xml only, skip the USD conversion")
    args = parser.parse_args()

    mjcf_path = args.out_dir / f"{MODEL_NAME}.xml"
    write_mjcf(mjcf_path)
    print(f"wrote {mjcf_path}")
    if not args.mjcf_only:
        usd_path = args.out_dir / f"{MODEL_NAME}.usda"
        convert_to_usd(mjcf_path, usd_path)
        print(f"wrote {usd_path}")


if __name__ == "__main__":
    main()
