"""Role assignments (``Microsoft.Authorization/roleAssignments``) on subscriptions,
resource groups and resources.

Routes (``{scope}/providers/Microsoft.Authorization/roleAssignments``, scope = a
subscription, a resource group or a resource under one):

- ``PUT {name}``: the name must be a GUID (400 ``InvalidRoleAssignmentId``); the scope must
  exist (404 ``ResourceGroupNotFound`` / ``ResourceNotFound``); ``roleDefinitionId`` must be a
  ``.../roleDefinitions/<guid>`` id (400 ``RoleDefinitionDoesNotExist``). 201 with the
  assignment; a re-PUT of the same name with the same content is 201 again (idempotent);
  another name for the same principal, role and scope is 409 ``RoleAssignmentExists`` (the
  code kompoxops treats as success); the same name with another principal or role is 409
  ``RoleAssignmentUpdateNotPermitted``.
- ``GET {name}`` (404 ``RoleAssignmentNotFound``), ``DELETE {name}`` (200 with the deleted
  assignment; 204 when absent), and the list (``$filter=atScope()`` or
  ``principalId eq '...'``; assignments of the scope and of the scopes above it, as ARM
  lists inherited assignments).

The same type is registered for template deployments, so a template's role assignments
follow the same rules. Versions: specs ``authorization/resource-manager/
Microsoft.Authorization`` (``stable``/``preview`` folders with ``roleAssignmentsCalls``),
and 2022-04-01, which azure-mgmt-authorization 4.0.0 sends.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from . import api_versions
from .common import ARM_NS, check_subscription, get_rg, paged
from .core import ArmError, EmulatorContext, Request, Response, iso, not_found

TYPE = "Microsoft.Authorization/roleAssignments"
VERSIONS = (
    "2015-07-01",
    "2018-01-01-preview",
    "2018-09-01-preview",
    "2020-03-01-preview",
    "2020-04-01-preview",
    "2020-08-01-preview",
    "2020-10-01-preview",
    "2022-01-01-preview",
    "2022-04-01",
)
api_versions.register(TYPE, VERSIONS)

_SEGMENT = "/providers/microsoft.authorization/roleassignments"
_ROLE_DEF = re.compile(
    r"^/subscriptions/[^/]+/providers/Microsoft\.Authorization/roleDefinitions/"
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
    re.IGNORECASE,
)


def _is_guid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return len(value) == 36


def _split(resource_id: str) -> tuple[str, str]:
    """``(scope, name)`` of a role assignment id."""
    low = resource_id.lower()
    cut = low.rfind(_SEGMENT)
    return resource_id[:cut], resource_id.rstrip("/").rsplit("/", 1)[-1]


def _check_scope(ctx: EmulatorContext, scope: str) -> None:
    parts = scope.strip("/").split("/")
    if len(parts) < 2 or parts[0].lower() != "subscriptions":
        raise ArmError(400, "InvalidScope", f"The scope '{scope}' is not valid.")
    check_subscription(ctx, parts[1])
    if len(parts) >= 4:
        rg = parts[3]
        if get_rg(ctx, rg) is None:
            raise ArmError(
                404, "ResourceGroupNotFound", f"Resource group '{rg}' could not be found."
            )
    if len(parts) > 4 and ctx.store.get(ARM_NS, scope) is None:
        raise not_found("/".join(parts[5:-1:2] or parts[5:6]), parts[-1], parts[3])


def _matching(ctx: EmulatorContext, scope: str, principal: str, role: str) -> str | None:
    """The id of an assignment of ``role`` to ``principal`` at exactly ``scope``."""
    prefix = scope.lower() + _SEGMENT + "/"
    for key, value in ctx.store.items(ARM_NS, prefix):
        if "/" in key[len(prefix) :] or not isinstance(value, dict):
            continue
        props = value.get("properties") or {}
        if (
            str(props.get("principalId", "")).lower() == principal.lower()
            and str(props.get("roleDefinitionId", "")).lower() == role.lower()
        ):
            return str(value.get("id") or key)
    return None


class RoleAssignmentType:
    """``Microsoft.Authorization/roleAssignments`` (REST and template deployments)."""

    def create(
        self, ctx: EmulatorContext, resource_id: str, body: dict[str, Any], api_version: str
    ) -> dict[str, Any]:
        scope, name = _split(resource_id)
        if not _is_guid(name):
            raise ArmError(
                400,
                "InvalidRoleAssignmentId",
                f"The role assignment ID '{name}' is not valid. The role assignment ID must "
                "be a GUID.",
            )
        props_in = body.get("properties") if isinstance(body, dict) else None
        if not isinstance(props_in, dict):
            raise ArmError(
                400, "InvalidRequestContent", "The request content was invalid: no 'properties'."
            )
        role = str(props_in.get("roleDefinitionId") or "")
        principal = str(props_in.get("principalId") or "")
        if not _ROLE_DEF.match(role):
            raise ArmError(
                400,
                "RoleDefinitionDoesNotExist",
                f"The specified role definition with ID '{role.rsplit('/', 1)[-1]}' does not "
                "exist.",
            )
        if not _is_guid(principal):
            raise ArmError(
                400,
                "InvalidPrincipalId",
                "A valid principal ID must be provided for role assignment.",
            )
        with ctx.store.lock:
            _check_scope(ctx, scope)
            rid = f"{scope}/providers/{TYPE}/{name}"
            existing = ctx.store.get(ARM_NS, rid)
            if isinstance(existing, dict):
                old = existing.get("properties") or {}
                if (
                    str(old.get("principalId", "")).lower() != principal.lower()
                    or str(old.get("roleDefinitionId", "")).lower() != role.lower()
                ):
                    raise ArmError(
                        409,
                        "RoleAssignmentUpdateNotPermitted",
                        "Tenant ID, application ID, principal ID, and scope are not allowed to "
                        "be updated.",
                    )
                return existing
            other = _matching(ctx, scope, principal, role)
            if other is not None:
                raise ArmError(409, "RoleAssignmentExists", "The role assignment already exists.")
            now = iso(ctx.clock.now())
            who = str(props_in.get("createdBy") or "")
            assignment = {
                "id": rid,
                "name": name,
                "type": TYPE,
                "properties": {
                    "roleDefinitionId": role,
                    "principalId": principal,
                    "principalType": props_in.get("principalType") or "ServicePrincipal",
                    "scope": scope,
                    "condition": props_in.get("condition"),
                    "conditionVersion": props_in.get("conditionVersion"),
                    "description": props_in.get("description"),
                    "delegatedManagedIdentityResourceId": None,
                    "createdOn": now,
                    "updatedOn": now,
                    "createdBy": who or None,
                    "updatedBy": who or None,
                },
            }
            ctx.store.put(ARM_NS, rid, assignment)
            return assignment

    def delete(self, ctx: EmulatorContext, resource_id: str) -> None:
        ctx.store.delete(ARM_NS, resource_id)


def _creator(req: Request) -> str:
    """The ``oid`` of the caller's token (ARM fills ``createdBy`` with it)."""
    import base64
    import json

    token = (req.header("authorization") or "").split(" ", 1)[-1]
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return ""
    oid = claims.get("oid") if isinstance(claims, dict) else None
    return oid if isinstance(oid, str) else ""


def register(ctx: EmulatorContext) -> RoleAssignmentType:
    impl = RoleAssignmentType()
    ctx.resource_types[TYPE.lower()] = impl

    def scope_of(p: dict[str, str]) -> str:
        return "/" + p["scope"].strip("/")

    def put(req: Request, p: dict[str, str]) -> Response:
        body = req.json()
        if not isinstance(body, dict):
            raise ArmError(400, "InvalidRequestContent", "The request content was invalid.")
        props = dict(body.get("properties") or {})
        props["createdBy"] = _creator(req)
        body = {**body, "properties": props}
        rid = f"{scope_of(p)}/providers/{TYPE}/{p['name']}"
        return Response(201, impl.create(ctx, rid, body, req.q("api-version") or ""))

    def get(req: Request, p: dict[str, str]) -> Response:
        scope = scope_of(p)
        _check_scope(ctx, scope)
        found = ctx.store.get(ARM_NS, f"{scope}/providers/{TYPE}/{p['name']}")
        if not isinstance(found, dict):
            raise ArmError(
                404,
                "RoleAssignmentNotFound",
                f"The role assignment '{p['name']}' is not found.",
            )
        return Response(200, found)

    def delete(req: Request, p: dict[str, str]) -> Response:
        scope = scope_of(p)
        _check_scope(ctx, scope)
        rid = f"{scope}/providers/{TYPE}/{p['name']}"
        with ctx.store.lock:
            found = ctx.store.get(ARM_NS, rid)
            if not isinstance(found, dict):
                return Response(204)
            impl.delete(ctx, rid)
        return Response(200, found)

    def list_for_scope(req: Request, p: dict[str, str]) -> Response:
        scope = scope_of(p)
        _check_scope(ctx, scope)
        flt = (req.q("$filter") or "").strip()
        at_scope_only = flt.lower().startswith("atscope()")
        principal = re.search(r"principalId\s+eq\s+'([^']*)'", flt, re.IGNORECASE)
        # this scope and every scope above it (inherited), unless atScope() says otherwise
        parts = scope.strip("/").split("/")
        scopes = ["/" + "/".join(parts[:i]) for i in range(2, len(parts) + 1, 2)]
        if at_scope_only:
            scopes = scopes[-1:]
        items: list[dict[str, Any]] = []
        for s in scopes:
            prefix = s.lower() + _SEGMENT + "/"
            for key, value in ctx.store.items(ARM_NS, prefix):
                if "/" in key[len(prefix) :] or not isinstance(value, dict):
                    continue
                pid = str((value.get("properties") or {}).get("principalId", ""))
                if principal is not None and pid.lower() != principal.group(1).lower():
                    continue
                items.append(value)
        return paged(ctx, req, items)

    base = "/{scope*}/providers/Microsoft.Authorization/roleAssignments"
    ctx.router.add("PUT", base + "/{name}", put)
    ctx.router.add("GET", base + "/{name}", get)
    ctx.router.add("DELETE", base + "/{name}", delete)
    ctx.router.add("GET", base, list_for_scope)
    return impl
