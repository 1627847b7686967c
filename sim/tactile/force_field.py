"""Tactile force field (TacSL): per-taxel normal force from penetration, shear from relative sliding velocity.

For a taxel at pad point p with penetration ``d`` (m) into the body touching it, and that body's velocity at the
contact point relative to the pad, tangential part ``v_t`` (m/s):

    f_n = k_n d                                           (along +z, pushing the body out of the gel)
    f_t = -min(k_t |v_t|, mu f_n) v_t / |v_t|             (opposing the sliding; Coulomb-capped)

Output ``[sensors, rows, cols, 3]`` = (f_x, f_y, f_n) in the pad frame (see ``geometry``), the force the gel
exerts on the body. ``k_n`` in N/m and ``k_t`` in N·s/m; TacSL's defaults are k_n = 1, k_t = 0.1, mu = 2.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import warp as wp

from sim.tactile.geometry import Primitive, grid_point, penetration_kernel


@dataclass(frozen=True)
class ForceFieldConfig:
    rows: int = 10
    cols: int = 10
    k_n: float = 1.0
    """Normal stiffness, N per m of penetration."""
    k_t: float = 0.1
    """Tangential damping, N per m/s of sliding."""
    mu: float = 2.0
    """Friction coefficient capping the shear at mu * f_n."""


@wp.kernel
def force_kernel(primitives: wp.array2d(dtype=Primitive), depth: wp.array3d(dtype=float),
                 body: wp.array3d(dtype=int), width: float, height: float, k_n: float, k_t: float, mu: float,
                 forces: wp.array3d(dtype=wp.vec3)):
    n, r, c = wp.tid()
    d = depth[n, r, c]
    k = body[n, r, c]
    if k < 0 or d <= 0.0:
        forces[n, r, c] = wp.vec3(0.0, 0.0, 0.0)
        return
    p = primitives[n, k]
    point = grid_point(r, c, depth.shape[1], depth.shape[2], width, height) - wp.vec3(0.0, 0.0, d)
    velocity = p.linear_velocity + wp.cross(p.angular_velocity, point - wp.transform_get_translation(p.pose))
    tangential = wp.vec3(velocity[0], velocity[1], 0.0)
    speed = wp.length(tangential)
    normal = k_n * d
    shear = wp.vec3(0.0, 0.0, 0.0)
    if speed > 1.0e-9:
        shear = -wp.min(k_t * speed, mu * normal) / speed * tangential
    forces[n, r, c] = wp.vec3(shear[0], shear[1], normal)


def taxel_positions(config: ForceFieldConfig, width_m: float, height_m: float) -> np.ndarray:
    """[rows, cols, 3] taxel centres on the undeformed gel surface, pad frame (m)."""
    x = ((np.arange(config.cols) + 0.5) / config.cols - 0.5) * width_m
    y = ((np.arange(config.rows) + 0.5) / config.rows - 0.5) * height_m
    grid_x, grid_y = np.meshgrid(x, y)
    return np.stack([grid_x, grid_y, np.zeros_like(grid_x)], axis=-1)


class ForceField:
    """Preallocated force-field computation for ``sensors`` pads of ``width_m`` x ``height_m``."""

    def __init__(self, sensors: int, width_m: float, height_m: float, config: ForceFieldConfig = ForceFieldConfig(),
                 device: str = "cpu") -> None:
        self.config, self.width, self.height, self.device = config, width_m, height_m, device
        shape = (sensors, config.rows, config.cols)
        self.depth = wp.zeros(shape, dtype=float, device=device)
        """Penetration per taxel, m."""
        self._body = wp.zeros(shape, dtype=int, device=device)
        self.forces = wp.zeros(shape, dtype=wp.vec3, device=device)
        """(f_x, f_y, f_n) per taxel, N, pad frame."""
        self.positions = taxel_positions(config, width_m, height_m)

    def update(self, primitives: wp.array) -> wp.array:
        dim = self.depth.shape
        wp.launch(penetration_kernel, dim=dim, inputs=[primitives, self.width, self.height],
                  outputs=[self.depth, self._body], device=self.device)
        wp.launch(force_kernel, dim=dim, inputs=[primitives, self.depth, self._body, self.width, self.height,
                                                 self.config.k_n, self.config.k_t, self.config.mu],
                  outputs=[self.forces], device=self.device)
        return self.forces
