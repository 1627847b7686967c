"""`robot-ac keystore create`: an SROS2 keystore made with cryptography alone, checked with openssl, and the
per-enclave permissions a hardware config grants."""

from __future__ import annotations

import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from robot_ac.contract.hardware_config import load_hardware_config
from robot_ac.deploy.keystore import create_keystore, granted_topics
from robot_ac.deploy.security import ENCLAVE_FILES, missing_enclave_files
from robot_ac.deploy.permissions import (
    OPERATOR_ENCLAVE, POLICY_NODE_ENCLAVE, ROBOT_ENCLAVE, VIEWER_ENCLAVE, enclave_permissions,
)

pytest.importorskip("cryptography")
CONFIGS = Path(__file__).resolve().parents[1] / "hardware_configs"
ENCLAVES = (POLICY_NODE_ENCLAVE, OPERATOR_ENCLAVE, VIEWER_ENCLAVE, ROBOT_ENCLAVE)
PLUMBING_OUT = {"ros_discovery_info", "rt/rosout", "rt/parameter_events"}
PLUMBING_IN = {"ros_discovery_info", "rt/parameter_events"}
TRIGGERS = ("start", "estop", "reset", "hold", "proceed", "tactile_reference")
LIFECYCLE = ("change_state", "get_state", "get_available_states", "get_available_transitions", "get_transition_graph")
PARAMETERS = ("describe_parameters", "get_parameter_types", "get_parameters", "list_parameters", "set_parameters",
              "set_parameters_atomically", "get_type_description")


def _openssl(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["openssl", *args], capture_output=True, text=True, check=False)


@pytest.fixture(scope="module", params=["franka_panda.yaml", "unitree_g1_ros2_control.yaml"])
def keystore(request, tmp_path_factory):
    config = load_hardware_config(CONFIGS / request.param)
    return create_keystore(tmp_path_factory.mktemp("keystore") / "ks", config, domain_id=7), config


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_every_identity_and_signed_document_verifies_with_openssl(keystore) -> None:
    store, _ = keystore
    for enclave in ENCLAVES:
        directory = store.enclave(enclave)
        assert missing_enclave_files(directory) == []
        result = _openssl("verify", "-CAfile", str(store.ca_cert), str(directory / "cert.pem"))
        assert result.returncode == 0 and ": OK" in result.stdout, result.stderr
        subject = _openssl("x509", "-in", str(directory / "cert.pem"), "-noout", "-subject").stdout
        assert subject.strip().replace(" ", "") == f"subject=CN={enclave}"
        for document in ("governance.p7s", "permissions.p7s"):
            result = _openssl("smime", "-verify", "-in", str(directory / document), "-CAfile", str(store.ca_cert))
            assert result.returncode == 0 and "Verification successful" in result.stderr, (document, result.stderr)
        signed = _openssl("smime", "-verify", "-in", str(directory / "permissions.p7s"), "-CAfile",
                          str(store.ca_cert), "-text").stdout
        assert signed.replace("\r\n", "\n") == (directory / "permissions.xml").read_text(), "signed what it shows"
        assert stat.S_IMODE((directory / "key.pem").stat().st_mode) == 0o600


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_a_tampered_permissions_file_fails_verification(keystore, tmp_path) -> None:
    store, _ = keystore
    tampered = tmp_path / "permissions.p7s"
    original = (store.enclave(VIEWER_ENCLAVE) / "permissions.p7s").read_text()
    tampered.write_text(original.replace("<subscribe>", "<publish>", 1).replace("</subscribe>", "</publish>", 1))
    result = _openssl("smime", "-verify", "-in", str(tampered), "-CAfile", str(store.ca_cert))
    assert result.returncode != 0


def test_the_franka_grants_are_exactly_its_topics_and_services(tmp_path) -> None:
    config = load_hardware_config(CONFIGS / "franka_panda.yaml")
    store = create_keystore(tmp_path / "ks", config)
    grants = {e: granted_topics((store.enclave(e) / "permissions.xml").read_bytes()) for e in ENCLAVES}
    inputs = {"rt/franka/joint_states", "rt/robot_ac/goal_pose", "rt/gelsight_left/image_raw",
              "rt/gelsight_right/image_raw"}
    command, diagnostics, transitions = ("rt/forward_position_controller/commands", "rt/diagnostics",
                                         "rt/policy_node/transition_event")
    own = TRIGGERS + LIFECYCLE + PARAMETERS
    assert grants[POLICY_NODE_ENCLAVE] == {
        "publish": {command, diagnostics, transitions} | {f"rr/policy_node/{s}Reply" for s in own} | PLUMBING_OUT,
        "subscribe": inputs | {f"rq/policy_node/{s}Request" for s in own} | PLUMBING_IN}
    operated = TRIGGERS + LIFECYCLE
    assert grants[OPERATOR_ENCLAVE] == {
        "publish": {"rt/robot_ac/goal_pose"} | {f"rq/policy_node/{s}Request" for s in operated} | PLUMBING_OUT,
        "subscribe": inputs | {command, diagnostics, transitions} | {f"rr/policy_node/{s}Reply" for s in operated}
        | PLUMBING_IN}
    assert grants[VIEWER_ENCLAVE] == {"publish": PLUMBING_OUT,
                                      "subscribe": inputs | {command, diagnostics, transitions} | PLUMBING_IN}
    assert grants[ROBOT_ENCLAVE] == {"publish": {"rt/franka/joint_states"} | PLUMBING_OUT,
                                     "subscribe": {command} | PLUMBING_IN}


def test_the_grants_follow_the_config_and_nothing_else(keystore) -> None:
    """Every granted topic outside the ROS plumbing is one of the config's topics or the policy node's services."""
    _, config = keystore
    topics = config.topics
    named = {t for t in (topics.joint_states, topics.command, topics.imu, topics.goal, topics.ee_pose, topics.gripper,
                         topics.wrench, topics.robot_state, topics.low_state, topics.diagnostics) if t}
    named |= set(topics.tactile.values())
    for grant in enclave_permissions(config):
        for name in set(grant.publish) | set(grant.subscribe):
            if name in PLUMBING_OUT | PLUMBING_IN or name.startswith(("rq/policy_node/", "rr/policy_node/")):
                continue
            assert name.startswith("rt/") and (name[2:] in named or name == "rt/policy_node/transition_event"), name


def test_running_again_keeps_the_ca_and_identities_and_renews_the_permissions(tmp_path) -> None:
    franka = load_hardware_config(CONFIGS / "franka_panda.yaml")
    store = create_keystore(tmp_path / "ks", franka)
    ca, identity = store.ca_cert.read_bytes(), (store.enclave(POLICY_NODE_ENCLAVE) / "cert.pem").read_bytes()
    moved = franka.model_copy(update={"topics": franka.topics.model_copy(update={"command": "/elsewhere"})})
    create_keystore(tmp_path / "ks", moved)
    assert store.ca_cert.read_bytes() == ca
    assert (store.enclave(POLICY_NODE_ENCLAVE) / "cert.pem").read_bytes() == identity
    granted = granted_topics((store.enclave(POLICY_NODE_ENCLAVE) / "permissions.xml").read_bytes())
    assert "rt/elsewhere" in granted["publish"]
    assert "rt/forward_position_controller/commands" not in granted["publish"]


def test_missing_enclave_files_names_each_one(tmp_path) -> None:
    store = create_keystore(tmp_path / "ks", load_hardware_config(CONFIGS / "unitree_g1_ros2_control.yaml"))
    directory = store.enclave(POLICY_NODE_ENCLAVE)
    (directory / "permissions.p7s").unlink()
    assert missing_enclave_files(directory) == ["permissions.p7s"]
    assert missing_enclave_files(tmp_path / "nowhere") == list(ENCLAVE_FILES)
