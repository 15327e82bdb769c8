"""Phase 5: the deployment walk.

``deploy`` validates, then for each template (the top one and every nested
``Microsoft.Resources/deployments``): binds parameters, plans (plan.py), creates each
instance whose condition holds through ``host.create`` in order, and evaluates the
outputs. A resource that fails stops the walk with ARM's ``DeploymentFailed``
carrying the resource's error in ``details``; an expression error stays
``InvalidTemplate``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from .errors import (
    DEPLOYMENT_FAILED,
    OUTPUTS_FAILED,
    ExpressionError,
    TemplateError,
    invalid_template,
)
from .evaluate import EVALUATOR, Ctx, Frame
from .ids import unique_string
from .interface import (
    DEPLOYMENTS_TYPE,
    DeploymentResult,
    DeploymentScope,
    ResourceEvent,
    ResourceHost,
)
from .plan import Instance, nested_scope, plan
from .validation import bind_parameters, check_schema, validate
from .values import to_bool, to_string, type_name

# Declaration keys that steer the deployment and are not part of the resource body.
_CONTROL_KEYS = {
    "condition",
    "copy",
    "dependson",
    "scope",
    "resourcegroup",
    "subscriptionid",
    "comments",
    "apiversion",
    "existing",
    "resources",
}
_OUTPUT_TYPES = {
    "string": "String",
    "securestring": "SecureString",
    "int": "Int",
    "bool": "Bool",
    "object": "Object",
    "secureobject": "SecureObject",
    "array": "Array",
}


def deploy(
    template: dict[str, Any],
    parameters: dict[str, Any] | None,
    *,
    scope: DeploymentScope,
    host: ResourceHost,
    on_resource: Callable[[ResourceEvent], None] | None = None,
) -> DeploymentResult:
    """Validate and deploy ``template``; ``on_resource`` hears each resource's progress."""
    validate(template, parameters, scope=scope)
    engine = _Engine(host, on_resource)
    engine.result.outputs = engine.run(template, parameters, scope, "")
    return engine.result


class _Engine:
    """One deployment: the host, the listener and what has been created so far."""

    def __init__(
        self, host: ResourceHost, on_resource: Callable[[ResourceEvent], None] | None
    ) -> None:
        self.host = host
        self.on_resource = on_resource
        self.result = DeploymentResult(outputs={})

    def emit(self, event: ResourceEvent) -> None:
        if self.on_resource is not None:
            self.on_resource(event)

    def run(
        self,
        template: dict[str, Any],
        parameters: dict[str, Any] | None,
        scope: DeploymentScope,
        where: str,
    ) -> dict[str, dict[str, Any]]:
        """Deploy one template; returns its outputs. Raises TemplateError."""
        frame = Frame(template, scope, self.host)
        bind_parameters(frame, parameters, where=where or "parameters")
        return self._run_frame(frame, where)

    def _run_frame(self, frame: Frame, where: str) -> dict[str, dict[str, Any]]:
        prefix = f"{where}." if where else ""
        for inst in plan(frame, prefix):
            if not inst.condition:
                continue
            try:
                self._deploy_one(frame, inst)
            except TemplateError as exc:
                if exc.code == "InvalidTemplate" and not exc.details:
                    raise
                raise TemplateError(
                    "DeploymentFailed", DEPLOYMENT_FAILED, frame.scope.deployment_id, [exc]
                ) from None
        return self._outputs(frame, prefix)

    def _deploy_one(self, frame: Frame, inst: Instance) -> None:
        ctx = Ctx(frame, inst.path, dict(inst.copy))
        scope = frame.scope
        self.emit(
            ResourceEvent("creating", inst.resource_id, inst.real_type, scope.deployment_name)
        )
        try:
            if inst.real_type == DEPLOYMENTS_TYPE:
                self._deploy_nested(frame, inst, ctx)
            else:
                body: dict[str, Any] = {}
                for key, value in inst.decl.items():
                    if key.lower() in _CONTROL_KEYS or key in ("type", "name"):
                        continue
                    body[key] = EVALUATOR.value(replace(ctx, where=f"{inst.path}.{key}"), value)
                body["name"] = inst.name.split("/")[-1]
                body["type"] = inst.real_type
                body["id"] = inst.resource_id
                self._create(inst.resource_id, inst.real_type, inst.api_version, body)
                self.result.resource_ids.append(inst.resource_id)
        except TemplateError as exc:
            # An expression error is the template's fault, not the resource's: no event.
            if exc.code != "InvalidTemplate" or exc.details:
                self.emit(
                    ResourceEvent(
                        "failed", inst.resource_id, inst.real_type, scope.deployment_name, exc
                    )
                )
            raise
        self.emit(ResourceEvent("created", inst.resource_id, inst.real_type, scope.deployment_name))

    def _create(
        self, resource_id: str, rtype: str, api_version: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        """``host.create``, with the host's error (``code``/``message``) as a TemplateError."""
        try:
            return self.host.create(resource_id, rtype, api_version, body)
        except TemplateError:
            raise
        except Exception as exc:
            code = getattr(exc, "code", None)
            message = getattr(exc, "message", None)
            if not isinstance(code, str) or not isinstance(message, str):
                code, message = "InternalServerError", f"Creating the resource failed: {exc}"
            details = getattr(exc, "details", None) or []
            nested = [
                TemplateError(str(d.get("code")), str(d.get("message")))
                for d in details
                if isinstance(d, dict)
            ]
            raise TemplateError(code, message, resource_id, nested) from None

    def _deploy_nested(self, frame: Frame, inst: Instance, ctx: Ctx) -> None:
        decl = inst.decl
        props = decl.get("properties") or {}
        options = props.get("expressionEvaluationOptions") if isinstance(props, dict) else None
        if not isinstance(props, dict) or not isinstance(options or {}, dict):
            raise invalid_template(
                f"The deployment '{inst.name}' at '{inst.path}' needs 'properties' (and its "
                "'expressionEvaluationOptions', if given) to be JSON objects.",
                inst.path,
            )
        if "templateLink" in props:
            raise invalid_template(
                f"The deployment '{inst.name}' uses 'templateLink', which the emulator does not "
                "support; embed the template.",
                inst.path,
            )
        template = props.get("template")
        target = nested_scope(frame, inst, ctx)
        where = f"{inst.path}.properties.template"
        inner = str((options or {}).get("scope", "outer"))
        evaluated_props = {
            k: EVALUATOR.value(replace(ctx, where=f"{inst.path}.properties.{k}"), v)
            for k, v in props.items()
            if k not in ("template", "expressionEvaluationOptions")
        }
        check_schema(template, subscription_scope=target.resource_group is None, where=where)
        assert isinstance(template, dict)
        if target.resource_group_id is not None and self.host.get(target.resource_group_id) is None:
            raise TemplateError(
                "ResourceGroupNotFound",
                f"Resource group '{target.resource_group}' could not be found.",
                inst.resource_id,
            )
        if inner.lower() == "inner":
            outputs = self.run(template, evaluated_props.get("parameters"), target, where)
        else:
            # outer scope: the nested template sees the parent's parameters and variables
            merged = dict(template)
            merged["parameters"] = {}
            merged["variables"] = {}
            child = Frame(merged, target, self.host)
            child.params = frame.params
            child.variable_decls = frame.variable_decls
            child.variable_values = frame.variable_values
            outputs = self._run_frame(child, where)
        body = {
            "name": inst.name,
            "type": DEPLOYMENTS_TYPE,
            "id": inst.resource_id,
            "location": decl.get("location"),
            "properties": {
                "mode": evaluated_props.get("mode", "Incremental"),
                "provisioningState": "Succeeded",
                "outputs": outputs,
                "templateHash": unique_string(json.dumps(template, sort_keys=True)),
                "timestamp": datetime.now(UTC).isoformat(),
            },
        }
        if body["location"] is None:
            del body["location"]
        self._create(inst.resource_id, DEPLOYMENTS_TYPE, inst.api_version, body)
        self.result.deployment_ids.append(inst.resource_id)

    def _outputs(self, frame: Frame, prefix: str) -> dict[str, dict[str, Any]]:
        outputs: dict[str, dict[str, Any]] = {}
        for name, decl in (frame.template.get("outputs") or {}).items():
            where = f"{prefix}outputs.{name}"
            ctx = Ctx(frame, where)
            if not isinstance(decl, dict):
                raise invalid_template(f"The output '{name}' must be an object.", where)
            try:
                if "condition" in decl and not EVALUATOR.value(ctx, decl["condition"]):
                    continue
                otype = str(decl.get("type", "string")).lower()
                value = _output_value(otype, EVALUATOR.value(ctx, decl.get("value")))
            except TemplateError as exc:
                raise _output_failed(name, exc.reason) from None
            except ExpressionError as exc:
                raise _output_failed(name, str(exc)) from None
            outputs[name] = {"type": _OUTPUT_TYPES.get(otype, "String"), "value": value}
        return outputs


def _output_value(otype: str, value: Any) -> Any:
    """``value`` as the output's declared type (ARM converts scalars the same way)."""
    if otype == "int" and not isinstance(value, int):
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ExpressionError(
                "Template output JToken type is not valid. Expected 'Integer'. "
                f"Actual '{type_name(value)}'"
            ) from None
    if otype == "bool" and not isinstance(value, bool):
        return to_bool(value)
    if otype in ("string", "securestring") and not isinstance(value, str):
        return to_string(value)
    return value


def _output_failed(name: str, reason: str) -> TemplateError:
    """ARM's error for an output that cannot be evaluated (after the resources exist)."""
    detail = TemplateError(
        "DeploymentOutputEvaluationFailed",
        f"The template output '{name}' is not valid: {reason}.",
        name,
    )
    return TemplateError(
        "DeploymentOutputEvaluationFailed", OUTPUTS_FAILED.format(names=name), None, [detail]
    )
