"""TLS material for the emulator: a CA and a server certificate.

Generated with ``cryptography`` (EC P-256); the server certificate covers ``127.0.0.1``
(as an IP SAN), ``localhost`` and ``::1``. Private keys are written with mode 0600
because ``ssl.SSLContext.load_cert_chain`` needs files.

- :func:`generate`: a throw-away CA (valid a few days) in a private temporary directory.
- :func:`load_or_create`: the CA and server certificate kept in a state directory and
  reused on every start, so the CA bundle path (and content) that configs and an open UI
  point at stays valid across emulator restarts. A server certificate close to expiry is
  re-issued from the kept CA; a CA close to expiry (or unreadable files) starts over.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import ipaddress
import os
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass(frozen=True)
class TlsMaterial:
    ca_pem: bytes
    ca_bundle: Path
    """The CA certificate (PEM) clients pass as ``connection_verify``."""
    cert_file: Path
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(str(self.cert_file), str(self.key_file))
        return ctx


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def _ca_name() -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "kompox-tui emulator"),
            x509.NameAttribute(NameOID.COMMON_NAME, "kompox-tui emulator CA"),
        ]
    )


def _new_ca(days: int) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(_ca_name())
        .issuer_name(_ca_name())
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    return ca_key, ca_cert


def _issue_server(
    ca_key: ec.EllipticCurvePrivateKey,
    ca_cert: x509.Certificate,
    hosts: tuple[str, ...],
    days: int,
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    now = dt.datetime.now(dt.UTC)
    not_after = min(now + dt.timedelta(days=days), ca_cert.not_valid_after_utc)
    sans: list[x509.GeneralName] = []
    for host in (*hosts, "::1"):
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            sans.append(x509.DNSName(host))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(not_after)
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    return key, cert


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _write_atomic(path: Path, data: bytes, mode: int = 0o644) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def generate(directory: Path, hosts: tuple[str, ...] = ("127.0.0.1", "localhost")) -> TlsMaterial:
    """Create a throw-away CA (valid 7 days) and a server certificate inside ``directory``."""
    ca_key, ca_cert = _new_ca(days=7)
    key, cert = _issue_server(ca_key, ca_cert, hosts, days=7)
    directory.mkdir(parents=True, exist_ok=True)
    ca_pem = ca_cert.public_bytes(serialization.Encoding.PEM)
    ca_bundle = directory / "emulator-ca.pem"
    ca_bundle.write_bytes(ca_pem)
    cert_file = directory / "server.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM) + ca_pem)
    key_file = directory / "server-key.pem"
    _write_private(key_file, _key_pem(key))
    return TlsMaterial(ca_pem=ca_pem, ca_bundle=ca_bundle, cert_file=cert_file, key_file=key_file)


KEPT_CA_DAYS = 825
KEPT_SERVER_DAYS = 90
RENEW_BEFORE = dt.timedelta(days=2)
"""Re-issue what expires within this time (an emulator may run for a while)."""


@contextlib.contextmanager
def locked(directory: Path) -> Iterator[None]:
    """An inter-process lock on ``directory`` (two emulators may start at once)."""
    directory.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        os.chmod(directory, 0o700)
    fd = os.open(directory / ".lock", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _covers(cert: x509.Certificate, hosts: tuple[str, ...]) -> bool:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    names = {str(n) for n in san.get_values_for_type(x509.DNSName)}
    names |= {str(n) for n in san.get_values_for_type(x509.IPAddress)}
    return all(h in names for h in hosts)


def load_or_create(
    directory: Path, hosts: tuple[str, ...] = ("127.0.0.1", "localhost")
) -> TlsMaterial:
    """The CA and server certificate kept in ``directory`` (created on first use).

    Files: ``emulator-ca.pem`` (the CA bundle clients trust), ``ca-key.pem`` (0600),
    ``server.pem`` (certificate + CA) and ``server-key.pem`` (0600).
    """
    ca_bundle = directory / "emulator-ca.pem"
    ca_key_file = directory / "ca-key.pem"
    cert_file = directory / "server.pem"
    key_file = directory / "server-key.pem"
    soon = dt.datetime.now(dt.UTC) + RENEW_BEFORE
    with locked(directory):
        ca_key: ec.EllipticCurvePrivateKey | None = None
        ca_cert: x509.Certificate | None = None
        try:
            ca_cert = x509.load_pem_x509_certificate(ca_bundle.read_bytes())
            loaded = serialization.load_pem_private_key(ca_key_file.read_bytes(), None)
            if (
                isinstance(loaded, ec.EllipticCurvePrivateKey)
                and ca_cert.not_valid_after_utc > soon
            ):
                ca_key = loaded
        except (OSError, ValueError):
            ca_key = None
        if ca_key is None or ca_cert is None:
            ca_key, ca_cert = _new_ca(days=KEPT_CA_DAYS)
            _write_atomic(ca_key_file, _key_pem(ca_key), 0o600)
            _write_atomic(ca_bundle, ca_cert.public_bytes(serialization.Encoding.PEM))
            with contextlib.suppress(OSError):
                cert_file.unlink()
        ca_pem = ca_cert.public_bytes(serialization.Encoding.PEM)
        reuse = False
        try:
            cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
            serialization.load_pem_private_key(key_file.read_bytes(), None)
            reuse = (
                cert.issuer == ca_cert.subject
                and cert.not_valid_after_utc > soon
                and _covers(cert, hosts)
            )
            if reuse:
                cert.verify_directly_issued_by(ca_cert)
        except (OSError, ValueError, TypeError):
            reuse = False
        except Exception:  # InvalidSignature: issued by an earlier CA of the same name
            reuse = False
        if not reuse:
            key, cert = _issue_server(ca_key, ca_cert, hosts, days=KEPT_SERVER_DAYS)
            _write_atomic(key_file, _key_pem(key), 0o600)
            _write_atomic(cert_file, cert.public_bytes(serialization.Encoding.PEM) + ca_pem)
    return TlsMaterial(ca_pem=ca_pem, ca_bundle=ca_bundle, cert_file=cert_file, key_file=key_file)
