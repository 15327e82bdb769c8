"""Azure disk attachment follows the emulated cluster: a scheduled pod mounting a PV of
the disk attaches it to the node's scale-set instance; deleting the pod detaches it.
Checked through the real compute and kubernetes clients over HTTPS."""

from __future__ import annotations

from typing import Any

import yaml
from kubernetes import client, config

from kompox_tui.emulator import Emulator
from kompox_tui.emulator.kube.seeding import mount_disk
from kompox_tui.emulator.testing import ArmClients

RG = "rg-kube-attach"
CLUSTER = "aks-attach"


def _disk(arm: ArmClients, name: str) -> str:
    body: dict[str, Any] = {
        "location": "japaneast",
        "sku": {"name": "Premium_LRS"},
        "properties": {"creationData": {"createOption": "Empty"}, "diskSizeGB": 8},
    }
    disk = arm.compute.disks.begin_create_or_update(RG, name, body).result()
    assert disk.id is not None
    return str(disk.id)


def test_pod_mounting_a_disk_attaches_it_and_deleting_the_pod_detaches_it(
    emulator: Emulator,
) -> None:
    cluster = emulator.create_managed_cluster(RG, CLUSTER)
    with ArmClients(emulator) as arm:
        disk_id = _disk(arm, "db-disk")
        creds = arm.containers.managed_clusters.list_cluster_admin_credentials(RG, CLUSTER)
        assert creds.kubeconfigs and creds.kubeconfigs[0].value
        api = config.new_client_from_config_dict(yaml.safe_load(creds.kubeconfigs[0].value))
        core = client.CoreV1Api(api)
        try:
            mount_disk(
                emulator.ctx.services["kube"],
                cluster["id"],
                namespace="app",
                claim="db",
                disk_id=disk_id,
                size="8Gi",
                workload_kind="StatefulSet",
                workload="db",
                volume="db",
            )
            pvc = core.read_namespaced_persistent_volume_claim("db", "app")
            assert (pvc.status.phase, pvc.spec.volume_name) == ("Bound", "db")
            pv = core.read_persistent_volume("db")
            assert (pv.status.phase, pv.spec.claim_ref.name) == ("Bound", "db")
            pod = core.read_namespaced_pod("db-0", "app")
            node = core.read_node(pod.spec.node_name)
            disk = arm.compute.disks.get(RG, "db-disk")
            assert disk.disk_state == "Attached"
            provider = node.spec.provider_id.removeprefix("azure://")
            assert disk.managed_by.lower() == provider.lower()
            assert f"/resourceGroups/MC_{RG}_{CLUSTER}_" in disk.managed_by
            assert "/virtualMachineScaleSets/aks-nodepool1-" in disk.managed_by

            client.AppsV1Api(api).delete_namespaced_stateful_set("db", "app")
            assert core.list_namespaced_pod("app").items == []
            detached = arm.compute.disks.get(RG, "db-disk")
            assert (detached.disk_state, detached.managed_by) == ("Unattached", None)
        finally:
            api.close()


def test_disk_stays_attached_until_its_pod_goes_even_when_the_pv_goes_first(
    emulator: Emulator,
) -> None:
    cluster = emulator.create_managed_cluster(RG, CLUSTER)
    with ArmClients(emulator) as arm:
        disk_id = _disk(arm, "early-pv-disk")
        creds = arm.containers.managed_clusters.list_cluster_admin_credentials(RG, CLUSTER)
        assert creds.kubeconfigs and creds.kubeconfigs[0].value
        api = config.new_client_from_config_dict(yaml.safe_load(creds.kubeconfigs[0].value))
        core = client.CoreV1Api(api)
        try:
            mount_disk(
                emulator.ctx.services["kube"],
                cluster["id"],
                namespace="early",
                claim="early",
                disk_id=disk_id,
                size="8Gi",
                workload_kind="Deployment",
                workload="early",
                volume="data",
            )
            core.delete_persistent_volume("early")
            assert arm.compute.disks.get(RG, "early-pv-disk").disk_state == "Attached"
            core.delete_namespace("early")
            assert arm.compute.disks.get(RG, "early-pv-disk").disk_state == "Unattached"
        finally:
            api.close()


def test_an_unbound_claim_of_an_aks_disk_class_gets_a_new_disk_when_its_pod_is_scheduled(
    emulator: Emulator,
) -> None:
    emulator.create_managed_cluster(RG, CLUSTER)
    with ArmClients(emulator) as arm:
        creds = arm.containers.managed_clusters.list_cluster_admin_credentials(RG, CLUSTER)
        assert creds.kubeconfigs and creds.kubeconfigs[0].value
        api = config.new_client_from_config_dict(yaml.safe_load(creds.kubeconfigs[0].value))
        core = client.CoreV1Api(api)
        storage = client.StorageV1Api(api)
        try:
            classes = {c.metadata.name: c for c in storage.list_storage_class().items}
            assert classes["managed-csi-premium"].parameters == {"skuname": "Premium_LRS"}
            default = classes["default"].metadata.annotations
            assert default["storageclass.kubernetes.io/is-default-class"] == "true"
            core.create_namespace({"metadata": {"name": "dyn"}})
            core.create_namespaced_persistent_volume_claim(
                "dyn",
                {
                    "metadata": {"name": "data"},
                    "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "storageClassName": "managed-csi-premium",
                        "resources": {"requests": {"storage": "10Gi"}},
                    },
                },
            )
            assert core.read_namespaced_persistent_volume_claim("data", "dyn").status.phase == (
                "Pending"  # WaitForFirstConsumer
            )
            core.create_namespaced_pod(
                "dyn",
                {
                    "metadata": {"name": "user"},
                    "spec": {
                        "containers": [{"name": "c", "image": "busybox:1.36"}],
                        "volumes": [{"name": "d", "persistentVolumeClaim": {"claimName": "data"}}],
                    },
                },
            )
            claim = core.read_namespaced_persistent_volume_claim("data", "dyn")
            assert claim.status.phase == "Bound"
            pv = core.read_persistent_volume(claim.spec.volume_name)
            disk_id = pv.spec.csi.volume_handle
            node_rg = disk_id.split("/")[4]
            disk = arm.compute.disks.get(node_rg, f"pvc-{claim.metadata.uid}")
            assert (disk.disk_size_gb, disk.sku.name, disk.disk_state) == (
                10,
                "Premium_LRS",
                "Attached",
            )
            core.delete_namespaced_pod("user", "dyn")
            core.delete_namespaced_persistent_volume_claim("data", "dyn")
            assert [p.metadata.name for p in core.list_persistent_volume().items].count(
                claim.spec.volume_name
            ) == 0
            names = [d.name for d in arm.compute.disks.list_by_resource_group(node_rg)]
            assert f"pvc-{claim.metadata.uid}" not in names
            core.delete_namespace("dyn")
        finally:
            api.close()
