"""Self-signed certificates for the sandbox's HTTPS servers (no network, no openssl binary)."""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class CertificatePair:
    cert_path: Path  # PEM; point clients' `verify=` or REQUESTS_CA_BUNDLE here
    key_path: Path


def write_self_signed_certificate(
    directory: Path, common_name: str = "localhost"
) -> CertificatePair:
    """Write a localhost certificate (also valid for 127.0.0.1 and ::1) and its key to ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    cert_path = directory / "sandbox-cert.pem"
    key_path = directory / "sandbox-key.pem"
    if cert_path.exists() and key_path.exists():
        return CertificatePair(cert_path, key_path)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=825))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    x509.IPAddress(ipaddress.ip_address("::1")),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return CertificatePair(cert_path, key_path)
