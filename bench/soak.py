"""soak: the demo with a 2 s auto-refresh for N minutes (not part of CI).

Runs ``kompox-tui --demo``'s app (the real one, emulator in-process as in the demo) in
headless Textual, sets the overview's auto-refresh to 2 s, and lets it run. Counts the
errors seen -- error notifications, failed workers, API calls that failed (no response,
or a status >= 400 other than the expected 404s of an unprovisioned cluster) -- and
reports RSS (VmRSS) once the demo is ready and at the end. Targets: zero errors, RSS
growth < 10 %.

Run: ``.venv/bin/python bench/soak.py [--minutes N]`` (default 30)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from _common import machine, print_table, verdict


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def soak(minutes: float) -> dict[str, Any]:
    from kompox_tui.model import ApiCallEvent, DriverEvent
    from kompox_tui.ui.app import KompoxApp
    from kompox_tui.ui.launch import build_app
    from kompox_tui.ui.screens.overview import ClusterOverview

    errors: Counter[str] = Counter()
    calls = Counter[str]()
    app: KompoxApp = build_app([], demo=True, read_only=False)
    original_notify = app.notify

    def notify(message: str, *args: Any, **kwargs: Any) -> None:
        if kwargs.get("severity") == "error":
            errors[f"notification: {message.splitlines()[0][:120]}"] += 1
        original_notify(message, *args, **kwargs)

    app.notify = notify  # type: ignore[method-assign]

    def on_event(event: DriverEvent) -> None:
        if not isinstance(event, ApiCallEvent):
            return
        calls["total"] += 1
        expected_404 = event.status == 404 and "deploymentStacks" in event.path
        if event.error or (event.status is not None and event.status >= 400 and not expected_404):
            errors[f"call: {event.method} {event.status or event.error}"] += 1

    out: dict[str, Any] = {}
    async with app.run_test(size=(140, 40)) as pilot:
        deadline = time.monotonic() + 120
        while app.starting_up and time.monotonic() < deadline:
            await pilot.pause(0.1)
        for driver in app.drivers:
            driver.add_listener(on_event)
        overview = next(s for s in app.screen_stack if isinstance(s, ClusterOverview))
        app.refresh_interval = 2.0
        overview.countdown = 2.0
        await pilot.pause(5)
        out["rss_start"] = rss_mb()
        started = time.monotonic()
        samples = []
        timeline: list[tuple[float, float]] = []
        while time.monotonic() - started < minutes * 60:
            await pilot.pause(10)
            samples.append(rss_mb())
            elapsed = time.monotonic() - started
            if not timeline or elapsed - timeline[-1][0] >= 60:
                timeline.append((elapsed, samples[-1]))
        out["timeline"] = timeline
        out["rss_end"] = rss_mb()
        out["rss_max"] = max(samples, default=out["rss_end"])
        out["refreshes"] = sum(1 for r in overview.rows if r.refreshed_at)  # rows seen
        out["duration"] = time.monotonic() - started
    out["errors"] = errors
    out["calls"] = calls["total"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        os.environ.update(
            HOME=home, XDG_STATE_HOME=f"{home}/state", XDG_CONFIG_HOME=f"{home}/config"
        )
        out = asyncio.run(soak(args.minutes))
    growth = (out["rss_end"] - out["rss_start"]) / out["rss_start"] * 100
    errors = sum(out["errors"].values())
    print_table(
        f"soak: demo, 2 s auto-refresh, {out['duration'] / 60:.1f} min, {out['calls']} API calls",
        ["measure", "value", "target", "verdict"],
        [
            ["errors seen", str(errors), "0", verdict(errors, 0)],
            ["RSS at start", f"{out['rss_start']:.0f} MB", "", ""],
            ["RSS at end", f"{out['rss_end']:.0f} MB", "", ""],
            ["RSS max (10 s samples)", f"{out['rss_max']:.0f} MB", "", ""],
            ["RSS growth", f"{growth:+.1f} %", "< 10 %", verdict(growth, 10.0)],
        ],
    )
    print(
        "RSS timeline (min: MB): "
        + ", ".join(f"{t / 60:.0f}: {mb:.0f}" for t, mb in out["timeline"])
    )
    for text, count in out["errors"].most_common():
        print(f"  {count} x {text}")
    print(f"\nmachine: {machine()}")


if __name__ == "__main__":
    main()
