"""Generic ARM resource types: the ones a template deploys that no dedicated module owns.

A deployment stack or a template deployment creates every resource it declares through
``ctx.resource_type(type)``; for Key Vault vaults, Log Analytics workspaces, Application
Insights components, portal dashboards, container registries (+ scope maps), user-assigned
identities (+ federated identity credentials), role assignments, diagnostic settings,
storage accounts and ``Microsoft.Resources/deployments`` that is a
:class:`GenericResourceType`: the request body stored as is, plus the runtime properties an
*enricher* adds (``vaultUri``, ``customerId``, ``principalId``…) so ``reference()`` can
read them. Unknown types are stored generically (:func:`resource_impl`). Modules that
register a dedicated type first (keyvault, authorization) keep theirs.

``register(ctx)`` also adds a generic ``GET`` for any stored resource under
``/subscriptions/{s}/resourceGroups/{rg}/providers/...`` (single resources, child and
extension resources, and lists by type); the server registers it after the specific
routes of other modules, which therefore win.

Timing: each resource type has an emulated creation delay (:data:`CREATE_SECONDS`) that
the deployers sleep through ``ctx.clock`` - the product's template takes about 20 s at
speed 1.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Callable
from typing import Any

from . import api_versions
from .arm import DEPLOYMENTS_TYPE, parse_resource_id
from .common import ARM_NS, check_subscription, paged
from .core import (
    ArmError,
    EmulatorContext,
    Request,
    Response,
    iso,
    not_found,
    rg_not_found,
)

DEFAULT_CREATE_SECONDS = 0.5
CREATE_SECONDS: dict[str, float] = {
    "microsoft.resources/resourcegroups": 1.0,
    "microsoft.resources/deployments": 0.1,
    "microsoft.keyvault/vaults": 1.5,
    "microsoft.operationalinsights/workspaces": 1.5,
    "microsoft.insights/components": 1.5,
    "microsoft.portal/dashboards": 0.5,
    "microsoft.containerregistry/registries": 1.5,
    "microsoft.containerregistry/registries/scopemaps": 0.3,
    "microsoft.insights/diagnosticsettings": 0.3,
    "microsoft.managedidentity/userassignedidentities": 1.0,
    "microsoft.managedidentity/userassignedidentities/federatedidentitycredentials": 0.5,
    "microsoft.storage/storageaccounts": 1.5,
    "microsoft.containerservice/managedclusters": 6.0,
    "microsoft.authorization/roleassignments": 0.5,
}
"""Emulated seconds to create one resource of a type (lower-cased)."""


# --- generic resource types -----------------------------------------------------------

Enricher = Callable[[EmulatorContext, dict[str, Any], dict[str, Any] | None], None]


def _principal(ctx: EmulatorContext, display: str) -> dict[str, Any]:
    identity = ctx.services.get("identity")
    if identity is not None and hasattr(identity, "add_principal"):
        rec: dict[str, Any] = identity.add_principal(managed=True, display_name=display)
        return rec
    return {"clientId": str(uuid.uuid4()), "objectId": str(uuid.uuid4())}


class GenericResourceType:
    """A stored ARM resource: the request body plus runtime properties from ``enrich``."""

    def __init__(self, type_name: str, enrich: Enricher | None = None) -> None:
        self.type_name = type_name
        self.enrich = enrich

    def create(
        self, ctx: EmulatorContext, resource_id: str, body: dict[str, Any], api_version: str
    ) -> dict[str, Any]:
        try:
            _sub, rg, rtype, name = parse_resource_id(resource_id)
        except ValueError:
            raise ArmError(
                400, "InvalidResourceId", f"The resource id '{resource_id}' is not valid."
            ) from None
        with ctx.store.lock:
            if rg is not None:
                group = ctx.store.get(
                    ARM_NS, f"/subscriptions/{ctx.subscription_id}/resourceGroups/{rg}"
                )
                if group is None:
                    raise rg_not_found(rg)
            self._check_parent(ctx, resource_id, rtype, rg)
            existing = ctx.store.get(ARM_NS, resource_id)
            resource: dict[str, Any] = {
                "id": resource_id,
                "name": name.split("/")[-1],
                "type": rtype,
            }
            for key in ("location", "kind", "sku", "zones", "plan", "tags", "identity", "etag"):
                if key in body and body[key] is not None:
                    resource[key] = json.loads(json.dumps(body[key]))
                elif existing is not None and key in existing:
                    resource[key] = existing[key]
            # PUT replaces the properties; enrichers keep the stable runtime ids of ``existing``
            props = dict(body.get("properties") or {})
            props["provisioningState"] = "Succeeded"
            resource["properties"] = props
            identity = resource.get("identity")
            if isinstance(identity, dict) and "systemassigned" in str(
                identity.get("type", "")
            ).lower().replace(" ", ""):
                old = (existing or {}).get("identity") or {}
                if old.get("principalId"):
                    identity["principalId"] = old["principalId"]
                else:
                    identity["principalId"] = _principal(ctx, f"{name}-identity")["objectId"]
                identity["tenantId"] = ctx.tenant_id
            if self.enrich is not None:
                self.enrich(ctx, resource, existing)
            now = iso(ctx.clock.now())
            created = ((existing or {}).get("systemData") or {}).get("createdAt", now)
            resource["systemData"] = {"createdAt": created, "lastModifiedAt": now}
            ctx.store.put(ARM_NS, resource_id, resource)
            return resource

    @staticmethod
    def _check_parent(ctx: EmulatorContext, resource_id: str, rtype: str, rg: str | None) -> None:
        low = resource_id.lower()
        last = low.rfind("/providers/")
        scope = resource_id[:last]
        # an extension resource: its scope must exist
        if "/providers/" in scope.lower() and ctx.store.get(ARM_NS, scope) is None:
            _s, _r, stype, sname = parse_resource_id(scope)
            raise not_found(stype, sname, rg or "")
        if rtype.count("/") >= 2:
            parent = resource_id.rsplit("/", 2)[0]
            if ctx.store.get(ARM_NS, parent) is None:
                _s, _r, _ptype, pname = parse_resource_id(parent)
                raise ArmError(
                    404,
                    "ParentResourceNotFound",
                    f"Can not perform requested operation on nested resource. Parent resource "
                    f"'{pname}' not found.",
                )

    def delete(self, ctx: EmulatorContext, resource_id: str) -> None:
        with ctx.store.lock:
            ctx.store.delete(ARM_NS, resource_id)
            ctx.store.delete_prefix(ARM_NS, resource_id.rstrip("/") + "/")


def _vault(ctx: EmulatorContext, r: dict[str, Any], old: dict[str, Any] | None) -> None:
    p = r["properties"]
    p["vaultUri"] = f"https://{r['name'].lower()}.vault.azure.net/"
    p.setdefault("tenantId", ctx.tenant_id)
    p.setdefault("sku", {"family": "A", "name": "standard"})
    p.setdefault("accessPolicies", [])


def _workspace(ctx: EmulatorContext, r: dict[str, Any], old: dict[str, Any] | None) -> None:
    p = r["properties"]
    p["customerId"] = ((old or {}).get("properties") or {}).get("customerId") or str(uuid.uuid4())
    p.setdefault("sku", {"name": "PerGB2018"})
    p.setdefault("retentionInDays", 30)


def _component(ctx: EmulatorContext, r: dict[str, Any], old: dict[str, Any] | None) -> None:
    p = r["properties"]
    prev = (old or {}).get("properties") or {}
    key = prev.get("InstrumentationKey") or str(uuid.uuid4())
    loc = str(r.get("location") or ctx.location).replace(" ", "").lower()
    p["InstrumentationKey"] = key
    p["AppId"] = prev.get("AppId") or str(uuid.uuid4())
    p["ApplicationId"] = r["name"]
    p["Name"] = r["name"]
    p["ConnectionString"] = (
        f"InstrumentationKey={key};IngestionEndpoint=https://{loc}-0.in.applicationinsights."
        f"azure.com/;LiveEndpoint=https://{loc}.livediagnostics.monitor.azure.com/"
    )


def _registry(ctx: EmulatorContext, r: dict[str, Any], old: dict[str, Any] | None) -> None:
    p = r["properties"]
    p["loginServer"] = f"{r['name'].lower()}.azurecr.io"
    p.setdefault("adminUserEnabled", False)
    p["creationDate"] = ((old or {}).get("properties") or {}).get("creationDate") or iso(
        ctx.clock.now()
    )
    r.setdefault("sku", {"name": "Basic", "tier": "Basic"})


def _user_identity(ctx: EmulatorContext, r: dict[str, Any], old: dict[str, Any] | None) -> None:
    p = r["properties"]
    prev = (old or {}).get("properties") or {}
    if prev.get("principalId") and prev.get("clientId"):
        p["principalId"], p["clientId"] = prev["principalId"], prev["clientId"]
    else:
        rec = _principal(ctx, r["name"])
        p["principalId"], p["clientId"] = rec["objectId"], rec["clientId"]
    p["tenantId"] = ctx.tenant_id
    p.pop("provisioningState", None)


def _federated_credential(
    ctx: EmulatorContext, r: dict[str, Any], old: dict[str, Any] | None
) -> None:
    p = r["properties"]
    p.pop("provisioningState", None)
    parent = ctx.store.get(ARM_NS, r["id"].rsplit("/", 2)[0]) or {}
    client_id = (parent.get("properties") or {}).get("clientId")
    identity = ctx.services.get("identity")
    if client_id and identity is not None and hasattr(identity, "add_principal"):
        with contextlib.suppress(TypeError, ValueError):
            identity.add_principal(
                client_id,
                federated_subject=p.get("subject"),
                federated_issuer=p.get("issuer"),
                managed=True,
            )


def _role_assignment(ctx: EmulatorContext, r: dict[str, Any], old: dict[str, Any] | None) -> None:
    p = r["properties"]
    p["scope"] = r["id"][: r["id"].lower().rfind("/providers/microsoft.authorization/")]
    p.setdefault("principalType", "ServicePrincipal")
    p["createdOn"] = ((old or {}).get("properties") or {}).get("createdOn") or iso(ctx.clock.now())
    p.pop("provisioningState", None)


def _storage(ctx: EmulatorContext, r: dict[str, Any], old: dict[str, Any] | None) -> None:
    p = r["properties"]
    n = r["name"].lower()
    p["primaryEndpoints"] = {
        k: f"https://{n}.{k}.core.windows.net/" for k in ("blob", "queue", "table", "file", "dfs")
    } | {"web": f"https://{n}.z11.web.core.windows.net/"}
    p["primaryLocation"] = r.get("location") or ctx.location
    p["statusOfPrimary"] = "available"
    p["creationTime"] = ((old or {}).get("properties") or {}).get("creationTime") or iso(
        ctx.clock.now()
    )
    r.setdefault("kind", "StorageV2")
    r.setdefault("sku", {"name": "Standard_LRS", "tier": "Standard"})


def _no_state(ctx: EmulatorContext, r: dict[str, Any], old: dict[str, Any] | None) -> None:
    r["properties"].pop("provisioningState", None)


GENERIC_TYPES: dict[str, Enricher | None] = {
    "Microsoft.KeyVault/vaults": _vault,
    "Microsoft.OperationalInsights/workspaces": _workspace,
    "Microsoft.Insights/components": _component,
    "Microsoft.Portal/dashboards": None,
    "Microsoft.ContainerRegistry/registries": _registry,
    "Microsoft.ContainerRegistry/registries/scopeMaps": None,
    "Microsoft.ManagedIdentity/userAssignedIdentities": _user_identity,
    "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials": (
        _federated_credential
    ),
    "Microsoft.Authorization/roleAssignments": _role_assignment,
    "Microsoft.Insights/diagnosticSettings": _no_state,
    "Microsoft.Storage/storageAccounts": _storage,
    DEPLOYMENTS_TYPE: None,
}


def resource_impl(ctx: EmulatorContext, rtype: str) -> Any:
    """The registered ResourceType for ``rtype`` or a generic one."""
    return ctx.resource_type(rtype) or GenericResourceType(rtype)


def register(ctx: EmulatorContext) -> None:
    """Add the generic resource types (where no module registered its own) and the generic
    GET; call after every module with specific routes under resource groups."""
    for type_name, enrich in GENERIC_TYPES.items():
        ctx.resource_types.setdefault(type_name.lower(), GenericResourceType(type_name, enrich))
    _register_generic_get(ctx)


def _register_generic_get(ctx: EmulatorContext) -> None:
    def generic_get(req: Request, p: dict[str, str]) -> Response:
        check_subscription(ctx, p["sub"])
        rg = p["rg"]
        rg_key = f"/subscriptions/{ctx.subscription_id}/resourceGroups/{rg}"
        if ctx.store.get(ARM_NS, rg_key) is None:
            raise rg_not_found(rg)
        path = req.path.rstrip("/")
        tail = path[path.lower().rfind("/providers/") + len("/providers/") :]
        segments = [s for s in tail.split("/") if s]
        if len(segments) % 2 == 0:
            # a list of one type: .../providers/NS/type[/name/child]
            prefix = path.lower() + "/"
            items = [
                v
                for k, v in ctx.store.items(ARM_NS, prefix)
                if "/" not in k[len(prefix) :] and isinstance(v, dict)
            ]
            return paged(ctx, req, items)
        resource = ctx.store.get(ARM_NS, path)
        if resource is None:
            try:
                _s, _r, rtype, name = parse_resource_id(path)
            except ValueError:
                rtype, name = tail, ""
            raise not_found(rtype, name, rg)
        return Response(200, resource)

    ctx.router.add("GET", "/subscriptions/{sub}/resourceGroups/{rg}/providers/{rest*}", generic_get)


class EngineHost:
    """The template engine's ResourceHost for stacks and deployments: the api-version
    check, emulated delays, registered resource types.

    ``injected`` (fault injection) fails the first resource creation (not a nested
    deployment) with that error before anything is stored, as a resource provider
    rejecting the resource would.
    """

    def __init__(self, ctx: EmulatorContext, injected: ArmError | None = None) -> None:
        self.ctx = ctx
        self.injected = injected

    def create(
        self, resource_id: str, resource_type: str, api_version: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        # An expression-valued apiVersion is only known now (the preflight saw literals).
        api_versions.check(resource_type, api_version, body.get("location"))
        self.ctx.clock.sleep(CREATE_SECONDS.get(resource_type.lower(), DEFAULT_CREATE_SECONDS))
        if self.injected is not None and resource_type.lower() != DEPLOYMENTS_TYPE.lower():
            error, self.injected = self.injected, None
            raise error
        result: dict[str, Any] = resource_impl(self.ctx, resource_type).create(
            self.ctx, resource_id, body, api_version
        )
        return result

    def get(self, resource_id: str) -> dict[str, Any] | None:
        value = self.ctx.store.get(ARM_NS, resource_id)
        return value if isinstance(value, dict) else None


def iso_duration(seconds: float) -> str:
    """``seconds`` as ARM writes a duration (ISO 8601: ``PT1M2.5S``)."""
    seconds = max(0.0, seconds)
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(int(minutes), 60)
    out = "PT"
    if hours:
        out += f"{hours}H"
    if minutes:
        out += f"{minutes}M"
    return out + f"{secs:.3f}".rstrip("0").rstrip(".") + "S"


def update_stored(
    ctx: EmulatorContext, namespace: str, resource_id: str, fn: Callable[[dict[str, Any]], None]
) -> None:
    """Apply ``fn`` to a stored document under the store lock (nothing if it is gone)."""
    with ctx.store.lock:
        document = ctx.store.get(namespace, resource_id)
        if document is None:
            return
        fn(document)
        ctx.store.put(namespace, resource_id, document)


def set_provisioning_state(
    ctx: EmulatorContext, namespace: str, resource_id: str, state: str
) -> None:
    """``properties.provisioningState`` of a stored stack or deployment."""

    def apply(document: dict[str, Any]) -> None:
        document["properties"]["provisioningState"] = state

    update_stored(ctx, namespace, resource_id, apply)
