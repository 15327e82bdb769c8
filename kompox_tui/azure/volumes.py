"""Volume disks and snapshots of one app (SPEC §2, §5; the guide's volume sections).

Every public method of :class:`VolumeOps` validates the volume name and the resource
group setting before any network call, calls ``guard_write`` first when it mutates,
runs under its SPEC §5 time limit and raises only ``kompox_tui.errors`` types.

Design notes (the choices the spec leaves open):

* **Lists** page through ``list_by_resource_group``'s URL with the compute client's own
  pipeline (``send_request``: same retry policy, ApiCallEvents, transport timeout) and
  read the JSON pages directly -- the first request from the SDK's own request builder,
  then ``nextLink`` verbatim, as the generated pager does -- so no SDK model is built per
  item (~0.4 ms each; with 10,000 items the worker held the GIL for seconds and stalled
  the UI). A non-200 page is raised as the generated code raises it (``map_error``, then
  ``HttpResponseError`` with ``ARMErrorFormat``). A resource is kept only when its name
  starts with ``<lvKey>-`` followed by a ULID and its ``kompox-volume`` tag equals the
  logical volume key; only kept items are converted to
  :class:`~kompox_tui.model.VolumeDisk`. A malformed item is skipped, never raised.
* **Create** sends ``If-None-Match: *`` so an existing disk of the same name is never
  overwritten (Azure answers 412; some servers 409). Both are a
  :class:`~kompox_tui.errors.ConflictError`, except for one case: azure-core retries a
  PUT after a dropped connection or a 5xx, and when the server had in fact applied the
  first attempt the retry meets our own disk. The name holds a ULID generated for this
  call, so the existing resource is read back and adopted only if it is exactly the
  resource we asked for (same kompox tags, SKU and source); anything else is a conflict
  and the name is never retried. (A per-call ``raw_request_hook`` could tell retries
  apart, but the shared clients replace azure-core's CustomHookPolicy, so the option
  would reach the transport; the comparison needs no pipeline cooperation.)
* **Assign and disk delete** live in :mod:`kompox_tui.azure.assign` (the swap on Azure's
  real semantics: disks have no ETag, so tag writes are read-merge-PATCH without
  ``If-Match``; mutual exclusion through a Lease in the cluster, :mod:`.lease`; a settle
  step after every write). ``VolumeOps`` keeps thin delegations.
* **LRO polling**: azure-core sleeps for the server's ``Retry-After`` (float seconds are
  honoured) and falls back to ``polling_interval`` only when it is absent or 0. The
  emulator scales ``Retry-After`` with its speed (``0.001`` at speed 1000), so polls are
  ~1 ms apart in tests; ``VolumeOps.polling_interval`` overrides the client's fallback
  per call. The poller waits at most the operation's remaining time (SPEC §5).
* **ETag read**: the generated ``disks.get`` calls ``cls(pipeline_response, model, {})``
  with an *empty* headers dict, so the ETag is read from
  ``pipeline_response.http_response.headers``.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar
from urllib.parse import quote

from azure.core.exceptions import AzureError as SdkAzureError
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceNotFoundError,
    ResourceNotModifiedError,
    map_error,
)
from azure.core.rest import HttpRequest
from azure.mgmt.core.exceptions import ARMErrorFormat

from .. import naming
from ..errors import (
    AzureError,
    ConfigError,
    ConflictError,
    KompoxError,
    NotFoundError,
    OperationTimeout,
    PreconditionError,
)
from ..layouts import DiskSpec, Layout, ResourceKind, VolumeNames, layout_for
from ..layouts.guide import GuideVolumeNames
from ..layouts.kompoxops import base36
from ..model import (
    Config,
    DriverEvent,
    ProgressEvent,
    Volume,
    VolumeDisk,
    VolumeHealth,
    VolumeSnapshot,
)
from .deadline import Deadline
from .errors_map import map_error as map_to_kompox

if TYPE_CHECKING:
    from .assign import AssignOutcome
    from .clients import AzureClients

T = TypeVar("T")

RG_SETTING = "AZURE_RESOURCE_GROUP_NAME"
DISK_SKU = "Premium_LRS"
#: Built-in Contributor role (the same UUID in every tenant).
CONTRIBUTOR_ROLE_ID = "b24988ac-6180-42a0-ab88-20f7382dd24c"
#: The deployment output holding the AKS cluster's system-assigned identity.
OUTPUT_CLUSTER_PRINCIPAL_ID = "AZURE_AKS_CLUSTER_PRINCIPAL_ID"
DEPLOYMENTS_API_VERSION = "2024-03-01"
ROLE_ASSIGNMENTS_API_VERSION = "2022-04-01"

#: SPEC §5 time limits, seconds.
DEFAULT_TIMEOUTS: dict[str, float] = {
    "disk list": 60.0,
    "disk create": 120.0,
    "disk assign": 60.0,
    "disk delete": 120.0,
    "snapshot list": 60.0,
    "snapshot create": 180.0,
    "snapshot delete": 120.0,
    "snapshot restore": 180.0,
    "volume health": 60.0,
}

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: The generated ``list_by_resource_group``'s error map (compute 39).
_LIST_ERROR_MAP: dict[int, type[HttpResponseError]] = {
    401: ClientAuthenticationError,
    404: ResourceNotFoundError,
    409: ResourceExistsError,
    304: ResourceNotModifiedError,
}


# --- pure helpers (no I/O) ---------------------------------------------------------------


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


def error_code(exc: BaseException) -> str | None:
    err = getattr(exc, "error", None)
    code = getattr(err, "code", None)
    return code if isinstance(code, str) else None


def is_rg_missing(exc: BaseException) -> bool:
    """True for the typed 404 ``ResourceGroupNotFound`` (never by message text)."""
    return isinstance(exc, ResourceNotFoundError) and (error_code(exc) or "").lower() == (
        "resourcegroupnotfound"
    )


def is_precondition_failed(exc: BaseException) -> bool:
    return isinstance(exc, HttpResponseError) and (
        exc.status_code == 412 or (error_code(exc) or "").lower() == "preconditionfailed"
    )


def is_conflict(exc: BaseException) -> bool:
    return isinstance(exc, ResourceExistsError) or (
        isinstance(exc, HttpResponseError) and exc.status_code == 409
    )


def to_kompox_error(operation: str, exc: BaseException) -> KompoxError:
    """The project's typed error for ``exc`` (one mapper for every operation)."""
    return map_to_kompox(operation, exc)


# --- the operations --------------------------------------------------------------------


class VolumeOps:
    """Disks and snapshots of ``config.app``'s volumes."""

    #: Where the volume's Lease comes from: ``factory(operation) -> KubeRest`` (set by the
    #: driver; None: no lease at all). See kompox_tui/azure/lease.py.
    lease_kube: Callable[[str], Any] | None = None
    #: Lease duration and acquire retry period, seconds (tests scale them down).
    lease_duration: float = 15.0
    lease_retry: float | None = None
    #: Without the lease, a delete watches the volume for a running swap for four list
    #: round trips, at most this long (seconds).
    unguarded_delete_wait: float = 2.0
    #: Parallel "clear others" writes.
    max_workers: int = 8

    def __init__(
        self,
        config: Config,
        clients: AzureClients,
        emit: Callable[[DriverEvent], None],
        guard_write: Callable[[str], None],
    ) -> None:
        self.config = config
        self.clients = clients
        self.emit = emit
        self.guard_write = guard_write
        #: SPEC §5 limits in seconds, per operation; tests may scale them.
        self.timeouts: dict[str, float] = dict(DEFAULT_TIMEOUTS)
        #: LRO polling interval used when the server sends no Retry-After; None keeps the
        #: client's own setting.
        self.polling_interval: float | None = None
        #: Where new disk/snapshot names come from; None: the layout's generator (ULID or
        #: CompactID). Tests and the demo pin it (a name clash, fixed timestamps).
        self.new_ulid: Callable[[], str] | None = None
        #: Every naming answer (names, tags, recognition, RGs) comes from the layout.
        self.layout: Layout = layout_for(config)

    # --- validation --------------------------------------------------------------------

    def _context(self, volume: str) -> VolumeContext:
        """Validate the volume and the RG setting; no network."""
        app = self.config.app
        vol = app.volume(volume)
        if vol is None:
            known = ", ".join(v.name for v in app.volumes) or "(none)"
            raise NotFoundError(
                f"volume '{volume}' is not defined in app.volumes of {self.config.path}; "
                f"known volumes: {known}",
                hint="pick one of the known volumes, or add it to app.volumes",
            )
        if vol.type != "disk":
            # kompoxops keeps `type: files` volumes as Azure Files shares (no disks, no
            # snapshots); listing disks for one would show nothing and create the wrong thing.
            raise PreconditionError(
                f"volume '{vol.name}' has type '{vol.type}' (an Azure Files share); "
                "kompox-tui manages disk volumes only",
                hint="manage it with kompoxops, or pick a disk volume",
            )
        problem = self.layout.volume_problem(vol)
        if problem:
            index = app.volumes.index(vol)
            raise ConfigError(
                f"invalid volume name '{vol.name}': {problem}",
                file=str(self.config.path),
                key=f"app.volumes[{index}].name",
            )
        rg = self.layout.app_resource_group()
        if not rg:
            raise ConfigError(
                "volume operations need the resource group of the app's disks",
                file=str(self.config.path),
                key=f"app.settings.{RG_SETTING}",
                hint=f"set app.settings.{RG_SETTING} in {self.config.path}",
            )
        names = self.layout.volume_names(vol)
        return VolumeContext(
            volume=vol,
            lv_key=names.volume_tag,
            prefix=f"{names.volume_tag}-",
            resource_group=rg,
            location=self.layout.resource_location(),
            names=names,
        )

    def _new_name(self, ctx: VolumeContext) -> str:
        return self.new_ulid() if self.new_ulid is not None else ctx.names.new_name()

    def _begin(self, op: str, volume: str, *, write: bool) -> tuple[VolumeContext, Deadline, float]:
        """Start an operation: the read-only guard first (writes), then the volume and
        RG checks -- all before any network call; then its deadline and start time."""
        if write:
            self.guard_write(op)
        ctx = self._context(volume)
        return ctx, self._deadline(op), time.monotonic()

    def _deadline(self, operation: str) -> Deadline:
        return Deadline(operation, self.timeouts.get(operation, 60.0))

    def _info(self, operation: str, message: str, started: float) -> None:
        self.emit(
            ProgressEvent(
                operation=operation,
                kind="info",
                message=message,
                elapsed_s=time.monotonic() - started,
            )
        )

    def _lro_kwargs(self) -> dict[str, Any]:
        return {} if self.polling_interval is None else {"polling_interval": self.polling_interval}

    def _wait(self, poller: Any, deadline: Deadline) -> Any:
        result = poller.result(timeout=deadline.remaining())
        if not poller.done():
            deadline.remaining()  # raises once expired
            raise OperationTimeout(
                f"{deadline.operation} did not finish within {deadline.seconds:g} s"
            )
        return result

    def _run(self, operation: str, fn: Callable[[], T], deadline: Deadline | None = None) -> T:
        """``fn()`` with SDK errors mapped; under ``deadline`` (the current one while it
        runs, so retry waits and request timeouts keep to it and name the operation)."""
        try:
            if deadline is None:
                return fn()
            with deadline:
                return fn()
        except KompoxError:
            raise
        except Exception as exc:
            raise to_kompox_error(operation, exc) from exc

    # --- listing ---------------------------------------------------------------------------

    def _list_volume_items(
        self,
        first_request: Callable[..., HttpRequest],
        parse: Callable[[Mapping[str, Any], VolumeContext], _R | None],
        ctx: VolumeContext,
        deadline: Deadline,
    ) -> list[_R] | None:
        """The volume's disks or snapshots (the SDK's ``first_request`` builder + its
        ``parse``), newest first; None when the resource group does not exist."""
        compute = self.clients.compute()
        request = first_request(
            resource_group_name=ctx.resource_group,
            subscription_id=compute._config.subscription_id,
        )
        timeout = deadline.remaining()
        found: list[_R] = []
        append = found.append
        key = ctx.names.volume_tag
        tag_volume = naming.TAG_VOLUME
        while True:
            response = compute.send_request(request, timeout=timeout)
            if response.status_code != 200:
                try:
                    map_error(response.status_code, response, _LIST_ERROR_MAP)
                    raise HttpResponseError(response=response, error_format=ARMErrorFormat)
                except ResourceNotFoundError as exc:
                    if is_rg_missing(exc):
                        return None
                    raise
            body = response.json()
            for item in body.get("value") or ():
                # Cheap pre-filter on the raw JSON (every layout tags the volume);
                # the layout's full recognition only for survivors.
                try:
                    if item["tags"].get(tag_volume) != key:
                        continue
                except (KeyError, TypeError, AttributeError):
                    continue
                record = parse(item, ctx)
                if record is not None:
                    append(record)
            deadline.remaining()
            next_link = body.get("nextLink")
            if not next_link:
                return sort_newest_first(found)
            request = HttpRequest("GET", next_link)

    def _list_disks(self, ctx: VolumeContext, deadline: Deadline) -> list[DiskRecord] | None:
        """The volume's disks, newest first; None when the resource group does not exist."""
        from azure.mgmt.compute.operations._operations import (
            build_disks_list_by_resource_group_request,
        )

        return self._list_volume_items(
            build_disks_list_by_resource_group_request, disk_from_item, ctx, deadline
        )

    def _list_snapshots(
        self, ctx: VolumeContext, deadline: Deadline
    ) -> list[SnapshotRecord] | None:
        from azure.mgmt.compute.operations._operations import (
            build_snapshots_list_by_resource_group_request,
        )

        return self._list_volume_items(
            build_snapshots_list_by_resource_group_request, snapshot_from_item, ctx, deadline
        )

    def disk_list(self, volume: str) -> list[VolumeDisk]:
        op = "disk list"
        ctx, deadline, _started = self._begin(op, volume, write=False)
        records = self._run(op, lambda: self._list_disks(ctx, deadline), deadline)
        return [r.disk for r in records or ()]

    def snapshot_list(self, volume: str) -> list[VolumeSnapshot]:
        op = "snapshot list"
        ctx, deadline, _started = self._begin(op, volume, write=False)
        records = self._run(op, lambda: self._list_snapshots(ctx, deadline), deadline)
        return [r.snapshot for r in records or ()]

    def volume_health(self, volume: str) -> VolumeHealth:
        op = "volume health"
        ctx, deadline, _started = self._begin(op, volume, write=False)
        records = self._run(op, lambda: self._list_disks(ctx, deadline), deadline)
        disks = [r.disk for r in records or ()]
        assigned = tuple(d.name for d in disks if d.assigned)
        return VolumeHealth(
            volume=ctx.volume.name,
            disks=len(disks),
            assigned=len(assigned),
            assigned_disks=assigned,
        )

    # --- create / restore ------------------------------------------------------------------

    def _ensure_resource_group(self, ctx: VolumeContext, deadline: Deadline) -> str:
        """Create (or update) the app RG with the layout's tags; its ARM id."""
        location = ctx.location
        if not location:
            raise ConfigError(
                "creating the resource group needs a location",
                file=str(self.config.path),
                key="provider.settings.AZURE_LOCATION",
            )
        group = self.clients.resources().resource_groups.create_or_update(
            ctx.resource_group,
            {"location": location, "tags": self.layout.app_resource_group_tags()},
            timeout=deadline.remaining(),
        )
        rg_id = _raw(group).get("id") if group is not None else None
        if isinstance(rg_id, str) and rg_id:
            return rg_id
        sub = self.clients.compute()._config.subscription_id
        return f"/subscriptions/{sub}/resourceGroups/{ctx.resource_group}"

    def _prepare_app_rg(
        self, op: str, ctx: VolumeContext, deadline: Deadline, started: float, *, missing: bool
    ) -> None:
        """Before a disk or snapshot create: the guide creates the app RG only when it is
        missing; a layout with ``ensure_app_rg_on_create`` (kompoxops) creates-or-updates
        it every time and grants the cluster's identity Contributor on it."""
        if not (missing or self.layout.ensure_app_rg_on_create):
            return
        rg_id = self._ensure_resource_group(ctx, deadline)
        if missing:
            self._info(op, f"created resource group {ctx.resource_group}", started)
        if self.layout.grants_cluster_role_on_app_rg:
            self._grant_cluster_contributor(op, ctx, rg_id, deadline, started)

    def _cluster_principal_id(self, deadline: Deadline) -> str | None:
        """``AZURE_AKS_CLUSTER_PRINCIPAL_ID`` from the cluster's subscription deployment
        outputs (keys read upper-cased, as kompoxops does); None when not readable."""
        target = self.layout.provisioning_object()
        if target.kind != "deployment":
            return None
        resources = self.clients.resources()
        sub = self.clients.compute()._config.subscription_id
        request = HttpRequest(
            "GET",
            f"/subscriptions/{sub}/providers/Microsoft.Resources/deployments/"
            f"{quote(target.name, safe='')}",
            params={"api-version": DEPLOYMENTS_API_VERSION},
        )
        try:
            response = resources.send_request(request, timeout=deadline.remaining())
            if response.status_code != 200:
                return None
            outputs = (response.json().get("properties") or {}).get("outputs") or {}
            values = {
                str(k).upper(): v.get("value") for k, v in outputs.items() if isinstance(v, dict)
            }
        except (SdkAzureError, ValueError, AttributeError, TypeError):
            return None  # kompoxops skips the grant when the outputs cannot be read
        principal = values.get(OUTPUT_CLUSTER_PRINCIPAL_ID)
        return principal.strip() if isinstance(principal, str) and principal.strip() else None

    def _grant_cluster_contributor(
        self, op: str, ctx: VolumeContext, rg_id: str, deadline: Deadline, started: float
    ) -> None:
        """Contributor on the app RG for the AKS cluster's system identity (kompoxops's
        ``ensureAzureRole``: a random assignment name, principalType ServicePrincipal; 409 /
        ``RoleAssignmentExists`` counts as success). Without readable deployment outputs
        the grant is skipped, as kompoxops skips it -- but said, not silent."""
        principal = self._cluster_principal_id(deadline)
        if principal is None:
            self._info(
                op,
                f"cluster deployment '{self.layout.provisioning_object().name}' has no readable "
                f"{OUTPUT_CLUSTER_PRINCIPAL_ID} output: Contributor on {ctx.resource_group} "
                "not granted to the cluster identity",
                started,
            )
            return
        sub = self.clients.compute()._config.subscription_id
        body = {
            "properties": {
                "roleDefinitionId": f"/subscriptions/{sub}/providers/"
                f"Microsoft.Authorization/roleDefinitions/{CONTRIBUTOR_ROLE_ID}",
                "principalId": principal,
                "principalType": "ServicePrincipal",
            }
        }
        request = HttpRequest(
            "PUT",
            f"{rg_id}/providers/Microsoft.Authorization/roleAssignments/{uuid.uuid4()}",
            params={"api-version": ROLE_ASSIGNMENTS_API_VERSION},
            json=body,
        )
        response = self.clients.resources().send_request(request, timeout=deadline.remaining())
        if response.status_code in (200, 201):
            self._info(op, f"granted Contributor on {ctx.resource_group} to the cluster", started)
            return
        error = HttpResponseError(response=response, error_format=ARMErrorFormat)
        if response.status_code == 409 or error_code(error) == "RoleAssignmentExists":
            return
        raise error

    def _put_new(
        self,
        operations: Any,
        ctx: VolumeContext,
        azure_name: str,
        body: dict[str, Any],
        deadline: Deadline,
        what: str,
    ) -> Any:
        """PUT a new disk or snapshot (``If-None-Match: *``, which real Compute ignores)
        and wait for it.

        A 409/412 is Azure's own refusal, quoted as Azure gave it, with one exception: the
        name was generated for this call, so if a resource of that name now exists, the
        only realistic owner is this very call (azure-core retried the PUT after the server
        had accepted the first attempt). It is adopted only if it is exactly what we asked
        for (kompox tags, SKU, source); a foreign one is a ConflictError that says so and
        quotes Azure's reason, and the name is never retried. No name clash is *guessed*:
        without a resource of that name the error is Azure's (e.g. an unusable source).
        """
        try:
            poller = operations.begin_create_or_update(
                ctx.resource_group,
                azure_name,
                body,
                headers={"If-None-Match": "*"},
                **self._lro_kwargs(),
            )
        except HttpResponseError as exc:
            if not (is_conflict(exc) or is_precondition_failed(exc)):
                raise
            existing = self._get_or_none(operations, ctx, azure_name, deadline)
            if existing is None:
                raise  # Azure's reason, not ours to reinterpret
            if _same_resource(existing, body):
                return self._wait_provisioned(operations, ctx, azure_name, deadline)
            azure = to_kompox_error(f"{what} create", exc)
            reason = azure.azure_message if isinstance(azure, AzureError) else azure.message
            raise ConflictError(
                f"cannot create {what} '{azure_name}' in resource group "
                f"'{ctx.resource_group}': another resource with that name already exists "
                f"and was not changed (Azure: {error_code(exc) or exc.status_code}: {reason})",
                hint="refresh the list; the next create picks a new name",
            ) from exc
        return self._wait(poller, deadline)

    def _wait_provisioned(
        self, operations: Any, ctx: VolumeContext, azure_name: str, deadline: Deadline
    ) -> Any:
        delay = 0.05
        while True:
            existing = operations.get(ctx.resource_group, azure_name, timeout=deadline.remaining())
            state = str((existing.get("properties") or {}).get("provisioningState") or "")
            if state.lower() in ("succeeded", ""):
                return existing
            if state.lower() in ("failed", "canceled"):
                raise AzureError(
                    f"create {azure_name}",
                    code=state,
                    message=f"provisioningState is {state}",
                )
            time.sleep(min(delay, deadline.remaining()))
            delay = min(delay * 2, self.polling_interval or 2.0)

    def _create_disk(
        self,
        operation: str,
        ctx: VolumeContext,
        azure_name: str,
        body: dict[str, Any],
        deadline: Deadline,
    ) -> DiskRecord:
        """PUT a new disk (see ``_put_new``) and read it back as a record of the volume."""
        result = self._put_new(
            self.clients.compute().disks, ctx, azure_name, body, deadline, "disk"
        )
        record = disk_from_item(result, ctx)
        if record is None:
            raise AzureError(
                operation, code="UnexpectedResponse", message="no disk in the response"
            )
        return record

    def disk_create(self, volume: str) -> VolumeDisk:
        op = "disk create"
        ctx, deadline, started = self._begin(op, volume, write=True)

        def run() -> VolumeDisk:
            existing = self._list_disks(ctx, deadline)
            self._prepare_app_rg(op, ctx, deadline, started, missing=existing is None)
            first = not existing and ctx.names.first_disk_assigned
            ulid = self._new_name(ctx)
            azure_name = ctx.names.resource_name("disk", ulid)
            body = _disk_body(
                ctx.names.new_disk_spec(),
                ctx.location,
                ctx.names.disk_tags(ulid, assigned=first),
                {"createOption": "Empty"},
            )
            record = self._create_disk(op, ctx, azure_name, body, deadline)
            self._info(op, f"created disk {ulid} ({azure_name})", started)
            disk = record.disk
            if first:
                # Two first-disk creates can race; settle on one assigned disk.
                winner = self._settle(ctx, deadline, disk.name)
                if winner is not None and winner != disk.name:
                    disk = _replace_assigned(disk, False)
            return disk

        return self._run(op, run, deadline)

    def snapshot_restore(self, volume: str, snap_name: str) -> VolumeDisk:
        op = "snapshot restore"
        ctx, deadline, started = self._begin(op, volume, write=True)
        snap_name = _user_ulid(snap_name, "snapshot", ctx)

        def run() -> VolumeDisk:
            snaps = self._list_snapshots(ctx, deadline) or []
            snap = next((s for s in snaps if s.snapshot.name == snap_name), None)
            if snap is None:
                raise NotFoundError(
                    f"snapshot '{snap_name}' of volume '{ctx.volume.name}' not found in "
                    f"resource group '{ctx.resource_group}'",
                    hint="refresh the snapshot list",
                )
            _refuse_unusable_snapshot(snap.snapshot)
            self._prepare_app_rg(op, ctx, deadline, started, missing=False)
            ulid = self._new_name(ctx)
            azure_name = ctx.names.resource_name("disk", ulid)
            body = _disk_body(
                ctx.names.restore_disk_spec(snap.snapshot.size_gib),
                snap.location or ctx.location,
                ctx.names.disk_tags(ulid, assigned=False, restored_from=snap.snapshot.name),
                {"createOption": "Copy", "sourceResourceId": snap.snapshot.resource_id},
            )
            record = self._create_disk(op, ctx, azure_name, body, deadline)
            self._info(op, f"restored snapshot {snap_name} into disk {ulid}", started)
            return record.disk

        return self._run(op, run, deadline)

    def snapshot_create(self, volume: str, disk_name: str | None = None) -> VolumeSnapshot:
        op = "snapshot create"
        ctx, deadline, started = self._begin(op, volume, write=True)
        if disk_name is not None:
            disk_name = _user_ulid(disk_name, "disk", ctx)

        def run() -> VolumeSnapshot:
            disks = self._list_disks(ctx, deadline) or []
            if disk_name is None:
                assigned = [d for d in disks if d.disk.assigned]
                if not assigned:
                    raise PreconditionError(
                        f"volume '{ctx.volume.name}' has no assigned disk to snapshot",
                        hint="choose a disk explicitly, or assign one first",
                    )
                if len(assigned) > 1:
                    names = ", ".join(d.disk.name for d in assigned)
                    raise PreconditionError(
                        f"volume '{ctx.volume.name}' has {len(assigned)} assigned disks "
                        f"({names}); cannot tell which one to snapshot",
                        hint="choose a disk explicitly, or repair the volume with assign",
                    )
                source = assigned[0]
            else:
                found = next((d for d in disks if d.disk.name == disk_name), None)
                if found is None:
                    raise NotFoundError(
                        f"disk '{disk_name}' of volume '{ctx.volume.name}' not found in "
                        f"resource group '{ctx.resource_group}'",
                        hint="refresh the disk list",
                    )
                source = found
            self._prepare_app_rg(op, ctx, deadline, started, missing=False)
            ulid = self._new_name(ctx)
            azure_name = ctx.names.resource_name("snapshot", ulid)
            spec = ctx.names.snapshot_spec()
            props: dict[str, Any] = {
                "creationData": {
                    "createOption": "Copy",
                    "sourceResourceId": source.disk.resource_id,
                },
            }
            if spec.incremental is not None:
                props["incremental"] = spec.incremental
            body: dict[str, Any] = {
                "location": spec.location or source.location or ctx.location,
                "tags": ctx.names.snapshot_tags(ulid, source_disk=source.disk.name),
                "properties": props,
            }
            if spec.sku is not None:
                body["sku"] = {"name": spec.sku}
            compute = self.clients.compute()
            result = self._put_new(compute.snapshots, ctx, azure_name, body, deadline, "snapshot")
            record = snapshot_from_item(result, ctx)
            if record is None:
                raise AzureError(
                    op, code="UnexpectedResponse", message="no snapshot in the response"
                )
            self._info(op, f"snapshot {ulid} of disk {source.disk.name} created", started)
            return record.snapshot

        return self._run(op, run, deadline)

    # --- delete ----------------------------------------------------------------------------

    def _get_or_none(
        self, operations: Any, ctx: VolumeContext, name: str, deadline: Deadline
    ) -> Any:
        try:
            return operations.get(ctx.resource_group, name, timeout=deadline.remaining())
        except ResourceNotFoundError:
            return None  # the resource or its whole resource group is absent

    def _delete(self, operations: Any, ctx: VolumeContext, name: str, deadline: Deadline) -> None:
        try:
            poller = operations.begin_delete(ctx.resource_group, name, **self._lro_kwargs())
        except ResourceNotFoundError:
            return
        self._wait(poller, deadline)

    def _delete_owned(
        self,
        op: str,
        what: str,
        ctx: VolumeContext,
        ulid: str,
        deadline: Deadline,
        started: float,
        operations: Callable[[], Any],
        parse: Callable[[Mapping[str, Any], VolumeContext], _R | None],
        refuse: Callable[[_R], None] | None = None,
    ) -> None:
        """Delete the volume's disk or snapshot ``ulid``: absent is success; a resource of
        that name not tagged for the volume is never deleted; ``refuse`` may veto."""
        azure_name = naming.azure_resource_name(ctx.lv_key, ulid)

        def run() -> None:
            ops = operations()
            existing = self._get_or_none(ops, ctx, azure_name, deadline)
            if existing is None:
                return
            record = parse(existing, ctx)
            if record is None:
                raise PreconditionError(
                    f"{what} '{azure_name}' in resource group '{ctx.resource_group}' is not "
                    f"tagged as a {what} of volume '{ctx.volume.name}'; not deleting it"
                )
            if refuse is not None:
                refuse(record)
            self._delete(ops, ctx, azure_name, deadline)
            self._info(op, f"deleted {what} {ulid}", started)

        self._run(op, run, deadline)

    def disk_delete(self, volume: str, disk_name: str, force: bool = False) -> None:
        from .assign import disk_delete

        disk_delete(self, volume, disk_name, force=force)

    def snapshot_delete(self, volume: str, snap_name: str) -> None:
        """Delete the volume's snapshot: absent is success; a resource of that name that the
        layout does not recognise as the volume's snapshot is never deleted."""
        op = "snapshot delete"
        ctx, deadline, started = self._begin(op, volume, write=True)
        snap_name = _user_ulid(snap_name, "snapshot", ctx)
        azure_name = ctx.names.resource_name("snapshot", snap_name)

        def run() -> None:
            ops = self.clients.compute().snapshots
            existing = self._get_or_none(ops, ctx, azure_name, deadline)
            if existing is None:
                return
            record = snapshot_from_item(existing, ctx)
            if record is None or record.snapshot.name != snap_name:
                raise PreconditionError(
                    f"snapshot '{azure_name}' in resource group '{ctx.resource_group}' is not "
                    f"tagged as snapshot '{snap_name}' of volume '{ctx.volume.name}'; "
                    "not deleting it"
                )
            self._delete(ops, ctx, azure_name, deadline)
            self._info(op, f"deleted snapshot {snap_name}", started)

        self._run(op, run, deadline)

    def _settle(self, ctx: VolumeContext, deadline: Deadline, target: str) -> str | None:
        """Settle a volume on at most one assigned disk; the disk left assigned, if any."""
        from .assign import settle_winner

        del target
        return settle_winner(self, ctx, deadline)

    def disk_assign(self, volume: str, disk_name: str) -> AssignOutcome:
        from .assign import disk_assign

        return disk_assign(self, volume, disk_name)


# --- small helpers -----------------------------------------------------------------------


def _replace_assigned(disk: VolumeDisk, assigned: bool) -> VolumeDisk:
    return replace(disk, assigned=assigned)


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


def _same_resource(existing: Any, body: dict[str, Any]) -> bool:
    """True when ``existing`` is exactly the disk or snapshot ``body`` asks for (its kompox
    tags except the assigned flag, its SKU when one was sent, its creation source)."""
    tags = existing.get("tags") or {}
    want_tags = body["tags"]
    if any(tags.get(k) != v for k, v in want_tags.items() if k != naming.TAG_DISK_ASSIGNED):
        return False
    sku = (existing.get("sku") or {}).get("name")
    want_sku = (body.get("sku") or {}).get("name")
    if want_sku is not None and sku != want_sku:
        return False
    have = (existing.get("properties") or {}).get("creationData") or {}
    want = body["properties"]["creationData"]
    return bool(
        have.get("createOption") == want.get("createOption")
        and (have.get("sourceResourceId") or "").lower()
        == (want.get("sourceResourceId") or "").lower()
    )


def _disk_body(
    spec: DiskSpec, location: str, tags: dict[str, str], creation: dict[str, Any]
) -> dict[str, Any]:
    """The PUT body of a new disk from the layout's spec (size 0: Azure takes the
    source's size)."""
    props: dict[str, Any] = {"creationData": creation}
    if spec.size_gib > 0:
        props["diskSizeGB"] = spec.size_gib
    if spec.iops is not None:
        props["diskIOPSReadWrite"] = spec.iops
    if spec.mbps is not None:
        props["diskMBpsReadWrite"] = spec.mbps
    body: dict[str, Any] = {
        "location": spec.location or location,
        "tags": tags,
        "sku": {"name": spec.sku},
        "properties": props,
    }
    if spec.zone:
        body["zones"] = [spec.zone]
    return body


def _refuse_unusable_snapshot(snap: VolumeSnapshot) -> None:
    """Refuse, before any call, a restore that Azure would refuse, with Azure's reason: the
    source snapshot failed or is still being provisioned, or it is not yet usable as a
    copy source (``snapshotAccessState`` Pending: an Ultra / Premium SSD v2 snapshot whose
    background copy is below 100 %). Other incremental snapshots are instant access:
    Azure copies from them while their background copy runs, so they are not refused."""
    if snap.failed:
        raise PreconditionError(
            f"snapshot '{snap.name}' failed (provisioningState Failed): Azure cannot create "
            "a disk from a snapshot that holds no data",
            hint="delete it and take a new snapshot of the disk",
        )
    state = snap.provisioning_state or "Succeeded"
    if state.lower() != "succeeded":
        raise PreconditionError(
            f"snapshot '{snap.name}' is still being provisioned (provisioningState {state}): "
            "Azure refuses it as a copy source until it has succeeded",
            hint="wait until the list shows it Succeeded, then restore",
        )
    if snap.copying and (snap.access_state or "").lower() == "pending":
        raise PreconditionError(
            f"snapshot '{snap.name}' cannot be used to create a disk until its background "
            f"copy completes (completionPercent {snap.completion_percent:g} %, "
            "snapshotAccessState Pending)",
            hint="wait until the list shows 100 %, then restore",
        )


def _rewrap(err: KompoxError, message: str, hint: str) -> KompoxError:
    """``err`` with a new message and hint, keeping its type (and Azure code/status)."""
    if isinstance(err, AzureError):
        return type(err)(
            err.operation, code=err.code, message=message, status=err.status, hint=hint
        )
    if isinstance(err, ConfigError):
        return ConfigError(message, file=err.file, key=err.key, line=err.line, hint=hint)
    return type(err)(message, hint=hint)
