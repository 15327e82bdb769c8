"""The volume driver on a kompoxops-made estate, through the emulator over HTTPS.

Disks and snapshots are created behind the driver's back by the raw SDK
(azure-mgmt-compute) with exactly the names and tags real kompoxops v0.0.23 writes
(kompox-real-facts.md §3-§5, vector V2: workspace ws1, provider prv1, cluster cls1,
app app1, volume data). The driver must list, snapshot, restore and delete them, and
what it writes must be what kompoxops would write.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from azure.core.exceptions import HttpResponseError
from azure.mgmt.compute.models import Snapshot
from volumes_fixtures import fast_volume_driver

from kompox_tui.azure.driver import AksDriver
from kompox_tui.azure.volumes import disk_from_item, node_name, snapshot_from_item
from kompox_tui.config import load_config
from kompox_tui.emulator import Emulator
from kompox_tui.emulator.compute import set_disk_attachment
from kompox_tui.emulator.testing import ArmClients
from kompox_tui.errors import AzureError, PreconditionError
from kompox_tui.model import (
    App,
    Cluster,
    Config,
    DriverEvent,
    ProgressEvent,
    Provider,
    Settings,
    Volume,
    Workspace,
)

# Vector V2 of the facts file, literally.
APP_RG = "k4x-32kff1_app_app1_k9x84f"
DISK = "0tahnft3k9zq"
SNAP = "0tahnfu7b2mx"
DISK_RES = "k4x-32kff1_disk_data_0tahnft3k9zq_k9x84f"
SNAP_RES = "k4x-32kff1_snap_data_0tahnfu7b2mx_k9x84f"
APP_TAGS = {
    "kompox-workspace-name": "ws1",
    "kompox-provider-name": "prv1",
    "kompox-app-name": "app1",
    "kompox-app-id-hash": "k9x84f",
    "managed-by": "kompox",
}
COMPACT = re.compile(r"^[0-9a-z]{12}$")


def write_kompoxops_file(
    emu: Emulator, path: Path, *, options: dict[str, Any] | None = None, zone: str = ""
) -> Config:
    """A real-shaped kompoxops.yml (``workspace:``, no RG settings, compose, options)."""
    emu.write_config(
        path,
        service=None,
        provider="prv1",
        cluster="cls1",
        app="app1",
        volumes=(("data", "10Gi"),),
    )
    doc = yaml.safe_load(path.read_text())
    doc["workspace"] = {"name": "ws1"}
    del doc["cluster"]["settings"]["AZURE_RESOURCE_GROUP_NAME"]
    del doc["app"]["settings"]["AZURE_RESOURCE_GROUP_NAME"]
    doc["app"]["compose"] = "services:\n  app:\n    image: nginx\n"
    if options:
        doc["app"]["volumes"][0]["options"] = options
    if zone:
        doc["app"]["deployment"] = {"zone": zone}
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    config = load_config(path)
    assert config.layout == "kompoxops"
    return config


@dataclass
class KxEnv:
    emu: Emulator
    config: Config
    driver: AksDriver
    events: list[DriverEvent]
    arm: ArmClients

    def disk(self, name: str) -> Any:
        return self.arm.compute.disks.get(APP_RG, name)

    def snapshot(self, name: str) -> Any:
        return self.arm.compute.snapshots.get(APP_RG, name)

    def infos(self) -> list[str]:
        return [e.message for e in self.events if isinstance(e, ProgressEvent)]


@pytest.fixture
def kx(fresh_emulator: Emulator, tmp_path: Path) -> Iterator[KxEnv]:
    """A fresh emulator holding what ``kompoxops disk create`` + ``snapshot create`` made."""
    emu = fresh_emulator
    config = write_kompoxops_file(emu, tmp_path / "kompoxops.yml")
    arm = ArmClients(emu)
    arm.resources.resource_groups.create_or_update(
        APP_RG, {"location": "japaneast", "tags": APP_TAGS}
    )
    disk_tags = {
        **APP_TAGS,
        "kompox-volume": "data",
        "kompox-disk-name": DISK,
        "kompox-disk-assigned": "true",
    }
    disk = arm.create_disk(APP_RG, DISK_RES, size_gb=10, tags=disk_tags)
    # kompoxops v0.0.23 sends no incremental flag and no SKU: a full snapshot.
    arm.compute.snapshots.begin_create_or_update(
        APP_RG,
        SNAP_RES,
        Snapshot(
            {
                "location": "japaneast",
                "tags": {**APP_TAGS, "kompox-volume": "data", "kompox-snapshot-name": SNAP},
                "properties": {
                    "creationData": {"createOption": "Copy", "sourceResourceId": disk["id"]}
                },
            }
        ),
    ).result()
    driver, events = fast_volume_driver(config)
    yield KxEnv(emu, config, driver, events, arm)
    driver.close()
    arm.close()


def test_kompoxops_disks_and_snapshots_are_listed_with_their_kompoxops_names(kx: KxEnv) -> None:
    # Noise kompoxops itself would skip (no disk-name tag; another volume) and a snapshot
    # of another volume, which v0.0.23 would wrongly list under "data" too.
    kx.arm.create_disk(APP_RG, "stray", size_gb=1, tags={"kompox-volume": "data"})
    kx.arm.create_disk(
        APP_RG, "other", size_gb=1, tags={"kompox-volume": "logs", "kompox-disk-name": "x1"}
    )
    kx.arm.compute.snapshots.begin_create_or_update(
        APP_RG,
        "k4x-32kff1_snap_logs_0tahnfu7aaaa_k9x84f",
        Snapshot(
            {
                "location": "japaneast",
                "tags": {
                    **APP_TAGS,
                    "kompox-volume": "logs",
                    "kompox-snapshot-name": "0tahnfu7aaaa",
                },
                "properties": {
                    "creationData": {
                        "createOption": "Copy",
                        "sourceResourceId": kx.disk(DISK_RES)["id"],
                    }
                },
            }
        ),
    ).result()

    disks = kx.driver.disk_list("data")
    assert [(d.name, d.azure_name, d.assigned, d.size_gib) for d in disks] == [
        (DISK, DISK_RES, True, 10)
    ]
    assert disks[0].resource_id.endswith(
        f"/resourceGroups/{APP_RG}/providers/Microsoft.Compute/disks/{DISK_RES}"
    )
    assert disks[0].provisioning_state == "Succeeded"
    assert disks[0].disk_state == "Unattached"
    snaps = kx.driver.snapshot_list("data")
    assert [(s.name, s.azure_name) for s in snaps] == [(SNAP, SNAP_RES)]
    # kompoxops writes no kompox-disk-name on snapshots: the lineage comes from
    # creationData.sourceResourceId, which names the listed disk.
    assert snaps[0].source_disk == DISK
    assert snaps[0].incremental is False


def test_snapshot_create_names_and_tags_it_as_kompoxops_and_sends_a_full_snapshot(
    kx: KxEnv,
) -> None:
    snap = kx.driver.snapshot_create("data")  # of the assigned disk
    assert COMPACT.match(snap.name)
    assert snap.azure_name == f"k4x-32kff1_snap_data_{snap.name}_k9x84f"
    raw = kx.snapshot(snap.azure_name)
    assert raw["tags"] == {**APP_TAGS, "kompox-volume": "data", "kompox-snapshot-name": snap.name}
    assert not raw["properties"].get("incremental")
    assert raw["properties"]["creationData"]["sourceResourceId"].endswith(f"/disks/{DISK_RES}")
    assert [s.name for s in kx.driver.snapshot_list("data")][:1] == [snap.name]  # newest first


def test_restore_makes_a_compactid_disk_sized_and_tagged_as_kompoxops(kx: KxEnv) -> None:
    disk = kx.driver.snapshot_restore("data", SNAP)
    assert COMPACT.match(disk.name)
    assert disk.azure_name == f"k4x-32kff1_disk_data_{disk.name}_k9x84f"
    assert disk.assigned is False
    raw = kx.disk(disk.azure_name)
    assert raw["tags"] == {
        **APP_TAGS,
        "kompox-volume": "data",
        "kompox-disk-name": disk.name,
        "kompox-disk-assigned": "false",
    }
    assert raw["sku"]["name"] == "Premium_LRS"
    assert raw["properties"]["diskSizeGB"] == 10
    creation = raw["properties"]["creationData"]
    assert creation["createOption"] == "Copy"
    assert creation["sourceResourceId"].endswith(f"/snapshots/{SNAP_RES}")
    # The full resource name is accepted as well as the short name.
    again = kx.driver.snapshot_restore("data", SNAP_RES)
    assert again.name != disk.name
    assert {d.name for d in kx.driver.disk_list("data")} == {DISK, disk.name, again.name}


def test_snapshot_delete_deletes_the_kompoxops_snapshot(kx: KxEnv) -> None:
    kx.driver.snapshot_delete("data", SNAP)
    assert kx.driver.snapshot_list("data") == []
    kx.driver.snapshot_delete("data", SNAP)  # absent: success


def test_disk_create_uses_options_zone_and_floor_size_and_is_not_assigned(
    fresh_emulator: Emulator, tmp_path: Path
) -> None:
    config = write_kompoxops_file(
        fresh_emulator,
        tmp_path / "kompoxops.yml",
        options={"sku": "PremiumV2_LRS", "iops": 4000, "mbps": 200.0},
        zone="2",
    )
    driver, events = fast_volume_driver(config)
    arm = ArmClients(fresh_emulator)
    try:
        disk = driver.disk_create("data")  # the RG does not exist yet
        assert COMPACT.match(disk.name)
        assert disk.assigned is False  # kompoxops >= v0.0.14 never auto-assigns
        raw = arm.compute.disks.get(APP_RG, disk.azure_name)
        assert raw["sku"]["name"] == "PremiumV2_LRS"
        assert raw["zones"] == ["2"]
        assert raw["properties"]["diskIOPSReadWrite"] == 4000
        assert raw["properties"]["diskMBpsReadWrite"] == 200
        assert raw["properties"]["diskSizeGB"] == 10
        assert raw["location"] == "japaneast"
        listed = driver.disk_list("data")[0]
        assert (listed.zone, listed.iops, listed.mbps, listed.sku) == (
            "2",
            4000,
            200,
            "PremiumV2_LRS",
        )
        rg = arm.resources.resource_groups.get(APP_RG)
        assert rg["tags"] == APP_TAGS
        # No cluster deployment yet: the Contributor grant is skipped, and said so.
        assert any(
            "not granted" in m for m in (e.message for e in events if isinstance(e, ProgressEvent))
        )
    finally:
        driver.close()
        arm.close()


def test_attached_disk_shows_its_node(kx: KxEnv) -> None:
    disk_id = kx.disk(DISK_RES)["id"]
    vmss = (
        f"/subscriptions/{kx.emu.subscription_id}/resourceGroups/k4x-32kff1_cls_cls1_5pfy6x_mc"
        "/providers/Microsoft.Compute/virtualMachineScaleSets/aks-npsystem-12345678-vmss"
        "/virtualMachines/10"
    )
    assert set_disk_attachment(kx.emu.ctx.store, disk_id, vmss)
    disk = kx.driver.disk_list("data")[0]
    assert disk.disk_state == "Attached"
    assert disk.managed_by == vmss
    assert disk.node == "aks-npsystem-12345678-vmss00000a"
    assert disk.attached


def test_restore_of_a_failed_snapshot_is_refused_before_any_call(kx: KxEnv) -> None:
    name = "k4x-32kff1_snap_data_0tahnfu7zzzz_k9x84f"
    kx.emu.add_fault("PUT", re.escape(name), lro_error=("QuotaExceeded", "Quota exceeded"))
    with pytest.raises(HttpResponseError):  # the raw SDK sees the failed operation
        kx.arm.compute.snapshots.begin_create_or_update(
            APP_RG,
            name,
            Snapshot(
                {
                    "location": "japaneast",
                    "tags": {
                        **APP_TAGS,
                        "kompox-volume": "data",
                        "kompox-snapshot-name": "0tahnfu7zzzz",
                    },
                    "properties": {
                        "creationData": {
                            "createOption": "Copy",
                            "sourceResourceId": kx.disk(DISK_RES)["id"],
                        }
                    },
                }
            ),
        ).result()
    kx.emu.clear_faults()
    failed = next(s for s in kx.driver.snapshot_list("data") if s.name == "0tahnfu7zzzz")
    assert failed.provisioning_state == "Failed"
    mark = len(kx.emu.requests())
    with pytest.raises(PreconditionError, match=r"failed \(provisioningState Failed\)") as info:
        kx.driver.snapshot_restore("data", "0tahnfu7zzzz")
    assert "take a new snapshot" in (info.value.hint or "")
    writes = [r for r in kx.emu.requests()[mark:] if r["method"] in ("PUT", "PATCH", "DELETE")]
    assert writes == []


def test_restore_of_a_pending_premium_v2_snapshot_is_refused_with_azures_reason(
    kx: KxEnv,
) -> None:
    src = kx.arm.create_disk(
        APP_RG,
        "k4x-32kff1_disk_data_0tahnft3v2v2_k9x84f",
        size_gb=32767,  # the emulated copy takes 0.5 s/GiB: ~16 s real at speed 1000
        sku="PremiumV2_LRS",
        tags={**APP_TAGS, "kompox-volume": "data", "kompox-disk-name": "0tahnft3v2v2"},
    )
    kx.arm.compute.snapshots.begin_create_or_update(
        APP_RG,
        "k4x-32kff1_snap_data_0tahnfu7v2v2_k9x84f",
        Snapshot(
            {
                "location": "japaneast",
                "tags": {
                    **APP_TAGS,
                    "kompox-volume": "data",
                    "kompox-snapshot-name": "0tahnfu7v2v2",
                },
                "properties": {
                    "incremental": True,
                    "creationData": {"createOption": "Copy", "sourceResourceId": src["id"]},
                },
            }
        ),
    ).result()
    snap = next(s for s in kx.driver.snapshot_list("data") if s.name == "0tahnfu7v2v2")
    assert snap.incremental is True
    assert snap.copying and snap.access_state == "Pending"
    mark = len(kx.emu.requests())
    with pytest.raises(PreconditionError, match="until its background copy completes"):
        kx.driver.snapshot_restore("data", "0tahnfu7v2v2")
    assert [r for r in kx.emu.requests()[mark:] if r["method"] == "PUT"] == []


def test_assign_moves_the_kompoxops_tag_to_a_restored_disk(kx: KxEnv) -> None:
    restored = kx.driver.snapshot_restore("data", SNAP)
    kx.driver.disk_assign("data", restored.name)
    assigned = {d.name: d.assigned for d in kx.driver.disk_list("data")}
    assert assigned == {DISK: False, restored.name: True}
    assert kx.disk(DISK_RES)["tags"]["kompox-disk-assigned"] == "false"
    tags = kx.disk(restored.azure_name)["tags"]
    assert tags["kompox-disk-assigned"] == "true"
    assert tags["kompox-app-id-hash"] == "k9x84f"  # the other tags are kept


@pytest.mark.parametrize(
    ("managed_by", "node"),
    [
        (
            "/subscriptions/s/resourceGroups/MC_rg_c_japaneast/providers/Microsoft.Compute/"
            "virtualMachineScaleSets/aks-system-12345678-vmss/virtualMachines/0",
            "aks-system-12345678-vmss000000",
        ),
        (
            "/subscriptions/s/resourceGroups/mc/providers/Microsoft.Compute/"
            "virtualMachineScaleSets/aks-npuser1-87654321-vmss/virtualMachines/36",
            "aks-npuser1-87654321-vmss000010",
        ),
        (
            "/subscriptions/s/resourceGroups/mc/providers/Microsoft.Compute/"
            "virtualMachines/aks-nodepool1-1234-0",
            "aks-nodepool1-1234-0",
        ),
        (None, None),
        ("", None),
    ],
)
def test_node_name_follows_the_aks_computer_name_of_the_instance(
    managed_by: str | None, node: str | None
) -> None:
    assert node_name(managed_by) == node


CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
PRINCIPAL = "11111111-2222-3333-4444-555555555555"


def _put_cluster_deployment(arm: ArmClients, emu: Emulator) -> int:
    """The cluster's subscription deployment as kompoxops makes it (named after the cluster
    RG), with the output the grant needs; the HTTP status of the PUT."""
    from azure.core.rest import HttpRequest

    template = {
        "$schema": "https://schema.management.azure.com/schemas/2018-05-01/"
        "subscriptionDeploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "resources": [],
        "outputs": {"AZURE_AKS_CLUSTER_PRINCIPAL_ID": {"type": "string", "value": PRINCIPAL}},
    }
    request = HttpRequest(
        "PUT",
        f"/subscriptions/{emu.subscription_id}/providers/Microsoft.Resources/deployments/"
        "k4x-32kff1_cls_cls1_5pfy6x",
        params={"api-version": "2024-03-01"},
        json={
            "location": "japaneast",
            "properties": {"mode": "Incremental", "template": template},
        },
    )
    response = arm.resources.send_request(request)
    if response.status_code in (200, 201):
        # wait for the deployment to finish (the outputs appear with Succeeded)
        get = HttpRequest("GET", request.url)
        for _ in range(500):
            body = arm.resources.send_request(get).json()
            if (body.get("properties") or {}).get("provisioningState") == "Succeeded":
                break
    return response.status_code


def test_disk_create_grants_contributor_on_the_app_rg_to_the_cluster_identity(
    kx: KxEnv,
) -> None:
    from azure.core.rest import HttpRequest

    assert _put_cluster_deployment(kx.arm, kx.emu) in (200, 201)
    kx.driver.disk_create("data")
    kx.driver.snapshot_create("data")  # a second grant meets the first: 409 is success
    rg_id = f"/subscriptions/{kx.emu.subscription_id}/resourceGroups/{APP_RG}"
    listed = kx.arm.resources.send_request(
        HttpRequest(
            "GET",
            f"{rg_id}/providers/Microsoft.Authorization/roleAssignments",
            params={"api-version": "2022-04-01"},
        )
    )
    assert listed.status_code == 200
    grants = [
        a["properties"]
        for a in listed.json()["value"]
        if a["properties"]["principalId"] == PRINCIPAL
    ]
    assert len(grants) == 1
    assert grants[0]["roleDefinitionId"].endswith(f"/roleDefinitions/{CONTRIBUTOR}")
    assert grants[0]["principalType"] == "ServicePrincipal"
    assert grants[0]["scope"].lower() == rg_id.lower()


def test_a_refused_restore_quotes_azures_reason_not_a_guessed_name_clash(kx: KxEnv) -> None:
    kx.emu.add_fault(
        "PUT",
        r"/disks/k4x-32kff1_disk_data_",
        status=409,
        code="OperationNotAllowed",
        message="Source snapshot cannot be used right now.",
        count=1,
    )
    with pytest.raises(AzureError) as info:
        kx.driver.snapshot_restore("data", SNAP)
    assert info.value.code == "OperationNotAllowed"
    assert "Source snapshot cannot be used right now." in str(info.value)
    assert "already exists" not in str(info.value)


def _kompoxops_ctx() -> Any:
    from kompox_tui.azure.volumes import VolumeOps

    config = Config(
        path=Path("kompoxops.yml"),
        version="v1",
        service=None,
        provider=Provider("prv1", "aks", Settings({"AZURE_LOCATION": "japaneast"})),
        cluster=Cluster("cls1"),
        app=App("app1", volumes=(Volume("data", "10Gi", 10),)),
        workspace=Workspace("ws1"),
        layout="kompoxops",
    )
    ops = VolumeOps(config, None, lambda _e: None, lambda _op: None)  # type: ignore[arg-type]
    return ops._context("data")


def test_a_listed_disk_carries_azures_state_fields() -> None:
    # The shape of the REST specs' Disk_Get example (arm-wire-facts.md §3), kompoxops tags.
    item = {
        "id": f"/subscriptions/S/resourceGroups/{APP_RG}/providers/Microsoft.Compute/disks/x",
        "name": "x",
        "location": "japaneast",
        "tags": {
            "kompox-volume": "data",
            "kompox-disk-name": "mine",
            "kompox-disk-assigned": "TRUE",
        },
        "zones": ["3"],
        "sku": {"name": "PremiumV2_LRS", "tier": "Premium"},
        "managedBy": "/subscriptions/S/resourceGroups/mc/providers/Microsoft.Compute/"
        "virtualMachineScaleSets/aks-npuser3-1-vmss/virtualMachines/2",
        "properties": {
            "diskSizeGB": 128,
            "timeCreated": "2025-01-01T04:41:35.0798720+00:00",
            "provisioningState": "Updating",
            "diskState": "Attached",
            "diskIOPSReadWrite": 3000,
            "diskMBpsReadWrite": 125,
        },
    }
    record = disk_from_item(item, _kompoxops_ctx())
    assert record is not None
    disk = record.disk
    assert (disk.name, disk.azure_name, disk.assigned, disk.size_gib) == ("mine", "x", True, 128)
    assert (disk.provisioning_state, disk.disk_state, disk.zone) == ("Updating", "Attached", "3")
    assert (disk.sku, disk.iops, disk.mbps) == ("PremiumV2_LRS", 3000, 125)
    assert disk.node == "aks-npuser3-1-vmss000002"
    assert disk.created_at == datetime(2025, 1, 1, 4, 41, 35, 79872, tzinfo=UTC)


def test_a_listed_snapshot_carries_copy_progress_and_falls_back_to_the_compactid_time() -> None:
    item = {
        "id": f"/subscriptions/S/resourceGroups/{APP_RG}/providers/Microsoft.Compute/snapshots/s",
        "name": "s",
        "tags": {"kompox-volume": "data", "kompox-snapshot-name": SNAP},
        "sku": {"name": "Standard_ZRS"},
        "properties": {
            "diskSizeGB": 64,
            "incremental": True,
            "completionPercent": 42.5,
            "snapshotAccessState": "InstantAccess",
            "provisioningState": "Succeeded",
            "creationData": {"createOption": "Copy", "sourceResourceId": "/x/disks/d"},
        },
    }
    record = snapshot_from_item(item, _kompoxops_ctx())
    assert record is not None
    snap = record.snapshot
    assert (snap.incremental, snap.completion_percent, snap.copying) == (True, 42.5, True)
    assert (snap.access_state, snap.sku, snap.source_resource_id) == (
        "InstantAccess",
        "Standard_ZRS",
        "/x/disks/d",
    )
    # No timeCreated: the CompactID's second (0tahnfu7b2mx = 2026-02-15T06:59:54Z).
    assert snap.created_at == datetime(2026, 2, 15, 6, 59, 54, tzinfo=UTC)


def test_a_files_volume_is_refused_before_any_call() -> None:
    from kompox_tui.azure.volumes import VolumeOps

    config = Config(
        path=Path("kompoxops.yml"),
        version="v1",
        service=None,
        provider=Provider("prv1", "aks", Settings({"AZURE_LOCATION": "japaneast"})),
        cluster=Cluster("cls1"),
        app=App("app1", volumes=(Volume("share", "100Gi", 100, type="files"),)),
        workspace=Workspace("ws1"),
        layout="kompoxops",
    )
    # No clients at all: any network attempt would fail differently.
    ops = VolumeOps(config, None, lambda _e: None, lambda _op: None)  # type: ignore[arg-type]
    with pytest.raises(PreconditionError, match="type 'files'"):
        ops.disk_list("share")
    with pytest.raises(PreconditionError, match="disk volumes only"):
        ops.disk_create("share")


def test_disk_delete_deletes_the_kompoxops_disk_and_keeps_the_assigned_one(kx: KxEnv) -> None:
    restored = kx.driver.snapshot_restore("data", SNAP)
    kx.driver.disk_delete("data", restored.name)
    assert [d.name for d in kx.driver.disk_list("data")] == [DISK]
    with pytest.raises(PreconditionError, match="assign"):
        kx.driver.disk_delete("data", DISK)  # the assigned disk
    assert kx.disk(DISK_RES)["tags"]["kompox-disk-name"] == DISK
