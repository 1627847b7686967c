"""Fail-closed DDS security for the policy node, and the discovery settings it runs with: pure checks of a hardware
config's ``security`` section against the process environment rcl reads (no ROS, no cryptography here)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from robot_ac.contract.hardware_config import SecurityConfig

ENCLAVE_FILES = ("cert.pem", "key.pem", "identity_ca.cert.pem", "permissions_ca.cert.pem", "governance.p7s",
                 "permissions.p7s")
"""What rcl needs in an enclave directory to create a secured node."""


def missing_enclave_files(directory: str | Path) -> list[str]:
    """The files of :data:`ENCLAVE_FILES` that ``directory`` lacks (all of them when it does not exist)."""
    return [name for name in ENCLAVE_FILES if not (Path(directory) / name).is_file()]


def enclave_directory(security: SecurityConfig, environ: Mapping[str, str]) -> Path | None:
    """Where rcl looks for the node's enclave: ``ROS_SECURITY_KEYSTORE``/enclaves/<enclave> (the enclave
    overridden by ``ROS_SECURITY_ENCLAVE_OVERRIDE``); None without a keystore."""
    keystore = environ.get("ROS_SECURITY_KEYSTORE")
    if not keystore:
        return None
    enclave = environ.get("ROS_SECURITY_ENCLAVE_OVERRIDE") or security.enclave
    return Path(keystore) / "enclaves" / enclave.strip("/")


def security_problems(security: SecurityConfig, environ: Mapping[str, str]) -> list[str]:
    """Every reason the node must not run under ``security``: empty when DDS security is not required, or when
    rcl will enforce it with a complete enclave. rcl itself, under ``Permissive``, would run unsecured without a
    word where the enclave is missing or incomplete: this says so instead."""
    if security.dds != "required":
        return []
    problems = []
    if environ.get("ROS_SECURITY_ENABLE", "") != "true":
        problems.append(f"ROS_SECURITY_ENABLE is '{environ.get('ROS_SECURITY_ENABLE', '')}', expected 'true'")
    if environ.get("ROS_SECURITY_STRATEGY", "") != "Enforce":
        problems.append(f"ROS_SECURITY_STRATEGY is '{environ.get('ROS_SECURITY_STRATEGY', '')}', expected "
                        "'Enforce' (Permissive runs unsecured where the enclave is missing)")
    directory = enclave_directory(security, environ)
    if directory is None:
        problems.append("ROS_SECURITY_KEYSTORE is not set (make a keystore with robot-ac keystore create)")
    else:
        missing = missing_enclave_files(directory)
        if len(missing) == len(ENCLAVE_FILES):
            problems.append(f"enclave '{security.enclave}': no enclave at {directory}")
        elif missing:
            problems.append(f"enclave '{security.enclave}' at {directory} lacks {', '.join(missing)}")
    return problems


def discovery_environment(security: SecurityConfig) -> dict[str, str]:
    """The variables rcl reads for discovery, from the config (set before ``rclpy.init``)."""
    environment = {}
    if security.discovery_range is not None:
        environment["ROS_AUTOMATIC_DISCOVERY_RANGE"] = security.discovery_range.upper()
    if security.static_peers:
        environment["ROS_STATIC_PEERS"] = ";".join(security.static_peers)
    return environment


def security_environment(security: SecurityConfig) -> dict[str, str]:
    """What a secured deployment sets on top of the operator's keystore path: enforce, never fall back."""
    if security.dds != "required":
        return {}
    return {"ROS_SECURITY_ENABLE": "true", "ROS_SECURITY_STRATEGY": "Enforce"}
