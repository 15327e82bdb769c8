"""Disks and snapshots through the real ComputeManagementClient (begin_* pollers)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.core.rest import HttpRequest
from azure.mgmt.compute.models import Disk, Snapshot

from kompox_tui.emulator import Emulator
from kompox_tui.emulator.testing import ArmClients

GIB = 1024**3


def _disk_body(size: int = 32, sku: str = "Premium_LRS", **tags: str) -> dict[str, Any]:
    """The wire JSON. SDK calls wrap it as ``Disk(body)``: the model keeps the mapping as
    its JSON, so the same bytes go out as with a plain dict, and mypy sees the model type."""
    return {
        "location": "japaneast",
        "tags": tags,
        "sku": {"name": sku},
        "properties": {"creationData": {"createOption": "Empty"}, "diskSizeGB": size},
    }


def _snapshot_body(source_id: str, incremental: bool = True) -> dict[str, Any]:
    return {
        "location": "japaneast",
        "sku": {"name": "Standard_LRS"},
        "properties": {
            "creationData": {"createOption": "Copy", "sourceResourceId": source_id},
            "incremental": incremental,
        },
    }


def _disk_url(emu: Emulator, rg: str, name: str, kind: str = "disks") -> str:
    return (
        f"/subscriptions/{emu.subscription_id}/resourceGroups/{rg}/providers/"
        f"Microsoft.Compute/{kind}/{name}?api-version=2026-03-02"
    )


@pytest.fixture
def rg(arm: ArmClients, unique_name: Any) -> str:
    name: str = unique_name("rg")
    arm.create_rg(name)
    return name


def test_create_empty_disk_has_the_azure_shape(
    arm: ArmClients, emulator: Emulator, rg: str
) -> None:
    poller = arm.compute.disks.begin_create_or_update(rg, "d1", Disk(_disk_body(32, k="v")))
    initial = poller.polling_method()._initial_response.http_response  # type: ignore[attr-defined]
    assert initial.status_code == 202
    async_url = initial.headers["Azure-AsyncOperation"]
    assert re.fullmatch(
        re.escape(emulator.arm_url)
        + rf"/subscriptions/{emulator.subscription_id}/providers/Microsoft\.Compute/locations/"
        r"japaneast/DiskOperations/[0-9a-f-]{36}\?api-version=2026-03-02",
        async_url,
    )
    assert initial.headers["Location"] == async_url + "&monitor=true"
    assert initial.headers["Retry-After"] == "1"
    assert initial.json()["properties"]["provisioningState"] == "Updating"
    disk = poller.result()
    assert disk.id == (
        f"/subscriptions/{emulator.subscription_id}/resourceGroups/{rg}/providers/"
        "Microsoft.Compute/disks/d1"
    )
    assert disk.name == "d1"
    assert disk.type == "Microsoft.Compute/disks"
    assert disk.location == "japaneast"
    assert disk.tags == {"k": "v"}
    assert disk.sku is not None
    assert disk.sku.name == "Premium_LRS"
    assert disk.sku.tier == "Premium"
    assert disk.disk_size_gb == 32
    assert disk.disk_size_bytes == 32 * GIB
    assert disk.disk_state == "Unattached"
    assert disk.provisioning_state == "Succeeded"
    assert disk.creation_data.create_option == "Empty"
    assert re.fullmatch(r"[0-9a-f-]{36}", disk.unique_id)
    assert disk.tier == "P4"
    raw = arm.compute.send_request(HttpRequest("GET", _disk_url(emulator, rg, "d1"))).json()
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00", raw["properties"]["timeCreated"]
    )
    assert disk.time_created is not None


def test_provisioning_state_goes_updating_then_succeeded(arm_factory: Any) -> None:
    with Emulator(speed=5) as emu:  # 3 emulated s = 0.6 s of wall time
        arm = arm_factory(emu)
        arm.create_rg("rg1")
        poller = arm.compute.disks.begin_create_or_update("rg1", "d1", Disk(_disk_body(4)))
        assert arm.compute.disks.get("rg1", "d1").provisioning_state == "Updating"
        assert poller.result().provisioning_state == "Succeeded"
        assert arm.compute.disks.get("rg1", "d1").provisioning_state == "Succeeded"
        statuses = [r["status"] for r in emu.requests() if "/DiskOperations/" in r["path"]]
        assert len(statuses) >= 2  # polled while InProgress, then Succeeded


def test_operation_status_body(arm: ArmClients, emulator: Emulator, rg: str) -> None:
    poller = arm.compute.disks.begin_create_or_update(rg, "d1", Disk(_disk_body(1)))
    async_url = poller.polling_method()._initial_response.http_response.headers[  # type: ignore[attr-defined]
        "Azure-AsyncOperation"
    ]
    poller.result()
    body = arm.compute.send_request(HttpRequest("GET", async_url)).json()
    assert body["status"] == "Succeeded"
    assert body["name"] in async_url
    assert "startTime" in body and "endTime" in body
    monitor = arm.compute.send_request(HttpRequest("GET", async_url + "&monitor=true"))
    assert monitor.status_code == 200
    assert monitor.json()["name"] == "d1"


def test_put_on_existing_disk_is_202_like_a_create_and_keeps_identity(
    arm: ArmClients, emulator: Emulator, rg: str
) -> None:
    first = arm.create_disk(rg, "d1", size_gb=8)
    again = arm.compute.disks.begin_create_or_update(rg, "d1", Disk(_disk_body(16, x="y"))).result()
    assert again.unique_id == first.unique_id
    assert again.time_created == first.time_created
    assert again.disk_size_gb == 16
    assert again.tags == {"x": "y"}
    puts = [
        r["status"]
        for r in emulator.requests()
        if r["method"] == "PUT"
        and r["path"].endswith(f"/{rg}/providers/Microsoft.Compute/disks/d1")
    ]
    assert puts == [202, 202]  # the Compute RP answers 202 to every PUT (wire facts)


def test_update_tags_replaces_the_tag_map(arm: ArmClients, rg: str) -> None:
    arm.create_disk(rg, "d1", tags={"a": "1", "b": "2"})
    updated = arm.compute.disks.begin_update(rg, "d1", {"tags": {"c": "3"}}).result()
    assert updated.tags == {"c": "3"}
    assert arm.compute.disks.get(rg, "d1").tags == {"c": "3"}
    resized = arm.compute.disks.begin_update(rg, "d1", {"properties": {"diskSizeGB": 64}}).result()
    assert resized.disk_size_gb == 64
    assert resized.tags == {"c": "3"}  # no tags in the body: kept
    assert resized.tier == "P6"


def test_list_by_resource_group_pages_with_api_version(
    fresh_emulator: Emulator, arm_factory: Any
) -> None:
    fresh_emulator.ctx.page_size = 2
    arm = arm_factory(fresh_emulator)
    arm.create_rg("rg1")
    arm.create_rg("rg2")
    for i in range(5):
        arm.create_disk("rg1", f"d{i}", size_gb=1)
    arm.create_disk("rg2", "other", size_gb=1)
    names = [d.name for d in arm.compute.disks.list_by_resource_group("rg1")]
    assert sorted(names) == [f"d{i}" for i in range(5)]
    lists = [
        r
        for r in fresh_emulator.requests()
        if r["method"] == "GET" and r["path"].endswith("/rg1/providers/Microsoft.Compute/disks")
    ]
    assert len(lists) == 3
    assert all("api-version=2026-03-02" in r["query"] for r in lists)
    all_names = [d.name for d in arm.compute.disks.list()]
    assert sorted(all_names) == sorted([*names, "other"])


def test_list_in_a_missing_group_is_not_found(arm: ArmClients, unique_name: Any) -> None:
    with pytest.raises(ResourceNotFoundError) as info:
        list(arm.compute.disks.list_by_resource_group(unique_name("rg")))
    assert info.value.error is not None
    assert info.value.error.code == "ResourceGroupNotFound"


def test_delete_is_an_lro_and_missing_delete_is_fine(
    arm: ArmClients, emulator: Emulator, rg: str
) -> None:
    arm.create_disk(rg, "d1", size_gb=1)
    poller = arm.compute.disks.begin_delete(rg, "d1")
    initial = poller.polling_method()._initial_response.http_response  # type: ignore[attr-defined]
    assert initial.status_code == 202
    assert "/DiskOperations/" in initial.headers["Azure-AsyncOperation"]
    assert initial.headers["Location"].endswith("&monitor=true")
    poller.result()
    with pytest.raises(ResourceNotFoundError) as info:
        arm.compute.disks.get(rg, "d1")
    assert info.value.error is not None
    assert info.value.error.code == "ResourceNotFound"
    assert info.value.error.message == (
        f"The Resource 'Microsoft.Compute/disks/d1' under resource group '{rg}' was not "
        "found. For more details please go to https://aka.ms/ARMResourceNotFoundFix"
    )
    arm.compute.disks.begin_delete(rg, "d1").result()  # 204: nothing to do


def test_incremental_snapshot_and_copy_back_to_a_disk(arm: ArmClients, rg: str) -> None:
    disk = arm.create_disk(rg, "d1", size_gb=16)
    snap = arm.compute.snapshots.begin_create_or_update(
        rg, "s1", Snapshot(_snapshot_body(disk.id))
    ).result()
    assert snap.type == "Microsoft.Compute/snapshots"
    assert snap.sku is not None
    assert snap.sku.name == "Standard_LRS"
    assert snap.sku.tier == "Standard"
    assert snap.incremental is True
    assert snap.incremental_snapshot_family_id
    assert snap.disk_size_gb == 16
    assert snap.creation_data.create_option == "Copy"
    assert snap.creation_data.source_resource_id == disk.id
    assert snap.creation_data.source_unique_id == disk.unique_id
    snap2 = arm.compute.snapshots.begin_create_or_update(
        rg, "s2", Snapshot(_snapshot_body(disk.id))
    ).result()
    assert snap2.incremental_snapshot_family_id == snap.incremental_snapshot_family_id

    restored = arm.compute.disks.begin_create_or_update(
        rg,
        "d2",
        Disk(
            {
                "location": "japaneast",
                "sku": {"name": "Premium_LRS"},
                "properties": {
                    "creationData": {"createOption": "Copy", "sourceResourceId": snap.id}
                },
            }
        ),
    ).result()
    assert restored.disk_size_gb == 16
    assert restored.creation_data.source_resource_id == snap.id
    assert restored.creation_data.source_unique_id == snap.unique_id
    assert restored.unique_id not in (disk.unique_id, snap.unique_id)

    assert {s.name for s in arm.compute.snapshots.list_by_resource_group(rg)} == {"s1", "s2"}
    tagged = arm.compute.snapshots.begin_update(rg, "s1", {"tags": {"t": "1"}}).result()
    assert tagged.tags == {"t": "1"}
    arm.compute.snapshots.begin_delete(rg, "s1").result()
    assert {s.name for s in arm.compute.snapshots.list_by_resource_group(rg)} == {"s2"}
    assert any(s.name == "s2" for s in arm.compute.snapshots.list())


def test_copy_from_a_missing_source_is_not_found(
    arm: ArmClients, emulator: Emulator, rg: str
) -> None:
    missing = (
        f"/subscriptions/{emulator.subscription_id}/resourceGroups/{rg}/providers/"
        "Microsoft.Compute/snapshots/nope"
    )
    with pytest.raises(ResourceNotFoundError) as info:
        arm.compute.disks.begin_create_or_update(
            rg,
            "d1",
            Disk(
                {
                    "location": "japaneast",
                    "properties": {
                        "creationData": {"createOption": "Copy", "sourceResourceId": missing}
                    },
                }
            ),
        ).result()
    assert info.value.error is not None
    assert info.value.error.code == "NotFound"
    assert info.value.error.message == "Resource nope is not found."
    with pytest.raises(ResourceNotFoundError):
        arm.compute.snapshots.begin_create_or_update(
            rg, "s1", Snapshot(_snapshot_body(missing))
        ).result()


def test_missing_resource_group_errors_for_put_patch_delete_get(
    arm: ArmClients, unique_name: Any
) -> None:
    rg = unique_name("rg")
    calls = [
        lambda: arm.compute.disks.begin_create_or_update(rg, "d1", Disk(_disk_body())).result(),
        lambda: arm.compute.disks.begin_update(rg, "d1", {"tags": {}}).result(),
        lambda: arm.compute.disks.begin_delete(rg, "d1").result(),
        lambda: arm.compute.disks.get(rg, "d1"),
    ]
    for call in calls:
        with pytest.raises(ResourceNotFoundError) as info:
            call()
        assert info.value.error is not None
        assert info.value.error.code == "ResourceGroupNotFound"
        assert info.value.error.message == f"Resource group '{rg}' could not be found."


def test_patch_of_a_missing_disk_is_resource_not_found(arm: ArmClients, rg: str) -> None:
    with pytest.raises(ResourceNotFoundError) as info:
        arm.compute.disks.begin_update(rg, "nope", {"tags": {}}).result()
    assert info.value.error is not None
    assert info.value.error.code == "ResourceNotFound"


@pytest.mark.parametrize(
    ("body", "code", "status"),
    [
        (_disk_body(sku="Gold_LRS"), "InvalidParameter", 400),
        (
            {"location": "japaneast", "properties": {"creationData": {"createOption": "Empty"}}},
            "InvalidParameter",
            400,
        ),
        (
            {"location": "japaneast", "properties": {"diskSizeGB": 1}},
            "InvalidParameter",
            400,
        ),
        (_disk_body(size=0), "InvalidParameter", 400),
        (
            {
                "sku": {"name": "Premium_LRS"},
                "properties": {"creationData": {"createOption": "Empty"}, "diskSizeGB": 1},
            },
            "LocationRequired",
            400,
        ),
    ],
    ids=["bad-sku", "no-size", "no-create-option", "size-zero", "no-location"],
)
def test_invalid_disk_bodies(
    arm: ArmClients, rg: str, body: dict[str, Any], code: str, status: int
) -> None:
    with pytest.raises(HttpResponseError) as info:
        arm.compute.disks.begin_create_or_update(rg, "d1", Disk(body)).result()
    assert info.value.status_code == status
    assert info.value.error is not None
    assert info.value.error.code == code


def test_invalid_disk_name(arm: ArmClients, emulator: Emulator, rg: str) -> None:
    resp = arm.compute.send_request(
        HttpRequest("PUT", _disk_url(emulator, rg, "bad name"), json=_disk_body())
    )
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "InvalidResourceName"


def test_shrinking_a_disk_is_refused(arm: ArmClients, rg: str) -> None:
    arm.create_disk(rg, "d1", size_gb=8)
    with pytest.raises(HttpResponseError) as info:
        arm.compute.disks.begin_update(rg, "d1", {"properties": {"diskSizeGB": 4}}).result()
    assert info.value.status_code == 409


# --- no ETags (real Compute has none) -----------------------------------------------------


def test_disks_and_snapshots_carry_no_etag(arm: ArmClients, emulator: Emulator, rg: str) -> None:
    """The Disk and Snapshot models in the REST specs have no etag: no ETag header on GET,
    PUT or PATCH answers, and no etag field in the body."""
    disk = arm.create_disk(rg, "d1", size_gb=1, tags={"a": "1"})
    arm.compute.snapshots.begin_create_or_update(
        rg, "s1", Snapshot(_snapshot_body(disk.id))
    ).result()
    for kind, name in (("disks", "d1"), ("snapshots", "s1")):
        url = _disk_url(emulator, rg, name, kind)
        got = arm.compute.send_request(HttpRequest("GET", url))
        assert got.status_code == 200
        assert "ETag" not in got.headers
        assert "etag" not in {k.lower() for k in got.json()}
        patched = arm.compute.send_request(HttpRequest("PATCH", url, json={"tags": {"b": "2"}}))
        assert patched.status_code == 202
        assert "ETag" not in patched.headers


def test_conditional_headers_are_ignored_on_disks(
    arm: ArmClients, emulator: Emulator, rg: str
) -> None:
    """Compute takes no If-Match / If-None-Match on disks: a stale If-Match does not stop a
    PATCH, PUT or DELETE, and If-None-Match: * does not stop an overwrite (so nothing can
    rely on them for mutual exclusion)."""
    arm.create_disk(rg, "d1", size_gb=1, tags={"a": "1"})
    stale = '"00000000-0000-0000-0000-000000000000"'
    ok = arm.compute.disks.begin_update(
        rg, "d1", {"tags": {"b": "2"}}, headers={"If-Match": stale}
    ).result()
    assert ok.tags == {"b": "2"}
    again = arm.compute.disks.begin_create_or_update(
        rg, "d1", Disk(_disk_body(2)), headers={"If-None-Match": "*"}
    ).result()
    assert again.disk_size_gb == 2
    arm.compute.disks.begin_delete(rg, "d1", headers={"If-Match": stale}).result()
    with pytest.raises(ResourceNotFoundError):
        arm.compute.disks.get(rg, "d1")


def test_snapshot_conditional_headers_are_ignored_too(arm: ArmClients, rg: str) -> None:
    disk = arm.create_disk(rg, "d1", size_gb=1)
    arm.compute.snapshots.begin_create_or_update(
        rg, "s1", Snapshot(_snapshot_body(disk.id))
    ).result()
    done = arm.compute.snapshots.begin_update(
        rg, "s1", {"tags": {"x": "1"}}, headers={"If-Match": '"stale"'}
    ).result()
    assert done.tags == {"x": "1"}


# --- LRO failure and resource types -------------------------------------------------------


def test_lro_failure_surfaces_the_azure_error(arm: ArmClients, emulator: Emulator, rg: str) -> None:
    handle = emulator.add_fault(
        "PUT",
        rf"/{rg}/providers/Microsoft\.Compute/disks/dfail$",
        lro_error=(
            "QuotaExceeded",
            "Operation could not be completed as it results in exceeding approved quota.",
        ),
    )
    try:
        with pytest.raises(HttpResponseError) as info:
            arm.compute.disks.begin_create_or_update(rg, "dfail", Disk(_disk_body(1))).result()
    finally:
        emulator.faults.clear()
    assert handle.hits == 1
    assert info.value.error is not None
    assert info.value.error.code == "QuotaExceeded"
    assert arm.compute.disks.get(rg, "dfail").provisioning_state == "Failed"


def test_disk_resource_types_are_registered(emulator: Emulator, rg: str) -> None:
    disks = emulator.ctx.resource_type("Microsoft.Compute/disks")
    assert disks is not None
    rid = (
        f"/subscriptions/{emulator.subscription_id}/resourceGroups/{rg}/providers/"
        "Microsoft.Compute/disks/typed"
    )
    made = disks.create(emulator.ctx, rid, _disk_body(2), "x")
    assert made["properties"]["provisioningState"] == "Succeeded"
    assert made["properties"]["diskSizeBytes"] == 2 * GIB


def test_failed_patch_lro_leaves_the_disk_as_it_was(
    arm: ArmClients, emulator: Emulator, rg: str
) -> None:
    arm.compute.disks.begin_create_or_update(rg, "d1", Disk(_disk_body(1, keep="me"))).result()
    emulator.add_fault(
        "PATCH",
        rf"/{rg}/providers/Microsoft\.Compute/disks/d1$",
        lro_error=("OperationNotAllowed", "The disk is being reconfigured."),
    )
    try:
        with pytest.raises(HttpResponseError) as info:
            arm.compute.disks.begin_update(
                rg, "d1", {"tags": {"new": "tag"}, "properties": {"diskSizeGB": 8}}
            ).result()
    finally:
        emulator.faults.clear()
    assert info.value.error is not None
    assert info.value.error.code == "OperationNotAllowed"
    disk = arm.compute.disks.get(rg, "d1")
    assert disk.tags == {"keep": "me"}
    assert disk.disk_size_gb == 1
    assert disk.provisioning_state == "Failed"  # the state of the last operation
    # the failed update is not stuck: the next one applies
    assert arm.compute.disks.begin_update(rg, "d1", {"tags": {"new": "tag"}}).result().tags == {
        "new": "tag"
    }


def test_failed_put_update_lro_leaves_the_disk_as_it_was(
    arm: ArmClients, emulator: Emulator, rg: str
) -> None:
    arm.compute.disks.begin_create_or_update(rg, "d1", Disk(_disk_body(1, keep="me"))).result()
    emulator.add_fault(
        "PUT", rf"/{rg}/providers/Microsoft\.Compute/disks/d1$", lro_error="InternalError"
    )
    try:
        with pytest.raises(HttpResponseError):
            arm.compute.disks.begin_create_or_update(
                rg, "d1", Disk(_disk_body(2, other="x"))
            ).result()
    finally:
        emulator.faults.clear()
    disk = arm.compute.disks.get(rg, "d1")
    assert (disk.tags, disk.disk_size_gb) == ({"keep": "me"}, 1)


def test_disk_paging_is_not_shifted_by_a_delete_between_pages(
    fresh_emulator: Emulator, arm_factory: Any
) -> None:
    fresh_emulator.ctx.page_size = 2
    arm = arm_factory(fresh_emulator)
    arm.create_rg("rg1")
    for i in range(7):
        arm.create_disk("rg1", f"d{i}", size_gb=1)
    pages = arm.compute.disks.list_by_resource_group("rg1").by_page()
    assert [d.name for d in next(pages)] == ["d0", "d1"]
    arm.compute.disks.begin_delete("rg1", "d0").result()
    assert [d.name for page in pages for d in page] == ["d2", "d3", "d4", "d5", "d6"]


def test_disk_list_next_link_carries_api_version_and_an_opaque_token(
    arm: ArmClients, emulator: Emulator, rg: str
) -> None:
    emulator.ctx.page_size = 1
    try:
        arm.create_disk(rg, "a", size_gb=1)
        arm.create_disk(rg, "b", size_gb=1)
        url = _disk_url(emulator, rg, "").replace("/?", "?")
        raw = arm.compute.send_request(HttpRequest("GET", url))
        body = raw.json()
        assert [d["name"] for d in body["value"]] == ["a"]
        assert body["nextLink"].startswith(emulator.arm_url)
        assert "api-version=2026-03-02" in body["nextLink"]
        bad = arm.compute.send_request(
            HttpRequest("GET", body["nextLink"].split("$skiptoken=")[0] + "$skiptoken=%25%25")
        )
        assert bad.status_code == 400
        assert bad.json()["error"]["code"] == "InvalidParameter"
    finally:
        emulator.ctx.page_size = 100


def test_update_put_and_patch_answer_202_with_both_polling_headers(
    arm: ArmClients, rg: str
) -> None:
    arm.create_disk(rg, "d1", size_gb=1)
    for poller in (
        arm.compute.disks.begin_create_or_update(rg, "d1", Disk(_disk_body(2))),
        arm.compute.disks.begin_update(rg, "d1", {"tags": {"a": "b"}}),
    ):
        initial = poller.polling_method()._initial_response.http_response  # type: ignore[attr-defined]
        assert initial.status_code == 202
        assert "/DiskOperations/" in initial.headers["Azure-AsyncOperation"]
        assert initial.headers["Location"].endswith("&monitor=true")
        poller.result()
    assert arm.compute.disks.get(rg, "d1").tags == {"a": "b"}
