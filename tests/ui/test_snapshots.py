"""SVG snapshots of every screen and modal the app shell owns, from fixed data.

The drivers here answer from fixed values (``ui_fakes.StaticDriver``), the app gets a
fixed clock and a frozen monotonic clock, and auto-refresh starts paused, so each
picture is the same on every run. Behaviour against the emulator is pinned in
``test_overview.py``. Update with ``pytest tests/ui/test_snapshots.py --snapshot-update``
after checking the HTML report by eye.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from ui_fakes import (
    ABSENT,
    DEGRADED,
    PROVISIONED,
    StaticDriver,
    fixed_clock,
    make_config,
)
from ui_helpers import wait_until

from kompox_tui.azure.driver import AksDriver
from kompox_tui.errors import AzureError, Reason
from kompox_tui.ui.app import KompoxApp
from kompox_tui.ui.widgets.confirm import ConfirmForce

SIZE = (130, 34)

QUOTA = AzureError(
    "cluster provision",
    code="QuotaExceeded",
    message="Operation could not be completed as it results in exceeding approved "
    "standardDSv3Family Cores quota.",
    status=400,
    details=["Microsoft.ContainerService/managedClusters/aks-dev: QuotaExceeded"],
)


def make_app(read_only: bool = False, log_dir: Path | None = None) -> KompoxApp:
    drivers: list[AksDriver] = [
        StaticDriver(make_config("prod"), PROVISIONED, read_only=read_only),
        StaticDriver(make_config("stage"), DEGRADED, read_only=read_only),
        StaticDriver(make_config("dev"), ABSENT, read_only=read_only, fail_with=QUOTA),
    ]
    return KompoxApp(
        drivers,
        read_only=read_only,
        clock=fixed_clock,
        monotonic=lambda: 1000.0,
        start_paused=True,
        log_dir=log_dir,
    )


async def settled(pilot: Pilot[Any]) -> None:
    app = pilot.app
    await app.workers.wait_for_complete()
    await wait_until(
        pilot,
        lambda: all(r.refreshed_at for r in app.screen_stack[1].rows),  # type: ignore[attr-defined]
        what="overview refreshed",
    )
    app.clear_notifications()
    await pilot.pause()


async def run_operation(pilot: Pilot[Any], down: int) -> None:
    await settled(pilot)
    for _ in range(down):
        await pilot.press("down")
    await pilot.press("P")
    await pilot.click("#confirm")
    await pilot.pause()
    op = pilot.app.screen.operation  # type: ignore[attr-defined]
    await wait_until(pilot, lambda: not op.running, what="operation")
    await pilot.pause(0.2)
    pilot.app.clear_notifications()
    await pilot.pause()


def test_overview(snap_compare: Any) -> None:
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=settled)


def test_overview_problems_panel_for_degraded_cluster(snap_compare: Any) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settled(pilot)
        await pilot.press("down")
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run_before)


def test_overview_read_only(snap_compare: Any) -> None:
    assert snap_compare(make_app(read_only=True), terminal_size=SIZE, run_before=settled)


def test_provision_options_modal(snap_compare: Any) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settled(pilot)
        await pilot.press("P")
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run_before)


def test_deprovision_typed_name_modal(snap_compare: Any) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settled(pilot)
        await pilot.press("D")
        await pilot.press(*"pro")
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run_before)


def test_force_confirmation_modal(snap_compare: Any) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settled(pilot)
        pilot.app.push_screen(
            ConfirmForce(
                "Delete the ASSIGNED disk 01JD7Q2N5X9M3K8V4T6R1P0AB?",
                "This disk is the one volume db uses. Deleting it leaves the volume "
                "without an assigned disk until you assign another.",
            )
        )
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run_before)


def test_progress_after_success(snap_compare: Any, tmp_path: Path) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await run_operation(pilot, down=0)

    assert snap_compare(make_app(log_dir=tmp_path), terminal_size=SIZE, run_before=run_before)


def test_progress_after_azure_error(snap_compare: Any, tmp_path: Path) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await run_operation(pilot, down=2)

    assert snap_compare(make_app(log_dir=tmp_path), terminal_size=SIZE, run_before=run_before)


def test_help_screen(snap_compare: Any) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settled(pilot)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run_before)


def test_call_log_screen(snap_compare: Any) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settled(pilot)
        await pilot.press("l")
        await pilot.pause(0.2)

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run_before)


# --- 80x24 and 100 columns: every footer whole, nothing cut (issue 14 item 9) ----------

NARROW = (80, 24)


def test_overview_80x24(snap_compare: Any) -> None:
    assert snap_compare(make_app(), terminal_size=NARROW, run_before=settled)


def test_overview_100_columns(snap_compare: Any) -> None:
    assert snap_compare(make_app(), terminal_size=(100, 30), run_before=settled)


def test_help_80x24(snap_compare: Any) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settled(pilot)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=NARROW, run_before=run_before)


def test_progress_after_azure_error_80x24(snap_compare: Any, tmp_path: Path) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await run_operation(pilot, down=2)

    assert snap_compare(make_app(log_dir=tmp_path), terminal_size=NARROW, run_before=run_before)


def test_call_log_80x24(snap_compare: Any) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settled(pilot)
        await pilot.press("l")
        await pilot.pause(0.2)

    assert snap_compare(make_app(), terminal_size=NARROW, run_before=run_before)


class Unreachable(StaticDriver):
    """Answers once, then its status fails as an unreachable ARM endpoint would."""

    calls = 0

    def cluster_status(self) -> Any:
        self.calls += 1
        if self.calls > 1:
            raise AzureError(
                "cluster status",
                code="ServiceUnreachable",
                message="cannot reach management.example.com (connection refused)",
                reason=Reason.UNREACHABLE,
            )
        return super().cluster_status()


def test_overview_stale_row_after_a_failed_refresh(snap_compare: Any) -> None:
    def app() -> KompoxApp:
        return KompoxApp(
            [
                Unreachable(make_config("prod"), PROVISIONED),
                StaticDriver(make_config("stage"), DEGRADED),
            ],
            clock=fixed_clock,
            monotonic=lambda: 1000.0,
            start_paused=True,
        )

    async def run_before(pilot: Pilot[Any]) -> None:
        await settled(pilot)
        await pilot.press("r")
        await pilot.pause(0.3)
        await settled(pilot)

    assert snap_compare(app(), terminal_size=SIZE, run_before=run_before)


def test_notification_history(snap_compare: Any) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settled(pilot)
        pilot.app.notify("Saved to /tmp/kubeconfig.yaml", title="Kubeconfig")
        pilot.app.notify("denied by [azurepolicy-deny-7f3e]", title="Error", severity="error")
        await pilot.pause()
        pilot.app.clear_notifications()
        await pilot.press("m")
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=NARROW, run_before=run_before)
