"""TLS trust for every HTTPS call: verification is never switched off.

``AZURE_CA_BUNDLE`` is trusted *in addition to* the default store (SPEC §1), so a
private ARM CA (Azure Stack, the emulator) works beside public Entra ID. Handing
the SDKs the bundle path alone would *replace* the store -- requests ignores
``REQUESTS_CA_BUNDLE`` once ``verify`` is a path -- so we hand them one combined
file: the store requests would use (``REQUESTS_CA_BUNDLE``, ``CURL_CA_BUNDLE``,
else certifi's) followed by the extra bundle. It holds only public certificates;
it lives in the user cache directory under a name derived from its content.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from ..errors import ConfigError
from ..private_files import write_private

MAX_BUNDLE_BYTES = 4 * 1024 * 1024


def default_store() -> str:
    """The CA file requests would verify against when given ``verify=True``."""
    for variable in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        value = os.environ.get(variable, "").strip()
        if value:
            return value
    import certifi

    return str(certifi.where())


def read_pem(path: Path, what: str, key: str | None = None) -> bytes:
    """A PEM file's bytes: a regular file, at most :data:`MAX_BUNDLE_BYTES`."""
    try:
        info = path.stat()
    except OSError as exc:
        raise ConfigError(f"{what} not found: {path} ({exc.strerror})", key=key) from None
    if not stat.S_ISREG(info.st_mode):
        raise ConfigError(f"{what} {path} is not a regular file", key=key)
    if info.st_size > MAX_BUNDLE_BYTES:
        raise ConfigError(
            f"{what} {path} is larger than {MAX_BUNDLE_BYTES // (1024 * 1024)} MiB", key=key
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read {what} {path} ({exc.strerror})", key=key) from None
    if b"-----BEGIN CERTIFICATE-----" not in data:
        raise ConfigError(
            f"{what} {path} holds no PEM certificate",
            key=key,
            hint="give a PEM file with one or more -----BEGIN CERTIFICATE----- blocks",
        )
    return data


def trust_bundle(extra: str | None, key: str | None = None) -> str | None:
    """Path of a bundle trusting the default store plus ``extra``; None when no ``extra``."""
    if not extra:
        return None
    extra_data = read_pem(Path(extra).expanduser(), "CA bundle", key)
    store = Path(default_store())
    try:
        store_data = store.read_bytes() if store.is_file() else b""
    except OSError:
        store_data = b""  # an unreadable default store: trust the extra bundle alone
    combined = store_data.rstrip(b"\n") + b"\n" + extra_data
    digest = hashlib.sha256(combined).hexdigest()[:32]
    import platformdirs

    folder = platformdirs.user_cache_path("kompox-tui") / "ca"
    target = folder / f"bundle-{digest}.pem"
    if target.is_file():
        return str(target)
    write_private(target, combined)
    return str(target)
