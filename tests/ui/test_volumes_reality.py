"""Volume browser: real state, what the cluster mounts, describe, undo, auto-refresh.

Driven with Pilot over ``FixedVolumeDriver`` (fixed data and clock); the driver's
own reading of the cluster is pinned over the emulator in
``tests/driver/test_mounts.py``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Static

from kompox_tui.errors import AzureError
from kompox_tui.ui.screens.describe import DescribeScreen, redact, to_yaml
from kompox_tui.ui.screens.volume_modals import ConfirmAction
from kompox_tui.ui.screens.volumes import VolumeBrowser
from kompox_tui.ui.widgets.filter_table import FilterTable

try:
    from .volumes_fixed import D2, D3, NODE, SIZE, FixedVolumeDriver, S, VolumeHost, settle
except ImportError:  # tests/ui is not a package: pytest put it on sys.path
    from volumes_fixed import D2, D3, NODE, SIZE, FixedVolumeDriver, S, VolumeHost, settle


@asynccontextmanager
async def running(
    driver: FixedVolumeDriver, **kwargs: Any
) -> AsyncIterator[tuple[VolumeHost, Pilot[Any]]]:
    app = VolumeHost(driver, **kwargs)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        yield app, pilot


def browser(app: VolumeHost) -> VolumeBrowser:
    screen = app.screen_stack[1]
    assert isinstance(screen, VolumeBrowser)
    return screen


def shown(screen: VolumeBrowser, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


def cells(screen: VolumeBrowser, table: str, key_suffix: str) -> list[str]:
    t = screen.query_one(f"#{table}", FilterTable)
    key = next(k for k in t.visible_keys if k.endswith(key_suffix))
    return [str(c) for c in t.cells(key) or ()]


# --- real state ------------------------------------------------------------------------------


async def test_attached_failed_and_copying_resources_read_as_such() -> None:
    async with running(FixedVolumeDriver()) as (app, _pilot):
        screen = browser(app)
        assigned = cells(screen, "disks", D3)
        assert assigned[4] == "Attached" and assigned[8] == NODE and assigned[7] == "1"
        assert cells(screen, "disks", D2)[4] == "Unattached"
        assert cells(screen, "snapshots", S[5])[3] == "copying 42%"
        assert cells(screen, "snapshots", S[3])[3] == "Failed"
        assert cells(screen, "snapshots", S[4])[3:5] == ["ready", "incr"]


# --- intent versus reality -------------------------------------------------------------------


async def test_the_mount_line_sets_the_assigned_disk_beside_the_mounted_one() -> None:
    async with running(FixedVolumeDriver()) as (app, _pilot):
        screen = browser(app)
        line = shown(screen, "#mounts")
        assert f"assigned {D3} · mounted {D3} by guestbook-app-0 on {NODE}" in line
        assert "drift" not in line
        assert cells(screen, "volumes", "db")[6] == "✔ mounted"


async def test_after_a_swap_the_volume_shows_drift_and_what_it_takes() -> None:
    driver = FixedVolumeDriver()
    async with running(driver) as (app, pilot):
        screen = browser(app)
        await pilot.press("down", "down", "a")  # D2
        await pilot.pause()
        assert isinstance(app.screen, ConfirmAction)
        body = " ".join(str(line) for line in app.screen.body)
        assert "Only the tag changes. Redeploy the app" in body
        await pilot.press("enter")
        await settle(pilot)
        line = shown(screen, "#mounts")
        assert f"assigned {D2} · mounted {D3} by guestbook-app-0" in line and "drift" in line
        assert "Redeploy the app so its PersistentVolume points at the assigned disk" in line
        assert screen.query_one("#mounts").has_class("-drift")
        assert cells(screen, "volumes", "db")[6] == "≠ drift"
        result = [n.message for n in app._notifications if n.title == "Assigned"][-1]
        assert f"still mount {D3}" in result and "Redeploy" in result


async def test_an_unreachable_cluster_is_one_calm_line_not_an_error() -> None:
    async with running(FixedVolumeDriver(mounts_state="unreachable")) as (app, _pilot):
        screen = browser(app)
        assert "cluster: unreachable" in shown(screen, "#mounts")
        assert not [n for n in app._notifications if n.severity == "error"]


# --- undo: the previously assigned disk ------------------------------------------------------


async def test_u_assigns_the_previously_assigned_disk_again() -> None:
    driver = FixedVolumeDriver()
    async with running(driver) as (app, pilot):
        screen = browser(app)
        assert screen.check_action("undo", ()) is False  # no swap yet
        await pilot.press("down", "down", "a", "enter")  # D3 -> D2
        await settle(pilot)
        assert cells(screen, "disks", D3)[0] == "↶"
        await pilot.press("u")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, ConfirmAction)
        assert f"to    ★ {D3}" in " ".join(str(line) for line in modal.body)
        await pilot.press("enter")
        await settle(pilot)
        assert [d.name for d in driver.disks["db"] if d.assigned] == [D3]
        assert [c for c in driver.calls if c.startswith("disk_assign")] == [
            f"disk_assign db {D2}",
            f"disk_assign db {D3}",
        ]


# --- describe ----------------------------------------------------------------------------------


async def test_y_describes_the_disk_with_its_pv_and_c_copies_the_yaml() -> None:
    driver = FixedVolumeDriver()
    async with running(driver) as (app, pilot):
        await pilot.press("down", "y")  # D3, mounted
        await settle(pilot)
        describe = app.screen
        assert isinstance(describe, DescribeScreen)
        for _ in range(50):
            if describe.yaml_text:
                break
            await pilot.pause(0.05)
        assert f"resource_json db-{D3}" in driver.calls
        assert f"name: db-{D3}" in describe.yaml_text
        assert "kind: PersistentVolume" in describe.yaml_text
        await pilot.press("c")
        assert app.clipboard == describe.yaml_text
        await pilot.press("escape")
        assert isinstance(app.screen, VolumeBrowser)


async def test_enter_on_a_snapshot_row_describes_it() -> None:
    driver = FixedVolumeDriver()
    async with running(driver) as (app, pilot):
        await pilot.press("tab", "enter")
        await settle(pilot)
        assert isinstance(app.screen, DescribeScreen)
        assert app.screen.title_text == f"Snapshot {S[5]}"


def test_describe_redacts_secrets_and_shows_control_characters() -> None:
    pod = {
        "kind": "Pod",
        "metadata": {"name": "web-0\x1b[2J", "managedFields": [{"manager": "x"}]},
        "spec": {
            "containers": [
                {
                    "env": [
                        {"name": "DB_PASSWORD", "value": "hunter2"},
                        {"name": "MODE", "value": "prod"},
                    ]
                }
            ],
            "automountServiceAccountToken": False,
        },
        "properties": {"accessSAS": "sv=2024&sig=abc", "clientSecret": "s3cr3t"},
    }
    text = to_yaml([pod])
    assert "hunter2" not in text and "s3cr3t" not in text and "sig=abc" not in text
    assert "value: prod" in text and "managedFields" not in text
    assert redact(pod)["spec"]["automountServiceAccountToken"] is False


async def test_describe_shows_control_characters_instead_of_obeying_them() -> None:
    pod = {"kind": "Pod", "metadata": {"name": "web-0\x1b]0;pwned\x07"}}
    app = VolumeHost(FixedVolumeDriver())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.push_screen(DescribeScreen("Pod", [pod]))
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, DescribeScreen)
        # YAML escapes them (\e, \a); nothing raw reaches the terminal.
        assert "\x1b" not in screen.yaml_text and "\x07" not in screen.yaml_text
        assert "web-0\\e]0;pwned\\a" in screen.yaml_text


# --- auto-refresh and stale data ----------------------------------------------------------------


async def test_auto_refresh_follows_the_interval_and_p_pauses_it() -> None:
    driver = FixedVolumeDriver()
    async with running(driver, refresh_interval=1.0) as (app, pilot):
        screen = browser(app)
        await pilot.press("down")  # the cursor stays where the user put it
        driver.calls.clear()
        await pilot.pause(2.3)
        await settle(pilot)
        assert driver.calls.count("disk_list db") >= 1
        assert screen.selected_disk() is not None and screen.selected_disk().name == D3  # type: ignore[union-attr]
        await pilot.press("p")
        assert screen.paused
        driver.calls.clear()
        await pilot.pause(2.3)
        assert driver.calls == []
        assert "p resume" in str(screen.query_one("#activity-text").render())


async def test_a_failed_refresh_dims_the_tables_and_says_as_of_when() -> None:
    driver = FixedVolumeDriver()
    async with running(driver) as (app, pilot):
        screen = browser(app)
        driver.fail_lists = AzureError(
            "disk list", code="ServiceUnavailable", message="try later", status=503
        )
        await pilot.press("f5")
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        summary = shown(screen, "#summary")
        assert "as of 03:00: the last refresh failed" in summary and "ServiceUnavailable" in summary
        assert screen.query_one("#disks", FilterTable).has_class("-stale")
        # The rows stay (dimmed), and the same failure is told once, not per refresh.
        assert len(screen.query_one("#disks", FilterTable).visible_keys) == 4
        errors = [n for n in app._notifications if n.severity == "error"]
        assert len(errors) == 1
        driver.fail_lists = None
        await pilot.press("f5")
        await settle(pilot)
        assert not screen.query_one("#disks", FilterTable).has_class("-stale")
        assert "as of" not in shown(screen, "#summary")
