"""assign: our disk_assign vs the guide's sequential update of every disk.

A volume with 50 disks, the target not assigned, emulator latency 100 ms on every call.
Ours: ``driver.disk_assign`` (list, the lease attempt -- here one stack GET, since this
app's cluster is not provisioned, so no Lease -- then clear only the disks that are
assigned, set the target, and a settle list; see kompox_tui/azure/assign.py). The
guide's way: list, then PATCH every one of the 50 disks in turn (assigned = "is it the
target?"), waiting for each. Same SDK client and settings for both; calls counted on
the emulator's request log (token requests aside).
Target: ours <= 0.15x the sequential time (median).

Run: ``.venv/bin/python bench/assign.py [--runs N]``
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from _common import machine, make_driver, median, print_table, seed_volume, spread, verdict

from kompox_tui import naming
from kompox_tui.emulator import Emulator

DISKS = 50
LATENCY = 0.1
TARGET = 0.15


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with Emulator(speed=1000.0) as emu:
        driver = make_driver(emu, cluster="assignbench", app="assignapp", app_rg="rg-assign")
        seed_volume(emu, driver, "db", disks=DISKS, snapshots=0)
        ctx = driver._volume_ops._context("db")
        compute = driver.clients.compute()
        names = [d.name for d in driver.disk_list("db")]
        assert len(names) == DISKS
        emu.faults.global_latency = (LATENCY, LATENCY)

        def count_since(mark: int) -> int:
            return sum(1 for r in emu.requests()[mark:] if "/oauth2/" not in str(r["path"]))

        def ours(target: str) -> None:
            driver.disk_assign("db", target)

        def sequential(target: str) -> None:
            for disk in list(compute.disks.list_by_resource_group(ctx.resource_group)):
                tags = dict(disk.tags or {})
                if tags.get(naming.TAG_VOLUME) != ctx.lv_key:
                    continue
                name = disk.name or ""
                tags[naming.TAG_DISK_ASSIGNED] = "true" if name.endswith(target) else "false"
                body: Any = {"tags": tags}
                compute.disks.begin_update(
                    ctx.resource_group, name, body, polling_interval=0.05
                ).result()

        times: dict[str, list[float]] = {"ours": [], "sequential": []}
        calls: dict[str, list[int]] = {"ours": [], "sequential": []}
        for run in range(args.runs):
            for name, fn in (("ours", ours), ("sequential", sequential)):
                assigned = [d.name for d in driver.disk_list("db") if d.assigned]
                target = next(n for n in names[run * 2 + 1 :] if n not in assigned)
                mark = len(emu.requests())
                t = time.perf_counter()
                fn(target)
                times[name].append(time.perf_counter() - t)
                calls[name].append(count_since(mark))
                after = [d.name for d in driver.disk_list("db") if d.assigned]
                assert after == [target], (name, after)
        driver.close()
    ratio = median(times["ours"]) / median(times["sequential"])
    print_table(
        f"assign: {DISKS} disks, target not assigned, {LATENCY * 1000:.0f} ms latency per "
        f"call, median of {args.runs} runs",
        ["measure", "median", "spread", "calls", "target", "verdict"],
        [
            ["disk_assign (ours)", f"{median(times['ours']):.2f} s", spread(times["ours"]),
             f"{median(calls['ours']):.0f}", "", ""],
            ["sequential update of every disk (guide)", f"{median(times['sequential']):.2f} s",
             spread(times["sequential"]), f"{median(calls['sequential']):.0f}", "", ""],
            ["ours / sequential", f"{ratio:.3f}x", "", "", f"<= {TARGET}x",
             verdict(ratio, TARGET)],
        ],
    )  # fmt: skip
    print(f"\nmachine: {machine()}")


if __name__ == "__main__":
    main()
