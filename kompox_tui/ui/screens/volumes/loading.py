"""The volume browser's loading: the workers that list a volume's disks and snapshots,
scan the other volumes' health, read what the cluster mounts and build big tables' rows
off the event loop, and the handlers that take their results into the screen's state.

Every listing runs in a thread worker and reports back by message (never by touching
widgets from the thread); a failed list is a result (``VolumeLoadFailed``), shown once
per cause. Rendering stays in :mod:`.screen`.
"""

from __future__ import annotations

from datetime import datetime

from textual import on, work
from textual.worker import Worker, WorkerState, get_current_worker

from ....errors import KompoxError
from ....model import VolumeDisk, VolumeSnapshot
from ...widgets.filter_table import FilterTable
from .actions import VolumeActions
from .rows import VolumeRows
from .state import (
    MountsLoaded,
    RowsBuilt,
    VolumeLoaded,
    VolumeLoadFailed,
    VolumeState,
)


class VolumeLoading(VolumeActions):
    """Loading for :class:`~.screen.VolumeBrowser` (which owns the state and renders)."""

    states: dict[str, VolumeState]
    _loading: str | None
    _mounts_reading: bool
    _scan_other_volumes: bool
    _scanned: bool
    _notified_error: dict[str, str]

    # Supplied by VolumeBrowser.
    def _render_volumes(self) -> None:
        raise NotImplementedError

    def _show_current(self, *, fresh_ages: bool = False) -> None:
        raise NotImplementedError

    def _render_mounts(self) -> None:
        raise NotImplementedError

    def load(self, volume: str) -> None:
        """Fetch the lists of ``volume`` (one call each), then what the cluster mounts."""
        self._loading = volume
        self._set_activity()
        self._load_worker(volume)

    def _read_mounts(self) -> None:
        """What the cluster mounts, for every disk known; one read at a time, so a hung
        API server never piles up threads (the next refresh reads again)."""
        if self._mounts_reading:
            return
        self._mounts_reading = True
        ids = frozenset(d.resource_id for s in self.states.values() for d in s.disks or ())
        self._mounts_worker(ids)

    @work(
        thread=True,
        exit_on_error=False,
        group="volume-mounts",
        description="read what the cluster mounts",
    )
    def _mounts_worker(self, disk_ids: frozenset[str]) -> None:
        mounts = self.driver.volume_mounts(disk_ids)  # never raises KompoxError: calm result
        self.post_message(MountsLoaded(mounts, self.now()))

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="volume-load",
        description="list the volume's disks and snapshots",
    )
    def _load_worker(self, volume: str) -> None:
        worker = get_current_worker()
        try:
            disks = self.driver.disk_list(volume)
            snapshots = self.driver.snapshot_list(volume)
        except KompoxError as exc:
            if not worker.is_cancelled:
                self.post_message(VolumeLoadFailed(volume, str(exc), self.now()))
            return
        if worker.is_cancelled:
            return
        # The rows too: for 10,000 disks and snapshots building them takes long enough
        # to freeze the screen if done on the event loop.
        now = self.now()
        previous = self.history.previous(
            self._history_key(volume), [d.name for d in disks if d.assigned]
        )
        rows = VolumeRows.build(disks, snapshots, now, previous)
        if worker.is_cancelled:
            return
        self.post_message(VolumeLoaded(volume, disks, snapshots, now, rows))

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="volume-rows",
        description="prepare the rows of the volume's tables",
    )
    def _rows_worker(
        self,
        volume: str,
        disks: list[VolumeDisk],
        snapshots: list[VolumeSnapshot] | None,
        now: datetime,
        previous: str | None,
    ) -> None:
        rows = VolumeRows.build(disks, snapshots, now, previous)
        if not get_current_worker().is_cancelled:
            self.post_message(RowsBuilt(volume, rows))

    @on(RowsBuilt)
    def _rows_built(self, message: RowsBuilt) -> None:
        state = self.states[message.volume]
        if not message.rows.built_from(state.disks, state.snapshots, message.rows.previous):
            return  # the lists changed meanwhile; their own rows are on the way
        state.rows = message.rows
        if message.volume == self.current:
            self.query_one("#disks", FilterTable).set_rows(message.rows.disk_rows)
            self.query_one("#snapshots", FilterTable).set_rows(message.rows.snapshot_rows)

    @work(
        thread=True,
        exit_on_error=False,
        group="volume-health",
        description="check the health of the other volumes",
    )
    def _scan_worker(self, volumes: list[str]) -> None:
        worker = get_current_worker()
        for volume in volumes:
            if worker.is_cancelled:
                return
            try:
                disks = self.driver.disk_list(volume)
            except KompoxError as exc:
                self.post_message(VolumeLoadFailed(volume, str(exc), self.now()))
                continue
            self.post_message(VolumeLoaded(volume, disks, None, self.now()))

    @on(VolumeLoaded)
    def _loaded(self, message: VolumeLoaded) -> None:
        state = self.states[message.volume]
        state.disks = message.disks
        if message.snapshots is not None:
            state.snapshots = message.snapshots
            state.loaded_at = message.at
            state.error = None
            state.failed_at = None
            self._notified_error.pop(message.volume, None)
        if message.rows is not None and message.rows.built_from(
            state.disks, state.snapshots, message.rows.previous
        ):
            state.rows = message.rows
        if message.volume == self._loading and message.snapshots is not None:
            self._loading = None
            self._set_activity()
        self._render_volumes()
        if message.volume == self.current:
            self._show_current()
            if message.snapshots is not None:
                self._apply_pending(message.volume)
        if message.snapshots is not None:
            self._read_mounts()
        if self._scan_other_volumes and not self._scanned and message.snapshots is not None:
            self._scanned = True
            others = [v.name for v in self.volumes if self.states[v.name].disks is None]
            if others:
                self._scan_worker(others)

    @on(MountsLoaded)
    def _mounts_loaded(self, message: MountsLoaded) -> None:
        self._mounts_reading = False
        self.cluster.mounts = message.mounts
        self.cluster.at = message.at
        self._render_volumes()
        self._render_mounts()

    def _apply_pending(self, volume: str) -> None:
        """After a mutation's reload: select what it created."""
        pending = self._pending.pop(volume, None)
        if pending is None:
            return
        if pending.disk_key is not None:
            self.query_one("#disks", FilterTable).select_key(pending.disk_key)
        if pending.snapshot_key is not None:
            self.query_one("#snapshots", FilterTable).select_key(pending.snapshot_key)

    @on(VolumeLoadFailed)
    def _load_failed(self, message: VolumeLoadFailed) -> None:
        state = self.states[message.volume]
        state.error = message.error
        state.failed_at = message.at
        if message.volume == self._loading:
            self._loading = None
            self._set_activity()
        if message.volume == self.current:
            self._show_current()
            # Once per cause: an auto-refresh that keeps failing does not toast again.
            if self._notified_error.get(message.volume) != message.error:
                self._notified_error[message.volume] = message.error
                self.notify(
                    f"Could not list the disks and snapshots of volume {message.volume}: "
                    f"{message.error}. Press F5 to retry.",
                    title="Volume not refreshed",
                    severity="error",
                    timeout=12,
                    markup=False,
                )

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "volume-mounts" and event.state in (
            WorkerState.ERROR,
            WorkerState.CANCELLED,
        ):
            self._mounts_reading = False
        if event.state != WorkerState.ERROR:
            return
        # Expected failures (KompoxError) are results; this is the unexpected kind.
        if event.worker.group == "volume-load":
            self._loading = None
            self._set_activity()
        # Worker.StateChanged does not bubble: hand it to the app's one error reporter.
        report = getattr(self.app, "worker_state_changed", None)
        if callable(report):
            report(event)
        else:
            self.notify(
                f"Could not {event.worker.description}: {event.worker.error}",
                title="Error",
                severity="error",
                timeout=12,
                markup=False,
            )
