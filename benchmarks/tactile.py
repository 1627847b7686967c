"""`robot-ac bench tactile`: images/s and force-field readings/s against batch size, with a torch baseline.

The baseline is a straightforward vectorised torch implementation of the same render (conv2d blur, central
differences, table gather, polynomial over every pixel), run in the same process on the same inputs; its images are
checked against ours before timing. Workloads: ``typical`` (a sphere patch, well under 20% of the pad) and
``worst`` (the whole pad indented).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
import warp as wp

from benchmarks._results import scaling_axes, write_result
from robot_ac._plotting import pyplot
from sim.tactile.force_field import ForceField, ForceFieldConfig
from sim.tactile.geometry import PrimitiveSpec, primitive_table
from sim.tactile.presets import get_preset
from sim.tactile.render import BLUR_WEIGHTS, TactileRenderer, flat_direction_bin, load_calibration


def workloads(sensor: str) -> dict[str, np.ndarray]:
    preset = get_preset(sensor)
    rows, cols = np.mgrid[0:preset.height, 0:preset.width].astype(np.float64)
    r = np.hypot(cols - preset.width / 2, rows - preset.height / 2) * preset.mm_per_pixel
    typical = np.maximum(0.0, np.sqrt(np.maximum(16.0 - r**2, 0.0)) - 3.0)  # 4 mm sphere, 1 mm deep
    worst = 0.3 + 0.2 * np.sin(cols / 9.0) * np.cos(rows / 7.0)
    return {"typical": typical.astype(np.float32), "worst": worst.astype(np.float32)}


class TorchRenderer:
    """The baseline: the same Taxim render written as plain vectorised torch over all pixels."""

    def __init__(self, sensor: str, device: str = "cpu") -> None:
        preset = get_preset(sensor)
        calibration = load_calibration(preset.calibration_dir)
        self.bins = calibration.bins
        self.mm_per_pixel = preset.mm_per_pixel
        self.tables = torch.tensor(calibration.tables, dtype=torch.float32, device=device)
        self.background = torch.tensor(calibration.background_rgb, dtype=torch.float32, device=device)
        rows, cols = torch.meshgrid(torch.arange(preset.height, dtype=torch.float32),
                                    torch.arange(preset.width, dtype=torch.float32), indexing="ij")
        self.features = torch.stack([cols**2, rows**2, cols * rows, cols, rows, torch.ones_like(rows)], -1).to(device)
        kernel = torch.tensor(BLUR_WEIGHTS, dtype=torch.float32)
        self.kernel = torch.outer(kernel, kernel)[None, None].to(device)
        flat = self.background + self.features @ self.tables[:, 0, flat_direction_bin(self.bins)].T
        self.flat = torch.clamp(torch.floor(flat.double() + 0.5), 0, 255).to(torch.uint8)

    def render(self, indentation: torch.Tensor) -> torch.Tensor:
        height = torch.nn.functional.conv2d(indentation[:, None], self.kernel, padding=2)[:, 0] / self.mm_per_pixel
        padded = torch.nn.functional.pad(height[:, None], (1, 1, 1, 1), mode="replicate")[:, 0]
        d_row = 0.5 * (padded[:, 2:, 1:-1] - padded[:, :-2, 1:-1])
        d_col = 0.5 * (padded[:, 1:-1, 2:] - padded[:, 1:-1, :-2])
        # Border gradients reuse the inner neighbour, as the Warp renderer does.
        d_row[:, 0], d_row[:, -1] = d_row[:, 1], d_row[:, -2]
        d_col[:, :, 0], d_col[:, :, -1] = d_col[:, :, 1], d_col[:, :, -2]
        slope = torch.sqrt(d_row**2 + d_col**2)
        binm = self.bins - 1
        i = torch.clamp(torch.floor(torch.atan(slope) / (0.5 * torch.pi / binm)).long(), max=self.bins - 1)
        j = torch.clamp(torch.floor((torch.atan2(d_row, d_col) + torch.pi) / (2 * torch.pi / binm)).long(),
                        max=self.bins - 1)
        coefficients = self.tables[:, i, j]  # [3, N, H, W, 6]
        value = self.background.permute(2, 0, 1)[:, None] + (coefficients * self.features).sum(-1)
        image = torch.clamp(torch.floor(value + 0.5), 0, 255).to(torch.uint8).permute(1, 2, 3, 0)
        return torch.where((slope > 0)[..., None], image, self.flat)


def _rate(fn, batch: int, repeats: int) -> float:
    fn()
    best = float("inf")
    for _ in range(repeats):
        wp.synchronize()
        started = time.perf_counter()
        fn()
        wp.synchronize()
        best = min(best, time.perf_counter() - started)
    return batch / best


def bench_tactile(out_dir: Path, sensor: str = "gs_mini", batches: tuple[int, ...] = (1, 8, 64, 256, 512),
                  taxel_batches: tuple[int, ...] = (64, 512, 4096), baseline_batch: int | None = None, repeats: int = 3,
                  device: str = "cpu") -> Path:
    preset = get_preset(sensor)
    renderer = TactileRenderer(sensor, device=device)
    baseline = TorchRenderer(sensor, device="cuda" if device.startswith("cuda") else "cpu")
    rows: list[dict[str, Any]] = []
    baseline_batch = baseline_batch or (64 if 64 in batches else max(batches))
    for name, indentation in workloads(sensor).items():
        single = torch.from_numpy(indentation)[None]
        reference = baseline.render(single.to(baseline.background.device)).cpu().numpy()
        agreement = float(np.mean(reference == renderer.render(indentation)))
        for batch in batches:
            source = wp.array(np.repeat(indentation[None], batch, 0), dtype=float, device=device)
            out = wp.zeros((batch, preset.height, preset.width, 3), dtype=wp.uint8, device=device)
            ours = _rate(lambda: renderer.render_warp(source, out), batch, repeats)
            row = {"workload": name, "batch": batch, "images_per_s": ours, "baseline_images_per_s": None,
                   "ratio_to_baseline": None, "pixel_agreement_with_baseline": agreement}
            if batch == baseline_batch:
                torch_in = single.repeat(batch, 1, 1).to(baseline.background.device)
                base = _rate(lambda: baseline.render(torch_in), batch, repeats)
                row.update(baseline_images_per_s=base, ratio_to_baseline=ours / base)
            rows.append(row)
            extra = f"  torch {row['baseline_images_per_s']:.0f}/s  ratio {row['ratio_to_baseline']:.1f}" \
                if row["baseline_images_per_s"] else ""
            print(f"[bench tactile] {name:<8} batch {batch:>4}: {ours:8.0f} images/s{extra}", flush=True)
    force_rows = []
    config = ForceFieldConfig(rows=10, cols=10)
    for batch in taxel_batches:
        field = ForceField(batch, preset.width_mm * 1e-3, preset.height_mm * 1e-3, config, device=device)
        table = primitive_table([[PrimitiveSpec("sphere", (0.004, 0, 0), (0.0, 0.0, 0.003),
                                                linear_velocity=(0.01, 0.0, 0.0))]] * batch, device=device)
        rate = _rate(lambda: field.update(table), batch, repeats)
        force_rows.append({"batch": batch, "taxels": [config.rows, config.cols], "readings_per_s": rate})
        print(f"[bench tactile] force field 10x10, batch {batch:>5}: {rate:10.0f} readings/s", flush=True)
    result = {"benchmark": "tactile", "sensor": sensor, "resolution": [preset.width, preset.height],
              "device": device, "render": rows, "force_field": force_rows}
    return write_result(out_dir, f"bench_tactile_{sensor}_{device.replace(':', '')}", result,
                        _plot(rows, force_rows, sensor, device), device)


def _plot(rows, force_rows, sensor: str, device: str) -> Any:
    fig, (ax_img, ax_force) = pyplot().subplots(1, 2, figsize=(11, 4))
    for workload, marker in (("typical", "o-"), ("worst", "s-")):
        data = [r for r in rows if r["workload"] == workload]
        ax_img.plot([r["batch"] for r in data], [r["images_per_s"] for r in data], marker, label=f"Warp, {workload}")
        base = [r for r in data if r["baseline_images_per_s"]]
        ax_img.plot([r["batch"] for r in base], [r["baseline_images_per_s"] for r in base], "x", markersize=10,
                    label=f"torch baseline, {workload}")
    scaling_axes(ax_img, "sensors per batch", "images / s", f"{sensor} render on {device}")
    ax_img.legend(fontsize=8)
    ax_force.plot([r["batch"] for r in force_rows], [r["readings_per_s"] for r in force_rows], "o-")
    scaling_axes(ax_force, "sensors per batch", "force-field readings / s (10 x 10 taxels)")
    fig.tight_layout()
    return fig
