"""Cluster overview: one row per kompoxops.yml, auto-refreshed, with the cluster actions."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from pathlib import Path
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
from ...errors import KompoxError, Reason
from ...layouts import layout_for
from ...model import ClusterStatus
from ...text import visible, visible_lines
from ..messages import ClusterStatusFailed, ClusterStatusLoaded
from ..operations import Operation, OperationKind
from ..read_only import refusal_text, refused_action
from ..widgets.ask import Ask
from ..widgets.confirm import ConfirmByName, ProvisionOptions
from ..widgets.filter_table import ColumnSpec, FilterTable
from ..widgets.key_bar import KeyBar
from ..widgets.title_bar import TitleBar

if TYPE_CHECKING:
    from ..app import KompoxApp

MUTATING_ACTIONS = frozenset({"provision", "deprovision", "install", "uninstall"})
MIN_INTERVAL, MAX_INTERVAL = 2.0, 300.0
DASH = "—"
#: The widest the Cluster column grows for ``cluster/app`` names (longer ones are cut).
MAX_NAME_WIDTH = 24

COLUMNS = [
    ColumnSpec("marker", " ", 1),
    ColumnSpec("name", "Cluster", 12),
    ColumnSpec("layout", "Layout", 9),
    ColumnSpec("stack", "Stack", 11),
    ColumnSpec("aks", "AKS", 10),
    ColumnSpec("power", "Power", 7),
    ColumnSpec("k8s", "K8s", 7),
    ColumnSpec("installed", "Ingress", 7),
    ColumnSpec("traefik", "Traefik", 7),
    ColumnSpec("lb", "LB IP / FQDN", 17),
    ColumnSpec("rg", "Resource group", 16),
    ColumnSpec("refreshed", "Refreshed", 11),
]

#: Columns given up first when the terminal is narrow (the rest still scroll).
NARROW_DROP_ORDER = ("layout", "installed", "power", "k8s", "rg", "refreshed")


def columns_for(width: int) -> list[ColumnSpec]:
    """The overview's columns for a terminal ``width`` cells wide."""
    columns = list(COLUMNS)
    for key in NARROW_DROP_ORDER:
        if sum(c.width + 2 for c in columns) + 2 <= width:
            break
        columns = [c for c in columns if c.key != key]
    return columns


@dataclass
class ClusterRow:
    """What the overview knows about one cluster."""

    status: ClusterStatus | None = None
    #: Why the last refresh failed (None after a successful one).
    error: KompoxError | None = None
    #: When the last refresh ended, successful or not.
    refreshed_at: datetime | None = None
    #: When the shown ``status`` was read: "as of" on a row whose last refresh failed.
    loaded_at: datetime | None = None
    refreshing: bool = False
    #: The failure reason a toast was shown for; toasts again only when it changes.
    notified: Reason | None = None


def failure_label(error: KompoxError) -> str:
    """The Stack column's word for a failed refresh: ``unreachable``, ``auth failed``,
    ``TLS``, ``forbidden``... -- the same words wherever the failure came from."""
    return error.reason.value


def _text(value: object | None, style: str = "") -> Text:
    """A cell from a server value: never markup, control characters shown."""
    return Text(DASH if value in (None, "") else visible(value), style=style)


def _state_style(state: str | None) -> str:
    if state is None:
        return "dim"
    lowered = state.lower()
    if lowered in {"succeeded", "running", "yes"}:
        return "green"
    if lowered in {"failed", "canceled", "stopped", "deleting"}:
        return "red"
    return "yellow"


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

    def drivers_added(self) -> None:
        """Called by the app when clusters were added after start (the demo)."""
        self.rows.extend(ClusterRow() for _ in range(len(self.drivers) - len(self.rows)))
        self._render_rows()
        if not self.kompox.starting_up:
            self.refresh_all()

    def startup_step_changed(self) -> None:
        self._render_bar()

    def startup_finished(self) -> None:
        """Called by the app when the demo seeding (or another start-up task) ends:
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
        """Called by the app when a long operation logs or finishes."""
        self._render_rows()
        if not op.running:
            # Every row of the cluster (the apps of one KOM cluster) changed with it.
            for index in self.kompox.operations.indexes_for(op):
                self.refresh_cluster(index)

    # --- rendering ------------------------------------------------------------------------

    def _cells(self, index: int) -> list[str | Text]:
        driver = self.drivers[index]
        row = self.rows[index]
        st = row.status
        running = self.kompox.operations.running_for(index)
        if running is not None:
            marker = Text("▶", style="bold cyan")
        elif row.error is not None or (st and st.problems):
            marker = Text("!", style="bold red")
        else:
            marker = Text(" ")
        name = self._cluster_label(index)
        layout = Text(str(getattr(driver.config, "layout", "guide")), style="dim")
        refreshed: Text
        if row.refreshing:
            refreshed = Text("refreshing", style="italic yellow")
        elif row.error is not None:
            # The values shown are from the last good refresh: say how old they are.
            refreshed = Text(
                f"as of {row.loaded_at:%H:%M}" if row.loaded_at else "never", style="yellow"
            )
        elif row.refreshed_at:
            refreshed = Text(f"{row.refreshed_at:%H:%M:%S}")
        else:
            refreshed = Text(DASH, style="dim")
        head = [marker, Text(name, style="bold"), layout]
        if st is None:
            if row.error is not None:
                label = Text(failure_label(row.error), style="bold red")
                blank = Text(DASH, style="dim")
                return [*head, label, *([blank] * 7), refreshed]
            blank = Text("…" if row.refreshing else DASH, style="dim")
            return [*head, *([blank] * 8), refreshed]
        stack = st.stack_state or ("absent" if not st.provisioned else None)
        if running is not None:
            stack = running.stack_state or running.kind + "…"
        traefik = (
            f"{st.traefik_ready if st.traefik_ready is not None else '?'}/{st.traefik_desired}"
            if st.traefik_desired is not None
            else None
        )
        traefik_style = (
            "green" if st.traefik_desired and st.traefik_ready == st.traefik_desired else "yellow"
        )
        lb = st.ingress_ip or st.ingress_fqdn
        if st.ingress_ip and st.ingress_fqdn:
            lb = f"{st.ingress_ip} {st.ingress_fqdn}"
        values = [
            _text(st.aks_state, _state_style(st.aks_state)),
            _text(st.power_state, _state_style(st.power_state)),
            _text(st.kubernetes_version),
            _text("yes" if st.installed else "no", "green" if st.installed else "dim"),
            _text(traefik, traefik_style),
            _text(lb),
            _text(st.resource_group),
        ]
        if row.error is not None and running is None:
            # Stale: the last refresh failed. Old values dimmed, the Stack column says why.
            stack_cell = Text(failure_label(row.error), style="bold red")
            values = [Text(v.plain, style="dim") for v in values]
        else:
            stack_cell = _text(stack, _state_style(stack))
        return [*head, stack_cell, *values, refreshed]

    def _shares_cluster(self, index: int) -> bool:
        """Whether another row is the same Azure cluster (the apps of one KOM cluster)."""
        ops = self.kompox.operations
        key = ops.cluster_key(index)
        return sum(ops.cluster_key(i) == key for i in range(len(self.drivers))) > 1

    def _cluster_label(self, index: int) -> str:
        """The Cluster cell: ``cluster1``, or ``cluster1/web`` when another row is the same
        Azure cluster, so the rows of its apps are told apart in the table itself."""
        config = self.drivers[index].config
        name = config.cluster.name
        if self._shares_cluster(index):
            name += f"/{config.app.name}"
        return name + (" (existing)" if config.cluster.existing else "")

    def _fit_names(self, columns: list[ColumnSpec]) -> list[ColumnSpec]:
        """``columns`` with the Cluster column widened (up to ``MAX_NAME_WIDTH``) to the
        longest ``cluster/app`` name; without shared clusters the width stays fixed."""
        shared = [i for i in range(len(self.drivers)) if self._shares_cluster(i)]
        need = min(max((len(self._cluster_label(i)) for i in shared), default=0), MAX_NAME_WIDTH)
        return [
            replace(c, width=need) if c.key == "name" and need > c.width else c for c in columns
        ]

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
        keys = [c.key for c in COLUMNS]
        shown = [c.key for c in self.columns]
        rows = []
        for i in range(len(self.drivers)):
            by_key = dict(zip(keys, self._cells(i), strict=True))
            rows.append((str(i), [by_key[k] for k in shown]))
        return rows

    def on_resize(self, event: events.Resize) -> None:
        columns = self._fit_names(columns_for(event.size.width))
        if [c.key for c in columns] != [c.key for c in self.columns]:
            self.columns = columns
            self.query_one(FilterTable).set_columns(columns, self._rows())

    def _render_bar(self) -> None:
        bar = Text()
        if self.kompox.read_only:
            bar.append(" READ-ONLY ", style="bold reverse yellow")
            bar.append("  ")
        if self.kompox.starting_up:
            bar.append("Preparing the demo", style="italic yellow")
            if self.kompox.startup_step:
                bar.append(f": {self.kompox.startup_step}…", style="italic yellow")
        elif self.paused:
            bar.append("Auto-refresh paused", style="bold yellow")
            bar.append(f" (every {self.kompox.refresh_interval:.0f} s when running)")
        else:
            bar.append(f"Auto-refresh every {self.kompox.refresh_interval:.0f} s")
            bar.append(f" · next in {max(self.countdown, 0):.0f} s", style="dim")
        pause = "p resume" if self.paused else "p pause"
        bar.append(f"   r now · {pause} · +/- interval", style="dim")
        running = [op for op in self.kompox.operations.all() if op.running]
        if running:
            count = "1 operation" if len(running) == 1 else f"{len(running)} operations"
            bar.append(f"   ▶ {count} running", style="bold cyan")
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
        config = self.drivers[index].config
        row = self.rows[index]
        text = Text()
        text.append(f"{config.cluster.name}", style="bold")
        text.append(f"  app {config.app.name} · provider {config.provider.name}\n")
        text.append(f"{config.path}\n", style="dim")
        target = layout_for(config).provisioning_object()
        text.append("stack " if target.kind == "stack" else "deployment ", style="dim")
        text.append(visible(target.name))
        text.append(f" · layout {getattr(config, 'layout', 'guide')}\n", style="dim")
        st = row.status
        if st is not None:
            text.append(f"ingress namespace {visible(st.ingress_namespace)}", style="dim")
            if st.ingress_fqdn:
                text.append(f" · {visible(st.ingress_fqdn)}", style="dim")
            text.append("\n")
        op = self.kompox.operations.latest_for(index)
        if op is not None:
            style = {"running": "cyan", "succeeded": "green", "failed": "red"}[op.state]
            text.append("last operation ", style="dim")
            text.append(f"{op.title}: {op.state} ({op.elapsed():.0f} s)", style=style)
            text.append("  o opens it", style="dim")
        detail.update(text)

        issues = Text()
        if row.error is not None:
            when = f" at {row.refreshed_at:%H:%M:%S}" if row.refreshed_at else ""
            issues.append(f"Refresh failed{when}: {failure_label(row.error)}\n", style="bold red")
            if row.loaded_at is not None:
                issues.append(f"The values shown are from {row.loaded_at:%H:%M:%S}.\n")
            issues.append(visible_lines(row.error.message) + "\n")
            if row.error.hint:
                issues.append(f"Next: {row.error.hint}\n", style="bold")
        if st is not None and st.problems:
            issues.append(f"Problems ({len(st.problems)})\n", style="bold red")
            for problem in st.problems:
                issues.append(f"• {visible(problem)}\n")
        if not issues:
            issues.append("No problems", style="green" if st else "dim")
        problems.update(issues)
        problems.set_class(bool(row.error is not None or (st and st.problems)), "-problems")

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
        if index is None:
            return
        name = self.drivers[index].config.cluster.name

        def chosen(force: bool | None) -> None:
            if force is not None:
                self.kompox.start_operation(index, "provision", force)

        config = self.drivers[index].config
        self.app.push_screen(
            ProvisionOptions(name, layout_for(config), config.cluster.existing), chosen
        )

    def _confirmed_operation(
        self, kind: OperationKind, explanation: str, note: str, question: str
    ) -> None:
        index = self._require_selection()
        if index is None:
            return
        name = self.drivers[index].config.cluster.name

        def confirmed(ok: bool | None) -> None:
            if ok:
                self.kompox.start_operation(index, kind)

        self.app.push_screen(
            ConfirmByName(
                question.format(name=name),
                explanation,
                name,
                note,
                confirm_label=kind.capitalize(),
            ),
            confirmed,
        )

    def action_deprovision(self) -> None:
        index = self._selected_index()
        # What goes is the layout's answer (a stack and what it manages, or kompoxops's
        # deployment, cluster resource group and Key Vault purge).
        what = layout_for(self.drivers[index].config) if index is not None else None
        self._confirmed_operation(
            "deprovision",
            what.deprovision_summary() if what is not None else "",
            "Workloads on this cluster stop. This cannot be undone.",
            "Deprovision cluster {name}?",
        )

    def action_install(self) -> None:
        index = self._require_selection()
        if index is not None:
            self.kompox.start_operation(index, "install")

    def action_uninstall(self) -> None:
        self._confirmed_operation(
            "uninstall",
            "Removes Traefik and the ingress resources kompox installed in the cluster.",
            "The load balancer address is released; ingress traffic stops.",
            "Uninstall the ingress (Traefik) from cluster {name}?",
        )

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
        """Save or merge the admin kubeconfig, asking first where it matters (issue 14.7).

        In --read-only the admin credential is fetched only after the user agrees; a
        context of the same name pointing at another server is replaced only after the
        user agrees; the toast says which context is current afterwards.
        """
        from ...azure.kubeconfig import KubeconfigConflict

        driver = self.drivers[index]
        config = driver.config
        name = config.cluster.name
        if self.kompox.read_only:
            agreed = await self.app.push_screen_wait(
                Ask(
                    f"Fetch the admin credential of cluster {name}?",
                    "kompox-tui is read-only, and this changes nothing in Azure, but it "
                    "asks AKS for the cluster-admin kubeconfig (listClusterAdminCredential) "
                    "and writes it to a file (mode 0600). Anyone who can read that file "
                    "has full control of the cluster.",
                    yes="Fetch admin credential",
                    no="Cancel",
                )
            )
            if not agreed:
                self.app.notify("Kubeconfig: cancelled; nothing was fetched or written.")
                return
        target: Path | None = None
        folder = self.kompox.kubeconfig_dir
        if folder is not None and not merge:
            target = folder / f"{config.provider.name}-{config.cluster.name}.yaml"
        overwrite = False
        while True:
            try:
                saved = await asyncio.to_thread(
                    driver.save_kubeconfig, target, merge=merge, overwrite=overwrite
                )
                break
            except KubeconfigConflict as conflict:
                replace = await self.app.push_screen_wait(
                    Ask(
                        f"Replace context {conflict.context}?",
                        f"{conflict.path} already has context {conflict.context}, pointing "
                        f"at {conflict.old_server or '(no server)'}. This cluster ({name}) "
                        f"is at {conflict.new_server}. Replacing it drops the old entry.",
                        yes="Replace",
                        no="Keep the old one",
                    )
                )
                if not replace:
                    self.app.notify(f"Kubeconfig: {conflict.path} was left unchanged.")
                    return
                overwrite = True
            except KompoxError as exc:
                verb = "merge" if merge else "save"
                self.app.notify(
                    visible(f"Could not {verb} the kubeconfig of cluster {name}: {exc}"),
                    title="Kubeconfig",
                    severity="error",
                    markup=False,
                )
                return
        if saved.merged:
            was = (
                f" (was {saved.previous_context})"
                if saved.previous_context and saved.previous_context != saved.current_context
                else ""
            )
            message = (
                f"Merged into {saved.path}: context {saved.context}; current context is "
                f"now {saved.current_context}{was}. It is an admin credential."
            )
        else:
            message = (
                f"Saved to {saved.path}: context {saved.context} (mode 0600). "
                "It is an admin credential."
            )
        self.app.notify(visible(message), title="Kubeconfig", markup=False)

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
