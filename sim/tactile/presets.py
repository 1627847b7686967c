"""GelSight sensor presets: image size, scale and the calibration that shades them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from robot_ac.errors import RobotAcError
from sim import ASSETS_DIR

CALIBRATION_DIR = ASSETS_DIR / "gelsight"


@dataclass(frozen=True)
class SensorPreset:
    name: str
    width: int
    """Image width, pixels (columns)."""
    height: int
    """Image height, pixels (rows)."""
    mm_per_pixel: float
    camera_to_gel_mm: float
    calibration_dir: Path

    @property
    def width_mm(self) -> float:
        return self.width * self.mm_per_pixel

    @property
    def height_mm(self) -> float:
        return self.height * self.mm_per_pixel


SENSOR_PRESETS = {
    "gs_mini": SensorPreset("gs_mini", width=320, height=240, mm_per_pixel=0.065, camera_to_gel_mm=26.7,
                            calibration_dir=CALIBRATION_DIR / "gs_mini"),
    "r15": SensorPreset("r15", width=240, height=320, mm_per_pixel=0.0877, camera_to_gel_mm=20.343,
                        calibration_dir=CALIBRATION_DIR / "r15"),
}


def get_preset(name: str) -> SensorPreset:
    if name not in SENSOR_PRESETS:
        raise RobotAcError(f"unknown tactile sensor '{name}'; available: {', '.join(sorted(SENSOR_PRESETS))}")
    return SENSOR_PRESETS[name]
