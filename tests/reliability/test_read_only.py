"""Read-only: nothing the UI or the driver does in read-only mode changes anything.

A Pilot session walks every screen (overview, volume browser on both tables, call log,
help, the kubeconfig actions) pressing every action key, and confirming any dialog that
opens; the emulator's request log must then hold no PUT, PATCH, POST or DELETE except
``POST .../listClusterAdminCredential`` (reading the kubeconfig) and Entra ID token
requests (authentication). The driver itself refuses every mutating operation with
ReadOnlyError before sending anything -- not even a token request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rel_helpers import RelDriver, wait_until

from kompox_tui.emulator import Emulator
from kompox_tui.errors import ReadOnlyError
from kompox_tui.ui.app import KompoxApp
from kompox_tui.ui.screens.call_log import CallLogScreen
from kompox_tui.ui.screens.help import HelpScreen
from kompox_tui.ui.screens.overview import ClusterOverview
from kompox_tui.ui.screens.volumes import VolumeBrowser

SIZE = (150, 45)
MUTATING = {"PUT", "PATCH", "POST", "DELETE"}
ULID = "01JAAAAAAAAAAAAAAAAAAAAAAA"


def is_allowed(request: dict[str, Any]) -> bool:
    path = str(request["path"]).lower()
    if request["method"] not in MUTATING:
        return True
    return path.endswith("/listclusteradmincredential") or "/oauth2/" in path


def overview(app: KompoxApp) -> ClusterOverview:
    return next(s for s in app.screen_stack if isinstance(s, ClusterOverview))


def refreshed(app: KompoxApp) -> bool:
    return all(r.refreshed_at is not None and not r.refreshing for r in overview(app).rows)


async def press_and_dismiss(pilot: Any, app: KompoxApp, key: str, home: type) -> None:
    """Press ``key``; if it opened anything but ``home``, try to confirm it, then leave."""
    await pilot.press(key)
    await pilot.pause(0.05)
    for _ in range(3):
        if isinstance(app.screen, home):
            return
        await pilot.press("enter")
        await pilot.pause(0.05)
        if not isinstance(app.screen, home):
            await pilot.press("escape")
            await pilot.pause(0.05)
    assert isinstance(app.screen, home), f"{key} left {app.screen!r} open"


@pytest.fixture
def seeded(rel_emu: Emulator, rel_driver: Callable[..., RelDriver]) -> RelDriver:
    """A provisioned cluster with Traefik, disks and snapshots (made by a writer)."""
    writer = rel_driver(rel_emu, volumes=(("db", "1Gi"), ("logs", "1Gi")))
    writer.cluster_provision()
    writer.cluster_install()
    disks = [writer.disk_create("db") for _ in range(3)]
    writer.snapshot_create("db")
    writer.snapshot_create("db", disks[1].name)
    writer.disk_create("logs")
    return writer


async def test_every_screen_in_read_only_mode_sends_no_mutating_request(
    rel_emu: Emulator, seeded: RelDriver
) -> None:
    driver = RelDriver(seeded.config, None, read_only=True)
    driver.events = []
    app = KompoxApp([driver], read_only=True, start_paused=True)
    start = len(rel_emu.requests())
    try:
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(pilot, lambda: refreshed(app), what="the overview")
            for key in ("r", "P", "D", "i", "U", "k", "K", "o", "c", "p", "p"):
                await press_and_dismiss(pilot, app, key, ClusterOverview)
            await wait_until(pilot, lambda: refreshed(app), what="a refresh")
            # the volume browser, both tables, every action
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, VolumeBrowser))
            browser = app.screen
            assert isinstance(browser, VolumeBrowser)
            await wait_until(pilot, lambda: browser.state is not None, what="volumes loaded")
            for key in ("a", "n", "s", "r", "d", "R", "f5", "c", "down", "a", "d"):
                await press_and_dismiss(pilot, app, key, VolumeBrowser)
            await pilot.press("tab")
            for key in ("r", "d", "s", "a", "f5"):
                await press_and_dismiss(pilot, app, key, VolumeBrowser)
            await app.workers.wait_for_complete()
            await pilot.press("escape")
            await wait_until(pilot, lambda: isinstance(app.screen, ClusterOverview))
            # call log and help
            await pilot.press("l")
            await wait_until(pilot, lambda: isinstance(app.screen, CallLogScreen))
            for key in ("f", "c"):
                await press_and_dismiss(pilot, app, key, CallLogScreen)
            await pilot.press("escape")
            await pilot.press("question_mark")
            await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
            await pilot.press("escape")
            await wait_until(pilot, lambda: isinstance(app.screen, ClusterOverview))
            await app.workers.wait_for_complete()
    finally:
        driver.close()
    sent = rel_emu.requests()[start:]
    assert [r for r in sent if r["method"] == "GET"], "the session should have read state"
    assert any("listclusteradmincredential" in str(r["path"]).lower() for r in sent)
    offending = [(r["method"], r["path"]) for r in sent if not is_allowed(r)]
    assert offending == []


MUTATIONS: list[tuple[str, Callable[[RelDriver], Any]]] = [
    ("cluster_provision", lambda d: d.cluster_provision()),
    ("cluster_provision_force", lambda d: d.cluster_provision(force=True)),
    ("cluster_deprovision", lambda d: d.cluster_deprovision()),
    ("cluster_install", lambda d: d.cluster_install()),
    ("cluster_uninstall", lambda d: d.cluster_uninstall()),
    ("disk_create", lambda d: d.disk_create("db")),
    ("disk_assign", lambda d: d.disk_assign("db", ULID)),
    ("disk_delete", lambda d: d.disk_delete("db", ULID)),
    ("disk_delete_force", lambda d: d.disk_delete("db", ULID, force=True)),
    ("snapshot_create", lambda d: d.snapshot_create("db")),
    ("snapshot_delete", lambda d: d.snapshot_delete("db", ULID)),
    ("snapshot_restore", lambda d: d.snapshot_restore("db", ULID)),
]


@pytest.mark.parametrize(("name", "call"), [pytest.param(n, c, id=n) for n, c in MUTATIONS])
def test_read_only_driver_refuses_mutations_before_any_request(
    rel_emu: Emulator, rel_driver: Callable[..., RelDriver], name: str, call: Callable[..., Any]
) -> None:
    driver = rel_driver(rel_emu, read_only=True)
    start = len(rel_emu.requests())
    with pytest.raises(ReadOnlyError) as info:
        call(driver)
    assert "read-only" in str(info.value)
    assert name.split("_")[0] in str(info.value)
    assert rel_emu.requests()[start:] == []
    assert driver.calls == []
