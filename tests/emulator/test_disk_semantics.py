"""Compute semantics the Kubernetes side and the volume browser rely on: attachment,
Azure's refusals for attached disks, the incremental snapshots' background copy, the 202
body of a write and normalised locations (real SDK clients over TLS)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError
from azure.core.rest import HttpRequest
from azure.mgmt.compute.models import Disk, Snapshot

from kompox_tui.emulator import Emulator
from kompox_tui.emulator.compute import set_disk_attachment
from kompox_tui.emulator.testing import ArmClients

VMSS = (
    "/subscriptions/{sub}/resourceGroups/MC_rg_c_japaneast/providers/Microsoft.Compute/"
    "virtualMachineScaleSets/aks-system-12345678-vmss/virtualMachines/0"
)


@pytest.fixture
def rg(arm: ArmClients, unique_name: Any) -> str:
    name: str = unique_name("rg")
    arm.create_rg(name)
    return name


def _snapshot(arm: ArmClients, rg: str, name: str, source_id: str) -> Snapshot:
    body = {
        "location": "japaneast",
        "properties": {
            "creationData": {"createOption": "Copy", "sourceResourceId": source_id},
            "incremental": True,
        },
    }
    return arm.compute.snapshots.begin_create_or_update(rg, name, Snapshot(body)).result()


def test_attachment_sets_managed_by_and_disk_state(
    arm: ArmClients, emulator: Emulator, rg: str
) -> None:
    disk = arm.create_disk(rg, "d1", size_gb=4)
    assert disk.disk_state == "Unattached" and disk.managed_by is None
    vm = VMSS.format(sub=emulator.subscription_id)
    assert set_disk_attachment(emulator.ctx.store, disk.id, vm) is True
    got = arm.compute.disks.get(rg, "d1")
    assert got.disk_state == "Attached"
    assert got.managed_by == vm
    assert got.last_ownership_update_time is not None
    assert set_disk_attachment(emulator.ctx.store, disk.id, None) is True
    got = arm.compute.disks.get(rg, "d1")
    assert got.disk_state == "Unattached" and got.managed_by is None
    assert set_disk_attachment(emulator.ctx.store, disk.id + "-missing", vm) is False


def test_attached_disk_cannot_be_deleted_or_resized(
    arm: ArmClients, emulator: Emulator, rg: str
) -> None:
    disk = arm.create_disk(rg, "d1", size_gb=4)
    vm = VMSS.format(sub=emulator.subscription_id)
    set_disk_attachment(emulator.ctx.store, disk.id, vm)
    with pytest.raises(ResourceExistsError) as info:  # 409
        arm.compute.disks.begin_delete(rg, "d1").result()
    assert info.value.error is not None
    assert info.value.error.code == "OperationNotAllowed"
    assert info.value.error.message == f"Disk d1 is attached to VM {vm}."
    with pytest.raises(HttpResponseError) as info2:
        arm.compute.disks.begin_update(rg, "d1", {"properties": {"diskSizeGB": 8}}).result()
    assert info2.value.status_code == 409
    assert info2.value.error is not None
    assert info2.value.error.code == "OperationNotAllowed"
    assert str(info2.value.error.message).startswith(
        f"Cannot resize disk d1 while it is attached to running VM {vm}. "
    )
    # tags still change on an attached disk; once detached it can be resized and deleted
    assert arm.compute.disks.begin_update(rg, "d1", {"tags": {"a": "1"}}).result().tags
    set_disk_attachment(emulator.ctx.store, disk.id, None)
    assert (
        arm.compute.disks.begin_update(rg, "d1", {"properties": {"diskSizeGB": 8}})
        .result()
        .disk_size_gb
        == 8
    )
    arm.compute.disks.begin_delete(rg, "d1").result()


def test_incremental_snapshot_completion_percent_rises_to_100(arm: ArmClients, rg: str) -> None:
    # 2000 GiB copy = 1000 emulated s = 1 s wall at speed 1000
    disk = arm.create_disk(rg, "d1", size_gb=2000, sku="Premium_LRS")
    snap = _snapshot(arm, rg, "s1", disk.id)
    first = snap.completion_percent
    assert first is not None and 0.0 <= first < 100.0
    # a Premium SSD snapshot is instant access: usable while it copies
    body = {
        "location": "japaneast",
        "properties": {"creationData": {"createOption": "Copy", "sourceResourceId": snap.id}},
    }
    arm.compute.disks.begin_create_or_update(rg, "d2", Disk(body)).result()
    deadline = time.monotonic() + 10
    while arm.compute.snapshots.get(rg, "s1").completion_percent < 100.0:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    listed = [s for s in arm.compute.snapshots.list_by_resource_group(rg) if s.name == "s1"]
    assert listed[0].completion_percent == 100.0


def test_disk_from_an_incomplete_premium_v2_snapshot_is_refused(arm: ArmClients, rg: str) -> None:
    disk = arm.create_disk(rg, "d1", size_gb=8000, sku="PremiumV2_LRS")
    snap = _snapshot(arm, rg, "s1", disk.id)
    assert snap.snapshot_access_state == "Pending"
    body = {
        "location": "japaneast",
        "properties": {"creationData": {"createOption": "Copy", "sourceResourceId": snap.id}},
    }
    with pytest.raises(HttpResponseError) as info:
        arm.compute.disks.begin_create_or_update(rg, "d2", Disk(body)).result()
    assert info.value.status_code == 409
    assert info.value.error is not None
    assert info.value.error.code == "OperationNotAllowed"
    assert "completionPercent" in str(info.value.error.message)


def test_first_202_body_echoes_the_request_like_the_spec_examples(
    arm: ArmClients, emulator: Emulator, rg: str
) -> None:
    url = (
        f"/subscriptions/{emulator.subscription_id}/resourceGroups/{rg}/providers/"
        "Microsoft.Compute/disks/d1?api-version=2026-03-02"
    )
    sent = {
        "location": "Japan East",
        "properties": {"creationData": {"createOption": "Empty"}, "diskSizeGB": 2},
    }
    resp = arm.compute.send_request(HttpRequest("PUT", url, json=sent))
    assert resp.status_code == 202
    assert resp.json() == {
        "id": f"/subscriptions/{emulator.subscription_id}/resourceGroups/{rg}/providers/"
        "Microsoft.Compute/disks/d1",
        "name": "d1",
        "location": "Japan East",
        "properties": {
            "creationData": {"createOption": "Empty"},
            "diskSizeGB": 2,
            "provisioningState": "Updating",
        },
    }
    # GET answers the normalised location
    got = arm.compute.send_request(HttpRequest("GET", url)).json()
    assert got["location"] == "japaneast"
    assert got["type"] == "Microsoft.Compute/disks"


def test_resource_group_location_is_normalised(arm: ArmClients, unique_name: Any) -> None:
    name = unique_name("rg")
    arm.resources.resource_groups.create_or_update(name, {"location": "Japan East"})
    assert arm.resources.resource_groups.get(name).location == "japaneast"
