"""Shared helpers for the benchmarks in ``bench/`` (not a benchmark itself).

Every benchmark prints one table (median of several runs) and one line stating the
machine's noise: the spread of the runs, ``nproc`` and the load average.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

if TYPE_CHECKING:
    from kompox_tui.azure.driver import AksDriver
    from kompox_tui.emulator import Emulator


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def spread(values: Sequence[float], unit: str = "s", digits: int = 3) -> str:
    """``min-max (stdev)`` of the runs."""
    if not values:
        return "n/a"
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{min(values):.{digits}f}-{max(values):.{digits}f} {unit} (stdev {sd:.{digits}f})"


def machine() -> str:
    load = os.getloadavg()
    return (
        f"nproc={os.cpu_count()} · load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} · "
        f"Python {sys.version.split()[0]}"
    )


def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """A Markdown table (readable in a terminal, pasteable into docs)."""
    cells = [[str(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    print(f"\n{title}\n")
    print("| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in cells:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")


def verdict(value: float, target: float, lower_is_better: bool = True) -> str:
    ok = value <= target if lower_is_better else value >= target
    return "met" if ok else "MISSED"


def make_driver(
    emu: Emulator,
    *,
    folder: Path | None = None,
    polling: float = 0.05,
    read_only: bool = False,
    **config_kw: Any,
) -> AksDriver:
    """An AksDriver over a fresh kompoxops.yml pointing at ``emu``."""
    from kompox_tui.azure.driver import AksDriver
    from kompox_tui.config import load_config

    folder = folder or Path(tempfile.mkdtemp(prefix="kompox-bench-"))
    name = config_kw.get("cluster", "bench")
    path = emu.write_config(folder / f"{name}.yml", **config_kw)
    driver = AksDriver(load_config(path), read_only=read_only)
    driver.clients.polling_interval = polling
    driver._cluster_ops.progress_interval = polling
    return driver


def seed_volume(
    emu: Emulator,
    driver: AksDriver,
    volume: str,
    *,
    disks: int,
    snapshots: int,
    foreign_disks: int = 0,
    assigned_index: int | None = 0,
) -> None:
    """Create many disks/snapshots of ``volume`` straight in the emulator's store (through
    its resource types, as a stack deployment would), plus foreign disks in the same
    resource group that the driver's filter must skip. One real disk_create first
    creates the resource group and gives the snapshots a source."""
    from kompox_tui import naming

    first = driver.disk_create(volume)
    ops = driver._volume_ops
    ctx_v = ops._context(volume)
    ctx = emu.ctx
    disk_type = ctx.resource_type("Microsoft.Compute/disks")
    snap_type = ctx.resource_type("Microsoft.Compute/snapshots")
    assert disk_type is not None and snap_type is not None
    base = f"/subscriptions/{emu.subscription_id}/resourceGroups/{ctx_v.resource_group}"
    base += "/providers/Microsoft.Compute"
    start = datetime.now(UTC) - timedelta(days=365)
    for i in range(disks - 1):
        ulid = naming.new_ulid(start + timedelta(minutes=i))
        name = naming.azure_resource_name(ctx_v.lv_key, ulid)
        body = {
            "location": ctx_v.location,
            "tags": naming.disk_tags(ctx_v.lv_key, ulid, assigned=False),
            "sku": {"name": "Premium_LRS"},
            "properties": {"creationData": {"createOption": "Empty"}, "diskSizeGB": 1},
        }
        disk_type.create(ctx, f"{base}/disks/{name}", body, "2024-03-02")
    for i in range(snapshots):
        ulid = naming.new_ulid(start + timedelta(minutes=i))
        name = naming.azure_resource_name(ctx_v.lv_key, ulid)
        body = {
            "location": ctx_v.location,
            "tags": naming.snapshot_tags(ctx_v.lv_key, ulid, first.name),
            "sku": {"name": "Standard_LRS"},
            "properties": {
                "incremental": True,
                "creationData": {"createOption": "Copy", "sourceResourceId": first.resource_id},
            },
        }
        snap_type.create(ctx, f"{base}/snapshots/{name}", body, "2024-03-02")
    for i in range(foreign_disks):
        body = {
            "location": ctx_v.location,
            "tags": {"owner": "someone-else"},
            "sku": {"name": "Standard_LRS"},
            "properties": {"creationData": {"createOption": "Empty"}, "diskSizeGB": 1},
        }
        disk_type.create(ctx, f"{base}/disks/foreign-{i:05d}", body, "2024-03-02")


@contextlib.contextmanager
def external_emulator(
    seed: Callable[[Emulator, AksDriver], None], folder: Path, *, page_size: int = 100
) -> Iterator[Path]:
    """Seed an emulator in this process, save its state, and serve that state from a
    separate ``kompox-tui emulator`` process (so the emulator's CPU never competes with
    the measured client for the GIL). Yields the kompoxops.yml pointing at it; the
    config uses write_config's default names, which the seeding used as well."""
    from kompox_tui.emulator import Emulator

    state = folder / "emulator-state.json"
    with Emulator(speed=1000.0, page_size=page_size, state_file=state) as emu:
        driver = make_driver(emu, folder=folder / "seed")
        seed(emu, driver)
        driver.close()
    config = folder / "kompoxops.yml"
    # Served by serve_state() below rather than `kompox-tui emulator --state`: with a
    # state file the emulator re-serialises its whole store after every request, which
    # with 12,000 resources would dominate every measurement (reported to emu-core).
    proc = subprocess.Popen(
        [sys.executable, __file__, "serve", str(state), str(config), str(page_size)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("ready"):
                break
        else:
            raise RuntimeError("the emulator process did not start")
        yield config
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()


def serve_state(state: Path, config: Path, page_size: int) -> None:
    """Serve a saved emulator state without writing it back (see external_emulator)."""
    import signal
    import threading

    from kompox_tui.emulator import Emulator

    emu = Emulator(speed=1000.0, page_size=page_size, state_file=state)
    emu.state_file = None  # read the seeded state once; never save it again
    emu.write_config(config)
    print("ready", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    emu.stop()


if __name__ == "__main__" and len(sys.argv) == 5 and sys.argv[1] == "serve":
    serve_state(Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]))
