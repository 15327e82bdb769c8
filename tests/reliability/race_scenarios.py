"""The race scenarios of issue 12 as counters, shared by test_assign_race.py and
bench/race.py: each scenario runs N rounds of two forked kompox-tui instances
(:mod:`race_kit`) against one emulator whose disks have no ETag, and tallies what a
round ended with. Nothing here asserts; the test asserts on the tallies and the bench
prints them.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from race_kit import Zygote, overlapped
from rel_helpers import RelDriver, tune

from kompox_tui.config import load_config
from kompox_tui.emulator import Emulator

LEASE_SECONDS = 1.0
#: The kill lands uniformly within this many seconds of the start (two racing assigns
#: take ~0.2-0.6 s here), so it hits every step: before the lease, mid-clear, mid-set,
#: mid-settle, or after the call returned.
KILL_WITHIN = 0.4
#: Latency on every disk DELETE in the delete scenario (widens its window, as in issue 12).
DELETE_LATENCY = 0.3


@dataclass
class Race:
    emu: Emulator
    driver: RelDriver
    leased: Path  # kompoxops.yml of a provisioned cluster
    bare: Path  # same app and disks, cluster not provisioned
    zygote: Zygote
    rg: str

    def disks(self) -> list[Any]:
        return self.driver.disk_list("db")

    def assigned(self) -> list[str]:
        return sorted(d.name for d in self.disks() if d.assigned)

    @property
    def disk_path(self) -> str:
        return f"/resourceGroups/{re.escape(self.rg)}/providers/Microsoft.Compute/disks/"


@contextlib.contextmanager
def race_setup(emu: Emulator, base: Path, disks: int = 4) -> Iterator[Race]:
    """A provisioned cluster, an app volume ``db`` with ``disks`` disks, a zygote."""
    common: dict[str, Any] = {"app": "racer", "app_rg": "rg-racer", "volumes": (("db", "1Gi"),)}
    leased = emu.write_config(base / "leased.yml", cluster="raceaks", **common)
    bare = emu.write_config(base / "bare.yml", cluster="nocluster", **common)
    driver = RelDriver(load_config(leased), lambda e: None)
    driver.events = []
    tune(driver)
    driver._volume_ops.lease_duration = LEASE_SECONDS
    driver._volume_ops.lease_retry = 0.02
    driver.cluster_provision()
    for _ in range(disks):
        driver.disk_create("db")
    zygote = Zygote(leased, base / "work", lease=LEASE_SECONDS)
    try:
        yield Race(emu, driver, leased, bare, zygote, "rg-racer")
    finally:
        zygote.close()
        driver.close()
        emu.clear_faults()


@dataclass
class Tally:
    name: str
    rounds: int = 0
    overlapped: int = 0
    double: int = 0
    zero: int = 0
    waited: int = 0
    lease_unused: int = 0
    false_claims: int = 0
    unexpected: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, int] = field(default_factory=dict)

    def add(self, key: str, value: bool | int = 1) -> None:
        self.extra[key] = self.extra.get(key, 0) + int(value)

    def line(self) -> str:
        extra = "".join(f", {k} {v}" for k, v in self.extra.items())
        return (
            f"race {self.name}: rounds {self.rounds}, overlapped {self.overlapped}, "
            f"double-assigned {self.double}, zero-assigned {self.zero}, false claims "
            f"{self.false_claims}, unexpected errors {len(self.unexpected)}, lease waits "
            f"told {self.waited}, told 'no lease' {self.lease_unused}{extra}"
        )


def _note(result: dict[str, Any] | None, tally: Tally) -> None:
    if not result:
        return
    text = " ".join(result.get("notes") or []) + " " + (result.get("message") or "")
    if "waited" in text or "stopped in the middle" in text:
        tally.waited += 1
    if "cluster lease not used" in text:
        tally.lease_unused += 1


def claim_holds(result: dict[str, Any], disk: str, final: list[str]) -> bool:
    """The last finisher's statement about the volume is what a fresh list shows."""
    if result["ok"]:
        return final == [disk]
    message = result.get("message", "")
    if "NO assigned disk" in message or "assigned now: none" in message:
        return final == []
    match = re.search(r"assigned now: ([0-9A-Z, ]+)", message) or re.search(
        r"left disk '([0-9A-Z]+)' assigned", message
    )
    if match:
        return sorted(x.strip() for x in match.group(1).split(",")) == final
    return True  # refusals and timeouts make no statement about the final state


def _pair(race: Race, config: Path, *, kill: bool, drop_after_first: bool) -> tuple[Any, ...]:
    disks = race.disks()
    current = race.assigned()
    a, b = random.sample([d.name for d in disks if d.name not in current], 2)
    first, second = race.zygote.take(config)
    if drop_after_first:
        # The final PATCH of the first instance (the set of disk a) is applied, then its
        # answer is lost: azure-core does not retry a PATCH on a dropped connection.
        name = next(d.azure_name for d in disks if d.name == a)
        race.emu.add_fault("PATCH", re.escape(name), drop_after=True, count=1)
    race.zygote.go([(first, {"op": "assign", "disk": a}), (second, {"op": "assign", "disk": b})])
    killed = None
    if kill:
        killed = random.choice([first, second])
        started = time.time()
        time.sleep(random.uniform(0.0, KILL_WITHIN))
        with contextlib.suppress(ProcessLookupError):  # it may have finished already
            os.kill(killed.pid, signal.SIGKILL)
        # The killed call ran from "go" until the kill (if it had not finished by then).
        killed.job = {**(killed.job or {}), "t0": started, "t1": time.time()}
    ra, rb = race.zygote.result(first), race.zygote.result(second)
    if killed is first and ra is None:
        ra = {"ok": False, "killed": True, **(first.job or {})}
    if killed is second and rb is None:
        rb = {"ok": False, "killed": True, **(second.job or {})}
    race.emu.clear_faults()
    return a, b, ra, rb, killed


def assign_race(race: Race, tally: Tally, config: Path, rounds: int, *, kill: bool = False,
                drop_after_first: bool = False) -> Tally:  # fmt: skip
    """Two instances assign two different disks of the volume at the same moment."""
    for _ in range(rounds):
        a, b, ra, rb, killed = _pair(race, config, kill=kill, drop_after_first=drop_after_first)
        tally.rounds += 1
        tally.overlapped += overlapped(ra, rb)
        _note(ra, tally)
        _note(rb, tally)
        final = race.assigned()
        if killed is None:
            assert ra is not None and rb is not None
            tally.double += len(final) > 1
            tally.zero += len(final) == 0
            last, disk = (ra, a) if ra["t1"] >= rb["t1"] else (rb, b)
            tally.false_claims += not claim_holds(last, disk, final)
            tally.unexpected += [
                r for r in (ra, rb) if not r["ok"] and r["error"] not in ("ConflictError",)
            ]
            continue
        victim = ra if killed is not None and killed.job and killed.job.get("disk") == a else rb
        tally.add("killed mid-call", bool(victim and victim.get("killed")))
        tally.add("double before repair", len(final) > 1)
        tally.add("zero before repair", len(final) == 0)
        # the repair: the next assign converges (waiting out a dead holder's lease)
        target = final[-1] if final else a
        race.driver.disk_assign("db", target)
        tally.add("not exactly one after repair", race.assigned() != [target])
    return tally


def delete_race(race: Race, tally: Tally, rounds: int, config: Path | None = None) -> Tally:
    """One instance assigns a disk while another deletes it without force (every DELETE
    held ``DELETE_LATENCY`` s): the just-assigned disk must never be deleted."""
    race.emu.clear_faults()
    for _ in range(rounds):
        target = race.driver.disk_create("db").name  # unassigned
        assign, delete = race.zygote.take(config or race.leased)
        race.emu.add_fault("DELETE", race.disk_path, latency=DELETE_LATENCY)
        race.zygote.go(
            [(assign, {"op": "assign", "disk": target}), (delete, {"op": "delete", "disk": target})]
        )
        ra, rd = race.zygote.result(assign), race.zygote.result(delete)
        race.emu.clear_faults()
        assert ra is not None and rd is not None
        tally.rounds += 1
        tally.overlapped += overlapped(ra, rd)
        _note(ra, tally)
        _note(rd, tally)
        exists = any(d.name == target for d in race.disks())
        final = race.assigned()
        tally.add("assigned disk deleted", ra["ok"] and not exists)
        tally.add("both succeeded", ra["ok"] and rd["ok"])
        tally.double += len(final) > 1
        tally.zero += len(final) == 0
        if ra["ok"] and not rd["ok"] and rd["error"] != "PreconditionError":
            tally.unexpected.append(rd)
        if not ra["ok"] and ra["error"] != "NotFoundError":
            tally.unexpected.append(ra)
        if final == []:  # a disk deleted under an assign: repair for the next round
            race.driver.disk_assign("db", race.disks()[0].name)
    tally.extra.setdefault("assigned disk deleted", 0)
    return tally
