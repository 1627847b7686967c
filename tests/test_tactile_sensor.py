"""The tactile sensor on a plain Newton model: pads found by name, bodies seen through their shapes and poses."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import warp as wp

from robot_ac.contract.tactile import TactilePreprocessing
from robot_ac.errors import RobotAcError
from sim.tactile.force_field import ForceFieldConfig
from sim.tactile.render import RenderSettings
from sim.tactile.sensor import TactileSensor

pytestmark = pytest.mark.sim
RADIUS, DEPTH = 0.005, 0.0008


def _model():
    import newton

    builder = newton.ModelBuilder()
    pad = builder.add_body(label="finger_gelpad", xform=wp.transform_identity())
    builder.add_shape_box(pad, hx=0.012, hy=0.01, hz=0.002, xform=wp.transform((0.0, 0.0, -0.002),
                                                                              wp.quat_identity()))
    ball = builder.add_body(label="ball", xform=wp.transform_identity())
    builder.add_shape_sphere(ball, radius=RADIUS)
    return builder.finalize(device="cpu"), pad, ball


def _place(model, state, pad_pose, ball_position, ball_velocity=(0.0, 0.0, 0.0)):
    q = state.body_q.numpy()
    q[0] = pad_pose
    q[1] = (*ball_position, 0.0, 0.0, 0.0, 1.0)
    state.body_q.assign(q)
    qd = np.zeros((model.body_count, 6), dtype=np.float32)
    qd[1, :3] = ball_velocity
    state.body_qd.assign(qd)


def test_pad_sees_a_ball_pressed_into_it():
    model, _, _ = _model()
    state = model.state()
    sensor = TactileSensor(model, pads="*gelpad", force_field=ForceFieldConfig(rows=9, cols=9, k_n=1000.0))
    assert sensor.pad_names == ["finger_gelpad"]
    _place(model, state, (0, 0, 0, 0, 0, 0, 1), (0.0, 0.0, RADIUS - DEPTH), ball_velocity=(0.03, 0.0, 0.0))
    sensor.update(state)
    penetration = sensor.penetration.numpy()[0]
    assert penetration.max() == pytest.approx(DEPTH, abs=1e-6)
    pixel = sensor.preset.mm_per_pixel * 1e-3
    contact_radius = math.sqrt((penetration > 0).sum() * pixel**2 / math.pi)
    assert contact_radius == pytest.approx(math.sqrt(2 * RADIUS * DEPTH - DEPTH**2), abs=pixel)
    forces = sensor.force_field_torch
    assert forces.shape == (1, 9, 9, 3)
    centre = forces[0, 4, 4].numpy()
    assert centre[2] == pytest.approx(1000.0 * DEPTH, rel=1e-3)
    assert centre[0] < 0 and abs(centre[1]) < 1e-9, "shear opposes the ball sliding along +x"
    image = sensor.rgb.numpy()[0]
    changed = np.abs(image.astype(int) - sensor.renderer.no_contact_image).sum(axis=-1) > 0
    assert changed[115:125, 155:165].all() and not changed[:40].any()


def test_pad_frame_follows_the_pad_body():
    """Turn the pad 90 degrees about its normal: the ball's sliding shows up along the pad's -y."""
    model, _, _ = _model()
    state = model.state()
    sensor = TactileSensor(model, pads="finger_gelpad", render=None)
    s = math.sqrt(0.5)
    _place(model, state, (0.0, 0.0, 0.0, 0.0, 0.0, s, s), (0.0, 0.0, RADIUS - DEPTH), ball_velocity=(0.03, 0.0, 0.0))
    sensor.update(state)
    centre = sensor.force_field.numpy()[0, 5, 5]
    assert centre[1] > 0 and abs(centre[0]) < 1e-9  # world +x is pad -y; friction points the other way


def test_ball_away_from_the_pad_leaves_everything_zero():
    model, _, _ = _model()
    state = model.state()
    sensor = TactileSensor(model, pads="*gelpad")
    _place(model, state, (0, 0, 0, 0, 0, 0, 1), (0.0, 0.0, RADIUS + 0.001))
    sensor.update(state)
    assert not sensor.penetration.numpy().any() and not sensor.force_field.numpy().any()
    assert (sensor.rgb.numpy()[0] == sensor.renderer.no_contact_image).all()


def test_coarse_images_sample_the_pad_at_the_policy_size():
    """``image_size`` renders at the policy's size: the ball is sampled at the coarse pixels' centres, the image
    follows the full-resolution one block-averaged, and without contact it is the coarse no-contact image exactly."""
    model, _, _ = _model()
    state = model.state()
    full = TactileSensor(model, pads="*gelpad", render=RenderSettings())
    coarse = TactileSensor(model, pads="*gelpad", render=RenderSettings(image_size=(24, 32)))
    _place(model, state, (0, 0, 0, 0, 0, 0, 1), (0.0, 0.0, RADIUS - DEPTH))
    full.update(state)
    coarse.update(state)
    assert coarse.rgb.shape == (1, 24, 32, 3) and coarse.renderer.no_contact_image.shape == (24, 32, 3)
    y, x = np.meshgrid((np.arange(24) + 0.5) / 24 * coarse.height - coarse.height / 2,
                       (np.arange(32) + 0.5) / 32 * coarse.width - coarse.width / 2, indexing="ij")
    ball = np.maximum(0.0, np.sqrt(np.maximum(RADIUS**2 - x**2 - y**2, 0.0)) - (RADIUS - DEPTH))
    assert (ball > 0).sum() >= 20
    np.testing.assert_allclose(coarse.penetration.numpy()[0], ball, atol=1e-7)
    preprocessing = TactilePreprocessing(24, 32, mode="difference")
    expected = preprocessing.apply(full.rgb.numpy()[0], full.renderer.no_contact_image)
    got = preprocessing.apply(coarse.rgb.numpy()[0], coarse.renderer.no_contact_image)
    assert np.abs(got - expected).sum() / np.abs(expected).sum() < 0.3
    assert np.corrcoef(got.ravel(), expected.ravel())[0, 1] > 0.95
    _place(model, state, (0, 0, 0, 0, 0, 0, 1), (0.0, 0.0, RADIUS + 0.001))
    coarse.update(state)
    assert (coarse.rgb.numpy()[0] == coarse.renderer.no_contact_image).all()


def test_supersampled_images_sample_the_pad_on_a_finer_grid():
    """``samples_per_pixel`` takes the penetration on s x s points per pixel (``penetration``: their mean) and
    renders from those; a round contact follows the block-averaged full-resolution image even more closely."""
    model, _, _ = _model()
    state = model.state()
    full = TactileSensor(model, pads="*gelpad", render=RenderSettings())
    sensor = TactileSensor(model, pads="*gelpad", render=RenderSettings(image_size=(24, 32), samples_per_pixel=4))
    _place(model, state, (0, 0, 0, 0, 0, 0, 1), (0.0, 0.0, RADIUS - DEPTH))
    full.update(state)
    sensor.update(state)
    assert sensor.rgb.shape == (1, 24, 32, 3) and sensor.penetration.shape == (1, 24, 32)
    assert sensor._penetration_mm.shape == (1, 96, 128)
    y, x = np.meshgrid((np.arange(96) + 0.5) / 96 * sensor.height - sensor.height / 2,
                       (np.arange(128) + 0.5) / 128 * sensor.width - sensor.width / 2, indexing="ij")
    ball = np.maximum(0.0, np.sqrt(np.maximum(RADIUS**2 - x**2 - y**2, 0.0)) - (RADIUS - DEPTH))
    np.testing.assert_allclose(sensor._penetration_mm.numpy()[0] * 1e-3, ball, atol=1e-7)
    np.testing.assert_allclose(sensor.penetration.numpy()[0], ball.reshape(24, 4, 32, 4).mean(axis=(1, 3)),
                               atol=1e-7)
    preprocessing = TactilePreprocessing(24, 32, mode="difference")
    expected = preprocessing.apply(full.rgb.numpy()[0], full.renderer.no_contact_image)
    got = preprocessing.apply(sensor.rgb.numpy()[0], sensor.renderer.no_contact_image)
    assert np.abs(got - expected).sum() / np.abs(expected).sum() < 0.15
    assert np.corrcoef(got.ravel(), expected.ravel())[0, 1] > 0.99
    _place(model, state, (0, 0, 0, 0, 0, 0, 1), (0.0, 0.0, RADIUS + 0.001))
    sensor.update(state)
    assert not sensor.penetration.numpy().any()
    assert (sensor.rgb.numpy()[0] == sensor.renderer.no_contact_image).all()


def test_the_square_peg_face_needs_supersampling():
    """The peg task's contact, a 12 mm square peg's face pressed 0.5 mm into the pad: at 24 x 32 with one sample
    per pixel the image correlates 0.6 with the block-averaged full-resolution one; 3 x 3 samples per pixel bring it
    above 0.9 (0.93), 4 x 4 to 0.97."""
    import newton

    builder = newton.ModelBuilder()
    pad = builder.add_body(label="finger_gelpad", xform=wp.transform_identity())
    builder.add_shape_box(pad, hx=0.012, hy=0.01, hz=0.002, xform=wp.transform((0.0, 0.0, -0.002),
                                                                              wp.quat_identity()))
    peg = builder.add_body(label="peg", xform=wp.transform((0.0, 0.0, 0.006 - 0.0005), wp.quat_identity()))
    builder.add_shape_box(peg, hx=0.006, hy=0.03, hz=0.006)
    model = builder.finalize(device="cpu")
    state = model.state()
    full = TactileSensor(model, pads="*gelpad", render=RenderSettings())
    full.update(state)
    assert full.penetration.numpy().max() == pytest.approx(0.0005, abs=1e-7)
    preprocessing = TactilePreprocessing(24, 32, mode="difference")
    expected = preprocessing.apply(full.rgb.numpy()[0], full.renderer.no_contact_image)
    correlations = {}
    for samples in (1, 3, 4):
        sensor = TactileSensor(model, pads="*gelpad", render=RenderSettings(image_size=(24, 32),
                                                                            samples_per_pixel=samples))
        sensor.update(state)
        got = preprocessing.apply(sensor.rgb.numpy()[0], sensor.renderer.no_contact_image)
        error = np.abs(got - expected).sum() / np.abs(expected).sum()
        correlations[samples] = np.corrcoef(got.ravel(), expected.ravel())[0, 1]
        assert (error < 0.6 and correlations[samples] > 0.9) == (samples > 1), (samples, error, correlations)
    assert correlations[1] < 0.7 and correlations[4] > 0.95


def test_unknown_pad_name_lists_bodies():
    model, _, _ = _model()
    with pytest.raises(RobotAcError, match=re.escape("no body matches pads=['*thumb*']; bodies: ['finger_gelpad', 'ball']")):
        TactileSensor(model, pads="*thumb*")


def test_mesh_bodies_are_felt_like_their_analytic_shape():
    """A finely tessellated sphere mesh presses like the analytic sphere (within its tessellation error)."""
    import newton

    builder = newton.ModelBuilder()
    pad = builder.add_body(label="gelpad", xform=wp.transform_identity())
    builder.add_shape_box(pad, hx=0.01, hy=0.01, hz=0.001, xform=wp.transform((0.0, 0.0, -0.001), wp.quat_identity()))
    ball = builder.add_body(label="mesh_ball", xform=wp.transform_identity())
    builder.add_shape_mesh(ball, mesh=newton.Mesh.create_sphere(RADIUS, num_latitudes=64, num_longitudes=64))
    model = builder.finalize(device="cpu")
    state = model.state()
    sensor = TactileSensor(model, pads="gelpad", render=None, force_field=ForceFieldConfig(rows=20, cols=20))
    _place(model, state, (0, 0, 0, 0, 0, 0, 1), (0.0, 0.0, RADIUS - DEPTH))
    sensor.update(state)
    depth = sensor._force_field.depth.numpy()[0]
    taxels = sensor.taxel_positions
    r = np.hypot(taxels[..., 0], taxels[..., 1])
    analytic = np.maximum(0.0, np.sqrt(np.maximum(RADIUS**2 - r**2, 0.0)) - (RADIUS - DEPTH))
    assert (analytic > 0).sum() > 10
    np.testing.assert_allclose(depth, analytic, atol=3e-5)  # chord error of a 64 x 64 UV sphere of 5 mm radius
