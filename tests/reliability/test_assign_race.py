"""Racing swaps between separate processes on Azure's real semantics (no disk ETags).

Each round forks two fresh kompox-tui instances (race_kit.Zygote) against one emulator
whose disks carry no ETag and ignore If-Match, and counts:

* ``overlapped``: rounds where the two driver calls ran at the same time;
* ``double``: rounds that ended with two or more assigned disks once every call that was
  not killed had returned (after the settle step) -- must be 0;
* ``double_after_repair``: after a SIGKILL, the next assign (the repair) -- must be 0;
* ``deleted_assigned``: a delete without force removed a disk an assign had just set --
  must be 0.

``with lease``: the app's cluster is provisioned, so the instances take the volume's
Lease. ``no cluster``: the same app through a kompoxops.yml whose cluster is not
provisioned: one line says so and only the settle step protects the volume.

Rounds per scenario: ``RACE_ROUNDS`` (default 20). Figures are printed (``-s`` or the
terminal summary) and bench/race.py runs more rounds.
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

import pytest
from race_kit import Zygote, overlapped
from rel_helpers import RelDriver, tune

from kompox_tui.config import load_config
from kompox_tui.emulator import Emulator

ROUNDS = int(os.environ.get("RACE_ROUNDS", "12"))
#: The kill lands uniformly within this many seconds of the start (two racing assigns
#: take ~0.2-0.6 s here), so it hits every step: before the lease, mid-clear, mid-set,
#: mid-settle, or after the call returned.
KILL_WITHIN = 0.4
LEASE_SECONDS = 1.0
FIGURES: list[str] = []


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


@pytest.fixture(scope="module")
def race(rel_emu: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Race]:
    base = tmp_path_factory.mktemp("race")
    common: dict[str, Any] = {"app": "racer", "app_rg": "rg-racer", "volumes": (("db", "1Gi"),)}
    leased = rel_emu.write_config(base / "leased.yml", cluster="raceaks", **common)
    bare = rel_emu.write_config(base / "bare.yml", cluster="nocluster", **common)
    driver = RelDriver(load_config(leased), lambda e: None)
    driver.events = []
    tune(driver)
    driver._volume_ops.lease_duration = LEASE_SECONDS
    driver._volume_ops.lease_retry = 0.02
    driver.cluster_provision()
    for _ in range(4):
        driver.disk_create("db")
    zygote = Zygote(leased, base / "work", lease=LEASE_SECONDS)
    try:
        yield Race(rel_emu, driver, leased, bare, zygote, "rg-racer")
    finally:
        zygote.close()
        driver.close()
        rel_emu.clear_faults()
        if FIGURES:
            print("\n" + "\n".join(FIGURES))


@dataclass
class Tally:
    name: str
    rounds: int = 0
    overlapped: int = 0
    double: int = 0
    zero: int = 0
    waited: int = 0
    lease_unused: int = 0
    extra: dict[str, int] = field(default_factory=dict)

    def line(self) -> str:
        extra = "".join(f", {k} {v}" for k, v in self.extra.items())
        return (
            f"race {self.name}: rounds {self.rounds}, overlapped {self.overlapped}, "
            f"double-assigned after settle {self.double}, zero-assigned {self.zero}, "
            f"waited for the lease {self.waited}, ran without lease {self.lease_unused}{extra}"
        )


def _note(result: dict[str, Any] | None, tally: Tally) -> None:
    if not result:
        return
    text = " ".join(result.get("notes") or []) + " " + (result.get("message") or "")
    if "waited" in text or "stopped in the middle" in text:
        tally.waited += 1
    if "cluster lease not used" in text:
        tally.lease_unused += 1


def _claim_holds(result: dict[str, Any], disk: str, final: list[str]) -> bool:
    """The last finisher's statement about the volume is what a fresh list shows."""
    if result["ok"]:
        return final == [disk]
    message = result.get("message", "")
    if "NO assigned disk" in message:
        return final == []
    match = re.search(r"assigned now: ([0-9A-Z, ]+)", message) or re.search(
        r"left disk '([0-9A-Z]+)' assigned", message
    )
    if match:
        return sorted(x.strip() for x in match.group(1).split(",")) == final
    return True  # refusals and timeouts make no statement about the final state


def _pair(
    race: Race, config: Path, *, kill: bool = False, drop_after_first: bool = False
) -> tuple[Any, ...]:
    disks = race.disks()
    current = race.assigned()
    a, b = random.sample([d.name for d in disks if d.name not in current], 2)
    first, second = race.zygote.take(config)
    rule = None
    if drop_after_first:
        # The final PATCH of the first instance (the set of disk a) is applied, then its
        # answer is lost: azure-core does not retry a PATCH on a dropped connection.
        name = next(d.azure_name for d in disks if d.name == a)
        rule = race.emu.add_fault("PATCH", re.escape(name), drop_after=True, count=1)
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
    if killed is not None:
        if killed is first and ra is None:
            ra = {"ok": False, "killed": True, **(killed.job or {})}
        elif killed is second and rb is None:
            rb = {"ok": False, "killed": True, **(killed.job or {})}
    race.emu.clear_faults()
    return (a, b, ra, rb, killed, rule)


def _run(race: Race, tally: Tally, config: Path, **kw: Any) -> None:
    for _ in range(ROUNDS):
        a, b, ra, rb, killed, _rule = _pair(race, config, **kw)
        tally.rounds += 1
        tally.overlapped += overlapped(ra, rb)
        _note(ra, tally)
        _note(rb, tally)
        final = race.assigned()
        if killed is None:
            tally.double += len(final) > 1
            tally.zero += len(final) == 0
            assert ra is not None and rb is not None
            last, disk = (ra, a) if ra["t1"] >= rb["t1"] else (rb, b)
            assert _claim_holds(last, disk, final), (last, final)
            for r in (ra, rb):
                assert r["ok"] or r["error"] in ("ConflictError", "AzureError"), r
        else:
            victim = ra if killed.job is not None and killed.job.get("disk") == a else rb
            mid = bool(victim and victim.get("killed"))
            tally.extra["killed mid-call"] = tally.extra.get("killed mid-call", 0) + mid
            tally.extra["double before repair"] = tally.extra.get("double before repair", 0) + (
                len(final) > 1
            )
            # the repair: the next assign converges (waiting out the dead holder's lease)
            target = final[-1] if final else a
            race.driver.disk_assign("db", target)
            repaired = race.assigned()
            tally.extra["double after repair"] = tally.extra.get("double after repair", 0) + (
                len(repaired) != 1
            )
            assert repaired == [target]
    FIGURES.append(tally.line())
    print(tally.line())


def test_two_processes_racing_with_a_lost_answer_on_the_final_patch_end_with_one(
    race: Race,
) -> None:
    tally = Tally("drop-after on the final PATCH, with lease")
    _run(race, tally, race.leased, drop_after_first=True)
    assert tally.double == 0 and tally.zero == 0
    assert tally.overlapped >= ROUNDS // 2, "the calls must really run at the same time"
    assert tally.waited >= ROUNDS // 2, "the second instance waits for the first's lease"


def test_without_the_cluster_the_settle_step_alone_ends_with_one(race: Race) -> None:
    tally = Tally("drop-after on the final PATCH, no cluster")
    _run(race, tally, race.bare, drop_after_first=True)
    assert tally.lease_unused == 2 * ROUNDS, "each instance says once that it has no lease"
    assert tally.double == 0 and tally.zero == 0


def test_a_sigkilled_racer_leaves_a_volume_the_next_assign_repairs(race: Race) -> None:
    tally = Tally("SIGKILL of one of two, with lease")
    _run(race, tally, race.leased, kill=True)
    assert tally.extra["double after repair"] == 0


def test_a_sigkilled_racer_without_the_cluster_is_repaired_too(race: Race) -> None:
    tally = Tally("SIGKILL of one of two, no cluster")
    _run(race, tally, race.bare, kill=True)
    assert tally.extra["double after repair"] == 0


def test_delete_without_force_never_deletes_a_disk_an_assign_just_set(race: Race) -> None:
    tally = Tally("delete (300 ms DELETE latency) vs assign of the same disk, with lease")
    lost = both_ok = 0
    race.emu.clear_faults()
    for _ in range(ROUNDS):
        target = race.driver.disk_create("db").name  # unassigned
        assign, delete = race.zygote.take(race.leased)
        race.emu.add_fault("DELETE", race.disk_path, latency=0.3)
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
        if ra["ok"] and not exists:
            lost += 1
        both_ok += ra["ok"] and rd["ok"]
        tally.double += len(final) > 1
        tally.zero += len(final) == 0
        if ra["ok"]:
            assert rd["error"] == "PreconditionError" and "assigned disk" in rd["message"], rd
        else:
            assert ra["error"] == "NotFoundError", ra  # deleted first: nothing was written
    tally.extra["assigned disk deleted"] = lost
    FIGURES.append(tally.line())
    print(tally.line())
    assert lost == 0 and both_ok == 0
    assert tally.double == 0 and tally.zero == 0
