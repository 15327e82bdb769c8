"""The deployment stack REST routes at subscription scope (the wire).

Routes (``/subscriptions/{s}/providers/Microsoft.Resources/...``):

- ``PUT deploymentStacks/{name}``: 201 (200 on a redeploy) + ``Azure-AsyncOperation``
  (``.../locations/{loc}/deploymentStackOperationStatus/{id}``) + ``Retry-After``; the
  stack is stored ``initializing`` and :class:`~.deployer.StackRun` deploys it.
- ``GET deploymentStacks/{name}`` (never with ``template``), ``GET deploymentStacks``
  (paged), ``POST deploymentStacks/{name}/exportTemplate`` -> ``{"template": ...}``.
- ``DELETE deploymentStacks/{name}?unmanageAction.Resources=delete|detach&...``: 202 +
  ``Location`` (``/subscriptions/{s}/operationresults/{id}``, served by
  :mod:`..operations_routes` from ``ctx.operations``); ``delete`` removes the managed
  resources / resource groups, ``detach`` (the default) leaves them.
- ``GET .../locations/{loc}/deploymentStackOperationStatus/{id}``: the async status body.
- ``GET deployments/{name}``: the stack's own subscription-scope deployment record.
"""

from __future__ import annotations

import math
from typing import Any

from ..arm import DEPLOYMENTS_TYPE, DeploymentScope
from ..common import ARM_NS, check_subscription, operation_result_response, paged, retry_after
from ..core import ArmError, EmulatorContext, Request, Response, injected_lro_error, iso
from ..operations_routes import async_status_handler
from .deployer import RunningStacks, StackRun, delete_stack
from .model import (
    NON_TERMINAL,
    STACK_TYPE,
    STACKS_NS,
    TEMPLATES_NS,
    deployer_object_id,
    deployment_name_of,
    new_stack,
    public_view,
    stack_id,
    stack_not_found,
)

_STACK_PATH = "/subscriptions/{sub}/providers/Microsoft.Resources/deploymentStacks"


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


def _put_body(req: Request) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The PUT body, its inline template and its parameters; ARM's 400 when malformed."""
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
    return body, template, parameters


def register(ctx: EmulatorContext) -> None:
    """Add the deployment stack routes."""
    running = RunningStacks(ctx)

    def put(req: Request, p: dict[str, str]) -> Response:
        check_subscription(ctx, p["sub"])
        name = p["name"]
        body, template, parameters = _put_body(req)
        location = str(body.get("location") or ctx.location).replace(" ", "").lower()
        sid = stack_id(ctx, name)
        now = iso(ctx.clock.now())
        with ctx.store.lock:
            existing = ctx.store.get(STACKS_NS, sid)
            if existing is not None:
                existing = running.settle_stale(existing)
                state = existing["properties"].get("provisioningState", "")
                if state.lower() in NON_TERMINAL:
                    raise ArmError(
                        409,
                        "DeploymentStackInNonTerminalState",
                        f"The deployment stack '{name}' is in a non-terminal state '{state}' "
                        "and cannot be updated until the current operation completes.",
                    )
            previous = [
                r["id"] for r in ((existing or {}).get("properties") or {}).get("resources", [])
            ]
            stack = new_stack(
                req,
                ctx,
                name=name,
                body=body,
                template=template,
                parameters=parameters,
                location=location,
                existing=existing,
                previous=previous,
                now=now,
            )
            running.claim(sid)
            ctx.store.put(STACKS_NS, sid, stack)
            ctx.store.put(TEMPLATES_NS, sid, template)
        op = ctx.operations.start(math.inf, resource_id=None)
        run = StackRun(
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
                deployer_object_id=deployer_object_id(req, ctx),
                deployment_name=deployment_name_of(stack),
            ),
            injected=injected_lro_error(req),
            previous=previous,
        )
        running.start(sid, run.run, f"stack-{name}")
        av = req.q("api-version") or ""
        status_url = (
            f"{req.base_url}/subscriptions/{ctx.subscription_id}/providers/Microsoft.Resources/"
            f"locations/{location}/deploymentStackOperationStatus/{op.id}?api-version={av}"
        )
        headers = {
            "Azure-AsyncOperation": status_url,
            "Retry-After": retry_after(ctx, initial=True),
        }
        return Response(201 if existing is None else 200, public_view(stack), headers)

    def get(req: Request, p: dict[str, str]) -> Response:
        check_subscription(ctx, p["sub"])
        with ctx.store.lock:
            stack = ctx.store.get(STACKS_NS, stack_id(ctx, p["name"]))
            if stack is None:
                raise stack_not_found(p["name"])
            return Response(200, public_view(running.settle_stale(stack)))

    def list_stacks(req: Request, p: dict[str, str]) -> Response:
        check_subscription(ctx, p["sub"])
        prefix = f"/subscriptions/{ctx.subscription_id}/providers/{STACK_TYPE}/"
        with ctx.store.lock:
            items = [
                public_view(running.settle_stale(v)) for _, v in ctx.store.items(STACKS_NS, prefix)
            ]
        return paged(ctx, req, items)

    def export_template(req: Request, p: dict[str, str]) -> Response:
        check_subscription(ctx, p["sub"])
        sid = stack_id(ctx, p["name"])
        template = ctx.store.get(TEMPLATES_NS, sid)
        if ctx.store.get(STACKS_NS, sid) is None or template is None:
            raise stack_not_found(p["name"])
        return Response(200, {"template": template})

    def delete(req: Request, p: dict[str, str]) -> Response:
        check_subscription(ctx, p["sub"])
        name = p["name"]
        sid = stack_id(ctx, name)
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
            stack = running.settle_stale(stack)
            state = stack["properties"].get("provisioningState", "")
            if state.lower() in NON_TERMINAL:
                raise ArmError(
                    409,
                    "DeploymentStackInNonTerminalState",
                    f"The deployment stack '{name}' is in a non-terminal state '{state}' and "
                    "cannot be deleted until the current operation completes.",
                )
            stack["properties"]["provisioningState"] = "deleting"
            running.claim(sid)
            ctx.store.put(STACKS_NS, sid, stack)
        managed = [r["id"] for r in stack["properties"].get("resources", [])]
        injected = injected_lro_error(req)
        op = ctx.operations.start(math.inf)
        action = {"resources": res_action or "detach", "resourceGroups": rg_action or "detach"}
        running.start(
            sid,
            lambda: delete_stack(ctx, sid, managed, action, op, injected),
            f"stack-delete-{name}",
        )
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
