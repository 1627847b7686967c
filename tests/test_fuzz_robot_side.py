"""Bad input on the robot side, fuzzed with seeded random and boundary values: the hardware config YAML, the
manifest JSON, the ONNX file, and every message decoder. Each input ends in a clear error naming it
(:class:`RobotAcError`, or the decoder's ``ValueError``) or in a safe state; never another exception, and never a
command past a limit. Each test prints its counts (``pytest -s``)."""

from __future__ import annotations

import copy
import hashlib
import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from robot_ac.contract.hardware_config import load_hardware_config
from robot_ac.contract.manifest import load_manifest
from robot_ac.deploy import PolicyRuntime, State, make_supervisor
from robot_ac.errors import RobotAcError
from sim.tasks import CARTPOLE_TASK, FRANKA_REACH_JOINT_TASK
from tests.deploy_helpers import write_linear_export

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "hardware_configs"
REACH = ROOT / "policies" / "franka-reach" / "dagger-expert-seed1"
BOUNDARY = [None, "", "x" * 300, 0, -1, 1, 2**31, -(2**63), 1e308, -1e308, math.nan, math.inf, -math.inf, True, [],
            {}, [1, 2], {"a": 1}, [[math.nan]]]


def _paths(tree, prefix=()):
    """Every (path, value) in a nested dict/list."""
    yield prefix, tree
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from _paths(value, prefix + (key,))
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            yield from _paths(value, prefix + (index,))


def _mutants(document: dict, rng: np.random.Generator, count: int):
    """``count`` copies of ``document``, each with one value replaced by a boundary value or one key dropped."""
    paths = [path for path, _ in _paths(document) if path]
    for _ in range(count):
        mutant = copy.deepcopy(document)
        path = paths[rng.integers(len(paths))]
        parent = mutant
        for key in path[:-1]:
            parent = parent[key]
        if isinstance(parent, dict) and rng.random() < 0.2:
            del parent[path[-1]]
        else:
            parent[path[-1]] = copy.deepcopy(BOUNDARY[rng.integers(len(BOUNDARY))])
        yield mutant


def _texts(text: str, rng: np.random.Generator, count: int):
    """Truncations and byte-level damage of ``text``."""
    for i in range(count):
        if i % 2:
            yield text[: int(rng.integers(len(text)))]
        else:
            chars = list(text)
            for index in rng.integers(len(chars), size=5):
                chars[index] = chr(int(rng.integers(0, 0x2FF)))
            yield "".join(chars)


def _judge(load, counts: dict[str, int]) -> None:
    try:
        load()
        counts["accepted"] += 1
    except RobotAcError as exc:
        assert str(exc), "an error says what is wrong"
        counts["refused"] += 1


@pytest.mark.parametrize("name", ["franka_panda.yaml", "franka_cartesian.yaml", "unitree_g1_ros2_control.yaml"])
def test_fuzzed_hardware_configs_load_or_name_the_field(name, tmp_path) -> None:
    rng = np.random.default_rng(1)
    document = yaml.safe_load((CONFIGS / name).read_text())
    path = tmp_path / name
    counts = {"accepted": 0, "refused": 0}
    for mutant in _mutants(document, rng, 400):
        path.write_text(yaml.safe_dump(mutant))
        _judge(lambda: load_hardware_config(path), counts)
    for text in _texts((CONFIGS / name).read_text(), rng, 100):
        path.write_text(text, encoding="utf-8", errors="surrogateescape")
        _judge(lambda: load_hardware_config(path), counts)
    print(f"fuzz {name}: 500 inputs, {counts}, tracebacks 0")
    assert counts["refused"] > 100, "most damage is caught"


def test_fuzzed_manifests_load_or_name_the_field(tmp_path) -> None:
    rng = np.random.default_rng(2)
    source = REACH / "manifest.json"
    document = json.loads(source.read_text())
    path = tmp_path / "manifest.json"
    counts = {"accepted": 0, "refused": 0}
    for mutant in _mutants(document, rng, 400):
        path.write_text(json.dumps(mutant))
        _judge(lambda: load_manifest(path), counts)
    for text in _texts(source.read_text(), rng, 100):
        path.write_text(text, encoding="utf-8", errors="surrogateescape")
        _judge(lambda: load_manifest(path), counts)
    print(f"fuzz manifest.json: 500 inputs, {counts}, tracebacks 0")
    assert counts["refused"] > 100


def test_damaged_onnx_files_are_refused_by_name(tmp_path) -> None:
    """Truncated and bit-flipped policies (checksum kept, so the damage fails the checksum; checksum renewed, so
    onnxruntime or the shape check must refuse it), and a policy whose shapes are not the manifest's."""
    rng = np.random.default_rng(3)
    original = (REACH / "policy.onnx").read_bytes()
    export = tmp_path / "export"
    counts = {"accepted": 0, "refused": 0}
    for i in range(60):
        shutil.copytree(REACH, export, dirs_exist_ok=True)
        data = bytearray(original)
        if i % 2:
            data = data[: int(rng.integers(len(data)))]
        else:
            for index in rng.integers(len(data), size=int(rng.integers(1, 20))):
                data[index] = int(rng.integers(256))
        (export / "policy.onnx").write_bytes(bytes(data))
        if i % 3 == 0:
            manifest = json.loads((export / "manifest.json").read_text())
            manifest["policy"]["sha256"] = hashlib.sha256(bytes(data)).hexdigest()
            (export / "manifest.json").write_text(json.dumps(manifest))
        try:
            runtime = PolicyRuntime(export, warmup_steps=1)
            action = runtime(np.zeros(runtime.manifest.interface.observation_size, dtype=np.float32))
            assert action.shape == (runtime.manifest.interface.action_size,)
            counts["accepted"] += 1  # a flipped byte inside a weight still makes a valid (different) policy
        except RobotAcError as exc:
            assert "policy.onnx" in str(exc) or "manifest" in str(exc)
            counts["refused"] += 1
    # Shapes: a valid ONNX for another interface, under this manifest with the checksum renewed.
    other = tmp_path / "other"
    write_linear_export(other, CARTPOLE_TASK.interface)
    shutil.copytree(REACH, export, dirs_exist_ok=True)
    shutil.copy(other / "policy.onnx", export / "policy.onnx")
    manifest = json.loads((export / "manifest.json").read_text())
    manifest["policy"]["sha256"] = hashlib.sha256((export / "policy.onnx").read_bytes()).hexdigest()
    (export / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(RobotAcError, match="policy.onnx"):
        PolicyRuntime(export, warmup_steps=1)
    print(f"fuzz policy.onnx: 61 inputs, {counts}, tracebacks 0")
    assert counts["refused"] >= 40


def _random_values(rng: np.random.Generator, size: int) -> list[float]:
    special = [math.nan, math.inf, -math.inf, 1e300, -1e300, 0.0, 5e-324]
    values = rng.normal(0.0, 3.0, size)
    for index in np.flatnonzero(rng.random(size) < 0.15):
        values[index] = special[rng.integers(len(special))]
    return values.tolist()


def test_fuzzed_joint_states_imu_and_goals_end_safe_and_within_limits(tmp_path) -> None:
    """A Franka supervisor in POLICY fed 3000 random JointState, goal and IMU-like inputs (wrong lengths, unknown and
    duplicate names, NaN, inf, huge values, stamps back in time) between ticks: no exception, every command
    within the joint limits and finite."""
    rng = np.random.default_rng(4)
    config = load_hardware_config(CONFIGS / "franka_panda.yaml")
    write_linear_export(tmp_path / "export", FRANKA_REACH_JOINT_TASK.interface)
    runtime = PolicyRuntime(tmp_path / "export")
    supervisor = make_supervisor(runtime.manifest, config, runtime)
    names = config.joint_names
    rest = {j.name: j.default_position for j in runtime.manifest.interface.joints}
    rest.update({"panda_finger_joint1": 0.02, "panda_finger_joint2": 0.02})
    now = 0.0

    def good_state() -> None:
        supervisor.on_joint_state(now, names, [rest.get(n, 0.0) for n in names], [0.0] * len(names), now)

    good_state()
    supervisor.on_goal([0.5, 0.0, 0.3, 1.0, 0.0, 0.0, 0.0])
    assert supervisor.start(now)
    counts = {"inputs": 0, "accepted": 0, "commands": 0, "faults": 0}
    limits = {n: config.joint(n).position_limits for n in names}
    for step in range(3000):
        now += 1 / 60
        kind = rng.integers(4)
        counts["inputs"] += 1
        if kind == 0:
            good_state()
        elif kind == 1:
            size = int(rng.integers(0, 12))
            pool = names + ["intruder_joint", ""]
            chosen = [pool[i] for i in rng.integers(len(pool), size=size)]
            stamp = now - float(rng.random()) if rng.random() < 0.2 else now
            accepted = supervisor.on_joint_state(stamp, chosen, _random_values(rng, int(rng.integers(0, 12))),
                                                 _random_values(rng, int(rng.integers(0, 12))), now)
            counts["accepted"] += int(accepted)
        elif kind == 2:
            supervisor.on_goal(_random_values(rng, int(rng.integers(0, 10))))
        else:
            supervisor.on_imu(_random_values(rng, 4), _random_values(rng, 3), _random_values(rng, 3), now)
        command = supervisor.tick(now)
        if command is not None and command.kind != "damp":
            counts["commands"] += 1
            assert np.isfinite(command.values).all(), command
            for name, value in zip(command.joint_names, command.values):
                low, high = limits[name]
                assert low - 1e-9 <= value <= high + 1e-9, (name, value, supervisor.state)
        if supervisor.state in (State.HOLD, State.DAMP):
            counts["faults"] += 1
            supervisor.reset(now)
            good_state()
            supervisor.start(now)
    print(f"fuzz joint states / goals / IMU: {counts}, tracebacks 0, commands past a limit 0")
    assert counts["commands"] > 500 and counts["faults"] > 10


def test_fuzzed_poses_and_wrenches_keep_the_targets_in_the_box() -> None:
    """The Cartesian supervisor fed random measured poses (zero, NaN and non-unit quaternions, far positions) and
    wrenches: targets stay finite, unit and inside the workspace box."""
    rng = np.random.default_rng(5)
    config = load_hardware_config(CONFIGS / "franka_cartesian.yaml")
    runtime = PolicyRuntime(REACH)
    supervisor = make_supervisor(runtime.manifest, config, runtime)
    box_low, box_high = np.array(config.cartesian.workspace_min), np.array(config.cartesian.workspace_max)
    centre = (box_low + box_high) / 2
    counts = {"inputs": 0, "targets": 0}
    rest = {j.name: j.default_position for j in runtime.manifest.interface.joints}
    joints = [rest.get(name, 0.02) for name in config.joint_names]
    now = 0.0
    for step in range(2000):
        now += 1 / 60
        counts["inputs"] += 1
        supervisor.on_joint_state(now, config.joint_names, joints, [0.0] * len(joints), now)
        goal = [*centre, 1.0, 0.0, 0.0, 0.0] if rng.random() < 0.7 else _random_values(rng, int(rng.integers(0, 9)))
        supervisor.on_goal(goal)
        if rng.random() < 0.5:
            supervisor.on_ee_pose(now, centre.tolist(), [1.0, 0.0, 0.0, 0.0], now)
        else:
            supervisor.on_ee_pose(now, _random_values(rng, 3), _random_values(rng, 4), now)
        if rng.random() < 0.3:
            supervisor.on_wrench(_random_values(rng, 3), _random_values(rng, 3), now)
        if supervisor.state == State.PASSIVE:
            supervisor.start(now)
        command = supervisor.tick(now)
        if command is not None and command.kind == "pose":
            counts["targets"] += 1
            values = np.asarray(command.values)
            assert np.isfinite(values).all()
            assert (values[:3] >= box_low - 1e-9).all() and (values[:3] <= box_high + 1e-9).all(), values
            assert abs(np.linalg.norm(values[3:]) - 1.0) < 1e-6
        if supervisor.state in (State.HOLD, State.DAMP):
            supervisor.reset(now)
    print(f"fuzz Cartesian pose / wrench / goal: {counts}, tracebacks 0, targets outside the box 0")
    assert counts["targets"] > 200


def test_fuzzed_images_decode_or_say_why() -> None:
    from sensor_msgs.msg import Image

    from robot_ac_ros.policy_node import image_to_rgb

    rng = np.random.default_rng(6)
    counts = {"decoded": 0, "refused": 0}
    for _ in range(1000):
        message = Image()
        message.encoding = ["rgb8", "bgr8", "rgba8", "bgra8", "mono8", "16UC1", ""][rng.integers(7)]
        message.width, message.height = int(rng.integers(0, 40)), int(rng.integers(0, 40))
        message.step = int(rng.integers(0, 200))
        message.data = rng.integers(0, 256, int(rng.integers(0, 5000))).astype(np.uint8).tobytes()
        try:
            image = image_to_rgb(message)
            assert image.shape == (message.height, message.width, 3) and image.dtype == np.uint8
            counts["decoded"] += 1
        except ValueError as exc:
            assert "image" in str(exc)
            counts["refused"] += 1
    print(f"fuzz sensor_msgs/Image: 1000 inputs, {counts}, tracebacks 0")
    assert counts["decoded"] > 20 and counts["refused"] > 500
