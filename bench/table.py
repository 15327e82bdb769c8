"""table: the volume browser with 10,000 rows -- populate time and event-loop stalls.

The volume of bench/list.py (5,000 disks + 5,000 snapshots, 2,000 foreign disks, page
size 100; served by a separate emulator process) opened in the real app (headless
Textual, ``run_test``). Per run, a fresh volume browser is pushed:

- populate: from the moment the driver's lists returned (the data is in hand) to both
  tables holding all their rows (no chunk pending) -- target <= 250 ms;
- stall: the worst lateness of a 10 ms timer while a refresh (F5) of those rows runs,
  from the key press to the tables being up to date again -- target <= 50 ms.
  (The whole load, network included, is reported too.)

Run: ``.venv/bin/python bench/table.py [--runs N]``
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from _common import (
    external_emulator,
    machine,
    median,
    print_table,
    seed_volume,
    spread,
    verdict,
)

from kompox_tui.azure.driver import AksDriver
from kompox_tui.config import load_config
from kompox_tui.emulator import Emulator
from kompox_tui.model import VolumeSnapshot
from kompox_tui.ui.app import KompoxApp
from kompox_tui.ui.launch import tune_gc
from kompox_tui.ui.screens.volumes import VolumeBrowser
from kompox_tui.ui.widgets.filter_table import FilterTable

DISKS, SNAPSHOTS, FOREIGN = 5000, 5000, 2000
POPULATE_TARGET, STALL_TARGET = 0.250, 0.050


class StampedDriver(AksDriver):
    """Records when the last list of a load returned (the browser lists disks first)."""

    lists_done: float = 0.0

    def snapshot_list(self, volume: str) -> list[VolumeSnapshot]:
        result = super().snapshot_list(volume)
        self.lists_done = time.perf_counter()
        return result


class StallMeter:
    """A 10 ms interval timer on the app's event loop; the worst lateness in a window."""

    def __init__(self, app: KompoxApp) -> None:
        self.worst = 0.0
        self._last = time.perf_counter()
        app.set_interval(0.01, self._tick)

    def _tick(self) -> None:
        now = time.perf_counter()
        self.worst = max(self.worst, now - self._last - 0.01)
        self._last = now

    def reset(self) -> None:
        self.worst = 0.0
        self._last = time.perf_counter()


def populated(browser: VolumeBrowser) -> bool:
    disks = browser.query_one("#disks", FilterTable)
    snaps = browser.query_one("#snapshots", FilterTable)
    return (
        not disks.rows_pending
        and not snaps.rows_pending
        and disks.table.row_count == DISKS
        and snaps.table.row_count == SNAPSHOTS
    )


async def measure(driver: StampedDriver, runs: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"populate": [], "load": [], "stall": [], "refresh": []}
    app = KompoxApp([driver], start_paused=True)
    tune_gc()  # as kompox_tui.ui.launch.launch() does for the real process
    async with app.run_test(size=(160, 50)) as pilot:
        meter = StallMeter(app)
        await pilot.pause(0.2)
        for _ in range(runs):
            start = time.perf_counter()
            browser = VolumeBrowser(driver)
            await app.push_screen(browser)
            while not populated(browser):
                await asyncio.sleep(0.002)
            end = time.perf_counter()
            out["populate"].append(end - driver.lists_done)
            out["load"].append(end - start)
            await pilot.pause(0.1)
            meter.reset()
            await pilot.press("f5")
            await asyncio.sleep(0.05)
            while (
                browser.state is None
                or browser.state.loaded_at is None
                or not populated(browser)
                or browser.query_one("#activity").has_class("-busy")
            ):
                await asyncio.sleep(0.002)
            refresh_end = time.perf_counter()
            out["stall"].append(meter.worst)
            out["refresh"].append(refresh_end - driver.lists_done)
            app.pop_screen()
            await pilot.pause(0.1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    def seed(emu: Emulator, driver: AksDriver) -> None:
        seed_volume(emu, driver, "db", disks=DISKS, snapshots=SNAPSHOTS, foreign_disks=FOREIGN)

    with tempfile.TemporaryDirectory() as tmp, external_emulator(seed, Path(tmp)) as config:
        driver = StampedDriver(load_config(config))
        out = asyncio.run(measure(driver, args.runs))
        driver.close()
    ms = {k: [v * 1000 for v in vals] for k, vals in out.items()}
    print_table(
        f"table: volume browser with {DISKS} disks + {SNAPSHOTS} snapshots, "
        f"median of {args.runs} runs",
        ["measure", "median", "spread", "target", "verdict"],
        [
            ["populate both tables (data in hand -> all rows shown)",
             f"{median(ms['populate']):.0f} ms", spread(ms["populate"], "ms", 0),
             f"<= {POPULATE_TARGET * 1000:.0f} ms", verdict(median(out["populate"]),
                                                            POPULATE_TARGET)],
            ["worst 10 ms-timer lateness during an F5 refresh",
             f"{median(ms['stall']):.0f} ms", spread(ms["stall"], "ms", 0),
             f"<= {STALL_TARGET * 1000:.0f} ms", verdict(median(out["stall"]), STALL_TARGET)],
            ["refresh: lists returned -> tables up to date", f"{median(ms['refresh']):.0f} ms",
             spread(ms["refresh"], "ms", 0), "", ""],
            ["whole open (push screen -> all rows shown, network included)",
             f"{median(ms['load']):.0f} ms", spread(ms["load"], "ms", 0), "", ""],
        ],
    )  # fmt: skip
    print(f"\nmachine: {machine()}")


if __name__ == "__main__":
    main()
