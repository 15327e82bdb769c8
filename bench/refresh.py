"""refresh cost: API calls per overview refresh per cluster, and per volume-browser refresh.

Counted from the driver's ApiCallEvents (the app's call log) in the real app (headless
Textual): a provisioned cluster with Traefik installed, one not provisioned, and the
volume browser of the first (two volumes, a few disks and snapshots). The first refresh
(token, admin kubeconfig) is reported apart from the steady state. Targets: <= 4 calls
per cluster per overview refresh; <= 5 per volume-browser refresh, the cluster side
included (disk list + snapshot list + PersistentVolumes, claims and pods).

Run: ``.venv/bin/python bench/refresh.py [--runs N]``
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from _common import machine, make_driver, median, print_table, verdict

from kompox_tui.azure.driver import AksDriver
from kompox_tui.emulator import Emulator
from kompox_tui.ui.app import KompoxApp
from kompox_tui.ui.screens.overview import ClusterOverview
from kompox_tui.ui.screens.volumes import VolumeBrowser

TARGET = 4
BROWSER_TARGET = 5


def overview(app: KompoxApp) -> ClusterOverview:
    return next(s for s in app.screen_stack if isinstance(s, ClusterOverview))


def refreshed(app: KompoxApp) -> bool:
    return all(r.refreshed_at is not None and not r.refreshing for r in overview(app).rows)


async def until(predicate: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the app did not settle")
        await asyncio.sleep(0.01)


def calls_since(app: KompoxApp, seen: int) -> tuple[Counter[str], int, list[str]]:
    entries, total = app.call_log.since(seen)
    per_cluster = Counter(e.cluster for e in entries)
    paths = [f"{e.event.method} {e.event.path}" for e in entries]
    return per_cluster, total, paths


async def measure(drivers: list[AksDriver], runs: int) -> dict[str, Any]:
    ready, absent = drivers
    name_ready, name_absent = ready.config.cluster.name, absent.config.cluster.name
    out: dict[str, Any] = {"first": {}, "steady": {name_ready: [], name_absent: []}}
    app = KompoxApp(drivers, start_paused=True)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(lambda: refreshed(app))
        await app.workers.wait_for_complete()
        await pilot.pause(0.1)
        first, seen, _ = calls_since(app, 0)
        out["first"] = dict(first)
        for _ in range(runs):
            overview(app).refresh_all()
            await pilot.pause(0.05)
            await until(lambda: refreshed(app))
            await app.workers.wait_for_complete()
            await pilot.pause(0.05)
            counts, seen, paths = calls_since(app, seen)
            out["steady"][name_ready].append(counts[name_ready])
            out["steady"][name_absent].append(counts[name_absent])
            out["paths"] = paths
        # the volume browser of the provisioned cluster
        browser = VolumeBrowser(ready)
        await app.push_screen(browser)
        await until(
            lambda: (
                browser.state is not None
                and browser.state.loaded_at is not None
                and browser.cluster.at is not None
            )
        )
        await app.workers.wait_for_complete()
        await pilot.pause(0.2)
        await app.workers.wait_for_complete()
        counts, seen, paths = calls_since(app, seen)
        out["browser_open"] = counts[name_ready]
        out["browser_open_paths"] = paths
        out["browser_refresh"] = []
        out["browser_refresh_kube"] = []
        for _ in range(runs):
            before = browser.state.loaded_at if browser.state else None
            mounts_before = browser.cluster.at

            def reloaded(before: Any = before, mounts_before: Any = mounts_before) -> bool:
                return (
                    browser.state is not None
                    and browser.state.loaded_at != before
                    and browser.cluster.at != mounts_before
                )

            await pilot.press("f5")
            await until(reloaded)
            await app.workers.wait_for_complete()
            await pilot.pause(0.1)
            counts, seen, paths = calls_since(app, seen)
            out["browser_refresh"].append(counts[name_ready])
            out["browser_refresh_kube"].append(sum("/subscriptions/" not in p for p in paths))
            out["browser_refresh_paths"] = paths
        out["mount_line"] = browser.mount_view(browser.current or "").line.plain
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with Emulator(speed=1000.0) as emu:
        volumes = (("db", "1Gi"), ("cache", "1Gi"))
        ready = make_driver(emu, cluster="ready", app="readyapp", volumes=volumes)
        absent = make_driver(emu, cluster="absent", app="absentapp")
        ready.cluster_provision()
        ready.cluster_install()
        for _ in range(3):
            ready.disk_create("db")
        ready.snapshot_create("db")
        ready.disk_create("cache")
        ready.close()
        # The app gets fresh drivers: the first refresh pays for the admin kubeconfig.
        drivers = [AksDriver(ready.config), AksDriver(absent.config)]
        out = asyncio.run(measure(drivers, args.runs))
        for d in (*drivers, absent):
            d.close()
    steady_ready = median(out["steady"]["ready"])
    steady_absent = median(out["steady"]["absent"])
    print_table(
        f"refresh cost: API calls (ApiCallEvents), median of {args.runs} refreshes",
        ["measure", "calls", "target", "verdict"],
        [
            ["overview refresh, provisioned + installed cluster", f"{steady_ready:.0f}",
             f"<= {TARGET}", verdict(steady_ready, TARGET)],
            ["overview refresh, cluster not provisioned", f"{steady_absent:.0f}",
             f"<= {TARGET}", verdict(steady_absent, TARGET)],
            ["first overview refresh (token + admin kubeconfig), provisioned cluster",
             str(out["first"].get("ready", 0)), "", ""],
            ["volume browser F5 refresh (disks + snapshots + cluster mounts)",
             f"{median(out['browser_refresh']):.0f}", f"<= {BROWSER_TARGET}",
             verdict(median(out["browser_refresh"]), BROWSER_TARGET)],
            ["  of which Kubernetes (PVs, claims, pods)",
             f"{median(out['browser_refresh_kube']):.0f}", "<= 3",
             verdict(median(out["browser_refresh_kube"]), 3)],
            ["volume browser open (+ health scan of the other volume)",
             str(out["browser_open"]), "", ""],
        ],
    )  # fmt: skip
    print("\nsteady overview refresh calls:", "; ".join(out.get("paths", [])))
    print("volume browser F5 calls:", "; ".join(out.get("browser_refresh_paths", [])))
    print("volume browser mount line:", out.get("mount_line"))
    spread_ready = out["steady"]["ready"]
    print(f"\nmachine: {machine()} · per-run counts (provisioned): {spread_ready}")


if __name__ == "__main__":
    main()
