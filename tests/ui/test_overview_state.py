"""Honest state on the overview (issue 14 items 1-3) and habits (item 8), from typed errors.

The failing cluster's error is a real one: azure-core's transport refused by a closed
local port, mapped by the driver's one mapper -- not a string the UI would parse.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

from azure.core import PipelineClient
from azure.core.pipeline.policies import RetryPolicy
from azure.core.rest import HttpRequest
from rich.text import Text
from ui_fakes import ABSENT, PROVISIONED, StaticDriver, fixed_clock, make_config
from ui_helpers import wait_until

from kompox_tui.azure.errors_map import map_error
from kompox_tui.errors import AzureError, KompoxError
from kompox_tui.model import ClusterStatus
from kompox_tui.ui.app import EXIT_INTERRUPTED, KompoxApp
from kompox_tui.ui.screens.notifications import NotificationsScreen
from kompox_tui.ui.screens.overview import ClusterOverview
from kompox_tui.ui.widgets.filter_table import FilterTable, cell_text

SIZE = (150, 40)


def refused_error() -> KompoxError:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client: PipelineClient[object, object] = PipelineClient(
        "https://x", policies=[RetryPolicy(retry_total=0)]
    )
    try:
        client.send_request(HttpRequest("GET", f"https://127.0.0.1:{port}/subscriptions"))
    except Exception as exc:
        return map_error("cluster status", exc)
    raise AssertionError("the closed port answered")


class Switchable(StaticDriver):
    """A fixed-data driver whose status call raises ``failure`` while it is set."""

    failure: KompoxError | None = None

    def cluster_status(self) -> ClusterStatus:
        if self.failure is not None:
            raise self.failure
        return super().cluster_status()


def overview(app: KompoxApp) -> ClusterOverview:
    return next(s for s in app.screen_stack if isinstance(s, ClusterOverview))


def row(app: KompoxApp, index: int) -> list[str]:
    cells = overview(app).query_one("#clusters", FilterTable).cells(str(index)) or ()
    return [cell_text(c) for c in cells]


async def refresh(app: KompoxApp, pilot: object) -> None:
    screen = overview(app)
    await pilot.press("r")  # type: ignore[attr-defined]
    await wait_until(pilot, lambda: not any(r.refreshing for r in screen.rows))  # type: ignore[arg-type]


async def test_a_failed_refresh_looks_stale_says_why_and_toasts_once_per_cause() -> None:
    driver = Switchable(make_config("prod"), PROVISIONED)
    app = KompoxApp([driver, StaticDriver(make_config("dev"), ABSENT)], start_paused=True)
    async with app.run_test(size=SIZE) as pilot:
        screen = overview(app)
        await wait_until(pilot, lambda: all(r.refreshed_at for r in screen.rows))
        loaded_at = screen.rows[0].loaded_at
        assert loaded_at is not None
        driver.failure = refused_error()
        await refresh(app, pilot)
        await refresh(app, pilot)
        cells = screen.query_one("#clusters", FilterTable).cells("0")
        assert cells is not None
        texts = [cell_text(c) for c in cells]
        assert texts[3] == "unreachable"  # the Stack column says why
        assert texts[4] == "Succeeded"  # the old values stay...
        aks_cell = cells[4]
        assert isinstance(aks_cell, Text) and "dim" in str(aks_cell.style)  # ...dimmed
        assert texts[-1] == f"as of {loaded_at:%H:%M}"
        failures = [n for n in app.notices.all() if n.title == "Refresh failed"]
        assert len(failures) == 1, failures  # two failed refreshes, one toast
        assert "connection refused" in failures[0].message
        assert "network" in failures[0].message
        assert "AZURE_CLIENT_SECRET" not in failures[0].message
        # Another cause: a new toast.
        driver.failure = AzureError("cluster status", code="AuthorizationFailed", status=403)
        await refresh(app, pilot)
        assert row(app, 0)[3] == "forbidden"
        assert len([n for n in app.notices.all() if n.title == "Refresh failed"]) == 2
        # Recovery is said once, and the row is current again.
        driver.failure = None
        await refresh(app, pilot)
        assert row(app, 0)[3] == "succeeded"
        recovered = [n for n in app.notices.all() if n.title == "Recovered"]
        assert len(recovered) == 1 and "was forbidden" in recovered[0].message


async def test_the_notification_history_lists_what_was_said() -> None:
    app = KompoxApp([StaticDriver(make_config("prod"), PROVISIONED)], start_paused=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.notify("first [/] note", title="One")
        app.notify("second", title="Two", severity="warning")
        await pilot.press("m")
        await pilot.pause()
        assert isinstance(app.screen, NotificationsScreen)
        shown = str(app.screen.query_one("#notices").render())
        assert "first [/] note" in shown and "Two" in shown and "warning" in shown
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ClusterOverview)


async def test_server_text_in_notifications_is_never_markup_and_never_raw_control() -> None:
    app = KompoxApp([StaticDriver(make_config("prod"), PROVISIONED)], start_paused=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        policy = "denied by [azurepolicy-disk-tags-deny-7f3e] [/] \x1b]0;PWNED\x07"
        app.notify(policy, title="Error [b]x")  # markup=True from callers is ignored
        await pilot.pause(0.2)
        assert app.is_running
        notice = app.notices.all()[-1]
        assert notice.message == "denied by [azurepolicy-disk-tags-deny-7f3e] [/] ␛]0;PWNED␇"
        assert notice.title == "Error [b]x"


async def test_ctrl_c_quits_with_exit_status_130() -> None:
    app = KompoxApp([StaticDriver(make_config("prod"), PROVISIONED)], start_paused=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+c")
        await pilot.pause()
    assert app.return_code == EXIT_INTERRUPTED


async def test_the_chosen_theme_is_remembered_between_runs(tmp_path: Path) -> None:
    settings = tmp_path / "ui.json"
    first = KompoxApp(
        [StaticDriver(make_config("prod"), PROVISIONED)], start_paused=True, settings_path=settings
    )
    async with first.run_test(size=SIZE) as pilot:
        await pilot.pause()
        first.theme = "nord"
        await pilot.pause()
    assert json.loads(settings.read_text())["theme"] == "nord"
    second = KompoxApp(
        [StaticDriver(make_config("prod"), PROVISIONED)], start_paused=True, settings_path=settings
    )
    async with second.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert second.theme == "nord"


async def test_interval_change_restarts_the_countdown_and_paused_bar_says_p_resume() -> None:
    app = KompoxApp(
        [StaticDriver(make_config("prod"), PROVISIONED)],
        start_paused=True,
        clock=fixed_clock,
        refresh_interval=10.0,
    )
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = overview(app)
        bar = str(screen.query_one("#refresh-bar").render())
        assert "p resume" in bar and "p pause" not in bar
        screen.countdown = 3
        await pilot.press("plus")
        assert app.refresh_interval == 15.0 and screen.countdown == 15.0
        await pilot.press("p")
        bar = str(screen.query_one("#refresh-bar").render())
        assert "p pause" in bar and "next in 15 s" in bar


async def test_config_warnings_are_shown_once_at_start() -> None:
    from dataclasses import replace

    config = make_config("prod")
    warned = replace(config, warnings=("kompoxops.yml:3: app.volumes[0].size: 32 bytes",))
    app = KompoxApp([StaticDriver(warned, PROVISIONED)], start_paused=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        warnings = [n for n in app.notices.all() if n.title.startswith("Config warning")]
        assert len(warnings) == 1 and "32 bytes" in warnings[0].message
