"""The keystore under a real DDS-Security implementation: Debian's Cyclone DDS 0.10.2 (the G1's DDS) with its
security plugins, each participant in its own process on loopback, with the enclaves ``robot-ac keystore`` makes
from the Franka config. The secured reader hears the operator and no intruder; an unsecured reader hears nothing
secured; the read-only viewer and the policy node cannot write goals; a look-alike keystore (its own CA) is shut
out."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from robot_ac.contract.hardware_config import load_hardware_config
from robot_ac.deploy.cyclone import cyclone_config, security_plugin_directory
from robot_ac.deploy.keystore import create_keystore
from robot_ac.deploy.permissions import OPERATOR_ENCLAVE, POLICY_NODE_ENCLAVE, VIEWER_ENCLAVE, topic
from robot_ac.errors import RobotAcError

pytest.importorskip("cyclonedds", reason="the cyclonedds binding (scripts/setup.sh builds it on Debian's 0.10.2)")
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def exchange(tmp_path_factory):
    try:
        security_plugin_directory()
    except RobotAcError as exc:
        pytest.skip(str(exc))
    domain = random.SystemRandom().randint(101, 200)
    tmp = tmp_path_factory.mktemp("dds")
    config = load_hardware_config(ROOT / "hardware_configs" / "franka_panda.yaml")
    store = create_keystore(tmp / "keystore", config, domain_id=domain)
    impostor = create_keystore(tmp / "impostor", config, domain_id=domain)
    goal = topic(config.topics.goal)

    def peer(role: str, enclave: Path | None, tag: str, seconds: float) -> subprocess.Popen:
        env = dict(os.environ, CYCLONEDDS_URI=cyclone_config(enclave=enclave))
        return subprocess.Popen([sys.executable, "-m", "tests.dds_security_peer", role, str(domain), goal, tag,
                                 str(seconds)], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)

    peers = {
        "policy_node_reader": peer("read", store.enclave(POLICY_NODE_ENCLAVE), "-", 10),
        "unsecured_reader": peer("read", None, "-", 10),
        "operator": peer("write", store.enclave(OPERATOR_ENCLAVE), "operator", 7),
        "intruder": peer("write", None, "intruder", 7),
        "impostor": peer("write", impostor.enclave(OPERATOR_ENCLAVE), "impostor", 7),
        "viewer_writer": peer("write", store.enclave(VIEWER_ENCLAVE), "viewer", 2),
        "policy_node_writer": peer("write", store.enclave(POLICY_NODE_ENCLAVE), "policy", 2),
        "viewer_reader": peer("read", store.enclave(VIEWER_ENCLAVE), "-", 10),
    }
    results = {}
    for name, process in peers.items():
        out, err = process.communicate(timeout=90)
        assert process.returncode == 0, f"{name}: {err[-2000:]}"
        results[name] = json.loads(out.strip().splitlines()[-1])
    return results


def test_the_secured_reader_hears_the_operator_and_no_one_else(exchange) -> None:
    assert exchange["operator"]["sent"] > 50
    received = exchange["policy_node_reader"]["received"]
    assert received.get("operator", 0) > 0.5 * exchange["operator"]["sent"], received
    assert set(received) == {"operator"}, "the intruder and the impostor's keystore are shut out"
    assert set(exchange["viewer_reader"]["received"]) == {"operator"}, "the viewer may read"


def test_an_unsecured_reader_hears_nothing_secured(exchange) -> None:
    assert "operator" not in exchange["unsecured_reader"]["received"]
    assert exchange["intruder"]["sent"] > 0, "the intruder itself runs: it just reaches no secured participant"


def test_enclaves_without_the_grant_cannot_create_a_writer(exchange) -> None:
    for name in ("viewer_writer", "policy_node_writer"):
        assert exchange[name]["refused"] == "writer", exchange[name]
        assert "NOT_ALLOWED_BY_SECURITY" in exchange[name]["error"]
