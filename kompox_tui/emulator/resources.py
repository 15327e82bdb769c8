"""Resource groups: PUT (201/200), GET, HEAD (204/404), PATCH, DELETE (202 + ``Location``),
list (paged). Deleting a group deletes everything in it, through the registered
:class:`~kompox_tui.emulator.core.ResourceType` of each contained resource when there is one
(so a managed cluster also forgets its Kubernetes side).

Registers the resource type ``Microsoft.Resources/resourceGroups``.
"""

from __future__ import annotations

import contextlib
from typing import Any

from .common import (
    ARM_NS,
    check_subscription,
    get_rg,
    operation_result_response,
    paged_store,
    replace_tags,
    require_rg,
    resource_type_of,
    rg_id,
    set_provisioning_state,
    top_level_children,
)
from .core import ArmError, EmulatorContext, Request, Response, injected_lro_error, rg_not_found

RG_TYPE = "Microsoft.Resources/resourceGroups"
DELETE_SECONDS = 5.0
"""Emulated duration of a resource group deletion."""


def _rg_body(ctx: EmulatorContext, name: str, location: str, tags: Any, managed_by: Any) -> dict:
    body: dict[str, Any] = {
        "id": rg_id(ctx, name),
        "name": name,
        "type": RG_TYPE,
        "location": location.replace(" ", "").lower(),  # "Japan East" -> "japaneast"
        "properties": {"provisioningState": "Succeeded"},
    }
    if managed_by:
        body["managedBy"] = managed_by
    if tags:
        body["tags"] = dict(tags)
    return body


def _validate_name(name: str) -> None:
    ok = 1 <= len(name) <= 90 and not name.endswith(".")
    ok = ok and all(c.isalnum() or c in "-_.()" for c in name)
    if not ok:
        raise ArmError(
            400,
            "InvalidResourceGroup",
            f"The provided resource group name '{name}' has these invalid characters or "
            "length. The name can only be up to 90 characters, include alphanumeric, "
            "underscore, parentheses, hyphen, period (except at end), and Unicode characters "
            "that match the allowed characters.",
        )


def delete_contents(ctx: EmulatorContext, scope_id: str) -> None:
    """Delete every resource under ``scope_id`` (a resource group id)."""
    for key, _ in top_level_children(ctx, scope_id):
        rtype = ctx.resource_type(resource_type_of(key))
        if rtype is not None:
            with contextlib.suppress(ArmError):
                rtype.delete(ctx, key)
    prefix = scope_id.lower() + "/"
    ctx.store.delete_prefix(ARM_NS, prefix)


class ResourceGroupType:
    """``Microsoft.Resources/resourceGroups`` for the stack deployer."""

    def create(
        self, ctx: EmulatorContext, resource_id: str, body: dict[str, Any], api_version: str
    ) -> dict[str, Any]:
        name = resource_id.rstrip("/").split("/")[-1]
        _validate_name(name)
        with ctx.store.lock:
            existing = get_rg(ctx, name)
            if existing is not None:
                if "tags" in body:
                    existing["tags"] = dict(body.get("tags") or {})
                ctx.store.put(ARM_NS, existing["id"], existing)
                return existing
            rg = _rg_body(
                ctx,
                name,
                body.get("location") or ctx.location,
                body.get("tags"),
                body.get("managedBy"),
            )
            ctx.store.put(ARM_NS, rg["id"], rg)
            return rg

    def delete(self, ctx: EmulatorContext, resource_id: str) -> None:
        name = resource_id.rstrip("/").split("/")[-1]
        rid = rg_id(ctx, name)
        delete_contents(ctx, rid)
        ctx.store.delete(ARM_NS, rid)


def register(ctx: EmulatorContext) -> None:
    rg_type = ResourceGroupType()
    ctx.resource_types[RG_TYPE.lower()] = rg_type
    base = "/subscriptions/{sub}/resourcegroups/{rg}"

    def put(req: Request, p: dict[str, str]) -> Response:
        check_subscription(ctx, p["sub"])
        name = p["rg"]
        _validate_name(name)
        body = req.json() or {}
        if not isinstance(body, dict):
            raise ArmError(400, "InvalidRequestContent", "The request content was invalid.")
        location = body.get("location")
        with ctx.store.lock:
            existing = get_rg(ctx, name)
            if existing is None:
                if not location:
                    raise ArmError(
                        400,
                        "LocationRequired",
                        "The location property is required for this definition.",
                    )
                rg = _rg_body(ctx, name, location, body.get("tags"), body.get("managedBy"))
                ctx.store.put(ARM_NS, rg["id"], rg)
                return Response(201, rg)
            if existing["properties"].get("provisioningState") == "Deleting":
                require_rg(ctx, name, for_write=True)
            if location and location.replace(" ", "").lower() != existing["location"].lower():
                raise ArmError(
                    409,
                    "InvalidResourceGroupLocation",
                    f"Invalid resource group location '{location}'. The Resource group "
                    f"already exists in location '{existing['location']}'.",
                )
            replace_tags(existing, body.get("tags"))
            if body.get("managedBy"):
                existing["managedBy"] = body["managedBy"]
            ctx.store.put(ARM_NS, existing["id"], existing)
            return Response(200, existing)

    def get(req: Request, p: dict[str, str]) -> Response:
        check_subscription(ctx, p["sub"])
        return Response(200, require_rg(ctx, p["rg"]))

    def head(req: Request, p: dict[str, str]) -> Response:
        check_subscription(ctx, p["sub"])
        return Response(204 if get_rg(ctx, p["rg"]) is not None else 404)

    def patch(req: Request, p: dict[str, str]) -> Response:
        check_subscription(ctx, p["sub"])
        body = req.json() or {}
        with ctx.store.lock:
            rg = require_rg(ctx, p["rg"], for_write=True)
            if "tags" in body:
                replace_tags(rg, body["tags"])
            if body.get("managedBy"):
                rg["managedBy"] = body["managedBy"]
            ctx.store.put(ARM_NS, rg["id"], rg)
            return Response(200, rg)

    def delete(req: Request, p: dict[str, str]) -> Response:
        check_subscription(ctx, p["sub"])
        with ctx.store.lock:
            rg = get_rg(ctx, p["rg"])
            if rg is None:
                raise rg_not_found(p["rg"])
            rid = rg["id"]
            if rg["properties"].get("provisioningState") != "Deleting":
                rg["properties"]["provisioningState"] = "Deleting"
                ctx.store.put(ARM_NS, rid, rg)

        def finish() -> None:
            rg_type.delete(ctx, rid)

        def failed(_err: ArmError) -> None:
            # a failed delete leaves the group in place
            set_provisioning_state(ctx, rid, "Succeeded")

        op = ctx.operations.start(
            DELETE_SECONDS, finish, injected_lro_error(req), resource_id=rid, on_error=failed
        )
        return operation_result_response(ctx, req, op)

    def list_groups(req: Request, p: dict[str, str]) -> Response:
        check_subscription(ctx, p["sub"])
        prefix = f"/subscriptions/{ctx.subscription_id}/resourceGroups/"
        flt = req.q("$filter") or ""

        def wanted(key: str, value: Any) -> bool:
            return (
                "/" not in key[len(prefix) :]
                and isinstance(value, dict)
                and (not flt or _match_filter(value, flt))
            )

        return paged_store(ctx, req, prefix, wanted)

    ctx.router.add("PUT", base, put)
    ctx.router.add("GET", base, get)
    ctx.router.add("HEAD", base, head)
    ctx.router.add("PATCH", base, patch)
    ctx.router.add("DELETE", base, delete)
    ctx.router.add("GET", "/subscriptions/{sub}/resourcegroups", list_groups)


def _match_filter(item: dict[str, Any], flt: str) -> bool:
    """Supports ``tagName eq 'k' and tagValue eq 'v'`` (the filters ARM allows on RG lists)."""
    import re

    name = re.search(r"tagName\s+eq\s+'([^']*)'", flt, re.IGNORECASE)
    value = re.search(r"tagValue\s+eq\s+'([^']*)'", flt, re.IGNORECASE)
    tags = {k.lower(): v for k, v in (item.get("tags") or {}).items()}
    if name is None:
        return True
    if name.group(1).lower() not in tags:
        return False
    return value is None or tags[name.group(1).lower()] == value.group(1)
