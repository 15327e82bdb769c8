"""The token-signing key and the managed-identity header, and base64url helpers."""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_int(value: int) -> str:
    return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def signing_material(key_dir: Path | None) -> tuple[rsa.RSAPrivateKey, str]:
    """The token-signing key and the managed-identity header: new ones for a throw-away
    emulator; kept in ``key_dir`` (0600 files, created on first use) otherwise, so tokens a
    client holds and its ``IDENTITY_HEADER`` stay valid across emulator restarts."""
    if key_dir is None:
        return rsa.generate_private_key(public_exponent=65537, key_size=2048), (
            secrets.token_urlsafe(24)
        )
    from ..certs import locked

    key_file = key_dir / "token-signing-key.pem"
    header_file = key_dir / "identity-header"
    with locked(key_dir):
        try:
            loaded = serialization.load_pem_private_key(key_file.read_bytes(), None)
            header = header_file.read_text("utf-8").strip()
            if isinstance(loaded, rsa.RSAPrivateKey) and header:
                return loaded, header
        except (OSError, ValueError):
            pass
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        header = secrets.token_urlsafe(24)
        for path, data in (
            (
                key_file,
                key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                ),
            ),
            (header_file, header.encode("utf-8")),
        ):
            tmp = path.with_name(path.name + ".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        return key, header
