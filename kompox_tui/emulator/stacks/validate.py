"""The deployment stack ``validate`` action at subscription scope.

``POST /subscriptions/S/providers/Microsoft.Resources/deploymentStacks/{name}/validate``
with a stack body (as for PUT). The SDK (``begin_validate_stack_at_subscription``) accepts
200, 202 and 400 as the first answer. The emulator answers at once: 200 with a
``DeploymentStackValidateResult`` (``properties.validatedResources``, ``deploymentScope``,
``actionOnUnmanage``, ``denySettings``, ``parameters``, ``correlationId``) or 400 with the
validation error (template errors ``InvalidTemplate``, unregistered api-versions
``NoRegisteredProviderFound``). Nothing is created: the template is walked with a host that
only records the resource ids it would create.
"""

from __future__ import annotations

import uuid
from typing import Any

from .. import api_versions
from ..arm import DeploymentScope, TemplateError, deploy
from ..common import check_subscription
from ..core import ArmError, EmulatorContext, Request, Response
from .model import STACK_TYPE, visible_parameters


class _DryRunHost:
    """A ResourceHost that stores nothing: every scope exists, created resources are
    recorded (and echoed, so ``reference()`` still evaluates)."""

    def __init__(self) -> None:
        self.ids: list[str] = []

    def create(
        self, resource_id: str, resource_type: str, api_version: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        api_versions.check(resource_type, api_version, body.get("location"))
        if resource_type.lower() != "microsoft.resources/deployments":
            self.ids.append(resource_id)
        out = dict(body)
        out.setdefault("properties", {})
        return out

    def get(self, resource_id: str) -> dict[str, Any] | None:
        return {"id": resource_id, "properties": {}}


def register(ctx: EmulatorContext) -> None:
    """Add the ``validate`` action."""

    def validate(req: Request, p: dict[str, str]) -> Response:
        check_subscription(ctx, p["sub"])
        body = req.json()
        props = body.get("properties") if isinstance(body, dict) else None
        if not isinstance(body, dict) or not isinstance(props, dict):
            raise ArmError(
                400, "InvalidRequestContent", "The request content was invalid: no 'properties'."
            )
        template = props.get("template")
        if not isinstance(template, dict):
            raise ArmError(
                400,
                "InvalidRequestContent",
                "The request content was invalid: 'properties.template' must be an object.",
            )
        parameters = props.get("parameters") or {}
        location = str(body.get("location") or ctx.location).replace(" ", "").lower()
        correlation = req.header("x-ms-correlation-request-id") or str(uuid.uuid4())
        scope = DeploymentScope(
            subscription_id=ctx.subscription_id,
            tenant_id=ctx.tenant_id,
            location=location,
            deployer_object_id=str(uuid.uuid5(uuid.NAMESPACE_URL, ctx.tenant_id)),
            deployment_name=f"{p['name']}-validate",
        )
        host = _DryRunHost()
        try:
            api_versions.check_template(template, location)
            deploy(template, parameters, scope=scope, host=host)
        except ArmError as exc:
            return Response(400, {"error": exc.error_body()})
        except TemplateError as exc:
            return Response(400, {"error": exc.to_dict()})
        result_props: dict[str, Any] = {
            "actionOnUnmanage": props.get("actionOnUnmanage") or {"resources": "detach"},
            "denySettings": props.get("denySettings") or {"mode": "none"},
            "correlationId": correlation,
            "deploymentScope": str(
                props.get("deploymentScope") or f"/subscriptions/{ctx.subscription_id}"
            ),
            "parameters": visible_parameters(template, parameters),
            "validatedResources": [{"id": rid} for rid in host.ids],
        }
        if props.get("description"):
            result_props["description"] = props["description"]
        result = {
            "id": f"/subscriptions/{ctx.subscription_id}/providers/{STACK_TYPE}/{p['name']}",
            "name": p["name"],
            "type": STACK_TYPE,
            "properties": result_props,
        }
        return Response(200, result)

    ctx.router.add(
        "POST",
        "/subscriptions/{sub}/providers/Microsoft.Resources/deploymentStacks/{name}/validate",
        validate,
    )
