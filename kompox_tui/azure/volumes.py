"""Volume disks and snapshots of one app (SPEC §2, §5; the guide's volume sections).

Every public method of :class:`VolumeOps` validates the volume name and the resource
group setting before any network call, calls ``guard_write`` first when it mutates,
runs under its SPEC §5 time limit and raises only ``kompox_tui.errors`` types.

``VolumeOps`` is the facade the driver uses; each job lives in its own module:

* :mod:`.volume_records` -- listed items as the volume's records (pure: filters, lineage,
  sorting, time parsing);
* :mod:`.volume_list` -- the raw-JSON paged listing;
* :mod:`.volume_create` -- disk create, snapshot create, restore, the app resource group
  and the cluster identity's Contributor grant;
* :mod:`.volume_errors` -- classifying SDK errors;
* :mod:`.assign` -- assign and disk delete (the swap on Azure's real semantics: disks have
  no ETag, so tag writes are read-merge-PATCH without ``If-Match``; mutual exclusion
  through a Lease in the cluster, :mod:`.lease`; a settle step after every write).

Design notes (the choices the spec leaves open):

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

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from azure.core.exceptions import ResourceNotFoundError

from ..errors import (
    ConfigError,
    KompoxError,
    NotFoundError,
    OperationTimeout,
    PreconditionError,
)
from ..layouts import Layout, layout_for
from ..model import (
    Config,
    DriverEvent,
    ProgressEvent,
    VolumeDisk,
    VolumeHealth,
    VolumeSnapshot,
)
from . import volume_create
from .deadline import Deadline
from .volume_errors import _rewrap, is_rg_missing, to_kompox_error
from .volume_list import list_disks, list_snapshots
from .volume_records import (
    DiskRecord,
    SnapshotRecord,
    VolumeContext,
    _user_ulid,
    assign_winner,
    disk_from_item,
    node_name,
    parse_time,
    snapshot_from_item,
    sort_newest_first,
)

if TYPE_CHECKING:
    from .assign import AssignOutcome
    from .clients import AzureClients

#: Re-exported: what the driver, assign.py and the tests import from here.
__all__ = [
    "DEFAULT_TIMEOUTS",
    "RG_SETTING",
    "Deadline",
    "DiskRecord",
    "VolumeContext",
    "VolumeOps",
    "_rewrap",
    "_user_ulid",
    "assign_winner",
    "disk_from_item",
    "is_rg_missing",
    "node_name",
    "parse_time",
    "snapshot_from_item",
    "sort_newest_first",
    "to_kompox_error",
]

T = TypeVar("T")

RG_SETTING = "AZURE_RESOURCE_GROUP_NAME"

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

    def _list_disks(self, ctx: VolumeContext, deadline: Deadline) -> list[DiskRecord] | None:
        """The volume's disks, newest first; None when the resource group does not exist."""
        return list_disks(self.clients, ctx, deadline)

    def _list_snapshots(
        self, ctx: VolumeContext, deadline: Deadline
    ) -> list[SnapshotRecord] | None:
        return list_snapshots(self.clients, ctx, deadline)

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

    # --- create / restore (kompox_tui/azure/volume_create.py) ------------------------------

    def disk_create(self, volume: str) -> VolumeDisk:
        return volume_create.disk_create(self, volume)

    def snapshot_restore(self, volume: str, snap_name: str) -> VolumeDisk:
        return volume_create.snapshot_restore(self, volume, snap_name)

    def snapshot_create(self, volume: str, disk_name: str | None = None) -> VolumeSnapshot:
        return volume_create.snapshot_create(self, volume, disk_name)

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
