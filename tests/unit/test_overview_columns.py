"""The overview's columns as pure functions: one entry per column, each cell pinned."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from rich.text import Text

from kompox_tui.errors import KompoxError, Reason
from kompox_tui.model import App, Cluster, ClusterStatus, Config, Provider, Service, Settings
from kompox_tui.ui.operations import Operation
from kompox_tui.ui.screens.overview_columns import (
    COLUMNS,
    MAX_NAME_WIDTH,
    NARROW_DROP_ORDER,
    OVERVIEW_COLUMNS,
    ClusterRow,
    RowView,
    cluster_labels,
    columns_for,
    fit_name_column,
    row_cells,
)
from kompox_tui.ui.screens.overview_panels import has_problems, problems_text

AT = datetime(2026, 12, 1, 9, 30, 15, tzinfo=UTC)
LATER = datetime(2026, 12, 1, 9, 45, 0, tzinfo=UTC)

HEALTHY = ClusterStatus(
    existing=False,
    provisioned=True,
    installed=True,
    stack_state="Succeeded",
    aks_state="Succeeded",
    power_state="Running",
    kubernetes_version="1.31.2",
    resource_group="rg-app",
    traefik_ready=2,
    traefik_desired=2,
    ingress_ip="20.1.2.3",
    ingress_fqdn="app.example.net",
)


def make_config(cluster: str, app: str) -> Config:
    return Config(
        path=Path(f"/demo/{cluster}/kompoxops.yml"),
        version="v1",
        service=Service("ops"),
        provider=Provider("aks1", "aks", Settings({})),
        cluster=Cluster(cluster),
        app=App(app),
    )


def cells(view: RowView) -> dict[str, Text]:
    texts = [t for t in row_cells(view, COLUMNS) if isinstance(t, Text)]
    assert len(texts) == len(COLUMNS), "every cell is a Text (never markup)"
    return {c.key: t for c, t in zip(COLUMNS, texts, strict=True)}


def view(row: ClusterRow, running: Operation | None = None) -> RowView:
    return RowView(row, "cluster1", "guide", running)


def test_every_column_is_one_entry_with_a_unique_key() -> None:
    keys = [c.spec.key for c in OVERVIEW_COLUMNS]
    assert len(keys) == len(set(keys)) == 12
    assert [c.key for c in COLUMNS] == keys


def test_a_healthy_row_shows_each_status_field_in_its_column() -> None:
    row = ClusterRow(status=HEALTHY, refreshed_at=AT, loaded_at=AT)
    got = cells(view(row))
    assert {k: t.plain for k, t in got.items()} == {
        "marker": " ",
        "name": "cluster1",
        "layout": "guide",
        "stack": "Succeeded",
        "aks": "Succeeded",
        "power": "Running",
        "k8s": "1.31.2",
        "installed": "yes",
        "traefik": "2/2",
        "lb": "20.1.2.3 app.example.net",
        "rg": "rg-app",
        "refreshed": "09:30:15",
    }
    assert got["traefik"].style == "green"
    assert got["power"].style == "green"


def test_partly_ready_traefik_is_yellow_and_unknown_ready_count_is_a_question_mark() -> None:
    status = ClusterStatus(
        existing=False, provisioned=True, installed=True, traefik_desired=2, traefik_ready=None
    )
    got = cells(view(ClusterRow(status=status, refreshed_at=AT)))
    assert got["traefik"].plain == "?/2"
    assert got["traefik"].style == "yellow"


def test_first_refresh_shows_ellipses_then_dashes_before_any_status() -> None:
    waiting = cells(view(ClusterRow(refreshing=True)))
    assert waiting["stack"].plain == waiting["aks"].plain == "…"
    assert waiting["refreshed"].plain == "refreshing"
    never = cells(view(ClusterRow()))
    assert never["stack"].plain == never["rg"].plain == "—"


def test_a_failed_refresh_keeps_old_values_dimmed_and_says_why_in_the_stack_column() -> None:
    error = KompoxError("no route", reason=Reason.UNREACHABLE)
    row = ClusterRow(status=HEALTHY, error=error, refreshed_at=LATER, loaded_at=AT)
    got = cells(view(row))
    assert got["marker"].plain == "!"
    assert (got["stack"].plain, got["stack"].style) == ("unreachable", "bold red")
    assert (got["aks"].plain, got["aks"].style) == ("Succeeded", "dim")
    assert got["refreshed"].plain == "as of 09:30"


def test_a_running_operation_overrides_the_stack_and_keeps_values_bright() -> None:
    op = Operation(1, 0, "cluster1", "provision", False, AT, stack_state=None)
    error = KompoxError("no route", reason=Reason.UNREACHABLE)
    got = cells(view(ClusterRow(status=HEALTHY, error=error, loaded_at=AT), running=op))
    assert got["marker"].plain == "▶"
    assert got["stack"].plain == "provision…"
    assert got["aks"].style == "green"


def test_server_text_in_cells_shows_control_characters_and_is_never_markup() -> None:
    status = ClusterStatus(
        existing=False, provisioned=True, installed=False, resource_group="rg[/]\x1b[31m"
    )
    got = cells(view(ClusterRow(status=status)))
    assert "\x1b" not in got["rg"].plain
    assert "[/]" in got["rg"].plain


def test_narrow_terminals_drop_the_listed_columns_in_order() -> None:
    assert NARROW_DROP_ORDER == ("layout", "installed", "power", "k8s", "rg", "refreshed")
    wide = sum(c.width + 2 for c in COLUMNS) + 2
    assert columns_for(wide) == COLUMNS
    one_less = [c.key for c in columns_for(wide - 1)]
    assert "layout" not in one_less and "installed" in one_less
    tiny = [c.key for c in columns_for(20)]
    assert tiny == ["marker", "name", "stack", "aks", "traefik", "lb"]


def test_problems_panel_says_why_and_what_next_then_lists_cluster_problems() -> None:
    status = ClusterStatus(
        existing=False, provisioned=True, installed=True, problems=("node NotReady",)
    )
    error = KompoxError("denied", hint="check the role", reason=Reason.FORBIDDEN)
    row = ClusterRow(status=status, error=error, refreshed_at=LATER, loaded_at=AT)
    text = problems_text(row).plain
    assert "Refresh failed at 09:45:00: forbidden" in text
    assert "The values shown are from 09:30:15." in text
    assert "Next: check the role" in text
    assert "• node NotReady" in text
    assert has_problems(row)
    assert problems_text(ClusterRow(status=HEALTHY)).plain == "No problems"
    assert not has_problems(ClusterRow(status=HEALTHY))


def test_apps_of_one_azure_cluster_are_named_cluster_slash_app_and_widen_the_column() -> None:
    configs = [make_config("kom1", app="web"), make_config("kom1", app="api-gateway")]
    configs.append(make_config("solo", app="web"))
    labels = cluster_labels(configs, [("s", "kom1"), ("s", "kom1"), ("s", "solo")])
    assert [label.text for label in labels] == ["kom1/web", "kom1/api-gateway", "solo"]
    name = next(c for c in fit_name_column(COLUMNS, labels) if c.key == "name")
    assert name.width == len("kom1/api-gateway") <= MAX_NAME_WIDTH
    unshared = cluster_labels(configs[2:], [("s", "solo")])
    assert fit_name_column(COLUMNS, unshared) == COLUMNS
