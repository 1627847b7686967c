"""`robot-ac tactile render` and `robot-ac tactile demo`: images and force fields a person can look at."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from robot_ac._plotting import png_bytes, pyplot
from robot_ac._atomic import atomic_write_bytes
from robot_ac.errors import RobotAcError
from sim.tactile.force_field import ForceField, ForceFieldConfig
from sim.tactile.geometry import PrimitiveSpec, penetration_kernel, primitive_table
from sim.tactile.presets import get_preset
from sim.tactile.render import RenderSettings, TactileRenderer


def _encode_png(rgb: np.ndarray) -> bytes:
    import cv2

    ok, data = cv2.imencode(".png", np.ascontiguousarray(rgb[..., ::-1]))
    if not ok:
        raise RobotAcError("PNG encoding failed")
    return data.tobytes()


def render_file(indentation_path: Path, out: Path, sensor: str = "gs_mini", diff: bool = False) -> list[Path]:
    """Render an .npy indentation map ([H, W] or [N, H, W], mm) to PNG(s); N > 1 writes out_000.png, ..."""
    if not indentation_path.is_file():
        raise RobotAcError(f"indentation file '{indentation_path}' not found")
    try:
        indentation = np.load(indentation_path, allow_pickle=False)
    except ValueError as exc:
        raise RobotAcError(f"'{indentation_path}' is not a numpy .npy array ({exc})") from exc
    renderer = TactileRenderer(sensor, RenderSettings(output="diff" if diff else "image"))
    images = renderer.render(indentation)
    if diff:  # show signed differences around mid-grey
        images = np.clip(images.astype(np.int32) * 2 + 128, 0, 255).astype(np.uint8)
    paths = [out] if len(images) == 1 else [out.with_name(f"{out.stem}_{i:03d}{out.suffix}")
                                            for i in range(len(images))]
    for path, image in zip(paths, images):
        atomic_write_bytes(path, _encode_png(image))
    return paths


def demo_scenes() -> dict[str, PrimitiveSpec]:
    """A sphere, a cube edge and a lying cylinder pressed 0.8 mm into the pad, each sliding to +x at 5 cm/s."""
    edge = (0.0, math.sin(math.pi / 8), 0.0, math.cos(math.pi / 8))  # cube rotated 45 deg about y: an edge down
    lying = (math.sqrt(0.5), 0.0, 0.0, math.sqrt(0.5))
    half = 0.004
    slide = (0.05, 0.0, 0.0)
    return {
        "sphere (r 5 mm)": PrimitiveSpec("sphere", (0.005, 0, 0), (0.0, 0.0, 0.005 - 0.0008), linear_velocity=slide),
        "cube edge (8 mm)": PrimitiveSpec("box", (half, half, half), (0.0, 0.0, half * math.sqrt(2) - 0.0008),
                                          edge, linear_velocity=slide),
        "cylinder (r 3 mm)": PrimitiveSpec("cylinder", (0.003, 0.006, 0), (0.0, 0.0, 0.003 - 0.0008), lying,
                                           linear_velocity=slide),
    }


def demo_sheet(out: Path, sensor: str = "gs_mini", taxels: tuple[int, int] = (10, 14)) -> Path:
    """PNG sheet: one column per scene; rows: rendered image, difference image, force-field quiver."""
    plt = pyplot()
    import warp as wp

    preset = get_preset(sensor)
    width, height = preset.width_mm * 1e-3, preset.height_mm * 1e-3
    scenes = demo_scenes()
    table = primitive_table([[spec] for spec in scenes.values()])
    depth = wp.zeros((len(scenes), preset.height, preset.width), dtype=float)
    body = wp.zeros(depth.shape, dtype=int)
    wp.launch(penetration_kernel, dim=depth.shape, inputs=[table, width, height], outputs=[depth, body])
    renderer = TactileRenderer(preset)
    images = renderer.render(depth.numpy() * 1e3)
    field = ForceField(len(scenes), width, height, ForceFieldConfig(rows=taxels[0], cols=taxels[1], k_n=1000.0))
    forces = field.update(table).numpy()
    positions = field.positions * 1e3

    fig, axes = plt.subplots(3, len(scenes), figsize=(4.2 * len(scenes), 9.5))
    extent = (-preset.width_mm / 2, preset.width_mm / 2, preset.height_mm / 2, -preset.height_mm / 2)
    for col, name in enumerate(scenes):
        axes[0, col].imshow(images[col], extent=extent)
        axes[0, col].set_title(f"{name}: RGB")
        diff = np.abs(images[col].astype(int) - renderer.no_contact_rgb.astype(int)).sum(axis=-1)
        axes[1, col].imshow(diff, cmap="magma", extent=extent)
        axes[1, col].set_title("|image - no contact|")
        normal = forces[col, ..., 2]
        shear = forces[col, ..., :2]
        ax = axes[2, col]
        ax.scatter(positions[..., 0], positions[..., 1], c=normal, cmap="viridis", vmin=0.0,
                   s=8 + 120 * normal / max(normal.max(), 1e-12))
        # Arrows scaled so the largest shear spans one taxel pitch.
        pitch = preset.width_mm / taxels[1]
        scale = max(np.linalg.norm(shear, axis=-1).max(), 1e-12) / pitch
        ax.quiver(positions[..., 0], positions[..., 1], shear[..., 0], shear[..., 1], color="tab:red",
                  angles="xy", scale_units="xy", scale=scale)
        ax.set_xlim(extent[0], extent[1])
        ax.set_ylim(extent[2], extent[3])
        ax.set_aspect("equal")
        ax.set_title(f"normal max {normal.max():.2f} N, shear max {np.linalg.norm(shear, axis=-1).max():.3f} N")
    for ax in axes.flat:
        ax.set_xlabel("x (mm)")
        ax.set_ylabel("y (mm)")
    fig.suptitle(f"{sensor}: objects pressed 0.8 mm, sliding +x at 5 cm/s (k_n 1000 N/m, k_t 0.1, mu 2)")
    fig.tight_layout()
    png = png_bytes(fig, dpi=90)
    return atomic_write_bytes(out, png)
