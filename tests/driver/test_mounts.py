"""What the cluster mounts, read by the driver from the emulator's Kubernetes API.

A provisioned cluster, a volume with two disks, and -- created with the real
kubernetes client, as ``kompoxops app deploy`` would -- a PersistentVolume whose
``csi.volumeHandle`` is one disk's id (in another letter case), its claim, and a pod
that uses the claim. ``AksDriver.volume_mounts`` must find the pod, its node and
phase in exactly three Kubernetes list calls (and no ARM call once the cluster is
known), tell the mounted disk from the assigned one, and stay calm when the
cluster is not there.
"""

from __future__ import annotations

import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import yaml
from kubernetes import client
from kubernetes import config as kube_config
from recording_driver import RecordingDriver

from kompox_tui.azure.mounts import match_mounts, pv_disk_id
from kompox_tui.model import ApiCallEvent, Config


@pytest.fixture
def deployed(
    config_factory: Callable[..., Config], make_driver: Callable[..., RecordingDriver]
) -> Iterator[tuple[RecordingDriver, client.CoreV1Api]]:
    suffix = uuid.uuid4().hex[:8]
    config = config_factory(
        filename=f"m{suffix}.yml",
        cluster=f"c{suffix}",
        cluster_rg=f"rg-{suffix}",
        app=f"a{suffix}",
        volumes=(("db", "1Gi"),),
    )
    driver = make_driver(config)
    driver.cluster_provision()
    data = yaml.safe_load(driver.cluster_kubeconfig())
    configuration = client.Configuration()
    kube_config.load_kube_config_from_dict(
        data, client_configuration=configuration, persist_config=False
    )
    api = client.ApiClient(configuration)
    try:
        yield driver, client.CoreV1Api(api)
    finally:
        api.close()


def _deploy(core: client.CoreV1Api, namespace: str, disk_id: str, pod: str = "web-0") -> str:
    """A PV of ``disk_id``, its claim and a pod using it (kompox-real-facts §7 shapes)."""
    core.create_namespace(client.V1Namespace.model_validate({"metadata": {"name": namespace}}))
    pv = f"k4x-{uuid.uuid4().hex[:6]}-db"
    core.create_persistent_volume(
        client.V1PersistentVolume.model_validate(
            {
                "metadata": {"name": pv},
                "spec": {
                    "capacity": {"storage": "1024Mi"},
                    "accessModes": ["ReadWriteOnce"],
                    "persistentVolumeReclaimPolicy": "Retain",
                    "storageClassName": "managed-csi",
                    "volumeMode": "Filesystem",
                    "csi": {
                        "driver": "disk.csi.azure.com",
                        "volumeHandle": disk_id,
                        "volumeAttributes": {"fsType": "ext4"},
                    },
                },
            }
        )
    )
    core.create_namespaced_persistent_volume_claim(
        namespace,
        client.V1PersistentVolumeClaim.model_validate(
            {
                "metadata": {"name": pv},
                "spec": {
                    "accessModes": ["ReadWriteOnce"],
                    "storageClassName": "managed-csi",
                    "volumeName": pv,
                    "resources": {"requests": {"storage": "1024Mi"}},
                },
            }
        ),
    )
    core.create_namespaced_pod(
        namespace,
        client.V1Pod.model_validate(
            {
                "metadata": {"name": pod},
                "spec": {
                    "containers": [{"name": "app", "image": "nginx:1.27"}],
                    "volumes": [{"name": "db", "persistentVolumeClaim": {"claimName": pv}}],
                },
            }
        ),
    )
    return pv


def _kube_calls(driver: RecordingDriver, since: int) -> list[ApiCallEvent]:
    return [
        e
        for e in driver.events[since:]
        if isinstance(e, ApiCallEvent) and "/api/v1/" in e.path and "/subscriptions/" not in e.path
    ]


def _arm_calls(driver: RecordingDriver, since: int) -> list[ApiCallEvent]:
    return [
        e
        for e in driver.events[since:]
        if isinstance(e, ApiCallEvent) and "/subscriptions/" in e.path
    ]


def test_the_pod_mounting_a_disk_is_found_in_three_list_calls(
    emulator: Any, deployed: tuple[RecordingDriver, client.CoreV1Api]
) -> None:
    driver, core = deployed
    old = driver.disk_create("db")  # the first disk is assigned
    new = driver.disk_create("db")
    namespace = f"k4x-{uuid.uuid4().hex[:6]}-app"
    # The PV holds the id in another letter case: ids compare case-insensitively.
    pv = _deploy(core, namespace, old.resource_id.upper())
    driver.disk_assign("db", new.name)  # the swap: the pod still mounts the old disk

    deadline = time.monotonic() + 10
    while True:
        driver.volume_mounts([old.resource_id, new.resource_id])  # warm: cluster ref known
        start = len(driver.events)
        mounts = driver.volume_mounts([old.resource_id, new.resource_id])
        used = mounts.for_disk(old.resource_id)
        if (used and used[0].pods and used[0].pods[0].node) or time.monotonic() > deadline:
            break
        time.sleep(0.2)

    assert mounts.reachable, mounts.message
    assert [(m.pv, m.claim_namespace, m.claim_name) for m in used] == [(pv, namespace, pv)]
    pod = used[0].pods[0]
    assert (pod.namespace, pod.name) == (namespace, "web-0")
    assert pod.node and pod.phase in ("Pending", "Running")
    assert mounts.for_disk(new.resource_id) == []
    kube = _kube_calls(driver, start)
    assert [(e.method, "/api/v1/" + e.path.split("?")[0].split("/api/v1/")[1]) for e in kube] == [
        ("GET", "/api/v1/persistentvolumes"),
        ("GET", "/api/v1/persistentvolumeclaims"),
        ("GET", "/api/v1/pods"),
    ]
    pods_query = [r for r in emulator.requests() if str(r["path"]).endswith("/api/v1/pods")][-1]
    query = urllib.parse.unquote(str(pods_query["query"]))
    assert "status.phase!=Succeeded" in query  # finished pods are left out server-side
    assert _arm_calls(driver, start) == []
    # The describe view gets the objects as the API server sent them.
    assert mounts.objects[f"pod/{namespace}/web-0"]["kind"] == "Pod"
    assert mounts.objects[f"pv/{pv}"]["spec"]["csi"]["volumeHandle"] == old.resource_id.upper()


def test_a_cluster_that_is_not_provisioned_is_a_calm_answer(
    config_factory: Callable[..., Config], make_driver: Callable[..., RecordingDriver]
) -> None:
    suffix = uuid.uuid4().hex[:8]
    config = config_factory(
        filename=f"n{suffix}.yml", cluster=f"c{suffix}", cluster_rg=f"rg-{suffix}"
    )
    driver = make_driver(config)
    mounts = driver.volume_mounts(
        ["/subscriptions/x/resourceGroups/y/providers/Microsoft.Compute/disks/z"]
    )
    assert mounts.state == "not-provisioned"
    assert mounts.message is not None and "not provisioned" in mounts.message
    assert _kube_calls(driver, 0) == []


def test_in_tree_azure_disk_and_stale_claim_refs() -> None:
    disk = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/disks/d1"
    pv: dict[str, Any] = {"metadata": {"name": "old"}, "spec": {"azureDisk": {"diskURI": disk}}}
    assert pv_disk_id(pv) == disk
    other_driver = {"spec": {"csi": {"driver": "file.csi.azure.com", "volumeHandle": disk}}}
    assert pv_disk_id(other_driver) is None
    pv["spec"]["claimRef"] = {"namespace": "ns", "name": "c"}
    claim = {"metadata": {"namespace": "ns", "name": "c"}, "spec": {"volumeName": "another"}}
    pod = {
        "metadata": {"namespace": "ns", "name": "p"},
        "spec": {"volumes": [{"persistentVolumeClaim": {"claimName": "c"}}]},
    }
    mounts = match_mounts([pv], [claim], [pod], [disk.upper()])
    # The claim now binds another PV: this PV's pods are none.
    assert [(m.pv, m.claim_name, m.pods) for m in mounts.mounts] == [("old", None, ())]
