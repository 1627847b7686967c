"""Tactile contact geometry and force field (Warp, CPU) against analytic contact mechanics facts."""

from __future__ import annotations

import math

import numpy as np
import pytest
import warp as wp

from sim.tactile.force_field import ForceField, ForceFieldConfig
from sim.tactile.geometry import PrimitiveSpec, penetration_kernel, primitive_table
from sim.tactile.presets import get_preset

pytestmark = pytest.mark.sim
PRESET = get_preset("gs_mini")
WIDTH, HEIGHT = PRESET.width_mm * 1e-3, PRESET.height_mm * 1e-3
PIXEL = PRESET.mm_per_pixel * 1e-3


def _penetration(bodies: list[list[PrimitiveSpec]], rows: int = PRESET.height, cols: int = PRESET.width):
    table = primitive_table(bodies)
    depth = wp.zeros((len(bodies), rows, cols), dtype=float)
    body = wp.zeros((len(bodies), rows, cols), dtype=int)
    wp.launch(penetration_kernel, dim=depth.shape, inputs=[table, WIDTH, HEIGHT], outputs=[depth, body])
    return depth.numpy(), body.numpy()


def _pixel_centres(rows: int = PRESET.height, cols: int = PRESET.width):
    x = ((np.arange(cols) + 0.5) / cols - 0.5) * WIDTH
    y = ((np.arange(rows) + 0.5) / rows - 0.5) * HEIGHT
    return np.meshgrid(x, y)


@pytest.mark.parametrize(("radius", "depth"), [(0.004, 0.001), (0.006, 0.0005), (0.002, 0.0015)])
def test_sphere_patch_radius_and_depth_profile(radius, depth):
    (penetration,), _ = _penetration([[PrimitiveSpec("sphere", (radius, 0, 0), (0.0, 0.0, radius - depth))]])
    x, y = _pixel_centres()
    r = np.hypot(x, y)
    contact = penetration > 0
    patch = math.sqrt(2 * radius * depth - depth**2)
    assert r[contact].max() <= patch and r[contact].max() > patch - PIXEL
    assert r[~contact].min() >= patch - PIXEL
    analytic = np.maximum(0.0, np.sqrt(np.maximum(radius**2 - r**2, 0.0)) - (radius - depth))
    np.testing.assert_allclose(penetration, analytic, atol=1e-7)


def test_no_contact_means_zero_everywhere():
    field = ForceField(1, WIDTH, HEIGHT)
    forces = field.update(primitive_table([[PrimitiveSpec("sphere", (0.004, 0, 0), (0.0, 0.0, 0.0041))]])).numpy()
    assert not forces.any() and not field.depth.numpy().any()


def test_normal_force_is_k_n_times_penetration_per_taxel():
    config = ForceFieldConfig(rows=10, cols=10, k_n=250.0)
    field = ForceField(1, WIDTH, HEIGHT, config)
    radius, depth = 0.006, 0.0012
    forces = field.update(primitive_table([[PrimitiveSpec("sphere", (radius, 0, 0), (0.0, 0.0, radius - depth))]]))
    taxels = field.positions
    r = np.hypot(taxels[..., 0], taxels[..., 1])
    analytic = np.maximum(0.0, np.sqrt(np.maximum(radius**2 - r**2, 0.0)) - (radius - depth))
    assert (analytic > 0).sum() >= 4, "the sphere must touch several taxels for this test to mean anything"
    np.testing.assert_allclose(forces.numpy()[0, ..., 2], config.k_n * analytic, atol=1e-6)
    np.testing.assert_array_equal(forces.numpy()[0, ..., :2], 0.0)


def test_flat_press_gives_uniform_normal_force():
    config = ForceFieldConfig(rows=12, cols=16, k_n=1000.0)
    field = ForceField(1, WIDTH, HEIGHT, config)
    depth = 0.0007
    forces = field.update(primitive_table([[PrimitiveSpec("box", (0.05, 0.05, 0.01), (0.0, 0.0, 0.01 - depth))]]))
    np.testing.assert_allclose(forces.numpy()[0, ..., 2], config.k_n * depth, rtol=1e-5)


def test_shear_grows_linearly_then_saturates_against_the_motion():
    config = ForceFieldConfig(rows=4, cols=4, k_n=100.0, k_t=0.1, mu=2.0)
    depth = 0.001
    cap = config.mu * config.k_n * depth  # 0.2 N
    speeds = np.array([0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0])  # k_t v reaches the cap at v = 2 m/s
    direction = np.array([0.6, -0.8, 0.0])
    bodies = [[PrimitiveSpec("box", (0.05, 0.05, 0.01), (0.0, 0.0, 0.01 - depth),
                             linear_velocity=tuple(v * direction))] for v in speeds]
    field = ForceField(len(speeds), WIDTH, HEIGHT, config)
    forces = field.update(primitive_table(bodies)).numpy()
    shear = forces[:, 0, 0, :2]
    expected = np.minimum(config.k_t * speeds, cap)
    np.testing.assert_allclose(np.linalg.norm(shear, axis=1), expected, rtol=1e-5, atol=1e-9)
    moving = speeds > 0
    np.testing.assert_allclose(shear[moving] / np.linalg.norm(shear[moving], axis=1, keepdims=True),
                               np.broadcast_to(-direction[:2], shear[moving].shape), atol=1e-6)
    np.testing.assert_allclose(forces[..., 2], config.k_n * depth, rtol=1e-5)


def test_rotation_about_the_pad_normal_shears_tangentially():
    config = ForceFieldConfig(rows=9, cols=9, k_n=100.0, k_t=0.1, mu=10.0)
    field = ForceField(1, WIDTH, HEIGHT, config)
    spin = 2.0  # rad/s about +z: sliding speed omega * r, tangential to circles around the centre
    forces = field.update(primitive_table([[PrimitiveSpec("box", (0.05, 0.05, 0.01), (0.0, 0.0, 0.0095),
                                                          angular_velocity=(0.0, 0.0, spin))]])).numpy()[0]
    positions = field.positions
    expected = -config.k_t * spin * np.stack([-positions[..., 1], positions[..., 0]], axis=-1)
    np.testing.assert_allclose(forces[..., :2], expected, atol=1e-9)


@pytest.mark.parametrize("kind", ["capsule", "cylinder"])
def test_lying_capsule_and_cylinder_patch_width(kind):
    radius, depth = 0.002, 0.0005
    lying = (math.sqrt(0.5), 0.0, 0.0, math.sqrt(0.5))  # local z (the axis) along pad y
    (penetration,), _ = _penetration([[PrimitiveSpec(kind, (radius, 0.004, 0), (0.0, 0.0, radius - depth), lying)]])
    x, y = _pixel_centres()
    half_width = math.sqrt(2 * radius * depth - depth**2)
    band = np.abs(y) < 0.003  # away from the ends
    contact = (penetration > 0) & band
    assert np.abs(x[contact]).max() <= half_width and np.abs(x[contact]).max() > half_width - PIXEL
    assert penetration.max() == pytest.approx(depth, abs=2e-6)
