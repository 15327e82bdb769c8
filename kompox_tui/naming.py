"""Names, hashes and tags of SPEC §2. Pure functions: no I/O, no clock except ULIDs."""

from __future__ import annotations

import hashlib
import os
import re
import threading
import time
from datetime import UTC, datetime

DRIVER_ID = "aks"
NIL_SERVICE = "(nil)"
MANAGED_BY = "kompox"

TAG_CLUSTER = "kompox-cluster"
TAG_MANAGED_BY = "managed-by"
TAG_VOLUME = "kompox-volume"
TAG_DISK_NAME = "kompox-disk-name"
TAG_DISK_ASSIGNED = "kompox-disk-assigned"
TAG_SNAPSHOT_NAME = "kompox-snapshot-name"

#: Azure disk and snapshot names: at most 80 characters of this set.
AZURE_DISK_NAME_MAX = 80
AZURE_DISK_NAME_CHARS = re.compile(r"^[A-Za-z0-9_.-]+$")
ULID_LENGTH = 26
_ULID_RE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")
_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def service_name(service: str | None) -> str:
    """``service.name``, or ``(nil)`` when there is no service."""
    return service if service else NIL_SERVICE


def is_dns1123_label(value: str) -> bool:
    return len(value) <= 63 and bool(_DNS1123_LABEL.match(value))


def stack_name(service: str | None, provider: str, cluster: str) -> str:
    """``kompox_<ServiceName>_<ProviderName>_<ClusterName>`` (subscription scope)."""
    return f"kompox_{service_name(service)}_{provider}_{cluster}"


def cluster_tag_value(service: str | None, provider: str, cluster: str) -> str:
    return f"{service_name(service)}/{provider}/{cluster}"


def stack_tags(service: str | None, provider: str, cluster: str) -> dict[str, str]:
    """Tags on the stack and on every resource the template creates."""
    return {
        TAG_CLUSTER: cluster_tag_value(service, provider, cluster),
        TAG_MANAGED_BY: MANAGED_BY,
    }


def id_hash(service: str | None, provider: str, app: str) -> str:
    """First 6 hex chars of ``sha1("<service>:<provider>:<app>")``; None service -> ``(nil)``."""
    seed = f"{service_name(service)}:{provider}:{app}"
    return hashlib.sha1(seed.encode("utf-8")).hexdigest()[:6]


def volume_key(volume: str, idhash: str) -> str:
    """The logical volume key ``<volName>-<idHASH>``."""
    return f"{volume}-{idhash}"


def azure_resource_name(lv_key: str, ulid: str) -> str:
    """Azure disk or snapshot name ``<volName>-<idHASH>-<ULID>``."""
    return f"{lv_key}-{ulid}"


def longest_azure_name_for(volume: str) -> int:
    """Length of the Azure disk name a volume produces (idHASH and ULID are fixed length)."""
    return len(volume) + 1 + 6 + 1 + ULID_LENGTH


def azure_name_problem(volume: str) -> str | None:
    """Why a volume name cannot make a valid Azure disk name, or None if it can."""
    length = longest_azure_name_for(volume)
    if length > AZURE_DISK_NAME_MAX:
        return (
            f"the Azure disk name '<volume>-<idHASH>-<ULID>' would be {length} characters, "
            f"over Azure's limit of {AZURE_DISK_NAME_MAX}; use a volume name of at most "
            f"{AZURE_DISK_NAME_MAX - (length - len(volume))} characters"
        )
    if not AZURE_DISK_NAME_CHARS.match(volume):
        return "Azure disk names allow only letters, digits, '_', '.' and '-'"
    return None


def parse_ulid_from_name(azure_name: str, lv_key: str) -> str | None:
    """The ULID at the end of ``<lvKey>-<ULID>``, or None when the name does not fit."""
    prefix = f"{lv_key}-"
    if not azure_name.startswith(prefix):
        return None
    rest = azure_name[len(prefix) :]
    return rest if _ULID_RE.match(rest) else None


def is_ulid(value: str) -> bool:
    return bool(_ULID_RE.match(value))


def disk_tags(lv_key: str, disk_ulid: str, assigned: bool) -> dict[str, str]:
    return {
        TAG_VOLUME: lv_key,
        TAG_DISK_NAME: disk_ulid,
        TAG_DISK_ASSIGNED: "true" if assigned else "false",
        TAG_MANAGED_BY: MANAGED_BY,
    }


def snapshot_tags(lv_key: str, snap_ulid: str, source_disk_ulid: str) -> dict[str, str]:
    return {
        TAG_VOLUME: lv_key,
        TAG_SNAPSHOT_NAME: snap_ulid,
        TAG_DISK_NAME: source_disk_ulid,
        TAG_MANAGED_BY: MANAGED_BY,
    }


class MonotonicUlid:
    """ULIDs that strictly increase even within one millisecond (UTC clock)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_ms = -1
        self._last_rand = 0

    def new(self, at: datetime | None = None) -> str:
        ms = int((at.timestamp() if at else time.time()) * 1000)
        with self._lock:
            if ms <= self._last_ms:
                ms = self._last_ms
                rand = self._last_rand + 1
                if rand >= 1 << 80:  # randomness exhausted within one ms: move to the next ms
                    ms += 1
                    rand = int.from_bytes(os.urandom(10), "big") >> 1
            else:
                # Leave headroom so increments within the same ms never overflow.
                rand = int.from_bytes(os.urandom(10), "big") >> 1
            self._last_ms, self._last_rand = ms, rand
        value = (ms << 80) | rand
        return _crockford(value)


_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _crockford(value: int) -> str:
    """A 128-bit integer as a 26-character Crockford base32 ULID string."""
    chars = []
    for _ in range(ULID_LENGTH):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


_GENERATOR = MonotonicUlid()


def new_ulid(at: datetime | None = None) -> str:
    """A new monotonic ULID (Crockford base32, 26 characters)."""
    return _GENERATOR.new(at)


def ulid_time(value: str) -> datetime:
    """The UTC timestamp encoded in a ULID."""
    from ulid import ULID  # imported here: python-ulid reads package metadata at import

    return ULID.from_str(value).datetime.astimezone(UTC)
