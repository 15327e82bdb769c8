"""Resource functions: resourceId, subscriptionResourceId, extensionResourceId,
reference."""

from __future__ import annotations

from typing import Any

from ..errors import FUNCTIONS_HELP, ExpressionError
from ..evaluate import Ctx, Frame
from ..ids import interleave, parse_resource_id
from ..interface import RESOURCE_GROUPS_TYPE
from ..registry import arity, function, want
from ..values import to_string


@function("resourceId")
def _resource_id(ctx: Ctx, args: list[Any]) -> Any:
    lead, rtype, names = _split_scope_args("resourceId", args)
    scope = ctx.frame.scope
    if len(lead) > 2:
        raise ExpressionError("The template language function 'resourceId' has too many scopes.")
    sub = lead[0] if len(lead) == 2 else scope.subscription_id
    rg = lead[-1] if lead else scope.resource_group
    if rg is None:
        # At subscription scope resourceId gives a subscription-level id, as ARM does.
        return _rid(f"/subscriptions/{sub}", rtype, names)
    return _rid(f"/subscriptions/{sub}/resourceGroups/{rg}", rtype, names)


@function("subscriptionResourceId")
def _subscription_resource_id(ctx: Ctx, args: list[Any]) -> Any:
    lead, rtype, names = _split_scope_args("subscriptionResourceId", args)
    if len(lead) > 1:
        raise ExpressionError(
            "The template language function 'subscriptionResourceId' has too many scopes."
        )
    sub = lead[0] if lead else ctx.frame.scope.subscription_id
    return _rid(f"/subscriptions/{sub}", rtype, names)


@function("extensionResourceId")
def _extension_resource_id(ctx: Ctx, args: list[Any]) -> Any:
    arity("extensionResourceId", args, 3, -1)
    base = want("extensionResourceId", args[0], str).rstrip("/")
    lead, rtype, names = _split_scope_args("extensionResourceId", args[1:])
    if lead:
        raise ExpressionError(
            "The template language function 'extensionResourceId' expects a resource type "
            "as its second argument."
        )
    namespace, *types = rtype.split("/")
    return f"{base}/providers/{namespace}/{interleave(types, names)}"


@function("reference")
def _reference(ctx: Ctx, args: list[Any]) -> Any:
    arity("reference", args, 1, 3)
    target = want("reference", args[0], str)
    full = len(args) == 3 and to_string(args[2]).lower() == "full"
    if len(args) == 3 and not full:
        raise ExpressionError("The third argument of 'reference' can only be 'Full'.")
    # Not while planning (names, dependsOn, conditions): nothing is deployed yet.
    if ctx.in_parameter_default or not ctx.allow_reference:
        raise ExpressionError(
            f"The template function 'reference' is not expected at this location. {FUNCTIONS_HELP}"
        )
    frame = ctx.frame
    resource_id = target
    if not target.startswith("/"):
        resource_id = _resolve_name(frame, target) or ""
        if not resource_id:
            raise ExpressionError(
                f"The template resource '{target}' is not defined in the template, so "
                f"'reference' cannot resolve it. {FUNCTIONS_HELP}"
            )
    stored = frame.host.get(resource_id) if frame.host is not None else None
    if stored is None:
        _sub, rg, rtype, name = _safe_parse(resource_id)
        where = f" under resource group '{rg}'" if rg else ""
        raise ExpressionError(
            f"The Resource '{rtype}/{name}'{where} was not found. For more details please go "
            "to https://aka.ms/ARMResourceNotFoundFix"
        )
    if full:
        return stored
    return stored.get("properties") or {}


def _split_scope_args(name: str, args: list[Any]) -> tuple[list[str], str, list[str]]:
    """``(leading, type, names)`` of resourceId-style arguments."""
    strs = [want(name, a, str) for a in args]
    for i, a in enumerate(strs):
        if "/" in a:
            lead, rtype, names = strs[:i], a, strs[i + 1 :]
            expected = len(rtype.split("/")) - 1
            if len(names) != expected:
                raise ExpressionError(
                    f"Unable to evaluate template language function '{name}': function "
                    f"requires exactly one resource name argument for each resource type "
                    f"segment ('{rtype}' has {expected}, {len(names)} given). {FUNCTIONS_HELP}"
                )
            return lead, rtype, names
    raise ExpressionError(
        f"Unable to evaluate template language function '{name}': the resource type "
        f"argument (e.g. 'Microsoft.KeyVault/vaults') is missing. {FUNCTIONS_HELP}"
    )


def _rid(prefix: str, rtype: str, names: list[str]) -> str:
    namespace, *types = rtype.split("/")
    if rtype.lower() == RESOURCE_GROUPS_TYPE.lower() and prefix.lower().startswith(
        "/subscriptions/"
    ):
        return f"{prefix}/resourceGroups/{names[0]}"
    return f"{prefix}/providers/{namespace}/{interleave(types, names)}"


def _safe_parse(resource_id: str) -> tuple[str | None, str | None, str, str]:
    try:
        return parse_resource_id(resource_id)
    except ValueError:
        return None, None, "", resource_id


def _resolve_name(frame: Frame, name: str) -> str | None:
    """The id of the planned resource called ``name`` (its name or symbolic name)."""
    for inst in frame.instances:
        if inst.name.lower() == name.lower() or (
            inst.symbolic is not None and inst.symbolic.lower() == name.lower()
        ):
            return inst.resource_id
    return None
