"""The design guide's layout (SPEC §2): what kompox-tui has always made.

Stack ``kompox_<ServiceName>_<ProviderName>_<ClusterName>``, tag
``kompox-cluster=<svc>/<prv>/<cls>``, idHASH = first 6 hex of sha1, logical volume key
``<vol>-<idHASH>``, disks and snapshots named ``<lvKey>-<ULID>`` and recognised by that
name *and* the ``kompox-volume=<lvKey>`` tag, resource groups from the settings only.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .. import naming
from . import DiskSpec, Layout, ProvisioningObject, ResourceKind, SnapshotSpec, VolumeNames

if TYPE_CHECKING:
    from ..model import Config, Volume

RG_SETTING = "AZURE_RESOURCE_GROUP_NAME"
DISK_SKU = "Premium_LRS"
SNAPSHOT_SKU = "Standard_LRS"


class GuideVolumeNames(VolumeNames):
    """Names of one volume in the guide layout: ``<lvKey>-<ULID>``."""

    first_disk_assigned = True

    def __init__(self, volume: Volume, lv_key: str) -> None:
        super().__init__(volume)
        self.lv_key = lv_key
        self.prefix = f"{lv_key}-"
        self.volume_tag = lv_key

    def new_name(self) -> str:
        return naming.new_ulid()

    def resource_name(self, kind: ResourceKind, name: str) -> str:
        return naming.azure_resource_name(self.lv_key, name)

    def parse_name(self, kind: ResourceKind, text: str) -> str | None:
        # ULIDs are Crockford base32 and case-insensitive; the full Azure name is accepted.
        value = text.strip() if isinstance(text, str) else ""
        if value.startswith(self.prefix):
            value = value[len(self.prefix) :]
        value = value.upper()
        return value if naming.is_ulid(value) else None

    def name_rule(self, kind: ResourceKind) -> str:
        return f"{kind} names are 26-character ULIDs (Crockford base32)"

    def recognise(
        self, kind: ResourceKind, resource_name: str, tags: Mapping[str, Any]
    ) -> str | None:
        if type(resource_name) is not str or not resource_name.startswith(self.prefix):
            return None
        if not tags or tags.get(naming.TAG_VOLUME) != self.lv_key:
            return None
        ulid = resource_name[len(self.prefix) :]
        return ulid if naming.is_ulid(ulid) else None

    def disk_tags(
        self, name: str, *, assigned: bool, restored_from: str | None = None
    ) -> dict[str, str]:
        tags = naming.disk_tags(self.lv_key, name, assigned)
        if restored_from is not None:
            tags[naming.TAG_SNAPSHOT_NAME] = restored_from
        return tags

    def snapshot_tags(self, name: str, *, source_disk: str) -> dict[str, str]:
        return naming.snapshot_tags(self.lv_key, name, source_disk)

    def name_time(self, name: str) -> datetime | None:
        try:
            return naming.ulid_time(name)
        except (ValueError, TypeError):
            return None

    def new_disk_spec(self) -> DiskSpec:
        return DiskSpec(sku=DISK_SKU, size_gib=self.volume.size_gib)

    def restore_disk_spec(self, snapshot_size_gib: int) -> DiskSpec:
        # A disk can be bigger than its source, never smaller; 0 = Azure did not say.
        size = max(snapshot_size_gib, self.volume.size_gib) if snapshot_size_gib > 0 else 0
        return DiskSpec(sku=DISK_SKU, size_gib=size)

    def snapshot_spec(self) -> SnapshotSpec:
        return SnapshotSpec(sku=SNAPSHOT_SKU, incremental=True)


class GuideLayout(Layout):
    """SPEC §2 names; resource groups come from the settings."""

    name = "guide"

    def __init__(self, config: Config) -> None:
        super().__init__(config)
        self.service = config.service_name
        self.id_hash = naming.id_hash(self.service, config.provider.name, config.app.name)

    def provisioning_object(self) -> ProvisioningObject:
        c = self.config
        return ProvisioningObject(
            "stack", naming.stack_name(self.service, c.provider.name, c.cluster.name)
        )

    def provision_summary(self) -> str:
        return "Deploys the cluster's Deployment Stack (AKS, identity, Key Vault, monitoring)."

    def deprovision_summary(self) -> str:
        return (
            "Deletes the cluster's Deployment Stack and every resource it manages "
            "(AKS cluster, identity, Key Vault, monitoring). Volumes' disks are not part "
            "of the stack."
        )

    def cluster_resource_group(self) -> str | None:
        value = str(self.config.cluster.settings.get(RG_SETTING) or "").strip()
        return value or None

    def cluster_tags(self) -> dict[str, str]:
        c = self.config
        return naming.stack_tags(self.service, c.provider.name, c.cluster.name)

    def app_resource_group(self) -> str | None:
        value = str(self.config.app.settings.get(RG_SETTING) or "").strip()
        return value or None

    def app_resource_group_tags(self) -> dict[str, str]:
        return {naming.TAG_MANAGED_BY: naming.MANAGED_BY}

    def volume_problem(self, volume: Volume) -> str | None:
        return naming.azure_name_problem(volume.name)

    def volume_names(self, volume: Volume) -> GuideVolumeNames:
        return GuideVolumeNames(volume, naming.volume_key(volume.name, self.id_hash))
