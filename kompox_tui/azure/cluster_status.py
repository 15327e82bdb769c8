"""Cluster status (SPEC §4 status; kompox-real-facts.md §6.2 for the kompoxops layout).

The provisioning object (stack or subscription deployment, through ``ops._get_stack``) and
its outputs, the AKS cluster they name, and the ingress: "installed" as the layout judges
it (the guide: the ingress namespace / Traefik Deployment; kompoxops: the ``traefik``
Service), Traefik's readiness and the load balancer address. When the layout's object is
missing but another layout's exists for the same cluster, the status says so and how to
open it. Never raises for what it finds; problems are listed.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from ..errors import KompoxError
from ..layouts import LAYOUT_NAMES, get_layout, layout_name_of
from ..model import ClusterStatus
from . import ingress
from .clients import AzureClients
from .cluster import (
    OUT_CLUSTER_NAME,
    OUT_RESOURCE_GROUP,
    _state,
    map_azure_error,
    stack_outputs,
)

if TYPE_CHECKING:
    from .cluster import ClusterOps


#: The api-version azure-mgmt-containerservice sends (its default): :func:`aks_call` makes
#: the same requests as the SDK's ``managed_clusters.get`` / ``list_cluster_admin_credentials``.
AKS_API_VERSION = "2026-08-01"


def aks_call(clients: AzureClients, method: str, rg: str, name: str, action: str = "") -> Any:
    """A managed-cluster GET (``action=""``) or POST action as plain JSON, without the
    container-service SDK: its import (~90 ms) and model deserialisation were the largest
    part of the status path left after the emulator moved out (docs/performance.md).

    Sent through the provisioning clients' pipeline (same credential, retries, deadline
    and ApiCallEvents); errors raise what the SDK raises (``ResourceNotFoundError`` for
    404, else ``HttpResponseError`` with ARM's error body).
    """
    from urllib.parse import quote

    from azure.core.exceptions import (
        ClientAuthenticationError,
        HttpResponseError,
        ResourceExistsError,
        ResourceNotFoundError,
        ResourceNotModifiedError,
        map_error,
    )
    from azure.core.rest import HttpRequest
    from azure.mgmt.core.exceptions import ARMErrorFormat

    path = (
        f"/subscriptions/{quote(clients.subscription_id, safe='')}"
        f"/resourceGroups/{quote(rg, safe='')}"
        f"/providers/Microsoft.ContainerService/managedClusters/{quote(name, safe='')}"
        + (f"/{action}" if action else "")
    )
    request = HttpRequest(
        method,
        path,
        params={"api-version": AKS_API_VERSION},
        headers={"Accept": "application/json"},
    )
    response = clients.stacks().send_request(request)
    if response.status_code != 200:
        map_error(
            status_code=response.status_code,
            response=response,
            error_map={
                401: ClientAuthenticationError,
                404: ResourceNotFoundError,
                409: ResourceExistsError,
                304: ResourceNotModifiedError,
            },
        )
        raise HttpResponseError(response=response, error_format=ARMErrorFormat)
    return response.json()


def warm_imports() -> None:
    """Import the modules a first status refresh needs: azure-identity, the ARM clients
    it calls and the light Kubernetes client (about 0.5 s of CPU on the development VM).

    For a caller with time to spare before its clusters are known -- the demo while its
    emulator starts in another process -- so the refresh itself does not pay for them.
    """
    import azure.identity  # noqa: F401
    from azure.mgmt.resource.deployments import DeploymentsMgmtClient  # noqa: F401
    from azure.mgmt.resource.deploymentstacks import DeploymentStacksClient  # noqa: F401

    from . import credentials, kube_http  # noqa: F401


def read_status(ops: ClusterOps, operation: str) -> ClusterStatus:
    from azure.core.exceptions import ResourceNotFoundError

    cluster = ops.config.cluster
    namespace = ops.ingress_namespace
    rg_setting = ops.layout.cluster_resource_group()
    target = ops.layout.provisioning_object()
    base: dict[str, Any] = {
        "existing": cluster.existing,
        "ingress_namespace": namespace,
        "resource_group": rg_setting,
        "provisioning_kind": target.kind,
        "provisioning_name": target.name,
    }
    stack = ops._get_stack(operation)
    if stack is None:
        other = _other_layout_found(ops, operation)
        if other is not None:
            name, description = other
            hint = (
                f"no {ops.object_description} found, but {description} exists (the "
                f"{name} layout's): open it with --layout {name} or the provider setting "
                f"KOMPOX_TUI_LAYOUT: {name}"
            )
            return ClusterStatus(
                provisioned=False,
                installed=False,
                other_layout=name,
                problems=(hint,),
                **base,
            )
        return ClusterStatus(provisioned=False, installed=False, **base)
    props = stack.get("properties") or {}
    stack_state = _state(props.get("provisioningState")) or None
    outputs = stack_outputs(stack)
    base["resource_group"] = outputs.get(OUT_RESOURCE_GROUP) or rg_setting
    base["stack_state"] = stack_state
    base["outputs"] = tuple(sorted(outputs.items()))
    problems: list[str] = []
    if (stack_state or "").lower() != "succeeded":
        err = props.get("error") or {}
        if err:
            problems.append(
                f"{target.kind}: ({err.get('code')}) {err.get('message') or ''}".strip()
            )
        return ClusterStatus(provisioned=False, installed=False, problems=tuple(problems), **base)
    rg = outputs.get(OUT_RESOURCE_GROUP, "")
    name = outputs.get(OUT_CLUSTER_NAME, "")
    if not rg or not name:
        problems.append(f"{target.kind} outputs lack {OUT_RESOURCE_GROUP}/{OUT_CLUSTER_NAME}")
        return ClusterStatus(provisioned=False, installed=False, problems=tuple(problems), **base)
    try:
        aks = aks_call(ops.clients, "GET", rg, name) or {}
    except ResourceNotFoundError:
        problems.append(f"managed cluster {name} not found in {rg}")
        return ClusterStatus(provisioned=False, installed=False, problems=tuple(problems), **base)
    except Exception as exc:
        raise map_azure_error(operation, exc, ops.clients.endpoint) from None
    aks_props = aks.get("properties") or {}
    aks_state = _state(aks_props.get("provisioningState")) or None
    power = _state((aks_props.get("powerState") or {}).get("code")) or None
    version = aks_props.get("currentKubernetesVersion") or aks_props.get("kubernetesVersion")
    base.update(aks_state=aks_state, power_state=power, kubernetes_version=version)
    provisioned = True
    if (aks_state or "").lower() != "succeeded":
        problems.append(f"managed cluster {name} is {aks_state or 'in an unknown state'}")
        return ClusterStatus(
            provisioned=provisioned, installed=False, problems=tuple(problems), **base
        )
    if power and power.lower() != "running":
        problems.append(f"managed cluster {name} is {power}")
    kube = _ingress_status(ops, operation, rg, name, namespace, problems)
    return ClusterStatus(provisioned=provisioned, problems=tuple(problems), **base, **kube)


def _ingress_status(
    ops: ClusterOps, operation: str, rg: str, name: str, namespace: str, problems: list[str]
) -> dict[str, Any]:
    """installed + Traefik readiness + LB address, in at most 2 Kubernetes GETs."""

    def check(rest: ingress.KubeRest) -> dict[str, Any]:
        if ops.layout.installed_marker == "service":
            return _service_marker_status(ops, operation, rest, namespace, problems)
        result: dict[str, Any] = {"installed": False}
        status, deployment = rest.request(
            "GET",
            ingress.object_path("Deployment", ingress.TRAEFIK_NAME, namespace),
            operation=operation,
            ok_missing=True,
        )
        if status != 404 and deployment is not None:
            result["installed"] = True
            spec = deployment.get("spec") or {}
            dstatus = deployment.get("status") or {}
            result["traefik_desired"] = int(spec.get("replicas", 1) or 0)
            result["traefik_ready"] = int(dstatus.get("readyReplicas") or 0)
            _, service = rest.request(
                "GET",
                ingress.object_path("Service", ingress.TRAEFIK_NAME, namespace),
                operation=operation,
                ok_missing=True,
            )
            lb = (((service or {}).get("status") or {}).get("loadBalancer") or {}).get(
                "ingress"
            ) or []
            if lb:
                result["ingress_ip"] = lb[0].get("ip") or None
                result["ingress_fqdn"] = lb[0].get("hostname") or None
            if result["traefik_ready"] < result["traefik_desired"]:
                problems.append(
                    f"Traefik ready {result['traefik_ready']}/{result['traefik_desired']}"
                )
            return result
        if namespace in ingress.PROTECTED_NAMESPACES:
            # default (SPEC §4 deviation) and the other system namespaces always exist,
            # so for them installed is judged by the Traefik Deployment alone.
            return result
        ns_status, ns = rest.request(
            "GET",
            ingress.object_path("Namespace", namespace),
            operation=operation,
            ok_missing=True,
        )
        if ns_status != 404 and ns is not None:
            phase = (ns.get("status") or {}).get("phase")
            if phase == "Terminating":
                problems.append(f"namespace {namespace} is terminating")
            else:
                result["installed"] = True
                problems.append(f"namespace {namespace} exists but Traefik is not deployed")
        return result

    try:
        return ops._with_kube(operation, rg, name, check)
    except KompoxError as exc:
        problems.append(f"cannot check the ingress: {exc}")
        return {"installed": False}


def _service_marker_status(
    ops: ClusterOps, operation: str, rest: ingress.KubeRest, namespace: str, problems: list[str]
) -> dict[str, Any]:
    """kompoxops's judgement: installed = the ``traefik`` Service exists (even before
    its load balancer has an address); plus the Deployment's readiness when present."""
    result: dict[str, Any] = {"installed": False}
    status, service = rest.request(
        "GET",
        ingress.object_path("Service", ingress.TRAEFIK_NAME, namespace),
        operation=operation,
        ok_missing=True,
    )
    if status == 404 or service is None:
        return result
    result["installed"] = True
    labels = (service.get("metadata") or {}).get("labels") or {}
    managed_by = labels.get(ingress.MANAGED_BY_LABEL)
    result["ingress_managed_by"] = str(managed_by) if managed_by else None
    lb = ((service.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    if lb:
        result["ingress_ip"] = lb[0].get("ip") or None
        result["ingress_fqdn"] = lb[0].get("hostname") or None
    _, deployment = rest.request(
        "GET",
        ingress.object_path("Deployment", ingress.TRAEFIK_NAME, namespace),
        operation=operation,
        ok_missing=True,
    )
    if deployment is None:
        problems.append(f"Service {namespace}/traefik exists but no Deployment traefik")
        return result
    result["traefik_desired"] = int((deployment.get("spec") or {}).get("replicas", 1) or 0)
    result["traefik_ready"] = int((deployment.get("status") or {}).get("readyReplicas") or 0)
    if result["traefik_ready"] < result["traefik_desired"]:
        problems.append(f"Traefik ready {result['traefik_ready']}/{result['traefik_desired']}")
    return result


def _other_layout_found(ops: ClusterOps, operation: str) -> tuple[str, str] | None:
    """``(layout, description)`` of another layout's provisioning object that exists
    for this cluster, when this layout's does not (one GET per other layout)."""
    mine = layout_name_of(ops.config)
    for name in LAYOUT_NAMES:
        if name == mine:
            continue
        try:
            target = get_layout(name)(ops.config).provisioning_object()
        except (ValueError, KeyError, TypeError, AttributeError):
            continue  # the other layout cannot name this config's object
        if target.name == ops.stack_name and target.kind == ops.layout.provisioning_object().kind:
            continue
        with contextlib.suppress(KompoxError):
            if _object_exists(ops.clients, target.kind, target.name, operation):
                return name, target.description
    return None


def _object_exists(clients: AzureClients, kind: str, name: str, operation: str) -> bool:
    """Whether a subscription deployment stack (``stack``) or deployment exists."""
    from azure.core.exceptions import ResourceNotFoundError

    try:
        if kind == "deployment":
            return bool(
                clients.deployments().deployments.check_existence_at_subscription_scope(name)
            )
        clients.stacks().deployment_stacks.get_at_subscription(name)
        return True
    except ResourceNotFoundError:
        return False
    except Exception as exc:
        raise map_azure_error(operation, exc, clients.endpoint) from None
