"""What a deployment stack looks like: its constants and the JSON shapes of its body.

A stack is stored in the store namespace :data:`STACKS_NS` (keyed by its id) as the body
GET returns, plus its template in :data:`TEMPLATES_NS` (only ``exportTemplate`` reads it).
"""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

from ..arm import DEPLOYMENTS_TYPE
from ..core import ArmError, EmulatorContext, Request

STACK_TYPE = "Microsoft.Resources/deploymentStacks"
STACKS_NS = "stacks"
TEMPLATES_NS = "stack_templates"
VALIDATE_SECONDS = 1.0
"""Emulated duration of the validation stage."""
DELETE_SECONDS = 0.4
"""Emulated time to delete one managed resource."""
NON_TERMINAL = {"initializing", "validating", "deploying", "deleting", "deletingresources"}
"""Provisioning states in which a stack can be neither updated nor deleted."""


def stack_id(ctx: EmulatorContext, name: str) -> str:
    return f"/subscriptions/{ctx.subscription_id}/providers/{STACK_TYPE}/{name}"


def new_stack(
    req: Request,
    ctx: EmulatorContext,
    *,
    name: str,
    body: dict[str, Any],
    template: dict[str, Any],
    parameters: dict[str, Any],
    location: str,
    existing: dict[str, Any] | None,
    previous: list[str],
    now: str,
) -> dict[str, Any]:
    """The stack a PUT stores, ``initializing``; ``previous`` are the resources the last
    deployment left managed (they stay listed until this deployment ends)."""
    props_in: dict[str, Any] = body["properties"]
    correlation = req.header("x-ms-correlation-request-id") or str(uuid.uuid4())
    stamp = ctx.clock.now().strftime("%Y%m%d%H%M%S")
    deployment_name = f"{name}-{stamp}"
    action = dict(props_in.get("actionOnUnmanage") or {"resources": "detach"})
    deny = dict(props_in.get("denySettings") or {"mode": "none"})
    deny.setdefault("applyToChildScopes", False)
    stack: dict[str, Any] = {
        "id": stack_id(ctx, name),
        "name": name,
        "type": STACK_TYPE,
        "location": location,
        "systemData": system_data(req, ctx, existing, now),
        "properties": {
            "provisioningState": "initializing",
            "correlationId": correlation,
            "actionOnUnmanage": action,
            "denySettings": deny,
            "parameters": visible_parameters(template, parameters),
            "deploymentId": (
                f"/subscriptions/{ctx.subscription_id}/providers/{DEPLOYMENTS_TYPE}/"
                f"{deployment_name}"
            ),
            "resources": [managed_entry(r) for r in previous],
            "detachedResources": [],
            "deletedResources": [],
            "failedResources": [],
            "outputs": {},
            "duration": "PT0S",
            "bypassStackOutOfSyncError": bool(props_in.get("bypassStackOutOfSyncError", False)),
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
    return stack


def deployment_name_of(stack: dict[str, Any]) -> str:
    """The name of the stack's own deployment (the last segment of ``deploymentId``)."""
    return str(stack["properties"]["deploymentId"]).rsplit("/", 1)[-1]


def managed_entry(resource_id: str) -> dict[str, str]:
    return {"id": resource_id, "status": "managed", "denyStatus": "none"}


def token_claims(req: Request) -> dict[str, Any]:
    """The claims of the (already verified) bearer token, or {}."""
    token = (req.header("authorization") or "").split(" ", 1)[-1]
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}
    return claims if isinstance(claims, dict) else {}


def system_data(
    req: Request, ctx: EmulatorContext, existing: dict[str, Any] | None, now: str
) -> dict[str, Any]:
    """ARM ``systemData``: who created / last modified the stack and when. A service
    principal appears as its application id with type ``Application`` (a managed identity
    as ``ManagedIdentity``, a user as ``User``)."""
    claims = token_claims(req)
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


def deployer_object_id(req: Request, ctx: EmulatorContext) -> str:
    """The ``oid`` of the (already verified) bearer token."""
    oid = token_claims(req).get("oid")
    if isinstance(oid, str) and oid:
        return oid
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"deployer:{ctx.tenant_id}"))


def stack_error(correlation_id: str, detail: dict[str, Any]) -> dict[str, Any]:
    return {
        "code": "DeploymentStackUpdateFailed",
        "message": (
            f"One or more stages of the deploymentStack failed. Correlation id: '{correlation_id}'."
        ),
        "details": [detail],
    }


def deployment_failed(deployment_id: str, inner: dict[str, Any]) -> dict[str, Any]:
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


def visible_parameters(template: dict[str, Any], parameters: dict[str, Any]) -> dict[str, Any]:
    """The parameters as the stack shows them: secure values are never stored or returned."""
    decls = {k.lower(): v for k, v in (template.get("parameters") or {}).items()}
    out: dict[str, Any] = {}
    for name, entry in parameters.items():
        decl = decls.get(name.lower())
        ptype = str(decl.get("type", "")).lower() if isinstance(decl, dict) else ""
        out[name] = {} if ptype in ("securestring", "secureobject") else entry
    return out


def stack_not_found(name: str) -> ArmError:
    return ArmError(
        404, "DeploymentStackNotFound", f"The deployment stack '{name}' could not be found."
    )


def public_view(stack: dict[str, Any]) -> dict[str, Any]:
    """The stack as GET returns it (never the template)."""
    stack["properties"].pop("template", None)
    return stack
