"""Deployment Stacks at subscription scope, and the generic ARM resource types they deploy.

Routes (``/subscriptions/{s}/providers/Microsoft.Resources/...``):

- ``PUT deploymentStacks/{name}``: 201 + ``Azure-AsyncOperation``
  (``.../locations/{loc}/deploymentStackOperationStatus/{id}``) + ``Retry-After``; the stack
  is stored ``initializing`` and a background thread moves it through ``validating`` ->
  ``deploying`` (each created resource appears in ``resources[]``) -> ``succeeded`` /
  ``failed``. A re-PUT redeploys; resources no longer in the template are detached or
  deleted per ``actionOnUnmanage``.
- ``GET deploymentStacks/{name}`` (never with ``template``), ``GET deploymentStacks``
  (paged), ``POST deploymentStacks/{name}/exportTemplate`` -> ``{"template": ...}``.
- ``DELETE deploymentStacks/{name}?unmanageAction.Resources=delete|detach&...``: 202 +
  ``Location`` (``/subscriptions/{s}/operationresults/{id}``, served by
  :mod:`.operations_routes` from ``ctx.operations``); ``delete`` removes the managed
  resources / resource groups, ``detach`` (the default) leaves them.
- ``GET .../locations/{loc}/deploymentStackOperationStatus/{id}``: the async status body.
- A generic ``GET`` for any stored resource under ``/subscriptions/{s}/resourceGroups/{rg}/
  providers/...`` (single resources, child and extension resources, and lists by type),
  registered last so the specific routes of other modules win.

Resource types registered here (so a template can create them and ``reference()`` can
read their runtime properties): Key Vault vaults, Log Analytics workspaces, Application
Insights components, portal dashboards, container registries (+ scope maps), user-assigned
identities (+ federated identity credentials), role assignments, diagnostic settings,
storage accounts and ``Microsoft.Resources/deployments``. Unknown types are stored
generically.

Timing: each resource type has an emulated creation delay (:data:`CREATE_SECONDS`) slept
through ``ctx.clock`` - the product's template takes about 20 s at speed 1.
"""

from __future__ import annotations

import base64
import contextlib
import json
import math
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import api_versions
from .common import (
    ARM_NS,
    check_subscription,
    operation_result_response,
    paged,
    retry_after,
)
from .core import (
    ArmError,
    EmulatorContext,
    Operation,
    Request,
    Response,
    injected_lro_error,
    iso,
    not_found,
    rg_not_found,
)
from .operations_routes import async_status_handler
from .template import (
    DEPLOYMENTS_TYPE,
    RESOURCE_GROUPS_TYPE,
    DeploymentScope,
    ResourceEvent,
    TemplateError,
    deploy,
    parse_resource_id,
    validate,
)

STACK_TYPE = "Microsoft.Resources/deploymentStacks"
STACKS_NS = "stacks"
TEMPLATES_NS = "stack_templates"
VALIDATE_SECONDS = 1.0
"""Emulated duration of the validation stage."""
DELETE_SECONDS = 0.4
"""Emulated time to delete one managed resource."""
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
_STACK_PATH = "/subscriptions/{sub}/providers/Microsoft.Resources/deploymentStacks"
_NON_TERMINAL = {"initializing", "validating", "deploying", "deleting", "deletingresources"}


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


# --- the stack deployer -------------------------------------------------------------


class _StackHost:
    """The template engine's ResourceHost: emulated delays + registered resource types.

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


def _duration(seconds: float) -> str:
    seconds = max(0.0, seconds)
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(int(minutes), 60)
    out = "PT"
    if hours:
        out += f"{hours}H"
    if minutes:
        out += f"{minutes}M"
    return out + f"{secs:.3f}".rstrip("0").rstrip(".") + "S"


def _managed(resource_id: str) -> dict[str, str]:
    return {"id": resource_id, "status": "managed", "denyStatus": "none"}


def _token_claims(req: Request) -> dict[str, Any]:
    """The claims of the (already verified) bearer token, or {}."""
    token = (req.header("authorization") or "").split(" ", 1)[-1]
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}
    return claims if isinstance(claims, dict) else {}


def _system_data(
    req: Request, ctx: EmulatorContext, existing: dict[str, Any] | None, now: str
) -> dict[str, Any]:
    """ARM ``systemData``: who created / last modified the stack and when. A service
    principal appears as its application id with type ``Application`` (a managed identity
    as ``ManagedIdentity``, a user as ``User``)."""
    claims = _token_claims(req)
    who = str(claims.get("appid") or claims.get("oid") or "")
    kind = "Application" if claims.get("idtyp") == "app" else "User"
    if claims.get("xms_mirid"):
        kind = "ManagedIdentity"
    before = (existing or {}).get("systemData") or {}
    return {
        "createdBy": before.get("createdBy", who),
        "createdByType": before.get("createdByType", kind),
        "createdAt": before.get("createdAt", now),
        "lastModifiedBy": who,
        "lastModifiedByType": kind,
        "lastModifiedAt": now,
    }


def _deployer_object_id(req: Request, ctx: EmulatorContext) -> str:
    """The ``oid`` of the (already verified) bearer token."""
    auth = req.header("authorization") or ""
    token = auth.split(" ", 1)[-1]
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        oid = claims.get("oid")
        if isinstance(oid, str) and oid:
            return oid
    except (IndexError, ValueError):
        pass
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"deployer:{ctx.tenant_id}"))


def _stack_error(correlation_id: str, detail: dict[str, Any]) -> dict[str, Any]:
    return {
        "code": "DeploymentStackUpdateFailed",
        "message": (
            f"One or more stages of the deploymentStack failed. Correlation id: '{correlation_id}'."
        ),
        "details": [detail],
    }


def _deployment_failed(deployment_id: str, inner: dict[str, Any]) -> dict[str, Any]:
    if inner.get("code") != "DeploymentFailed":
        inner = {
            "code": "DeploymentFailed",
            "target": deployment_id,
            "message": (
                "At least one resource deployment operation failed. Please list deployment "
                "operations for details. Please see https://aka.ms/arm-deployment-operations "
                "for usage details."
            ),
            "details": [inner],
        }
    return {
        "code": "DeploymentStackDeploymentFailed",
        "message": (
            f"The deployment '{deployment_id}' of the deployment stack failed. See details."
        ),
        "details": [inner],
    }


@dataclass
class _Run:
    """One deployment of a stack (a PUT) running in a background thread."""

    ctx: EmulatorContext
    stack_id: str
    stack_name: str
    op: Operation
    template: dict[str, Any]
    parameters: dict[str, Any]
    scope: DeploymentScope
    injected: ArmError | None
    """A fault-injected error: the first resource the deployment creates fails with it."""
    previous: list[str]
    failed: list[dict[str, Any]] = field(default_factory=list)
    """``failedResources``: each resource whose deployment failed, with its error."""

    def update(self, fn: Callable[[dict[str, Any]], None]) -> None:
        with self.ctx.store.lock:
            stack = self.ctx.store.get(STACKS_NS, self.stack_id)
            if stack is None:
                return
            fn(stack)
            self.ctx.store.put(STACKS_NS, self.stack_id, stack)

    def set_state(self, state: str) -> None:
        def apply(stack: dict[str, Any]) -> None:
            stack["properties"]["provisioningState"] = state

        self.update(apply)

    def run(self) -> None:
        started = self.ctx.clock.monotonic()
        props_deployment_id = self.scope.deployment_id
        try:
            self.set_state("validating")
            self.ctx.clock.sleep(VALIDATE_SECONDS)
            try:
                validate(self.template, self.parameters, scope=self.scope)
                # ARM's preflight: every declared resource's apiVersion must be registered.
                api_versions.check_template(self.template, self.scope.location)
            except TemplateError as exc:
                self.finish_failed(started, exc.to_dict(), validation=True)
                return
            except ArmError as exc:
                self.finish_failed(started, exc.error_body(), validation=True)
                return
            self.set_state("deploying")
            created: list[str] = []

            def on_resource(event: ResourceEvent) -> None:
                if event.resource_type == DEPLOYMENTS_TYPE:
                    return
                if event.phase == "failed":
                    error = event.error.to_dict() if event.error is not None else {}
                    self.failed.append({"id": event.resource_id, "error": error})
                if event.phase == "created":
                    created.append(event.resource_id)

                    def add(stack: dict[str, Any]) -> None:
                        resources = stack["properties"].setdefault("resources", [])
                        if all(r["id"].lower() != event.resource_id.lower() for r in resources):
                            resources.append(_managed(event.resource_id))

                    self.update(add)

            try:
                result = deploy(
                    self.template,
                    self.parameters,
                    scope=self.scope,
                    host=_StackHost(self.ctx, self.injected),
                    on_resource=on_resource,
                )
            except TemplateError as exc:
                body = exc.to_dict()
                detail = (
                    body
                    if exc.code == "InvalidTemplate"
                    else _deployment_failed(props_deployment_id, body)
                )
                self.finish_failed(started, detail, validation=exc.code == "InvalidTemplate")
                return
            self.record_deployment(result.outputs, started)
            self.finish_succeeded(started, result.resource_ids, result.outputs)
        except Exception as exc:  # the thread must always end the operation
            self.finish_failed(
                started,
                {"code": "InternalServerError", "message": f"The emulator failed: {exc!r}"},
            )

    def record_deployment(self, outputs: dict[str, Any], started: float) -> None:
        """Store the stack's own subscription-scope deployment (its ``deploymentId``)."""
        body = {
            "location": self.scope.location,
            "properties": {
                "mode": "Incremental",
                "outputs": outputs,
                "timestamp": iso(self.ctx.clock.now()),
                "duration": _duration(self.ctx.clock.monotonic() - started),
            },
        }
        resource_impl(self.ctx, DEPLOYMENTS_TYPE).create(
            self.ctx, self.scope.deployment_id, body, "2025-04-01"
        )

    def finish_succeeded(
        self, started: float, resource_ids: list[str], outputs: dict[str, Any]
    ) -> None:
        current: list[str] = []
        for rid in resource_ids:
            if all(rid.lower() != c.lower() for c in current):
                current.append(rid)
        gone = [p for p in self.previous if all(p.lower() != c.lower() for c in current)]
        stack = self.ctx.store.get(STACKS_NS, self.stack_id) or {}
        action = (stack.get("properties") or {}).get("actionOnUnmanage") or {}
        deleted, detached = _unmanage(self.ctx, gone, action)

        def apply(stack: dict[str, Any]) -> None:
            p = stack["properties"]
            p["resources"] = [_managed(r) for r in current]
            p["outputs"] = outputs
            p["deletedResources"] = [{"id": r} for r in deleted]
            p["detachedResources"] = [{"id": r} for r in detached]
            p["failedResources"] = []
            p["duration"] = _duration(self.ctx.clock.monotonic() - started)
            p["provisioningState"] = "succeeded"
            p.pop("error", None)

        self.update(apply)
        self.op.duration = 0.0

    def finish_failed(
        self, started: float, detail: dict[str, Any], *, validation: bool = False
    ) -> None:
        error: dict[str, Any] = {}

        def apply(stack: dict[str, Any]) -> None:
            p = stack["properties"]
            error.update(_stack_error(p.get("correlationId", ""), detail))
            p["error"] = error
            p["duration"] = _duration(self.ctx.clock.monotonic() - started)
            p["provisioningState"] = "failed"
            p["failedResources"] = list(self.failed)

        self.update(apply)
        self.op.error = ArmError(
            400 if validation else 409,
            error.get("code", "DeploymentStackUpdateFailed"),
            error.get("message", "The deployment stack failed."),
            details=error.get("details"),
        )
        self.op.duration = 0.0


def _visible_parameters(template: dict[str, Any], parameters: dict[str, Any]) -> dict[str, Any]:
    """The parameters as the stack shows them: secure values are never stored or returned."""
    decls = {k.lower(): v for k, v in (template.get("parameters") or {}).items()}
    out: dict[str, Any] = {}
    for name, entry in parameters.items():
        decl = decls.get(name.lower())
        ptype = str(decl.get("type", "")).lower() if isinstance(decl, dict) else ""
        out[name] = {} if ptype in ("securestring", "secureobject") else entry
    return out


def _unmanage(
    ctx: EmulatorContext, resource_ids: list[str], action: dict[str, Any]
) -> tuple[list[str], list[str]]:
    """Delete or detach ``resource_ids`` per ``action``; returns (deleted, detached)."""
    res_action = str(action.get("resources") or "detach").lower()
    rg_action = str(action.get("resourceGroups") or "detach").lower()
    deleted: list[str] = []
    detached: list[str] = []
    groups = [r for r in resource_ids if _type_of(r).lower() == RESOURCE_GROUPS_TYPE.lower()]
    others = [r for r in resource_ids if r not in groups]
    for rid in reversed(others):
        if res_action == "delete":
            if ctx.store.get(ARM_NS, rid) is not None:
                ctx.clock.sleep(DELETE_SECONDS)
                with contextlib.suppress(ArmError):
                    resource_impl(ctx, _type_of(rid)).delete(ctx, rid)
            deleted.append(rid)
        else:
            detached.append(rid)
    for rid in reversed(groups):
        if rg_action == "delete":
            if ctx.store.get(ARM_NS, rid) is not None:
                ctx.clock.sleep(DELETE_SECONDS)
                with contextlib.suppress(ArmError):
                    resource_impl(ctx, RESOURCE_GROUPS_TYPE).delete(ctx, rid)
            deleted.append(rid)
        else:
            detached.append(rid)
    return deleted, detached


def _type_of(resource_id: str) -> str:
    try:
        return parse_resource_id(resource_id)[2]
    except ValueError:
        return ""


# --- routes -------------------------------------------------------------------------


def _stack_not_found(name: str) -> ArmError:
    return ArmError(
        404, "DeploymentStackNotFound", f"The deployment stack '{name}' could not be found."
    )


def _public(stack: dict[str, Any]) -> dict[str, Any]:
    """The stack as GET returns it (never the template)."""
    stack["properties"].pop("template", None)
    return stack


def _unmanage_action(req: Request, name: str, *, allowed: tuple[str, ...]) -> str | None:
    value = req.q(name)
    if value is None:
        return None
    if value.lower() not in allowed:
        raise ArmError(
            400,
            "InvalidParameter",
            f"The value '{value}' of the query parameter '{name}' is not valid; allowed: "
            f"{', '.join(allowed)}.",
        )
    return value.lower()


def register(ctx: EmulatorContext) -> None:
    """Add the deployment stack routes, the generic resource types and the generic GET."""
    for type_name, enrich in GENERIC_TYPES.items():
        ctx.resource_types.setdefault(type_name.lower(), GenericResourceType(type_name, enrich))

    active: set[str] = set()
    """Lower-cased ids of stacks with a deployment or deletion thread running."""
    active_lock = threading.Lock()

    def start(sid: str, target: Callable[[], None], thread_name: str) -> None:
        def body() -> None:
            try:
                target()
            finally:
                with active_lock:
                    active.discard(sid.lower())

        threading.Thread(target=body, name=thread_name, daemon=True).start()

    def claim(sid: str) -> None:
        """Mark a stack busy before its non-terminal state is stored (see settle_stale)."""
        with active_lock:
            active.add(sid.lower())

    def settle_stale(stack: dict[str, Any]) -> dict[str, Any]:
        """A non-terminal stack without a running thread (the emulator restarted from a
        state file mid-operation) ends failed, so it can be redeployed or deleted."""
        props = stack["properties"]
        state = str(props.get("provisioningState", ""))
        with active_lock:
            running = stack["id"].lower() in active
        if state.lower() in _NON_TERMINAL and not running:
            props["provisioningState"] = "failed"
            props["error"] = _stack_error(
                props.get("correlationId", ""),
                {
                    "code": "DeploymentStackInterrupted",
                    "message": f"The emulator stopped while the stack was '{state}'.",
                },
            )
            ctx.store.put(STACKS_NS, stack["id"], stack)
        return stack

    def stack_id_of(name: str) -> str:
        return f"/subscriptions/{ctx.subscription_id}/providers/{STACK_TYPE}/{name}"

    def put(req: Request, p: dict[str, str]) -> Response:
        check_subscription(ctx, p["sub"])
        name = p["name"]
        body = req.json()
        if not isinstance(body, dict) or not isinstance(body.get("properties"), dict):
            raise ArmError(
                400,
                "InvalidRequestContent",
                "The request content was invalid: 'properties' is required.",
            )
        props_in: dict[str, Any] = body["properties"]
        if "templateLink" in props_in:
            raise ArmError(
                400,
                "InvalidRequestContent",
                "The emulator supports only an inline 'template', not 'templateLink'.",
            )
        template = props_in.get("template")
        if not isinstance(template, dict):
            raise ArmError(
                400,
                "InvalidRequestContent",
                "The request content was invalid: 'properties.template' must be an object.",
            )
        parameters = props_in.get("parameters") or {}
        if not isinstance(parameters, dict):
            raise ArmError(
                400,
                "InvalidRequestContent",
                "The request content was invalid: 'properties.parameters' must be an object.",
            )
        location = str(body.get("location") or ctx.location).replace(" ", "").lower()
        sid = stack_id_of(name)
        now = iso(ctx.clock.now())
        with ctx.store.lock:
            existing = ctx.store.get(STACKS_NS, sid)
            if existing is not None:
                existing = settle_stale(existing)
                state = existing["properties"].get("provisioningState", "")
                if state.lower() in _NON_TERMINAL:
                    raise ArmError(
                        409,
                        "DeploymentStackInNonTerminalState",
                        f"The deployment stack '{name}' is in a non-terminal state '{state}' "
                        "and cannot be updated until the current operation completes.",
                    )
            previous = [
                r["id"] for r in ((existing or {}).get("properties") or {}).get("resources", [])
            ]
            correlation = req.header("x-ms-correlation-request-id") or str(uuid.uuid4())
            stamp = ctx.clock.now().strftime("%Y%m%d%H%M%S")
            deployment_name = f"{name}-{stamp}"
            action = dict(props_in.get("actionOnUnmanage") or {"resources": "detach"})
            deny = dict(props_in.get("denySettings") or {"mode": "none"})
            deny.setdefault("applyToChildScopes", False)
            stack: dict[str, Any] = {
                "id": sid,
                "name": name,
                "type": STACK_TYPE,
                "location": location,
                "systemData": _system_data(req, ctx, existing, now),
                "properties": {
                    "provisioningState": "initializing",
                    "correlationId": correlation,
                    "actionOnUnmanage": action,
                    "denySettings": deny,
                    "parameters": _visible_parameters(template, parameters),
                    "deploymentId": (
                        f"/subscriptions/{ctx.subscription_id}/providers/{DEPLOYMENTS_TYPE}/"
                        f"{deployment_name}"
                    ),
                    "resources": [_managed(r) for r in previous],
                    "detachedResources": [],
                    "deletedResources": [],
                    "failedResources": [],
                    "outputs": {},
                    "duration": "PT0S",
                    "bypassStackOutOfSyncError": bool(
                        props_in.get("bypassStackOutOfSyncError", False)
                    ),
                    # where the stack's deployment goes (the spec's deploymentScope; a
                    # subscription stack deploys into its own subscription by default)
                    "deploymentScope": str(
                        props_in.get("deploymentScope") or f"/subscriptions/{ctx.subscription_id}"
                    ),
                },
            }
            if props_in.get("description"):
                stack["properties"]["description"] = props_in["description"]
            if body.get("tags"):
                stack["tags"] = dict(body["tags"])
            claim(sid)
            ctx.store.put(STACKS_NS, sid, stack)
            ctx.store.put(TEMPLATES_NS, sid, template)
        op = ctx.operations.start(math.inf, resource_id=None)
        run = _Run(
            ctx=ctx,
            stack_id=sid,
            stack_name=name,
            op=op,
            template=template,
            parameters=parameters,
            scope=DeploymentScope(
                subscription_id=ctx.subscription_id,
                tenant_id=ctx.tenant_id,
                location=location,
                deployer_object_id=_deployer_object_id(req, ctx),
                deployment_name=deployment_name,
            ),
            injected=injected_lro_error(req),
            previous=previous,
        )
        start(sid, run.run, f"stack-{name}")
        av = req.q("api-version") or ""
        status_url = (
            f"{req.base_url}/subscriptions/{ctx.subscription_id}/providers/Microsoft.Resources/"
            f"locations/{location}/deploymentStackOperationStatus/{op.id}?api-version={av}"
        )
        headers = {
            "Azure-AsyncOperation": status_url,
            "Retry-After": retry_after(ctx, initial=True),
        }
        return Response(201 if existing is None else 200, _public(stack), headers)

    def get(req: Request, p: dict[str, str]) -> Response:
        check_subscription(ctx, p["sub"])
        with ctx.store.lock:
            stack = ctx.store.get(STACKS_NS, stack_id_of(p["name"]))
            if stack is None:
                raise _stack_not_found(p["name"])
            return Response(200, _public(settle_stale(stack)))

    def list_stacks(req: Request, p: dict[str, str]) -> Response:
        check_subscription(ctx, p["sub"])
        prefix = f"/subscriptions/{ctx.subscription_id}/providers/{STACK_TYPE}/"
        with ctx.store.lock:
            items = [_public(settle_stale(v)) for _, v in ctx.store.items(STACKS_NS, prefix)]
        return paged(ctx, req, items)

    def export_template(req: Request, p: dict[str, str]) -> Response:
        check_subscription(ctx, p["sub"])
        sid = stack_id_of(p["name"])
        template = ctx.store.get(TEMPLATES_NS, sid)
        if ctx.store.get(STACKS_NS, sid) is None or template is None:
            raise _stack_not_found(p["name"])
        return Response(200, {"template": template})

    def delete(req: Request, p: dict[str, str]) -> Response:
        check_subscription(ctx, p["sub"])
        name = p["name"]
        sid = stack_id_of(name)
        both = ("delete", "detach")
        res_action = _unmanage_action(req, "unmanageAction.Resources", allowed=both)
        rg_action = _unmanage_action(req, "unmanageAction.ResourceGroups", allowed=both)
        _unmanage_action(req, "unmanageAction.ManagementGroups", allowed=both)
        _unmanage_action(
            req, "unmanageAction.ResourcesWithoutDeleteSupport", allowed=("detach", "fail")
        )
        with ctx.store.lock:
            stack = ctx.store.get(STACKS_NS, sid)
            if stack is None:
                return Response(204)
            stack = settle_stale(stack)
            state = stack["properties"].get("provisioningState", "")
            if state.lower() in _NON_TERMINAL:
                raise ArmError(
                    409,
                    "DeploymentStackInNonTerminalState",
                    f"The deployment stack '{name}' is in a non-terminal state '{state}' and "
                    "cannot be deleted until the current operation completes.",
                )
            stack["properties"]["provisioningState"] = "deleting"
            claim(sid)
            ctx.store.put(STACKS_NS, sid, stack)
        managed = [r["id"] for r in stack["properties"].get("resources", [])]
        injected = injected_lro_error(req)
        op = ctx.operations.start(math.inf)

        def work() -> None:
            try:
                if injected is not None:
                    ctx.clock.sleep(DELETE_SECONDS)
                    with ctx.store.lock:
                        cur = ctx.store.get(STACKS_NS, sid)
                        if cur is not None:
                            cur["properties"]["provisioningState"] = "failed"
                            cur["properties"]["error"] = injected.error_body()
                            ctx.store.put(STACKS_NS, sid, cur)
                    op.error = injected
                    op.duration = 0.0
                    return
                action = {
                    "resources": res_action or "detach",
                    "resourceGroups": rg_action or "detach",
                }
                _unmanage(ctx, managed, action)
                with ctx.store.lock:
                    ctx.store.delete(STACKS_NS, sid)
                    ctx.store.delete(TEMPLATES_NS, sid)
            except Exception as exc:
                op.error = ArmError(500, "InternalServerError", f"The emulator failed: {exc!r}")
            op.duration = 0.0

        start(sid, work, f"stack-delete-{name}")
        return operation_result_response(ctx, req, op)

    def get_sub_deployment(req: Request, p: dict[str, str]) -> Response:
        check_subscription(ctx, p["sub"])
        rid = f"/subscriptions/{ctx.subscription_id}/providers/{DEPLOYMENTS_TYPE}/{p['name']}"
        found = ctx.store.get(ARM_NS, rid)
        if found is None:
            raise ArmError(
                404, "DeploymentNotFound", f"Deployment '{p['name']}' could not be found."
            )
        return Response(200, found)

    one = _STACK_PATH + "/{name}"
    ctx.router.add(
        "GET",
        "/subscriptions/{sub}/providers/Microsoft.Resources/deployments/{name}",
        get_sub_deployment,
    )
    ctx.router.add("PUT", one, put)
    ctx.router.add("GET", one, get)
    ctx.router.add("DELETE", one, delete)
    ctx.router.add("GET", _STACK_PATH, list_stacks)
    ctx.router.add("POST", one + "/exportTemplate", export_template)
    ctx.router.add(
        "GET",
        "/subscriptions/{sub}/providers/Microsoft.Resources/locations/{loc}/"
        "deploymentStackOperationStatus/{id}",
        async_status_handler(ctx),
    )
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
