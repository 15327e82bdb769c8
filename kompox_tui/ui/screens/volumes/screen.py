"""The volume browser: an app's volumes, their disks and snapshots, intent and reality.

Top: the app volumes with a health marker and what the cluster mounts. Below: the
selected volume's summary, one line setting the assigned disk (the tag) beside the
disk the pods really mount, its disks and its snapshots, newest first. A refresh
of the selected volume costs one disk list, one snapshot list and three Kubernetes
lists (PVs, claims, pods); it repeats on the overview's interval (``p`` pauses).

Every action acts on the focused table's row or says why not. Actions are async
workers that await their dialog (``push_screen_wait``) and then the driver call
(in a thread), so each reads top to bottom. The 3 a.m. action is ``a``: one key on
the disk, one Enter on a dialog that shows *from* -> *to*; ``u`` undoes the last
swap (the disk marked ``↶``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.events import DescendantFocus
from textual.widgets import Label, LoadingIndicator, Static

from ....azure.driver import AksDriver
from ....errors import KompoxError
from ....model import Volume, VolumeDisk, VolumeSnapshot
from ...read_only import refusal_text, refused_action
from ...widgets.filter_table import FilterTable
from ...widgets.key_bar import KeyBar
from ...widgets.title_bar import TitleBar
from .history import AssignHistory
from .loading import VolumeLoading
from .rows import (
    DISK_COLUMNS,
    SNAPSHOT_COLUMNS,
    VOLUME_COLUMNS,
    MountView,
    VolumeRows,
    mount_view,
    volume_rows,
)
from .state import (
    ROWS_FRESH_SECONDS,
    ROWS_ON_LOOP,
    MountsState,
    Pending,
    VolumeState,
)
from .summary import summary_text

MUTATING_ACTIONS = frozenset(
    {"create_disk", "assign", "snapshot", "restore", "delete", "repair", "undo"}
)
TABLES = ("volumes", "disks", "snapshots")


class VolumeBrowser(VolumeLoading):
    """Browse an app's volumes; create, assign, snapshot, restore and delete disks."""

    DEFAULT_CSS = """
    VolumeBrowser #volumes { height: auto; max-height: 8; }
    VolumeBrowser #volumes KeyedTable { height: auto; max-height: 7; }
    VolumeBrowser #disks, VolumeBrowser #snapshots { height: 1fr; }
    VolumeBrowser FilterTable { border-left: outer $panel; }
    VolumeBrowser FilterTable:focus-within { border-left: outer $accent; }
    VolumeBrowser FilterTable.-stale { opacity: 55%; }
    VolumeBrowser .pane-title { text-style: bold; padding: 0 1; height: 1; }
    VolumeBrowser .pane-title.-focused { background: $accent; color: auto 95%; }
    VolumeBrowser #summary, VolumeBrowser #mounts { padding: 0 1; height: auto; }
    VolumeBrowser #mounts.-drift { background: $warning 20%; }
    VolumeBrowser #activity { height: 1; padding: 0 1; }
    VolumeBrowser #activity LoadingIndicator {
        width: 6; height: 1; min-height: 1; display: none;
    }
    VolumeBrowser #activity.-busy LoadingIndicator { display: block; }
    VolumeBrowser #activity Label { width: 1fr; }
    VolumeBrowser #activity Label.-hint { color: $text-muted; }
    /* A short terminal (24 lines) keeps its rows for the tables: no hint line while
       idle (the key bar has the keys); styles/volumes.tcss drops the summary's rules. */
    VolumeBrowser.-short #activity { display: none; }
    VolumeBrowser.-short #activity.-busy { display: block; }
    """

    #: Below this many lines the screen is laid out compactly (class ``-short``).
    SHORT_HEIGHT = 32

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", tooltip="Back to the cluster overview"),
        Binding("a", "assign", "Assign", tooltip="Make the disk under the cursor assigned"),
        Binding("u", "undo", "Undo swap", tooltip="Assign the previously assigned disk (↶) again"),
        Binding("n", "create_disk", "New disk", tooltip="Create an empty disk in this volume"),
        Binding("s", "snapshot", "Snapshot", tooltip="Snapshot the disk under the cursor"),
        Binding("r", "restore", "Restore", tooltip="Restore the snapshot under the cursor"),
        Binding("d", "delete", "Delete", tooltip="Delete the disk or snapshot under the cursor"),
        Binding("y", "describe", "Describe", tooltip="The full resource as YAML (also Enter)"),
        Binding(
            "R",
            "repair",
            "Repair",
            key_display="R",
            tooltip="Make exactly one disk assigned (inconsistent volume)",
        ),
        Binding(
            "f5,ctrl+r",
            "refresh",
            "Refresh",
            key_display="F5",
            tooltip="Reload the disks, snapshots and what the cluster mounts",
        ),
        Binding("p", "toggle_pause", "Pause", show=False, tooltip="Pause or resume auto-refresh"),
        Binding("c", "copy_id", "Copy id", show=False, tooltip="Copy the selected resource id"),
    ]

    def __init__(
        self,
        driver: AksDriver,
        read_only: bool = False,
        *,
        clock: Callable[[], datetime] | None = None,
        scan_other_volumes: bool = True,
        history: AssignHistory | None = None,
    ) -> None:
        super().__init__()
        self.driver = driver
        self.read_only = read_only or driver.read_only
        self._clock = clock
        self._scan_other_volumes = scan_other_volumes
        self.history = history if history is not None else AssignHistory.default()
        self.volumes: tuple[Volume, ...] = driver.config.app.volumes
        self.states: dict[str, VolumeState] = {v.name: VolumeState() for v in self.volumes}
        self.cluster = MountsState()
        self.current: str | None = self.volumes[0].name if self.volumes else None
        self.busy: str | None = None
        """What the running mutation is doing ("assigning …"); None when idle."""
        self._loading: str | None = None
        self._last_table: str = "disks"
        self._pending: dict[str, Pending] = {}
        self._scanned = False
        self._labels: dict[str, str] = {}
        """The text each label shows (updating a label costs a layout pass)."""
        self._summary_shown: Text | None = None
        self._bindings_shown: tuple[object, ...] | None = None
        self.paused = False
        self.countdown: float = 0.0
        self._notified_error: dict[str, str] = {}
        self._mounts_reading = False
        self.disk_sizes: dict[str, int] = {}
        """GiB of a new disk per volume in this cluster's layout (filled on mount)."""

    # --- layout -------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        app = self.driver.config.app.name
        yield TitleBar()
        yield Label(f"Volumes of app {app}", id="volumes-title", classes="pane-title", markup=False)
        yield FilterTable(VOLUME_COLUMNS, id="volumes", empty_text="This app has no volumes.")
        yield Static("", id="summary")
        yield Static("", id="mounts")
        with Horizontal(id="activity"):
            yield LoadingIndicator()
            yield Label("", id="activity-text", markup=False)
        yield Label("Disks", id="disks-title", classes="pane-title", markup=False)
        yield FilterTable(DISK_COLUMNS, id="disks", empty_text="No disks in this volume.")
        yield Label("Snapshots", id="snapshots-title", classes="pane-title", markup=False)
        yield FilterTable(
            SNAPSHOT_COLUMNS, id="snapshots", empty_text="No snapshots in this volume."
        )
        yield KeyBar()

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.height < self.SHORT_HEIGHT, "-short")

    def on_mount(self) -> None:
        for volume in self.volumes:
            # A volume the layout cannot size keeps Volume.size_gib; the driver says what
            # is wrong when the volume is used.
            with contextlib.suppress(KompoxError, ValueError):
                self.disk_sizes[volume.name] = (
                    self.volume_names(volume.name).new_disk_spec().size_gib
                )
        self.sub_title = f"{self.driver.config.cluster.name} · volumes" + (
            " · read-only" if self.read_only else ""
        )
        self._render_volumes()
        if self.current is not None:
            self.query_one("#volumes", FilterTable).select_key(self.current)
            self._show_current()
            self.load(self.current)
        else:
            self._render_summary()
            self._set_activity()
        self.query_one("#disks", FilterTable).focus()
        self._mark_focused("disks")
        # Relative ages ("3h ago") age without any API call.
        self.set_interval(30, self._render_all, name="age ticker")
        self.countdown = self.refresh_interval or 0.0
        self.set_interval(1.0, self._tick, name="volume auto-refresh")

    # --- time and refresh -----------------------------------------------------------------

    def now(self) -> datetime:
        if self._clock is not None:
            return self._clock()
        clock = getattr(self.app, "clock", None)
        if callable(clock):
            value = clock()
            if isinstance(value, datetime):
                return value
        return datetime.now().astimezone()

    @property
    def refresh_interval(self) -> float | None:
        """The overview's auto-refresh interval (the app's); None: no auto-refresh."""
        value = getattr(self.app, "refresh_interval", None)
        return float(value) if isinstance(value, (int, float)) and value > 0 else None

    def _tick(self) -> None:
        interval = self.refresh_interval
        if interval is None or self.paused or self.current is None:
            return
        if self.busy is not None or self._loading is not None or not self.is_current:
            return  # never under a dialog or a running action; the countdown waits
        self.countdown -= 1
        if self.countdown <= 0:
            self.countdown = interval
            self.load(self.current)

    # --- selection helpers ----------------------------------------------------------------

    @property
    def state(self) -> VolumeState | None:
        return self.states.get(self.current) if self.current is not None else None

    def selected_disk(self) -> VolumeDisk | None:
        """The disk under the cursor in the Disks table."""
        state = self.state
        key = self.query_one("#disks", FilterTable).selected_key
        return state.disk(key) if state is not None else None

    def selected_snapshot(self) -> VolumeSnapshot | None:
        """The snapshot under the cursor in the Snapshots table."""
        state = self.state
        key = self.query_one("#snapshots", FilterTable).selected_key
        return state.snapshot(key) if state is not None else None

    @property
    def focused_table(self) -> str:
        """``volumes``, ``disks`` or ``snapshots``: the table the keys act on."""
        return self._last_table

    @on(DescendantFocus)
    def _remember_table(self, event: DescendantFocus) -> None:
        for table_id in TABLES:
            table = self.query_one(f"#{table_id}", FilterTable)
            if event.widget is table or table in event.widget.ancestors:
                self._last_table = table_id
                self._mark_focused(table_id)
                return

    def _mark_focused(self, table_id: str) -> None:
        for other in TABLES:
            self.query_one(f"#{other}-title", Label).set_class(other == table_id, "-focused")

    def _history_key(self, volume: str) -> str:
        c = self.driver.config
        return f"{c.provider.name}/{c.cluster.name}/{c.app.name}/{volume}"

    def previous_disk(self, volume: str | None = None) -> str | None:
        """The disk assigned before the last swap (the ``↶`` marker), if still current."""
        volume = volume or self.current
        state = self.states.get(volume or "")
        if volume is None or state is None or state.disks is None:
            return None
        previous = self.history.previous(
            self._history_key(volume), [d.name for d in state.assigned]
        )
        if previous is None or not any(d.name == previous for d in state.disks):
            return None
        return previous

    # --- rendering ----------------------------------------------------------------------

    def _render_all(self) -> None:
        """The age ticker: relative ages move on without any API call."""
        self._render_volumes()
        self._show_current(fresh_ages=True)

    def mount_view(self, volume: str) -> MountView:
        state = self.states[volume]
        return mount_view(state.disks, self.cluster.mounts, self.driver.config.layout)

    def _render_volumes(self) -> None:
        rows = volume_rows(
            self.volumes,
            {name: s.disks for name, s in self.states.items()},
            {n: None if s.snapshots is None else len(s.snapshots) for n, s in self.states.items()},
            {name: self.mount_view(name) for name in self.states},
            self.disk_sizes,
        )
        self.query_one("#volumes", FilterTable).set_rows(rows)

    def _show_current(self, *, fresh_ages: bool = False) -> None:
        """Show the current volume's lists: rows built in the worker when they match,
        built here when the volume is small, else built in a thread (then shown)."""
        state = self.state
        now = self.now()
        disks = state.disks if state is not None and state.disks is not None else []
        snaps = state.snapshots if state is not None and state.snapshots is not None else []
        previous = self.previous_disk()
        small = len(disks) + len(snaps) <= ROWS_ON_LOOP
        rows = state.rows if state is not None else None
        if (
            rows is not None
            and state is not None
            and rows.built_from(state.disks, state.snapshots, previous)
        ):
            age = abs((now - rows.now).total_seconds())
            # Small volumes are simply rebuilt (exact ages); big ones reuse recent rows.
            if age > 0 and (small or fresh_ages or age >= ROWS_FRESH_SECONDS):
                rows = None
        else:
            rows = None
        if rows is None:
            snapshots_known = state.snapshots if state is not None else None
            if state is None or small:
                rows = VolumeRows.build(disks, snapshots_known, now, previous)
                if state is not None:
                    state.rows = rows
            else:
                # Big: build off the event loop. Until then show what is there, unless it
                # is another volume's (switching volumes), which must never stay on screen.
                assert self.current is not None
                self._rows_worker(self.current, disks, snapshots_known, now, previous)
                if not fresh_ages:
                    self.query_one("#disks", FilterTable).set_rows(())
                    self.query_one("#snapshots", FilterTable).set_rows(())
        if rows is not None:
            self.query_one("#disks", FilterTable).set_rows(rows.disk_rows)
            self.query_one("#snapshots", FilterTable).set_rows(rows.snapshot_rows)
        stale = state is not None and state.stale
        for table_id in ("disks", "snapshots"):
            self.query_one(f"#{table_id}", FilterTable).set_class(stale, "-stale")
        known = state is not None and state.disks is not None
        self._set_label("#disks-title", f"Disks ({len(disks)})" if known else "Disks")
        self._set_label(
            "#snapshots-title",
            f"Snapshots ({len(snaps)})"
            if state is not None and state.snapshots is not None
            else "Snapshots",
        )
        self._render_summary()
        self._render_mounts()
        # The footer rebuilds all its keys on every refresh_bindings: only when the
        # answer of check_action can have changed.
        bindings = (self.busy, self.check_action("repair", ()), self.check_action("undo", ()))
        if bindings != self._bindings_shown:
            self._bindings_shown = bindings
            self.refresh_bindings()

    def _set_label(self, selector: str, text: str) -> None:
        """Update a label only when its text changes (every update costs a layout pass)."""
        if self._labels.get(selector) != text:
            self._labels[selector] = text
            self.query_one(selector, Label).update(text)

    def _render_summary(self) -> None:
        summary = self.query_one("#summary", Static)
        health = self.state.health if self.state is not None else None
        summary.set_class(health is not None and health.state == "inconsistent", "-inconsistent")
        if self.current is None:
            summary.update("This app declares no volumes (app.volumes in kompoxops.yml).")
            self._summary_shown = None
            return
        volume = next(v for v in self.volumes if v.name == self.current)
        state = self.states[self.current]
        text = summary_text(
            volume,
            state,
            self.now(),
            undo=self.previous_disk() is not None,
            size_gib=self.disk_sizes.get(volume.name),
        )
        shown = self._summary_shown
        if shown is not None and shown.plain == text.plain and shown.spans == text.spans:
            return
        # Same length and lines (e.g. only the "refreshed" time moved): no layout pass.
        same_shape = shown is not None and len(shown.plain) == len(text.plain)
        same_shape = same_shape and shown is not None and "\n" not in shown.plain + text.plain
        summary.update(text, layout=not same_shape)
        self._summary_shown = text

    def _render_mounts(self) -> None:
        widget = self.query_one("#mounts", Static)
        if self.current is None:
            widget.update("")
            return
        view = self.mount_view(self.current)
        text = Text("cluster: ", style="bold")
        text.append_text(view.line)
        if view.advice:
            text.append(f"\n{view.advice}", style="yellow")
        widget.set_class(view.verdict == "drift", "-drift")
        widget.update(text)

    def _set_activity(self) -> None:
        """Say what is being waited for; when idle, the keys that matter most."""
        activity = self.query_one("#activity", Horizontal)
        text = self.busy or (
            f"loading disks and snapshots of {self._loading}…" if self._loading else None
        )
        activity.set_class(text is not None, "-busy")
        label = self.query_one("#activity-text", Label)
        label.set_class(text is None, "-hint")
        content = text or self._idle_hint()
        if self._labels.get("#activity-text") != content:
            self._labels["#activity-text"] = content
            label.update(content)

    def _idle_hint(self) -> str:
        interval = self.refresh_interval
        auto = (
            ""
            if interval is None
            else " · auto-refresh paused (p resume)"
            if self.paused
            else f" · auto-refresh {interval:.0f} s (p pause)"
        )
        if self.read_only:
            return "read-only · Tab: next table · y: describe · /: filter" + auto
        return "a: assign · s: snapshot · r: restore · y: describe · Tab: next table" + auto

    # --- navigation -----------------------------------------------------------------------

    @on(FilterTable.Highlighted, "#volumes")
    def _volume_highlighted(self, event: FilterTable.Highlighted) -> None:
        if event.key is None or event.key == self.current:
            return
        self.current = event.key
        # Show what we know at once (cached lists), then fetch the current state.
        self._show_current()
        self.load(event.key)

    @on(FilterTable.Selected, "#volumes")
    def _volume_chosen(self, event: FilterTable.Selected) -> None:
        self.query_one("#disks", FilterTable).focus()

    @on(FilterTable.Selected, "#disks, #snapshots")
    def _row_chosen(self, event: FilterTable.Selected) -> None:
        self.action_describe()

    def on_key(self, event: events.Key) -> None:
        # Mutating keys are hidden in a read-only session; pressing one says why.
        if self.read_only:
            what = refused_action(self.BINDINGS, event.key, MUTATING_ACTIONS)
            if what is not None:
                event.stop()
                self.notify(refusal_text(what), title="Read-only", severity="warning")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in MUTATING_ACTIONS and self.read_only:
            return False
        if action == "repair":
            state = self.state
            health = state.health if state is not None else None
            return health is not None and health.state == "inconsistent"
        if action == "undo":
            return self.previous_disk() is not None
        return True

    # --- plain actions ------------------------------------------------------------------------

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_refresh(self) -> None:
        if self.current is None:
            return
        self.countdown = self.refresh_interval or 0.0
        self.load(self.current)

    def action_toggle_pause(self) -> None:
        if self.refresh_interval is None:
            self.notify("Auto-refresh is off in this session; F5 refreshes.")
            return
        self.paused = not self.paused
        self.notify("Auto-refresh paused (p resumes)." if self.paused else "Auto-refresh resumed.")
        self._set_activity()
