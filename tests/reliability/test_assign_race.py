"""Racing swaps between separate processes on Azure's real semantics (no disk ETags).

Each round forks two fresh kompox-tui instances (race_kit.Zygote) against one emulator
whose disks carry no ETag and ignore If-Match; race_scenarios.py counts per scenario:

* ``overlapped``: rounds where the two driver calls ran at the same time;
* ``double-assigned`` / ``zero-assigned``: rounds that ended with two or more / no
  assigned disk once every call that was not killed had returned -- must be 0;
* ``false claims``: the last finisher's message about what is assigned disagrees with a
  fresh list -- must be 0;
* after a SIGKILL, ``not exactly one after repair`` (the next assign) -- must be 0;
* ``assigned disk deleted``: a delete without force removed a disk an assign had just
  set -- must be 0.

``with lease``: the app's cluster is provisioned, so the instances take the volume's
Lease. ``no cluster``: the same app through a kompoxops.yml whose cluster is not
provisioned: one line says so and only the settle step protects the volume.

Rounds per scenario: ``RACE_ROUNDS`` (default 12, for CI time); bench/race.py runs more.
The figures are printed at the end of the module.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator

import pytest
from race_scenarios import LEASE_SECONDS, Race, Tally, assign_race, delete_race, race_setup

from kompox_tui.azure.lease import VolumeLease, lease_name
from kompox_tui.emulator import Emulator
from kompox_tui.errors import ConflictError

ROUNDS = int(os.environ.get("RACE_ROUNDS", "12"))
FIGURES: list[str] = []


@pytest.fixture(scope="module")
def race(rel_emu: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Race]:
    with race_setup(rel_emu, tmp_path_factory.mktemp("race")) as setup:
        yield setup
    if FIGURES:
        print("\n" + "\n".join(FIGURES))


def _report(tally: Tally) -> Tally:
    FIGURES.append(tally.line())
    print(tally.line())
    assert tally.false_claims == 0, "a message said something a fresh list does not show"
    assert tally.unexpected == [], tally.unexpected
    return tally


def test_two_processes_racing_with_a_lost_answer_on_the_final_patch_end_with_one(
    race: Race,
) -> None:
    tally = Tally("drop-after on the final PATCH, with lease")
    _report(assign_race(race, tally, race.leased, ROUNDS, drop_after_first=True))
    assert tally.double == 0 and tally.zero == 0
    assert tally.overlapped >= ROUNDS // 2, "the calls must really run at the same time"
    assert tally.waited >= ROUNDS // 2, "the second instance waits for the first's lease"


def test_without_the_cluster_the_settle_step_alone_ends_with_one(race: Race) -> None:
    tally = Tally("drop-after on the final PATCH, no cluster")
    _report(assign_race(race, tally, race.bare, ROUNDS, drop_after_first=True))
    assert tally.lease_unused == 2 * ROUNDS, "each instance says once that it has no lease"
    assert tally.double == 0 and tally.zero == 0


def test_a_sigkilled_racer_leaves_a_volume_the_next_assign_repairs(race: Race) -> None:
    tally = Tally("SIGKILL of one of two, with lease")
    _report(assign_race(race, tally, race.leased, ROUNDS, kill=True))
    assert tally.extra["not exactly one after repair"] == 0
    assert tally.extra["killed mid-call"] >= 1


def test_a_sigkilled_racer_without_the_cluster_is_repaired_too(race: Race) -> None:
    tally = Tally("SIGKILL of one of two, no cluster")
    _report(assign_race(race, tally, race.bare, ROUNDS, kill=True))
    assert tally.extra["not exactly one after repair"] == 0


def test_delete_without_force_never_deletes_a_disk_an_assign_just_set(race: Race) -> None:
    tally = Tally("delete (300 ms DELETE latency) vs assign of the same disk, with lease")
    _report(delete_race(race, tally, ROUNDS))
    assert tally.extra["assigned disk deleted"] == 0
    assert tally.extra["both succeeded"] == 0
    assert tally.double == 0 and tally.zero == 0


# --- the lease itself ------------------------------------------------------------------


def _lease(race: Race, identity: str) -> VolumeLease:
    ops = race.driver._volume_ops
    ctx = ops._context("db")
    assert ops.lease_kube is not None
    return VolumeLease(
        ops.lease_kube("test"),
        lease_name(ctx.resource_group, ctx.lv_key),
        duration=LEASE_SECONDS,
        identity=identity,
    )


def test_the_lease_admits_one_holder_at_a_time(race: Race) -> None:
    inside = 0
    most = 0
    lock = threading.Lock()
    errors: list[BaseException] = []

    def contender(n: int) -> None:
        nonlocal inside, most
        for _ in range(4):
            lease = _lease(race, f"contender-{n}")
            try:
                lease.acquire(lambda: 30.0, retry_period=0.01)
                with lock:
                    inside += 1
                    most = max(most, inside)
                time.sleep(0.01)
                with lock:
                    inside -= 1
                lease.release()
            except BaseException as exc:
                errors.append(exc)

    threads = [threading.Thread(target=contender, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert most == 1


def test_a_live_holder_makes_the_swap_wait_then_refuse_without_writing(race: Race) -> None:
    other = _lease(race, "kompox-tui@elsewhere/1/abcd")
    other.acquire(lambda: 10.0)  # renews in the background, as a live instance does
    ops = race.driver._volume_ops
    target = next(d.name for d in race.disks() if not d.assigned)
    mark = len(race.emu.requests())
    ops.timeouts["disk assign"] = 4 * LEASE_SECONDS
    try:
        with pytest.raises(ConflictError) as info:
            race.driver.disk_assign("db", target)
    finally:
        ops.timeouts["disk assign"] = 60.0
        other.release()
    assert "kompox-tui@elsewhere/1/abcd" in str(info.value)
    writes = [r for r in race.emu.requests()[mark:] if r["method"] in ("PATCH", "DELETE")]
    assert writes == [], "nothing is written while another instance holds the lease"
    race.driver.disk_assign("db", target)  # released: goes through at once
    assert race.assigned() == [target]


def test_a_dead_holder_is_taken_over_after_its_lease_expires_and_the_user_is_told(
    race: Race,
) -> None:
    dead = _lease(race, "kompox-tui@crashed/2/beef")
    dead.acquire(lambda: 10.0)
    dead._stop.set()  # it stops renewing and never releases: killed mid-change
    target = next(d.name for d in race.disks() if not d.assigned)
    started = time.monotonic()
    outcome = race.driver.disk_assign("db", target)
    assert time.monotonic() - started >= LEASE_SECONDS * 0.9
    assert any("kompox-tui@crashed/2/beef stopped in the middle" in n for n in outcome.notes)
    assert race.assigned() == [target]
    spec = _lease(race, "reader").rest.request(
        "GET", _lease(race, "reader").path, operation="read"
    )[1]["spec"]
    assert not spec.get("holderIdentity"), "released at the end"
    assert spec["leaseTransitions"] >= 1


def test_an_unreachable_cluster_api_is_one_line_and_the_swap_goes_on(race: Race) -> None:
    target = next(d.name for d in race.disks() if not d.assigned)
    race.emu.add_fault("*", r"^/k8s/", drop=True)  # the API server stops answering
    try:
        outcome = race.driver.disk_assign("db", target)
    finally:
        race.emu.clear_faults()
    lines = [n for n in outcome.notes if "cluster lease not used" in n]
    assert len(lines) == 1, outcome.notes
    assert "KubernetesUnreachable" in lines[0] and "other kompox-tui instances" in lines[0]
    assert race.assigned() == [target]


def test_a_cluster_without_the_lease_api_is_one_line_not_a_loop(race: Race) -> None:
    target = next(d.name for d in race.disks() if not d.assigned)
    lease = _lease(race, "reader")
    lease.rest.request("DELETE", lease.path, operation="test", ok_missing=True)
    # As a server without coordination.k8s.io answers: 404 for the Lease and its list.
    race.emu.add_fault("GET|POST", r"/coordination\.k8s\.io/", status=404)
    try:
        outcome = race.driver.disk_assign("db", target)
    finally:
        race.emu.clear_faults()
    assert any("serves no" in n and "cluster lease not used" in n for n in outcome.notes)
    assert race.assigned() == [target]
