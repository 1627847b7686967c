"""Cyclone DDS participant configs (``CYCLONEDDS_URI``) for plain-DDS peers beside the ROS graph: the fake G1 and the
DDS-Security checks of a keystore. One XML per process: Cyclone reads its domain config once, at the first
participant."""

from __future__ import annotations

import platform
from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import quoteattr

from robot_ac.errors import RobotAcError

SECURITY_PLUGINS = {"Authentication": ("dds_security_auth", "authentication"),
                    "AccessControl": ("dds_security_ac", "access_control"),
                    "Cryptographic": ("dds_security_crypto", "crypto")}
"""Section -> (library, init/finalize function suffix) of Cyclone's DDS-Security plugins."""


def security_plugin_directory(search: Sequence[Path] | None = None) -> Path:
    """Where Cyclone's DDS-Security plugins are: Debian's ``cyclonedds-dev`` puts them in
    ``/usr/lib/<triplet>/libddsc0debian``, a source build beside ``libddsc``."""
    triplet = f"{platform.machine()}-linux-gnu"
    candidates = search or [Path(f"/usr/lib/{triplet}/libddsc0debian"), Path(f"/usr/lib/{triplet}"), Path("/usr/lib"),
                            Path("/usr/local/lib")]
    for directory in candidates:
        if (directory / "libdds_security_auth.so").is_file():
            return directory
    raise RobotAcError("Cyclone DDS security plugins (libdds_security_auth.so) not found in "
                       f"{', '.join(str(c) for c in candidates)}: install Debian's cyclonedds-dev (scripts/setup.sh "
                       "does)")


def cyclone_config(*, enclave: Path | None = None, peers: Sequence[str] = ("127.0.0.1",),
                   interface: str | None = "lo", plugins: Path | None = None) -> str:
    """A ``CYCLONEDDS_URI`` XML: unicast discovery of ``peers`` on ``interface`` (loopback by default: nothing
    leaves the machine) and, with ``enclave`` (an SROS2 enclave directory), DDS-Security with its six files."""
    network = f"<Interfaces><NetworkInterface name={quoteattr(interface)}/></Interfaces>" if interface else ""
    discovery = "".join(f"<Peer address={quoteattr(p)}/>" for p in peers)
    security = ""
    if enclave is not None:
        plugins = plugins or security_plugin_directory()
        files = {"IdentityCA": "identity_ca.cert.pem", "IdentityCertificate": "cert.pem", "PrivateKey": "key.pem",
                 "PermissionsCA": "permissions_ca.cert.pem", "Governance": "governance.p7s",
                 "Permissions": "permissions.p7s"}
        uri = {tag: f"<{tag}>file:{(Path(enclave) / name).resolve()}</{tag}>" for tag, name in files.items()}
        sections = {"Authentication": uri["IdentityCA"] + uri["IdentityCertificate"] + uri["PrivateKey"],
                    "AccessControl": uri["PermissionsCA"] + uri["Governance"] + uri["Permissions"],
                    "Cryptographic": ""}
        security = "<Security>" + "".join(
            f"<{section}><Library path={quoteattr(str(plugins / f'lib{library}.so'))} "
            f"initFunction=\"init_{suffix}\" finalizeFunction=\"finalize_{suffix}\"/>{sections[section]}</{section}>"
            for section, (library, suffix) in SECURITY_PLUGINS.items()) + "</Security>"
    return ("<CycloneDDS xmlns=\"https://cdds.io/config\"><Domain id=\"any\">"
            f"<General>{network}<AllowMulticast>false</AllowMulticast></General>"
            f"<Discovery><ParticipantIndex>auto</ParticipantIndex><MaxAutoParticipantIndex>50</MaxAutoParticipantIndex>"
            f"<Peers>{discovery}</Peers></Discovery>{security}</Domain></CycloneDDS>")
