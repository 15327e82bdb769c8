"""Volume driver under faults and races: throttling, 5xx, lost answers, interrupted
assigns, and concurrent assigns from other threads and another process (no disk ETags,
as in real Compute)."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from kompox_tui import naming
from kompox_tui.errors import AzureError, ConflictError, KompoxError

if TYPE_CHECKING:
    from volumes_fixtures import VolEnv

pytest_plugins = ["volumes_fixtures"]

ROOT = Path(__file__).resolve().parent.parent.parent


def disks_path(env: VolEnv) -> str:
    return f"/resourceGroups/{re.escape(env.rg)}/providers/Microsoft.Compute/disks"


def statuses(env: VolEnv, mark: int, method: str, fragment: str) -> list[int]:
    return [r["status"] for r in env.requests_since(mark, fragment) if r["method"] == method]


@pytest.mark.parametrize(("first", "second"), [(429, 503), (503, 429)])
def test_throttling_and_unavailable_are_retried_to_success(
    vol_env: VolEnv, first: int, second: int
) -> None:
    env = vol_env
    d = env.driver
    a = d.disk_create("db")
    base = disks_path(env)
    mark = env.mark()
    env.emu.add_fault("GET", base + "$", status=first, count=1)
    env.emu.add_fault("PUT", base + "/", status=second, count=1)
    env.emu.add_fault("PATCH", base + "/", status=first, count=2)
    b = d.disk_create("db")  # list (fault) + PUT (fault)
    d.disk_assign("db", b.name)  # list + PATCH a (fault) + PATCH b (fault)
    assert env.assigned() == [b.name]
    assert a.name != b.name
    list_statuses = statuses(
        env, mark, "GET", f"/resourceGroups/{env.rg}/providers/Microsoft.Compute/disks?"
    )
    del list_statuses
    log = env.requests_since(mark, env.rg)
    seen = [(r["method"], r["status"]) for r in log]
    assert ("GET", first) in seen and ("PUT", second) in seen
    assert [s for m, s in seen if m == "PATCH"].count(first) == 2
    assert statuses(env, mark, "PUT", b.azure_name)[-1] in (200, 202)


def test_a_lost_answer_on_the_set_is_settled_by_a_fresh_list_not_raised(
    vol_env: VolEnv,
) -> None:
    # The target's PATCH is applied, then the connection drops before the answer
    # (azure-core does not retry a PATCH): the assign re-lists and reports what it shows.
    env = vol_env
    d = env.driver
    a = d.disk_create("db")
    b = d.disk_create("db")
    rule = env.emu.add_fault("PATCH", re.escape(b.azure_name), drop_after=True, count=1)
    mark = env.mark()
    outcome = d.disk_assign("db", b.name)
    assert rule.hits == 1
    assert env.assigned() == [b.name]
    assert any("answer to the tag write was lost" in n for n in outcome.notes), outcome
    assert outcome.previous == (a.name,)
    log = [(r["method"], str(r["path"])) for r in env.requests_since(mark, env.rg)]
    dropped = max(i for i, (m, p) in enumerate(log) if m == "PATCH" and b.azure_name in p)
    assert any(m == "GET" and p.endswith("/disks") for m, p in log[dropped + 1 :]), log


def test_a_lost_answer_on_a_clear_is_settled_and_the_swap_goes_on(vol_env: VolEnv) -> None:
    env = vol_env
    d = env.driver
    a = d.disk_create("db")
    b = d.disk_create("db")
    rule = env.emu.add_fault("PATCH", re.escape(a.azure_name), drop_after=True, count=1)
    d.disk_assign("db", b.name)  # the fresh list shows a cleared: b is set
    assert rule.hits == 1
    assert env.assigned() == [b.name]


def test_tag_writes_carry_no_if_match_since_disks_have_no_etag(vol_env: VolEnv) -> None:
    # Real Compute sends no ETag for disks and ignores If-Match: the swap must not
    # pretend to be protected by one. (A 412 from a misbehaving proxy is just an error.)
    env = vol_env
    d = env.driver
    d.disk_create("db")
    b = d.disk_create("db")
    raw = env.arm.compute.disks.get(env.rg, b.azure_name, cls=lambda pr, obj, h: pr)
    assert "ETag" not in raw.http_response.headers
    env.emu.add_fault("PATCH", re.escape(b.azure_name), status=412, code="PreconditionFailed")
    with pytest.raises(AzureError, match="PreconditionFailed") as info:
        d.disk_assign("db", b.name)
    assert "NO assigned disk" in str(info.value)  # what the fresh list shows
    assert f"re-run assign of disk {b.name}" in str(info.value)
    patches = [r for r in env.requests_since(0, b.azure_name) if r["method"] == "PATCH"]
    assert len(patches) == 1, "a 412 is not retried: there is no ETag to re-read"


def test_failure_after_clearing_leaves_zero_assigned_and_a_rerun_repairs(
    vol_env: VolEnv,
) -> None:
    env = vol_env
    d = env.driver
    a = d.disk_create("db")
    b = d.disk_create("db")
    env.emu.add_fault("PATCH", re.escape(b.azure_name), status=400, code="Injected", count=1)
    with pytest.raises(AzureError) as info:
        d.disk_assign("db", b.name)
    message = str(info.value)
    assert "Injected" in message and "NO assigned disk now" in message
    assert f"re-run assign of disk {b.name}" in message
    assert env.disk_tags(a.name)[naming.TAG_DISK_ASSIGNED] == "false"
    health = d.volume_health("db")
    assert (health.assigned, health.state) == (0, "inconsistent")
    d.disk_assign("db", b.name)  # the repair
    health = d.volume_health("db")
    assert (health.assigned_disks, health.state) == ((b.name,), "ok")


def test_a_failed_clear_never_sets_the_target(vol_env: VolEnv) -> None:
    env = vol_env
    d = env.driver
    a = d.disk_create("db")
    b = d.disk_create("db")
    c = d.disk_create("db")
    # make the volume inconsistent: a and c both assigned
    tags = env.disk_tags(c.name) | {naming.TAG_DISK_ASSIGNED: "true"}
    env.arm.compute.disks.begin_update(env.rg, c.azure_name, {"tags": tags}).result()
    assert d.volume_health("db").assigned == 2
    env.emu.add_fault("PATCH", re.escape(a.azure_name), status=400, code="Injected", count=1)
    mark = env.mark()
    with pytest.raises(KompoxError, match=f"'{b.name}' is not assigned; assigned now: {a.name}"):
        d.disk_assign("db", b.name)
    assert statuses(env, mark, "PATCH", b.azure_name) == []
    assert set(env.assigned()) == {a.name}  # c was cleared, a failed, b untouched
    d.disk_assign("db", b.name)
    assert env.assigned() == [b.name]


def test_concurrent_assigns_from_threads_end_with_exactly_one_assigned(
    vol_env_factory: Any,
) -> None:
    env: VolEnv = vol_env_factory()
    disks = [env.driver.disk_create("db") for _ in range(4)]
    drivers = [env.driver] + [vol_env_factory(app_rg=env.rg).driver for _ in range(3)]
    for drv in drivers:
        drv.disk_list("db")  # warm up tokens so the assigns really overlap
    env.emu.add_fault("PATCH", disks_path(env) + "/", latency=(0.0, 0.03))
    for round_ in range(3):
        barrier = threading.Barrier(len(drivers))
        results: list[str] = []

        def run(
            drv: Any, disk: str, barrier: threading.Barrier = barrier, results: list[str] = results
        ) -> None:
            barrier.wait()
            try:
                drv.disk_assign("db", disk)
                results.append("ok")
            except ConflictError:
                results.append("conflict")

        threads = [
            threading.Thread(target=run, args=(drv, disks[(i + round_) % 4].name))
            for i, drv in enumerate(drivers)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(20)
        assigned = env.assigned()
        assert len(assigned) == 1, (round_, assigned, results)
        assert "ok" in results


SECOND_PROCESS = r"""
import sys, time
from kompox_tui.azure.driver import AksDriver
from kompox_tui.config import load_config
from kompox_tui.errors import ConflictError

driver = AksDriver(load_config(sys.argv[1]))
driver.clients.polling_interval = 0.01
driver.clients.retry_backoff_factor = 0.01
driver.disk_list("db")
print("ready", flush=True)
for line in sys.stdin:
    start, disk = line.split()
    while time.time() < float(start):
        time.sleep(0.0005)
    try:
        driver.disk_assign("db", disk)
        print("ok", flush=True)
    except ConflictError:
        print("conflict", flush=True)
driver.close()
"""


def test_a_second_process_assigning_another_disk_ends_with_exactly_one_assigned(
    vol_env: VolEnv, tmp_path: Path
) -> None:
    env = vol_env
    d = env.driver
    script = tmp_path / "second.py"
    script.write_text(SECOND_PROCESS)
    # started first: its imports and token fetch overlap with creating the disks here
    proc = subprocess.Popen(
        [sys.executable, str(script), str(env.config.path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        disks = [d.disk_create("db") for _ in range(3)]
        assert proc.stdout is not None and proc.stdin is not None
        assert proc.stdout.readline().strip() == "ready"
        env.emu.add_fault("PATCH", disks_path(env) + "/", latency=(0.0, 0.02))
        for round_ in range(3):
            mine = disks[round_ % 3].name
            theirs = disks[(round_ + 1) % 3].name
            start = time.time() + 0.15
            proc.stdin.write(f"{start} {theirs}\n")
            proc.stdin.flush()
            while time.time() < start:
                time.sleep(0.0005)
            outcome = "ok"
            try:
                d.disk_assign("db", mine)
            except ConflictError:
                outcome = "conflict"
            other = proc.stdout.readline().strip()
            assert other in ("ok", "conflict")
            assigned = env.assigned()
            assert len(assigned) == 1, (round_, assigned, outcome, other)
            assert assigned[0] in (mine, theirs)
            assert "ok" in (outcome, other)
    finally:
        if proc.stdin:
            proc.stdin.close()
        proc.wait(10)


def test_a_failed_long_running_operation_carries_the_azure_code(vol_env: VolEnv) -> None:
    env = vol_env
    env.driver.disk_create("db")
    env.emu.add_fault(
        "PUT",
        f"/resourceGroups/{re.escape(env.rg)}/providers/Microsoft.Compute/snapshots/",
        lro_error=("QuotaExceeded", "Snapshot quota exceeded for this subscription."),
        count=1,
    )
    with pytest.raises(AzureError) as info:
        env.driver.snapshot_create("db")
    assert info.value.code == "QuotaExceeded"
    assert "Snapshot quota exceeded" in str(info.value)
    assert "snapshot create" in str(info.value)


def test_concurrent_first_creates_leave_exactly_one_assigned(vol_env_factory: Any) -> None:
    env: VolEnv = vol_env_factory()
    drivers = [env.driver] + [vol_env_factory(app_rg=env.rg).driver for _ in range(2)]
    arm = env.arm
    arm.create_rg(env.rg)  # so every create sees an empty volume, none creates the RG
    for drv in drivers:
        drv.disk_list("db")
    barrier = threading.Barrier(len(drivers))
    made: list[Any] = []

    def run(drv: Any) -> None:
        barrier.wait()
        made.append(drv.disk_create("db"))

    threads = [threading.Thread(target=run, args=(drv,)) for drv in drivers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert len(made) == 3
    assigned = env.assigned()
    assert len(assigned) == 1
    assert assigned[0] in {d.name for d in made}


def test_a_dropped_connection_on_create_is_retried_without_a_false_conflict(
    vol_env: VolEnv,
) -> None:
    env = vol_env
    env.driver.disk_create("db")
    rule = env.emu.add_fault("PUT", disks_path(env) + "/", drop=True, count=1)
    disk = env.driver.disk_create("db")
    assert rule.hits == 1
    assert disk.assigned is False
    assert len(env.driver.disk_list("db")) == 2


def test_long_running_operations_do_not_wait_for_the_client_polling_interval(
    vol_env: VolEnv,
) -> None:
    # The emulator scales Retry-After with its speed (0.001 s at speed 1000) and azure-core
    # sleeps for Retry-After when present, so a 1 s client polling interval never applies.
    env = vol_env
    env.driver.disk_create("db")
    env.driver.clients.polling_interval = 1.0
    env.ops.polling_interval = 5.0
    started = time.monotonic()
    disk = env.driver.disk_create("db")
    env.driver.disk_assign("db", disk.name)
    assert time.monotonic() - started < 0.9
