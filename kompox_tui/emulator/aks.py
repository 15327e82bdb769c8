"""Managed clusters (``Microsoft.ContainerService/managedClusters``).

REST: GET, PUT (201/200 + ``Azure-AsyncOperation``; creation takes a while in emulated
time), PATCH (``update_tags``: tags replaced, new ``eTag``), DELETE (202 +
``Azure-AsyncOperation`` + ``Location``; 204 when absent),
``POST .../listClusterAdminCredential`` (200 ``{"kubeconfigs":[{"name":"clusterAdmin",
"value":<base64>}]}``), list by resource group and by subscription.

The resource type registered for the stack deployer creates a complete, ``Succeeded``
cluster at once (the deployer provides the staged progress). Each cluster gets a
system-assigned identity and a kubelet identity (``identityProfile.kubeletidentity``),
both registered as managed-identity principals, and a node resource group
``MC_<rg>_<name>_<location>`` (``managedBy`` = the cluster), deleted with it.

Kubernetes: ``ctx.services["kube"].kubeconfig(id, name)`` when the Kubernetes module is
registered; otherwise a kubeconfig pointing at ``<base>/k8s/<key>`` (404 until then).
Deleting a cluster calls ``ctx.services["kube"].forget(id)``.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import secrets
import uuid
from collections.abc import Callable
from typing import Any

from .common import (
    ARM_NS,
    check_preconditions,
    check_subscription,
    failed_write,
    get_rg,
    of_type,
    paged_store,
    provider_id,
    replace_tags,
    require_rg,
    set_provisioning_state,
    start_lro,
)
from .core import ArmError, EmulatorContext, Request, Response, not_found

NAMESPACE = "Microsoft.ContainerService"
TYPE = f"{NAMESPACE}/managedClusters"
CREATE_SECONDS = 300.0
DELETE_SECONDS = 120.0
_PATCH_LEVEL = {"1.30": "1.30.14", "1.31": "1.31.10", "1.32": "1.32.6", "1.33": "1.33.2"}


def _full_version(version: str) -> str:
    if version.count(".") >= 2:
        return version
    return _PATCH_LEVEL.get(version, f"{version}.0")


def cluster_key(resource_id: str) -> str:
    """A stable short key for a cluster's Kubernetes endpoint (fallback only)."""
    return hashlib.sha256(resource_id.lower().encode()).hexdigest()[:16]


def fallback_kubeconfig(ctx: EmulatorContext, resource_id: str, name: str) -> str:
    server = f"{ctx.base_url}/k8s/{cluster_key(resource_id)}"
    ca = base64.b64encode(ctx.ca_pem).decode()
    user = f"clusterAdmin_{name}"
    return (
        "apiVersion: v1\n"
        "kind: Config\n"
        "clusters:\n"
        f"- name: {name}\n"
        "  cluster:\n"
        f"    server: {server}\n"
        f"    certificate-authority-data: {ca}\n"
        "contexts:\n"
        f"- name: {name}\n"
        "  context:\n"
        f"    cluster: {name}\n"
        f"    user: {user}\n"
        f"current-context: {name}\n"
        "users:\n"
        f"- name: {user}\n"
        "  user:\n"
        f"    token: {secrets.token_hex(32)}\n"
    )


class ManagedClusterType:
    """``Microsoft.ContainerService/managedClusters``."""

    def build(
        self,
        ctx: EmulatorContext,
        rg: str,
        name: str,
        body: dict[str, Any],
        existing: dict[str, Any] | None,
    ) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise ArmError(400, "InvalidRequestContent", "The request content was invalid.")
        props_in = dict(body.get("properties") or {})
        location = str(body.get("location") or (existing or {}).get("location") or ctx.location)
        location = location.replace(" ", "").lower()  # ARM answers with the normalised name
        loc = str(location).replace(" ", "").lower()
        old = (existing or {}).get("properties", {})
        version = str(props_in.get("kubernetesVersion") or old.get("kubernetesVersion") or "1.33")
        dns_prefix = props_in.get("dnsPrefix") or old.get("dnsPrefix") or f"{name}-dns"
        rid = (existing or {}).get("id") or provider_id(ctx, rg, NAMESPACE, "managedClusters", name)
        node_rg = (
            props_in.get("nodeResourceGroup")
            or old.get("nodeResourceGroup")
            or f"MC_{rg}_{name}_{loc}"
        )
        identity_svc = ctx.services.get("identity")

        def managed_principal(display: str) -> dict[str, Any]:
            if identity_svc is not None:
                rec: dict[str, Any] = identity_svc.add_principal(managed=True, display_name=display)
                return rec
            return {"clientId": str(uuid.uuid4()), "objectId": str(uuid.uuid4())}

        identity = (existing or {}).get("identity")
        if identity is None:
            sp = managed_principal(f"{name}-identity")
            identity = {
                "type": (body.get("identity") or {}).get("type") or "SystemAssigned",
                "principalId": sp["objectId"],
                "tenantId": ctx.tenant_id,
            }
        kubelet = old.get("identityProfile", {}).get("kubeletidentity")
        if kubelet is None:
            kp = managed_principal(f"{name}-agentpool")
            kubelet = {
                "resourceId": (
                    f"/subscriptions/{ctx.subscription_id}/resourceGroups/{node_rg}/providers/"
                    f"Microsoft.ManagedIdentity/userAssignedIdentities/{name}-agentpool"
                ),
                "clientId": kp["clientId"],
                "objectId": kp["objectId"],
            }
        pools_in = (
            props_in.get("agentPoolProfiles")
            or old.get("agentPoolProfiles")
            or [{"name": "nodepool1", "count": 1, "vmSize": "Standard_D2s_v5", "mode": "System"}]
        )
        pools = []
        for pool in pools_in:
            p = dict(pool)
            p.setdefault("count", 1)
            p.setdefault("vmSize", "Standard_D2s_v5")
            p.setdefault("mode", "System")
            p.setdefault("osType", "Linux")
            p.setdefault("type", "VirtualMachineScaleSets")
            p["orchestratorVersion"] = p.get("orchestratorVersion") or version
            p["currentOrchestratorVersion"] = _full_version(p["orchestratorVersion"])
            p["provisioningState"] = "Succeeded"
            p["powerState"] = {"code": "Running"}
            p["eTag"] = secrets.token_hex(8)
            p.setdefault("maxPods", 30)
            p.setdefault("osDiskSizeGB", 128)
            p.setdefault("osDiskType", "Managed")
            p["nodeImageVersion"] = "AKSUbuntu-2204gen2containerd-202510.03.0"
            pools.append(p)
        props: dict[str, Any] = dict(old)
        props.update(props_in)
        oidc_in = props_in.get("oidcIssuerProfile") or old.get("oidcIssuerProfile") or {}
        issuer = old.get("oidcIssuerProfile", {}).get("issuerURL") or (
            f"https://{loc}.oic.prod-aks.azure.com/{ctx.tenant_id}/{uuid.uuid4()}/"
        )
        fqdn = old.get("fqdn") or f"{dns_prefix}-{secrets.token_hex(4)}.hcp.{loc}.azmk8s.io"
        props.update(
            {
                "provisioningState": "Succeeded",
                "powerState": {"code": "Running"},
                "kubernetesVersion": version,
                "currentKubernetesVersion": _full_version(version),
                "dnsPrefix": dns_prefix,
                "fqdn": fqdn,
                "azurePortalFQDN": fqdn.replace(".hcp.", ".portal.hcp."),
                "nodeResourceGroup": node_rg,
                "enableRBAC": props_in.get("enableRBAC", old.get("enableRBAC", True)),
                "agentPoolProfiles": pools,
                "maxAgentPools": 100,
                "oidcIssuerProfile": {
                    "enabled": bool(oidc_in.get("enabled", True)),
                    "issuerURL": issuer,
                },
                "identityProfile": {"kubeletidentity": kubelet},
            }
        )
        props.setdefault("networkProfile", {"networkPlugin": "azure", "networkPolicy": "azure"})
        props["networkProfile"] = {
            "loadBalancerSku": "standard",
            "serviceCidr": "10.0.0.0/16",
            "dnsServiceIP": "10.0.0.10",
            "outboundType": "loadBalancer",
            **dict(props["networkProfile"]),
        }
        cluster: dict[str, Any] = {
            "id": rid,
            "name": (existing or {}).get("name") or name,
            "type": TYPE,
            "location": location,
            "eTag": secrets.token_hex(8),
            "identity": identity,
            "sku": body.get("sku")
            or (existing or {}).get("sku")
            or {"name": "Base", "tier": "Free"},
            "properties": props,
        }
        tags = body.get("tags") if "tags" in body else (existing or {}).get("tags")
        if tags:
            cluster["tags"] = dict(tags)
        return cluster

    def _ensure_node_rg(self, ctx: EmulatorContext, cluster: dict[str, Any]) -> None:
        node_rg = cluster["properties"]["nodeResourceGroup"]
        if get_rg(ctx, node_rg) is None:
            rg_type = ctx.resource_type("Microsoft.Resources/resourceGroups")
            if rg_type is not None:
                rg_type.create(
                    ctx,
                    f"/subscriptions/{ctx.subscription_id}/resourceGroups/{node_rg}",
                    {"location": cluster["location"], "managedBy": cluster["id"]},
                    "2025-04-01",
                )

    def create(
        self, ctx: EmulatorContext, resource_id: str, body: dict[str, Any], api_version: str
    ) -> dict[str, Any]:
        parts = resource_id.strip("/").split("/")
        rg, name = parts[3], parts[-1]
        with ctx.store.lock:
            require_rg(ctx, rg, for_write=True)
            rid = provider_id(ctx, rg, NAMESPACE, "managedClusters", name)
            existing = ctx.store.get(ARM_NS, rid)
            cluster = self.build(ctx, rg, name, body, existing)
            ctx.store.put(ARM_NS, cluster["id"], cluster)
            self._ensure_node_rg(ctx, cluster)
            return cluster

    def delete(self, ctx: EmulatorContext, resource_id: str) -> None:
        with ctx.store.lock:
            cluster = ctx.store.get(ARM_NS, resource_id)
            ctx.store.delete(ARM_NS, resource_id)
        kube = ctx.services.get("kube")
        if kube is not None and hasattr(kube, "forget"):
            kube.forget(resource_id)
        if isinstance(cluster, dict):
            node_rg = cluster.get("properties", {}).get("nodeResourceGroup")
            rg = get_rg(ctx, node_rg) if node_rg else None
            if rg is not None and str(rg.get("managedBy", "")).lower() == resource_id.lower():
                rg_type = ctx.resource_type("Microsoft.Resources/resourceGroups")
                if rg_type is not None:
                    rg_type.delete(ctx, rg["id"])

    def kubeconfig(self, ctx: EmulatorContext, cluster: dict[str, Any]) -> str:
        kube = ctx.services.get("kube")
        if kube is not None and hasattr(kube, "kubeconfig"):
            return str(kube.kubeconfig(cluster["id"], cluster["name"]))
        return fallback_kubeconfig(ctx, cluster["id"], cluster["name"])


def register(ctx: EmulatorContext) -> ManagedClusterType:
    impl = ManagedClusterType()
    ctx.resource_types[TYPE.lower()] = impl
    many_rg = (
        "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ContainerService/"
        "managedClusters"
    )
    one = many_rg + "/{name}"

    def rid_of(p: dict[str, str]) -> str:
        return provider_id(ctx, p["rg"], NAMESPACE, "managedClusters", p["name"])

    def lro_headers(
        req: Request,
        cluster: dict[str, Any],
        *,
        duration: float,
        finish: Callable[[], None] | None = None,
        on_error: Callable[[ArmError], None] | None = None,
        location_header: bool = False,
    ) -> dict[str, str]:
        """Start the LRO of a cluster write: ``Azure-AsyncOperation`` (+ ``Location`` for
        DELETE, as AKS sends), ``Retry-After``."""
        _, headers = start_lro(
            ctx,
            req,
            duration=duration,
            namespace=NAMESPACE,
            location=str(cluster["location"]).replace(" ", "").lower(),
            finish=finish,
            on_error=on_error,
            resource_id=cluster["id"],
        )
        if not location_header:
            headers.pop("Location", None)
        return headers

    def get(req: Request, p: dict[str, str]) -> Response:
        check_subscription(ctx, p["sub"])
        require_rg(ctx, p["rg"])
        cluster = ctx.store.get(ARM_NS, rid_of(p))
        if not isinstance(cluster, dict):
            raise not_found(TYPE, p["name"], p["rg"])
        return Response(200, cluster)

    def put(req: Request, p: dict[str, str]) -> Response:
        check_subscription(ctx, p["sub"])
        body = req.json() or {}
        with ctx.store.lock:
            require_rg(ctx, p["rg"], for_write=True)
            rid = rid_of(p)
            existing = ctx.store.get(ARM_NS, rid)
            check_preconditions(
                req, (existing or {}).get("eTag"), existing is not None, method="PUT"
            )
            if not (body.get("location") or existing):
                raise ArmError(
                    400,
                    "LocationRequired",
                    "The location property is required for this definition.",
                )
            cluster = impl.build(ctx, p["rg"], p["name"], body, existing)
            cluster["properties"]["provisioningState"] = "Creating" if not existing else "Updating"
            rid = cluster["id"]
            ctx.store.put(ARM_NS, rid, cluster)
            impl._ensure_node_rg(ctx, cluster)
        headers = lro_headers(
            req,
            cluster,
            duration=CREATE_SECONDS if not existing else 30.0,
            finish=lambda: set_provisioning_state(ctx, rid, "Succeeded"),
            on_error=failed_write(ctx, rid, existing),
        )
        return Response(200 if existing else 201, cluster, headers)

    def delete(req: Request, p: dict[str, str]) -> Response:
        check_subscription(ctx, p["sub"])
        with ctx.store.lock:
            require_rg(ctx, p["rg"], for_write=True)
            rid = rid_of(p)
            cluster = ctx.store.get(ARM_NS, rid)
            check_preconditions(
                req,
                (cluster or {}).get("eTag"),
                isinstance(cluster, dict),
                method="DELETE",
            )
            if not isinstance(cluster, dict):
                return Response(204)
            rid = cluster["id"]
            cluster["properties"]["provisioningState"] = "Deleting"
            ctx.store.put(ARM_NS, rid, cluster)
        headers = lro_headers(
            req,
            cluster,
            duration=DELETE_SECONDS,
            finish=lambda: impl.delete(ctx, rid),
            on_error=lambda _err: set_provisioning_state(ctx, rid, "Failed"),
            location_header=True,
        )
        return Response(202, None, headers)

    def patch(req: Request, p: dict[str, str]) -> Response:
        """``update_tags``: the body's ``tags`` replace the tag map."""
        check_subscription(ctx, p["sub"])
        body = req.json() or {}
        with ctx.store.lock:
            require_rg(ctx, p["rg"], for_write=True)
            rid = rid_of(p)
            cluster = ctx.store.get(ARM_NS, rid)
            check_preconditions(
                req, (cluster or {}).get("eTag"), isinstance(cluster, dict), method="PATCH"
            )
            if not isinstance(cluster, dict):
                raise not_found(TYPE, p["name"], p["rg"])
            before = copy.deepcopy(cluster)
            replace_tags(cluster, body.get("tags"))
            cluster["eTag"] = secrets.token_hex(8)
            ctx.store.put(ARM_NS, cluster["id"], cluster)
        headers = lro_headers(
            req, cluster, duration=5.0, on_error=failed_write(ctx, cluster["id"], before)
        )
        return Response(200, cluster, headers)

    def credentials(req: Request, p: dict[str, str]) -> Response:
        check_subscription(ctx, p["sub"])
        require_rg(ctx, p["rg"])
        cluster = ctx.store.get(ARM_NS, rid_of(p))
        if not isinstance(cluster, dict):
            raise not_found(TYPE, p["name"], p["rg"])
        text = impl.kubeconfig(ctx, cluster)
        value = base64.b64encode(text.encode("utf-8")).decode("ascii")
        return Response(200, {"kubeconfigs": [{"name": "clusterAdmin", "value": value}]})

    def list_rg(req: Request, p: dict[str, str]) -> Response:
        check_subscription(ctx, p["sub"])
        require_rg(ctx, p["rg"])
        prefix = f"/subscriptions/{ctx.subscription_id}/resourceGroups/{p['rg']}/providers/"
        return paged_store(ctx, req, prefix, of_type(TYPE))

    def list_sub(req: Request, p: dict[str, str]) -> Response:
        check_subscription(ctx, p["sub"])
        prefix = f"/subscriptions/{ctx.subscription_id}/resourceGroups/"
        return paged_store(ctx, req, prefix, of_type(TYPE))

    ctx.router.add("GET", one, get)
    ctx.router.add("PUT", one, put)
    ctx.router.add("PATCH", one, patch)
    ctx.router.add("DELETE", one, delete)
    ctx.router.add("POST", one + "/listClusterAdminCredential", credentials)
    ctx.router.add("POST", one + "/listClusterUserCredential", credentials)
    ctx.router.add("GET", many_rg, list_rg)
    ctx.router.add(
        "GET", "/subscriptions/{sub}/providers/Microsoft.ContainerService/managedClusters", list_sub
    )
    return impl
