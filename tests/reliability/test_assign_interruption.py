"""Assign under interruption: a fault on each of the assign's write steps, and racers.

``disk_assign`` writes in a fixed order: clear every other assigned disk (PATCH each),
then set the target (PATCH), then settle on a fresh list. The emulator's disks have no
ETag and ignore If-Match, as real Compute. Interrupting the assign after any step -- a
dropped connection, a rejected PATCH, a PATCH applied only after the client gave up, or
one applied with its answer lost (drop-after) -- must never leave two disks assigned;
where it stopped between "cleared" and "set", volume_health reports zero assigned; a
lost answer is followed by the settle list, not by an error; and re-running the assign
converges to exactly one. A second writer racing the first ends with exactly one
assigned disk as well (these configs have no provisioned cluster, so no lease: the
settle step alone). Separate-process races, kills and the lease: test_assign_race.py.
"""

from __future__ import annotations

import contextlib
import inspect
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from rel_helpers import RelDriver

from kompox_tui import naming
from kompox_tui.emulator import Emulator
from kompox_tui.emulator.faults import Faults
from kompox_tui.errors import KompoxError, OperationTimeout
from kompox_tui.model import DriverEvent

SCALED_TIMEOUT = 0.5
SLOW_LATENCY = 1.0


@dataclass
class Volume:
    emu: Emulator
    driver: RelDriver
    disks: list[str]  # ULIDs, oldest first

    @property
    def rg(self) -> str:
        return self.driver.config.app.settings["AZURE_RESOURCE_GROUP_NAME"]

    @property
    def patch_path(self) -> str:
        return f"/resourceGroups/{re.escape(self.rg)}/providers/Microsoft.Compute/disks/"

    def assigned(self) -> list[str]:
        return sorted(d.name for d in self.driver.disk_list("db") if d.assigned)

    def set_tag(self, ulid: str, value: bool) -> None:
        """Write the assigned tag behind the driver's back (to build an inconsistent volume)."""
        compute = self.driver.clients.compute()
        name = naming.azure_resource_name(self.driver._volume_ops._context("db").lv_key, ulid)
        disk = compute.disks.get(self.rg, name)
        tags = dict(disk.get("tags") or {})
        tags[naming.TAG_DISK_ASSIGNED] = "true" if value else "false"
        compute.disks.begin_update(self.rg, name, {"tags": tags}).result()

    def patches(self, since: int) -> list[dict[str, object]]:
        return [
            r
            for r in self.emu.requests()[since:]
            if r["method"] == "PATCH" and self.rg.lower() in str(r["path"]).lower()
        ]


@pytest.fixture
def volume(
    rel_emu: Emulator, rel_driver: Callable[..., RelDriver]
) -> Iterator[Callable[..., Volume]]:
    def make(disks: int = 4, assigned: tuple[int, ...] = (0,)) -> Volume:
        d = rel_driver(rel_emu)
        names = [d.disk_create("db").name for _ in range(disks)]  # the first is assigned
        vol = Volume(rel_emu, d, names)
        for i in range(disks):
            want = i in assigned
            if want != (i == 0):
                vol.set_tag(names[i], want)
        assert vol.assigned() == sorted(names[i] for i in assigned)
        return vol

    yield make
    rel_emu.clear_faults()


class Watcher:
    """Lists the volume continuously from another driver; records the most disks it ever
    saw assigned at once."""

    def __init__(self, driver: RelDriver) -> None:
        events: list[DriverEvent] = []
        self.driver = RelDriver(driver.config, events.append)
        self.driver.events = events
        self.most = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                count = sum(d.assigned for d in self.driver.disk_list("db"))
            except KompoxError:
                continue
            self.most = max(self.most, count)

    def __enter__(self) -> Watcher:
        self.driver.disk_list("db")  # warm: token and connection
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)
        self.driver.close()


# Volume shapes: (assigned disks before, target). Writes: one clear per other assigned
# disk, then the target: 2 steps for a healthy volume, 3 for one with two assigned.
SHAPES = {
    "healthy": ((0,), 2),
    "two-assigned": ((0, 1), 3),
}
#: drop: the PATCH never reaches the store; reject: a 400; slow: applied after the client
#: gave up (scaled time limit); drop-after (when the emulator offers it): applied, then
#: the connection is dropped before the response.
KINDS = ["drop", "reject", "slow"]
if "drop_after" in inspect.signature(Faults.add).parameters:
    KINDS.append("drop-after")
CASES = [
    pytest.param(shape, step, kind, id=f"{shape}-patch{step}-{kind}")
    for shape, (assigned, target) in SHAPES.items()
    for step in range(1, len(assigned) + 2)
    for kind in KINDS
]


@pytest.mark.parametrize(("shape", "step", "kind"), CASES)
def test_interrupted_assign_never_leaves_two_assigned_and_rerun_converges(
    volume: Callable[..., Volume], shape: str, step: int, kind: str
) -> None:
    assigned_before, target_index = SHAPES[shape]
    vol = volume(disks=4, assigned=assigned_before)
    target = vol.disks[target_index]
    d = vol.driver
    lease_kube = d._volume_ops.lease_kube
    if lease_kube is not None:  # warm, as a running UI is: the stacks client exists
        with contextlib.suppress(KompoxError):
            lease_kube("warm-up")
    if kind == "slow":
        d._volume_ops.timeouts = {k: SCALED_TIMEOUT for k in d._volume_ops.timeouts}
    fault = {
        "drop": {"drop": True},
        "reject": {"status": 400, "code": "InjectedRejection"},
        "slow": {"latency": SLOW_LATENCY},
        "drop-after": {"drop_after": True},
    }[kind]
    rule = vol.emu.add_fault("PATCH", vol.patch_path, nth=step, **fault)  # type: ignore[arg-type]
    mark = len(vol.emu.requests())
    with Watcher(d) as watcher:
        error: KompoxError | None = None
        try:
            d.disk_assign("db", target)
        except KompoxError as exc:
            error = exc
        if kind == "slow":
            time.sleep(SLOW_LATENCY + 0.1)  # the late PATCH lands now
    vol.emu.clear_faults()
    # (on a loaded machine the scaled limit may expire before the slow step is reached)
    assert rule.hits == 1 or (kind == "slow" and isinstance(error, OperationTimeout))
    writes = len(assigned_before) + 1
    assert len(vol.patches(mark)) <= writes + 1  # no write beyond the plan (+1 retried)
    limit = max(1, len(assigned_before))  # never more assigned than before the assign
    assert watcher.most <= limit, "more disks assigned at once than before the assign"
    d._volume_ops.timeouts = {k: 60.0 for k in d._volume_ops.timeouts}
    health = d.volume_health("db")
    if rule.hits == 0:
        # the scaled limit expired before the faulted write: nothing after it happened
        assert health.assigned <= len(assigned_before), health
    else:
        assert health.assigned <= 1, health
        if kind == "drop-after":
            # applied, answer lost: the settle list shows it done, so the swap goes on
            assert error is None, error
        if error is not None:
            assert "assign" in str(error)
            # applied after we gave up, or applied with the answer lost
            target_patched = kind in ("slow", "drop-after") and step == writes
            if not target_patched:
                # it stopped before setting the target: the others may already be cleared
                assert target not in vol.assigned()
                if step == writes or (kind in ("slow", "drop-after") and step < writes):
                    assert health.assigned == 0, health
                assert "re-run assign" in str(error) or kind in ("slow", "drop-after")
        else:
            assert vol.assigned() == [target]
    d.disk_assign("db", target)  # the repair: re-running converges
    assert vol.assigned() == [target]
    assert d.volume_health("db").assigned == 1


def test_racing_assigns_end_with_exactly_one_assigned(
    volume: Callable[..., Volume], rel_driver: Callable[..., RelDriver]
) -> None:
    vol = volume(disks=4, assigned=(0,))
    first = vol.driver
    events: list[DriverEvent] = []
    second = RelDriver(first.config, events.append)
    second.events = events
    second.disk_list("db")  # warm
    try:
        for round_no in range(6):
            a, b = vol.disks[(round_no % 3) + 1], vol.disks[round_no % 3]
            # Hold every PATCH a moment so the two writers interleave.
            vol.emu.add_fault("PATCH", vol.patch_path, latency=(0.0, 0.03))
            errors: list[BaseException] = []

            def run(driver: RelDriver, disk: str, errors: list[BaseException]) -> None:
                try:
                    driver.disk_assign("db", disk)
                except KompoxError as exc:  # losing a race is a typed ConflictError
                    errors.append(exc)

            threads = [
                threading.Thread(target=run, args=(first, a, errors)),
                threading.Thread(target=run, args=(second, b, errors)),
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join(20)
            vol.emu.clear_faults()
            assigned = vol.assigned()
            assert len(assigned) == 1, (round_no, assigned, errors)
            assert assigned[0] in (a, b)
            assert len(errors) <= 1, errors
    finally:
        second.close()
