"""Volume browser behaviour, driven with Pilot over a fixed in-memory driver.

The driver here is ``FixedVolumeDriver`` (same rules as the real one, answers from
memory) so these tests are fast and exact about which driver calls the screen made;
``test_volumes_emulator.py`` repeats the key flows over the real driver, the real
SDKs and the emulator's request log.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Button, Input, Label

from kompox_tui.ui.screens.volume_modals import ConfirmAction
from kompox_tui.ui.screens.volumes import (
    VolumeBrowser,
    absolute_time,
    age_sort_key,
    health_of,
    relative_time,
)
from kompox_tui.ui.widgets.confirm import ConfirmByName, Tick
from kompox_tui.ui.widgets.filter_table import FilterTable

try:
    from .volumes_fixed import (
        D1,
        D2,
        D3,
        D4,
        NOW,
        SIZE,
        FixedVolumeDriver,
        S,
        VolumeHost,
        _disk,
        settle,
    )
except ImportError:  # tests/ui is not a package: pytest put it on sys.path
    from volumes_fixed import (
        D1,
        D2,
        D3,
        D4,
        NOW,
        SIZE,
        FixedVolumeDriver,
        S,
        VolumeHost,
        _disk,
        settle,
    )


async def type_name(pilot: Pilot[Any], text: str) -> None:
    """Fill the typed-name input (as if typed: Input.Changed fires) without 26 key presses."""
    pilot.app.screen.query_one("#confirm-input", Input).value = text
    await pilot.pause()


@asynccontextmanager
async def running(
    driver: FixedVolumeDriver, **kwargs: Any
) -> AsyncIterator[tuple[VolumeHost, Pilot[Any]]]:
    """Run a ``VolumeHost`` over ``driver`` at ``SIZE``, settled after the first load."""
    app = VolumeHost(driver, **kwargs)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        yield app, pilot


def browser(app: VolumeHost) -> VolumeBrowser:
    screen = app.screen_stack[1]
    assert isinstance(screen, VolumeBrowser)
    return screen


def disk_key(ulid: str, driver: FixedVolumeDriver) -> str:
    return next(d.resource_id for d in driver.disks["db"] if d.name == ulid)


READS = ("disk_list", "snapshot_list", "volume_mounts", "resource_json")


def mutating_calls(driver: FixedVolumeDriver) -> list[str]:
    return [c for c in driver.calls if not c.startswith(READS)]


# --- pure helpers -----------------------------------------------------------------------------


def test_relative_time_reads_like_a_person_would_say_it() -> None:
    from datetime import timedelta

    assert relative_time(NOW, NOW) == "just now"
    assert relative_time(NOW - timedelta(minutes=5), NOW) == "5m ago"
    assert relative_time(NOW - timedelta(hours=3, minutes=59), NOW) == "3h ago"
    assert relative_time(NOW - timedelta(days=2), NOW) == "2d ago"
    assert relative_time(NOW - timedelta(days=120), NOW) == "4mo ago"
    assert relative_time(NOW - timedelta(days=800), NOW) == "2y ago"
    assert relative_time(NOW + timedelta(minutes=5), NOW) == "just now"


def test_age_sorts_by_elapsed_time_not_by_text() -> None:
    ages = ["40d ago", "9d ago", "just now", "2h ago", "3mo ago", "59m ago"]
    assert sorted(ages, key=age_sort_key) == [
        "just now",
        "59m ago",
        "2h ago",
        "9d ago",
        "40d ago",
        "3mo ago",
    ]


def test_absolute_time_uses_the_zone_of_now() -> None:
    from datetime import timedelta, timezone

    tokyo = NOW.astimezone(timezone(timedelta(hours=9)))
    assert absolute_time(NOW, tokyo) == "2026-11-23 12:00"


def test_health_from_a_disk_list_matches_the_driver_rules() -> None:
    assert health_of("db", []).state == "empty"
    assert health_of("db", [_disk(D1, 1, True)]).state == "ok"
    assert health_of("db", [_disk(D1, 1, False)]).state == "inconsistent"
    assert health_of("db", [_disk(D1, 1, True), _disk(D2, 1, True)]).state == "inconsistent"


# --- loading and refresh ------------------------------------------------------------------------


async def test_open_lists_disks_and_snapshots_newest_first_with_one_call_each() -> None:
    driver = FixedVolumeDriver()
    async with running(driver) as (app, _pilot):
        screen = browser(app)
        disks = screen.query_one("#disks", FilterTable)
        snaps = screen.query_one("#snapshots", FilterTable)
        assert [k.rsplit("-", 1)[1] for k in disks.visible_keys] == [D4, D3, D2, D1]
        assert [k.rsplit("-", 1)[1] for k in snaps.visible_keys] == list(reversed(S))
        # The selected volume: one list each and the cluster's mounts; the other
        # volume: one disk list, once (it may run while the mounts are read).
        assert sorted(driver.calls) == [
            "disk_list cache",
            "disk_list db",
            "snapshot_list db",
            "volume_mounts",
        ]


async def test_refresh_costs_one_disk_list_and_one_snapshot_list() -> None:
    driver = FixedVolumeDriver()
    async with running(driver) as (_app, pilot):
        driver.calls.clear()
        await pilot.press("f5")
        await settle(pilot)
        assert driver.calls == ["disk_list db", "snapshot_list db", "volume_mounts"]


async def test_cursor_stays_on_the_same_disk_when_a_refresh_adds_rows_above() -> None:
    driver = FixedVolumeDriver()
    async with running(driver) as (app, pilot):
        screen = browser(app)
        await pilot.press("down", "down")
        assert screen.selected_disk() is not None
        assert screen.selected_disk().name == D2  # type: ignore[union-attr]
        # Someone else creates two disks (newer: they sort to the top).
        driver.disks["db"][0:0] = [
            _disk("01JOTHER00000000000000000B", 0.1, False),
            _disk("01JOTHER00000000000000000A", 0.2, False),
        ]
        await pilot.press("ctrl+r")
        await settle(pilot)
        selected = screen.selected_disk()
        assert selected is not None and selected.name == D2
        assert screen.query_one("#disks", FilterTable).table.cursor_row == 4


# --- assign: the 3 a.m. swap --------------------------------------------------------------------


async def test_assign_shows_from_and_to_then_flips_the_marker() -> None:
    driver = FixedVolumeDriver()
    async with running(driver) as (app, pilot):
        screen = browser(app)
        await pilot.press("down", "down")  # D2
        await pilot.press("a")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, ConfirmAction)
        text = " ".join(str(line) for line in modal.body)
        assert f"from  ★ {D3}" in text and f"to    ★ {D2}" in text
        await pilot.press("enter")
        await settle(pilot)
        assert mutating_calls(driver) == [f"disk_assign db {D2}"]
        assigned = [d.name for d in driver.disk_list("db") if d.assigned]
        assert assigned == [D2]
        disks = screen.query_one("#disks", FilterTable)
        cells = disks.cells(disk_key(D2, driver))
        assert cells is not None and str(cells[0]) == "★"
        old = disks.cells(disk_key(D3, driver))
        assert old is not None and str(old[0]) == "↶"  # previously assigned: u goes back
        assert screen.check_action("undo", ()) is True
        assert screen.selected_disk().name == D2  # type: ignore[union-attr]
        assert any("now uses disk" in n.message for n in app._notifications)


async def test_assign_cancelled_with_escape_changes_nothing() -> None:
    driver = FixedVolumeDriver()
    async with running(driver) as (app, pilot):
        await pilot.press("down", "down", "a")
        await pilot.pause()
        await pilot.press("escape")
        await settle(pilot)
        assert mutating_calls(driver) == []
        assert isinstance(app.screen, VolumeBrowser)


async def test_assign_of_the_assigned_disk_makes_no_call() -> None:
    driver = FixedVolumeDriver()
    async with running(driver) as (app, pilot):
        await pilot.press("down", "a")  # D3, already assigned
        await settle(pilot)
        assert isinstance(app.screen, VolumeBrowser)
        assert mutating_calls(driver) == []


# --- delete ---------------------------------------------------------------------------------


async def test_delete_with_a_wrong_name_does_nothing() -> None:
    driver = FixedVolumeDriver()
    async with running(driver) as (app, pilot):
        await pilot.press("down", "down", "d")  # D2
        await pilot.pause()
        assert isinstance(app.screen, ConfirmByName)
        assert app.screen.expected_name == D2
        await type_name(pilot, D1)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmByName)  # still asking
        assert app.screen.query_one("#confirm", Button).disabled
        await pilot.press("escape")
        await settle(pilot)
        assert mutating_calls(driver) == []


async def test_delete_of_an_unassigned_disk_needs_only_the_typed_name() -> None:
    driver = FixedVolumeDriver()
    async with running(driver) as (app, pilot):
        screen = browser(app)
        await pilot.press("down", "down", "d")
        await pilot.pause()
        await type_name(pilot, D2)
        await pilot.press("enter")
        await settle(pilot)
        assert mutating_calls(driver) == [f"disk_delete db {D2} force=False"]
        keys = screen.query_one("#disks", FilterTable).visible_keys
        assert all(not k.endswith(D2) for k in keys)
        # The cursor stays at the same height: now on the next older disk.
        assert screen.selected_disk().name == D1  # type: ignore[union-attr]


async def test_delete_of_the_assigned_disk_needs_the_name_and_force_in_one_dialog() -> None:
    driver = FixedVolumeDriver()
    async with running(driver) as (app, pilot):
        await pilot.press("down", "d")  # D3, assigned
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, ConfirmByName)
        assert modal.danger_note is not None and "ASSIGNED" in modal.danger_note
        # The dialog opens on the typed-name input: typing goes there at once.
        assert modal.focused is modal.query_one("#confirm-input", Input)
        await type_name(pilot, D3)
        await pilot.press("enter")  # name right, force not ticked: nothing yet
        await pilot.pause()
        assert app.screen is modal and mutating_calls(driver) == []
        assert "ctrl+f" in str(modal.query_one("#confirm-feedback", Label).render())
        await pilot.press("ctrl+f")  # one key ticks force, even from the input
        assert modal.query_one("#force", Tick).value
        assert "[x]" in str(modal.query_one("#force", Tick).render())
        await pilot.press("enter")
        await settle(pilot)
        assert mutating_calls(driver) == [f"disk_delete db {D3} force=True"]


async def test_force_box_reads_unticked_until_ticked() -> None:
    driver = FixedVolumeDriver()
    async with running(driver) as (app, pilot):
        await pilot.press("down", "d")
        await pilot.pause()
        tick = app.screen.query_one("#force", Tick)
        assert not tick.value and str(tick.render()).startswith("[ ]")
        await pilot.press("ctrl+f", "ctrl+f")  # and back off
        assert not tick.value and str(tick.render()).startswith("[ ]")


async def test_escape_from_a_delete_says_nothing_was_done() -> None:
    driver = FixedVolumeDriver()
    async with running(driver) as (app, pilot):
        await pilot.press("down", "d")
        await pilot.pause()
        await type_name(pilot, D3)
        await pilot.press("ctrl+f", "escape")
        await settle(pilot)
        assert mutating_calls(driver) == []
        assert isinstance(app.screen, VolumeBrowser)
        assert any("nothing was done" in n.message for n in app._notifications)


async def test_a_unique_suffix_confirms_a_delete_and_a_shared_one_does_not() -> None:
    driver = FixedVolumeDriver()
    driver.disks["db"].insert(0, _disk("01JDISK000000000000000X002", 0.5, False))
    async with running(driver) as (app, pilot):
        await pilot.press("down", "down", "down", "d")  # D2 = ...0002
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, ConfirmByName) and modal.expected_name == D2
        await type_name(pilot, "0002")  # ...X002 ends with 002 too, but not with 0002
        assert not modal.query_one("#confirm", Button).disabled
        await type_name(pilot, "002")  # too short and shared
        assert modal.query_one("#confirm", Button).disabled
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is modal and mutating_calls(driver) == []
        await type_name(pilot, "00000002")
        await pilot.press("enter")
        await settle(pilot)
        assert mutating_calls(driver) == [f"disk_delete db {D2} force=False"]


async def test_delete_from_the_volume_list_asks_for_a_disk_or_snapshot() -> None:
    driver = FixedVolumeDriver()
    async with running(driver) as (app, pilot):
        browser(app).query_one("#volumes", FilterTable).focus()
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, VolumeBrowser)
        assert mutating_calls(driver) == []


async def test_delete_in_the_snapshots_table_deletes_the_snapshot() -> None:
    driver = FixedVolumeDriver()
    async with running(driver) as (app, pilot):
        await pilot.press("tab")  # Disks -> Snapshots
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmByName)
        assert app.screen.expected_name == S[5]
        await type_name(pilot, S[5])
        await pilot.press("enter")
        await settle(pilot)
        assert mutating_calls(driver) == [f"snapshot_delete db {S[5]}"]


# --- snapshot, restore, create ---------------------------------------------------------------


async def test_snapshot_takes_the_selected_disk_and_says_so() -> None:
    driver = FixedVolumeDriver()
    async with running(driver) as (app, pilot):
        await pilot.press("down", "down", "s")  # D2 selected in the Disks table
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, ConfirmAction)
        assert "the disk under the cursor" in str(modal.body[0]) and D2 in str(modal.body[0])
        await pilot.press("enter")
        await settle(pilot)
        assert mutating_calls(driver) == [f"snapshot_create db {D2}"]
        screen = browser(app)
        assert screen.selected_snapshot().source_disk == D2  # type: ignore[union-attr]


async def test_snapshot_from_the_volumes_table_takes_the_assigned_disk() -> None:
    driver = FixedVolumeDriver()
    async with running(driver) as (app, pilot):
        browser(app).query_one("#volumes", FilterTable).focus()
        await pilot.press("s")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, ConfirmAction)
        assert "the assigned disk" in str(modal.body[0]) and D3 in str(modal.body[0])
        await pilot.press("enter")
        await settle(pilot)
        assert mutating_calls(driver) == [f"snapshot_create db {D3}"]


async def test_keys_act_on_the_focused_table_or_say_why_not() -> None:
    driver = FixedVolumeDriver()
    async with running(driver) as (app, pilot):
        await pilot.press("down", "down")  # the Disks cursor on D2
        await pilot.press("tab")  # the Snapshots table has focus now
        screen = browser(app)
        assert screen.focused_table == "snapshots"
        assert screen.query_one("#snapshots-title").has_class("-focused")
        assert not screen.query_one("#disks-title").has_class("-focused")
        for key in ("a", "s"):
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(app.screen, VolumeBrowser), f"{key} opened a dialog"
        said = [n.message for n in app._notifications]
        assert any(m.startswith("Assign acts on the Disks table") for m in said)
        assert any(m.startswith("Snapshot acts on the Disks") for m in said)
        await pilot.press("shift+tab")  # back to Disks: r restores only snapshots
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, VolumeBrowser)
        assert mutating_calls(driver) == []


async def test_restore_creates_an_unassigned_disk_with_lineage_and_offers_to_assign() -> None:
    driver = FixedVolumeDriver()
    async with running(driver) as (app, pilot):
        screen = browser(app)
        await pilot.press("tab", "down", "r")  # S[4]
        await pilot.pause()
        assert isinstance(app.screen, ConfirmAction)
        await pilot.press("enter")
        await settle(pilot)
        assert mutating_calls(driver) == [f"snapshot_restore db {S[4]}"]
        new = driver.disks["db"][0]
        assert new.source == S[4] and not new.assigned
        # The new disk is selected and shows where it came from.
        cells = screen.query_one("#disks", FilterTable).cells(new.resource_id)
        assert cells is not None and str(cells[9]) == S[4] and str(cells[0]) == "·"
        # Then the swap is offered: Enter assigns it.
        offer = app.screen
        assert isinstance(offer, ConfirmAction)
        assert any(new.name in str(line) for line in offer.body)
        await pilot.press("enter")
        await settle(pilot)
        assert [d.name for d in driver.disks["db"] if d.assigned] == [new.name]


async def test_create_disk_confirms_then_selects_the_new_disk() -> None:
    driver = FixedVolumeDriver()
    async with running(driver) as (app, pilot):
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmAction)
        await pilot.press("enter")
        await settle(pilot)
        assert mutating_calls(driver) == ["disk_create db"]
        new = driver.disks["db"][0]
        assert browser(app).selected_disk() == new


# --- repair, read-only, filter, copy ---------------------------------------------------------


async def test_repair_is_offered_only_for_an_inconsistent_volume() -> None:
    driver = FixedVolumeDriver(inconsistent=True)  # D4 and D3 both assigned
    async with running(driver) as (app, pilot):
        screen = browser(app)
        assert screen.check_action("repair", ()) is True
        await pilot.press("R")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, ConfirmAction)
        await pilot.press("enter")
        await settle(pilot)
        assert mutating_calls(driver) == [f"disk_assign db {D4}"]  # the newest assigned
        assert screen.check_action("repair", ()) is False


async def test_read_only_hides_every_mutating_action_and_calls_nothing() -> None:
    driver = FixedVolumeDriver(read_only=True, inconsistent=True)
    async with running(driver, read_only=True) as (app, pilot):
        screen = browser(app)
        for action in ("create_disk", "assign", "snapshot", "restore", "delete", "repair"):
            assert not screen.check_action(action, ())
        shown = {b.binding.action for b in screen.active_bindings.values() if b.enabled}
        assert not shown & {"create_disk", "assign", "snapshot", "restore", "delete"}
        await pilot.press("down", "down", "a", "n", "s", "d", "R", "tab", "r", "d")
        await settle(pilot)
        assert isinstance(app.screen, VolumeBrowser)
        assert mutating_calls(driver) == []
        said = [n.message for n in app._notifications]
        assert any(m.startswith("Assign is not available") and "read-only" in m for m in said)
        # Reading still works.
        await pilot.press("f5")
        await settle(pilot)
        assert driver.calls[-3:] == ["disk_list db", "snapshot_list db", "volume_mounts"]


async def test_filter_keeps_only_matching_disks_and_escape_restores_them() -> None:
    driver = FixedVolumeDriver()
    async with running(driver) as (app, pilot):
        disks = browser(app).query_one("#disks", FilterTable)
        await pilot.press("slash", *"gone")
        await pilot.pause()
        assert [k.rsplit("-", 1)[1] for k in disks.visible_keys] == [D2]
        await pilot.press("enter", "escape")
        await pilot.pause()
        assert len(disks.visible_keys) == 4
        assert disks.selected_key is not None and disks.selected_key.endswith(D2)


async def test_copy_puts_the_selected_resource_id_on_the_clipboard() -> None:
    driver = FixedVolumeDriver()
    async with running(driver) as (app, pilot):
        await pilot.press("down", "c")
        await pilot.pause()
        assert app.clipboard == disk_key(D3, driver)


async def test_a_failed_action_is_a_notification_and_the_screen_stays_usable() -> None:
    driver = FixedVolumeDriver()
    async with running(driver) as (app, pilot):
        await pilot.press("down", "down", "a")  # D2
        await pilot.pause()
        driver.disks["db"] = [d for d in driver.disks["db"] if d.name != D2]  # gone meanwhile
        await pilot.press("enter")
        await settle(pilot)
        errors = [n for n in app._notifications if n.severity == "error"]
        assert errors and "not found" in errors[-1].message
        assert browser(app).busy is None
        assert isinstance(app.screen, VolumeBrowser)


async def test_switching_volume_shows_its_disks() -> None:
    driver = FixedVolumeDriver()
    driver.disks["cache"] = [replace(_disk("01JCACHE000000000000000001", 1, True), volume="cache")]
    async with running(driver) as (app, pilot):
        screen = browser(app)
        screen.query_one("#volumes", FilterTable).focus()
        await pilot.press("down")
        await settle(pilot)
        assert screen.current == "cache"
        assert (
            screen.query_one("#disks", FilterTable)
            .visible_keys[0]
            .endswith("01JCACHE000000000000000001")
        )
