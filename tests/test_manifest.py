"""The manifest schema: valid manifests load, every kind of broken one is refused with the field named."""

from __future__ import annotations

import copy
import json

import pytest

from robot_ac.errors import RobotAcError
from robot_ac.contract.manifest import (
    MANIFEST_FORMAT_VERSION,
    Manifest,
    PolicyFile,
    load_manifest,
    manifest_json_schema,
    validate_manifest_dict,
    write_manifest,
)
from sim.tasks import TASKS


def _manifest(task_index: int = 0) -> Manifest:
    return Manifest(
        format_version=MANIFEST_FORMAT_VERSION, robot_ac_version="0.1.0", interface=TASKS[task_index].interface,
        policy=PolicyFile(onnx="policy.onnx", sha256="a" * 64, input_name="obs", output_name="actions"),
        source={"checkpoint": "model_1.pt"},
    )


@pytest.mark.parametrize("task_index", range(len(TASKS)))
def test_every_task_interface_round_trips(tmp_path, task_index):
    manifest = _manifest(task_index)
    write_manifest(tmp_path / "manifest.json", manifest)
    loaded = load_manifest(tmp_path / "manifest.json")
    assert loaded == manifest
    assert loaded.interface.observation_size == \
        sum(t.size for t in manifest.interface.observations) * manifest.interface.history_length


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d["interface"].pop("control_period_s"), "field 'interface/control_period_s': Field required"),
        (lambda d: d["interface"].__setitem__("control_period_s", 0), "interface/control_period_s"),
        (lambda d: d["policy"].__setitem__("sha256", "xyz"), "policy/sha256"),
        (lambda d: d["interface"]["observations"][0].__setitem__("source", "lidar"), "interface/observations/0/source"),
        (lambda d: d["interface"]["action"]["joint_names"].__setitem__(0, "elbow"), "action joint 'elbow'"),
        (lambda d: d["interface"]["action"]["scale"].append(1.0), "field 'interface/action': scale has 2 entries"),
        (lambda d: d["interface"]["observations"][0]["joint_names"].pop(), "has size 2 but 1 joint_names"),
        (lambda d: d.__setitem__("surprise", 1), "field 'surprise': Unexpected keyword argument"),
        (lambda d: d["interface"]["joints"][0].__setitem__("effort_limit", -1.0), "interface/joints/0/effort_limit"),
    ],
)
def test_broken_manifests_name_the_field(mutate, expected):
    data = copy.deepcopy(_manifest().to_dict())
    validate_manifest_dict(data)
    mutate(data)
    with pytest.raises(RobotAcError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        validate_manifest_dict(data)


def test_the_json_schema_comes_from_the_models():
    """Other tools get the format as a JSON schema; it is derived from the same models, so it accepts what they
    write and names their fields."""
    import jsonschema

    schema = manifest_json_schema()
    jsonschema.Draft202012Validator(schema).validate(_manifest().to_dict())
    interface = schema["$defs"]["PolicyInterface"]
    assert set(interface["required"]) == {"task", "robot", "joints", "control_period_s", "observations", "action"}
    broken = _manifest().to_dict()
    broken["policy"]["sha256"] = "xyz"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate(broken)


def test_load_manifest_reports_file_problems(tmp_path):
    with pytest.raises(RobotAcError, match="manifest not found"):
        load_manifest(tmp_path / "missing.json")
    bad = tmp_path / "manifest.json"
    bad.write_text("{not json")
    with pytest.raises(RobotAcError, match=f"{bad}: not valid JSON"):
        load_manifest(bad)
    data = _manifest().to_dict()
    data["format_version"] = MANIFEST_FORMAT_VERSION + 1
    bad.write_text(json.dumps(data))
    with pytest.raises(RobotAcError, match="format_version 2 is not supported"):
        load_manifest(bad)
