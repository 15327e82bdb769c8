"""The Traefik manifest set: valid for Kubernetes 1.33 and applied idempotently."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import kubernetes_validate
import pytest

from kompox_tui.azure import ingress
from kompox_tui.azure.clients import AzureClients
from kompox_tui.model import ApiCallEvent, Config, DriverEvent

SPEC = ingress.IngressSpec(
    namespace="traefik", service_account="traefik", client_id="cid-123", tenant_id="tid-456"
)


@pytest.mark.parametrize("obj", ingress.all_manifests(SPEC), ids=ingress.describe)
def test_every_object_validates_strictly_for_kubernetes_1_33(obj: dict[str, Any]) -> None:
    assert kubernetes_validate.validate(obj, "1.33", strict=True) == "1.33"


def test_strict_validation_rejects_unknown_fields() -> None:
    obj = ingress.service_manifest(SPEC)
    obj["spec"]["bogus"] = True
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(obj, "1.33", strict=True)


def test_every_object_is_labelled_managed_by_kompox() -> None:
    for obj in ingress.all_manifests(SPEC):
        assert obj["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "kompox"


def test_service_account_carries_the_workload_identity_annotations() -> None:
    sa = ingress.service_account_manifest(SPEC)
    assert sa["metadata"]["name"] == "traefik"
    assert sa["metadata"]["annotations"] == {
        "azure.workload.identity/client-id": "cid-123",
        "azure.workload.identity/tenant-id": "tid-456",
    }


def test_deployment_shape() -> None:
    dep = ingress.deployment_manifest(SPEC)
    pod = dep["spec"]["template"]
    assert pod["metadata"]["labels"]["azure.workload.identity/use"] == "true"
    assert pod["spec"]["serviceAccountName"] == "traefik"
    assert pod["spec"]["automountServiceAccountToken"] is True
    container = pod["spec"]["containers"][0]
    assert container["image"] == ingress.TRAEFIK_IMAGE
    assert container["image"].startswith("docker.io/traefik:v3.")
    assert "--providers.kubernetesingress=true" in container["args"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports["web"] == 8000 and ports["websecure"] == 8443
    assert container["readinessProbe"]["httpGet"]["path"] == "/ping"
    selector = dep["spec"]["selector"]["matchLabels"]
    assert all(pod["metadata"]["labels"][k] == v for k, v in selector.items())


def test_service_ingress_class_and_rbac_shape() -> None:
    svc = ingress.service_manifest(SPEC)
    assert svc["spec"]["type"] == "LoadBalancer"
    assert svc["spec"]["externalTrafficPolicy"] == "Local"
    assert {(p["port"], p["targetPort"]) for p in svc["spec"]["ports"]} == {
        (80, "web"),
        (443, "websecure"),
    }
    ic = ingress.ingress_class_manifest(SPEC)
    assert ic["metadata"]["name"] == "traefik"
    assert ic["metadata"]["annotations"]["ingressclass.kubernetes.io/is-default-class"] == "true"
    assert ic["spec"]["controller"] == "traefik.io/ingress-controller"
    role = ingress.cluster_role_manifest(SPEC)
    binding = ingress.cluster_role_binding_manifest(SPEC)
    assert role["metadata"]["name"] == binding["metadata"]["name"] == "traefik-traefik"
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "traefik", "namespace": "traefik"}
    ]
    resources = {r for rule in role["rules"] for r in rule["resources"]}
    assert {"ingresses", "ingressclasses", "endpointslices", "services", "secrets"} <= resources


def _writes(events: list[DriverEvent], prefix: str) -> list[ApiCallEvent]:
    return [
        e
        for e in events
        if isinstance(e, ApiCallEvent)
        and e.method in ("POST", "PUT", "PATCH", "DELETE")
        and e.path.startswith(prefix)
    ]


def test_apply_is_idempotent_and_delete_tolerates_missing_objects(
    config_factory: Callable[..., Config], kube_cluster: tuple[str, str]
) -> None:
    rg, name = kube_cluster
    events: list[DriverEvent] = []
    clients = AzureClients(config_factory(), events.append)
    try:
        creds = clients.containers().managed_clusters.list_cluster_admin_credentials(rg, name)
        assert creds.kubeconfigs and creds.kubeconfigs[0].value
        rest = ingress.KubeRest(clients.kube(creds.kubeconfigs[0].value))
        spec = ingress.IngressSpec(namespace="edge", client_id="c1", tenant_id="t1")
        objects = ingress.all_manifests(spec)

        first = ingress.apply_objects(rest, objects)
        assert len(first.created) == len(objects)
        service_path = ingress.object_path("Service", "traefik", "edge")
        _, service = rest.request("GET", service_path, operation="t")

        before = len(events)
        second = ingress.apply_objects(rest, objects)
        assert second.writes == 0
        assert len(second.unchanged) == len(objects)
        # server-side apply: one PATCH per object (not the namespace), nothing else written
        writes = _writes(events[before:], "/k8s/")
        assert {w.method for w in writes} == {"PATCH"}
        assert len(writes) == len(objects) - 1
        _, again = rest.request("GET", service_path, operation="t")
        assert again["metadata"]["resourceVersion"] == service["metadata"]["resourceVersion"]
        assert again["spec"]["clusterIP"] == service["spec"]["clusterIP"]
        managers = {m["manager"] for m in again["metadata"]["managedFields"]}
        assert ingress.FIELD_MANAGER in managers

        changed = ingress.IngressSpec(namespace="edge", client_id="c2", tenant_id="t1")
        third = ingress.apply_objects(rest, ingress.all_manifests(changed))
        assert third.updated == ["ServiceAccount edge/traefik"]
        _, sa = rest.request(
            "GET", ingress.object_path("ServiceAccount", "traefik", "edge"), operation="t"
        )
        assert sa["metadata"]["annotations"]["azure.workload.identity/client-id"] == "c2"

        deleted = ingress.delete_objects(rest, list(reversed(objects)))
        assert len(deleted) == len(objects)
        again = ingress.delete_objects(rest, list(reversed(objects)))
        assert again == []
    finally:
        clients.close()


def test_apply_keeps_other_managers_fields_and_skips_objects_another_tool_owns(
    config_factory: Callable[..., Config], kube_cluster: tuple[str, str]
) -> None:
    rg, name = kube_cluster
    clients = AzureClients(config_factory(), lambda e: None)
    try:
        creds = clients.containers().managed_clusters.list_cluster_admin_credentials(rg, name)
        assert creds.kubeconfigs and creds.kubeconfigs[0].value
        rest = ingress.KubeRest(clients.kube(creds.kubeconfigs[0].value))
        spec = ingress.IngressSpec(namespace="edge2", client_id="c1", tenant_id="t1")
        # an IngressClass "traefik" that Helm installed is there already
        helm_class = ingress.ingress_class_manifest(spec)
        helm_class["metadata"]["labels"] = {"app.kubernetes.io/managed-by": "Helm"}
        helm_class["metadata"]["annotations"] = {"meta.helm.sh/release-name": "traefik"}
        rest.request("POST", ingress.object_path("IngressClass"), helm_class, operation="t")
        result = ingress.apply_objects(rest, ingress.all_manifests(spec))
        assert result.skipped == ["IngressClass traefik (managed by Helm (release traefik))"]
        # another manager labels our Service; our next apply keeps that label
        service_path = ingress.object_path("Service", "traefik", "edge2")
        rest.request(
            "PATCH",
            service_path,
            {"metadata": {"labels": {"team": "web"}}},
            operation="t",
            content_type="application/merge-patch+json",
        )
        changed = ingress.IngressSpec(namespace="edge2", client_id="c2", tenant_id="t1")
        ingress.apply_objects(rest, ingress.all_manifests(changed))
        _, service = rest.request("GET", service_path, operation="t")
        assert service["metadata"]["labels"]["team"] == "web"
        # uninstall leaves the Helm object where it is
        kept: list[str] = []
        ingress.delete_objects(
            rest,
            [ingress.ingress_class_manifest(spec)],
            on_object=lambda action, label: kept.append(f"{action}: {label}"),
        )
        assert kept == ["kept: IngressClass traefik (managed by Helm (release traefik))"]
        class_path = ingress.object_path("IngressClass", "traefik")
        _, still = rest.request("GET", class_path, operation="t")
        assert still["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "Helm"
    finally:
        clients.close()
