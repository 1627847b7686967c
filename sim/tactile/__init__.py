"""Visuotactile sensing on Warp (TacSL-style), CPU and CUDA, usable without Isaac Lab.

* :func:`render_tactile_images` / :class:`TactileRenderer`: indentation map (mm) -> GelSight image (Taxim shading
  with real calibration); the pure function shared by simulation, calibration and real-robot preprocessing. At the
  calibration's resolution, or directly at a policy's smaller size (``RenderSettings.image_size``).
* :class:`ForceField`: TacSL penalty force field on a taxel grid.
* :class:`TactileSensor`: both, for gel pads on the bodies of a Newton model.
* ``sim.tactile.isaaclab_sensor.VisuotactileSensorCfg``: the same as an Isaac Lab sensor (imported separately, so
  this package works without Isaac Lab).
* :func:`sim.tactile.preprocessing.preprocess_torch`: the robot's tactile preprocessing on torch tensors, for
  training.
"""

from sim.tactile.force_field import ForceField, ForceFieldConfig, taxel_positions
from sim.tactile.geometry import PrimitiveSpec, primitive_table
from sim.tactile.presets import SENSOR_PRESETS, SensorPreset, get_preset
from sim.tactile.render import RenderSettings, TactileRenderer, load_calibration, render_tactile_images
from sim.tactile.sensor import TactileSensor

__all__ = [
    "SENSOR_PRESETS",
    "ForceField",
    "ForceFieldConfig",
    "PrimitiveSpec",
    "RenderSettings",
    "SensorPreset",
    "TactileRenderer",
    "TactileSensor",
    "get_preset",
    "load_calibration",
    "primitive_table",
    "render_tactile_images",
    "taxel_positions",
]
