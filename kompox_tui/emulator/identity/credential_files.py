"""Credentials a client reads from disk or ``PATH``, made for a principal of this emulator.

- a key + self-signed certificate PEM (``AZURE_CLIENT_CERTIFICATE_PATH``), the certificate
  registered on the principal;
- a federated token file (``AZURE_FEDERATED_TOKEN_FILE``), its subject registered as a
  federated credential of the principal;
- a fake ``az`` / ``azd`` executable that prints the JSON AzureCliCredential /
  AzureDeveloperCliCredential parse, with a token the emulator issued.

Files holding a key or a token are written 0600.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime
from pathlib import Path

from .service import IdentityService


def _write_private(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def write_client_certificate(
    svc: IdentityService,
    path: str | os.PathLike[str],
    *,
    client_id: str,
    password: str | None = None,
) -> Path:
    """Generate a key + self-signed certificate, register the certificate on
    ``client_id`` and write key + certificate as one PEM file (encrypted key with
    ``password``)."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kompox-emulator-client")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    svc.add_principal(client_id, certificate_pem=cert_pem)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(password.encode())
        if password
        else serialization.NoEncryption(),
    )
    target = Path(path)
    _write_private(target, key_pem + cert_pem)
    return target


def write_federated_token(
    svc: IdentityService, path: str | os.PathLike[str], *, subject: str, client_id: str
) -> Path:
    """Register ``subject`` as a federated credential of ``client_id`` and write a
    matching token file."""
    svc.add_principal(client_id, federated_subject=subject)
    target = Path(path)
    _write_private(target, svc.issue_federated_token(subject).encode("utf-8"))
    return target


def write_fake_cli(
    directory: str | os.PathLike[str],
    kind: str,
    *,
    token: str,
    expires_on: int,
    subscription_id: str,
    tenant_id: str,
) -> Path:
    """Write a fake ``az`` or ``azd`` into ``directory`` that prints ``token`` as the CLI
    does; returns the executable's path."""
    local = datetime.fromtimestamp(expires_on)
    if kind == "az":
        payload = {
            "accessToken": token,
            "expiresOn": local.strftime("%Y-%m-%d %H:%M:%S.%f"),
            "expires_on": expires_on,
            "subscription": subscription_id,
            "tenant": tenant_id,
            "tokenType": "Bearer",
        }
    elif kind == "azd":
        payload = {"token": token, "expiresOn": local.strftime("%Y-%m-%dT%H:%M:%SZ")}
    else:
        raise ValueError("kind must be 'az' or 'azd'")
    path = Path(directory) / kind
    script = (
        f"#!{sys.executable}\nimport sys\nsys.stdout.write({json.dumps(json.dumps(payload))})\n"
    )
    path.write_text(script, encoding="utf-8")
    path.chmod(0o700)
    return path
