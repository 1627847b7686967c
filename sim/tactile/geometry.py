"""Contact geometry of the gel pad: how deep other bodies press into it, per pixel or per taxel (Warp).

Pad frame (used everywhere in ``sim.tactile``): origin at the centre of the undeformed gel surface, x along image
columns, y along image rows, z out of the gel towards the objects (the camera sits at negative z, looking +z).
A body penetrates the gel where it reaches below z = 0; the penetration at (x, y) is the depth of the body's lowest
point on the line through (x, y) along z, i.e. ``max(0, -z_lowest)`` in metres. This is the penetration-based
elastomer model of TacSL: the gel surface follows the indenter exactly (the renderer smooths it afterwards).

Bodies are analytic primitives (sphere, box, capsule, cylinder) or closed triangle meshes (``wp.Mesh``), given per
sensor as a fixed-size table; unused slots have ``kind = NONE``. Each column is a ray cast from below the gel, so a primitive's lowest point is the ray's
first entry into it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import warp as wp

NONE, SPHERE, BOX, CAPSULE, CYLINDER, MESH = 0, 1, 2, 3, 4, 5
PRIMITIVE_KINDS = {"sphere": SPHERE, "box": BOX, "capsule": CAPSULE, "cylinder": CYLINDER, "mesh": MESH}
_MISS = 1.0e30
_RAY_START = 0.1
"""Rays start this far below the gel surface (m): below any body that can touch a fingertip pad."""


@wp.struct
class Primitive:
    kind: int
    pose: wp.transform
    """Primitive frame in the pad frame (m, quaternion x y z w)."""
    size: wp.vec3
    """sphere: (radius, -, -); box: half extents; capsule / cylinder: (radius, half height along local z, -);
    mesh: scale per axis. m."""
    mesh: wp.uint64
    """``wp.Mesh.id`` for kind MESH (a closed triangle mesh, in its own frame before scaling)."""
    linear_velocity: wp.vec3
    """Velocity of the primitive's origin relative to the pad, pad frame, m/s."""
    angular_velocity: wp.vec3
    """Angular velocity relative to the pad, pad frame, rad/s."""


@wp.func
def _ray_sphere(o: wp.vec3, d: wp.vec3, radius: float) -> float:
    b = wp.dot(o, d)
    c = wp.dot(o, o) - radius * radius
    disc = b * b - c
    if disc < 0.0:
        return _MISS
    return -b - wp.sqrt(disc)


@wp.func
def _ray_box(o: wp.vec3, d: wp.vec3, half: wp.vec3) -> float:
    t_near = -_MISS
    t_far = _MISS
    for axis in range(3):
        if wp.abs(d[axis]) < 1.0e-12:
            if wp.abs(o[axis]) > half[axis]:
                return _MISS
        else:
            t1 = (-half[axis] - o[axis]) / d[axis]
            t2 = (half[axis] - o[axis]) / d[axis]
            t_near = wp.max(t_near, wp.min(t1, t2))
            t_far = wp.min(t_far, wp.max(t1, t2))
    if t_far < t_near or t_far < 0.0:
        return _MISS
    return t_near


@wp.func
def _ray_cylinder_side(o: wp.vec3, d: wp.vec3, radius: float, half_height: float) -> float:
    a = d[0] * d[0] + d[1] * d[1]
    if a < 1.0e-12:
        return _MISS
    b = o[0] * d[0] + o[1] * d[1]
    c = o[0] * o[0] + o[1] * o[1] - radius * radius
    disc = b * b - a * c
    if disc < 0.0:
        return _MISS
    t = (-b - wp.sqrt(disc)) / a
    if wp.abs(o[2] + t * d[2]) > half_height:
        return _MISS
    return t


@wp.func
def _ray_cylinder(o: wp.vec3, d: wp.vec3, radius: float, half_height: float) -> float:
    t_best = _ray_cylinder_side(o, d, radius, half_height)
    if wp.abs(d[2]) > 1.0e-12:
        for side in range(2):
            z = half_height * (2.0 * float(side) - 1.0)
            t = (z - o[2]) / d[2]
            p = o + t * d
            if p[0] * p[0] + p[1] * p[1] <= radius * radius:
                t_best = wp.min(t_best, t)
    return t_best


@wp.func
def _ray_capsule(o: wp.vec3, d: wp.vec3, radius: float, half_height: float) -> float:
    t_best = _ray_cylinder_side(o, d, radius, half_height)
    t_best = wp.min(t_best, _ray_sphere(o - wp.vec3(0.0, 0.0, half_height), d, radius))
    t_best = wp.min(t_best, _ray_sphere(o + wp.vec3(0.0, 0.0, half_height), d, radius))
    return t_best


@wp.func
def _ray_mesh(mesh: wp.uint64, o: wp.vec3, d: wp.vec3, scale: wp.vec3) -> float:
    """First hit of the ray with a scaled mesh, as a distance along the unscaled ray (``_MISS`` if none)."""
    inv_scale = wp.vec3(1.0 / scale[0], 1.0 / scale[1], 1.0 / scale[2])
    o_mesh = wp.cw_mul(o, inv_scale)
    d_mesh = wp.normalize(wp.cw_mul(d, inv_scale))
    query = wp.mesh_query_ray(mesh, o_mesh, d_mesh, 1.0e6)
    if not query.result:
        return _MISS
    hit = wp.cw_mul(o_mesh + query.t * d_mesh, scale)
    return wp.dot(hit - o, d)


@wp.func
def ray_entry(p: Primitive, origin: wp.vec3, direction: wp.vec3) -> float:
    """Distance along the ray to its first entry into ``p`` (``_MISS`` if none)."""
    inv = wp.transform_inverse(p.pose)
    return _ray_entry_local(p, wp.transform_point(inv, origin), wp.transform_vector(inv, direction))


@wp.func
def _ray_entry_local(p: Primitive, far: wp.vec3, d: wp.vec3) -> float:
    """:func:`ray_entry` with the ray's origin ``far`` and direction ``d`` already in the primitive's frame."""
    if p.kind == MESH:
        # Mesh rays only look forward, so they start from below the gel, outside the body.
        return _ray_mesh(p.mesh, far, d, p.size)
    # Start from the ray's closest approach to the primitive's centre: the quadratics below then work with small
    # numbers, which keeps float32 exact to ~1e-9 m instead of losing digits to cancellation.
    shift = -wp.dot(far, d)
    o = far + shift * d
    t = float(_MISS)
    if p.kind == SPHERE:
        t = _ray_sphere(o, d, p.size[0])
    elif p.kind == BOX:
        t = _ray_box(o, d, p.size)
    elif p.kind == CAPSULE:
        t = _ray_capsule(o, d, p.size[0], p.size[1])
    elif p.kind == CYLINDER:
        t = _ray_cylinder(o, d, p.size[0], p.size[1])
    if t >= _MISS:
        return _MISS
    return t + shift


@wp.func
def grid_point(row: int, col: int, rows: int, cols: int, width: float, height: float) -> wp.vec3:
    """Centre of cell (row, col) of a rows x cols grid covering width x height (m), on the gel surface."""
    x = (float(col) + 0.5) / float(cols) * width - 0.5 * width
    y = (float(row) + 0.5) / float(rows) * height - 0.5 * height
    return wp.vec3(x, y, 0.0)


@wp.kernel
def penetration_kernel(primitives: wp.array2d(dtype=Primitive), width: float, height: float,
                       depth: wp.array3d(dtype=float), body: wp.array3d(dtype=int)):
    """depth[n, r, c] (m, >= 0) and the index of the deepest primitive (-1: no contact)."""
    n, r, c = wp.tid()
    rows = depth.shape[1]
    cols = depth.shape[2]
    surface = grid_point(r, c, rows, cols, width, height)
    origin = surface - wp.vec3(0.0, 0.0, _RAY_START)
    deepest = float(0.0)
    deepest_body = int(-1)
    for k in range(primitives.shape[1]):
        p = primitives[n, k]
        if p.kind != NONE:
            t = ray_entry(p, origin, wp.vec3(0.0, 0.0, 1.0))
            if t < _MISS:
                penetration = _RAY_START - t
                if penetration > deepest:
                    deepest = penetration
                    deepest_body = k
    depth[n, r, c] = deepest
    body[n, r, c] = deepest_body


@wp.kernel
def penetration_span_kernel(primitives: wp.array2d(dtype=Primitive), width: float, height: float, span: int,
                            scale: float, depth: wp.array3d(dtype=float)):
    """:func:`penetration_kernel`'s depth times ``scale`` (1000: mm), ``span`` consecutive columns per thread: each
    primitive's frame is inverted once per span rather than once per sample, which halves the cost of the dense
    (supersampled) grids the renderer reads."""
    n, r, block = wp.tid()
    rows = depth.shape[1]
    cols = depth.shape[2]
    first = block * span
    last = wp.min(first + span, cols)
    for c in range(first, last):
        depth[n, r, c] = 0.0
    for k in range(primitives.shape[1]):
        p = primitives[n, k]
        if p.kind != NONE:
            inv = wp.transform_inverse(p.pose)
            d = wp.transform_vector(inv, wp.vec3(0.0, 0.0, 1.0))
            for c in range(first, last):
                origin = grid_point(r, c, rows, cols, width, height) - wp.vec3(0.0, 0.0, _RAY_START)
                t = _ray_entry_local(p, wp.transform_point(inv, origin), d)
                if t < _MISS:
                    depth[n, r, c] = wp.max(depth[n, r, c], (_RAY_START - t) * scale)


@dataclass
class PrimitiveSpec:
    """One body for :func:`primitive_table`, in the pad frame (m, m/s, rad/s)."""

    kind: str
    size: tuple[float, float, float]
    position: tuple[float, float, float]
    orientation_xyzw: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 1.0)
    linear_velocity: tuple[float, float, float] = (0.0, 0.0, 0.0)
    angular_velocity: tuple[float, float, float] = (0.0, 0.0, 0.0)
    mesh: wp.Mesh | None = None
    """For kind ``mesh``: the mesh (``size`` is its scale); keep it alive while the table is used."""


def primitive_table(per_sensor: list[list[PrimitiveSpec]], device: str = "cpu") -> wp.array:
    """A [sensors, max bodies] Warp array of :class:`Primitive` (unused slots: kind NONE)."""
    from robot_ac.errors import RobotAcError

    slots = max(1, max((len(bodies) for bodies in per_sensor), default=1))
    table = np.zeros((len(per_sensor), slots), dtype=Primitive.numpy_dtype())
    for n, bodies in enumerate(per_sensor):
        for k, spec in enumerate(bodies):
            if spec.kind not in PRIMITIVE_KINDS:
                raise RobotAcError(f"unknown primitive kind '{spec.kind}'; expected one of {sorted(PRIMITIVE_KINDS)}")
            if min(spec.size[:1]) <= 0:
                raise RobotAcError(f"primitive {spec.kind} needs a positive size, got {spec.size}")
            if (spec.kind == "mesh") != (spec.mesh is not None):
                raise RobotAcError("a 'mesh' primitive needs mesh=wp.Mesh(...), and only it takes one")
            if spec.mesh is not None:
                table[n, k]["mesh"] = spec.mesh.id
            table[n, k]["kind"] = PRIMITIVE_KINDS[spec.kind]
            table[n, k]["pose"] = (*spec.position, *spec.orientation_xyzw)
            table[n, k]["size"] = spec.size
            table[n, k]["linear_velocity"] = spec.linear_velocity
            table[n, k]["angular_velocity"] = spec.angular_velocity
    return wp.array(table, dtype=Primitive, device=device)
