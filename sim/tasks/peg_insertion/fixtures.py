"""Peg, socket and placement plate, generated as USD rigid bodies made of box collision shapes.

A square socket is four walls around a square hole on a base plate; ``clearance`` widens the hole. Boxes keep every
contact a box-box pair (MuJoCo's most robust primitive pair) and keep the tactile sensor's geometry exact. Files are
written once per distinct geometry under the robot-ac cache (``ROBOT_AC_CACHE`` or ``~/.cache/robot-ac``), atomically,
so parallel runs never read a half-written model.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class PegGeometry:
    side: float = 0.012
    """Square peg cross-section, m."""
    length: float = 0.05
    mass: float = 0.1
    """kg"""


@dataclass(frozen=True)
class SocketGeometry:
    hole_side: float = 0.012
    """Side of the peg the socket is made for, m; the hole is ``hole_side + clearance``."""
    clearance: float = 0.002
    """Total play between peg and hole (both sides together), m."""
    depth: float = 0.02
    """Height of the walls above the base plate, m (0: a flat placement plate)."""
    wall: float = 0.01
    base_side: float = 0.06
    base_thickness: float = 0.01

    @property
    def hole(self) -> float:
        return self.hole_side + self.clearance


def cache_dir() -> Path:
    return Path(os.environ.get("ROBOT_AC_CACHE", Path.home() / ".cache" / "robot-ac")) / "assets"


def _boxes(socket: SocketGeometry) -> list[tuple[str, tuple[float, float, float], tuple[float, float, float]]]:
    """(name, centre, full size) of every box, in the socket frame: origin at the top of the base plate, hole centre."""
    half_base = socket.base_side / 2
    boxes = [("base", (0.0, 0.0, -socket.base_thickness / 2), (socket.base_side, socket.base_side,
                                                                 socket.base_thickness))]
    if socket.depth > 0:
        offset = socket.hole / 2 + socket.wall / 2
        long_side = socket.hole + 2 * socket.wall
        z = socket.depth / 2
        boxes += [("wall_px", (offset, 0.0, z), (socket.wall, long_side, socket.depth)),
                  ("wall_nx", (-offset, 0.0, z), (socket.wall, long_side, socket.depth)),
                  ("wall_py", (0.0, offset, z), (socket.hole, socket.wall, socket.depth)),
                  ("wall_ny", (0.0, -offset, z), (socket.hole, socket.wall, socket.depth))]
        if long_side > socket.base_side or half_base < offset:
            raise ValueError(f"socket walls ({long_side:.3f} m across) do not fit the base plate "
                             f"({socket.base_side:.3f} m)")
    return boxes


def write_socket_usd(socket: SocketGeometry, directory: Path | None = None) -> Path:
    """The socket (or plate) as a kinematic rigid body of box colliders; returns the file, reused if present."""
    from pxr import Gf, Sdf, Usd, UsdGeom, UsdPhysics

    key = hashlib.sha256(json.dumps(asdict(socket), sort_keys=True).encode()).hexdigest()[:12]
    path = (directory or cache_dir()) / f"socket_{key}.usda"
    if path.is_file():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    stage = Usd.Stage.CreateInMemory()
    UsdGeom.SetStageUpAxis(stage, UsdGeom.Tokens.z)
    UsdGeom.SetStageMetersPerUnit(stage, 1.0)
    root = UsdGeom.Xform.Define(stage, "/Socket")
    stage.SetDefaultPrim(root.GetPrim())
    UsdPhysics.RigidBodyAPI.Apply(root.GetPrim()).CreateKinematicEnabledAttr(True)
    UsdPhysics.MassAPI.Apply(root.GetPrim()).CreateMassAttr(1.0)
    root.GetPrim().SetDocumentation(f"robot-ac socket, generated from {asdict(socket)}")
    for name, centre, size in _boxes(socket):
        cube = UsdGeom.Cube.Define(stage, Sdf.Path(f"/Socket/{name}"))
        cube.CreateSizeAttr(1.0)
        cube.AddTranslateOp().Set(Gf.Vec3d(*centre))
        cube.AddScaleOp().Set(Gf.Vec3f(*size))
        UsdPhysics.CollisionAPI.Apply(cube.GetPrim())
    tmp = path.with_suffix(f".{os.getpid()}.tmp.usda")
    stage.GetRootLayer().Export(str(tmp))
    os.replace(tmp, path)
    return path
