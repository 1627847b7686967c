"""A Fast DDS XML profile (``FASTDDS_DEFAULT_PROFILES_FILE``) from a hardware config's ``dds`` section: type
propagation off where the robot runs Cyclone DDS, and the interfaces Fast DDS may use."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path
from xml.sax.saxutils import escape

from robot_ac._atomic import atomic_write_text
from robot_ac.contract.hardware_config import DdsConfig

PROFILE_NAME = "robot_ac"


def fastdds_profile(dds: DdsConfig) -> str | None:
    """The profile XML, or None where the defaults are what the robot needs."""
    if dds.type_propagation and not dds.interfaces:
        return None
    properties = "" if dds.type_propagation else (
        "<propertiesPolicy><properties><property><name>fastdds.type_propagation</name><value>disabled</value>"
        "</property></properties></propertiesPolicy>")
    transports = participant_transports = ""
    if dds.interfaces:
        allowed = "".join(f'<interface name="{escape(name)}"/>' for name in dds.interfaces)
        transports = ("<transport_descriptors><transport_descriptor><transport_id>robot_ac_udp</transport_id>"
                      f"<type>UDPv4</type><interfaces><allowlist>{allowed}</allowlist></interfaces>"
                      "</transport_descriptor></transport_descriptors>")
        participant_transports = ("<userTransports><transport_id>robot_ac_udp</transport_id></userTransports>"
                                  "<useBuiltinTransports>false</useBuiltinTransports>")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<dds xmlns="http://www.eprosima.com"><profiles>'
            f'{transports}<participant profile_name="{PROFILE_NAME}" is_default_profile="true"><rtps>'
            f"{participant_transports}{properties}</rtps></participant></profiles></dds>\n")


def write_fastdds_profile(dds: DdsConfig, directory: str | Path | None = None) -> dict[str, str]:
    """Write the profile (named by its content, into ``directory``, by default the temp dir's ``robot-ac/``: it
    must outlive the call, as long as the node runs); the environment that makes Fast DDS load it (empty: none
    needed)."""
    profile = fastdds_profile(dds)
    if profile is None:
        return {}
    directory = Path(directory) if directory is not None else Path(tempfile.gettempdir()) / "robot-ac"
    digest = hashlib.sha256(profile.encode()).hexdigest()[:16]
    path = atomic_write_text(directory / f"fastdds_{digest}.xml", profile)
    return {"FASTDDS_DEFAULT_PROFILES_FILE": str(path.resolve())}
