"""``provider.settings`` checks (SPEC §3) and the settings keys we know about.

Everything that reaches Azure is checked here first: the subscription is a GUID, URLs parse
and are https without credentials, files are regular and small. No traceback, no request.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

from kompox_tui.model import LAYOUTS, Settings

from .fields import Reader, is_secret_key, shown
from .yamlsrc import YMap, read_limited

#: SPEC §3: the settings each AZURE_AUTH_METHOD needs besides the three base keys.
AUTH_METHODS: dict[str, tuple[str, ...]] = {
    "client_secret": ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"),
    "client_certificate": ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_CERTIFICATE_PATH"),
    "managed_identity": (),
    "workload_identity": ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_FEDERATED_TOKEN_FILE"),
    "azure_cli": (),
    "azure_developer_cli": (),
}

REQUIRED_PROVIDER_SETTINGS = ("AZURE_SUBSCRIPTION_ID", "AZURE_LOCATION", "AZURE_AUTH_METHOD")

#: Provider settings holding file paths: relative paths are resolved against the file's directory.
PATH_SETTINGS = ("AZURE_CA_BUNDLE", "AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_FEDERATED_TOKEN_FILE")
URL_SETTINGS = ("AZURE_RESOURCE_MANAGER_ENDPOINT", "AZURE_AUTHORITY_HOST")

#: The provider setting that picks the layout (``guide`` | ``kompoxops``).
LAYOUT_SETTING = "KOMPOX_TUI_LAYOUT"

#: Every settings key kompoxops v0.0.23 or kompox-tui reads; an unknown key one edit away
#: from one of these is a warning (``AZURE_SUBSCRIPTON_ID``).
KNOWN_SETTINGS = frozenset(
    {
        *REQUIRED_PROVIDER_SETTINGS,
        *PATH_SETTINGS,
        *URL_SETTINGS,
        LAYOUT_SETTING,
        "AZURE_TENANT_ID",
        "AZURE_CLIENT_ID",
        "AZURE_CLIENT_SECRET",
        "AZURE_CLIENT_CERTIFICATE_PASSWORD",
        "AZURE_RESOURCE_PREFIX",
        "AZURE_RESOURCE_GROUP_NAME",
        "AZURE_RESOURCE_GROUP_BASE_NAME",
        "AZURE_AKS_KUBERNETES_VERSION",
        "AZURE_AKS_SYSTEM_POOL",
        "AZURE_AKS_DNS_ZONE_RESOURCE_IDS",
        "AZURE_AKS_CONTAINER_REGISTRY_RESOURCE_IDS",
        *(
            f"AZURE_AKS_{pool}_VM_{item}"
            for pool in ("SYSTEM", "USER")
            for item in ("SIZE", "DISK_TYPE", "DISK_SIZE_GB", "PRIORITY", "ZONES")
        ),
    }
)

MAX_FILE_BYTES = 1024 * 1024

_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_TENANT = re.compile(r"[0-9A-Za-z.-]+")
_LOCATION = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ]*")


def url_problem(value: str) -> str | None:
    """Why ``value`` is not a usable https endpoint (no traceback for ``https://[::1``)."""
    try:
        url = urlsplit(value)
        host = url.hostname
        url.port  # noqa: B018 -- raises ValueError for a bad port
    except ValueError as exc:
        return f"is not a valid URL ({exc}); expected e.g. https://management.azure.com"
    if url.scheme != "https" or not host:
        return "is not an https URL; expected e.g. https://management.azure.com"
    if url.username is not None or url.password is not None:
        return "must not contain a user name or password; remove the 'user:password@' part"
    if any(c.isspace() or ord(c) < 32 for c in value):
        return "contains spaces or control characters"
    return None


def layout_from_settings(reader: Reader, settings: Settings, node: YMap | None, path: str) -> str:
    """The ``KOMPOX_TUI_LAYOUT`` provider setting ('' when absent); invalid is an error."""
    value = settings.get(LAYOUT_SETTING, "").strip()
    if value and value not in LAYOUTS:
        line = node.key_line(LAYOUT_SETTING) if node is not None else None
        raise reader.fail(
            f"{path}.{LAYOUT_SETTING}",
            f"{shown(value)} is not a layout; expected one of " + ", ".join(LAYOUTS),
            line,
        )
    return value


def check_provider_settings(
    reader: Reader, settings: Settings, node: YMap | None, path: str
) -> Settings:
    """Validate the provider settings; returns them with file paths made absolute."""

    def line(key: str | None = None) -> int | None:
        if node is None:
            return None
        return node.key_line(key) if key else node.line

    def present(key: str) -> bool:
        return bool(settings.get(key, "").strip())

    def bad(key: str, problem: str) -> Exception:
        value = "value hidden" if is_secret_key(key) else shown(settings[key])
        return reader.fail(f"{path}.{key}", f"{value} {problem}", line(key))

    missing = [k for k in REQUIRED_PROVIDER_SETTINGS if not present(k)]
    if missing:
        raise reader.fail(
            path,
            "missing required setting" + ("s " if len(missing) > 1 else " ") + ", ".join(missing),
            line(),
            hint="AZURE_AUTH_METHOD is one of " + ", ".join(AUTH_METHODS),
        )
    if not _GUID.fullmatch(settings["AZURE_SUBSCRIPTION_ID"].strip()):
        raise bad(
            "AZURE_SUBSCRIPTION_ID",
            "is not a subscription ID; expected a GUID like 00000000-0000-0000-0000-000000000000",
        )
    if not _LOCATION.fullmatch(settings["AZURE_LOCATION"].strip()):
        raise bad("AZURE_LOCATION", "is not an Azure region; expected a name like japaneast")
    method = settings["AZURE_AUTH_METHOD"].strip()
    if method not in AUTH_METHODS:
        raise reader.fail(
            f"{path}.AZURE_AUTH_METHOD",
            f"unsupported AZURE_AUTH_METHOD: {shown(method)[1:-1]}; expected one of "
            + ", ".join(AUTH_METHODS),
            line("AZURE_AUTH_METHOD"),
        )
    needed = [k for k in AUTH_METHODS[method] if not present(k)]
    if needed:
        raise reader.fail(
            path,
            f"AZURE_AUTH_METHOD {method} needs "
            + ", ".join(AUTH_METHODS[method])
            + "; missing: "
            + ", ".join(needed),
            line(),
        )
    if present("AZURE_TENANT_ID") and not _TENANT.fullmatch(settings["AZURE_TENANT_ID"].strip()):
        raise bad(
            "AZURE_TENANT_ID",
            "is not a tenant ID; expected a GUID or a domain such as contoso.onmicrosoft.com",
        )
    for key in URL_SETTINGS:
        if present(key):
            problem = url_problem(settings[key].strip())
            if problem:
                raise bad(key, problem)
    updated = dict(settings)
    # kompoxops trims these (driver.go); a GUID with a trailing space must not reach ARM.
    for key in (*REQUIRED_PROVIDER_SETTINGS, "AZURE_TENANT_ID", "AZURE_CLIENT_ID", *URL_SETTINGS):
        if key in updated:
            updated[key] = updated[key].strip()
    for key in PATH_SETTINGS:
        if not present(key):
            continue
        resolved = resolve_path(reader.base_dir, settings[key].strip())
        # Only files the chosen method reads are checked; leftovers are kept as written.
        if key == "AZURE_CA_BUNDLE":
            data = read_checked(reader, resolved, f"{path}.{key}", line(key), "a PEM CA bundle")
            if b"-----BEGIN CERTIFICATE-----" not in data:
                raise reader.fail(
                    f"{path}.{key}",
                    f"{resolved} is not a PEM CA bundle; expected one or more "
                    "'-----BEGIN CERTIFICATE-----' blocks",
                    line(key),
                )
        elif key in AUTH_METHODS[method]:
            read_checked(reader, resolved, f"{path}.{key}", line(key), "a certificate or token")
        updated[key] = str(resolved)
    return Settings(updated)


def resolve_path(base_dir: Path, value: str) -> Path:
    candidate = Path(os.path.expanduser(value))
    if not candidate.is_absolute():
        candidate = base_dir / candidate
    return Path(os.path.normpath(candidate))


def read_checked(reader: Reader, path: Path, key: str, line: int | None, what: str) -> bytes:
    try:
        return read_limited(path, what, MAX_FILE_BYTES)
    except ValueError as exc:
        raise reader.fail(key, str(exc), line) from None
