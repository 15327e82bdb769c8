"""Pilot tests of the overview, progress, help and call-log screens against the emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from ui_helpers import wait_until

from kompox_tui.azure.driver import AksDriver
from kompox_tui.ui.app import KompoxApp
from kompox_tui.ui.screens.call_log import CallLogScreen
from kompox_tui.ui.screens.help import HelpScreen
from kompox_tui.ui.screens.overview import ClusterOverview
from kompox_tui.ui.screens.progress import OperationProgress
from kompox_tui.ui.widgets.confirm import ConfirmByName, ProvisionOptions
from kompox_tui.ui.widgets.filter_table import FilterTable, cell_text

SIZE = (150, 40)
MUTATING = {"PUT", "POST", "PATCH", "DELETE"}


def overview_table(app: KompoxApp) -> FilterTable:
    return app.screen.query_one("#clusters", FilterTable)


def row_text(app: KompoxApp, index: int) -> list[str]:
    screen = next(s for s in app.screen_stack if isinstance(s, ClusterOverview))
    cells = screen.query_one("#clusters", FilterTable).cells(str(index)) or ()
    return [cell_text(c) for c in cells]


def refreshed(app: KompoxApp) -> bool:
    screen = next(s for s in app.screen_stack if isinstance(s, ClusterOverview))
    return all(r.refreshed_at is not None and not r.refreshing for r in screen.rows)


@asynccontextmanager
async def refreshed_app(driver: AksDriver) -> AsyncIterator[tuple[KompoxApp, Pilot[Any]]]:
    """Run a paused ``KompoxApp`` over ``driver`` at ``SIZE`` until its first refresh."""
    app = KompoxApp([driver], start_paused=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: refreshed(app))
        yield app, pilot


async def test_overview_shows_one_row_per_cluster_with_its_stack_state(
    ui_driver: Callable[..., AksDriver],
) -> None:
    provisioned = ui_driver()
    provisioned.cluster_provision()
    absent = ui_driver()
    app = KompoxApp([provisioned, absent], start_paused=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: refreshed(app), what="both clusters refreshed")
        first, second = row_text(app, 0), row_text(app, 1)
        assert first[1] == provisioned.config.cluster.name
        assert first[2] == "guide"  # the layout column
        assert first[3].lower() == "succeeded"
        assert second[1] == absent.config.cluster.name
        assert second[3] == "absent"


async def test_provision_opens_progress_that_ends_in_success(
    ui_driver: Callable[..., AksDriver],
) -> None:
    driver = ui_driver()
    async with refreshed_app(driver) as (app, pilot):
        await pilot.press("P")
        assert isinstance(app.screen, ProvisionOptions)
        await pilot.click("#confirm")
        await pilot.pause()
        assert isinstance(app.screen, OperationProgress)
        op = app.screen.operation
        await wait_until(pilot, lambda: not op.running, timeout=9, what="provisioning")
        await pilot.pause(0.1)
        assert op.state == "succeeded", op.error_summary()
        log_text = "\n".join(op.all_lines())
        assert "finished: succeeded" in log_text
        assert any("resource" in line for line in op.all_lines())
        result = str(app.screen.query_one("#progress-result").render())
        assert "succeeded" in result


async def test_failed_provisioning_shows_the_azure_error_code_and_message(
    ui_driver: Callable[..., AksDriver], fresh_emulator: Any
) -> None:
    driver = ui_driver(emu=fresh_emulator)
    fresh_emulator.add_fault(
        "PUT",
        r"/deploymentStacks/",
        lro_error=("QuotaExceeded", "Cores quota exceeded in japaneast."),
    )
    async with refreshed_app(driver) as (app, pilot):
        await pilot.press("P")
        await pilot.click("#confirm")
        await pilot.pause()
        op = app.screen.operation  # type: ignore[attr-defined]
        await wait_until(pilot, lambda: not op.running, timeout=9, what="provisioning")
        await pilot.pause(0.1)
        assert op.state == "failed"
        result = str(app.screen.query_one("#progress-result").render())
        assert "QuotaExceeded" in result
        assert "Cores quota exceeded" in result
        # The header states the final state and Azure's reason, not the last stack
        # state seen while polling, and no "HTTP 200" from the final GET.
        title = str(app.screen.query_one("#progress-title").render())
        assert "failed · " in title and "(QuotaExceeded)" in title
        assert "stack" not in title and "HTTP 200" not in result


async def test_deprovision_needs_the_exact_cluster_name_and_a_wrong_name_does_nothing(
    ui_driver: Callable[..., AksDriver], fresh_emulator: Any
) -> None:
    driver = ui_driver(emu=fresh_emulator, cluster="web", app="shop")
    driver.cluster_provision()
    name = driver.config.cluster.name
    async with refreshed_app(driver) as (app, pilot):
        before = len(fresh_emulator.requests())
        await pilot.press("D")
        assert isinstance(app.screen, ConfirmByName)
        await pilot.press(*"wb", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmByName), "a wrong name must not confirm"
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ClusterOverview)
        after = fresh_emulator.requests()[before:]
        assert not [r for r in after if r["method"] == "DELETE"]
        assert app.operations.all() == []

        await pilot.press("D")
        await pilot.press(*name, "enter")
        await pilot.pause()
        assert isinstance(app.screen, OperationProgress)
        op = app.screen.operation
        assert op.kind == "deprovision"
        await wait_until(pilot, lambda: not op.running, timeout=9, what="deprovisioning")
        assert op.state == "succeeded", op.error_summary()


async def test_read_only_mode_hides_mutations_and_sends_no_mutating_request(
    ui_driver: Callable[..., AksDriver], fresh_emulator: Any
) -> None:
    driver = ui_driver(emu=fresh_emulator, read_only=True)
    app = KompoxApp([driver], read_only=True, start_paused=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: refreshed(app))
        start = len(fresh_emulator.requests())
        for key in ("P", "D", "i", "U", "r"):
            await pilot.press(key)
            await pilot.pause(0.05)
            assert isinstance(app.screen, ClusterOverview), f"{key} opened {app.screen}"
        await pilot.press("w")  # read-only asks before fetching the admin credential
        await pilot.pause(0.2)
        await pilot.press("n")
        await wait_until(pilot, lambda: refreshed(app))
        await app.workers.wait_for_complete()
        footer_keys = {b.binding.action for b in app.screen.active_bindings.values()}
        assert not {"provision", "deprovision", "install", "uninstall"} & {
            a for a in footer_keys if app.screen.check_action(a, ()) is not False
        }
        mutating = [
            r
            for r in fresh_emulator.requests()[start:]
            if r["method"] in MUTATING
            and "listclusteradmincredential" not in r["path"].lower()
            and "/oauth2/" not in r["path"].lower()
            and "token" not in r["path"].lower()
        ]
        assert mutating == []


async def test_slash_filters_the_cluster_rows(ui_driver: Callable[..., AksDriver]) -> None:
    first = ui_driver(cluster="alpha-one")
    second = ui_driver(cluster="beta-two")
    app = KompoxApp([first, second], start_paused=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: refreshed(app))
        await pilot.press("slash", *"beta")
        await pilot.pause()
        assert overview_table(app).visible_keys == ["1"]
        await pilot.press("escape")
        await pilot.pause()
        assert overview_table(app).visible_keys == ["0", "1"]


async def test_call_log_lists_the_requests_the_driver_made(
    ui_driver: Callable[..., AksDriver],
) -> None:
    driver = ui_driver()
    async with refreshed_app(driver) as (app, pilot):
        await pilot.press("l")
        await pilot.pause()
        assert isinstance(app.screen, CallLogScreen)
        table = app.screen.query_one(FilterTable)
        await wait_until(pilot, lambda: bool(table.visible_keys), what="call rows")
        rows = [[cell_text(c) for c in table.cells(k) or ()] for k in table.visible_keys]
        assert any(r[2] == "GET" and "deploymentStacks" in r[5] for r in rows), rows
        assert all("secret" not in " ".join(r).lower() for r in rows)
        await pilot.press("l")
        await pilot.pause()
        assert isinstance(app.screen, ClusterOverview)


async def test_help_lists_the_screen_bindings_and_the_global_ones(
    ui_driver: Callable[..., AksDriver],
) -> None:
    app = KompoxApp([ui_driver()], start_paused=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        described = {e.description.split(" — ")[0]: e for e in app.screen.entries}
        for action in (
            "Provision",
            "Deprovision",
            "Install",
            "Uninstall",
            "Kubeconfig",
            "Volumes",
            "Filter",
            "Refresh",
        ):
            assert action in described, sorted(described)
        assert described["Quit"].scope == "global"
        assert described["Call log"].scope == "global"
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ClusterOverview)


async def test_operation_keeps_running_after_leaving_its_screen_and_can_be_reopened(
    ui_driver: Callable[..., AksDriver],
) -> None:
    driver = ui_driver()
    async with refreshed_app(driver) as (app, pilot):
        await pilot.press("P")
        await pilot.click("#confirm")
        await pilot.pause()
        op = app.screen.operation  # type: ignore[attr-defined]
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ClusterOverview)
        await wait_until(pilot, lambda: not op.running, timeout=9, what="provisioning")
        assert op.state == "succeeded", op.error_summary()
        await pilot.press("o")
        await pilot.pause()
        assert isinstance(app.screen, OperationProgress)
        assert app.screen.operation is op
        await pilot.press("s")
        await pilot.pause()
        saved = list((app.log_dir or _default_log_dir()).glob("provision-*.log"))
        assert saved and "finished: succeeded" in saved[0].read_text()


def _default_log_dir() -> Any:
    from kompox_tui.ui.screens.progress import default_log_dir

    return default_log_dir()


async def test_copy_puts_the_stack_resource_id_on_the_clipboard(
    ui_driver: Callable[..., AksDriver],
) -> None:
    driver = ui_driver()
    app = KompoxApp([driver], start_paused=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        await pilot.pause()
        assert app.clipboard.endswith(
            f"/deploymentStacks/kompox_svc1_aks1_{driver.config.cluster.name}"
        )
        assert app.clipboard.startswith("/subscriptions/")


async def test_kubeconfig_save_shows_the_path_not_the_content(
    ui_driver: Callable[..., AksDriver],
) -> None:
    driver = ui_driver()
    driver.cluster_provision()
    async with refreshed_app(driver) as (app, pilot):
        await pilot.press("w")
        await app.workers.wait_for_complete()
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        saved = [m for m in messages if m.startswith("Saved to ")]
        assert saved, messages
        assert "token" not in saved[0].lower()


async def test_kubeconfig_save_goes_to_the_apps_kubeconfig_dir_when_set(
    ui_driver: Callable[..., AksDriver], tmp_path: Path, isolated_dirs: Path
) -> None:
    driver = ui_driver()
    driver.cluster_provision()
    app = KompoxApp([driver], start_paused=True)
    app.kubeconfig_dir = tmp_path / "demo" / "kubeconfig.d"
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: refreshed(app))
        await pilot.press("w")
        await app.workers.wait_for_complete()
        await pilot.pause()
    saved = list(app.kubeconfig_dir.iterdir())
    assert [p.name for p in saved] == [f"aks1-{driver.config.cluster.name}.yaml"]
    assert saved[0].stat().st_mode & 0o777 == 0o600
    assert not (isolated_dirs / ".config" / "kompox-tui").exists()


async def test_a_failing_worker_becomes_a_notification_saying_what_failed() -> None:

    from ui_fakes import PROVISIONED, StaticDriver, make_config

    from kompox_tui.errors import AuthError

    class NoCredentials(StaticDriver):
        def write_kubeconfig(self, path: Path | None = None, merge: bool = False) -> Path:
            raise AuthError("could not get a token for tenant t1")

    app = KompoxApp([NoCredentials(make_config("prod"), PROVISIONED)], start_paused=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("w")
        await app.workers.wait_for_complete()
        await pilot.pause(0.1)
        messages = [n.message for n in app._notifications]
        assert any(
            m.startswith("Could not save the kubeconfig of cluster prod: could not get a token")
            and "AZURE_AUTH_METHOD" in m
            for m in messages
        ), messages


def test_importing_the_ui_loads_no_azure_or_kubernetes_sdk() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import kompox_tui.ui.launch, kompox_tui.ui.app, kompox_tui.ui.screens.overview\n"
        "import kompox_tui.ui.screens.progress, kompox_tui.ui.screens.call_log\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('azure', 'kubernetes'))\n"
        "print(','.join(loaded))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


async def test_command_palette_offers_every_screen_action_and_themes_not_cursor_keys() -> None:
    from ui_fakes import PROVISIONED, StaticDriver, make_config

    for read_only in (False, True):
        app = KompoxApp(
            [StaticDriver(make_config("prod"), PROVISIONED, read_only=read_only)],
            read_only=read_only,
            start_paused=True,
        )
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            titles = {c.title for c in app.get_system_commands(app.screen)}
            assert {"Theme", "Refresh", "Volumes", "Kubeconfig", "Call log", "Help"} <= titles
            assert not {"Cursor down", "Bottom", "Copy selected text"} & titles
            mutating = {"Provision", "Deprovision", "Install", "Uninstall"}
            if read_only:
                assert not mutating & titles
            else:
                assert mutating <= titles


async def test_a_slow_cluster_does_not_hold_back_the_others(
    ui_driver: Callable[..., AksDriver], fresh_emulator: Any
) -> None:
    slow = ui_driver(emu=fresh_emulator, cluster="slow", app="slowapp")
    fast = ui_driver(emu=fresh_emulator, cluster="fast", app="fastapp")
    delay = fresh_emulator.add_fault("GET", r"deploymentStacks/kompox_svc1_aks1_slow$", latency=2.5)
    app = KompoxApp([slow, fast], start_paused=True)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, ClusterOverview)
        await wait_until(pilot, lambda: screen.rows[1].status is not None, what="fast cluster")
        assert screen.rows[0].refreshing, "the slow cluster should still be waiting"
        assert row_text(app, 0)[-1] == "refreshing"
        await wait_until(pilot, lambda: screen.rows[0].status is not None, timeout=9)
        assert delay.hits >= 1


async def test_quit_with_a_running_operation_needs_a_second_q() -> None:
    from ui_fakes import ABSENT, StaticDriver, make_config

    driver = StaticDriver(make_config("dev"), ABSENT)
    driver.release.clear()  # the scripted provisioning waits until released
    app = KompoxApp([driver], start_paused=True)
    async with app.run_test(size=SIZE) as pilot:
        app.start_operation(0, "provision")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.press("q")
        await pilot.pause()
        assert app.is_running
        assert any("press q again" in n.message for n in app._notifications)
        driver.release.set()
        await pilot.press("q")
        await pilot.pause()
    assert not app.is_running


async def test_overview_drops_minor_columns_when_the_terminal_shrinks_and_keeps_the_lb_ip() -> None:
    from ui_fakes import PROVISIONED, StaticDriver, make_config

    app = KompoxApp([StaticDriver(make_config("prod"), PROVISIONED)], start_paused=True)
    async with app.run_test(size=(140, 30)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ClusterOverview)
        assert "rg" in [c.key for c in screen.columns]
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        shown = [c.key for c in screen.columns]
        assert "rg" not in shown and "installed" not in shown
        table = app.screen.query_one(FilterTable)
        assert table.table.column_keys == shown
        assert sum(c.width + 2 for c in screen.columns) <= 80
        cells = table.cells("0")
        assert cells is not None and len(cells) == len(shown)
        await pilot.resize_terminal(140, 30)
        await pilot.pause()
        assert "rg" in [c.key for c in screen.columns]


async def test_an_unreachable_cluster_says_so_and_the_others_keep_working(
    ui_driver: Callable[..., AksDriver],
) -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"https://127.0.0.1:{probe.getsockname()[1]}"
    good = ui_driver()
    dead = ui_driver(
        extra_provider_settings={
            "AZURE_RESOURCE_MANAGER_ENDPOINT": closed,
            "AZURE_AUTHORITY_HOST": closed,
        }
    )
    app = KompoxApp([good, dead], start_paused=True)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, ClusterOverview)
        await wait_until(pilot, lambda: screen.rows[0].status is not None, what="good cluster")
        await wait_until(pilot, lambda: screen.rows[1].error is not None, timeout=9)
        table = screen.query_one(FilterTable)
        cells = table.cells("1")
        # Entra ID is down too: the token request fails first, and it is still
        # "unreachable" (not "auth failed"), with a hint about the network.
        assert cells is not None and cell_text(cells[3]) == "unreachable"
        table.select_key("1")
        await pilot.pause()
        problems = str(screen.query_one("#cluster-problems").render())
        assert "connection refused" in problems and closed in problems
        assert "AZURE_CLIENT_SECRET" not in problems and "network" in problems
        await pilot.press("r")  # still responsive; the good cluster refreshes again
        await wait_until(pilot, lambda: not screen.rows[0].refreshing, what="good refresh")


async def test_read_only_says_why_a_mutating_key_does_nothing() -> None:
    from ui_fakes import PROVISIONED, StaticDriver, make_config

    driver = StaticDriver(make_config("prod"), PROVISIONED, read_only=True)
    app = KompoxApp([driver], read_only=True, start_paused=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("P")
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert any("Provision is not available" in m and "read-only" in m for m in messages)
        assert isinstance(app.screen, ClusterOverview)  # nothing was pushed
        assert not app.operations.all()
