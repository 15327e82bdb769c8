"""The volume browser's actions (describe, copy, and every change): each acts on
the focused table's row or says why not.

Each action is an async worker that reads top to bottom: check, await the dialog
(``push_screen_wait``), await the driver call (run in a thread), say the result.
The driver refuses what Azure would refuse (a failed or still-copying snapshot, an
attached disk) before any call; the message shown is the driver's own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from textual import work
from textual.screen import Screen
from textual.worker import WorkerCancelled, WorkerFailed

from ....azure.driver import AksDriver
from ....errors import KompoxError
from ....layouts import VolumeNames, layout_for
from ....model import DriverEvent, ProgressEvent, Volume, VolumeDisk, VolumeSnapshot
from ....text import visible
from ..describe import DescribeScreen
from . import confirmations
from .history import AssignHistory
from .rows import MountView, redeploy_advice
from .state import MountsState, Pending, VolumeState, cluster_documents

T = TypeVar("T")


class VolumeActions(Screen[None]):
    """The mutating actions of :class:`VolumeBrowser` (which supplies the data)."""

    driver: AksDriver
    read_only: bool
    history: AssignHistory
    volumes: tuple[Volume, ...]
    current: str | None
    busy: str | None
    _pending: dict[str, Pending]
    cluster: MountsState
    #: What the driver said during the last mutation (its progress notes, e.g. a resource
    #: group created or a role grant skipped): the result message carries them.
    _notes: tuple[str, ...] = ()

    # Supplied by VolumeBrowser.
    @property
    def state(self) -> VolumeState | None:
        raise NotImplementedError

    @property
    def focused_table(self) -> str:
        raise NotImplementedError

    def selected_disk(self) -> VolumeDisk | None:
        raise NotImplementedError

    def selected_snapshot(self) -> VolumeSnapshot | None:
        raise NotImplementedError

    def now(self) -> datetime:
        raise NotImplementedError

    def load(self, volume: str) -> None:
        raise NotImplementedError

    def mount_view(self, volume: str) -> MountView:
        raise NotImplementedError

    def previous_disk(self, volume: str | None = None) -> str | None:
        raise NotImplementedError

    def _history_key(self, volume: str) -> str:
        raise NotImplementedError

    def volume_names(self, volume: str) -> VolumeNames:
        """The naming and specs of ``volume`` in this cluster's layout."""
        config = self.driver.config
        spec = next(v for v in self.volumes if v.name == volume)
        return layout_for(config).volume_names(spec)

    def _set_activity(self) -> None:
        raise NotImplementedError

    # --- running driver calls -------------------------------------------------------------

    async def _mutate(
        self, label: str, volume: str, call: Callable[[], T]
    ) -> tuple[bool, T | None]:
        """Run one driver mutation in a thread, show it, then refresh the volume.

        Returns ``(True, result)``; ``(False, None)`` after a refusal or failure, which
        is shown with the driver's own words (Azure's reason).
        """
        if self.read_only:  # belt and braces: the bindings are hidden already
            self.notify("kompox-tui runs read-only; nothing was changed.", severity="warning")
            return False, None
        self.busy = f"{label}…"
        self._set_activity()
        self.refresh_bindings()

        notes: list[str] = []

        def run() -> tuple[T | None, KompoxError | None]:
            me = threading.get_ident()

            def listen(event: DriverEvent) -> None:
                # This call's notes only: a cluster operation on the same driver emits
                # from its own thread (and goes to its operation log).
                if isinstance(event, ProgressEvent) and threading.get_ident() == me:
                    notes.append(visible(event.message))

            self.driver.add_listener(listen)
            try:
                return call(), None
            except KompoxError as exc:
                return None, exc
            finally:
                self.driver.remove_listener(listen)

        worker = self.run_worker(
            run, thread=True, exit_on_error=False, group="volume-mutation", description=label
        )
        try:
            result, error = await worker.wait()
        except (WorkerFailed, WorkerCancelled):
            result, error = None, None
            ok = False
        else:
            ok = error is None
        finally:
            self.busy = None
            self._set_activity()
            self.refresh_bindings()
        self._notes = tuple(notes)
        if error is not None:
            self._pending.pop(volume, None)
            self.notify(
                f"{label} failed: {error}{self._also()}",
                title="Volume action failed",
                severity="error",
                timeout=15,
                markup=False,
            )
        if volume == self.current:
            self.load(volume)
        return ok, result

    def _also(self, *subjects: str) -> str:
        """The last mutation's driver notes as `` Note: ….`` sentences, but those naming
        one of ``subjects`` (the disk or snapshot the result message names already says
        so: "created disk X", "deleted snapshot Y")."""
        kept = [n for n in self._notes if not any(s and s in n for s in subjects)]
        return "".join(f" Note: {note.rstrip('.')}." for note in kept)

    def _refuse_when_busy(self) -> bool:
        if self.busy is not None:
            self.notify(
                f"Wait: {self.busy.rstrip('…')} is still running.",
                title="Busy",
                severity="warning",
            )
            return True
        return False

    def _require_loaded(self) -> VolumeState | None:
        state = self.state
        if self.current is None or state is None:
            self.notify("This app has no volumes.", severity="warning")
            return None
        if state.disks is None or state.snapshots is None:
            self.notify(
                f"Volume {self.current} is still loading; try again in a moment.",
                severity="warning",
            )
            return None
        return state

    def _ready(self) -> VolumeState | None:
        if self._refuse_when_busy():
            return None
        return self._require_loaded()

    def _say_not_here(self, what: str, where: str) -> None:
        self.notify(
            f"{what} acts on the {where} table; the cursor is in the "
            f"{self.focused_table.capitalize()} table. Tab moves between tables.",
            title="Nothing was done",
            severity="warning",
        )

    # --- actions that read ----------------------------------------------------------------------

    def action_copy_id(self) -> None:
        table = self.focused_table
        resource = self.selected_snapshot() if table == "snapshots" else self.selected_disk()
        if table == "volumes" or resource is None:
            self._say_not_here("Copy id", "Disks or Snapshots")
            return
        self.app.copy_to_clipboard(resource.resource_id)
        self.notify(resource.resource_id, title="Copied resource id", markup=False)

    def action_describe(self) -> None:
        """``y`` / Enter: the row under the cursor in full (Azure's document, plus the
        PersistentVolumes, claims and pods that use a disk)."""
        table = self.focused_table
        state = self.state
        volume = self.current
        if state is None or volume is None:
            self.notify("This app has no volumes.", severity="warning")
            return
        mounts = self.cluster.mounts
        if table == "volumes":
            ids = [d.resource_id for d in state.disks or ()]
            documents = cluster_documents(mounts, ids)
            if not documents:
                self.notify(
                    f"The cluster shows nothing for volume {volume} (no PersistentVolume "
                    "uses its disks); y on a disk or snapshot row describes it.",
                    title="Nothing to describe",
                    markup=False,
                )
                return
            self.app.push_screen(
                DescribeScreen(f"Volume {volume}: what the cluster mounts", documents)
            )
            return
        resource: VolumeDisk | VolumeSnapshot | None = (
            self.selected_disk() if table == "disks" else self.selected_snapshot()
        )
        if resource is None:
            self.notify(f"The {table.capitalize()} table is empty.", severity="warning")
            return
        driver = self.driver
        rid = resource.resource_id
        kind = "disk" if table == "disks" else "snapshot"
        extra = cluster_documents(mounts, [rid]) if kind == "disk" else []

        def load() -> list[Mapping[str, Any]]:
            return [driver.resource_json(rid), *extra]

        note = (
            f"Azure's document of the {kind}"
            + (", then the PersistentVolume, claim and pods that use it" if extra else "")
            + ". c copies · Esc back"
        )
        self.app.push_screen(
            DescribeScreen(f"{kind.capitalize()} {resource.name}", loader=load, note=note)
        )

    # --- actions that change something --------------------------------------------------------

    @work(group="volume-action", exit_on_error=False)
    async def action_assign(self) -> None:
        if (state := self._ready()) is None:
            return
        if self.focused_table != "disks":
            self._say_not_here("Assign", "Disks")
            return
        disk = self.selected_disk()
        if disk is None:
            self.notify("The Disks table is empty: nothing to assign.", severity="warning")
            return
        if disk.assigned and len(state.assigned) == 1:
            self.notify(
                f"Disk {disk.name} already is the assigned disk of volume {self.current}.",
                title="Nothing to do",
                markup=False,
            )
            return
        await self._assign(disk, title="Assign disk to volume {volume}")

    @work(group="volume-action", exit_on_error=False)
    async def action_undo(self) -> None:
        if (state := self._ready()) is None:
            return
        previous = self.previous_disk()
        disk = next((d for d in state.disks or () if d.name == previous), None)
        if disk is None:
            self.notify("No swap to undo: the history has no earlier disk still in place.")
            return
        await self._assign(
            disk, title="Undo the last swap of volume {volume}", intro="Back to the disk ↶:"
        )

    @work(group="volume-action", exit_on_error=False)
    async def action_repair(self) -> None:
        if (state := self._ready()) is None:
            return
        health = state.health
        if health is None or health.state != "inconsistent":
            self.notify(f"Volume {self.current} is consistent; nothing to repair.")
            return
        assert state.disks is not None
        assigned = state.assigned
        if assigned:
            target = assigned[0]  # the newest assigned disk (lists are newest first)
            why = (
                f"The volume has {len(assigned)} assigned disks; exactly one must be. "
                f"Keeping the newest one. To keep another, put the cursor on it and press a."
            )
        else:
            target = self.selected_disk() or state.disks[0]
            why = (
                "No disk is assigned, so the app cannot mount this volume. Assigning the "
                "disk under the Disks cursor; move that cursor first to choose another."
            )
        await self._assign(target, title="Repair volume {volume}", note=why)

    async def _assign(
        self,
        disk: VolumeDisk,
        *,
        title: str,
        note: str | None = None,
        intro: str | None = None,
    ) -> bool:
        volume = self.current
        state = self.state
        assert volume is not None and state is not None
        layout = self.driver.config.layout
        dialog, before = confirmations.assign_dialog(
            volume,
            disk,
            state.assigned,
            self.now(),
            title=title,
            redeploy=redeploy_advice(layout),
            note=note,
            intro=intro,
        )
        if not await self.app.push_screen_wait(dialog):
            return False
        self._pending.setdefault(volume, Pending()).disk_key = disk.resource_id
        ok, outcome = await self._mutate(
            f"assigning {disk.name} to volume {volume}",
            volume,
            lambda: self.driver.disk_assign(volume, disk.name),
        )
        if not ok:
            return False
        self.history.record(self._history_key(volume), before, disk.name, self.now())
        was = ", ".join(before) or "none"
        view = self.mount_view(volume)
        pods = (
            f" The pods still mount {', '.join(view.mounted)} until the app is redeployed."
            if view.mounted and disk.name not in view.mounted
            else " The pods mount it after the app is redeployed."
        )
        self.notify(
            f"Volume {volume} now uses disk {disk.name} (was {was}).{pods} "
            f"{redeploy_advice(layout)} Undo: u."
            # Concurrent changes the driver saw (lost answer, lease wait or takeover,
            # no cluster lease): the user is told of each.
            + "".join(f" Note: {note}." for note in (outcome.notes if outcome else ()))
            + self._also(disk.name),
            title="Assigned",
            timeout=15,
            markup=False,
        )
        return True

    @work(group="volume-action", exit_on_error=False)
    async def action_create_disk(self) -> None:
        if (state := self._ready()) is None:
            return
        volume = self.current
        assert volume is not None and state.disks is not None
        names = self.volume_names(volume)
        dialog = confirmations.create_disk_dialog(
            volume,
            names.new_disk_spec(),
            first=not state.disks,
            first_assigned=names.first_disk_assigned,
        )
        if not await self.app.push_screen_wait(dialog):
            return
        ok, disk = await self._mutate(
            f"creating a disk in volume {volume}", volume, lambda: self.driver.disk_create(volume)
        )
        if ok and disk is not None:
            self._pending.setdefault(volume, Pending()).disk_key = disk.resource_id
            self.notify(
                f"Created disk {disk.name} in volume {volume}.{self._also(disk.name)}",
                title="Disk created",
                markup=False,
            )

    @work(group="volume-action", exit_on_error=False)
    async def action_snapshot(self) -> None:
        if (state := self._ready()) is None:
            return
        volume = self.current
        assert volume is not None
        table = self.focused_table
        if table == "snapshots":
            self._say_not_here("Snapshot", "Disks (or Volumes, for the assigned disk)")
            return
        disk = self.selected_disk() if table == "disks" else None
        which = "the disk under the cursor"
        if table == "disks" and disk is None:
            self.notify("The Disks table is empty: nothing to snapshot.", severity="warning")
            return
        if disk is None:
            assigned = state.assigned
            if len(assigned) != 1:
                self.notify(
                    "Select a disk in the Disks table: the volume has no single assigned disk.",
                    severity="warning",
                )
                return
            disk, which = assigned[0], "the assigned disk"
        elif disk.assigned:
            which = "the disk under the cursor, which is the assigned disk"
        target = disk
        if not await self.app.push_screen_wait(
            confirmations.snapshot_dialog(
                volume, target, which, self.volume_names(volume).snapshot_spec()
            )
        ):
            return
        ok, snapshot = await self._mutate(
            f"snapshotting disk {target.name}",
            volume,
            lambda: self.driver.snapshot_create(volume, target.name),
        )
        if ok and snapshot is not None:
            self._pending.setdefault(volume, Pending()).snapshot_key = snapshot.resource_id
            self.notify(
                f"Snapshot {snapshot.name} of disk {target.name} created."
                + self._also(snapshot.name),
                title="Snapshot taken",
                markup=False,
            )

    @work(group="volume-action", exit_on_error=False)
    async def action_restore(self) -> None:
        if (state := self._ready()) is None:
            return
        volume = self.current
        assert volume is not None
        if self.focused_table != "snapshots":
            self._say_not_here("Restore", "Snapshots")
            return
        snapshot = self.selected_snapshot()
        if snapshot is None:
            self.notify("The Snapshots table is empty: nothing to restore.", severity="warning")
            return
        spec = self.volume_names(volume).restore_disk_spec(snapshot.size_gib)
        dialog = confirmations.restore_dialog(volume, snapshot, self.now(), spec)
        if not await self.app.push_screen_wait(dialog):
            return
        ok, disk = await self._mutate(
            f"restoring snapshot {snapshot.name}",
            volume,
            lambda: self.driver.snapshot_restore(volume, snapshot.name),
        )
        if not ok or disk is None:
            return
        self._pending.setdefault(volume, Pending()).disk_key = disk.resource_id
        self.notify(
            f"Restored snapshot {snapshot.name} into disk {disk.name} (unassigned)."
            + self._also(disk.name),
            title="Restored",
            markup=False,
        )
        fresh = next((d for d in state.disks or () if d.name == disk.name), disk)
        await self._assign(
            fresh,
            title="Assign the restored disk to volume {volume}?",
            intro=f"Disk {fresh.name} was restored from snapshot {snapshot.name}.",
        )

    @work(group="volume-action", exit_on_error=False)
    async def action_delete(self) -> None:
        if (state := self._ready()) is None:
            return
        volume = self.current
        assert volume is not None
        now = self.now()
        disks, snapshots = state.disks or [], state.snapshots or []
        if self.focused_table == "volumes":
            # Volumes cannot be deleted here; never guess which disk was meant.
            self._say_not_here("Delete", "Disks or Snapshots")
            return
        if self.focused_table == "snapshots":
            snapshot = self.selected_snapshot()
            if snapshot is None:
                self.notify("The Snapshots table is empty: nothing to delete.", severity="warning")
                return
            dialog = confirmations.delete_snapshot_dialog(volume, snapshot, disks, snapshots, now)
            if not await self.app.push_screen_wait(dialog):
                return
            ok, _ = await self._mutate(
                f"deleting snapshot {snapshot.name}",
                volume,
                lambda: self.driver.snapshot_delete(volume, snapshot.name),
            )
            if ok:
                self.notify(
                    f"Deleted snapshot {snapshot.name}.{self._also(snapshot.name)}",
                    title="Snapshot deleted",
                    markup=False,
                )
            return
        disk = self.selected_disk()
        if disk is None:
            self.notify("The Disks table is empty: nothing to delete.", severity="warning")
            return
        dialog_ = confirmations.delete_disk_dialog(volume, disk, disks, snapshots, now)
        if not await self.app.push_screen_wait(dialog_):
            return
        force = disk.assigned
        ok, _ = await self._mutate(
            f"deleting disk {disk.name}",
            volume,
            lambda: self.driver.disk_delete(volume, disk.name, force=force),
        )
        if ok:
            self.notify(
                f"Deleted disk {disk.name}.{self._also(disk.name)}",
                title="Disk deleted",
                markup=False,
            )
