"""hashicorp/go-plugin's wire protocol, the parts both sides need: the magic cookie, the handshake line and
the AutoMTLS certificates. The plugin (plugin.rpc.goplugin) and the host (server_stub.supervisor) use it.
"""
from __future__ import annotations

import base64
import dataclasses
import datetime
import secrets

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# Mattermost's handshake configuration.
COOKIE_KEY = "MATTERMOST_PLUGIN"
COOKIE_VALUE = "Securely message teams, anywhere."
CORE_PROTOCOL_VERSION = 1
APP_PROTOCOL_VERSION = 1
# go-plugin's message when a plugin binary is run by hand.
NOT_A_PROGRAM_MESSAGE = (
    "This binary is a plugin. These are not meant to be executed directly.\n"
    "Please execute the program that consumes these plugins, which will\n"
    "load any plugins automatically\n"
)
# Service name whose health the host checks.
HEALTH_SERVICE = "plugin"


class HandshakeError(Exception):
    """The plugin's first stdout line is not a handshake this host accepts."""


@dataclasses.dataclass(frozen=True)
class Handshake:
    core_version: int
    app_version: int
    network: str  # "tcp" or "unix"
    address: str
    protocol: str  # "grpc" or "netrpc"
    server_cert_der: bytes | None = None

    def line(self) -> str:
        fields = [str(self.core_version), str(self.app_version), self.network, self.address, self.protocol]
        if self.server_cert_der:
            fields.append(base64.b64encode(self.server_cert_der).decode().rstrip("="))
        return "|".join(fields)

    @property
    def grpc_target(self) -> str:
        return f"unix:{self.address}" if self.network == "unix" else self.address


def parse_handshake(
    line: str, app_versions: tuple[int, ...] = (APP_PROTOCOL_VERSION,), protocols: tuple[str, ...] = ("grpc",)
) -> Handshake:
    """Parse the way go-plugin's client does, with its error messages."""
    parts = line.strip().split("|")
    if len(parts) < 4:
        raise HandshakeError(f"Unrecognized remote plugin message: {line.strip()!r}")
    try:
        core, app = int(parts[0]), int(parts[1])
    except ValueError as exc:
        raise HandshakeError(f"Error parsing protocol versions in handshake {line.strip()!r}") from exc
    if core != CORE_PROTOCOL_VERSION:
        raise HandshakeError(
            f"Incompatible core API version with plugin. Plugin version: {parts[0]}, "
            f"Core version: {CORE_PROTOCOL_VERSION}"
        )
    if app not in app_versions:
        raise HandshakeError(
            f"Incompatible API version with plugin. Plugin version: {app}, "
            f"Client versions: {list(app_versions)}"
        )
    network, address = parts[2], parts[3]
    if network not in ("tcp", "unix"):
        raise HandshakeError(f"Unknown address type: {network!r}")
    protocol = parts[4] if len(parts) > 4 and parts[4] else "netrpc"
    if protocol not in protocols:
        raise HandshakeError(f"Unsupported plugin protocol {protocol!r}. Supported: {list(protocols)}")
    cert = None
    if len(parts) > 5 and len(parts[5]) > 50:
        encoded = parts[5]
        try:
            cert = base64.b64decode(encoded + "=" * (-len(encoded) % 4))
        except ValueError as exc:
            raise HandshakeError("Error parsing the plugin's server certificate") from exc
    return Handshake(core, app, network, address, protocol, cert)


@dataclasses.dataclass(frozen=True)
class Certificate:
    cert_pem: bytes
    key_pem: bytes

    @property
    def cert_der(self) -> bytes:
        return x509.load_pem_x509_certificate(self.cert_pem).public_bytes(serialization.Encoding.DER)


def generate_certificate(curve: ec.EllipticCurve | None = None) -> Certificate:
    """A one-time self-signed certificate as go-plugin's AutoMTLS makes it: CN and SAN localhost, usable for
    client and server authentication, valid from 30 seconds ago. P-256 unless `curve` says otherwise (go-plugin's
    own hosts use P-521, signed with SHA-512)."""
    curve = curve or ec.SECP256R1()
    key = ec.generate_private_key(curve)
    name = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, "localhost"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "HashiCorp"),
    ])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(int.from_bytes(secrets.token_bytes(16), "big") >> 1)
        .not_valid_before(now - datetime.timedelta(seconds=30))
        .not_valid_after(now + datetime.timedelta(hours=262980))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, key_encipherment=True, key_agreement=True, key_cert_sign=True,
                content_commitment=False, data_encipherment=False, crl_sign=False,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .sign(key, hashes.SHA512() if curve.key_size > 384 else hashes.SHA256())
    )
    return Certificate(
        cert.public_bytes(serialization.Encoding.PEM),
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
    )


def der_to_pem(der: bytes) -> bytes:
    return x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM)
