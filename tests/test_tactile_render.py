"""GelSight rendering: no-contact exactness, patch location and extent, conventions, settings and bad input."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from robot_ac.contract.tactile import TactilePreprocessing
from robot_ac.errors import RobotAcError
from sim.tactile.render import BLUR_WEIGHTS, RenderSettings, TactileRenderer, flat_direction_bin, load_calibration
from sim.tactile.presets import get_preset

pytestmark = pytest.mark.sim
PRESET = get_preset("gs_mini")
BLUR_RADIUS_PX = 2  # the 5 x 5 kernel
GRADIENT_RADIUS_PX = 1


@pytest.fixture(scope="module")
def renderer():
    return TactileRenderer("gs_mini")


def pixel_centres(image_size=None, preset=PRESET):
    """(rows, cols) calibration-pixel coordinates of the pixel centres of an ``image_size`` image (default: full)."""
    rows, cols = image_size or (preset.height, preset.width)
    return np.meshgrid((np.arange(rows) + 0.5) * (preset.height / rows) - 0.5,
                       (np.arange(cols) + 0.5) * (preset.width / cols) - 0.5, indexing="ij")


def sphere_indentation(radius_mm=4.0, depth_mm=1.0, center_px=(120.0, 160.0), preset=PRESET, image_size=None):
    rows, cols = pixel_centres(image_size, preset)
    r = np.hypot(cols - center_px[1], rows - center_px[0]) * preset.mm_per_pixel
    return np.maximum(0.0, np.sqrt(np.maximum(radius_mm**2 - r**2, 0.0)) - (radius_mm - depth_mm)).astype(np.float32)


def cylinder_indentation(radius_mm=6.0, depth_mm=0.5, row_px=130.0, image_size=None):
    """A cylinder lying across the pad along the image rows (a rod or a round peg held in the fingers)."""
    rows, _ = pixel_centres(image_size)
    d = np.abs(rows - row_px) * PRESET.mm_per_pixel
    return np.maximum(0.0, np.sqrt(np.maximum(radius_mm**2 - d**2, 0.0)) - (radius_mm - depth_mm)).astype(np.float32)


def square_peg_indentation(side_mm=12.0, depth_mm=0.5, image_size=None):
    """The flat face of a square peg (the peg task's 12 mm peg) pressed into the pad, lying along the image rows: a
    band of uniform depth with sharp edges at x = +-6 mm."""
    _, cols = pixel_centres(image_size)
    x = (cols - (PRESET.width - 1) / 2) * PRESET.mm_per_pixel
    return np.where(np.abs(x) < side_mm / 2, depth_mm, 0.0).astype(np.float32)


@pytest.mark.parametrize("sensor", ["gs_mini", "r15"])
def test_no_contact_is_the_calibrated_flat_image_exactly(sensor):
    renderer = TactileRenderer(sensor)
    preset = get_preset(sensor)
    images = renderer.render(np.zeros((3, preset.height, preset.width), np.float32))
    assert images.dtype == np.uint8 and images.shape == (3, preset.height, preset.width, 3)
    assert (images == renderer.no_contact_rgb).all()
    # Independently: bg.jpg (RGB) + the zero-gradient polynomial of bin (0, floor(pi / (2 pi / 124))) = (0, 62).
    calibration = load_calibration(preset.calibration_dir)
    assert calibration.bins == 125 and flat_direction_bin(125) == 62
    y, x = np.mgrid[0:preset.height, 0:preset.width].astype(np.float64)
    features = np.stack([x * x, y * y, x * y, x, y, np.ones_like(x)], axis=-1)
    expected = calibration.background_rgb + features @ calibration.tables[:, 0, 62].T
    assert np.abs(renderer.no_contact_rgb.astype(float) - np.clip(expected, 0, 255)).max() <= 0.5
    assert not (renderer.no_contact_rgb == calibration.background_rgb.astype(np.uint8)).all(), \
        "the flat gel is bg.jpg plus the zero-gradient term, not bg.jpg itself"
    diff = TactileRenderer(sensor, RenderSettings(output="diff")).render(np.zeros((preset.height, preset.width)))
    assert diff.dtype == np.int16 and not diff.any()


def test_sphere_difference_image_lives_in_the_patch(renderer):
    radius, depth = 4.0, 0.8
    indentation = sphere_indentation(radius, depth)
    diff = renderer.render(indentation).astype(int)[0] - renderer.no_contact_rgb.astype(int)
    changed = np.abs(diff).sum(axis=-1) > 0
    rows, cols = np.mgrid[0:PRESET.height, 0:PRESET.width]
    r_px = np.hypot(cols - 160, rows - 120)
    patch_px = math.sqrt(2 * radius * depth - depth**2) / PRESET.mm_per_pixel
    reach = patch_px + BLUR_RADIUS_PX + GRADIENT_RADIUS_PX
    assert not changed[r_px > reach + 1].any(), "pixels beyond the blur radius must equal the no-contact image"
    inside = r_px < patch_px - 2
    assert changed[inside].mean() > 0.9, "the contact patch must show"


def test_mirror_flips_the_column_gradient(renderer):
    """Mirror the indentation left-right: dh/dcol changes sign, dh/drow stays, and the patch mirrors."""
    off_centre = sphere_indentation(center_px=(110.0, 100.0))
    mirrored = off_centre[:, ::-1].copy()
    (g,), (g_m,) = renderer.gradients(off_centre), renderer.gradients(mirrored)
    assert np.abs(g[..., 1]).max() > 0.1
    np.testing.assert_allclose(g_m[:, ::-1, 1], -g[..., 1], atol=1e-5)  # float32 sums in mirrored order
    np.testing.assert_allclose(g_m[:, ::-1, 0], g[..., 0], atol=1e-5)
    slope = np.hypot(g[..., 0], g[..., 1]) > 0
    np.testing.assert_array_equal(np.hypot(g_m[..., 0], g_m[..., 1])[:, ::-1] > 0, slope)


def test_gradient_direction_follows_the_calibration_convention(renderer):
    """Taxim calibrated a ball's direction as atan2(-dy, -dx) from its centre (rows, columns): ours agrees."""
    (g,) = renderer.gradients(sphere_indentation(radius_mm=4.0, depth_mm=1.0))
    direction = np.arctan2(g[..., 0], g[..., 1])
    rows, cols = np.mgrid[0:PRESET.height, 0:PRESET.width]
    calibration_direction = np.arctan2(-(rows - 120.0), -(cols - 160.0))
    ring = (np.hypot(rows - 120, cols - 160) > 10) & (np.hypot(rows - 120, cols - 160) < 35)
    error = np.angle(np.exp(1j * (direction[ring] - calibration_direction[ring])))
    assert np.abs(error).max() < 0.05
    # Magnitude: atan(|grad h|) = asin(r / R) for a ball (the calibration's gradxseq), up to the blur.
    r_mm = np.hypot(rows - 120, cols - 160)[ring] * PRESET.mm_per_pixel
    np.testing.assert_allclose(np.arctan(np.hypot(g[..., 0], g[..., 1]))[ring], np.arcsin(r_mm / 4.0), atol=0.03)


def test_shift_moves_the_patch_by_the_same_pixels(renderer):
    a = renderer.render(sphere_indentation(center_px=(120.0, 160.0)))[0]
    b = renderer.render(sphere_indentation(center_px=(132.0, 143.0)))[0]
    changed_a = np.argwhere(np.abs(a.astype(int) - renderer.no_contact_rgb).sum(axis=-1) > 0)
    changed_b = np.argwhere(np.abs(b.astype(int) - renderer.no_contact_rgb).sum(axis=-1) > 0)
    np.testing.assert_allclose(changed_b.mean(axis=0) - changed_a.mean(axis=0), (12.0, -17.0), atol=0.5)


def test_channel_order_and_bins_setting(renderer):
    indentation = sphere_indentation()
    rgb = renderer.render(indentation)
    bgr = TactileRenderer("gs_mini", RenderSettings(channel_order="bgr")).render(indentation)
    np.testing.assert_array_equal(bgr, rgb[..., ::-1])
    tacsl_bins = TactileRenderer("gs_mini", RenderSettings(num_bins=120)).render(indentation)
    assert (tacsl_bins != rgb).any(), "120 bins index the 125-bin table differently"


@pytest.mark.parametrize(("image_size", "samples"), [((24, 32), 1), ((48, 64), 1), ((24, 32), 3), ((24, 32), 4),
                                                     ((48, 64), 2)])
def test_coarse_render_matches_the_block_averaged_full_render(renderer, image_size, samples):
    """Rendered directly at the policy's size, the difference image is what the policy gets from the full-resolution
    image (``TactilePreprocessing``, mode difference, / 255). Round contacts, at any supersampling: relative L1 error
    below 0.3 (measured 0.08-0.21 with one sample per pixel, 0.04-0.07 with 3 x 3 or more) and correlation above
    0.95 (0.97-0.995; >= 0.997). An image that ignores the contact scores error 1.0; gradients left per coarse pixel
    0.4-1.3 and correlation 0.75-0.90; the polynomial at coarse indices instead of calibration coordinates error
    1.4-4, correlation below 0.62.

    The square peg's flat face needs supersampling: error below 0.6 and correlation above 0.9 fail with one sample
    per pixel (24 x 32: 1.77 / 0.61, 48 x 64: 1.03 / 0.65: the edges come out as saturated two-pixel lines) and pass
    with 3 x 3 samples at 24 x 32 (0.56 / 0.93), 4 x 4 (0.38 / 0.97) and 2 x 2 at 48 x 64 (0.39 / 0.96)."""
    coarse = TactileRenderer("gs_mini", RenderSettings(image_size=image_size, samples_per_pixel=samples))
    assert coarse.factors == (240 // image_size[0], 320 // image_size[1])
    assert coarse.sample_size == (image_size[0] * samples, image_size[1] * samples)
    preprocessing = TactilePreprocessing(*image_size, mode="difference")
    contacts = {"centred sphere": lambda size: sphere_indentation(image_size=size),
                "off-centre sphere": lambda size: sphere_indentation(6.0, 0.8, (70.0, 90.0), image_size=size),
                "cylinder": lambda size: cylinder_indentation(image_size=size),
                "square peg": lambda size: square_peg_indentation(image_size=size)}
    for name, contact in contacts.items():
        expected = preprocessing.apply(renderer.render(contact(None))[0], renderer.no_contact_rgb)
        (image,) = coarse.render(contact(coarse.sample_size))
        assert image.shape == (*image_size, 3)
        got = preprocessing.apply(image, coarse.no_contact_rgb)  # block factor 1: (image - no contact) / 255
        error = np.abs(got - expected).sum() / np.abs(expected).sum()
        correlation = np.corrcoef(got.ravel(), expected.ravel())[0, 1]
        numbers = f"{name}: relative L1 error {error:.3f}, correlation {correlation:.3f}"
        if name == "square peg":
            assert (error < 0.6 and correlation > 0.9) == (samples > 1), numbers
        else:
            assert error < 0.3 and correlation > 0.95, numbers


@pytest.mark.parametrize(("image_size", "samples"), [((48, 64), 5), ((24, 32), 10)])
def test_one_sample_per_calibration_pixel_is_the_block_averaged_full_render(renderer, image_size, samples):
    """With as many samples as calibration pixels the supersampled render is the full-resolution render
    block-averaged: the same heights, blur, gradients, bins and polynomials, averaged before rounding instead of
    after. Difference images agree to 2 levels (each side's image and no-contact image round by up to half a level;
    measured up to 1.6) wherever no calibration pixel of the block is clipped to 0 or 255."""
    coarse = TactileRenderer("gs_mini", RenderSettings(image_size=image_size, samples_per_pixel=samples))
    assert coarse.sample_size == (240, 320) and coarse.spacing == (1.0, 1.0)
    np.testing.assert_array_equal(coarse._row_weights.numpy(), np.float32(BLUR_WEIGHTS))
    maps = np.stack([square_peg_indentation(), sphere_indentation(), sphere_indentation(6.0, 0.8, (70.0, 90.0))])
    preprocessing = TactilePreprocessing(*image_size, mode="difference")
    f = 240 // image_size[0]
    for full_image, image in zip(renderer.render(maps), coarse.render(maps), strict=True):
        expected = preprocessing.apply(full_image, renderer.no_contact_rgb) * 255
        got = preprocessing.apply(image, coarse.no_contact_rgb) * 255
        blocks = full_image.reshape(image_size[0], f, image_size[1], f, 3).transpose(4, 0, 2, 1, 3)
        unclipped = ~((blocks == 0) | (blocks == 255)).any(axis=(3, 4))
        assert unclipped.mean() > 0.85 and np.abs(got - expected).max() > 0.5
        assert np.abs(got - expected)[unclipped].max() <= 2.0


def test_supersampled_no_contact_is_exact_and_reused_buffers_leave_no_trace():
    """Pixels none of whose samples has a gradient keep the no-contact image; a contact touching a single sample
    changes only its pixel (and the pixels whose samples reach its blur and gradient stencil); rendering B after a
    larger A with the same renderer equals rendering B alone."""
    settings = RenderSettings(image_size=(24, 32), samples_per_pixel=4)
    coarse = TactileRenderer("gs_mini", settings)
    assert coarse.sample_size == (96, 128) and coarse.spacing == (2.5, 2.5)
    images = coarse.render(np.zeros((2, 96, 128), np.float32))
    assert images.shape == (2, 24, 32, 3) and (images == coarse.no_contact_rgb).all()
    diff = TactileRenderer("gs_mini", RenderSettings(image_size=(24, 32), samples_per_pixel=4, output="diff"))
    assert not diff.render(np.zeros((96, 128))).any()
    dot = np.zeros((96, 128), np.float32)
    dot[41, 66] = 0.3  # sample (1, 2) of pixel (10, 16)
    changed = (diff.render(dot)[0] != 0).any(axis=-1)
    reach = np.zeros_like(changed)
    reach[9:11, 16:18] = True  # samples 39-43 x 64-68: 1 of blur and 1 of central difference around the dot
    assert changed[10, 16] and not (changed & ~reach).any()
    a = square_peg_indentation(image_size=(96, 128))
    b = sphere_indentation(center_px=(170.0, 250.0), radius_mm=3.0, image_size=(96, 128))
    coarse.render(a)
    np.testing.assert_array_equal(coarse.render(b), TactileRenderer("gs_mini", settings).render(b))


@pytest.mark.parametrize("samples", [0, 11, 2.0, True])
def test_samples_per_pixel_must_fit_the_image_pixel(samples):
    with pytest.raises(RobotAcError, match=re.escape(f"samples_per_pixel = {samples!r}: expected an integer from 1 "
                                                     "to 10, the calibration pixels per image pixel of a 24 x 32")):
        TactileRenderer("gs_mini", RenderSettings(image_size=(24, 32), samples_per_pixel=samples))
    with pytest.raises(RobotAcError, match=r"from 1 to 1, .* \(supersampling needs a coarse image_size\)"):
        TactileRenderer("gs_mini", RenderSettings(samples_per_pixel=2))
    with pytest.raises(RobotAcError, match=r"shape \(24, 32\), expected .* H x W = 72 x 96 .* \(3 x 3 samples per "
                                           r"pixel of a 24 x 32 image\)"):
        TactileRenderer("gs_mini", RenderSettings(image_size=(24, 32), samples_per_pixel=3)).render(
            np.zeros((24, 32)))


@pytest.mark.parametrize("sensor", ["gs_mini", "r15"])
def test_coarse_no_contact_is_exact_and_the_block_mean_of_the_full_one(sensor):
    preset = get_preset(sensor)
    size = (preset.height // 10, preset.width // 10)
    coarse = TactileRenderer(sensor, RenderSettings(image_size=size))
    images = coarse.render(np.zeros((2, *size), np.float32))
    assert images.shape == (2, *size, 3) and (images == coarse.no_contact_rgb).all()
    assert not TactileRenderer(sensor, RenderSettings(image_size=size, output="diff")).render(np.zeros(size)).any()
    blocks = TactileRenderer(sensor).no_contact_rgb.astype(float).reshape(size[0], 10, size[1], 10, 3)
    unclipped = ~((blocks == 0) | (blocks == 255)).any(axis=(1, 3))  # gs_mini's red channel is 0 in places
    error = np.abs(coarse.no_contact_rgb - blocks.mean(axis=(1, 3)))[unclipped]
    assert error.size > 0.8 * unclipped.size and error.max() <= 1.0  # each side rounds by up to half a level


def test_full_size_is_the_default_render():
    full = TactileRenderer("gs_mini", RenderSettings(image_size=(240, 320)))
    assert full.factors == (1, 1) and full._blur
    np.testing.assert_array_equal(full._row_weights.numpy(), np.float32(BLUR_WEIGHTS))
    maps = np.stack([sphere_indentation(), cylinder_indentation()])
    np.testing.assert_array_equal(full.render(maps), TactileRenderer("gs_mini").render(maps))


@pytest.mark.parametrize("image_size", [(25, 32), (24, 30), (480, 640), (0, 32)])
def test_image_size_must_divide_the_calibration_resolution(image_size):
    with pytest.raises(RobotAcError, match=re.escape(f"image_size = {image_size} (rows, cols) does not divide the "
                                                     "calibration resolution 240 x 320 of sensor 'gs_mini'")):
        TactileRenderer("gs_mini", RenderSettings(image_size=image_size))


def test_coarse_renderer_takes_coarse_indentation_maps():
    with pytest.raises(RobotAcError, match=r"shape \(240, 320\), expected .* H x W = 24 x 32"):
        TactileRenderer("gs_mini", RenderSettings(image_size=(24, 32))).render(sphere_indentation())


@pytest.mark.parametrize(
    ("indentation", "message"),
    [
        (np.zeros((240, 321), np.float32), r"shape \(240, 321\), expected \[H, W\] or \[N, H, W\] with H x W = 240 x 320"),
        (np.zeros((2, 3, 240, 320), np.float32), "expected"),
        (np.full((240, 320), -0.1, np.float32), "negative values"),
        (np.full((240, 320), np.nan, np.float32), "NaN"),
    ],
)
def test_bad_indentation_is_refused(renderer, indentation, message):
    with pytest.raises(RobotAcError, match=message):
        renderer.render(indentation)


def test_bad_sensor_and_calibration(tmp_path):
    with pytest.raises(RobotAcError, match="unknown tactile sensor 'gelsight9'; available: gs_mini, r15"):
        TactileRenderer("gelsight9")
    with pytest.raises(RobotAcError, match="polycalib.npz' is missing"):
        TactileRenderer("gs_mini", calibration_dir=tmp_path)
    np.savez(tmp_path / "polycalib.npz", grad_r=np.zeros((5, 5, 6)), bins=5)
    (tmp_path / "bg.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(RobotAcError, match="is not a Taxim polynomial table"):
        TactileRenderer("gs_mini", calibration_dir=tmp_path)
    np.savez(tmp_path / "polycalib.npz", grad_r=np.zeros((5, 5, 6)), grad_g=np.zeros((5, 5, 6)),
             grad_b=np.zeros((5, 5, 6)), bins=5)
    with pytest.raises(RobotAcError, match="bg.jpg' cannot be read as an image"):
        TactileRenderer("gs_mini", calibration_dir=tmp_path)


def test_cli_render_and_demo(tmp_path, cli):
    maps = np.stack([np.zeros((240, 320), np.float32), sphere_indentation()])
    np.save(tmp_path / "maps.npy", maps)
    code, out, _ = cli(["tactile", "render", str(tmp_path / "maps.npy"), "--out", str(tmp_path / "img.png")])
    assert code == 0 and "img_001.png" in out
    import cv2

    flat = cv2.imread(str(tmp_path / "img_000.png"))[..., ::-1]
    np.testing.assert_array_equal(flat, TactileRenderer("gs_mini").no_contact_rgb)
    code, _, err = cli(["tactile", "render", str(tmp_path / "missing.npy")])
    assert code == 2 and "indentation file" in err and "not found" in err
    np.save(tmp_path / "bad.npy", np.zeros((10, 10)))
    code, _, err = cli(["tactile", "render", str(tmp_path / "bad.npy"), "--sensor", "r15"])
    assert code == 2 and "H x W = 320 x 240 for sensor 'r15'" in err
    code, out, _ = cli(["tactile", "demo", "--out", str(tmp_path / "demo.png")])
    assert code == 0 and (tmp_path / "demo.png").read_bytes()[:4] == b"\x89PNG"


def test_buffers_reused_across_batches_leave_no_trace():
    """Rendering B after A (same batch size, different contact regions) equals rendering B alone."""
    a = sphere_indentation(center_px=(60.0, 60.0))
    b = sphere_indentation(center_px=(170.0, 250.0), radius_mm=3.0)
    reused = TactileRenderer("gs_mini")
    reused.render(a)
    np.testing.assert_array_equal(reused.render(b), TactileRenderer("gs_mini").render(b))


def test_independent_torch_render_agrees_and_bench_reports(tmp_path, cli):
    """The benchmark's torch baseline is a second implementation: it must produce the same images."""
    import torch

    from benchmarks.tactile import TorchRenderer, workloads

    renderer, baseline = TactileRenderer("gs_mini"), TorchRenderer("gs_mini")
    for name, indentation in workloads("gs_mini").items():
        ours = renderer.render(indentation)
        theirs = baseline.render(torch.from_numpy(indentation)[None]).numpy()
        mismatch = np.abs(ours.astype(int) - theirs.astype(int))
        assert (mismatch == 0).mean() > 0.999 and mismatch.max() <= 40, name  # float32 sums in another order
    code, _, _ = cli(["bench", "tactile", "--batches", "1", "4", "--taxel-batches", "8", "--out-dir", str(tmp_path)])
    assert code == 0
    import json

    (result_file,) = tmp_path.glob("bench_tactile_gs_mini_cpu_*.json")
    result = json.loads(result_file.read_text())
    assert {(r["workload"], r["batch"]) for r in result["render"]} == {(w, b) for w in ("typical", "worst")
                                                                       for b in (1, 4)}
    assert all(r["images_per_s"] > 0 for r in result["render"])
    assert result["force_field"][0]["readings_per_s"] > 0


def test_torch_path_matches_numpy_path(renderer):
    import torch

    maps = np.stack([sphere_indentation(), sphere_indentation(center_px=(60.0, 250.0), radius_mm=2.0)])
    from_torch = renderer.render_torch(torch.from_numpy(maps))
    assert from_torch.dtype == torch.uint8
    np.testing.assert_array_equal(from_torch.numpy(), renderer.render(maps))
    coarse = TactileRenderer("gs_mini", RenderSettings(image_size=(24, 32), samples_per_pixel=3))
    maps = np.stack([square_peg_indentation(image_size=(72, 96)), sphere_indentation(image_size=(72, 96))])
    from_torch = coarse.render_torch(torch.from_numpy(maps))
    assert from_torch.shape == (2, 24, 32, 3)
    np.testing.assert_array_equal(from_torch.numpy(), coarse.render(maps))


@pytest.mark.gpu
def test_cuda_matches_cpu():
    from sim.tactile.force_field import ForceField
    from sim.tactile.geometry import PrimitiveSpec, primitive_table

    for image_size, samples in ((None, 1), ((24, 32), 1), ((24, 32), 4)):
        settings = RenderSettings(image_size=image_size, samples_per_pixel=samples)
        size = TactileRenderer("gs_mini", settings).sample_size
        maps = np.stack([sphere_indentation(image_size=size), np.zeros(size), square_peg_indentation(image_size=size)])
        cpu = TactileRenderer("gs_mini", settings, device="cpu").render(maps)
        gpu = TactileRenderer("gs_mini", settings, device="cuda:0").render(maps)
        assert np.abs(cpu.astype(int) - gpu.astype(int)).max() <= 1  # float32 transcendentals differ in ulps
    bodies = [[PrimitiveSpec("sphere", (0.005, 0, 0), (0.0, 0.0, 0.004), linear_velocity=(0.02, 0.0, 0.0))]]
    width, height = PRESET.width_mm * 1e-3, PRESET.height_mm * 1e-3
    forces = [ForceField(1, width, height, device=d).update(primitive_table(bodies, device=d)).numpy()
              for d in ("cpu", "cuda:0")]
    np.testing.assert_allclose(forces[0], forces[1], rtol=1e-5, atol=1e-9)


@pytest.mark.parametrize("image_size", [None, (48, 64)])
def test_gpu_thread_layout_gives_the_same_images_on_the_cpu(image_size):
    """The one-thread-per-pixel layout used on GPUs (atomic contact bounds) renders exactly like the CPU layout."""
    maps = np.stack([sphere_indentation(image_size=image_size), np.zeros(pixel_centres(image_size)[0].shape),
                     sphere_indentation(center_px=(30.0, 300.0), image_size=image_size)])
    settings = RenderSettings(image_size=image_size)
    per_row, per_pixel = TactileRenderer("gs_mini", settings), TactileRenderer("gs_mini", settings)
    per_pixel._span = 1
    np.testing.assert_array_equal(per_pixel.render(maps), per_row.render(maps))


def test_gpu_thread_layout_gives_the_same_supersampled_images_on_the_cpu():
    settings = RenderSettings(image_size=(24, 32), samples_per_pixel=4)
    size = (96, 128)
    maps = np.stack([sphere_indentation(image_size=size), np.zeros(size), square_peg_indentation(image_size=size),
                     sphere_indentation(center_px=(30.0, 300.0), image_size=size)])
    per_row, per_pixel = TactileRenderer("gs_mini", settings), TactileRenderer("gs_mini", settings)
    per_pixel._span = per_pixel._image_span = 1
    np.testing.assert_array_equal(per_pixel.render(maps), per_row.render(maps))
