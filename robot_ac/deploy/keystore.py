"""An SROS2 keystore for a hardware config, made with ``cryptography`` alone (no sros2, no openssl CLI).

The layout is SROS2's, so ``ROS_SECURITY_KEYSTORE`` / ``--enclave`` and ``ros2 security`` find it::

    DIR/public/{ca,identity_ca,permissions_ca}.cert.pem     one CA (ECDSA P-256) is all three, as in SROS2
    DIR/private/{ca,identity_ca,permissions_ca}.key.pem     keep these off the robot
    DIR/enclaves/governance.{xml,p7s}                       SROS2's default governance, signed (S/MIME)
    DIR/enclaves/robot_ac/<name>/                           the six files rcl loads, plus permissions.xml:
        cert.pem key.pem identity_ca.cert.pem permissions_ca.cert.pem governance.p7s permissions.p7s

Unlike SROS2 an enclave holds copies, not symlinks, so one enclave directory can be copied onto a robot PC alone.
Running again reuses the CA and the enclaves' identities and signs the permissions anew (after a config change).
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID

from robot_ac._atomic import atomic_write_bytes
from robot_ac.contract.hardware_config import HardwareConfig
from robot_ac.deploy.permissions import EnclavePermissions, enclave_permissions
from robot_ac.deploy.security import missing_enclave_files
from robot_ac.errors import RobotAcError

CA_NAME = "robot_ac keystore CA"
VALIDITY = datetime.timedelta(days=3650)
BACKDATE = datetime.timedelta(days=1)
"""Certificates and grants start a day early: a robot PC whose clock lags the laptop's still accepts them."""


@dataclass(frozen=True)
class Keystore:
    root: Path

    @property
    def ca_cert(self) -> Path:
        return self.root / "public" / "ca.cert.pem"

    @property
    def ca_key(self) -> Path:
        return self.root / "private" / "ca.key.pem"

    @property
    def governance(self) -> Path:
        return self.root / "enclaves" / "governance.p7s"

    def enclave(self, name: str) -> Path:
        """The directory of enclave ``/a/b``."""
        return self.root / "enclaves" / name.strip("/")


def create_keystore(root: str | Path, config: HardwareConfig, *, domain_id: int = 0) -> Keystore:
    """Write (or update) the keystore at ``root`` with the enclaves of :func:`enclave_permissions` for ``config``,
    on DDS domain ``domain_id``."""
    if not 0 <= domain_id <= 232:
        raise RobotAcError(f"keystore: domain id {domain_id} is outside ROS 2's 0-232")
    store = Keystore(Path(root))
    if store.root.exists() and not store.root.is_dir():
        raise RobotAcError(f"keystore '{store.root}': exists and is not a directory")
    ca_cert, ca_key = _certificate_authority(store)
    public = ca_cert.public_bytes(serialization.Encoding.PEM)
    for alias in ("identity_ca", "permissions_ca"):
        atomic_write_bytes(store.root / "public" / f"{alias}.cert.pem", public)
        _write_private(store.root / "private" / f"{alias}.key.pem", ca_key)
    governance = governance_xml(domain_id)
    atomic_write_bytes(store.root / "enclaves" / "governance.xml", governance)
    signed_governance = _sign(governance, ca_cert, ca_key)
    atomic_write_bytes(store.governance, signed_governance)
    for grant in enclave_permissions(config):
        directory = store.enclave(grant.enclave)
        _identity(directory, grant.enclave, ca_cert, ca_key)
        for alias in ("identity_ca", "permissions_ca"):
            atomic_write_bytes(directory / f"{alias}.cert.pem", public)
        atomic_write_bytes(directory / "governance.p7s", signed_governance)
        permissions = permissions_xml(grant, domain_id)
        atomic_write_bytes(directory / "permissions.xml", permissions)
        atomic_write_bytes(directory / "permissions.p7s", _sign(permissions, ca_cert, ca_key))
    return store


def describe_keystore(store: Keystore) -> str:
    """What was written and where each enclave goes, for the console."""
    enclaves = sorted(p.parent for p in (store.root / "enclaves").rglob("permissions.p7s"))
    lines = [f"keystore '{store.root}': CA {store.ca_cert} (its key in {store.ca_key.parent}: keep that directory "
             "off the robot)"]
    lines += [f"  enclave /{e.relative_to(store.root / 'enclaves')}: {e}" for e in enclaves]
    lines.append("On the robot PC: ROS_SECURITY_KEYSTORE=<dir> ROS_SECURITY_ENABLE=true ROS_SECURITY_STRATEGY=Enforce, "
                 "and the node run with --enclave /robot_ac/policy_node (robot-ac deploy does this for a config "
                 "with security.dds: required)")
    return "\n".join(lines)


def show_keystore(store: Keystore) -> str:
    """Each enclave's grants and missing files, for the console."""
    if not (store.root / "enclaves").is_dir():
        raise RobotAcError(f"keystore '{store.root}': no enclaves/ directory (make one with robot-ac keystore "
                           "create)")
    lines = []
    for permissions in sorted((store.root / "enclaves").rglob("permissions.xml")):
        directory = permissions.parent
        granted = granted_topics(permissions.read_bytes())
        missing = missing_enclave_files(directory)
        lines.append(f"/{directory.relative_to(store.root / 'enclaves')}"
                     + (f"  (missing: {', '.join(missing)})" if missing else ""))
        for kind in ("publish", "subscribe"):
            lines.append(f"  {kind}: {', '.join(sorted(granted[kind])) or '-'}")
    return "\n".join(lines) or f"keystore '{store.root}': no enclaves"


def governance_xml(domain_id: int) -> bytes:
    """SROS2's default governance: no unauthenticated participants, join access control, and discovery,
    liveliness and data encrypted on every topic."""
    dds = ElementTree.Element("dds")
    domain_rule = _sub(_sub(dds, "domain_access_rules"), "domain_rule")
    _sub(_sub(domain_rule, "domains"), "id", str(domain_id))
    for tag, text in (("allow_unauthenticated_participants", "false"), ("enable_join_access_control", "true"),
                      ("discovery_protection_kind", "ENCRYPT"), ("liveliness_protection_kind", "ENCRYPT"),
                      ("rtps_protection_kind", "ENCRYPT")):
        _sub(domain_rule, tag, text)
    topic_rule = _sub(_sub(domain_rule, "topic_access_rules"), "topic_rule")
    for tag, text in (("topic_expression", "*"), ("enable_discovery_protection", "true"),
                      ("enable_liveliness_protection", "true"), ("enable_read_access_control", "true"),
                      ("enable_write_access_control", "true"), ("metadata_protection_kind", "ENCRYPT"),
                      ("data_protection_kind", "ENCRYPT")):
        _sub(topic_rule, tag, text)
    return _document(dds, "omg_shared_ca_governance.xsd")


def permissions_xml(grant: EnclavePermissions, domain_id: int, *,
                    now: datetime.datetime | None = None) -> bytes:
    """One DDS-Security grant for ``grant.enclave`` (subject ``CN=<enclave>``): allow exactly its topics, deny the
    rest."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    dds = ElementTree.Element("dds")
    element = _sub(_sub(dds, "permissions"), "grant", name=grant.enclave)
    _sub(element, "subject_name", f"CN={grant.enclave}")
    validity = _sub(element, "validity")
    _sub(validity, "not_before", _timestamp(now - BACKDATE))
    _sub(validity, "not_after", _timestamp(now + VALIDITY))
    allow = _sub(element, "allow_rule")
    _sub(_sub(allow, "domains"), "id", str(domain_id))
    for kind, topics in (("publish", grant.publish), ("subscribe", grant.subscribe)):
        if topics:
            listed = _sub(_sub(allow, kind), "topics")
            for name in topics:
                _sub(listed, "topic", name)
    _sub(element, "default", "DENY")
    return _document(dds, "omg_shared_ca_permissions.xsd")


def granted_topics(permissions: bytes) -> dict[str, set[str]]:
    """``{"publish": {...}, "subscribe": {...}}`` as a permissions document grants them."""
    root = ElementTree.fromstring(permissions)
    return {kind: {t.text or "" for t in root.iterfind(f"permissions/grant/allow_rule/{kind}/topics/topic")}
            for kind in ("publish", "subscribe")}


def _certificate_authority(store: Keystore) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    if store.ca_cert.is_file() and store.ca_key.is_file():
        try:
            key = serialization.load_pem_private_key(store.ca_key.read_bytes(), password=None)
            cert = x509.load_pem_x509_certificate(store.ca_cert.read_bytes())
        except ValueError as exc:
            raise RobotAcError(f"keystore '{store.root}': its CA ({store.ca_cert}, {store.ca_key}) does not load "
                               f"({exc}); move the keystore away to make a new one") from exc
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise RobotAcError(f"keystore '{store.root}': CA key {store.ca_key} is not an ECDSA key")
        return cert, key
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, CA_NAME)])
    cert = _certificate(name, name, key.public_key(), key, authority=True)
    _write_private(store.ca_key, key)
    atomic_write_bytes(store.ca_cert, cert.public_bytes(serialization.Encoding.PEM))
    return cert, key


def _identity(directory: Path, enclave: str, ca_cert: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey) -> None:
    """The enclave's key and its certificate from the CA, kept when both exist and the CA signed them."""
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    if cert_path.is_file() and key_path.is_file():
        try:
            x509.load_pem_x509_certificate(cert_path.read_bytes()).verify_directly_issued_by(ca_cert)
            return
        except (ValueError, TypeError, InvalidSignature):
            pass  # made by another CA, or damaged: a new identity
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, enclave)])
    cert = _certificate(subject, ca_cert.subject, key.public_key(), ca_key, authority=False)
    _write_private(key_path, key)
    atomic_write_bytes(cert_path, cert.public_bytes(serialization.Encoding.PEM))


def _certificate(subject: x509.Name, issuer: x509.Name, public_key, signing_key: ec.EllipticCurvePrivateKey, *,
                 authority: bool) -> x509.Certificate:
    now = datetime.datetime.now(datetime.timezone.utc)
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
            .serial_number(x509.random_serial_number()).not_valid_before(now - BACKDATE)
            .not_valid_after(now + VALIDITY)
            .add_extension(x509.BasicConstraints(ca=authority, path_length=1 if authority else None),
                           critical=authority)
            .sign(signing_key, hashes.SHA256()))


def _sign(document: bytes, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> bytes:
    """S/MIME, signature detached and content as text: what DDS-Security (9.4.1.2) and ``openssl smime`` read."""
    return (pkcs7.PKCS7SignatureBuilder().set_data(document).add_signer(cert, key, hashes.SHA256())
            .sign(serialization.Encoding.SMIME, [pkcs7.PKCS7Options.Text, pkcs7.PKCS7Options.DetachedSignature]))


def _write_private(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    atomic_write_bytes(path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    os.chmod(path, 0o600)


def _sub(parent: ElementTree.Element, tag: str, text: str | None = None, **attributes: str) -> ElementTree.Element:
    element = ElementTree.SubElement(parent, tag, attributes)
    element.text = text
    return element


def _document(root: ElementTree.Element, schema: str) -> bytes:
    root.set("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance")
    root.set("xsi:noNamespaceSchemaLocation", f"http://www.omg.org/spec/DDS-SECURITY/20170901/{schema}")
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _timestamp(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
