"""The disk swap (``disk assign``) and disk delete, on Azure's real semantics.

Azure managed disks carry no ETag and Compute ignores ``If-Match``; a tag write is a
PATCH that replaces the whole tag map, last writer wins. So nothing on the Azure side
can make two writers of one volume take turns. Design:

1. **Mutual exclusion between kompox-tui instances** where a real primitive exists: the
   volume's Lease in the app's cluster (:mod:`.lease`). Assign and delete run under it.
   When the cluster cannot be used (not provisioned, unreachable, no Lease API, no
   right), one line says so and the operation proceeds without it.
2. **Assign order** (SPEC §5): list; refuse a ``Failed`` target before any write; take
   the lease and list again (the truth after any change we waited for); clear every
   other assigned disk (parallel); set the target only when a fresh list shows no other
   disk assigned; then **settle**.
3. **Settle** (always, also after an error or a lost answer): re-list; while several
   disks are assigned, keep the one with the greatest ULID (the newest disk -- the same
   rule in every instance, with or without the lease, so they never clear each other's
   winner) and clear the rest; re-list again. Every message about what is or is not
   assigned comes from that final list.
4. **Delete** re-reads the disk under the lease right before DELETE: an assigned disk
   is refused without ``force``, an attached one always (Azure refuses it with 409
   ``OperationNotAllowed``).

What holds (measured by tests/reliability/test_assign_race*.py):

* Once every concurrent assign of a volume has returned, exactly one disk is assigned
  when none of them failed -- with or without the lease. Reason: every write an assign
  makes is followed by its own settle list; the latest of those lists sees every write
  and shows one disk (the settle loop only stops on at most one), and the disk set last
  is never cleared by a "clear others" step (those precede their own assign's set) nor
  by a settle (which only clears disks below the greatest assigned ULID).
* A killed assign (or one whose late write landed after it gave up) can leave zero or
  two; the next assign (or repair) converges, and with the lease a waiting instance
  takes over only after the dead holder's lease expired, then settles.
* With the lease no two assigns or deletes of one volume write at the same time, so a
  delete never removes a disk another instance is assigning. Without the cluster the
  delete re-reads right before DELETE; a write by another instance during the DELETE
  itself is not excluded (Azure has no conditional DELETE for disks).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from azure.core.exceptions import ResourceNotFoundError

from .. import naming
from ..errors import (
    AzureError,
    ConflictError,
    KompoxError,
    NotFoundError,
    OperationTimeout,
    PreconditionError,
)
from ..model import VolumeDisk
from .lease import NAMESPACE, LeaseLost, VolumeLease, lease_name
from .volumes import (
    Deadline,
    DiskRecord,
    VolumeContext,
    _rewrap,
    _user_ulid,
    assign_winner,
    disk_from_item,
    to_kompox_error,
)

if TYPE_CHECKING:
    from .volumes import VolumeOps

#: Settle rounds (re-list, clear the losers) before giving up on a volume that keeps
#: changing under us.
SETTLE_ROUNDS = 6


@dataclass(frozen=True)
class AssignOutcome:
    """What a finished assign found: the volume's assigned disk per a fresh list, the
    disks it replaced, and one line per concurrent change the user should know about."""

    volume: str
    disk: str
    previous: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


# --- the guard: the volume's lease, or one line saying why there is none ----------------


@dataclass
class Guard:
    lease: VolumeLease | None
    notes: list[str] = field(default_factory=list)

    @property
    def leased(self) -> bool:
        return self.lease is not None

    def check(self) -> None:
        if self.lease is not None:
            self.lease.check()


def _reason(exc: KompoxError, op: str) -> str:
    if isinstance(exc, AzureError):
        return f"{exc.code}: {exc.azure_message}" if exc.azure_message else exc.code
    return exc.message.removeprefix(f"{op}: ")


@contextmanager
def volume_guard(
    ops: VolumeOps, ctx: VolumeContext, op: str, deadline: Deadline, started: float
) -> Iterator[Guard]:
    """Hold the volume's Lease for the block; without a usable cluster, say so and go on."""
    factory = ops.lease_kube
    if factory is None:
        yield Guard(None)
        return
    lease: VolumeLease | None = None
    guard = Guard(None)
    try:
        rest = factory(op)
        lease = VolumeLease(
            rest,
            lease_name(ctx.resource_group, ctx.lv_key),
            duration=ops.lease_duration,
            operation=op,
            annotations={
                "kompox.dev/volume": ctx.volume.name,
                "kompox.dev/resource-group": ctx.resource_group,
                "kompox.dev/operation": op,
            },
        )

        def waiting(holder: str) -> None:
            ops._info(op, f"waiting for {holder} to finish changing the volume", started)

        # Stop waiting for another holder while a quarter of the time limit (at most
        # 10 s) is left for the change itself.
        reserve = min(10.0, deadline.seconds / 4)
        got = lease.acquire(
            lambda: deadline.remaining() - reserve, on_wait=waiting, retry_period=ops.lease_retry
        )
        guard.lease = lease
        if got.took_over_from:
            guard.notes.append(
                f"{got.took_over_from} stopped in the middle of changing this volume (its "
                f"lease expired after {ops.lease_duration:g} s); its changes were re-listed"
            )
        elif got.waited_for:
            guard.notes.append(
                f"waited {got.waited_s:.1f} s for {got.waited_for}, which was changing this volume"
            )
    except (ConflictError, OperationTimeout):
        raise
    except KompoxError as exc:
        line = (
            f"cluster lease not used ({_reason(exc, op)}); {op} runs without protection against "
            "other kompox-tui instances"
        )
        ops._info(op, line, started)
        guard = Guard(None, [line])
        lease = None
    try:
        yield guard
    finally:
        if lease is not None and guard.lease is not None:
            lease.release()


# --- tag writes ------------------------------------------------------------------------


def _write_assigned(
    ops: VolumeOps, ctx: VolumeContext, azure_name: str, value: bool, deadline: Deadline
) -> bool:
    """Set ``kompox-disk-assigned`` on one disk: read, merge (user tags survive), PATCH.

    No ``If-Match``: Azure disks have no ETag. Returns True when a PATCH was sent, False
    when the tag already had the value. A disk that vanished counts as cleared (False)
    or is NotFound (True).
    """
    wanted = "true" if value else "false"
    compute = ops.clients.compute()
    try:
        disk = compute.disks.get(ctx.resource_group, azure_name, timeout=deadline.remaining())
    except ResourceNotFoundError:
        if not value:
            return False
        raise NotFoundError(f"disk '{azure_name}' disappeared while assigning it") from None
    tags = dict(disk.get("tags") or {})
    if tags.get(naming.TAG_DISK_ASSIGNED) == wanted:
        return False
    tags[naming.TAG_DISK_ASSIGNED] = wanted
    try:
        poller = compute.disks.begin_update(
            ctx.resource_group, azure_name, {"tags": tags}, **ops._lro_kwargs()
        )
        ops._wait(poller, deadline)
    except ResourceNotFoundError:
        if value:
            raise
    return True


def _clear_all(
    ops: VolumeOps, ctx: VolumeContext, names: Sequence[str], deadline: Deadline
) -> list[tuple[str, KompoxError]]:
    """Clear the assigned tag on every named disk in parallel; the failures."""
    if not names:
        return []
    failures: list[tuple[str, KompoxError]] = []
    lock = threading.Lock()

    def clear(azure_name: str) -> None:
        try:
            _write_assigned(ops, ctx, azure_name, False, deadline)
        except Exception as exc:
            with lock:
                failures.append((azure_name, to_kompox_error("disk assign", exc)))

    workers = max(1, min(ops.max_workers, len(names)))
    if workers == 1:
        for name in names:
            clear(name)
    else:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="disk-clear") as ex:
            list(ex.map(clear, names))
    return failures


# --- settle ----------------------------------------------------------------------------


@dataclass
class Settled:
    """The final fresh list's assigned disks, and what the settle itself cleared."""

    assigned: list[VolumeDisk]
    cleared: list[str] = field(default_factory=list)
    failures: list[tuple[str, KompoxError]] = field(default_factory=list)
    present: set[str] = field(default_factory=set)
    """Every disk of the volume in the final list."""

    @property
    def names(self) -> list[str]:
        return sorted(d.name for d in self.assigned)


def settle(
    ops: VolumeOps, ctx: VolumeContext, deadline: Deadline, guard: Guard | None = None
) -> Settled:
    """Re-list; while several disks are assigned keep the greatest ULID, clear the rest,
    re-list again. Stops on a list with at most one assigned disk (or after
    :data:`SETTLE_ROUNDS`, returning what the last list showed)."""
    result = Settled([])
    for _round in range(SETTLE_ROUNDS):
        records = ops._list_disks(ctx, deadline) or []
        result.assigned = [r.disk for r in records if r.disk.assigned]
        result.present = {r.disk.name for r in records}
        if len(result.assigned) <= 1:
            return result
        if guard is not None and guard.lease is not None:
            try:
                guard.check()
            except LeaseLost:
                return result  # another instance owns the volume now: leave it to it
        winner = assign_winner(result.assigned)
        assert winner is not None
        losers = [d.azure_name for d in result.assigned if d.name != winner.name]
        result.failures = _clear_all(ops, ctx, losers, deadline)
        failed = {name for name, _ in result.failures}
        result.cleared += [
            d.name for d in result.assigned if d.azure_name in losers and d.azure_name not in failed
        ]
    return result


def settle_winner(ops: VolumeOps, ctx: VolumeContext, deadline: Deadline) -> str | None:
    """For callers outside the swap (first-disk create): the disk left assigned, if one."""
    settled = settle(ops, ctx, deadline)
    if len(settled.assigned) > 1:
        raise ConflictError(
            f"volume '{ctx.volume.name}' still has {len(settled.assigned)} assigned disks "
            f"({', '.join(settled.names)}) after {SETTLE_ROUNDS} attempts to settle",
            hint="another change is running; refresh, then repair the volume",
        )
    return settled.assigned[0].name if settled.assigned else None


# --- refusals (each before any write, with Azure's reason and what to do) ---------------


def refuse_failed(ctx: VolumeContext, disk: VolumeDisk) -> None:
    if disk.failed:
        raise PreconditionError(
            f"disk '{disk.name}' of volume '{ctx.volume.name}' is in provisioningState Failed "
            "(its last Azure operation failed), so a pod could not attach it; not assigning it",
            hint="assign another disk, or restore a snapshot into a new disk and assign that",
        )


def refuse_attached(disk: VolumeDisk) -> None:
    """Azure refuses to delete a disk attached to a VM (409 OperationNotAllowed)."""
    if disk.attached:
        where = disk.node or disk.managed_by or "a virtual machine"
        raise PreconditionError(
            f"disk '{disk.name}' is {disk.disk_state or 'Attached'} to {where}; Azure refuses "
            "to delete an attached disk (409 OperationNotAllowed)",
            hint="stop the pods that mount it (scale the app down) so the node detaches it, "
            "then delete it",
        )


# --- assign ----------------------------------------------------------------------------


def _names(disks: Sequence[VolumeDisk]) -> str:
    return ", ".join(sorted(d.name for d in disks)) or "none"


def _find(records: Sequence[DiskRecord], name: str) -> DiskRecord | None:
    return next((r for r in records if r.disk.name == name), None)


def disk_assign(ops: VolumeOps, volume: str, disk_name: str) -> AssignOutcome:
    op = "disk assign"
    ctx, deadline, started = ops._begin(op, volume, write=True)
    disk_name = _user_ulid(disk_name, "disk", ctx)

    def listed() -> list[DiskRecord]:
        records = ops._list_disks(ctx, deadline)
        if records is None:
            raise NotFoundError(
                f"resource group '{ctx.resource_group}' does not exist, so volume "
                f"'{ctx.volume.name}' has no disk '{disk_name}'"
            )
        return records

    def target_of(records: list[DiskRecord], *, again: bool) -> DiskRecord:
        target = _find(records, disk_name)
        if target is None:
            raise NotFoundError(
                f"disk '{disk_name}' of volume '{ctx.volume.name}' not found in resource "
                f"group '{ctx.resource_group}'"
                + (" (it was deleted while we waited for the volume's lease)" if again else ""),
                hint="refresh the disk list",
            )
        refuse_failed(ctx, target.disk)
        return target

    def run() -> AssignOutcome:
        records = listed()
        target = target_of(records, again=False)
        before = [r.disk for r in records if r.disk.assigned]
        if [d.name for d in before] == [disk_name]:
            return AssignOutcome(ctx.volume.name, disk_name)  # nothing to write, no lease
        with volume_guard(ops, ctx, op, deadline, started) as guard:
            notes = list(guard.notes)
            if guard.leased:
                # The truth after whatever we may have waited for.
                records = listed()
                target = target_of(records, again=True)
                now = [r.disk for r in records if r.disk.assigned]
                if {d.name for d in now} != {d.name for d in before}:
                    notes.append(
                        f"the assignment changed meanwhile (assigned was {_names(before)}, "
                        f"now {_names(now)})"
                    )
                before = now
                if [d.name for d in before] == [disk_name]:
                    return AssignOutcome(ctx.volume.name, disk_name, notes=tuple(notes))
            return _swap(ops, ctx, deadline, started, guard, target, before, notes)

    return ops._run(op, run)


def _swap(
    ops: VolumeOps,
    ctx: VolumeContext,
    deadline: Deadline,
    started: float,
    guard: Guard,
    target: DiskRecord,
    before: list[VolumeDisk],
    notes: list[str],
) -> AssignOutcome:
    op = "disk assign"
    disk_name = target.disk.name
    others = [d.azure_name for d in before if d.name != disk_name]
    # 1. clear every other assigned disk first (SPEC §5 safety ordering)
    guard.check()
    failures = _clear_all(ops, ctx, others, deadline)
    if failures:
        # An error may be a lost answer to an applied write: a fresh list decides.
        fresh = settle(ops, ctx, deadline, guard)
        still = [d for d in fresh.assigned if d.name != disk_name]
        if still:
            raise _not_assigned(
                ctx,
                disk_name,
                failures[0][1],
                fresh,
                during="clearing the other disks",
                notes=notes,
            )
    elif others:
        ops._info(op, f"unassigned {len(others)} other disk(s)", started)
    # 2. only then set the target; 3. whatever happened, settle on a fresh list
    guard.check()
    set_error: KompoxError | None = None
    try:
        _write_assigned(ops, ctx, target.disk.azure_name, True, deadline)
    except Exception as exc:
        set_error = to_kompox_error(op, exc)
        if isinstance(set_error, OperationTimeout):
            raise _rewrap(
                set_error,
                f"{set_error.message}. Disk '{disk_name}' may or may not "
                "be assigned (Azure may still apply the write)",
                f"refresh; re-run assign of disk {disk_name} to repair",
            ) from exc
    fresh = settle(ops, ctx, deadline, guard)
    if disk_name not in fresh.present:
        raise NotFoundError(
            f"disk '{disk_name}' was deleted while this assign ran (by another instance); a "
            f"fresh list shows: assigned now: {_names(fresh.assigned)}" + _note_tail(notes),
            hint="assign another disk to repair the volume",
        )
    if fresh.names == [disk_name]:
        if set_error is not None:
            notes.append(
                f"the answer to the tag write was lost ({set_error.message}); a "
                "fresh list shows the disk assigned"
            )
        if fresh.cleared:
            notes.append(
                f"a concurrent assign had also set disk(s) {', '.join(fresh.cleared)}; "
                "they were unassigned (newest disk wins)"
            )
        ops._info(op, f"assigned disk {disk_name}", started)
        for note in notes:
            if note not in guard.notes:  # those were told when the lease was taken
                ops._info(op, note, started)
        previous = tuple(d.name for d in before if d.name != disk_name)
        return AssignOutcome(ctx.volume.name, disk_name, previous, tuple(notes))
    if set_error is not None and not fresh.assigned:
        raise _not_assigned(ctx, disk_name, set_error, fresh, during="setting it", notes=notes)
    if set_error is not None:
        # Our write may well have been applied; a concurrent assign decided the outcome.
        notes.append(f"the answer to our tag write was lost ({set_error.message})")
    if fresh.assigned and disk_name not in fresh.names and len(fresh.assigned) == 1:
        raise ConflictError(
            f"disk '{disk_name}' is not assigned: a concurrent change of volume "
            f"'{ctx.volume.name}' left disk '{fresh.names[0]}' assigned (newest disk wins "
            "when two assigns overlap)" + _note_tail(notes),
            hint="refresh; run assign again if you still want this disk",
        )
    raise ConflictError(
        f"volume '{ctx.volume.name}' keeps changing under this assign of disk '{disk_name}': "
        f"a fresh list shows {len(fresh.assigned)} assigned ({_names(fresh.assigned)})"
        + _note_tail(notes),
        hint=f"refresh; re-run assign of disk {disk_name} to repair",
    )


def _note_tail(notes: Sequence[str]) -> str:
    return ("; " + "; ".join(notes)) if notes else ""


def _not_assigned(
    ctx: VolumeContext,
    disk_name: str,
    err: KompoxError,
    fresh: Settled,
    *,
    during: str,
    notes: Sequence[str] = (),
) -> KompoxError:
    """The error of an assign that stopped, worded from the fresh list ``fresh``."""
    text = err.azure_message if isinstance(err, AzureError) else err.message
    now = _names(fresh.assigned)
    if disk_name in fresh.names:
        state = f"disk '{disk_name}' is assigned, but so are others ({now})"
    elif fresh.assigned:
        state = f"disk '{disk_name}' is not assigned; assigned now: {now}"
    else:
        state = (
            f"disk '{disk_name}' is not assigned and volume '{ctx.volume.name}' has NO "
            "assigned disk now"
        )
    return _rewrap(
        err,
        f"assign of disk '{disk_name}' to volume '{ctx.volume.name}' stopped "
        f"while {during}: {text}. A fresh list shows: {state}{_note_tail(notes)}",
        f"re-run assign of disk {disk_name} to repair",
    )


# --- delete ----------------------------------------------------------------------------


def disk_delete(ops: VolumeOps, volume: str, disk_name: str, force: bool = False) -> None:
    op = "disk delete"
    ctx, deadline, started = ops._begin(op, volume, write=True)
    disk_name = _user_ulid(disk_name, "disk", ctx)
    azure_name = ctx.names.resource_name("disk", disk_name)

    def read() -> Mapping[str, Any] | None:
        """The disk as Azure has it now, checked; None when absent."""
        try:
            item = ops.clients.compute().disks.get(
                ctx.resource_group, azure_name, timeout=deadline.remaining()
            )
        except ResourceNotFoundError:
            return None
        raw: Mapping[str, Any] = getattr(item, "_data", item)
        record = disk_from_item(raw, ctx)
        if record is None or record.disk.name != disk_name:
            raise PreconditionError(
                f"disk '{azure_name}' in resource group '{ctx.resource_group}' is not tagged "
                f"as disk '{disk_name}' of volume '{ctx.volume.name}'; not deleting it"
            )
        refuse_attached(record.disk)
        if record.disk.assigned and not force:
            raise PreconditionError(
                f"disk '{disk_name}' is the assigned disk of volume '{ctx.volume.name}'",
                hint="assign another disk first, or delete with force",
            )
        return raw

    def assigned_now() -> set[str]:
        return {r.disk.name for r in ops._list_disks(ctx, deadline) or () if r.disk.assigned}

    def run() -> None:
        if read() is None:  # refusals before any write (and before the lease)
            return
        with volume_guard(ops, ctx, op, deadline, started) as guard:
            if not guard.leased and not force:
                # No mutual exclusion: at least see that nobody is swapping this volume
                # right now. A swap seen starting within the wait is caught; one that
                # starts during the DELETE itself is not (Azure has no conditional
                # DELETE for disks).
                t0 = time.monotonic()
                before = assigned_now()
                # A swap is a few round trips from its list to its last write: watch for
                # several list times (Azure: seconds; the emulator: milliseconds).
                wait = 4 * (time.monotonic() - t0)
                time.sleep(min(ops.unguarded_delete_wait, wait, deadline.remaining() / 4))
                after = assigned_now()
                if before != after:
                    raise PreconditionError(
                        f"not deleting disk '{disk_name}': the assignment of volume "
                        f"'{ctx.volume.name}' changed while we checked (assigned was "
                        f"{', '.join(sorted(before)) or 'none'}, now "
                        f"{', '.join(sorted(after)) or 'none'}) and without the cluster "
                        "lease another change cannot be excluded",
                        hint="refresh, then delete again once the volume is quiet",
                    )
            # The check that counts: under the lease, right before the DELETE.
            if read() is None:
                return
            guard.check()
            ops._delete(ops.clients.compute().disks, ctx, azure_name, deadline)
        ops._info(op, f"deleted disk {disk_name}", started)

    ops._run(op, run)


__all__ = [
    "NAMESPACE",
    "AssignOutcome",
    "Guard",
    "disk_assign",
    "disk_delete",
    "settle",
    "settle_winner",
    "volume_guard",
]
