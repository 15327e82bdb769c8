"""The emulated Kubernetes API through the official ``kubernetes`` client over TLS.

The kubeconfig comes from the real ``ContainerServiceClient`` calling
``listClusterAdminCredential`` on the emulated managed cluster, exactly as the driver
gets it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client, config, watch
from kubernetes.client.exceptions import ApiException

from kompox_tui.emulator import Emulator
from kompox_tui.emulator.testing import ArmClients

RESOURCE_GROUP = "rg-kube-client-tests"
CLUSTER = "aks-kube-client"


def _admin_kubeconfig(emu: Emulator, resource_group: str, name: str) -> dict[str, Any]:
    with ArmClients(emu) as arm:
        result = arm.containers.managed_clusters.list_cluster_admin_credentials(
            resource_group, name
        )
    assert result.kubeconfigs
    value = result.kubeconfigs[0].value
    assert value is not None
    loaded: dict[str, Any] = yaml.safe_load(value)
    return loaded


@pytest.fixture(scope="module")
def kubeconfig(emulator: Emulator) -> dict[str, Any]:
    emulator.create_managed_cluster(RESOURCE_GROUP, CLUSTER)
    return _admin_kubeconfig(emulator, RESOURCE_GROUP, CLUSTER)


@pytest.fixture(scope="module")
def api(kubeconfig: dict[str, Any]) -> Iterator[client.ApiClient]:
    api_client = config.new_client_from_config_dict(kubeconfig)
    yield api_client
    api_client.close()


@pytest.fixture(scope="module")
def core(api: client.ApiClient) -> client.CoreV1Api:
    return client.CoreV1Api(api)


@pytest.fixture(scope="module")
def apps(api: client.ApiClient) -> client.AppsV1Api:
    return client.AppsV1Api(api)


@pytest.fixture
def namespace(core: client.CoreV1Api, request: pytest.FixtureRequest) -> Iterator[str]:
    name = "t-" + request.node.name.lower().replace("_", "-").replace("[", "-")[:40].strip("-]")
    name = "".join(c if c.isalnum() or c == "-" else "-" for c in name).strip("-")
    core.create_namespace(client.V1Namespace.model_validate({"metadata": {"name": name}}))
    yield name
    try:
        core.delete_namespace(name)
    except ApiException as exc:
        if exc.status != 404:
            raise


def _status(exc: ApiException) -> dict[str, Any]:
    assert exc.body is not None, exc
    body: dict[str, Any] = json.loads(exc.body)
    return body


def _expect_error(call: Callable[[], Any], code: int, reason: str) -> dict[str, Any]:
    with pytest.raises(ApiException) as info:
        call()
    assert info.value.status == code
    status = _status(info.value)
    assert status["kind"] == "Status"
    assert (status["code"], status["reason"]) == (code, reason)
    return status


def _wait_for(probe: Callable[[], Any], timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.02)


# --- connection, auth, discovery ----------------------------------------------------------


def test_admin_kubeconfig_reaches_the_cluster_api_over_tls(
    kubeconfig: dict[str, Any], api: client.ApiClient, emulator: Emulator
) -> None:
    server = kubeconfig["clusters"][0]["cluster"]["server"]
    assert server.startswith(f"{emulator.arm_url.rstrip('/')}/k8s/")
    assert kubeconfig["current-context"] == f"{CLUSTER}-admin"
    version = client.VersionApi(api).get_code()
    assert version.git_version.startswith("v1.33.")
    names = {n.metadata.name for n in client.CoreV1Api(api).list_namespace().items if n.metadata}
    assert {"default", "kube-system", "kube-public", "kube-node-lease"} <= names


def test_wrong_token_is_rejected_with_401_status(kubeconfig: dict[str, Any]) -> None:
    forged = json.loads(json.dumps(kubeconfig))
    forged["users"][0]["user"]["token"] = "not-the-token"
    with config.new_client_from_config_dict(forged) as bad:
        status = _expect_error(lambda: client.CoreV1Api(bad).list_namespace(), 401, "Unauthorized")
    assert status["message"] == "Unauthorized"


def test_discovery_lists_the_served_groups_and_resources(api: client.ApiClient) -> None:
    assert client.CoreApi(api).get_api_versions().versions == ["v1"]
    groups = {
        g.name: g.preferred_version.group_version if g.preferred_version else None
        for g in client.ApisApi(api).get_api_versions().groups
    }
    assert groups == {
        "apps": "apps/v1",
        "rbac.authorization.k8s.io": "rbac.authorization.k8s.io/v1",
        "networking.k8s.io": "networking.k8s.io/v1",
        "coordination.k8s.io": "coordination.k8s.io/v1",
        "storage.k8s.io": "storage.k8s.io/v1",
        "authorization.k8s.io": "authorization.k8s.io/v1",
    }
    core_resources = {r.name: r for r in client.CoreV1Api(api).get_api_resources().resources}
    assert core_resources["namespaces"].namespaced is False
    assert core_resources["services"].kind == "Service"
    assert core_resources["persistentvolumeclaims"].namespaced is True
    apps = {r.name: r for r in client.AppsV1Api(api).get_api_resources().resources}
    assert apps["deployments"].kind == "Deployment"
    assert "patch" in apps["deployments"].verbs
    net = {r.name: r for r in client.NetworkingV1Api(api).get_api_resources().resources}
    assert net["ingressclasses"].namespaced is False
    rbac = {r.name for r in client.RbacAuthorizationV1Api(api).get_api_resources().resources}
    assert {"clusterroles", "clusterrolebindings"} <= rbac


# --- CRUD on every kind ---------------------------------------------------------------------

# kind -> (api class, method suffix, namespaced, body factory)
KIND_CASES: dict[str, tuple[type, str, bool, Callable[[str], dict[str, Any]]]] = {
    "ServiceAccount": (client.CoreV1Api, "service_account", True, lambda n: {}),
    "ConfigMap": (client.CoreV1Api, "config_map", True, lambda n: {"data": {"k": "v"}}),
    "Secret": (client.CoreV1Api, "secret", True, lambda n: {"stringData": {"k": "v"}}),
    "Service": (
        client.CoreV1Api,
        "service",
        True,
        lambda n: {"spec": {"ports": [{"name": "web", "port": 80}], "selector": {"app": n}}},
    ),
    "PersistentVolumeClaim": (
        client.CoreV1Api,
        "persistent_volume_claim",
        True,
        lambda n: {
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "1Gi"}},
            }
        },
    ),
    "PersistentVolume": (
        client.CoreV1Api,
        "persistent_volume",
        False,
        lambda n: {
            "spec": {
                "capacity": {"storage": "1Gi"},
                "accessModes": ["ReadWriteOnce"],
                "csi": {"driver": "disk.csi.azure.com", "volumeHandle": f"/disks/{n}"},
            }
        },
    ),
    "Deployment": (
        client.AppsV1Api,
        "deployment",
        True,
        lambda n: {
            "spec": {
                "selector": {"matchLabels": {"app": n}},
                "template": {
                    "metadata": {"labels": {"app": n}},
                    "spec": {"containers": [{"name": "main", "image": "nginx:1.27"}]},
                },
            }
        },
    ),
    "ClusterRole": (
        client.RbacAuthorizationV1Api,
        "cluster_role",
        False,
        lambda n: {"rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]},
    ),
    "ClusterRoleBinding": (
        client.RbacAuthorizationV1Api,
        "cluster_role_binding",
        False,
        lambda n: {
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "view",
            },
            "subjects": [{"kind": "ServiceAccount", "name": "default", "namespace": "default"}],
        },
    ),
    "IngressClass": (
        client.NetworkingV1Api,
        "ingress_class",
        False,
        lambda n: {"spec": {"controller": "traefik.io/ingress-controller"}},
    ),
    "Ingress": (
        client.NetworkingV1Api,
        "ingress",
        True,
        lambda n: {
            "spec": {
                "rules": [
                    {
                        "host": "example.test",
                        "http": {
                            "paths": [
                                {
                                    "path": "/",
                                    "pathType": "Prefix",
                                    "backend": {"service": {"name": n, "port": {"number": 80}}},
                                }
                            ]
                        },
                    }
                ]
            }
        },
    ),
}


@pytest.mark.parametrize("kind", sorted(KIND_CASES))
def test_crud_with_api_server_status_codes(
    kind: str, api: client.ApiClient, namespace: str
) -> None:
    api_class, suffix, namespaced, spec = KIND_CASES[kind]
    kind_api = api_class(api)
    name = f"obj-{kind.lower()}-{namespace}"[:60].rstrip("-")
    body = {"metadata": {"name": name, "labels": {"suite": namespace, "kind": kind}}, **spec(name)}
    scope = ("namespaced_" if namespaced else "") + suffix
    ns_args: tuple[str, ...] = (namespace,) if namespaced else ()

    def call(verb: str, *args: Any, **kwargs: Any) -> Any:
        return getattr(kind_api, f"{verb}_{scope}")(*args, **kwargs)

    created, code, _ = getattr(kind_api, f"create_{scope}_with_http_info")(*ns_args, body)
    assert code == 201
    assert created.metadata.uid
    assert created.metadata.resource_version
    assert created.metadata.creation_timestamp is not None
    if namespaced:
        assert created.metadata.namespace == namespace

    _expect_error(lambda: call("create", *ns_args, body), 409, "AlreadyExists")
    missing = _expect_error(lambda: call("read", "absent-object", *ns_args), 404, "NotFound")
    assert missing["details"]["name"] == "absent-object"

    read, code, _ = getattr(kind_api, f"read_{scope}_with_http_info")(name, *ns_args)
    assert code == 200
    assert read.metadata.uid == created.metadata.uid

    listed = call("list", *ns_args, label_selector=f"suite={namespace}")
    assert [i.metadata.name for i in listed.items] == [name]
    assert listed.metadata.resource_version

    stale = json.loads(json.dumps(api.sanitize_for_serialization(read)))
    stale["metadata"]["labels"]["changed"] = "yes"
    replaced = call("replace", name, *ns_args, stale)
    assert replaced.metadata.labels["changed"] == "yes"
    assert int(replaced.metadata.resource_version) > int(read.metadata.resource_version)
    _expect_error(lambda: call("replace", name, *ns_args, stale), 409, "Conflict")
    _expect_error(
        lambda: call(
            "replace",
            "absent-object",
            *ns_args,
            {"metadata": {"name": "absent-object"}, **spec("absent-object")},
        ),
        404,
        "NotFound",
    )

    _, code, _ = getattr(kind_api, f"delete_{scope}_with_http_info")(name, *ns_args)
    assert code == 200
    _expect_error(lambda: call("read", name, *ns_args), 404, "NotFound")
    _expect_error(lambda: call("delete", name, *ns_args), 404, "NotFound")


def test_namespace_crud_and_validation(core: client.CoreV1Api) -> None:
    created, code, _ = core.create_namespace_with_http_info(
        client.V1Namespace.model_validate({"metadata": {"name": "ns-crud"}})
    )
    assert code == 201
    assert created.status and created.metadata and created.metadata.labels
    assert created.status.phase == "Active"
    assert created.metadata.labels["kubernetes.io/metadata.name"] == "ns-crud"
    _expect_error(
        lambda: core.create_namespace(
            client.V1Namespace.model_validate({"metadata": {"name": "ns-crud"}})
        ),
        409,
        "AlreadyExists",
    )
    _expect_error(
        lambda: core.create_namespace(client.V1Namespace.model_validate({"metadata": {}})),
        422,
        "Invalid",
    )
    _expect_error(
        lambda: core.create_namespace(
            client.V1Namespace.model_validate({"metadata": {"name": "Not_A_Label"}})
        ),
        422,
        "Invalid",
    )
    _expect_error(
        lambda: core.create_namespaced_config_map(
            "ns-crud",
            client.V1ConfigMap.model_validate({"kind": "Secret", "metadata": {"name": "x"}}),
        ),
        400,
        "BadRequest",
    )
    deleted = core.delete_namespace("ns-crud")
    assert deleted is not None
    _expect_error(lambda: core.read_namespace("ns-crud"), 404, "NotFound")


def test_create_in_a_missing_namespace_is_404(core: client.CoreV1Api) -> None:
    status = _expect_error(
        lambda: core.create_namespaced_config_map(
            "no-such-ns", client.V1ConfigMap.model_validate({"metadata": {"name": "c"}})
        ),
        404,
        "NotFound",
    )
    assert status["details"] == {"name": "no-such-ns", "kind": "namespaces"}


# --- selectors, patches, namespaces ---------------------------------------------------------


def test_label_selector_operators(core: client.CoreV1Api, namespace: str) -> None:
    for name, labels in {
        "a": {"app": "web", "tier": "front"},
        "b": {"app": "web", "tier": "back"},
        "c": {"app": "db"},
    }.items():
        core.create_namespaced_config_map(
            namespace,
            client.V1ConfigMap.model_validate({"metadata": {"name": name, "labels": labels}}),
        )

    def names(selector: str) -> list[str]:
        items = core.list_namespaced_config_map(namespace, label_selector=selector).items
        named = [i.metadata.name for i in items if i.metadata and i.metadata.name]
        return sorted(n for n in named if n in "abc")

    assert names("app=web") == ["a", "b"]
    assert names("app==db") == ["c"]
    assert names("app!=web") == ["c"]
    assert names("tier in (front, back)") == ["a", "b"]
    assert names("tier notin (front)") == ["b", "c"]
    assert names("tier") == ["a", "b"]
    assert names("!tier") == ["c"]
    assert names("app=web,tier!=front") == ["b"]
    _expect_error(lambda: names("app in web"), 400, "BadRequest")


def test_cluster_wide_list_of_a_namespaced_kind(core: client.CoreV1Api, namespace: str) -> None:
    core.create_namespaced_service(
        namespace,
        client.V1Service.model_validate(
            {"metadata": {"name": "svc"}, "spec": {"ports": [{"port": 80}]}}
        ),
    )
    listed = core.list_service_for_all_namespaces()
    pairs = {(s.metadata.namespace, s.metadata.name) for s in listed.items if s.metadata}
    assert {("default", "kubernetes"), (namespace, "svc")} <= pairs


def test_strategic_merge_and_merge_patch_on_a_deployment(
    apps: client.AppsV1Api, namespace: str
) -> None:
    apps.create_namespaced_deployment(
        namespace,
        client.V1Deployment.model_validate(
            {
                "metadata": {"name": "web", "labels": {"keep": "me"}},
                "spec": {
                    "replicas": 1,
                    "selector": {"matchLabels": {"app": "web"}},
                    "template": {
                        "metadata": {"labels": {"app": "web"}},
                        "spec": {
                            "containers": [
                                {
                                    "name": "web",
                                    "image": "nginx:1.26",
                                    "ports": [{"containerPort": 80}],
                                },
                                {"name": "sidecar", "image": "busybox:1"},
                            ]
                        },
                    },
                },
            }
        ),
    )
    # The client sends dict bodies as strategic merge patches.
    patched = apps.patch_namespaced_deployment(
        "web",
        namespace,
        {"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}}},
    )
    assert patched.spec.template.spec and patched.metadata
    containers = {c.name: c for c in patched.spec.template.spec.containers}
    assert containers["web"].image == "nginx:1.27"
    assert containers["web"].ports
    assert containers["web"].ports[0].container_port == 80
    assert containers["sidecar"].image == "busybox:1"
    assert patched.metadata.generation == 2

    merged = apps.patch_namespaced_deployment(
        "web",
        namespace,
        {"metadata": {"labels": {"added": "yes", "keep": None}}, "spec": {"replicas": 3}},
        _content_type="application/merge-patch+json",
    )
    assert merged.metadata
    assert merged.metadata.labels == {"added": "yes"}
    assert merged.spec.replicas == 3

    # A merge patch replaces lists wholesale.
    replaced = apps.patch_namespaced_deployment(
        "web",
        namespace,
        {"spec": {"template": {"spec": {"containers": [{"name": "only", "image": "x:1"}]}}}},
        _content_type="application/merge-patch+json",
    )
    assert replaced.spec.template.spec
    assert [c.name for c in replaced.spec.template.spec.containers] == ["only"]

    jp = apps.patch_namespaced_deployment(
        "web", namespace, [{"op": "replace", "path": "/spec/replicas", "value": 2}]
    )
    assert jp.spec.replicas == 2
    _expect_error(
        lambda: apps.patch_namespaced_deployment("absent", namespace, {"spec": {}}),
        404,
        "NotFound",
    )


def test_strategic_merge_patch_merges_service_ports_by_port(
    core: client.CoreV1Api, namespace: str
) -> None:
    core.create_namespaced_service(
        namespace,
        client.V1Service.model_validate(
            {
                "metadata": {"name": "svc"},
                "spec": {"ports": [{"name": "web", "port": 80}, {"name": "tls", "port": 443}]},
            }
        ),
    )
    patched = core.patch_namespaced_service(
        "svc", namespace, {"spec": {"ports": [{"port": 443, "targetPort": 8443}]}}
    )
    assert patched.spec and patched.spec.ports
    ports = {p.port: p for p in patched.spec.ports}
    assert set(ports) == {80, 443}
    assert ports[443].target_port == 8443
    assert ports[443].name == "tls"


def test_namespace_deletion_removes_its_objects(
    core: client.CoreV1Api, apps: client.AppsV1Api
) -> None:
    core.create_namespace(client.V1Namespace.model_validate({"metadata": {"name": "doomed"}}))
    core.create_namespaced_config_map(
        "doomed", client.V1ConfigMap.model_validate({"metadata": {"name": "cm"}})
    )
    core.create_namespaced_service_account(
        "doomed", client.V1ServiceAccount.model_validate({"metadata": {"name": "sa"}})
    )
    apps.create_namespaced_deployment(
        "doomed",
        client.V1Deployment.model_validate(
            {
                "metadata": {"name": "d"},
                "spec": {
                    "selector": {"matchLabels": {"a": "b"}},
                    "template": {
                        "metadata": {"labels": {"a": "b"}},
                        "spec": {"containers": [{"name": "c", "image": "busybox:1"}]},
                    },
                },
            }
        ),
    )
    core.delete_namespace("doomed", propagation_policy="Foreground")
    _expect_error(lambda: core.read_namespace("doomed"), 404, "NotFound")
    _expect_error(lambda: core.read_namespaced_config_map("cm", "doomed"), 404, "NotFound")
    assert not [
        d
        for d in apps.list_deployment_for_all_namespaces().items
        if d.metadata and d.metadata.namespace == "doomed"
    ]
    # Recreating it starts empty.
    core.create_namespace(client.V1Namespace.model_validate({"metadata": {"name": "doomed"}}))
    names = {c.metadata.name for c in core.list_namespaced_config_map("doomed").items if c.metadata}
    assert "cm" not in names
    core.delete_namespace("doomed")


@pytest.mark.parametrize("name", ["default", "kube-system", "kube-public", "kube-node-lease"])
def test_system_namespaces_cannot_be_deleted(core: client.CoreV1Api, name: str) -> None:
    status = _expect_error(lambda: core.delete_namespace(name), 403, "Forbidden")
    assert name in status["message"]
    status_after = core.read_namespace(name).status
    assert status_after and status_after.phase == "Active"


# --- behaviour: readiness and load balancer ---------------------------------------------------


def test_deployment_becomes_ready(apps: client.AppsV1Api, namespace: str) -> None:
    created = apps.create_namespaced_deployment(
        namespace,
        client.V1Deployment.model_validate(
            {
                "metadata": {"name": "traefik"},
                "spec": {
                    "replicas": 2,
                    "selector": {"matchLabels": {"app": "traefik"}},
                    "template": {
                        "metadata": {"labels": {"app": "traefik"}},
                        "spec": {"containers": [{"name": "traefik", "image": "traefik:v3.4"}]},
                    },
                },
            }
        ),
    )
    assert created.spec.replicas == 2
    ready = _wait_for(
        lambda: (
            d
            if (d := apps.read_namespaced_deployment_status("traefik", namespace)).status
            and d.status.ready_replicas == 2
            else None
        )
    )
    assert ready.status.available_replicas == 2
    assert ready.status.observed_generation == ready.metadata.generation
    conditions = {c.type: c.status for c in ready.status.conditions}
    assert conditions == {"Available": "True", "Progressing": "True"}


def test_load_balancer_service_gets_an_ip(core: client.CoreV1Api, namespace: str) -> None:
    created = core.create_namespaced_service(
        namespace,
        client.V1Service.model_validate(
            {
                "metadata": {"name": "traefik"},
                "spec": {
                    "type": "LoadBalancer",
                    "externalTrafficPolicy": "Local",
                    "selector": {"app": "traefik"},
                    "ports": [
                        {"name": "web", "port": 80, "targetPort": "web"},
                        {"name": "websecure", "port": 443, "targetPort": "websecure"},
                    ],
                },
            }
        ),
    )
    assert created.spec and created.spec.ports
    assert created.spec.cluster_ip
    assert all(p.node_port and 30000 <= p.node_port <= 32767 for p in created.spec.ports)
    assert created.spec.health_check_node_port
    svc = _wait_for(
        lambda: (
            s
            if (s := core.read_namespaced_service("traefik", namespace)).status
            and s.status.load_balancer
            and s.status.load_balancer.ingress
            else None
        )
    )
    ip = svc.status.load_balancer.ingress[0].ip
    assert ip.startswith("20.")
    # Stable across reads and replaces.
    again = core.replace_namespaced_service(
        "traefik", namespace, core.api_client.sanitize_for_serialization(svc)
    )
    assert again.status and again.status.load_balancer and again.status.load_balancer.ingress
    assert again.status.load_balancer.ingress[0].ip == ip
    assert again.spec
    assert again.spec.cluster_ip == created.spec.cluster_ip


def test_state_file_keeps_the_token_and_objects_across_restarts(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    with Emulator(speed=1000.0, state_file=state) as first:
        first.create_managed_cluster("rg-state", "aks-state")
        before = _admin_kubeconfig(first, "rg-state", "aks-state")
        with config.new_client_from_config_dict(before) as api_client:
            client.CoreV1Api(api_client).create_namespace(
                client.V1Namespace.model_validate({"metadata": {"name": "kept"}})
            )
    with Emulator(speed=1000.0, state_file=state) as second:
        after = _admin_kubeconfig(second, "rg-state", "aks-state")
        assert after["users"][0]["user"]["token"] == before["users"][0]["user"]["token"]
        with config.new_client_from_config_dict(after) as api_client:
            kept = client.CoreV1Api(api_client).read_namespace("kept")
        assert kept.status
        assert kept.status.phase == "Active"


def test_deleting_the_managed_cluster_forgets_its_kubernetes_api(fresh_emulator: Emulator) -> None:
    fresh_emulator.create_managed_cluster("rg-gone", "aks-gone")
    cfg = _admin_kubeconfig(fresh_emulator, "rg-gone", "aks-gone")
    mc = fresh_emulator.ctx.resource_type("Microsoft.ContainerService/managedClusters")
    assert mc is not None
    mc.delete(
        fresh_emulator.ctx,
        f"/subscriptions/{fresh_emulator.subscription_id}/resourceGroups/rg-gone/providers/"
        "Microsoft.ContainerService/managedClusters/aks-gone",
    )
    with config.new_client_from_config_dict(cfg) as api_client:
        _expect_error(lambda: client.CoreV1Api(api_client).list_namespace(), 404, "NotFound")
    assert not fresh_emulator.ctx.store.items("k8s")


def test_watch_stream_lists_current_objects(apps: client.AppsV1Api, namespace: str) -> None:
    apps.create_namespaced_deployment(
        namespace,
        client.V1Deployment.model_validate(
            {
                "metadata": {"name": "watched"},
                "spec": {
                    "selector": {"matchLabels": {"app": "w"}},
                    "template": {
                        "metadata": {"labels": {"app": "w"}},
                        "spec": {"containers": [{"name": "w", "image": "busybox:1"}]},
                    },
                },
            }
        ),
    )
    stream = watch.Watch().stream(apps.list_namespaced_deployment, namespace, timeout_seconds=1)
    event = next(iter(stream))
    assert event["type"] == "ADDED"
    assert event["object"].metadata.name == "watched"


def test_scale_subresource_changes_replicas(apps: client.AppsV1Api, namespace: str) -> None:
    apps.create_namespaced_deployment(
        namespace,
        client.V1Deployment.model_validate(
            {
                "metadata": {"name": "scaled"},
                "spec": {
                    "replicas": 1,
                    "selector": {"matchLabels": {"app": "s"}},
                    "template": {
                        "metadata": {"labels": {"app": "s"}},
                        "spec": {"containers": [{"name": "s", "image": "busybox:1"}]},
                    },
                },
            }
        ),
    )
    scale = apps.read_namespaced_deployment_scale("scaled", namespace)
    assert scale.spec and scale.status
    assert (scale.spec.replicas, scale.status.selector) == (1, "app=s")
    apps.patch_namespaced_deployment_scale("scaled", namespace, {"spec": {"replicas": 3}})
    assert apps.read_namespaced_deployment("scaled", namespace).spec.replicas == 3
    ready = _wait_for(
        lambda: (
            (status := apps.read_namespaced_deployment("scaled", namespace).status) is not None
            and status.ready_replicas == 3
        )
    )
    assert ready
