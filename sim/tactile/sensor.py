"""Visuotactile sensors on a Newton model: GelSight images and TacSL force fields for gel pads on bodies.

    sensor = TactileSensor(model, pads="*gelpad*", sensor="gs_mini", taxels=(10, 10))  # raises if no body matches
    sensor.update(state)   # fills sensor.rgb (n_pads, H, W, 3) uint8, sensor.force_field (n_pads, 10, 10, 3) N,
                           # sensor.penetration (n_pads, H, W) m; all Warp arrays on the model's device

H x W is the calibration's resolution, or ``render=RenderSettings(image_size=(24, 32))`` for images rendered
directly at a policy's smaller size (penetration sampled at the coarse pixels' centres; see ``sim.tactile.render``),
and ``RenderSettings(image_size=(24, 32), samples_per_pixel=4)`` to supersample them: the penetration is then taken on
4 x 4 points per pixel (96 x 128), the image shaded from those, and ``sensor.penetration`` is each pixel's mean.

Each pad is the gel surface of a body, at ``pad_offset`` in the body frame (z out of the gel, x along image columns;
see ``geometry``). The bodies it feels are the model's sphere, box, capsule and cylinder shapes on other bodies (or
static), and triangle-mesh shapes (through ``wp.Mesh`` ray queries), in the pad's world; SDF volumes are not felt
yet. ``felt`` (body-label patterns) narrows what the pads feel to the bodies that can touch them, which is most of
the cost in a cluttered scene. Relative velocities come from ``state.body_qd``
(Newton: linear velocity of the centre of mass and angular velocity, world frame). ``*_torch`` properties give the
same buffers as torch tensors without copies.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence

import numpy as np
import warp as wp

from robot_ac.errors import RobotAcError
from sim.tactile.force_field import ForceField, ForceFieldConfig
from sim.tactile.geometry import BOX, CAPSULE, CYLINDER, MESH, NONE, SPHERE, Primitive, penetration_span_kernel
from sim.tactile.presets import get_preset
from sim.tactile.render import RenderSettings, TactileRenderer

_SPAN = 16
"""Image-grid columns per thread of the penetration launch."""
_NEWTON_TO_PRIMITIVE = {"SPHERE": SPHERE, "BOX": BOX, "CAPSULE": CAPSULE, "CYLINDER": CYLINDER, "MESH": MESH,
                        "CONVEX_MESH": MESH}


@wp.kernel
def _build_primitives(body_q: wp.array(dtype=wp.transform), body_qd: wp.array(dtype=wp.spatial_vector),
                      body_com: wp.array(dtype=wp.vec3), shape_kind: wp.array(dtype=int),
                      shape_scale: wp.array(dtype=wp.vec3), shape_transform: wp.array(dtype=wp.transform),
                      shape_body: wp.array(dtype=int), shape_source: wp.array(dtype=wp.uint64),
                      pad_body: wp.array(dtype=int), pad_offset: wp.transform,
                      candidates: wp.array2d(dtype=int), out: wp.array2d(dtype=Primitive)):
    n, k = wp.tid()
    p = Primitive()
    shape = candidates[n, k]
    if shape < 0:
        p.kind = NONE
        out[n, k] = p
        return
    pb = pad_body[n]
    pad = body_q[pb] * pad_offset
    pad_inv = wp.transform_inverse(pad)
    b = shape_body[shape]
    x_shape = shape_transform[shape]
    if b >= 0:
        x_shape = body_q[b] * shape_transform[shape]
    origin = wp.transform_get_translation(x_shape)
    # Velocity field of the body relative to the pad, as (velocity at the shape origin, angular velocity).
    pad_com = wp.transform_point(body_q[pb], body_com[pb])
    w_pad = wp.spatial_bottom(body_qd[pb])
    v_pad_at_origin = wp.spatial_top(body_qd[pb]) + wp.cross(w_pad, origin - pad_com)
    v_body = wp.vec3(0.0, 0.0, 0.0)
    w_body = wp.vec3(0.0, 0.0, 0.0)
    if b >= 0:
        w_body = wp.spatial_bottom(body_qd[b])
        v_body = wp.spatial_top(body_qd[b]) + wp.cross(w_body, origin - wp.transform_point(body_q[b], body_com[b]))
    p.kind = shape_kind[shape]
    p.pose = pad_inv * x_shape
    p.size = shape_scale[shape]
    p.mesh = shape_source[shape]
    p.linear_velocity = wp.transform_vector(pad_inv, v_body - v_pad_at_origin)
    p.angular_velocity = wp.transform_vector(pad_inv, w_body - w_pad)
    out[n, k] = p


@wp.kernel
def _pixel_mean(samples: wp.array3d(dtype=float), per_pixel: int, scale: float, dst: wp.array3d(dtype=float)):
    """dst[n, r, c] = ``scale`` x the mean of the per_pixel x per_pixel samples of pixel (r, c)."""
    n, r, c = wp.tid()
    acc = float(0.0)
    for a in range(per_pixel):
        for b in range(per_pixel):
            acc += samples[n, r * per_pixel + a, c * per_pixel + b]
    dst[n, r, c] = acc * scale / float(per_pixel * per_pixel)


class TactileSensor:
    def __init__(self, model, pads: str | Sequence[str], *, sensor: str = "gs_mini",
                 pad_offset: wp.transform | None = None, taxels: tuple[int, int] = (10, 10),
                 force_field: ForceFieldConfig | None = None, render: RenderSettings | None = RenderSettings(),
                 felt: str | Sequence[str] | None = None):
        import newton

        self.model = model
        self.device = model.device
        labels = list(model.body_label)
        patterns = [pads] if isinstance(pads, str) else list(pads)
        pad_bodies = [i for i, label in enumerate(labels) if any(fnmatch.fnmatch(label, p) for p in patterns)]
        if not pad_bodies:
            raise RobotAcError(f"no body matches pads={patterns}; bodies: {labels[:20]}"
                               + (" ..." if len(labels) > 20 else ""))
        self.pad_names = [labels[i] for i in pad_bodies]
        self.preset = get_preset(sensor)
        self.pad_offset = pad_offset if pad_offset is not None else wp.transform_identity()
        self.width, self.height = self.preset.width_mm * 1e-3, self.preset.height_mm * 1e-3

        kinds = np.full(model.shape_count, -1, dtype=np.int32)
        for name, kind in _NEWTON_TO_PRIMITIVE.items():
            kinds[model.shape_type.numpy() == int(getattr(newton.GeoType, name))] = kind
        shape_body = model.shape_body.numpy()
        shape_world = model.shape_world.numpy() if model.shape_world is not None else np.full(model.shape_count, -1)
        body_world = model.body_world.numpy() if model.body_world is not None else np.full(model.body_count, -1)
        felt_patterns = [felt] if isinstance(felt, str) else list(felt or ["*"])
        felt_body = np.array([any(fnmatch.fnmatch(label, p) for p in felt_patterns) for label in labels] + [True])
        if felt is not None and not felt_body[:-1].any():
            raise RobotAcError(f"no body matches felt={felt_patterns}; bodies: {labels[:20]}"
                               + (" ..." if len(labels) > 20 else ""))
        # Static shapes (body -1, index -1 of felt_body) are felt only when every body is.
        felt_body[-1] = felt is None
        felt = [[s for s in range(model.shape_count)
                 if kinds[s] >= 0 and shape_body[s] != pad and shape_world[s] in (-1, body_world[pad])
                 and felt_body[shape_body[s]]]
                for pad in pad_bodies]
        slots = max(1, max(len(f) for f in felt))
        candidates = np.full((len(pad_bodies), slots), -1, dtype=np.int32)
        for n, shapes in enumerate(felt):
            candidates[n, :len(shapes)] = shapes
        self._candidates = wp.array(candidates, dtype=int, device=self.device)
        self._shape_kind = wp.array(np.maximum(kinds, NONE), dtype=int, device=self.device)
        self._pad_body = wp.array(np.array(pad_bodies, dtype=np.int32), dtype=int, device=self.device)
        self.primitives = wp.zeros((len(pad_bodies), slots), dtype=Primitive, device=self.device)
        """What each pad can touch this step, in its pad frame."""

        n = len(pad_bodies)
        self.renderer = TactileRenderer(self.preset, render, device=str(self.device)) if render else None
        shape = (n, *self.renderer.image_size) if self.renderer else (n, self.preset.height, self.preset.width)
        samples = (n, *self.renderer.sample_size) if self.renderer else shape
        self.penetration = wp.zeros(shape, dtype=float, device=self.device)
        """Penetration into the gel at each image pixel's centre (m), (n_pads, H, W); with supersampling the mean of
        the pixel's samples."""
        self._penetration_mm = wp.zeros(samples, dtype=float, device=self.device)
        """Penetration at the renderer's samples (mm), what it shades; :attr:`penetration` is each pixel's mean."""
        self.rgb = wp.zeros((*shape, 3), dtype=wp.uint8, device=self.device) if render else None
        """Tactile images (n_pads, H, W, 3) uint8, channel order from the render settings."""
        config = force_field or ForceFieldConfig(rows=taxels[0], cols=taxels[1])
        self._force_field = ForceField(n, self.width, self.height, config, device=str(self.device))
        self.taxel_positions = self._force_field.positions
        """(rows, cols, 3) taxel centres in the pad frame (m)."""

    @property
    def force_field(self) -> wp.array:
        """(n_pads, rows, cols) of vec3 (f_x, f_y, f_n), N, pad frame: the force of the gel on the bodies."""
        return self._force_field.forces

    def update(self, state) -> None:
        model = self.model
        wp.launch(_build_primitives, dim=self.primitives.shape,
                  inputs=[state.body_q, state.body_qd, model.body_com, self._shape_kind, model.shape_scale,
                          model.shape_transform, model.shape_body, model.shape_source_ptr, self._pad_body,
                          self.pad_offset,
                          self._candidates], outputs=[self.primitives], device=self.device)
        if self.renderer is not None:
            n, rows, cols = self._penetration_mm.shape
            wp.launch(penetration_span_kernel, dim=(n, rows, (cols + _SPAN - 1) // _SPAN),
                      inputs=[self.primitives, self.width, self.height, _SPAN, 1000.0],
                      outputs=[self._penetration_mm], device=self.device)
            wp.launch(_pixel_mean, dim=self.penetration.shape,
                      inputs=[self._penetration_mm, self.renderer.samples_per_pixel, 1.0e-3],
                      outputs=[self.penetration], device=self.device)
            self.renderer.render_warp(self._penetration_mm, self.rgb)
        self._force_field.update(self.primitives)

    @property
    def rgb_torch(self):
        return wp.to_torch(self.rgb)

    @property
    def force_field_torch(self):
        """(n_pads, rows, cols, 3) float32 torch view of :attr:`force_field`."""
        return wp.to_torch(self.force_field)
