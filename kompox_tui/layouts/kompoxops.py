"""Real kompoxops v0.0.23's layout (``/work/shared/reference/kompox-real-facts.md`` §2-§5).

Hashes are sha256 read as a big-endian integer, written in base 36 with *no fixed width*,
cut to 6 characters (vector V2: ``sha256("ws1:prv1:app1")`` has 49 digits, so padding to
50 first would wrongly give ``0k9x84``). Resources are named
``safeTruncate("<prefix>_<kind>_<name>", hash)`` with prefix ``AZURE_RESOURCE_PREFIX`` or
``k4x-<spHASH>``; the cluster is a subscription deployment named after the cluster RG.

A listed disk is the volume's when its ``kompox-volume`` tag equals the volume name and
``kompox-disk-name`` is non-empty -- exactly kompoxops's rule. Snapshots use the same rule
with ``kompox-snapshot-name``: v0.0.23 lists every snapshot of the RG under every volume
(a regression from v0.0.13) and we deliberately do not copy that.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .. import naming
from . import DiskSpec, Layout, ProvisioningObject, ResourceKind, SnapshotSpec, VolumeNames

if TYPE_CHECKING:
    from ..model import Config, Volume

RG_SETTING = "AZURE_RESOURCE_GROUP_NAME"
PREFIX_SETTING = "AZURE_RESOURCE_PREFIX"
MAX_RESOURCE_PREFIX = 32
MAX_RESOURCE_NAME = 72
MAX_VOLUME_NAME = 16
MAX_DISK_NAME = 24
MAX_SNAPSHOT_NAME = 24
HASH_LENGTH = 6

TAG_WORKSPACE_NAME = "kompox-workspace-name"
TAG_PROVIDER_NAME = "kompox-provider-name"
TAG_CLUSTER_NAME = "kompox-cluster-name"
TAG_CLUSTER_HASH = "kompox-cluster-hash"
TAG_APP_NAME = "kompox-app-name"
TAG_APP_ID_HASH = "kompox-app-id-hash"

#: The SKUs ``volumes[].options.sku`` may name; anything else is Premium_LRS.
DISK_SKUS = frozenset(
    {
        "Standard_LRS",
        "Premium_LRS",
        "StandardSSD_LRS",
        "UltraSSD_LRS",
        "Premium_ZRS",
        "StandardSSD_ZRS",
        "PremiumV2_LRS",
    }
)
DEFAULT_DISK_SKU = "Premium_LRS"

_B36 = "0123456789abcdefghijklmnopqrstuvwxyz"
_COMPACT_ID = re.compile(r"^[0-9a-z]{12}$")
_DNS1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


# --- hashes and ids (pure) -----------------------------------------------------------------


def base36(value: int) -> str:
    """``value`` in base 36, lower case, no leading zeros (Go's ``big.Int.Text(36)``)."""
    if value == 0:
        return "0"
    digits = []
    while value:
        value, rem = divmod(value, 36)
        digits.append(_B36[rem])
    return "".join(reversed(digits))


def short_hash(text: str, length: int = HASH_LENGTH) -> str:
    """kompoxops's ShortHash: the first ``length`` base36 digits of sha256(text) read as a
    big-endian integer, written with no fixed width (left-padded only if shorter)."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return base36(int.from_bytes(digest, "big")).rjust(length, "0")[:length]


def _cut(text: str, limit: int) -> str:
    """The first ``limit`` bytes of ``text`` (Go slices strings by byte)."""
    raw = text.encode("utf-8")
    return text if len(raw) <= limit else raw[:limit].decode("utf-8", errors="ignore")


def safe_truncate(base: str, hash_: str) -> str:
    """``<base cut to 72 - len(hash) - 1 bytes>_<hash>``; ValueError if the hash is too long."""
    room = MAX_RESOURCE_NAME - (len(hash_) + 1)
    if room < 1:
        raise ValueError(f"hash too long: {len(hash_)} chars exceeds limit")
    return f"{_cut(base, room)}_{hash_}"


def new_compact_id(now: float | None = None) -> str:
    """A CompactID: 7 base36 digits of the Unix second + 5 of 3 random bytes mod 36^5."""
    seconds = int(time.time() if now is None else now)
    rand = int.from_bytes(secrets.token_bytes(3), "big") % 36**5
    return base36(seconds).rjust(7, "0") + base36(rand).rjust(5, "0")


def compact_id_time(value: str) -> datetime | None:
    """The UTC second a CompactID was made, or None when ``value`` is not one."""
    if not _COMPACT_ID.match(value):
        return None
    try:
        return datetime.fromtimestamp(int(value[:7], 36), tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


class Hashes:
    """The hierarchical hashes of ``workspace/provider/cluster/app``."""

    def __init__(self, workspace: str, provider: str, cluster: str, app: str) -> None:
        self.workspace = short_hash(workspace)
        self.provider = short_hash(f"{workspace}:{provider}")
        self.cluster = short_hash(f"{workspace}:{provider}:{cluster}")
        self.app_id = short_hash(f"{workspace}:{provider}:{app}")
        self.app_instance = short_hash(f"{workspace}:{provider}:{cluster}:{app}")
        self.namespace = f"k4x-{self.provider}-{app}-{self.app_id}"

    def volume_resource_name(self, volume: str, handle: str) -> str:
        """PV and PVC name ``k4x-<spHASH>-<vol>-<appID>-<volHASH>`` of a disk handle."""
        return f"k4x-{self.provider}-{volume}-{self.app_id}-{short_hash(handle)}"


def resource_prefix(settings: Mapping[str, str], provider_hash: str) -> str:
    """``AZURE_RESOURCE_PREFIX`` (trimmed) or ``k4x-<spHASH>``, cut to 32 bytes."""
    prefix = str(settings.get(PREFIX_SETTING) or "").strip() or f"k4x-{provider_hash}"
    return _cut(prefix, MAX_RESOURCE_PREFIX)


def workspace_name(config: Config) -> str:
    """The workspace name that feeds every hash (``workspace.name``; ``""`` when the file
    has none -- kompoxops v0.0.23 ignores a ``service:`` block, see vector V4)."""
    return config.workspace_name


def _int_option(value: Any) -> int | None:
    """``iops``/``mbps`` as kompoxops takes them: int or float only (quoted numbers and
    bools are ignored)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        return int(value)
    except (OverflowError, ValueError):
        return None


# --- the layout ------------------------------------------------------------------------------


class KompoxopsVolumeNames(VolumeNames):
    """Names of one volume: ``<prefix>_disk_<vol>_<CompactID>_<appID>`` and ``_snap_``."""

    first_disk_assigned = False  # kompoxops ≥ v0.0.14 never auto-assigns (bootstrap aside)

    def __init__(self, volume: Volume, layout: KompoxopsLayout) -> None:
        super().__init__(volume)
        self.layout = layout
        self.volume_tag = volume.name

    def new_name(self) -> str:
        return new_compact_id()

    def _base(self, kind: ResourceKind) -> str:
        infix = "disk" if kind == "disk" else "snap"
        return f"{self.layout.prefix}_{infix}_{self.volume.name}_"

    def resource_name(self, kind: ResourceKind, name: str) -> str:
        return safe_truncate(self._base(kind) + name, self.layout.hashes.app_id)

    def parse_name(self, kind: ResourceKind, text: str) -> str | None:
        value = text.strip() if isinstance(text, str) else ""
        base, suffix = self._base(kind), f"_{self.layout.hashes.app_id}"
        if value.startswith(base) and value.endswith(suffix) and len(value) > len(base) + 7:
            inner = value[len(base) : -len(suffix)]
            if self.resource_name(kind, inner) == value:
                value = inner
        limit = MAX_DISK_NAME if kind == "disk" else MAX_SNAPSHOT_NAME
        return value if len(value) <= limit and _DNS1123.match(value) else None

    def name_rule(self, kind: ResourceKind) -> str:
        limit = MAX_DISK_NAME if kind == "disk" else MAX_SNAPSHOT_NAME
        return (
            f"{kind} names are DNS-1123 labels of at most {limit} characters "
            "(a-z, 0-9 and '-', alphanumeric at both ends)"
        )

    def recognise(
        self, kind: ResourceKind, resource_name: str, tags: Mapping[str, Any]
    ) -> str | None:
        # kompoxops's own rule: the volume tag equals the volume name and the name tag is
        # non-empty. The resource name, app/workspace tags, SKU and zone are never checked.
        if not tags or tags.get(naming.TAG_VOLUME) != self.volume.name:
            return None
        key = naming.TAG_DISK_NAME if kind == "disk" else naming.TAG_SNAPSHOT_NAME
        name = tags.get(key)
        return name if isinstance(name, str) and name else None

    def disk_tags(
        self, name: str, *, assigned: bool, restored_from: str | None = None
    ) -> dict[str, str]:
        # kompoxops records no source on a restored disk; neither do we.
        return {
            **self.layout.app_resource_group_tags(),
            naming.TAG_VOLUME: self.volume.name,
            naming.TAG_DISK_NAME: name,
            naming.TAG_DISK_ASSIGNED: "true" if assigned else "false",
        }

    def snapshot_tags(self, name: str, *, source_disk: str) -> dict[str, str]:
        # No kompox-disk-name on snapshots since v0.0.7.
        return {
            **self.layout.app_resource_group_tags(),
            naming.TAG_VOLUME: self.volume.name,
            naming.TAG_SNAPSHOT_NAME: name,
        }

    def name_time(self, name: str) -> datetime | None:
        return compact_id_time(name)

    def size_gib(self) -> int:
        """floor(volume bytes / 2^30), at least 1 (``1536Mi`` → 1, ``10G`` → 9)."""
        try:
            size = self.volume.size_bytes
        except ValueError:  # the loader rejects such sizes; keep the guide's rounding
            return max(1, self.volume.size_gib)
        return max(1, size >> 30)

    def new_disk_spec(self) -> DiskSpec:
        options = self.volume.options
        sku = options.get("sku")
        return DiskSpec(
            sku=sku if isinstance(sku, str) and sku in DISK_SKUS else DEFAULT_DISK_SKU,
            size_gib=self.size_gib(),
            zone=self.layout.zone(),
            iops=_int_option(options.get("iops")),
            mbps=_int_option(options.get("mbps")),
            location=self.layout.location,
        )

    def restore_disk_spec(self, snapshot_size_gib: int) -> DiskSpec:
        # kompoxops sizes a restored disk from the volume, as a new one (not the snapshot).
        return self.new_disk_spec()

    def snapshot_spec(self) -> SnapshotSpec:
        # No incremental flag and no SKU: Azure makes a full snapshot. No zone.
        return SnapshotSpec(sku=None, incremental=None, location=self.layout.location)


class KompoxopsLayout(Layout):
    """kompoxops v0.0.23's names, tags and recognition."""

    name = "kompoxops"
    ensure_app_rg_on_create = True
    grants_cluster_role_on_app_rg = True

    def __init__(self, config: Config) -> None:
        super().__init__(config)
        self.workspace = workspace_name(config)
        self.hashes = Hashes(
            self.workspace, config.provider.name, config.cluster.name, config.app.name
        )
        self.prefix = resource_prefix(config.provider.settings, self.hashes.provider)
        self.location = str(config.provider.settings.get("AZURE_LOCATION") or "").strip().lower()

    def resource_location(self) -> str:
        return self.location  # trimmed and lower-cased, as kompoxops sends it

    def zone(self) -> str | None:
        """``app.deployment.zone`` (trimmed); None for a regional disk."""
        return self.config.app.deployment.zone.strip() or None

    # --- cluster ---------------------------------------------------------------------------

    def provisioning_object(self) -> ProvisioningObject:
        return ProvisioningObject("deployment", self.cluster_resource_group())

    def provision_summary(self) -> str:
        rg = self.cluster_resource_group()
        return (
            f"Deploys the subscription deployment '{rg}', which creates resource group "
            f"{rg} with the AKS cluster, identity, Key Vault and monitoring."
        )

    def deprovision_summary(self) -> str:
        # kompoxops's order (cluster_deployment.py): deployment, cluster RG, vault purge.
        rg = self.cluster_resource_group()
        return (
            f"Deletes the subscription deployment '{rg}', then resource group {rg} and "
            "everything in it (AKS cluster, identity, Key Vault, monitoring), then purges "
            "the soft-deleted Key Vault. Volumes' disks are in the app resource group "
            f"{self.app_resource_group()} and are kept."
        )

    def cluster_resource_group(self) -> str:
        value = self.config.cluster.settings.get(RG_SETTING)
        if value:  # verbatim, as kompoxops takes it
            return str(value)
        base = f"{self.prefix}_cls_{self.config.cluster.name}"
        return safe_truncate(base, self.hashes.cluster)

    def node_resource_group(self) -> str:
        return f"{self.cluster_resource_group()}_mc"

    def cluster_tags(self) -> dict[str, str]:
        return {
            TAG_WORKSPACE_NAME: self.workspace,
            TAG_PROVIDER_NAME: self.config.provider.name,
            TAG_CLUSTER_NAME: self.config.cluster.name,
            TAG_CLUSTER_HASH: self.hashes.cluster,
            naming.TAG_MANAGED_BY: naming.MANAGED_BY,
        }

    installed_marker = "service"

    def ingress_namespace(self) -> str:
        # kompoxops: cluster.ingress.namespace or "traefik" (its template default)
        return self.config.cluster.ingress.namespace or "traefik"

    def ingress_service_account(self) -> str:
        return self.config.cluster.ingress.service_account or "ingress-service-account"

    def app_namespace(self) -> str:
        return self.hashes.namespace

    def pv_name(self, volume: str, handle: str) -> str:
        """PV and PVC name of the disk whose Azure ``id`` is exactly ``handle``."""
        return self.hashes.volume_resource_name(volume, handle)

    # --- app and volumes ---------------------------------------------------------------

    def app_resource_group(self) -> str:
        value = self.config.app.settings.get(RG_SETTING)
        if value:
            return str(value)
        return safe_truncate(f"{self.prefix}_app_{self.config.app.name}", self.hashes.app_id)

    def app_resource_group_tags(self) -> dict[str, str]:
        return {
            TAG_WORKSPACE_NAME: self.workspace,
            TAG_PROVIDER_NAME: self.config.provider.name,
            TAG_APP_NAME: self.config.app.name,
            TAG_APP_ID_HASH: self.hashes.app_id,
            naming.TAG_MANAGED_BY: naming.MANAGED_BY,
        }

    def volume_problem(self, volume: Volume) -> str | None:
        if len(volume.name) > MAX_VOLUME_NAME or not _DNS1123.match(volume.name):
            return (
                f"kompoxops volume names are DNS-1123 labels of at most {MAX_VOLUME_NAME} "
                "characters (a-z, 0-9 and '-', alphanumeric at both ends)"
            )
        return None

    def volume_names(self, volume: Volume) -> KompoxopsVolumeNames:
        return KompoxopsVolumeNames(volume, self)
