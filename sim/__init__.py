"""Simulation side of robot-ac: Isaac Lab 3 (kit-less) on Newton, local assets, task definitions.

Imports isaaclab / newton / warp lazily inside the functions that build environments, so the task registry
(``sim.tasks.TASKS``) loads in milliseconds for `robot-ac tasks`.
"""

from pathlib import Path

ASSETS_DIR = Path(__file__).resolve().parent / "assets"
"""Robot and object models that ship with the package."""
