"""App -> screen broadcasts (textual Signals): open screens follow, closed ones drop out."""

from __future__ import annotations

from collections.abc import Callable

from ui_helpers import wait_until

from kompox_tui.azure.driver import AksDriver
from kompox_tui.ui.app import KompoxApp
from kompox_tui.ui.screens.call_log import CallLogScreen
from kompox_tui.ui.screens.overview import ClusterOverview

SIZE = (150, 40)


async def test_call_log_follows_new_calls_while_open_and_stops_once_closed(
    ui_driver: Callable[..., AksDriver],
) -> None:
    app = KompoxApp([ui_driver()], start_paused=True)
    async with app.run_test(size=SIZE) as pilot:
        overview = app.screen
        assert isinstance(overview, ClusterOverview)
        await wait_until(pilot, lambda: overview.rows[0].refreshed_at is not None)
        await pilot.press("l")
        await pilot.pause()
        call_log = app.screen
        assert isinstance(call_log, CallLogScreen)
        seen = call_log._seen
        overview.refresh_all()  # calls made while the call log is on top
        await wait_until(pilot, lambda: call_log._seen > seen, what="new calls listed")

        await pilot.press("l")
        await wait_until(pilot, lambda: app.screen is overview and not call_log.is_attached)
        closed_at = call_log._seen
        overview.refresh_all()
        await wait_until(pilot, lambda: app.call_log.since(closed_at)[1] > closed_at, what="calls")
        await pilot.pause(0.2)
        assert call_log._seen == closed_at  # the closed screen no longer hears the app


async def test_clusters_added_after_start_get_rows_at_once_and_are_refreshed(
    ui_driver: Callable[..., AksDriver],
) -> None:
    app = KompoxApp([ui_driver()], start_paused=True)
    async with app.run_test(size=SIZE) as pilot:
        overview = app.screen
        assert isinstance(overview, ClusterOverview)
        await wait_until(pilot, lambda: overview.rows[0].refreshed_at is not None)
        app.add_drivers([ui_driver()])
        assert len(overview.rows) == 2  # in the same handler: no message sees a short list
        await wait_until(pilot, lambda: overview.rows[1].refreshed_at is not None)
