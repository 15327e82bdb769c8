"""memory: RSS of the UI process with the 10,000 rows of bench/list.py loaded.

The emulator (seeded with 5,000 disks + 5,000 snapshots + 2,000 foreign disks) runs in
its own process; each run starts a fresh UI process (the real app, headless Textual)
that opens the volume browser, waits until both tables hold every row, and reports its
own resident set (VmRSS) and peak (VmHWM) from /proc/self/status -- also before the
browser was opened. Target: <= 200 MB (median VmRSS with the rows loaded).

Run: ``.venv/bin/python bench/memory.py [--runs N]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from _common import (
    ROOT,
    external_emulator,
    machine,
    median,
    print_table,
    seed_volume,
    spread,
    verdict,
)

DISKS, SNAPSHOTS, FOREIGN = 5000, 5000, 2000
TARGET_MB = 200.0


def status_mb() -> dict[str, float]:
    values: dict[str, float] = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values


async def child(config: str) -> dict[str, Any]:
    from kompox_tui.azure.driver import AksDriver
    from kompox_tui.config import load_config
    from kompox_tui.ui.app import KompoxApp
    from kompox_tui.ui.screens.volumes import VolumeBrowser
    from kompox_tui.ui.widgets.filter_table import FilterTable

    driver = AksDriver(load_config(Path(config)))
    app = KompoxApp([driver], start_paused=True)
    out: dict[str, Any] = {}
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause(0.5)
        await app.workers.wait_for_complete()
        out["overview"] = status_mb()
        browser = VolumeBrowser(driver)
        await app.push_screen(browser)

        def done() -> bool:
            disks = browser.query_one("#disks", FilterTable)
            snaps = browser.query_one("#snapshots", FilterTable)
            return (
                disks.table.row_count == DISKS
                and snaps.table.row_count == SNAPSHOTS
                and not disks.rows_pending
                and not snaps.rows_pending
            )

        while not done():
            await asyncio.sleep(0.05)
        await pilot.pause(0.5)
        out["loaded"] = status_mb()
        await pilot.press("f5")  # one refresh with the rows in place
        await pilot.pause(0.2)
        await app.workers.wait_for_complete()
        await pilot.pause(0.5)
        out["refreshed"] = status_mb()
    driver.close()
    return out


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        print(json.dumps(asyncio.run(child(sys.argv[2]))))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    def seed(emu: Any, driver: Any) -> None:
        seed_volume(emu, driver, "db", disks=DISKS, snapshots=SNAPSHOTS, foreign_disks=FOREIGN)

    results = []
    with tempfile.TemporaryDirectory() as tmp, external_emulator(seed, Path(tmp)) as config:
        for _ in range(args.runs):
            proc = subprocess.run(
                [sys.executable, __file__, "--child", str(config)],
                capture_output=True, text=True, check=True, cwd=ROOT, timeout=900,
            )  # fmt: skip
            results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    overview = [r["overview"]["VmRSS"] for r in results]
    loaded = [r["loaded"]["VmRSS"] for r in results]
    refreshed = [r["refreshed"]["VmRSS"] for r in results]
    peak = [r["refreshed"]["VmHWM"] for r in results]
    print_table(
        f"memory: UI process RSS, {DISKS} disks + {SNAPSHOTS} snapshots, median of "
        f"{args.runs} processes",
        ["measure", "median", "spread", "target", "verdict"],
        [
            ["RSS, overview only (before the browser)", f"{median(overview):.0f} MB",
             spread(overview, "MB", 0), "", ""],
            ["RSS, 10,000 rows loaded", f"{median(loaded):.0f} MB", spread(loaded, "MB", 0),
             f"<= {TARGET_MB:.0f} MB", verdict(median(loaded), TARGET_MB)],
            ["RSS, after one F5 refresh of them", f"{median(refreshed):.0f} MB",
             spread(refreshed, "MB", 0), "", ""],
            ["peak RSS (VmHWM)", f"{median(peak):.0f} MB", spread(peak, "MB", 0), "", ""],
        ],
    )  # fmt: skip
    print(f"\nmachine: {machine()} · emulator in a separate process")


if __name__ == "__main__":
    main()
