"""What the emulated control plane does on its own: nodes per agent pool, workloads
making pods, pod-failure faults, PV/PVC binding -- through the real ``kubernetes``
client over HTTPS."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any, Protocol

import pytest
import yaml
from kubernetes import client, config

from kompox_tui.emulator import Emulator
from kompox_tui.emulator.faults import Faults, FaultSpecError
from kompox_tui.emulator.testing import ArmClients

RG = "rg-kube-controllers"
CLUSTER = "aks-controllers"
POOLS = [
    {"name": "system", "count": 1, "vmSize": "Standard_D2s_v5", "mode": "System"},
    {"name": "user", "count": 2, "vmSize": "Standard_D4s_v5", "mode": "User"},
]


@pytest.fixture(scope="module")
def api(emulator: Emulator) -> Iterator[client.ApiClient]:
    emulator.create_managed_cluster(RG, CLUSTER, agentPoolProfiles=POOLS)
    with ArmClients(emulator) as arm:
        creds = arm.containers.managed_clusters.list_cluster_admin_credentials(RG, CLUSTER)
    assert creds.kubeconfigs and creds.kubeconfigs[0].value
    api_client = config.new_client_from_config_dict(yaml.safe_load(creds.kubeconfigs[0].value))
    yield api_client
    api_client.close()


@pytest.fixture
def namespace(api: client.ApiClient, request: pytest.FixtureRequest) -> Iterator[str]:
    name = "c-" + request.node.name.lower().replace("_", "-")[5:40].strip("-")
    core = client.CoreV1Api(api)
    core.create_namespace(client.V1Namespace.model_validate({"metadata": {"name": name}}))
    yield name
    core.delete_namespace(name)


def _workload(kind: str, name: str, replicas: int | None = 1, **extra: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "selector": {"matchLabels": {"app": name}},
        "template": {
            "metadata": {"labels": {"app": name}},
            "spec": {"containers": [{"name": name, "image": f"example/{name}:1.0"}]},
        },
        **extra,
    }
    if replicas is not None:
        spec["replicas"] = replicas
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": name}, "spec": spec}


class _Object(Protocol):
    metadata: client.V1ObjectMeta | None


def _name(obj: _Object) -> str:
    assert obj.metadata is not None and obj.metadata.name is not None, obj
    return obj.metadata.name


def _label(obj: _Object, key: str) -> str:
    assert obj.metadata is not None and obj.metadata.labels is not None, obj
    return obj.metadata.labels[key]


def _wait(check: Any, timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.02)


def test_nodes_follow_the_agent_pools(api: client.ApiClient) -> None:
    nodes = client.CoreV1Api(api).list_node().items
    pools = sorted(_label(n, "kubernetes.azure.com/agentpool") for n in nodes)
    assert pools == ["system", "user", "user"]
    users = sorted(_name(n) for n in nodes if _label(n, "agentpool") == "user")
    assert [n.rsplit("-", 1)[1] for n in users] == ["vmss000000", "vmss000001"]
    assert all(
        n.status and n.status.node_info and n.status.node_info.kubelet_version == "v1.33.2"
        for n in nodes
    )


def test_daemonset_runs_one_pod_per_node_and_statefulset_numbers_its_pods(
    api: client.ApiClient, namespace: str
) -> None:
    apps = client.AppsV1Api(api)
    core = client.CoreV1Api(api)
    apps.create_namespaced_daemon_set(
        namespace, client.V1DaemonSet.model_validate(_workload("DaemonSet", "agent", None))
    )
    apps.create_namespaced_stateful_set(
        namespace,
        client.V1StatefulSet.model_validate(
            _workload(
                "StatefulSet",
                "db",
                2,
                serviceName="db",
                volumeClaimTemplates=[
                    {
                        "metadata": {"name": "data"},
                        "spec": {
                            "accessModes": ["ReadWriteOnce"],
                            "resources": {"requests": {"storage": "1Gi"}},
                        },
                    }
                ],
            )
        ),
    )
    pods = core.list_namespaced_pod(namespace).items
    agent_nodes = sorted(
        str(p.spec.node_name) for p in pods if p.spec and _label(p, "app") == "agent"
    )
    assert agent_nodes == sorted(_name(n) for n in core.list_node().items)
    assert sorted(_name(p) for p in pods if _label(p, "app") == "db") == [
        "db-0",
        "db-1",
    ]
    claims = sorted(_name(c) for c in core.list_namespaced_persistent_volume_claim(namespace).items)
    assert claims == ["data-db-0", "data-db-1"]
    ready = _wait(
        lambda: (
            (status := apps.read_namespaced_stateful_set("db", namespace).status) is not None
            and status.ready_replicas == 2
        )
    )
    assert ready


def test_deployment_readiness_follows_its_pods_and_a_crash_loop_keeps_it_unready(
    emulator: Emulator, api: client.ApiClient, namespace: str
) -> None:
    apps = client.AppsV1Api(api)
    core = client.CoreV1Api(api)
    rule = emulator.faults.add_pod_failure(f"^{namespace}/traefik-", "CrashLoopBackOff")
    try:
        apps.create_namespaced_deployment(
            namespace, client.V1Deployment.model_validate(_workload("Deployment", "traefik", 1))
        )
        apps.create_namespaced_deployment(
            namespace, client.V1Deployment.model_validate(_workload("Deployment", "web", 2))
        )
        assert _wait(
            lambda: (
                (status := apps.read_namespaced_deployment("web", namespace).status) is not None
                and status.ready_replicas == 2
            )
        )
        time.sleep(0.05)
        traefik = apps.read_namespaced_deployment("traefik", namespace).status
        assert traefik is not None and traefik.conditions is not None
        assert not traefik.ready_replicas
        assert {c.type: c.status for c in traefik.conditions}["Available"] == "False"
        pod = next(
            p for p in core.list_namespaced_pod(namespace).items if _label(p, "app") == "traefik"
        )
        assert pod.status and pod.status.container_statuses
        state = pod.status.container_statuses[0]
        assert state.state and state.state.waiting
        assert state.state.waiting.reason == "CrashLoopBackOff"
        assert state.restart_count >= 1
        assert pod.status.phase == "Running"
    finally:
        emulator.faults.remove_pod_failure(rule)
    # The fault gone, the same pod starts and the Deployment becomes ready.
    assert _wait(
        lambda: (
            (status := apps.read_namespaced_deployment("traefik", namespace).status) is not None
            and status.ready_replicas == 1
        )
    )


def test_deleting_a_deployment_deletes_its_replicasets_and_pods(
    api: client.ApiClient, namespace: str
) -> None:
    apps = client.AppsV1Api(api)
    core = client.CoreV1Api(api)
    apps.create_namespaced_deployment(
        namespace, client.V1Deployment.model_validate(_workload("Deployment", "gone", 2))
    )
    assert len(apps.list_namespaced_replica_set(namespace).items) == 1
    apps.delete_namespaced_deployment("gone", namespace)
    assert apps.list_namespaced_replica_set(namespace).items == []
    assert core.list_namespaced_pod(namespace).items == []


def test_a_deleted_pod_is_replaced_by_its_replicaset(api: client.ApiClient, namespace: str) -> None:
    apps = client.AppsV1Api(api)
    core = client.CoreV1Api(api)
    apps.create_namespaced_deployment(
        namespace, client.V1Deployment.model_validate(_workload("Deployment", "kept", 1))
    )
    first = _name(core.list_namespaced_pod(namespace).items[0])
    core.delete_namespaced_pod(first, namespace)
    names = [_name(p) for p in core.list_namespaced_pod(namespace).items]
    assert len(names) == 1 and names[0] != first and names[0].startswith("kept-")


def _pv_phase(core: client.CoreV1Api, name: str) -> str | None:
    status = core.read_persistent_volume(name).status
    assert status is not None
    return status.phase


def test_pv_and_claim_bind_by_volume_name_and_release(
    api: client.ApiClient, namespace: str
) -> None:
    core = client.CoreV1Api(api)
    pv_name = f"{namespace}-pv"
    core.create_persistent_volume(
        client.V1PersistentVolume.model_validate(
            {
                "metadata": {"name": pv_name},
                "spec": {
                    "capacity": {"storage": "4Gi"},
                    "accessModes": ["ReadWriteOnce"],
                    "csi": {
                        "driver": "disk.csi.azure.com",
                        "volumeHandle": "/subscriptions/x/disk",
                    },
                },
            }
        )
    )
    assert _pv_phase(core, pv_name) == "Available"
    core.create_namespaced_persistent_volume_claim(
        namespace,
        client.V1PersistentVolumeClaim.model_validate(
            {
                "metadata": {"name": "claim"},
                "spec": {
                    "accessModes": ["ReadWriteOnce"],
                    "resources": {"requests": {"storage": "4Gi"}},
                    "volumeName": pv_name,
                },
            }
        ),
    )
    claim = core.read_namespaced_persistent_volume_claim("claim", namespace)
    assert claim.status is not None
    assert (claim.status.phase, claim.status.capacity) == ("Bound", {"storage": "4Gi"})
    pv = core.read_persistent_volume(pv_name)
    assert pv.status and pv.spec and pv.spec.claim_ref
    assert (pv.status.phase, pv.spec.claim_ref.name, pv.spec.claim_ref.namespace) == (
        "Bound",
        "claim",
        namespace,
    )
    core.delete_namespaced_persistent_volume_claim("claim", namespace)
    assert _pv_phase(core, pv_name) == "Released"
    core.delete_persistent_volume(pv_name)


def test_pod_failure_rules_parse_from_the_faults_string() -> None:
    faults = Faults()
    faults.add_spec("POD:traefik:ImagePullBackOff;GET:/x:429")
    found = faults.pod_failure("traefik", "traefik-abc", ["traefik:v3.3"])
    assert found is not None and found.reason == "ImagePullBackOff"
    assert faults.pod_failure("default", "web-1", ["nginx:1.27"]) is None
    assert len(faults.rules()) == 1
    with pytest.raises(FaultSpecError):
        faults.add_spec("POD:x:Sleepy")


def test_a_watch_in_progress_ends_when_the_emulator_stops(fresh_emulator: Emulator) -> None:
    import threading

    from kubernetes import watch

    fresh_emulator.create_managed_cluster("rg-w", "aks-w")
    with ArmClients(fresh_emulator) as arm:
        creds = arm.containers.managed_clusters.list_cluster_admin_credentials("rg-w", "aks-w")
    assert creds.kubeconfigs and creds.kubeconfigs[0].value
    api_client = config.new_client_from_config_dict(yaml.safe_load(creds.kubeconfigs[0].value))
    seen: list[str] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            for event in watch.Watch().stream(
                client.CoreV1Api(api_client).list_namespace, timeout_seconds=300
            ):
                seen.append(event["object"].metadata.name)
        except BaseException as exc:  # the connection closing under it is the point
            errors.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert _wait(lambda: "default" in seen)
    started = time.monotonic()
    fresh_emulator.stop()
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert time.monotonic() - started < 5
    api_client.close()


def test_the_emulator_cli_accepts_pod_failure_rules() -> None:
    from kompox_tui.emulator.faults import parse_spec

    assert parse_spec("POD:traefik:CrashLoopBackOff;PATCH:/disks/:429") == [
        {"method": "PATCH", "path": "/disks/", "status": 429}
    ]
    with pytest.raises(FaultSpecError):
        parse_spec("POD:[:ImagePullBackOff")
