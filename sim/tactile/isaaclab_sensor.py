"""The tactile sensor as an Isaac Lab sensor, for Newton-backed (kit-less) environments.

    scene.left_tactile = VisuotactileSensorCfg(prim_path="{ENV_REGEX_NS}/Robot", body="panda_leftfinger",
                                               offset=VisuotactileSensorCfg.OffsetCfg(pos=..., rot=...))
    env.scene["left_tactile"].data.rgb  # (num_envs, H, W, 3) uint8 torch, no copy; H x W = cfg.image_size

Updates at ``update_period`` like every Isaac Lab sensor; the work is :class:`sim.tactile.TactileSensor` on the
Newton model and state Isaac Lab simulates.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import warp as wp
from isaaclab.sensors import SensorBase, SensorBaseCfg
from isaaclab.utils import configclass

from robot_ac.errors import RobotAcError
from sim.tactile.force_field import ForceFieldConfig
from sim.tactile.render import RenderSettings
from sim.tactile.sensor import TactileSensor


@dataclass
class VisuotactileData:
    rgb: object = None
    """(num_envs, H, W, 3) uint8 tactile images (torch); H x W: ``cfg.image_size``, by default the calibration's."""
    force_field: object = None
    """(num_envs, rows, cols, 3) float32 (f_x, f_y, f_n) per taxel, N, pad frame (torch)."""
    penetration: object = None
    """(num_envs, H, W) float32 penetration into the gel at each image pixel's centre, m (torch); with
    ``cfg.samples_per_pixel`` > 1 the mean over the pixel's samples."""
    taxel_positions: object = field(default=None)
    """(rows, cols, 3) taxel centres in the pad frame, m (numpy)."""


class VisuotactileSensor(SensorBase):
    cfg: VisuotactileSensorCfg

    def __init__(self, cfg: VisuotactileSensorCfg) -> None:
        super().__init__(cfg)
        self._data = VisuotactileData()
        self._sensor: TactileSensor | None = None

    @property
    def data(self) -> VisuotactileData:
        self._update_outdated_buffers()
        return self._data

    @property
    def no_contact_image(self):
        """(H, W, 3) uint8 numpy: the untouched gel, the reference of difference images."""
        return self._sensor.renderer.no_contact_image

    def reset(self, env_ids: Sequence[int] | None = None, env_mask: wp.array | None = None) -> None:
        super().reset(env_ids, env_mask)

    def _initialize_impl(self) -> None:
        from isaaclab_newton.physics import NewtonManager

        super()._initialize_impl()
        model = NewtonManager.get_model()
        root = re.compile(self.cfg.prim_path)
        pads = [label for label in model.body_label
                if label.rsplit("/", 1)[-1] == self.cfg.body and any(root.fullmatch(label[:i])
                                                                    for i in range(len(label)) if label[i] == "/")]
        if len(pads) != self._num_envs:
            raise RobotAcError(f"tactile sensor: body '{self.cfg.body}' under '{self.cfg.prim_path}' matched "
                               f"{len(pads)} bodies, expected one per environment ({self._num_envs})")
        self._sensor = TactileSensor(
            model, pads=pads, sensor=self.cfg.sensor, pad_offset=wp.transform(self.cfg.offset.pos, self.cfg.offset.rot),
            force_field=ForceFieldConfig(rows=self.cfg.taxels[0], cols=self.cfg.taxels[1], k_n=self.cfg.k_n,
                                         k_t=self.cfg.k_t, mu=self.cfg.mu),
            render=(RenderSettings(channel_order=self.cfg.channel_order, image_size=self.cfg.image_size,
                                   samples_per_pixel=self.cfg.samples_per_pixel)
                    if self.cfg.render_images else None),
            felt=[f"*/{body}" for body in self.cfg.felt_bodies] or None)
        self._data.taxel_positions = self._sensor.taxel_positions

    def _update_buffers_impl(self, env_mask: wp.array) -> None:
        from isaaclab_newton.physics import NewtonManager

        # Every pad shares one launch; updating all envs costs the same as updating the masked ones.
        self._sensor.update(NewtonManager.get_state_0())
        self._data.rgb = self._sensor.rgb_torch if self._sensor.rgb is not None else None
        self._data.force_field = self._sensor.force_field_torch
        self._data.penetration = wp.to_torch(self._sensor.penetration)


@configclass
class VisuotactileSensorCfg(SensorBaseCfg):
    """A GelSight-style pad on a body of an articulation or rigid object."""

    @configclass
    class OffsetCfg:
        pos: tuple[float, float, float] = (0.0, 0.0, 0.0)
        """Gel surface centre in the body frame, m."""
        rot: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 1.0)
        """Pad frame orientation in the body frame, quaternion (x, y, z, w): pad z points out of the gel."""

    class_type: type = VisuotactileSensor
    body: str = ""
    """Name of the body carrying the pad (last component of its prim path), e.g. ``panda_leftfinger``."""
    sensor: str = "gs_mini"
    offset: OffsetCfg = OffsetCfg()
    taxels: tuple[int, int] = (10, 10)
    """Force-field grid, rows x cols."""
    k_n: float = 1.0
    """Normal stiffness, N/m (TacSL default)."""
    k_t: float = 0.1
    """Tangential damping, N·s/m."""
    mu: float = 2.0
    felt_bodies: tuple[str, ...] = ()
    """Prim names (last path component) of the bodies the gel can feel, e.g. ``("Peg",)``; empty: every body.
    Naming the few bodies that can touch the pad saves most of the sensor's time in a cluttered scene."""
    render_images: bool = True
    """Render GelSight images (off: force field and penetration only)."""
    channel_order: str = "rgb"
    image_size: tuple[int, int] | None = None
    """(rows, cols) of ``data.rgb`` and ``data.penetration``; None: the calibration's resolution (240 x 320 for
    gs_mini). A size dividing it, e.g. the policy's (24, 32), renders the images directly at that size, close to the
    block mean of the full-resolution image at a fraction of the cost (see ``sim.tactile.render``)."""
    samples_per_pixel: int = 1
    """Supersampling of a coarse ``image_size``: the gel is sampled on s x s points per image pixel, each shaded and
    the pixel their mean (``data.penetration``: the mean penetration). 1: one sample at each pixel's centre. Needed
    for flat faces, e.g. the peg's square face at (24, 32): its correlation with the block-averaged full-resolution
    image is 0.61 with 1, 0.93 with 3 (0.88 at the worst edge position), 0.97 with 4 (0.92 at worst), for a sensor
    update ~75 x, ~10 x, ~6 x cheaper than at full resolution (see ``sim.tactile.render``)."""
