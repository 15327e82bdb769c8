"""Cluster overview: one row per kompoxops.yml, auto-refreshed, with the cluster actions."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Static
from textual.worker import Worker, get_current_worker

from ...azure.driver import AksDriver
from ...azure.errors_map import map_error
from ...errors import KompoxError
from ...layouts import layout_for
from ...text import visible
from ..messages import ClusterStatusFailed, ClusterStatusLoaded
from ..operations import Operation
from ..read_only import refusal_text, refused_action
from ..widgets.filter_table import ColumnSpec, FilterTable
from ..widgets.key_bar import KeyBar
from ..widgets.title_bar import TitleBar
from .cluster_confirmations import ask_deprovision, ask_provision, ask_uninstall
from .kubeconfig_flow import kubeconfig_flow
from .overview_columns import (
    COLUMNS,
    ClusterLabel,
    ClusterRow,
    RowView,
    cluster_labels,
    columns_for,
    failure_label,
    fit_name_column,
    row_cells,
)
from .overview_panels import detail_text, has_problems, problems_text, refresh_bar_text

if TYPE_CHECKING:
    from ..app import KompoxApp

MUTATING_ACTIONS = frozenset({"provision", "deprovision", "install", "uninstall"})
MIN_INTERVAL, MAX_INTERVAL = 2.0, 300.0


class ClusterOverview(Screen[None]):
    """Every configured cluster at a glance, with provision/install/kubeconfig actions."""

    #: What the footer advertises first when it is narrow (``?`` lists every key).
    FOOTER_PRIORITY = (
        "volumes",
        "refresh_now",
        "provision",
        "install",
        "toggle_call_log",
        "open_filter",
        "deprovision",
        "uninstall",
    )

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "refresh_now", "Refresh", tooltip="Refresh every cluster now"),
        Binding(
            "p", "toggle_pause", "Pause/resume", show=False, tooltip="Pause or resume auto-refresh"
        ),
        Binding("plus,equals_sign", "interval(1)", "Slower refresh", key_display="+", show=False),
        Binding("minus", "interval(-1)", "Faster refresh", key_display="-", show=False),
        Binding("enter,v", "volumes", "Volumes", tooltip="Browse the app's volumes"),
        Binding("P", "provision", "Provision", tooltip="Provision the cluster (force optional)"),
        Binding(
            "D",
            "deprovision",
            "Deprovision",
            tooltip="Delete the cluster (its stack or deployment and resource group)",
        ),
        Binding("i", "install", "Install", tooltip="Install Traefik ingress"),
        Binding("U", "uninstall", "Uninstall", tooltip="Uninstall the Traefik ingress"),
        Binding(
            # Not k: j/k move the cursor in every table (k9s habit).
            "w",
            "kubeconfig(False)",
            "Kubeconfig",
            show=False,
            tooltip="Write the cluster's kubeconfig to a file",
        ),
        Binding(
            "K",
            "kubeconfig(True)",
            "Merge kubeconfig",
            show=False,
            tooltip="Merge into $KUBECONFIG (else ~/.kube/config)",
        ),
        Binding(
            "o", "operation", "Operation", show=False, tooltip="Open the cluster's last operation"
        ),
        Binding(
            "c",
            "copy_id",
            "Copy id",
            show=False,
            tooltip="Copy the stack or deployment resource id",
        ),
        Binding(
            "y",
            "describe",
            "Describe",
            show=False,
            tooltip="The cluster's stack or deployment as Azure sends it (YAML)",
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[ClusterRow] = []
        self.columns: list[ColumnSpec] = list(COLUMNS)
        self.paused = False
        self.countdown = 0.0

    @property
    def kompox(self) -> KompoxApp:
        return self.app  # type: ignore[return-value]

    @property
    def drivers(self) -> list[AksDriver]:
        return self.kompox.drivers

    # --- layout -----------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        self.columns = columns_for(self.app.size.width)
        yield TitleBar()
        yield Static("", id="refresh-bar")
        with Vertical(id="overview-body"):
            yield FilterTable(
                self.columns,
                id="clusters",
                empty_text=(
                    "Starting the emulator…"
                    if self.kompox.starting_up
                    else "No clusters: pass kompoxops.yml files with -f, or try --demo."
                ),
            )
            with Horizontal(id="cluster-detail-row"):
                yield Static("", id="cluster-detail")
                yield Static("", id="cluster-problems")
        yield KeyBar()

    def on_mount(self) -> None:
        self.rows = [ClusterRow() for _ in self.drivers]
        app = self.kompox
        app.drivers_added_signal.subscribe(self, self.drivers_added, immediate=True)
        app.startup_step_signal.subscribe(self, self.startup_step_changed, immediate=True)
        app.startup_finished_signal.subscribe(self, self.startup_finished, immediate=True)
        app.operation_signal.subscribe(self, self.operation_updated, immediate=True)
        self.paused = self.kompox.start_paused
        self.countdown = self.kompox.refresh_interval
        self._render_rows()
        self.query_one(FilterTable).focus()
        self.set_interval(1.0, self._tick, name="auto-refresh")
        # After the first paint: the first refresh imports the Azure SDKs in its worker
        # threads, which would otherwise compete with drawing the first frame.
        self.call_after_refresh(self._first_refresh)
        self._render_bar()

    def _first_refresh(self) -> None:
        """Refresh the clusters known at start. During the demo's start-up these are the
        user's own (-f) clusters: they do not wait for the emulator."""
        self.countdown = self.kompox.refresh_interval
        for index in range(len(self.rows)):
            self.refresh_cluster(index)

    def drivers_added(self, _signal: None = None) -> None:
        """Clusters were added after start (the demo): rows for them, then a refresh."""
        self.rows.extend(ClusterRow() for _ in range(len(self.drivers) - len(self.rows)))
        self._render_rows()
        if not self.kompox.starting_up:
            self.refresh_all()

    def startup_step_changed(self, _step: str = "") -> None:
        self._render_bar()

    def startup_finished(self, _signal: None = None) -> None:
        """The demo seeding (or another start-up task) ended:
        refresh the clusters it added (the others were refreshed at start)."""
        self.countdown = self.kompox.refresh_interval
        for index, row in enumerate(self.rows):
            if row.refreshed_at is None:
                self.refresh_cluster(index)
        self._render_bar()

    # --- refreshing ---------------------------------------------------------------------

    def _tick(self) -> None:
        if not self.paused and not self.kompox.starting_up:
            self.countdown -= 1
            if self.countdown <= 0:
                self.refresh_all()
        self._render_bar()

    def refresh_all(self) -> None:
        self.countdown = self.kompox.refresh_interval
        for index in range(len(self.drivers)):
            self.refresh_cluster(index)

    def refresh_cluster(self, index: int) -> None:
        """Start a status worker for one cluster unless one is already waiting."""
        row = self.rows[index]
        if row.refreshing:
            return
        row.refreshing = True
        self._render_rows()
        name = self.drivers[index].config.cluster.name
        self.run_worker(
            partial(self._load_status, index),
            thread=True,
            exit_on_error=False,
            group=f"status-{index}",
            description=f"refresh the status of cluster {name}",
        )

    def _load_status(self, index: int) -> None:
        worker = get_current_worker()
        try:
            status = self.drivers[index].cluster_status()
        except KompoxError as exc:
            message: ClusterStatusLoaded | ClusterStatusFailed = ClusterStatusFailed(
                index, exc, self.kompox.clock()
            )
        except Exception as exc:  # shown in the row and the detail panel, never a crash
            error = map_error("cluster status", exc)
            message = ClusterStatusFailed(index, error, self.kompox.clock())
        else:
            message = ClusterStatusLoaded(index, status, self.kompox.clock())
        if not worker.is_cancelled:
            self.post_message(message)

    @on(ClusterStatusLoaded)
    def _status_loaded(self, message: ClusterStatusLoaded) -> None:
        row = self.rows[message.index]
        if row.notified is not None:
            name = self.drivers[message.index].config.cluster.name
            self.notify(
                f"Cluster {name} refreshed again at {message.at:%H:%M:%S} "
                f"(it was {row.notified.value}).",
                title="Recovered",
                timeout=6,
            )
        row.status = message.status
        row.error = None
        row.notified = None
        row.refreshed_at = message.at
        row.loaded_at = message.at
        row.refreshing = False
        self._render_rows()

    @on(ClusterStatusFailed)
    def _status_failed(self, message: ClusterStatusFailed) -> None:
        row = self.rows[message.index]
        error = message.error
        if row.notified != error.reason:
            # Once per cluster and cause: the row and the panel keep saying it.
            name = self.drivers[message.index].config.cluster.name
            self.notify(
                f"Cluster {name}: {failure_label(error)}. {error.message}\n"
                f"Next: {error.hint or 'see the panel below'}",
                title="Refresh failed",
                severity="error",
                timeout=10,
            )
            row.notified = error.reason
        row.error = error
        row.refreshed_at = message.at
        row.refreshing = False
        self._render_rows()

    def operation_updated(self, op: Operation) -> None:
        """A long operation logged or finished: its marker, then (finished) a refresh."""
        self._render_rows()
        if not op.running:
            # Every row of the cluster (the apps of one KOM cluster) changed with it.
            for index in self.kompox.operations.indexes_for(op):
                self.refresh_cluster(index)

    # --- rendering ------------------------------------------------------------------------

    def _labels(self) -> list[ClusterLabel]:
        ops = self.kompox.operations
        keys = [ops.cluster_key(i) for i in range(len(self.drivers))]
        return cluster_labels([d.config for d in self.drivers], keys)

    def _fit_names(self, columns: list[ColumnSpec]) -> list[ColumnSpec]:
        return fit_name_column(columns, self._labels())

    def _render_rows(self) -> None:
        table = self.query_one(FilterTable)
        fitted = self._fit_names(self.columns)
        if fitted != self.columns:
            self.columns = fitted
            table.set_columns(fitted, self._rows())
        else:
            table.set_rows(self._rows())
        self._render_detail()

    def _rows(self) -> list[tuple[str, list[str | Text]]]:
        running_for = self.kompox.operations.running_for
        rows: list[tuple[str, list[str | Text]]] = []
        for i, (driver, label) in enumerate(zip(self.drivers, self._labels(), strict=True)):
            layout = str(getattr(driver.config, "layout", "guide"))
            view = RowView(self.rows[i], label.text, layout, running_for(i))
            rows.append((str(i), row_cells(view, self.columns)))
        return rows

    def on_resize(self, event: events.Resize) -> None:
        columns = self._fit_names(columns_for(event.size.width))
        if [c.key for c in columns] != [c.key for c in self.columns]:
            self.columns = columns
            self.query_one(FilterTable).set_columns(columns, self._rows())

    def _render_bar(self) -> None:
        app = self.kompox
        bar = refresh_bar_text(
            read_only=app.read_only,
            starting_up=app.starting_up,
            startup_step=app.startup_step,
            paused=self.paused,
            interval=app.refresh_interval,
            countdown=self.countdown,
            running=sum(op.running for op in app.operations.all()),
        )
        self.query_one("#refresh-bar", Static).update(bar)

    def _selected_index(self) -> int | None:
        key = self.query_one(FilterTable).selected_key
        return int(key) if key is not None else None

    @on(FilterTable.Highlighted, "#clusters")
    def _highlighted(self) -> None:
        self._render_detail()

    @on(FilterTable.Selected, "#clusters")
    def _selected(self) -> None:
        self.action_volumes()

    def _render_detail(self) -> None:
        detail = self.query_one("#cluster-detail", Static)
        problems = self.query_one("#cluster-problems", Static)
        index = self._selected_index()
        if index is None:
            detail.update("")
            problems.update("")
            return
        row = self.rows[index]
        last_op = self.kompox.operations.latest_for(index)
        detail.update(detail_text(self.drivers[index].config, row, last_op))
        problems.update(problems_text(row))
        problems.set_class(has_problems(row), "-problems")

    @on(Worker.StateChanged)
    def _worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.kompox.worker_state_changed(event)

    # --- actions ------------------------------------------------------------------------

    def on_key(self, event: events.Key) -> None:
        # Mutating keys are hidden in a read-only session; pressing one says why.
        if self.kompox.read_only:
            what = refused_action(self.BINDINGS, event.key, MUTATING_ACTIONS)
            if what is not None:
                event.stop()
                self.notify(refusal_text(what), title="Read-only", severity="warning")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Hidden, not just disabled: a read-only session never offers a change.
        return not (action in MUTATING_ACTIONS and self.kompox.read_only)

    def action_refresh_now(self) -> None:
        """Refresh every cluster now."""
        self.refresh_all()
        self._render_bar()

    def action_toggle_pause(self) -> None:
        """Pause or resume the auto-refresh."""
        self.paused = not self.paused
        if not self.paused:
            self.countdown = min(self.countdown, self.kompox.refresh_interval) or 1
        self._render_bar()

    def action_interval(self, direction: int) -> None:
        """Lengthen or shorten the auto-refresh interval."""
        current = self.kompox.refresh_interval
        steps = [2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0]
        if direction > 0:
            new = next((s for s in steps if s > current), MAX_INTERVAL)
        else:
            new = next((s for s in reversed(steps) if s < current), MIN_INTERVAL)
        self.kompox.refresh_interval = new
        # A new interval starts a new countdown: "every 30 s · next in 30 s".
        self.countdown = new
        self._render_bar()

    def _require_selection(self) -> int | None:
        index = self._selected_index()
        if index is None:
            self.notify("Select a cluster first.", severity="warning")
        return index

    def action_provision(self) -> None:
        index = self._require_selection()
        if index is not None:
            ask_provision(self.kompox, index, self.drivers[index].config)

    def action_deprovision(self) -> None:
        index = self._require_selection()
        if index is not None:
            ask_deprovision(self.kompox, index, self.drivers[index].config)

    def action_install(self) -> None:
        index = self._require_selection()
        if index is not None:
            self.kompox.start_operation(index, "install")

    def action_uninstall(self) -> None:
        index = self._require_selection()
        if index is not None:
            ask_uninstall(self.kompox, index, self.drivers[index].config)

    def action_operation(self) -> None:
        from .progress import OperationProgress

        index = self._require_selection()
        if index is None:
            return
        op = self.kompox.operations.latest_for(index)
        if op is None:
            self.notify("No operation has run on this cluster in this session.")
            return
        self.app.push_screen(OperationProgress(op))

    def action_volumes(self) -> None:
        index = self._require_selection()
        if index is None:
            return
        try:
            from .volumes import VolumeBrowser
        except ImportError as exc:
            self.notify(f"The volume browser is not available: {exc}", severity="error")
            return
        self.app.push_screen(VolumeBrowser(self.drivers[index], self.kompox.read_only))

    def action_kubeconfig(self, merge: bool) -> None:
        index = self._require_selection()
        if index is None:
            return
        self._kubeconfig_flow(index, merge)

    @work(exclusive=True, group="kubeconfig", exit_on_error=False)
    async def _kubeconfig_flow(self, index: int, merge: bool) -> None:
        """Save or merge the admin kubeconfig (``kubeconfig_flow``), one at a time."""
        await kubeconfig_flow(self.kompox, self.drivers[index], merge)

    def action_describe(self) -> None:
        """k9s's ``y``: the stack or subscription deployment as YAML (one GET when opened)."""
        index = self._require_selection()
        if index is None:
            return
        from ...layouts import layout_for
        from .describe import DescribeScreen

        driver = self.drivers[index]
        target = layout_for(driver.config).provisioning_object()

        def load() -> list[Mapping[str, Any]]:
            return [driver.provisioning_json()]

        self.app.push_screen(
            DescribeScreen(
                f"{target.description} of cluster {driver.config.cluster.name}",
                loader=load,
                note="What Azure returns for it. c copies · Esc back",
            )
        )

    def action_copy_id(self) -> None:
        index = self._require_selection()
        if index is None:
            return
        config = self.drivers[index].config
        sub = config.provider.settings.get("AZURE_SUBSCRIPTION_ID", "<subscription>")
        target = layout_for(config).provisioning_object()
        rtype = "deploymentStacks" if target.kind == "stack" else "deployments"
        resource_id = f"/subscriptions/{sub}/providers/Microsoft.Resources/{rtype}/{target.name}"
        self.app.copy_to_clipboard(resource_id)
        self.notify(visible(resource_id), title=f"Copied {target.kind} id", markup=False)
