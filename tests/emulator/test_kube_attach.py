"""Azure disk attachment follows the emulated cluster: a scheduled pod mounting a PV of
the disk attaches it to the node's scale-set instance; deleting the pod detaches it.
Checked through the real compute and kubernetes clients over HTTPS."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import yaml
from kubernetes import client, config

from kompox_tui.emulator import Emulator
from kompox_tui.emulator.kube.seeding import mount_disk
from kompox_tui.emulator.testing import ArmClients

RG = "rg-kube-attach"
CLUSTER = "aks-attach"


def _any(value: Any) -> Any:
    """A plain body where the typed client wants a model (it serialises both)."""
    return value


def _disk(arm: ArmClients, name: str) -> str:
    body = {
        "location": "japaneast",
        "sku": {"name": "Premium_LRS"},
        "properties": {"creationData": {"createOption": "Empty"}, "diskSizeGB": 8},
    }
    disk = arm.compute.disks.begin_create_or_update(RG, name, _any(body)).result()
    assert disk.id is not None
    return str(disk.id)


class Kube:
    """The typed CoreV1Api, answering plain JSON dicts (as the API server sends them)."""

    def __init__(self, api: client.ApiClient) -> None:
        self.api = api
        self.core = client.CoreV1Api(api)
        self.apps = client.AppsV1Api(api)
        self.storage = client.StorageV1Api(api)

    def json(self, obj: Any) -> Any:
        return self.api.sanitize_for_serialization(obj)


@contextmanager
def _cluster(emulator: Emulator, arm: ArmClients) -> Iterator[Kube]:
    creds = arm.containers.managed_clusters.list_cluster_admin_credentials(RG, CLUSTER)
    assert creds.kubeconfigs and creds.kubeconfigs[0].value
    api = config.new_client_from_config_dict(yaml.safe_load(creds.kubeconfigs[0].value))
    try:
        yield Kube(api)
    finally:
        api.close()


def _state(arm: ArmClients, rg: str, name: str) -> tuple[Any, str]:
    """(diskState, managedBy); diskState is the SDK's str enum, equal to its value."""
    disk = arm.compute.disks.get(rg, name)
    return disk.disk_state, str(disk.managed_by or "")


def test_pod_mounting_a_disk_attaches_it_and_deleting_the_pod_detaches_it(
    emulator: Emulator,
) -> None:
    cluster = emulator.create_managed_cluster(RG, CLUSTER)
    with ArmClients(emulator) as arm, _cluster(emulator, arm) as kube:
        disk_id = _disk(arm, "db-disk")
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
        pvc = kube.json(kube.core.read_namespaced_persistent_volume_claim("db", "app"))
        assert (pvc["status"]["phase"], pvc["spec"]["volumeName"]) == ("Bound", "db")
        pv = kube.json(kube.core.read_persistent_volume("db"))
        assert (pv["status"]["phase"], pv["spec"]["claimRef"]["name"]) == ("Bound", "db")
        pod = kube.json(kube.core.read_namespaced_pod("db-0", "app"))
        node = kube.json(kube.core.read_node(pod["spec"]["nodeName"]))
        state, managed_by = _state(arm, RG, "db-disk")
        assert state == "Attached"
        provider = node["spec"]["providerID"].removeprefix("azure://")
        assert managed_by.lower() == provider.lower()
        assert f"/resourceGroups/MC_{RG}_{CLUSTER}_" in managed_by
        assert "/virtualMachineScaleSets/aks-nodepool1-" in managed_by

        kube.apps.delete_namespaced_stateful_set("db", "app")
        assert kube.json(kube.core.list_namespaced_pod("app"))["items"] == []
        assert _state(arm, RG, "db-disk") == ("Unattached", "")


def test_disk_stays_attached_until_its_pod_goes_even_when_the_pv_goes_first(
    emulator: Emulator,
) -> None:
    cluster = emulator.create_managed_cluster(RG, CLUSTER)
    with ArmClients(emulator) as arm, _cluster(emulator, arm) as kube:
        disk_id = _disk(arm, "early-pv-disk")
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
        kube.core.delete_persistent_volume("early")
        assert _state(arm, RG, "early-pv-disk")[0] == "Attached"
        kube.core.delete_namespace("early")
        assert _state(arm, RG, "early-pv-disk")[0] == "Unattached"


def test_an_unbound_claim_of_an_aks_disk_class_gets_a_new_disk_when_its_pod_is_scheduled(
    emulator: Emulator,
) -> None:
    emulator.create_managed_cluster(RG, CLUSTER)
    with ArmClients(emulator) as arm, _cluster(emulator, arm) as kube:
        classes = {
            c["metadata"]["name"]: c for c in kube.json(kube.storage.list_storage_class())["items"]
        }
        assert classes["managed-csi-premium"]["parameters"] == {"skuname": "Premium_LRS"}
        default = classes["default"]["metadata"]["annotations"]
        assert default["storageclass.kubernetes.io/is-default-class"] == "true"
        kube.core.create_namespace(_any({"metadata": {"name": "dyn"}}))
        claim_body = {
            "metadata": {"name": "data"},
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "storageClassName": "managed-csi-premium",
                "resources": {"requests": {"storage": "10Gi"}},
            },
        }
        kube.core.create_namespaced_persistent_volume_claim("dyn", _any(claim_body))
        pending = kube.json(kube.core.read_namespaced_persistent_volume_claim("data", "dyn"))
        assert pending["status"]["phase"] == "Pending"  # WaitForFirstConsumer
        pod_body = {
            "metadata": {"name": "user"},
            "spec": {
                "containers": [{"name": "c", "image": "busybox:1.36"}],
                "volumes": [{"name": "d", "persistentVolumeClaim": {"claimName": "data"}}],
            },
        }
        kube.core.create_namespaced_pod("dyn", _any(pod_body))
        claim = kube.json(kube.core.read_namespaced_persistent_volume_claim("data", "dyn"))
        assert claim["status"]["phase"] == "Bound"
        pv_name = claim["spec"]["volumeName"]
        pv = kube.json(kube.core.read_persistent_volume(pv_name))
        node_rg = pv["spec"]["csi"]["volumeHandle"].split("/")[4]
        disk_name = f"pvc-{claim['metadata']['uid']}"
        disk = arm.compute.disks.get(node_rg, disk_name)
        assert (disk.disk_size_gb, disk.sku.name if disk.sku else None) == (10, "Premium_LRS")
        assert disk.disk_state == "Attached"

        kube.core.delete_namespaced_pod("user", "dyn")
        kube.core.delete_namespaced_persistent_volume_claim("data", "dyn")
        pvs = kube.json(kube.core.list_persistent_volume())["items"]
        assert pv_name not in [p["metadata"]["name"] for p in pvs]
        assert disk_name not in [d.name for d in arm.compute.disks.list_by_resource_group(node_rg)]
        kube.core.delete_namespace("dyn")
