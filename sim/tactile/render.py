"""GelSight image rendering: indentation map (mm) -> RGB image, Taxim polynomial shading on Warp (CPU or CUDA).

Pipeline, per sensor image (H x W pixels, the calibration's resolution unless ``RenderSettings.image_size`` asks for
fewer, see "Coarse images" below):

1. height map: the indentation (penetration, mm, >= 0) smoothed by a 5 x 5 binomial kernel ([1 4 6 4 1]/16 outer
   product, zero padding: TacSL's gel compliance), divided by mm/pixel, so heights are in pixels. Sign: Taxim's
   calibration convention, height positive where the object presses in (towards the camera). TacSL and Isaac Lab
   pass the negated map, which turns every gradient direction by 180 degrees relative to the calibration; we do not.
2. gradients by central differences along rows and columns (the border reuses its inner neighbour), magnitude
   ``atan(|grad h|)`` and direction ``atan2(dh/drow, dh/dcol)``, as Taxim's ``simOptical.py``.
3. bins as in Taxim's calibration (``polyTableCalib.py``): ``binm = bins - 1``, magnitude bin
   ``floor(mag / (pi/2 / binm))``, direction bin ``floor((dir + pi) / (2 pi / binm))``. ``bins`` comes from the
   calibration file (125 for both shipped sensors). TacSL's renderer and Isaac Lab hard-code 120, a value carried
   over from an older Taxim table that really had 120 bins; with a 125-bin table it skews directions by up to ~14
   degrees. ``RenderSettings.num_bins`` can force 120 to reproduce them.
4. colour change per channel ``p[mag_bin, dir_bin] . [x^2, y^2, x y, x, y, 1]`` with x the pixel column and y the
   pixel row (raw indices), added to the background ``bg.jpg``; rounded, clipped to [0, 255], uint8.

Channels: the tables ``grad_r, grad_g, grad_b`` are applied to the R, G, B channels of the background as TacSL and
Isaac Lab (who published these files) do; images are RGB unless ``channel_order="bgr"`` (what OpenCV-based GelSight
drivers publish).

No contact: a flat gel has zero gradient everywhere, i.e. bin (0, floor(pi / (2 pi / binm))); its image is
``bg + P_flat`` (not bg.jpg itself) and is computed once in float64. Every pixel whose gradient is exactly zero takes
its value from that image, which makes the no-contact image exact; pixels farther than ``CONTACT_MARGIN_PX`` from
any indentation are not visited at all (the image is copied there in bulk), so the cost follows the contact area. The
difference image (``output="diff"``) is ``image - no_contact`` as int16, exactly zero there.

Coarse images: a policy that block-averages the image (``TactilePreprocessing``) gets nearly the same input, at a
fraction of the cost, from an image rendered directly at its size. With ``image_size = (rows, cols)`` dividing the
calibration's H x W, each coarse pixel stands for a block of ``f_r x f_c = H / rows x W / cols`` calibration pixels:

* the indentation map is rows x cols, sampled at the blocks' centres;
* heights stay in calibration pixels and the central differences are divided by the factors, so gradients are per
  calibration pixel, as the table was fitted;
* the blur keeps its physical reach of 2 calibration pixels (:func:`blur_weights`: none from f = 3 on);
* the polynomial is the block mean of the calibration pixels' polynomials: x, y the block centre's calibration
  coordinates, plus the spread ``(f² - 1) / 12`` of x² and y² over the block;
* the background is bg.jpg block-averaged, and the no-contact image is built from the same, so the difference is
  still exactly zero without contact.

At full resolution every factor is 1 and this is the pipeline above, bit for bit. Smooth indenters (spheres,
cylinders) come out close to the block-averaged full-resolution image (``tests/test_tactile_render.py``). A step in
the indentation (the edge of a flat face pressed into the gel) does not: point samples cannot place it within a coarse
pixel, so its line spreads over the 2 pixels next to it with a saturated colour, where the full-resolution image
shades a band of about 6 calibration pixels (measured for a 12 mm square peg pressed 0.5 mm into gs_mini: correlation
with the block-averaged image 0.61 at 24 x 32, 0.65 at 48 x 64, 0.91 at 120 x 160).

Supersampling (``samples_per_pixel = s > 1``, coarse images only): the indentation is taken on an s x s grid of
samples per image pixel (maps of ``sample_size = (s rows, s cols)``, sample centres ``(k + 1/2) g - 1/2`` in
calibration pixels, spacing ``g = f / s``); heights, blur and gradients are computed on that grid, every sample is
shaded with the polynomial's mean over its own g x g footprint (spread ``(g² - 1) / 12``), clipped to [0, 255] as a
full-resolution pixel is, and an image pixel is the mean of its s x s shaded samples, rounded once. This is the
full-resolution render block-averaged, computed at g-pixel spacing: with s = f it is that, up to the clipping (done
against the block-mean background) and the rounding. The blur on the sample grid is a 3-tap kernel with the gel's
variance (1 calibration pixel², the binomial's) plus a sample footprint's (g² / 12): point samples spaced g apart
place an edge only to within g, and this spread is what keeps a flat face's edge from shading too steep and narrow a
line (:func:`supersample_blur_weights`). Averaging the indentation over the samples instead (a box filter on the
height map, then the coarse pipeline) places edges but does not help: the edge's colour comes from its slope, which
the coarse central difference still spreads over two pixels (square peg at 24 x 32: correlation 0.61 -> 0.65). The
samples without a gradient are shaded as the flat gel, and pixels none of whose samples has one keep the no-contact
image, so that stays exact. Cost: that of the sample grid's size for the geometry (the penetration rays, most of a
sensor update) and the shading.

Square peg (12 mm face pressed 0.5 mm, gs_mini), correlation with the block-averaged full-resolution image (worst
over edge positions within a pixel and both orientations in brackets), and a CPU ``TactileSensor.update`` of 64 pads
relative to full resolution: 24 x 32: s = 1 0.61 (0.58), ~75 x cheaper; s = 2 0.70 (0.70), ~20 x; s = 3 0.93
(0.88), ~10 x; s = 4 0.97 (0.92), ~6 x; s = 5 0.99 (0.95), ~4 x. 48 x 64: s = 1 0.65 (0.65), ~25 x; s = 2 0.96
(0.91), ~6 x. Spheres and cylinders: >= 0.97 at s = 1, >= 0.99 from s = 2 on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import warp as wp

from robot_ac.errors import RobotAcError
from sim.tactile.presets import SensorPreset, get_preset

BLUR_WEIGHTS = (1.0 / 16.0, 4.0 / 16.0, 6.0 / 16.0, 4.0 / 16.0, 1.0 / 16.0)


def supersample_blur_weights(spacing: float) -> tuple[float, ...]:
    """The 5-tap smoothing kernel on a supersampling grid with ``spacing`` calibration pixels between samples: 3 taps
    [w, 1 - 2 w, w] whose variance is the gel's (the binomial's, 1 calibration pixel²) plus a sample footprint's
    (spacing² / 12), i.e. ``w = (1 + g² / 12) / (2 g²)``; below g = 1.55, where that w would exceed 1/4, the binomial
    sampled every g calibration pixels (linearly interpolated between its taps) and renormalised, which is the
    binomial itself at g = 1. Square peg at 24 x 32 x 4 x 4 (g = 2.5): correlation with the block-averaged
    full-resolution image 0.83 with the binomial sampled every g pixels (no smoothing at all), 0.94 with the gel's
    variance alone, 0.97 with this kernel."""
    g = float(spacing)
    w = (1.0 + g * g / 12.0) / (2.0 * g * g)
    if w <= 0.25:
        return (0.0, w, 1.0 - 2.0 * w, w, 0.0)
    taps = []
    for k in range(-2, 3):
        d = abs(k) * g
        i = int(math.floor(d))
        taps.append(0.0 if d > 2.0 else BLUR_WEIGHTS[2 + i] * (1.0 - (d - i))
                    + (BLUR_WEIGHTS[3 + i] * (d - i) if d > i else 0.0))
    return tuple(tap / sum(taps) for tap in taps)


def blur_weights(factor: int) -> tuple[float, ...]:
    """The 5-tap smoothing kernel along an axis whose pixels each span ``factor`` calibration pixels: the binomial
    sampled every ``factor`` calibration pixels and renormalised, so the gel's compliance keeps its physical reach of
    2 calibration pixels. ``BLUR_WEIGHTS`` at full resolution, [1 6 1] / 8 at factor 2, no smoothing from factor 3 on
    (the reach falls inside one coarse pixel). Wider kernels (e.g. the binomial's variance in coarse pixels spread
    over 3 taps) match the block-averaged full-resolution image less well: the coarse central differences already
    span 2 coarse pixels."""
    taps = [BLUR_WEIGHTS[2 + k * factor] if abs(k * factor) <= 2 else 0.0 for k in range(-2, 3)]
    return tuple(tap / sum(taps) for tap in taps)


@dataclass(frozen=True)
class RenderSettings:
    num_bins: int | None = None
    """Gradient bins; None: the calibration file's ``bins`` (125)."""
    blur: bool = True
    """Smooth the indentation with the 5 x 5 binomial kernel (gel compliance)."""
    channel_order: Literal["rgb", "bgr"] = "rgb"
    output: Literal["image", "diff"] = "image"
    """``image``: uint8 [N, H, W, 3]; ``diff``: int16 [N, H, W, 3] = image - no-contact image."""
    image_size: tuple[int, int] | None = None
    """(rows, cols) of the rendered images and of the indentation maps they take; None: the calibration's resolution
    (240 x 320 for gs_mini). A smaller size must divide it, e.g. (24, 32): the image is then rendered directly at that
    size, close to the block mean of the full-resolution image, at a cost that falls with the pixel count."""
    samples_per_pixel: int = 1
    """s: supersampling of coarse images (see the module's "Supersampling"): the indentation maps are s rows x s
    cols per image pixel, shaded per sample and averaged. 1: one sample at each pixel's centre. At most the
    calibration pixels per image pixel along either axis (10 for 24 x 32 on gs_mini). A flat face's edges (the
    peg's square face) need it: at 24 x 32 the correlation with the block-averaged full-resolution image goes from
    0.61 to 0.93 with 3 (0.88 at the worst edge position; a sensor update ~10 x cheaper than full resolution) and
    0.97 with 4 (0.92 at worst; ~6 x cheaper)."""


@dataclass(frozen=True)
class Calibration:
    tables: np.ndarray
    """[3 (r, g, b), bins, bins, 6] polynomial coefficients."""
    bins: int
    background_rgb: np.ndarray
    """[H, W, 3] float64, RGB."""


def load_calibration(folder: str | Path) -> Calibration:
    """Read ``polycalib.npz`` and ``bg.jpg`` from ``folder``; errors name the file and what is wrong."""
    import cv2

    folder = Path(folder)
    table_path, bg_path = folder / "polycalib.npz", folder / "bg.jpg"
    for path in (table_path, bg_path):
        if not path.is_file():
            raise RobotAcError(f"tactile calibration file '{path}' is missing")
    try:
        data = np.load(table_path)
        tables = np.stack([data["grad_r"], data["grad_g"], data["grad_b"]]).astype(np.float64)
        bins = int(data["bins"])
    except (KeyError, ValueError, OSError) as exc:
        raise RobotAcError(f"'{table_path}' is not a Taxim polynomial table (needs grad_r, grad_g, grad_b, bins): "
                           f"{exc}") from exc
    if tables.shape[1:] != (bins, bins, 6):
        raise RobotAcError(f"'{table_path}': tables have shape {tables.shape[1:]}, expected ({bins}, {bins}, 6) "
                           f"for bins = {bins}")
    background = cv2.imread(str(bg_path), cv2.IMREAD_COLOR)
    if background is None:
        raise RobotAcError(f"'{bg_path}' cannot be read as an image")
    return Calibration(tables=tables, bins=bins, background_rgb=background[..., ::-1].astype(np.float64))


def flat_direction_bin(bins: int) -> int:
    return int(math.floor(math.pi / (2.0 * math.pi / (bins - 1))))


CONTACT_MARGIN_PX = 4
"""Work is done within this many pixels of the indented pixels (blur radius 2 + gradient stencil 1, plus 1);
farther out the gradient is exactly zero and the pixel is the no-contact image, copied in bulk."""


@wp.kernel
def _contact_bounds(src: wp.array3d(dtype=float), bounds: wp.array2d(dtype=int)):
    """Per image: first/last indented row and column, or (rows, -1, cols, -1) when nothing touches."""
    n = wp.tid()
    rows = src.shape[1]
    cols = src.shape[2]
    r0 = rows
    r1 = int(-1)
    c0 = cols
    c1 = int(-1)
    for r in range(rows):
        for c in range(cols):
            if src[n, r, c] > 0.0:
                r0 = wp.min(r0, r)
                r1 = wp.max(r1, r)
                c0 = wp.min(c0, c)
                c1 = wp.max(c1, c)
    bounds[n, 0] = r0
    bounds[n, 1] = r1
    bounds[n, 2] = c0
    bounds[n, 3] = c1


@wp.kernel
def _reset_bounds(bounds: wp.array2d(dtype=int), rows: int, cols: int):
    n = wp.tid()
    bounds[n, 0] = rows
    bounds[n, 1] = -1
    bounds[n, 2] = cols
    bounds[n, 3] = -1


@wp.kernel
def _contact_bounds_atomic(src: wp.array3d(dtype=float), bounds: wp.array2d(dtype=int)):
    """GPU variant of :func:`_contact_bounds`: one thread per pixel, atomics per image."""
    n, r, c = wp.tid()
    if src[n, r, c] > 0.0:
        wp.atomic_min(bounds, n, 0, r)
        wp.atomic_max(bounds, n, 1, r)
        wp.atomic_min(bounds, n, 2, c)
        wp.atomic_max(bounds, n, 3, c)


@wp.func
def _row_active(bounds: wp.array2d(dtype=int), n: int, r: int, margin: int) -> bool:
    return r >= bounds[n, 0] - margin and r <= bounds[n, 1] + margin


@wp.func
def _col_start(bounds: wp.array2d(dtype=int), n: int, t: int, span: int, margin: int) -> int:
    return wp.max(t * span, bounds[n, 2] - margin)


@wp.func
def _col_stop(bounds: wp.array2d(dtype=int), n: int, t: int, span: int, margin: int, cols: int) -> int:
    return wp.min(wp.min((t + 1) * span, bounds[n, 3] + margin + 1), cols)


@wp.kernel
def _blur_rows(src: wp.array3d(dtype=float), weights: wp.array(dtype=float), scale: float,
               bounds: wp.array2d(dtype=int), span: int, dst: wp.array3d(dtype=float)):
    n, r, t = wp.tid()
    # The column pass reads this pass's output 2 columns beyond its own region: cover that too.
    margin = CONTACT_MARGIN_PX + 2
    if not _row_active(bounds, n, r, margin):
        return
    for c in range(_col_start(bounds, n, t, span, margin), _col_stop(bounds, n, t, span, margin, src.shape[2])):
        acc = float(0.0)
        for k in range(5):
            rr = r + k - 2
            if rr >= 0 and rr < src.shape[1]:
                acc += weights[k] * src[n, rr, c]
        dst[n, r, c] = acc * scale


@wp.kernel
def _blur_cols(src: wp.array3d(dtype=float), weights: wp.array(dtype=float), bounds: wp.array2d(dtype=int),
               span: int, dst: wp.array3d(dtype=float)):
    n, r, t = wp.tid()
    if not _row_active(bounds, n, r, CONTACT_MARGIN_PX):
        return
    for c in range(_col_start(bounds, n, t, span, CONTACT_MARGIN_PX),
                   _col_stop(bounds, n, t, span, CONTACT_MARGIN_PX, src.shape[2])):
        acc = float(0.0)
        for k in range(5):
            cc = c + k - 2
            if cc >= 0 and cc < src.shape[2]:
                acc += weights[k] * src[n, r, cc]
        dst[n, r, c] = acc


@wp.kernel
def _scale(src: wp.array3d(dtype=float), scale: float, bounds: wp.array2d(dtype=int), span: int,
           dst: wp.array3d(dtype=float)):
    n, r, t = wp.tid()
    if not _row_active(bounds, n, r, CONTACT_MARGIN_PX):
        return
    for c in range(_col_start(bounds, n, t, span, CONTACT_MARGIN_PX),
                   _col_stop(bounds, n, t, span, CONTACT_MARGIN_PX, src.shape[2])):
        dst[n, r, c] = src[n, r, c] * scale


@wp.func
def _gradient_bins(g: wp.vec2, slope: float, binm: float, bins: int) -> wp.vec2i:
    """Taxim's (magnitude, direction) table bin of a non-zero height gradient ``g`` (d/drow, d/dcol) of length
    ``slope``."""
    i = wp.min(int(wp.floor(wp.atan(slope) / (0.5 * wp.pi / binm))), bins - 1)
    j = wp.min(int(wp.floor((wp.atan2(g[0], g[1]) + wp.pi) / (2.0 * wp.pi / binm))), bins - 1)
    return wp.vec2i(i, j)


@wp.func
def _calibration_coordinate(i: int, factor: float) -> float:
    """Calibration-pixel coordinate of the centre of coarse pixel ``i`` (``i`` itself at full resolution)."""
    return (float(i) + 0.5) * factor - 0.5


@wp.func
def _clamp_index(i: int, size: int) -> int:
    # Gradients on the border reuse their inner neighbour (Taxim pads the gradient symmetrically).
    return wp.min(wp.max(i, 1), size - 2)


@wp.kernel
def _gradients(height: wp.array3d(dtype=float), row_scale: float, col_scale: float, bounds: wp.array2d(dtype=int),
               span: int, gradient: wp.array3d(dtype=wp.vec2)):
    """(dh/drow, dh/dcol) by central differences, calibration pixels per calibration pixel (only near contact; zero
    elsewhere). ``row_scale``, ``col_scale``: 0.5 / (calibration pixels per image pixel) along each axis."""
    n, r, t = wp.tid()
    margin = CONTACT_MARGIN_PX - 1
    if not _row_active(bounds, n, r, margin):
        return
    rc = _clamp_index(r, height.shape[1])
    for c in range(_col_start(bounds, n, t, span, margin), _col_stop(bounds, n, t, span, margin, height.shape[2])):
        cc = _clamp_index(c, height.shape[2])
        gradient[n, r, c] = wp.vec2(row_scale * (height[n, rc + 1, c] - height[n, rc - 1, c]),
                                    col_scale * (height[n, r, cc + 1] - height[n, r, cc - 1]))


@wp.kernel
def _shade(gradient: wp.array3d(dtype=wp.vec2), tables: wp.array4d(dtype=float), background: wp.array3d(dtype=float),
           bins: int, swap_rb: int, factors: wp.vec2, bounds: wp.array2d(dtype=int), span: int,
           out: wp.array4d(dtype=wp.uint8)):
    """Pixels near contact with a non-zero gradient get the polynomial colour; ``out`` already holds the
    no-contact image everywhere else. ``factors``: calibration pixels per image pixel along rows and columns; the
    polynomial is its mean over each pixel's block of calibration pixels."""
    n, r, t = wp.tid()
    margin = CONTACT_MARGIN_PX - 1
    if not _row_active(bounds, n, r, margin):
        return
    binm = float(bins - 1)
    y = _calibration_coordinate(r, factors[0])
    spread_y = (factors[0] * factors[0] - 1.0) / 12.0
    spread_x = (factors[1] * factors[1] - 1.0) / 12.0
    for c in range(_col_start(bounds, n, t, span, margin), _col_stop(bounds, n, t, span, margin, out.shape[2])):
        g = gradient[n, r, c]
        slope = wp.length(g)
        if slope > 0.0:
            bin_ = _gradient_bins(g, slope, binm, bins)
            i = bin_[0]
            j = bin_[1]
            x = _calibration_coordinate(c, factors[1])
            for ch in range(3):
                value = background[r, c, ch] + (tables[ch, i, j, 0] * x * x + tables[ch, i, j, 1] * y * y
                                                + tables[ch, i, j, 2] * x * y + tables[ch, i, j, 3] * x
                                                + tables[ch, i, j, 4] * y + tables[ch, i, j, 5]
                                                + tables[ch, i, j, 0] * spread_x + tables[ch, i, j, 1] * spread_y)
                out_ch = ch
                if swap_rb == 1:
                    out_ch = 2 - ch
                out[n, r, c, out_ch] = wp.uint8(int(wp.clamp(wp.floor(value + 0.5), 0.0, 255.0)))


@wp.func
def _polynomial(tables: wp.array4d(dtype=float), ch: int, i: int, j: int, x: float, y: float, spread_x: float,
                spread_y: float) -> float:
    return (tables[ch, i, j, 0] * (x * x + spread_x) + tables[ch, i, j, 1] * (y * y + spread_y)
            + tables[ch, i, j, 2] * x * y + tables[ch, i, j, 3] * x + tables[ch, i, j, 4] * y + tables[ch, i, j, 5])


@wp.func
def _sample_change(tables: wp.array4d(dtype=float), background: float, ch: int, i: int, j: int, flat_bin: int,
                   x: float, y: float, spread_x: float, spread_y: float) -> float:
    """A sample's clipped colour in bin (i, j) minus its clipped flat-gel colour."""
    return (wp.clamp(background + _polynomial(tables, ch, i, j, x, y, spread_x, spread_y), 0.0, 255.0)
            - wp.clamp(background + _polynomial(tables, ch, 0, flat_bin, x, y, spread_x, spread_y), 0.0, 255.0))


@wp.kernel
def _shade_supersampled(gradient: wp.array3d(dtype=wp.vec2), tables: wp.array4d(dtype=float),
                        background: wp.array3d(dtype=float), flat_sums: wp.array3d(dtype=float), bins: int,
                        flat_bin: int, swap_rb: int, samples: int, spacing: wp.vec2, bounds: wp.array2d(dtype=int),
                        span: int, out: wp.array4d(dtype=wp.uint8)):
    """Image pixel (r, c) = the mean of its ``samples`` x ``samples`` shaded samples (gradient and bounds on the
    sample grid, ``spacing`` calibration pixels apart), each clipped to [0, 255]: ``flat_sums`` (the sum of the
    samples' clipped flat-gel colours) plus, for each sample with a gradient, its colour's change from flat. Pixels
    none of whose samples has a gradient keep the no-contact image already in ``out``."""
    n, r, t = wp.tid()
    margin = CONTACT_MARGIN_PX - 1  # the gradient is written (and read) only this close to the indented samples
    row_lo = bounds[n, 0] - margin
    row_hi = bounds[n, 1] + margin
    if r * samples > row_hi or r * samples + samples - 1 < row_lo:
        return
    col_lo = bounds[n, 2] - margin
    col_hi = bounds[n, 3] + margin
    if col_hi < col_lo:
        return
    binm = float(bins - 1)
    spread_y = (spacing[0] * spacing[0] - 1.0) / 12.0
    spread_x = (spacing[1] * spacing[1] - 1.0) / 12.0
    weight = 1.0 / float(samples * samples)
    a_start = wp.max(row_lo - r * samples, 0)
    a_stop = wp.min(row_hi - r * samples + 1, samples)
    c_start = wp.max(t * span, wp.max(col_lo, 0) // samples)
    c_stop = wp.min(wp.min((t + 1) * span, col_hi // samples + 1), out.shape[2])
    for c in range(c_start, c_stop):
        red = float(0.0)
        green = float(0.0)
        blue = float(0.0)
        touched = int(0)
        b_start = wp.max(col_lo - c * samples, 0)
        b_stop = wp.min(col_hi - c * samples + 1, samples)
        for a in range(a_start, a_stop):
            rs = r * samples + a
            y = _calibration_coordinate(rs, spacing[0])
            for b in range(b_start, b_stop):
                cs = c * samples + b
                g = gradient[n, rs, cs]
                slope = wp.length(g)
                if slope > 0.0:
                    bin_ = _gradient_bins(g, slope, binm, bins)
                    i = bin_[0]
                    j = bin_[1]
                    x = _calibration_coordinate(cs, spacing[1])
                    red += _sample_change(tables, background[r, c, 0], 0, i, j, flat_bin, x, y, spread_x, spread_y)
                    green += _sample_change(tables, background[r, c, 1], 1, i, j, flat_bin, x, y, spread_x,
                                            spread_y)
                    blue += _sample_change(tables, background[r, c, 2], 2, i, j, flat_bin, x, y, spread_x, spread_y)
                    touched = 1
        if touched == 1:
            first = 0
            last = 2
            if swap_rb == 1:
                first = 2
                last = 0
            out[n, r, c, first] = wp.uint8(int(wp.clamp(wp.floor((flat_sums[r, c, 0] + red) * weight + 0.5),
                                                        0.0, 255.0)))
            out[n, r, c, 1] = wp.uint8(int(wp.clamp(wp.floor((flat_sums[r, c, 1] + green) * weight + 0.5),
                                                    0.0, 255.0)))
            out[n, r, c, last] = wp.uint8(int(wp.clamp(wp.floor((flat_sums[r, c, 2] + blue) * weight + 0.5),
                                                       0.0, 255.0)))


class TactileRenderer:
    """Batched renderer for one sensor model: ``renderer.render(indentation [N, h, w] mm) -> [N, H, W, 3]``, with
    H x W = :attr:`image_size` and h x w = :attr:`sample_size` (the same unless supersampling)."""

    def __init__(self, sensor: str | SensorPreset = "gs_mini", settings: RenderSettings = RenderSettings(),
                 device: str = "cpu", calibration_dir: str | Path | None = None) -> None:
        self.preset = get_preset(sensor) if isinstance(sensor, str) else sensor
        self.settings = settings
        self.device = device
        calibration = load_calibration(calibration_dir or self.preset.calibration_dir)
        height, width = calibration.background_rgb.shape[:2]
        if (height, width) != (self.preset.height, self.preset.width):
            raise RobotAcError(f"calibration image is {width} x {height}, sensor '{self.preset.name}' is "
                               f"{self.preset.width} x {self.preset.height}")
        self.bins = settings.num_bins or calibration.bins
        if not 2 <= self.bins <= calibration.bins:
            raise RobotAcError(f"num_bins = {self.bins}: expected 2..{calibration.bins} for this calibration")
        self.image_size = self._image_size(settings.image_size)
        """(rows, cols) of the images and of the indentation maps."""
        self.factors = (height // self.image_size[0], width // self.image_size[1])
        """Calibration pixels per image pixel along rows and columns (1, 1 at full resolution)."""
        self.samples_per_pixel = self._samples_per_pixel(settings.samples_per_pixel)
        s = self.samples_per_pixel
        self.sample_size = (self.image_size[0] * s, self.image_size[1] * s)
        """(rows, cols) of the indentation maps: ``samples_per_pixel`` x the image's."""
        self.spacing = (self.factors[0] / s, self.factors[1] / s)
        """Calibration pixels between neighbouring samples along rows and columns (the factors without
        supersampling)."""
        background = calibration.background_rgb.reshape(self.image_size[0], self.factors[0], self.image_size[1],
                                                        self.factors[1], 3).mean(axis=(1, 3))
        self.no_contact_rgb = self._flat_image(calibration.tables, background)
        """The image of an untouched gel, [H, W, 3] uint8 RGB: bg + the zero-gradient polynomial."""
        self._tables = wp.array(calibration.tables.astype(np.float32), dtype=float, device=device)
        self._background = wp.array(background.astype(np.float32), dtype=float, device=device)
        self._flat_sums = (wp.array(self._flat_sample_sums(calibration.tables, background).astype(np.float32),
                                    dtype=float, device=device) if s > 1 else None)
        """Per image pixel, the sum of its samples' clipped flat-gel colours (supersampling only)."""
        weights = ([blur_weights(factor) for factor in self.factors] if s == 1
                   else [supersample_blur_weights(spacing) for spacing in self.spacing])
        self._blur = settings.blur and any(w[2] != 1.0 for w in weights)
        """False where no axis has smoothing to apply: from 3 calibration pixels per image pixel on, the gel's reach
        of 2 calibration pixels stays inside one image pixel."""
        self._row_weights, self._col_weights = (wp.array(np.array(w, dtype=np.float32), dtype=float, device=device)
                                                for w in weights)
        self._buffers: dict[int, tuple[wp.array, wp.array, wp.array, wp.array, wp.array]] = {}
        """Per batch size: blur scratch, height map (calibration pixels), gradients, contact bounds, tiled no-contact
        images."""
        # One thread per row on the CPU (per-thread overhead dominates there), one per pixel on a GPU.
        self._span = self.sample_size[1] if wp.get_device(device).is_cpu else 1
        """Columns per thread of the sample-grid kernels (bounds, blur, gradients; the shading without
        supersampling)."""
        self._image_span = self.image_size[1] if wp.get_device(device).is_cpu else 1
        """Columns per thread of the supersampled shading (per image pixel)."""

    def _image_size(self, image_size: tuple[int, int] | None) -> tuple[int, int]:
        full = (self.preset.height, self.preset.width)
        if image_size is None:
            return full
        size = tuple(image_size)
        if (len(size) != 2 or not all(isinstance(v, int) and v > 0 for v in size)
                or full[0] % size[0] or full[1] % size[1]):
            raise RobotAcError(f"image_size = {image_size} (rows, cols) does not divide the calibration resolution "
                               f"{full[0]} x {full[1]} of sensor '{self.preset.name}': rows must divide {full[0]} and "
                               f"cols {full[1]}, e.g. ({full[0] // 10}, {full[1] // 10}) or "
                               f"({full[0] // 5}, {full[1] // 5})")
        return size

    def _samples_per_pixel(self, samples: int) -> int:
        largest = min(self.factors)
        if not isinstance(samples, int) or isinstance(samples, bool) or not 1 <= samples <= largest:
            raise RobotAcError(f"samples_per_pixel = {samples!r}: expected an integer from 1 to {largest}, the "
                               f"calibration pixels per image pixel of a {self.image_size[0]} x {self.image_size[1]} "
                               f"image of sensor '{self.preset.name}' (supersampling needs a coarse image_size)")
        return samples

    def _flat_image(self, tables: np.ndarray, background: np.ndarray) -> np.ndarray:
        """bg + the zero-gradient polynomial, in float64, with the features' block means as :func:`_shade` uses."""
        (rows, factor_rows), (cols, factor_cols) = zip(self.image_size, self.factors)
        y, x = np.meshgrid((np.arange(rows, dtype=np.float64) + 0.5) * factor_rows - 0.5,
                           (np.arange(cols, dtype=np.float64) + 0.5) * factor_cols - 0.5, indexing="ij")
        features = np.stack([x**2 + (factor_cols**2 - 1) / 12, y**2 + (factor_rows**2 - 1) / 12, x * y, x, y,
                             np.ones_like(y)], axis=-1)
        image = background + features @ tables[:, 0, flat_direction_bin(self.bins)].T
        return np.clip(np.floor(image + 0.5), 0, 255).astype(np.uint8)

    def _flat_sample_sums(self, tables: np.ndarray, background: np.ndarray) -> np.ndarray:
        """[H, W, 3] float64: per image pixel, the sum over its samples of clip(bg + the zero-gradient polynomial's
        mean over the sample's footprint, 0, 255), as :func:`_shade_supersampled` shades them."""
        s = self.samples_per_pixel
        (rows, cols), (spacing_rows, spacing_cols) = self.sample_size, self.spacing
        y, x = np.meshgrid((np.arange(rows, dtype=np.float64) + 0.5) * spacing_rows - 0.5,
                           (np.arange(cols, dtype=np.float64) + 0.5) * spacing_cols - 0.5, indexing="ij")
        features = np.stack([x**2 + (spacing_cols**2 - 1) / 12, y**2 + (spacing_rows**2 - 1) / 12, x * y, x, y,
                             np.ones_like(y)], axis=-1)
        per_sample = np.repeat(np.repeat(background, s, axis=0), s, axis=1)
        flat = np.clip(per_sample + features @ tables[:, 0, flat_direction_bin(self.bins)].T, 0.0, 255.0)
        return flat.reshape(self.image_size[0], s, self.image_size[1], s, 3).sum(axis=(1, 3))

    @property
    def no_contact_image(self) -> np.ndarray:
        """The untouched gel in this renderer's channel order."""
        return self.no_contact_rgb[..., ::-1] if self.settings.channel_order == "bgr" else self.no_contact_rgb

    def _validate(self, indentation: np.ndarray) -> np.ndarray:
        array = np.asarray(indentation, dtype=np.float32)
        if array.ndim == 2:
            array = array[None]
        expected = self.sample_size
        if array.ndim != 3 or array.shape[1:] != expected:
            samples = (f" ({self.samples_per_pixel} x {self.samples_per_pixel} samples per pixel of a "
                       f"{self.image_size[0]} x {self.image_size[1]} image)" if self.samples_per_pixel > 1 else "")
            raise RobotAcError(f"indentation map has shape {np.shape(indentation)}, expected [H, W] or [N, H, W] "
                               f"with H x W = {expected[0]} x {expected[1]} for sensor '{self.preset.name}'"
                               + samples)
        if not np.isfinite(array).all():
            raise RobotAcError("indentation map holds NaN or inf values")
        if (array < 0).any():
            raise RobotAcError(f"indentation map has negative values (min {array.min():.4g} mm); indentation is the "
                               "penetration depth into the gel, >= 0")
        return array

    def gradients_warp(self, indentation_mm: wp.array) -> wp.array:
        """[N, h, w] mm -> height-map gradients [N, h, w] of (dh/drow, dh/dcol) on the sample grid,
        device-resident."""
        n = indentation_mm.shape[0]
        tmp, height, gradient, bounds, _ = self._batch_buffers(n)
        rows, cols = indentation_mm.shape[1:]
        dim = (n, rows, (cols + self._span - 1) // self._span)
        if self._span > 1:
            wp.launch(_contact_bounds, dim=n, inputs=[indentation_mm], outputs=[bounds], device=self.device)
        else:
            wp.launch(_reset_bounds, dim=n, inputs=[bounds, rows, cols], device=self.device)
            wp.launch(_contact_bounds_atomic, dim=indentation_mm.shape, inputs=[indentation_mm], outputs=[bounds],
                      device=self.device)
        scale = 1.0 / self.preset.mm_per_pixel
        if self._blur:
            wp.launch(_blur_rows, dim=dim, inputs=[indentation_mm, self._row_weights, scale, bounds, self._span],
                      outputs=[tmp], device=self.device)
            wp.launch(_blur_cols, dim=dim, inputs=[tmp, self._col_weights, bounds, self._span], outputs=[height],
                      device=self.device)
        else:
            wp.launch(_scale, dim=dim, inputs=[indentation_mm, scale, bounds, self._span], outputs=[height],
                      device=self.device)
        wp.launch(_gradients, dim=dim, inputs=[height, 0.5 / self.spacing[0], 0.5 / self.spacing[1], bounds,
                                               self._span], outputs=[gradient], device=self.device)
        return gradient

    def _batch_buffers(self, n: int) -> tuple[wp.array, wp.array, wp.array, wp.array, wp.array]:
        if n not in self._buffers:
            shape = (n, *self.sample_size)
            tiled = np.ascontiguousarray(np.broadcast_to(self.no_contact_image, (n, *self.image_size, 3)))
            self._buffers[n] = (wp.zeros(shape, dtype=float, device=self.device),
                                wp.zeros(shape, dtype=float, device=self.device),
                                wp.zeros(shape, dtype=wp.vec2, device=self.device),
                                wp.zeros((n, 4), dtype=int, device=self.device),
                                wp.array(tiled, dtype=wp.uint8, device=self.device))
        return self._buffers[n]

    def render_warp(self, indentation_mm: wp.array, out: wp.array) -> wp.array:
        """Device path, no host copies: [N, h, w] float32 mm in (:attr:`sample_size`), [N, H, W, 3] uint8 out
        (:attr:`image_size`, preallocated)."""
        gradient = self.gradients_warp(indentation_mm)
        *_, bounds, no_contact = self._batch_buffers(indentation_mm.shape[0])
        wp.copy(out, no_contact)
        swap_rb = int(self.settings.channel_order == "bgr")
        if self.samples_per_pixel > 1:
            rows, cols = self.image_size
            dim = (indentation_mm.shape[0], rows, (cols + self._image_span - 1) // self._image_span)
            wp.launch(_shade_supersampled, dim=dim,
                      inputs=[gradient, self._tables, self._background, self._flat_sums, self.bins,
                              flat_direction_bin(self.bins), swap_rb, self.samples_per_pixel, wp.vec2(*self.spacing),
                              bounds, self._image_span],
                      outputs=[out], device=self.device)
            return out
        rows, cols = indentation_mm.shape[1:]
        dim = (indentation_mm.shape[0], rows, (cols + self._span - 1) // self._span)
        wp.launch(_shade, dim=dim, inputs=[gradient, self._tables, self._background, self.bins, swap_rb,
                                           wp.vec2(*self.factors),
                                           bounds, self._span],
                  outputs=[out], device=self.device)
        return out

    def render_torch(self, indentation_mm):
        """torch in, torch out, on the renderer's device and without host copies: [N, h, w] float32 mm ->
        [N, H, W, 3] uint8 (a new tensor; the input is only read)."""
        import torch

        source = wp.from_torch(indentation_mm.contiguous().to(torch.float32))
        out = torch.empty((indentation_mm.shape[0], *self.image_size, 3), dtype=torch.uint8,
                          device=indentation_mm.device)
        self.render_warp(source, wp.from_torch(out, dtype=wp.uint8))
        return out

    def gradients(self, indentation_mm: np.ndarray) -> np.ndarray:
        """[N, h, w, 2] (dh/drow, dh/dcol) of the smoothed height map on the sample grid, for inspection and
        tests."""
        source = wp.array(self._validate(indentation_mm), dtype=float, device=self.device)
        self._batch_buffers(source.shape[0])[2].zero_()  # render never reads the gradient away from contact
        return self.gradients_warp(source).numpy().copy()  # the device buffer is reused by the next call

    def render(self, indentation_mm: np.ndarray) -> np.ndarray:
        """[h, w] or [N, h, w] indentation in mm -> [N, H, W, 3] uint8 images (or int16 differences)."""
        array = self._validate(indentation_mm)
        source = wp.array(array, dtype=float, device=self.device)
        out = wp.zeros((array.shape[0], *self.image_size, 3), dtype=wp.uint8, device=self.device)
        images = self.render_warp(source, out).numpy()
        if self.settings.output == "diff":
            return images.astype(np.int16) - self.no_contact_image.astype(np.int16)
        return images


def render_tactile_images(indentation_mm: np.ndarray, sensor: str = "gs_mini",
                          settings: RenderSettings = RenderSettings(), device: str = "cpu") -> np.ndarray:
    """The pure function: indentation map(s) [H, W] or [N, H, W] in mm -> images [N, H, W, 3]."""
    return TactileRenderer(sensor, settings, device).render(indentation_mm)
