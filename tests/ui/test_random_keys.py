"""Thousands of random keys on every screen must never crash the app (issue 16 item 3).

The app runs read-only over the emulator with a provisioned cluster, an absent one,
disks and a snapshot -- like the demo. Each segment opens one screen (overview,
volume browser, progress, call log, help, messages, command palette) and then sends
random keys from every binding of every screen, some one by one (Pilot waits for
each) and some in bursts posted at once, as a fast typist or a pasted sequence would
arrive. The app must end alive with no exception, and read-only must hold: no
mutating request reached the emulator.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.command import CommandPalette
from ui_helpers import fast_driver, wait_until

from kompox_tui.azure.driver import AksDriver
from kompox_tui.ui.app import KompoxApp
from kompox_tui.ui.screens.overview import ClusterOverview
from kompox_tui.ui.widgets.filter_table import FilterTable

SEED = 1405
KEYS_PER_SEGMENT = 250
MUTATING = {"PUT", "POST", "PATCH", "DELETE"}

#: Every key some screen binds, plus navigation and editing keys -- not the quit keys
#: (q, ctrl+c, ctrl+q), which would end the run on purpose.
ALPHABET = [
    *"abcdefghijklmnoprstuvwxyz",
    *"ABCDGIKLNOPRSUVY",
    *"0123456789",
    "up", "down", "left", "right", "home", "end", "pageup", "pagedown",
    "enter", "escape", "tab", "shift+tab", "space", "backspace", "delete",
    "slash", "question_mark", "plus", "minus", "equals_sign",
    "left_square_bracket", "right_square_bracket",
]  # fmt: skip

#: How each segment reaches its screen from the overview.
SEGMENTS: list[tuple[str, list[str]]] = [
    ("overview", []),
    ("volumes", ["v"]),
    ("progress", ["o"]),
    ("call log", ["l"]),
    ("help", ["question_mark"]),
    ("messages", ["m"]),
    ("palette", ["ctrl+p"]),
    ("volumes again", ["down", "v"]),
]


def _key_event(key: str) -> events.Key:
    char = key if len(key) == 1 else {"space": " ", "slash": "/", "plus": "+"}.get(key)
    return events.Key(key, char)


#: Keys that start a change (overview: provision, deprovision, install, uninstall;
#: volume browser: assign, undo, new disk, snapshot, restore, delete, repair) -- left
#: out of the run in normal mode, which covers the non-destructive paths only.
MUTATING_KEYS = frozenset("PDiUaunsrdR")


@pytest.mark.parametrize(
    ("read_only", "keys_per_segment"),
    [(True, KEYS_PER_SEGMENT), (False, KEYS_PER_SEGMENT // 3)],
    ids=["read-only", "normal-mode-non-destructive"],
)
async def test_random_keys_on_every_screen_never_crash_and_never_mutate(
    ui_driver: Callable[..., AksDriver],
    unique_name: Callable[[str], str],
    emulator: Any,
    tmp_path: Path,
    read_only: bool,
    keys_per_segment: int,
) -> None:
    seeded = ui_driver(volumes=(("db", "1Gi"),), app_rg=unique_name("rg"))
    seeded.cluster_provision()
    first = seeded.disk_create("db")
    seeded.disk_create("db")
    seeded.snapshot_create("db", first.name)
    absent = ui_driver()
    drivers = [fast_driver(d.config, read_only=read_only) for d in (seeded, absent)]
    app = KompoxApp(drivers, read_only=read_only, start_paused=True, log_dir=tmp_path / "logs")
    alphabet = ALPHABET if read_only else [k for k in ALPHABET if k not in MUTATING_KEYS]
    rng = random.Random(SEED)
    sent = 0
    visited: set[str] = set()
    started = time.monotonic()
    async with app.run_test(size=(100, 30)) as pilot:
        overview = app.screen
        assert isinstance(overview, ClusterOverview)
        await wait_until(pilot, lambda: all(r.refreshed_at for r in overview.rows), timeout=20)
        start = len(emulator.requests())
        # An operation for the progress segment to open, changing nothing: read-only
        # refuses the install; the absent cluster has nothing to uninstall.
        op_row = "0" if read_only else "1"
        app.start_operation(int(op_row), "install" if read_only else "uninstall")
        await pilot.pause(0.3)
        for name, entry in SEGMENTS:
            t_segment = time.monotonic()
            while app.screen is not overview:  # back to the overview
                await pilot.press("escape")
                if app.screen is not overview and len(app.screen_stack) > 1:
                    app.pop_screen()
                await pilot.pause(0.02)
            # Random keys may have left the focus in the filter box or the cursor
            # anywhere, with a filter on: start each segment from the first cluster row.
            table = overview.query_one(FilterTable)
            table.focus()
            await pilot.press("escape")  # clears a filter typed in an earlier segment
            table.select_key(op_row if name == "progress" else "0")
            await pilot.press(*entry)
            await pilot.pause(0.1)
            visited.add(type(app.screen).__name__)
            for _ in range(keys_per_segment // 6):
                on_palette = isinstance(app.screen, CommandPalette)
                # Enter in the palette could pick "Quit"; everywhere else it is fair game.
                keys = [k for k in alphabet if not (on_palette and k == "enter")]
                burst = [rng.choice(keys) for _ in range(rng.randint(1, 10))]
                if on_palette or rng.random() < 0.15:
                    await pilot.press(*burst)  # one by one, each handled before the next
                else:
                    # All at once, as a burst of input arrives: handlers run back to back.
                    for key in burst:
                        app.post_message(_key_event(key))
                    await pilot.pause()
                sent += len(burst)
                visited.add(type(app.screen).__name__)
                assert app.is_running, f"app ended after {sent} keys"
            print(f"segment {name}: {time.monotonic() - t_segment:.1f} s")
        await pilot.pause(0.5)
        assert app.is_running
        mutating = [
            r
            for r in emulator.requests()[start:]
            if r["method"] in MUTATING
            and "listclusteradmincredential" not in r["path"].lower()
            and "token" not in r["path"].lower()
        ]
    elapsed = time.monotonic() - started
    assert app.return_code in (None, 0)
    assert mutating == []
    assert sent >= 1700 if read_only else sent >= 500, sent
    assert {
        "ClusterOverview",
        "VolumeBrowser",
        "OperationProgress",
        "CallLogScreen",
        "HelpScreen",
        "NotificationsScreen",
        "CommandPalette",
    } <= visited, visited
    # The read-only run (~1,800 keys) takes under a minute on a quiet 2-core machine,
    # the other (~650) about 20 s; the time is printed, not
    # asserted (timings belong to bench/, and CI machines are shared).
    print(f"random keys: {sent} sent, {len(visited)} screens, {elapsed:.1f} s, 0 crashes")


async def test_enter_escape_escape_in_quick_succession_never_crashes(
    ui_driver: Callable[..., AksDriver], unique_name: Callable[[str], str]
) -> None:
    """Issue 16's repro: the volume browser pushed and popped before it finished
    mounting (NoMatches 'HeaderTitle' / 'KeyedDataTable', ScreenStackError)."""
    driver = ui_driver(volumes=(("db", "1Gi"),), app_rg=unique_name("rg"))
    app = KompoxApp([fast_driver(driver.config, read_only=True)], read_only=True)
    async with app.run_test(size=(100, 30)) as pilot:
        overview = app.screen
        await wait_until(pilot, lambda: all(r.refreshed_at for r in overview.rows))  # type: ignore[attr-defined]
        for tries in range(9):
            for key in ("enter", "escape", "escape"):
                app.post_message(_key_event(key))
            await pilot.pause(0.02 * tries)
            assert app.is_running
        await pilot.pause(0.5)
        while app.screen is not overview:
            await pilot.press("escape")
        assert app.is_running and isinstance(app.screen, ClusterOverview)
