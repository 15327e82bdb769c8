"""Volume lists page over the raw JSON with the compute client's pipeline (perf-list).

Real azure-mgmt-compute client, real TLS, the session emulator with a small page size.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import pytest
from azure.mgmt.compute.models import Disk

from kompox_tui import naming
from kompox_tui.errors import AzureError

if TYPE_CHECKING:
    from volumes_fixtures import VolEnv

pytest_plugins = ["volumes_fixtures"]

PAGE = 2


@pytest.fixture
def small_pages(vol_env: VolEnv) -> Iterator[VolEnv]:
    ctx = vol_env.emu.ctx
    saved = ctx.page_size
    ctx.page_size = PAGE
    try:
        yield vol_env
    finally:
        ctx.page_size = saved


def _list_calls(env: VolEnv, kind: str) -> list[Any]:
    return [
        c
        for c in env.calls()
        if c.method == "GET" and c.path.lower().endswith(f"/providers/microsoft.compute/{kind}")
    ]


def test_every_page_is_read_and_each_page_is_one_api_call(small_pages: VolEnv) -> None:
    env = small_pages
    d = env.driver
    made = [d.disk_create("db") for _ in range(3)]
    d.snapshot_create("db", made[0].name)
    # foreign disks in the same RG spread the volume's disks over more pages
    foreign = env.arm.compute.disks
    for _ in range(2):
        foreign.begin_create_or_update(
            env.rg,
            f"other-{naming.new_ulid()}",
            Disk(
                {
                    "location": "japaneast",
                    "sku": {"name": "Premium_LRS"},
                    "properties": {"creationData": {"createOption": "Empty"}, "diskSizeGB": 1},
                    "tags": naming.disk_tags(env.lv_key, naming.new_ulid(), True),
                }
            ),
        ).result()
    mark = env.mark()
    env.events.clear()

    disks = d.disk_list("db")
    assert sorted(x.name for x in disks) == sorted(x.name for x in made)
    assert [x.created_at for x in disks] == sorted((x.created_at for x in disks), reverse=True)
    assert [x.assigned for x in disks].count(True) == 1
    # 5 disks, 2 per page: 3 GETs, one ApiCallEvent each, all 200
    calls = env.calls()
    assert [(c.method, c.status) for c in calls] == [("GET", 200)] * 3
    assert len(_list_calls(env, "disks")) == 3
    # the server saw the same three GETs: the first page, then nextLink verbatim
    requests = env.requests_since(mark, "/providers/Microsoft.Compute/disks")
    queries = [dict(parse_qsl(str(r["query"]))) for r in requests]
    tokens = [q.get("$skiptoken") for q in queries]
    assert tokens[0] is None and all(tokens[1:]) and len(set(tokens[1:])) == 2
    assert all(q.get("api-version") for q in queries)

    env.events.clear()
    snaps = d.snapshot_list("db")
    assert [s.source_disk for s in snaps] == [made[0].name]
    assert [(c.method, c.status) for c in env.calls()] == [("GET", 200)]


def test_a_failing_later_page_maps_to_the_typed_error(small_pages: VolEnv) -> None:
    env = small_pages
    for _ in range(3):
        env.driver.disk_create("db")
    env.emu.add_fault(
        "GET",
        r"/providers/Microsoft\.Compute/disks$",
        status=403,
        code="AuthorizationFailed",
        nth=2,
    )
    env.events.clear()
    with pytest.raises(AzureError) as info:
        env.driver.disk_list("db")
    assert (info.value.status, info.value.code) == (403, "AuthorizationFailed")
    assert [c.status for c in env.calls()] == [200, 403]


def test_a_404_that_is_not_resource_group_not_found_is_raised(vol_env: VolEnv) -> None:
    env = vol_env
    env.driver.disk_create("db")
    env.emu.add_fault(
        "GET", r"/providers/Microsoft\.Compute/snapshots$", status=404, code="ResourceNotFound"
    )
    with pytest.raises(AzureError) as info:
        env.driver.snapshot_list("db")
    assert (info.value.status, info.value.code) == (404, "ResourceNotFound")
