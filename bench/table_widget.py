"""table_widget: the keyed table alone -- 10,000 prepared rows into a FilterTable.

bench/table.py measures the whole volume browser (driver lists, row building in a
worker, both tables). This isolates the widget the issue's targets are about
(populate <= 150 ms, worst event-loop stall during a refresh <= 30 ms): rows are built
before the clock starts, then handed to ``FilterTable.set_rows`` on the event loop.

Run: ``.venv/bin/python bench/table_widget.py [--runs N]``
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time

from rich.text import Text
from textual.app import App, ComposeResult

from kompox_tui.ui.widgets.filter_table import ColumnSpec, FilterTable, KeyedRow

ROWS = 10_000
COLUMNS = [
    ColumnSpec("mark", "★", 3),
    ColumnSpec("disk", "disk", 26),
    ColumnSpec("created", "created", 16),
    ColumnSpec("age", "age", 8),
    ColumnSpec("state", "state", 10),
    ColumnSpec("size", "GiB", 4),
]


def rows(generation: int) -> list[KeyedRow]:
    out: list[KeyedRow] = []
    for i in range(ROWS):
        name = Text(f"01M8SCP05Z{i:016d}")
        name.stylize("bold", 22)
        out.append(
            (
                f"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/disks/d{i}",
                (
                    "·",
                    name,
                    "2026-12-01 21:08",
                    f"{(i + generation) % 59}m ago",
                    "Unattached",
                    "32",
                ),
            )
        )
    return out


class TableApp(App[None]):
    def compose(self) -> ComposeResult:
        yield FilterTable(COLUMNS, id="t")


async def measure(runs: int) -> tuple[list[float], list[float]]:
    populate: list[float] = []
    stalls: list[float] = []
    for run in range(runs):
        app = TableApp()
        async with app.run_test(size=(120, 40)) as pilot:
            table = app.query_one(FilterTable)
            first, second = rows(0), rows(run + 1)
            await pilot.pause()
            started = time.perf_counter()
            table.set_rows(first)
            await pilot.pause()
            populate.append(time.perf_counter() - started)
            # A refresh with every "age" cell changed, while a 10 ms timer measures lateness.
            worst = 0.0
            last = time.perf_counter()

            def tick() -> None:
                nonlocal worst, last
                now = time.perf_counter()
                worst = max(worst, now - last - 0.010)
                last = now

            timer = app.set_interval(0.010, tick)
            await pilot.pause(0.05)
            worst = 0.0
            last = time.perf_counter()
            table.set_rows(second)
            await pilot.pause(0.1)
            timer.stop()
            stalls.append(worst)
    return populate, stalls


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    populate, stalls = asyncio.run(measure(args.runs))
    ms = lambda v: f"{v * 1000:.0f} ms"  # noqa: E731
    print(f"table widget: {ROWS} rows, median of {args.runs} runs")
    print(
        f"| populate (set_rows -> drawn)      | {ms(statistics.median(populate))} | "
        f"{ms(min(populate))}-{ms(max(populate))} | <= 150 ms |"
    )
    print(
        f"| worst stall during a full refresh | {ms(statistics.median(stalls))} | "
        f"{ms(min(stalls))}-{ms(max(stalls))} | <= 30 ms |"
    )
    print(
        f"machine: nproc={os.cpu_count()} · load average "
        + " ".join(f"{v:.2f}" for v in os.getloadavg())
    )


if __name__ == "__main__":
    main()
