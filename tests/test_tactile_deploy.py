"""Tactile observations from training to the robot: one preprocessing (OpenCV on the robot, torch in training),
exactly equal; the supervisor waits for tactile frames, takes its references at start and faults when they stop."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from robot_ac.deploy import PolicyRuntime, State, Supervisor, check_compatibility, load_hardware_config
from robot_ac.errors import RobotAcError
from robot_ac.contract.manifest import ObservationTerm, load_manifest
from robot_ac.contract.tactile import TactilePreprocessing
from sim.tactile.preprocessing import preprocess_torch
from sim.tasks import FRANKA_REACH_JOINT_TASK
from tests.deploy_helpers import ToyRobot, write_linear_export
from tests.test_deploy_runtime import GOAL, Harness

CONFIGS = Path(__file__).resolve().parents[1] / "hardware_configs"
PREPROCESSING = TactilePreprocessing(height=30, width=40, mode="difference")


@pytest.mark.parametrize("mode", ["image", "difference"])
def test_robot_and_training_preprocessing_agree_exactly(mode):
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, (3, 240, 320, 3), dtype=np.uint8)
    reference = rng.integers(0, 256, (240, 320, 3), dtype=np.uint8)
    preprocessing = TactilePreprocessing(height=60, width=80, mode=mode)
    training = preprocess_torch(preprocessing, torch.from_numpy(images), torch.from_numpy(reference)).numpy()
    for i in range(3):
        np.testing.assert_array_equal(preprocessing.apply(images[i], reference), training[i])
    block = images[0, :4, :4, 0].astype(np.float64).mean() - (reference[:4, :4, 0].mean() if mode == "difference"
                                                              else 0.0)
    assert preprocessing.apply(images[0], reference)[0, 0, 0] == pytest.approx(block / 255.0, abs=1e-6)


def test_simulated_no_contact_frame_preprocesses_to_zero():
    from sim.tactile import TactileRenderer

    renderer = TactileRenderer("gs_mini")
    flat = renderer.no_contact_image
    assert not PREPROCESSING.apply(flat, flat).any()
    with pytest.raises(RobotAcError, match="cannot be block-averaged to 40 x 30"):
        TactilePreprocessing(height=30, width=40).apply(flat[:, :317], flat[:, :317])
    with pytest.raises(RobotAcError, match="needs a reference"):
        PREPROCESSING.apply(flat)


@pytest.fixture
def tactile_harness(tmp_path):
    import dataclasses

    size = PREPROCESSING.size
    interface = dataclasses.replace(
        FRANKA_REACH_JOINT_TASK.interface, tactile=PREPROCESSING.to_dict(),
        observations=[*FRANKA_REACH_JOINT_TASK.interface.observations,
                      ObservationTerm(name="tactile_left", size=size, source="tactile", quantity="left"),
                      ObservationTerm(name="tactile_right", size=size, source="tactile", quantity="right")])
    write_linear_export(tmp_path, interface, gain=0.01)
    manifest = load_manifest(tmp_path / "manifest.json")
    config = load_hardware_config(CONFIGS / "franka_panda.yaml")
    assert check_compatibility(manifest, config) == []
    supervisor = Supervisor(manifest, config, PolicyRuntime(tmp_path))
    supervisor.on_goal(GOAL)
    start = {j.name: j.default_position for j in manifest.interface.joints}
    return Harness(supervisor, ToyRobot(config, start))


def test_policy_waits_for_tactile_then_uses_start_frames_as_reference(tactile_harness):
    h = tactile_harness
    rng = np.random.default_rng(2)
    untouched = {key: rng.integers(0, 256, (240, 320, 3), dtype=np.uint8) for key in ("left", "right")}
    h.step()
    assert not h.supervisor.start(h.now)
    assert h.supervisor.observations.missing_inputs() == ["tactile 'left'", "tactile 'right'"]
    for key, frame in untouched.items():
        assert h.supervisor.on_tactile(key, frame, h.now)
    assert h.supervisor.start(h.now)
    pressed = untouched["left"].copy()
    pressed[100:140, 140:180] = 255
    h.supervisor.on_tactile("left", pressed, h.now)
    obs = h.supervisor.observations.build()
    base = FRANKA_REACH_JOINT_TASK.interface.observation_size
    left = obs[base:base + PREPROCESSING.size]
    np.testing.assert_allclose(left, PREPROCESSING.apply(pressed, untouched["left"]).reshape(-1), atol=1e-6)
    assert not obs[base + PREPROCESSING.size:].any(), "right pad untouched: its difference is zero"


def test_tactile_frames_that_stop_are_a_fault(tactile_harness):
    h = tactile_harness
    frame = np.zeros((240, 320, 3), dtype=np.uint8)

    def step_with_frames(sensors=("left", "right")):
        for key in sensors:
            h.supervisor.on_tactile(key, frame, h.now)
        h.step()

    for _ in range(3):
        step_with_frames()
    assert h.supervisor.start(h.now)
    for _ in range(int(5.0 / h.dt) + 5):
        step_with_frames()
    assert h.supervisor.state == State.POLICY
    for _ in range(int(0.2 / h.dt) + 2):
        step_with_frames(("left",))
    assert h.supervisor.state == State.HOLD and "tactile 'right'" in h.supervisor.last_reason
    h.assert_commands_safe()


def test_manifest_tactile_size_must_match_preprocessing(tmp_path):
    """The interface (the manifest's model) refuses the mismatch when it is built, so no export can carry it; a
    manifest file with it is refused on loading, naming the file and the field."""
    import dataclasses
    import json

    tactile_term = ObservationTerm(name="tactile_left", size=100, source="tactile", quantity="left")
    with pytest.raises(ValueError, match="has size 100, the preprocessing gives 3 x 30 x 40 = 3600"):
        dataclasses.replace(FRANKA_REACH_JOINT_TASK.interface, tactile=PREPROCESSING.to_dict(),
                            observations=[*FRANKA_REACH_JOINT_TASK.interface.observations, tactile_term])
    write_linear_export(tmp_path, FRANKA_REACH_JOINT_TASK.interface)
    data = json.loads((tmp_path / "manifest.json").read_text())
    data["interface"]["tactile"] = PREPROCESSING.to_dict()
    data["interface"]["observations"].append(dataclasses.asdict(tactile_term))
    (tmp_path / "manifest.json").write_text(json.dumps(data))
    with pytest.raises(RobotAcError, match=r"manifest.json: field 'interface': tactile observation 'tactile_left' "
                                           r"has size 100, the preprocessing gives 3 x 30 x 40 = 3600"):
        load_manifest(tmp_path / "manifest.json")


@pytest.mark.parametrize("encoding", ["rgb8", "bgr8", "bgra8"])
def test_ros_image_decoding(encoding):
    from sensor_msgs.msg import Image

    from robot_ac_ros.policy_node import image_to_rgb

    rgb = np.random.default_rng(3).integers(0, 256, (4, 5, 3), dtype=np.uint8)
    channels = {"rgb8": rgb, "bgr8": rgb[..., ::-1], "bgra8": np.concatenate([rgb[..., ::-1],
                                                                             np.full((4, 5, 1), 255, np.uint8)], -1)}
    pixels = channels[encoding]
    step = pixels.shape[1] * pixels.shape[2] + 3  # padded rows
    data = np.zeros((4, step), np.uint8)
    data[:, : pixels.shape[1] * pixels.shape[2]] = pixels.reshape(4, -1)
    msg = Image(height=4, width=5, encoding=encoding, step=step, data=data.tobytes())
    np.testing.assert_array_equal(image_to_rgb(msg), rgb)
    with pytest.raises(ValueError, match="encoding 'mono16' is not supported"):
        image_to_rgb(Image(height=1, width=1, encoding="mono16", step=2, data=b"\0\0"))
