"""list: disk_list + snapshot_list of a big volume vs a minimal raw-SDK loop.

A volume with 5,000 disks and 5,000 snapshots in its resource group, plus 2,000 foreign
disks the filter must skip; emulator page size 100 (so 70 + 50 pages), served by a
separate emulator process. In the same run and alternating: ``driver.disk_list`` +
``driver.snapshot_list``, and a minimal loop over the compute SDK's pagers (same
client, same settings) doing only the same filtering (name prefix + kompox-volume
tag). Target: ours <= 1.15x the raw loop (median).

Run: ``.venv/bin/python bench/list.py [--runs N]``
"""

from __future__ import annotations

import argparse
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

from kompox_tui import naming
from kompox_tui.azure.driver import AksDriver
from kompox_tui.config import load_config
from kompox_tui.emulator import Emulator

DISKS, SNAPSHOTS, FOREIGN = 5000, 5000, 2000
TARGET = 1.15


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    def seed(emu: Emulator, driver: AksDriver) -> None:
        seed_volume(emu, driver, "db", disks=DISKS, snapshots=SNAPSHOTS, foreign_disks=FOREIGN)

    with tempfile.TemporaryDirectory() as tmp, external_emulator(seed, Path(tmp)) as config:
        driver = AksDriver(load_config(config))
        ctx = driver._volume_ops._context("db")
        compute = driver.clients.compute()
        prefix, key, tag = ctx.prefix, ctx.lv_key, naming.TAG_VOLUME

        def ours() -> tuple[int, int]:
            return len(driver.disk_list("db")), len(driver.snapshot_list("db"))

        def raw() -> tuple[int, int]:
            disks = [
                d
                for d in compute.disks.list_by_resource_group(ctx.resource_group)
                if (d.name or "").startswith(prefix) and (d.tags or {}).get(tag) == key
            ]
            snaps = [
                s
                for s in compute.snapshots.list_by_resource_group(ctx.resource_group)
                if (s.name or "").startswith(prefix) and (s.tags or {}).get(tag) == key
            ]
            return len(disks), len(snaps)

        assert ours() == raw() == (DISKS, SNAPSHOTS), (ours(), raw())  # warm + check
        times: dict[str, list[float]] = {"ours": [], "raw": []}
        for _ in range(args.runs):
            for name, fn in (("ours", ours), ("raw", raw)):
                t = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - t)
        driver.close()
    ratios = [o / r for o, r in zip(times["ours"], times["raw"], strict=True)]
    ratio = median(times["ours"]) / median(times["raw"])
    print_table(
        f"list: {DISKS} disks + {SNAPSHOTS} snapshots (+{FOREIGN} foreign disks), "
        f"page size 100, median of {args.runs} runs",
        ["measure", "median", "spread", "target", "verdict"],
        [
            ["disk_list + snapshot_list (ours)", f"{median(times['ours']):.3f} s",
             spread(times["ours"]), "", ""],
            ["raw SDK pager loop, same filter", f"{median(times['raw']):.3f} s",
             spread(times["raw"]), "", ""],
            ["ours / raw", f"{ratio:.3f}x", spread(ratios, "x"), f"<= {TARGET}x",
             verdict(ratio, TARGET)],
        ],
    )  # fmt: skip
    print(f"\nmachine: {machine()} · emulator in a separate process")


if __name__ == "__main__":
    main()
