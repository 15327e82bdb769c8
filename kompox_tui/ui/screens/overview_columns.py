"""The overview's columns, each defined once: its header, width and how a cell is drawn.

Adding a column means one ``OverviewColumn`` entry here (and the field it reads in
``ClusterStatus``); the screen only loops over ``OVERVIEW_COLUMNS``. Pure: no screen,
no I/O, so every cell is unit-tested (tests/unit/test_overview_columns.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from rich.text import Text

from ...errors import KompoxError, Reason
from ...model import ClusterStatus, Config
from ...text import visible
from ..operations import Operation
from ..widgets.filter_table import ColumnSpec

DASH = "—"
#: The widest the Cluster column grows for ``cluster/app`` names (longer ones are cut).
MAX_NAME_WIDTH = 24


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


@dataclass(frozen=True)
class RowView:
    """Everything one table row is drawn from."""

    row: ClusterRow
    #: The Cluster cell (``cluster1``, ``cluster1/web``, ``... (existing)``).
    label: str
    layout: str
    #: The cluster's running operation, if any.
    running: Operation | None = None

    @property
    def stale(self) -> bool:
        """The last refresh failed and no operation is running: old values, dimmed."""
        return self.row.error is not None and self.running is None


def failure_label(error: KompoxError) -> str:
    """The Stack column's word for a failed refresh: ``unreachable``, ``auth failed``,
    ``TLS``, ``forbidden``... -- the same words wherever the failure came from."""
    return error.reason.value


def server_text(value: object | None, style: str = "") -> Text:
    """A cell from a server value: never markup, control characters shown."""
    return Text(DASH if value in (None, "") else visible(value), style=style)


def state_style(state: str | None) -> str:
    """Green for a healthy state, red for a failed or going one, yellow in between."""
    if state is None:
        return "dim"
    lowered = state.lower()
    if lowered in {"succeeded", "running", "yes"}:
        return "green"
    if lowered in {"failed", "canceled", "stopped", "deleting"}:
        return "red"
    return "yellow"


Cell = Callable[[RowView], Text]


def from_status(value: Callable[[ClusterStatus], Text]) -> Cell:
    """A column read from the last loaded status. Without one: a dash (``…`` while the
    first refresh runs); while the last refresh failed: the old value, dimmed."""

    def cell(view: RowView) -> Text:
        status = view.row.status
        if status is None:
            waiting = view.row.refreshing and view.row.error is None
            return Text("…" if waiting else DASH, style="dim")
        text = value(status)
        return Text(text.plain, style="dim") if view.stale else text

    return cell


def marker_cell(view: RowView) -> Text:
    if view.running is not None:
        return Text("▶", style="bold cyan")
    status = view.row.status
    if view.row.error is not None or (status and status.problems):
        return Text("!", style="bold red")
    return Text(" ")


def stack_cell(view: RowView) -> Text:
    """The stack (or deployment) state; a running operation's own; why a refresh failed."""
    row, status = view.row, view.row.status
    if row.error is not None and (status is None or view.stale):
        return Text(failure_label(row.error), style="bold red")
    if status is None:
        return Text("…" if row.refreshing else DASH, style="dim")
    stack = status.stack_state or ("absent" if not status.provisioned else None)
    if view.running is not None:
        stack = view.running.stack_state or view.running.kind + "…"
    return server_text(stack, state_style(stack))


def traefik_cell(status: ClusterStatus) -> Text:
    """``ready/desired`` Traefik replicas, green when all are ready."""
    if status.traefik_desired is None:
        traefik = None
    else:
        ready = status.traefik_ready if status.traefik_ready is not None else "?"
        traefik = f"{ready}/{status.traefik_desired}"
    healthy = status.traefik_desired and status.traefik_ready == status.traefik_desired
    return server_text(traefik, "green" if healthy else "yellow")


def lb_cell(status: ClusterStatus) -> Text:
    """The ingress load balancer's IP and/or FQDN."""
    if status.ingress_ip and status.ingress_fqdn:
        return server_text(f"{status.ingress_ip} {status.ingress_fqdn}")
    return server_text(status.ingress_ip or status.ingress_fqdn)


def refreshed_cell(view: RowView) -> Text:
    row = view.row
    if row.refreshing:
        return Text("refreshing", style="italic yellow")
    if row.error is not None:
        # The values shown are from the last good refresh: say how old they are.
        return Text(f"as of {row.loaded_at:%H:%M}" if row.loaded_at else "never", style="yellow")
    if row.refreshed_at:
        return Text(f"{row.refreshed_at:%H:%M:%S}")
    return Text(DASH, style="dim")


@dataclass(frozen=True)
class OverviewColumn:
    """One overview column: header and width, the cell, and when it gives way."""

    spec: ColumnSpec
    cell: Cell
    #: Narrow terminals drop columns in this order (1 first); None: always shown.
    drop_order: int | None = None


OVERVIEW_COLUMNS: tuple[OverviewColumn, ...] = (
    OverviewColumn(ColumnSpec("marker", " ", 1), marker_cell),
    OverviewColumn(ColumnSpec("name", "Cluster", 12), lambda v: Text(v.label, style="bold")),
    OverviewColumn(
        ColumnSpec("layout", "Layout", 9), lambda v: Text(v.layout, style="dim"), drop_order=1
    ),
    OverviewColumn(ColumnSpec("stack", "Stack", 11), stack_cell),
    OverviewColumn(
        ColumnSpec("aks", "AKS", 10),
        from_status(lambda s: server_text(s.aks_state, state_style(s.aks_state))),
    ),
    OverviewColumn(
        ColumnSpec("power", "Power", 7),
        from_status(lambda s: server_text(s.power_state, state_style(s.power_state))),
        drop_order=3,
    ),
    OverviewColumn(
        ColumnSpec("k8s", "K8s", 7),
        from_status(lambda s: server_text(s.kubernetes_version)),
        drop_order=4,
    ),
    OverviewColumn(
        ColumnSpec("installed", "Ingress", 7),
        from_status(
            lambda s: server_text("yes" if s.installed else "no", "green" if s.installed else "dim")
        ),
        drop_order=2,
    ),
    OverviewColumn(ColumnSpec("traefik", "Traefik", 7), from_status(traefik_cell)),
    OverviewColumn(ColumnSpec("lb", "LB IP / FQDN", 17), from_status(lb_cell)),
    OverviewColumn(
        ColumnSpec("rg", "Resource group", 16),
        from_status(lambda s: server_text(s.resource_group)),
        drop_order=5,
    ),
    OverviewColumn(ColumnSpec("refreshed", "Refreshed", 11), refreshed_cell, drop_order=6),
)

COLUMNS = [column.spec for column in OVERVIEW_COLUMNS]
_CELLS = {column.spec.key: column.cell for column in OVERVIEW_COLUMNS}

#: Columns given up first when the terminal is narrow (the rest still scroll).
NARROW_DROP_ORDER = tuple(
    c.spec.key
    for c in sorted(
        (c for c in OVERVIEW_COLUMNS if c.drop_order is not None),
        key=lambda c: c.drop_order or 0,
    )
)


def columns_for(width: int) -> list[ColumnSpec]:
    """The overview's columns for a terminal ``width`` cells wide."""
    columns = list(COLUMNS)
    for key in NARROW_DROP_ORDER:
        if sum(c.width + 2 for c in columns) + 2 <= width:
            break
        columns = [c for c in columns if c.key != key]
    return columns


def row_cells(view: RowView, columns: list[ColumnSpec]) -> list[str | Text]:
    """The cells of one row, for the ``columns`` shown (by key)."""
    return [_CELLS[column.key](view) for column in columns]


@dataclass(frozen=True)
class ClusterLabel:
    """The Cluster cell of one row, and whether another row is the same Azure cluster."""

    text: str
    shared: bool


def cluster_labels(configs: Sequence[Config], keys: Sequence[Hashable]) -> list[ClusterLabel]:
    """The Cluster cells: ``cluster1``, or ``cluster1/web`` when another row has the same
    Azure cluster ``key`` (the apps of one KOM cluster), so the table tells them apart."""
    counts = Counter(keys)
    labels = []
    for config, key in zip(configs, keys, strict=True):
        shared = counts[key] > 1
        text = config.cluster.name + (f"/{config.app.name}" if shared else "")
        labels.append(
            ClusterLabel(text + (" (existing)" if config.cluster.existing else ""), shared)
        )
    return labels


def fit_name_column(columns: list[ColumnSpec], labels: Sequence[ClusterLabel]) -> list[ColumnSpec]:
    """``columns`` with the Cluster column widened (up to ``MAX_NAME_WIDTH``) to the
    longest ``cluster/app`` name; without shared clusters the width stays fixed."""
    need = min(
        max((len(label.text) for label in labels if label.shared), default=0), MAX_NAME_WIDTH
    )
    return [replace(c, width=need) if c.key == "name" and need > c.width else c for c in columns]
