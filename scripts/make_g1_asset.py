#!/usr/bin/env python3
"""Generate the Unitree G1 asset (MJCF + USD) of the ``g1-velocity`` task from the model inside the mjlab wheel.

The source is ``mjlab/asset_zoo/robots/unitree_g1/xmls/g1.xml`` in the ``mjlab`` 1.6.0 wheel (Apache-2.0), the
29-DoF G1 (rev 1.0) that mjlab's velocity tasks train on; the model itself is Unitree's (BSD-3-Clause, see
``LICENSE-unitree-g1.txt`` next to the outputs). mjlab is not a dependency: the script reads the wheel as a zip.
Get the wheel once with

    pip download mjlab==1.6.0 --no-deps -d /tmp/mjlab_dl

The script keeps only the robot's physics:

* the light, the tracking camera, every site and the ``<sensor>`` block go (the task reads the IMU from the
  pelvis body, where mjlab's ``imu_in_pelvis`` site sits without rotation: the same angular velocity);
* every visual geom goes, with the ``<asset>`` block (its STL meshes and materials) and the ``visual`` default
  class: the 35 meshes are 19 MB of STL and would make a USD of tens of MB, while the collision geometry is all
  primitives (a pelvis and a head sphere, capsules for the limbs and torso, 7 thin capsules under each foot).
  Visual geoms have ``density="0"`` and every body states its ``<inertial>``, so masses and inertias do not change.

The pelvis moves to the origin (the source puts it 0.793 m up, standing with all joints at zero: the converter would
write that offset into the USD, under the pose Isaac Lab spawns the robot at). The collision geoms get the contact
parameters that mjlab's ``FULL_COLLISION`` (``g1_constants.py``) sets in Python:

* ``condim="1"`` on every geom but the feet. MuJoCo takes the larger condim of two touching geoms, so the feet and
  any geom on the ground keep frictional contacts (condim 3, the plane's), while a contact of the robot with itself
  is frictionless and costs one constraint row instead of four;
* ``priority="1"`` on the feet: a contact then takes the foot's friction instead of the larger of the two, so the
  velocity task's foot-friction randomisation (0.3-1.2) reaches the sole on the plane (friction 1): without it no
  foot could slip more easily than on friction 1. Foot and plane share MuJoCo's default solref and solimp, so nothing
  else changes. mjlab's foot friction of 0.6 is not copied: the tasks set friction themselves.

The converter writes them as ``mjc:condim`` and ``mjc:priority``, which Newton's MuJoCo solver reads. Bodies,
inertials, joints (axes, ranges), the geoms' shapes and the ``<contact>`` exclusions are kept as they are.
The MJCF has no actuators, armature or joint damping (mjlab adds them from ``g1_constants.py``; here
``sim/robots/g1.py`` does). The result is written as ``g1.xml`` and converted with ``mujoco-usd-converter`` 0.6.1
into one flattened, self-contained ``g1.usda``. Every G1 joint is a single hinge between two bodies, so Newton keeps
the MJCF joint names (``left_hip_pitch_joint``): they are Unitree's motor names. Running the script again rewrites
byte-identical outputs.
"""

from __future__ import annotations

import argparse
import hashlib
import pathlib
import re
import tempfile
import xml.etree.ElementTree as ET
import zipfile

REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]
DEFAULT_WHEEL = pathlib.Path("/tmp/mjlab_dl/mjlab-1.6.0-py3-none-any.whl")
DEFAULT_OUT_DIR = REPO_ROOT / "sim" / "assets" / "g1"
MODEL_NAME = "g1"
SOURCE_MEMBER = "mjlab/asset_zoo/robots/unitree_g1/xmls/g1.xml"
LICENSE_SUFFIX = ".dist-info/licenses/LICENSE"
USD_DOC = "Unitree G1 29-DoF from mjlab 1.6.0's g1.xml, made by scripts/make_g1_asset.py; see README.md."

STRIPPED_TAGS = ("light", "camera", "site", "sensor", "asset")
"""MJCF elements that are not the robot's physics, removed wherever they are."""
EXPECTED_BODIES = 30
"""The pelvis and 29 links, one per joint."""
FOOT_GEOMS = re.compile(r"^(left|right)_foot[1-7]_collision$")
"""mjlab's foot collision geoms (7 capsules a sole): condim 3 (MuJoCo's default) and priority 1; the others
condim 1."""


def read_wheel(wheel: pathlib.Path) -> tuple[bytes, bytes, str]:
    """(g1.xml, mjlab's LICENSE, the wheel's version) from the mjlab wheel, read as a zip archive."""
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        licenses = [n for n in names if n.endswith(LICENSE_SUFFIX)]
        if SOURCE_MEMBER not in names or len(licenses) != 1:
            raise RuntimeError(f"{wheel}: not an mjlab wheel with {SOURCE_MEMBER} and one dist-info LICENSE")
        version = licenses[0].split("/")[0].removesuffix(".dist-info").split("-", 1)[1]
        return archive.read(SOURCE_MEMBER), archive.read(licenses[0]), version


def strip_mjcf(root: ET.Element) -> None:
    """Remove what is not the robot's physics (see the module docstring) from the MJCF tree, in place."""
    for parent in list(root.iter()):
        for child in list(parent):
            visual = child.get("class") == "visual"
            if child.tag in STRIPPED_TAGS or visual:
                parent.remove(child)
    # The compiler's mesh folder is gone with the meshes.
    for compiler in root.iter("compiler"):
        compiler.attrib.pop("meshdir", None)
    # The root body at the model's origin: the converter writes its position into the USD, where it would add to
    # the pose Isaac Lab spawns the robot at.
    (pelvis,) = root.iterfind("worldbody/body")
    pelvis.set("pos", "0 0 0")
    ET.indent(root)


def set_contact_parameters(root: ET.Element) -> None:
    """mjlab's G1 ``FULL_COLLISION``, in place: priority 1 on the foot geoms, which keep MuJoCo's default condim 3,
    and condim 1 (frictionless) on every other named collision geom (see the module docstring)."""
    for geom in root.iter("geom"):
        name = geom.get("name")
        if name is None:
            continue
        if FOOT_GEOMS.match(name):
            geom.set("priority", "1")
        else:
            geom.set("condim", "1")


def write_mjcf(source: bytes, version: str, path: pathlib.Path) -> None:
    """Write the stripped MJCF and check that MuJoCo compiles it as the robot alone."""
    import mujoco

    root = ET.fromstring(source)
    strip_mjcf(root)
    set_contact_parameters(root)
    digest = hashlib.sha256(source).hexdigest()
    header = (f"<!-- Generated by scripts/make_g1_asset.py from {SOURCE_MEMBER} (mjlab {version} wheel, "
              f"sha256 {digest}); do not edit. See README.md. -->\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header + ET.tostring(root, encoding="unicode") + "\n")
    model = mujoco.MjModel.from_xml_path(str(path))
    if model.nsensor or model.nsite or model.nlight or model.ncam or model.nmesh or model.nu:
        raise RuntimeError(f"{path}: stripping left sensors, sites, lights, cameras, meshes or actuators behind")
    if model.nbody != EXPECTED_BODIES + 1 or model.njnt != 30:
        raise RuntimeError(f"{path}: {model.nbody - 1} bodies and {model.njnt} joints, expected "
                           f"{EXPECTED_BODIES} bodies and 30 joints (a free joint and 29 hinges)")
    if any(model.geom_bodyid[i] == 0 for i in range(model.ngeom)):
        raise RuntimeError(f"{path}: a geom is attached to the world (a floor?)")


def convert_to_usd(mjcf_path: pathlib.Path, usd_path: pathlib.Path) -> None:
    """Convert the MJCF with mujoco-usd-converter and flatten it into one self-contained .usda."""
    import mujoco_usd_converter
    from pxr import Usd

    with tempfile.TemporaryDirectory() as tmp:
        asset = mujoco_usd_converter.Converter(layer_structure=True, scene=False).convert(str(mjcf_path), tmp)
        layer = Usd.Stage.Open(asset.path).Flatten()
    layer.documentation = USD_DOC
    layer.Export(str(usd_path))


def main() -> None:
    """Parse arguments and (re)generate the MJCF, the USD and the copy of mjlab's license."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("wheel", type=pathlib.Path, nargs="?", default=DEFAULT_WHEEL,
                        help="the mjlab 1.6.0 wheel (%(default)s); get it with "
                             "`pip download mjlab==1.6.0 --no-deps -d /tmp/mjlab_dl`")
    parser.add_argument("--out-dir", type=pathlib.Path, default=DEFAULT_OUT_DIR, help="output folder (%(default)s)")
    parser.add_argument("--mjcf-only", action="store_true", help="write g1.xml only, skip the USD conversion")
    args = parser.parse_args()
    if not args.wheel.is_file():
        parser.error(f"{args.wheel} not found; download it with `pip download mjlab==1.6.0 --no-deps -d "
                     f"{args.wheel.parent}`")

    source, license_text, version = read_wheel(args.wheel)
    mjcf_path = args.out_dir / f"{MODEL_NAME}.xml"
    write_mjcf(source, version, mjcf_path)
    print(f"wrote {mjcf_path}")
    license_path = args.out_dir / "LICENSE-mjlab.txt"
    license_path.write_bytes(license_text)
    print(f"wrote {license_path}")
    if not args.mjcf_only:
        usd_path = args.out_dir / f"{MODEL_NAME}.usda"
        convert_to_usd(mjcf_path, usd_path)
        print(f"wrote {usd_path}")


if __name__ == "__main__":
    main()
