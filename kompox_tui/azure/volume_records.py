"""Listed disks and snapshots as the volume's records (pure: no I/O, no SDK calls).

A listed item (raw ARM JSON or an SDK model; both are mappings) is kept only when the
layout recognises it as a disk or snapshot of the volume (for the guide: its name starts
with ``<lvKey>-`` followed by a ULID and its ``kompox-volume`` tag equals the logical volume
key); only kept items are converted to :class:`~kompox_tui.model.VolumeDisk` /
:class:`~kompox_tui.model.VolumeSnapshot`. A malformed item is skipped, never raised.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple, TypeVar

from .. import naming
from ..errors import NotFoundError
from ..layouts import ResourceKind, VolumeNames
from ..layouts.guide import GuideVolumeNames
from ..layouts.kompoxops import base36
from ..model import Volume, VolumeDisk, VolumeSnapshot

DISK_SKU = "Premium_LRS"

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class VolumeContext:
    """Everything an operation needs to know about one app volume."""

    volume: Volume
    lv_key: str
    """The value of the volume's ``kompox-volume`` tag (guide: ``<vol>-<idHASH>``)."""
    prefix: str
    """Guide only: ``<lvKey>-``, the start of every disk and snapshot resource name."""
    resource_group: str
    location: str
    names: VolumeNames = None  # type: ignore[assignment]
    """The layout's naming answers for this volume (default: the guide's, from lv_key)."""

    def __post_init__(self) -> None:
        if self.names is None:
            object.__setattr__(self, "names", GuideVolumeNames(self.volume, self.lv_key))


@dataclass(frozen=True)
class DiskRecord:
    """A listed disk plus what later writes need that the public model does not carry."""

    disk: VolumeDisk
    tags: Mapping[str, str]
    location: str | None


@dataclass(frozen=True)
class SnapshotRecord:
    snapshot: VolumeSnapshot
    location: str | None


def parse_time(value: object) -> datetime | None:
    """An ARM timestamp (``2025-01-01T04:41:35.0798720+00:00``, ``...Z``) as aware UTC."""
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, str) and value:
        text = value
        # fromisoformat (3.11) takes at most 6 fractional digits; Azure sends 7.
        dot = text.find(".")
        if dot != -1:
            end = dot + 1
            while end < len(text) and text[end].isdigit():
                end += 1
            if end - dot - 1 > 6:
                text = text[: dot + 7] + text[end:]
        try:
            dt = datetime.fromisoformat(text)
        except ValueError:
            return None
    else:
        return None
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def _size_gib(props: Mapping[str, Any]) -> int:
    size = props.get("diskSizeGB")
    if isinstance(size, int) and not isinstance(size, bool):
        return size
    raw = props.get("diskSizeBytes")
    if isinstance(raw, int) and not isinstance(raw, bool) and raw > 0:
        return -(-raw // (1 << 30))
    return 0


def _raw(value: Any) -> Any:
    """The plain JSON dict behind a generated SDK model (its ``_data``), else ``value``."""
    return getattr(value, "_data", value)


class _Owned(NamedTuple):
    """A listed item that passed the volume filters (SPEC §5), with what both kinds read."""

    item: Mapping[str, Any]
    name: str
    ulid: str
    """The user-facing name (a ULID in the guide layout)."""
    tags: Mapping[str, Any]
    props: Mapping[str, Any]
    created: datetime
    location: str | None


def _owned(item: Any, ctx: VolumeContext, kind: ResourceKind) -> _Owned | None:
    """The item if the layout recognises it as the volume's disk or snapshot, else None.
    May raise for malformed input (callers catch)."""
    item = _raw(item)
    name = item.get("name")
    if type(name) is not str:
        return None
    tags = _raw(item.get("tags"))
    if not tags:
        return None
    user_name = ctx.names.recognise(kind, name, tags)
    if user_name is None:
        return None
    props = _raw(item.get("properties")) or {}
    created = parse_time(props.get("timeCreated")) or ctx.names.name_time(user_name) or _EPOCH
    ulid = user_name
    location = item.get("location")
    return _Owned(
        item, name, ulid, tags, props, created, location if isinstance(location, str) else None
    )


def _source_id(props: Mapping[str, Any]) -> str | None:
    """``properties.creationData.sourceResourceId`` (what a copy was made from), if any."""
    creation = _raw(props.get("creationData")) or {}
    return (
        _non_empty_str(creation.get("sourceResourceId")) if isinstance(creation, Mapping) else None
    )


def _lineage(ctx: VolumeContext, kind: ResourceKind, source_id: str | None) -> str | None:
    """The volume's ``kind`` that ``source_id`` names, by its user-facing name, else None.

    kompoxops keeps lineage only in ``creationData.sourceResourceId`` (no tag names the
    source), so a restored disk and a snapshot are linked through the resource id.
    """
    if not source_id:
        return None
    segment = (
        "/providers/microsoft.compute/disks/"
        if kind == "disk"
        else ("/providers/microsoft.compute/snapshots/")
    )
    if segment not in source_id.lower():
        return None
    azure_name = source_id.rstrip("/").rsplit("/", 1)[-1]
    name = ctx.names.parse_name(kind, azure_name)
    if name is None or ctx.names.resource_name(kind, name).lower() != azure_name.lower():
        return None
    return name


def _non_empty_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _first_zone(item: Mapping[str, Any]) -> str | None:
    zones = item.get("zones")
    if isinstance(zones, list) and zones and isinstance(zones[0], str) and zones[0]:
        return zones[0]
    return None


def _sku_name(item: Mapping[str, Any]) -> str | None:
    sku = _raw(item.get("sku")) or {}
    return _non_empty_str(sku.get("name")) if isinstance(sku, Mapping) else None


_VMSS_INSTANCE = re.compile(
    r"/virtualMachineScaleSets/(?P<vmss>[^/]+)/virtualMachines/(?P<id>\d+)$", re.IGNORECASE
)
_VM = re.compile(r"/virtualMachines/(?P<vm>[^/]+)$", re.IGNORECASE)


def node_name(managed_by: str | None) -> str | None:
    """The Kubernetes node name of the VM a disk is attached to (its ``managedBy``).

    AKS scale-set nodes are named after the instance's computer name: the scale set's
    name plus the instance id in base 36, zero-padded to 6
    (``.../virtualMachineScaleSets/aks-system-12345678-vmss/virtualMachines/10`` →
    ``aks-system-12345678-vmss00000a``). A plain VM's node is the VM name.
    """
    if not managed_by:
        return None
    match = _VMSS_INSTANCE.search(managed_by)
    if match:
        return match["vmss"].lower() + base36(int(match["id"])).rjust(6, "0")
    match = _VM.search(managed_by)
    return match["vm"].lower() if match else None


def disk_from_item(item: Mapping[str, Any], ctx: VolumeContext) -> DiskRecord | None:
    """A listed disk (raw ARM JSON or an SDK model, both mappings) if it belongs to the
    volume, else None. Never raises for malformed input."""
    try:
        owned = _owned(item, ctx, "disk")
        if owned is None:
            return None
        sku_name = _sku_name(owned.item)
        props = owned.props
        managed_by = _non_empty_str(owned.item.get("managedBy"))
        disk = VolumeDisk(
            name=owned.ulid,
            azure_name=owned.name,
            volume=ctx.volume.name,
            size_gib=_size_gib(owned.props),
            assigned=str(owned.tags.get(naming.TAG_DISK_ASSIGNED, "")).lower() == "true",
            created_at=owned.created,
            resource_id=str(owned.item.get("id") or ""),
            source=_non_empty_str(owned.tags.get(naming.TAG_SNAPSHOT_NAME))
            or _lineage(ctx, "snapshot", _source_id(props)),
            sku=sku_name or DISK_SKU,
            provisioning_state=_non_empty_str(props.get("provisioningState")),
            disk_state=_non_empty_str(props.get("diskState")),
            managed_by=managed_by,
            node=node_name(managed_by),
            zone=_first_zone(owned.item),
            iops=_int_or_none(props.get("diskIOPSReadWrite")),
            mbps=_int_or_none(props.get("diskMBpsReadWrite")),
        )
        return DiskRecord(disk, dict(owned.tags), owned.location)
    except (AttributeError, TypeError, ValueError, KeyError):
        return None


def snapshot_from_item(item: Mapping[str, Any], ctx: VolumeContext) -> SnapshotRecord | None:
    """A listed snapshot if it belongs to the volume, else None. Never raises."""
    try:
        owned = _owned(item, ctx, "snapshot")
        if owned is None:
            return None
        props = owned.props
        percent = props.get("completionPercent")
        incremental = props.get("incremental")
        creation = _raw(props.get("creationData")) or {}
        snap = VolumeSnapshot(
            name=owned.ulid,
            azure_name=owned.name,
            volume=ctx.volume.name,
            size_gib=_size_gib(owned.props),
            source_disk=_non_empty_str(owned.tags.get(naming.TAG_DISK_NAME))
            or _lineage(ctx, "disk", _source_id(props)),
            created_at=owned.created,
            resource_id=str(owned.item.get("id") or ""),
            provisioning_state=_non_empty_str(props.get("provisioningState")),
            incremental=incremental if isinstance(incremental, bool) else None,
            completion_percent=(
                float(percent)
                if isinstance(percent, (int, float)) and not isinstance(percent, bool)
                else None
            ),
            sku=_sku_name(owned.item),
            zone=_first_zone(owned.item),
            access_state=_non_empty_str(props.get("snapshotAccessState")),
            source_resource_id=(
                _non_empty_str(creation.get("sourceResourceId"))
                if isinstance(creation, Mapping)
                else None
            ),
        )
        return SnapshotRecord(snap, owned.location)
    except (AttributeError, TypeError, ValueError, KeyError):
        return None


_R = TypeVar("_R", DiskRecord, SnapshotRecord)


def _key_of(record: DiskRecord | SnapshotRecord) -> tuple[datetime, str]:
    if isinstance(record, DiskRecord):
        return record.disk.created_at, record.disk.azure_name
    return record.snapshot.created_at, record.snapshot.azure_name


def sort_newest_first(records: list[_R]) -> list[_R]:
    """Newest first by ``timeCreated``; equal times by name, ascending."""
    records.sort(key=lambda r: _key_of(r)[1])
    records.sort(key=lambda r: _key_of(r)[0], reverse=True)
    return records


def assign_winner(assigned: Iterable[VolumeDisk]) -> VolumeDisk | None:
    """The disk that stays assigned when several are: the greatest ULID (the newest disk).

    Every concurrent assign applies the same rule, so all of them agree on the winner.
    """
    return max(assigned, key=lambda d: d.name, default=None)


def _user_ulid(value: str, what: ResourceKind, ctx: VolumeContext) -> str:
    """A disk/snapshot name the user typed, canonical as the layout writes it; checked
    before any call. The full Azure resource name is accepted too."""
    name = ctx.names.parse_name(what, value)
    if name is None:
        raise NotFoundError(
            f"'{value}' is not a {what} name of volume '{ctx.volume.name}': "
            f"{ctx.names.name_rule(what)}",
            hint=f"copy the {what} name from the {what} list",
        )
    return name
