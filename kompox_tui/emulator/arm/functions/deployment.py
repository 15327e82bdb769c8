"""Deployment value and scope functions: parameters, variables, copyIndex, deployment,
deployer, utcNow, subscription, tenant, resourceGroup."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

from ..errors import SYNTAX_HELP, ExpressionError
from ..evaluate import EVALUATOR, Ctx
from ..ids import unique_string
from ..interface import RESOURCE_GROUPS_TYPE
from ..registry import arity, function, want

# .NET custom date format -> strftime, for utcNow's format argument.
_DATE_FORMAT = [
    ("yyyy", "%Y"),
    ("MM", "%m"),
    ("dd", "%d"),
    ("HH", "%H"),
    ("mm", "%M"),
    ("ss", "%S"),
]


@function("parameters")
def _parameters(ctx: Ctx, args: list[Any]) -> Any:
    arity("parameters", args, 1)
    name = want("parameters", args[0], str)
    params = ctx.frame.params
    if name.lower() not in params:
        declared = ", ".join(ctx.frame.template.get("parameters") or {})
        raise ExpressionError(
            f"The template parameter '{name}' is not found. Declared parameters: '{declared}'. "
            f"{SYNTAX_HELP}"
        )
    # A copy: a function that mutates its result must not change the bound parameter.
    return copy.deepcopy(params[name.lower()])


@function("variables")
def _variables(ctx: Ctx, args: list[Any]) -> Any:
    arity("variables", args, 1)
    name = want("variables", args[0], str)
    if ctx.in_parameter_default:
        raise ExpressionError(
            "The template function 'variables' is not expected at this location. "
            "Parameter default values cannot reference variables."
        )
    frame = ctx.frame
    key = name.lower()
    if key in frame.variable_values:
        return copy.deepcopy(frame.variable_values[key])
    if key not in frame.variable_decls:
        raise ExpressionError(f"The template variable '{name}' is not found. {SYNTAX_HELP}")
    if key in frame.evaluating:
        raise ExpressionError(f"The template variable '{name}' refers to itself (a cycle).")
    # Evaluated on first use and cached: nothing a variable may read (parameters, other
    # variables, scope functions) changes during one deployment.
    frame.evaluating.add(key)
    try:
        value = EVALUATOR.value(Ctx(frame, f"variables.{name}"), frame.variable_decls[key])
    finally:
        frame.evaluating.discard(key)
    frame.variable_values[key] = value
    return copy.deepcopy(value)


@function("copyIndex")
def _copy_index(ctx: Ctx, args: list[Any]) -> Any:
    arity("copyIndex", args, 0, 2)
    loop: str | None = None
    offset = 0
    if args and isinstance(args[0], str):
        loop = args[0]
        if len(args) == 2:
            offset = want("copyIndex", args[1], int)
    elif args:
        if len(args) != 1:
            raise ExpressionError("The template function 'copyIndex' takes (loopName?, offset?).")
        offset = want("copyIndex", args[0], int)
    if loop is None:
        if "" not in ctx.copy:
            if ctx.copy:
                return list(ctx.copy.values())[-1] + offset
            raise ExpressionError(
                "The template function 'copyIndex' is not expected at this location. It can "
                "only be used in a resource or property with a copy loop."
            )
        return ctx.copy[""] + offset
    for key, value in ctx.copy.items():
        if key.lower() == loop.lower():
            return value + offset
    raise ExpressionError(f"The copy loop '{loop}' is not found at this location.")


@function("deployment")
def _deployment(ctx: Ctx, args: list[Any]) -> Any:
    arity("deployment", args, 0)
    scope = ctx.frame.scope
    return {
        "name": scope.deployment_name,
        "id": scope.deployment_id,
        "location": scope.location,
        "properties": {
            "templateHash": unique_string(json.dumps(ctx.frame.template, sort_keys=True)),
            "template": {"contentVersion": ctx.frame.template.get("contentVersion", "1.0.0.0")},
        },
    }


@function("deployer")
def _deployer(ctx: Ctx, args: list[Any]) -> Any:
    arity("deployer", args, 0)
    scope = ctx.frame.scope
    return {"objectId": scope.deployer_object_id, "tenantId": scope.tenant_id}


@function("utcNow")
def _utc_now(ctx: Ctx, args: list[Any]) -> Any:
    arity("utcNow", args, 0, 1)
    if not ctx.in_parameter_default:
        raise ExpressionError(
            "The template function 'utcNow' is not expected at this location. The function "
            "can only be used within the default value of a parameter."
        )
    now = datetime.now(UTC)
    out = want("utcNow", args[0] if args else "yyyyMMddTHHmmssZ", str)
    if out == "u":
        return now.strftime("%Y-%m-%d %H:%M:%SZ")
    if out in ("o", "O"):
        return now.isoformat().replace("+00:00", "Z")
    for src, dst in _DATE_FORMAT:
        out = out.replace(src, dst)
    return now.strftime(out)


@function("subscription")
def _subscription(ctx: Ctx, args: list[Any]) -> Any:
    arity("subscription", args, 0)
    scope = ctx.frame.scope
    return {
        "id": scope.subscription_resource_id,
        "subscriptionId": scope.subscription_id,
        "tenantId": scope.tenant_id,
        "displayName": scope.subscription_display_name,
    }


@function("tenant")
def _tenant(ctx: Ctx, args: list[Any]) -> Any:
    arity("tenant", args, 0)
    tid = ctx.frame.scope.tenant_id
    return {
        "id": f"/tenants/{tid}",
        "tenantId": tid,
        "countryCode": "US",
        "displayName": "Emulated tenant",
    }


@function("resourceGroup")
def _resource_group(ctx: Ctx, args: list[Any]) -> Any:
    arity("resourceGroup", args, 0)
    scope = ctx.frame.scope
    rg_id = scope.resource_group_id
    if rg_id is None:
        raise ExpressionError(
            "The template function 'RESOURCEGROUP' is not expected at this location. It can "
            "only be used in a deployment at resource group scope."
        )
    stored = ctx.frame.host.get(rg_id) if ctx.frame.host is not None else None
    stored = stored or {}
    return {
        "id": rg_id,
        "name": stored.get("name", scope.resource_group),
        "type": RESOURCE_GROUPS_TYPE,
        "location": stored.get("location", scope.location),
        "managedBy": stored.get("managedBy"),
        "tags": stored.get("tags") or {},
        "properties": {"provisioningState": "Succeeded"},
    }
