"""Template deployments (``Microsoft.Resources/deployments``) at subscription scope.

Routes (``/subscriptions/{s}/providers/Microsoft.Resources/deployments``):

- ``PUT {name}``: the template is validated at once (ARM's synchronous preflight: 400
  ``InvalidTemplate`` / ``NoRegisteredProviderFound`` / ``InvalidRequestContent``), then
  201 (200 on a redeploy) with the deployment ``Accepted`` + ``Azure-AsyncOperation``
  (``.../deployments/{name}/operationStatuses/{id}``) + ``Retry-After``. A background
  thread moves it to ``Running`` and deploys the template with the shared engine
  (:mod:`.template`), recording one deployment operation per resource; it ends
  ``Succeeded`` with ``outputs`` and ``outputResources``, or ``Failed`` with ARM's
  ``DeploymentFailed`` error. A PUT while the deployment runs is a 409 ``DeploymentActive``.
- ``GET {name}``, ``HEAD {name}`` (204/404), list (paged), ``POST {name}/exportTemplate``.
- ``DELETE {name}``: removes the deployment record only (never the resources it made, as
  in ARM): 202 + ``Location`` (``/subscriptions/{s}/operationresults/{id}``); 204 when absent;
  409 ``DeploymentActive`` while it runs.
- ``GET {name}/operations`` (``$top``) and ``GET {name}/operations/{operationId}``, also for
  the resource-group-scope deployments a template nests
  (``/subscriptions/{s}/resourcegroups/{rg}/providers/Microsoft.Resources/deployments/...``).

Shapes from specs ``Microsoft.Resources/stable/2025-04-01/resources.json``
(``DeploymentExtended``, ``DeploymentOperation``) and azure-rest-api-specs #12898 (the
``operationStatuses`` URL).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import api_versions
from .common import ARM_NS, check_subscription, operation_result_response, paged, retry_after
from .core import (
    ArmError,
    EmulatorContext,
    Operation,
    Request,
    Response,
    injected_lro_error,
    iso,
)
from .generic_resources import (
    EngineHost,
    iso_duration,
    set_provisioning_state,
    update_stored,
)
from .operations_routes import async_status_handler
from .template import (
    DEPLOYMENTS_TYPE,
    DeploymentScope,
    ResourceEvent,
    TemplateError,
    deploy,
    validate,
)

#: azure-mgmt-resource-deployments 2.0.0 (the split-out DeploymentsMgmtClient) sends
#: 2026-06-01; ARM's other Microsoft.Resources versions are registered by api_versions.
api_versions.register(
    "Microsoft.Resources/deployments",
    (*api_versions.RESOURCES_VERSIONS, "2026-06-01"),
    arm_owned=True,
)
api_versions.register(
    "Microsoft.Resources/deployments/operations",
    (*api_versions.RESOURCES_VERSIONS, "2026-06-01"),
    arm_owned=True,
)
# A deleted deployment's ``Location`` (``/subscriptions/S/operationresults/ID``) carries it.
api_versions.register("Microsoft.Resources/operationresults", ("2026-06-01",), arm_owned=True)
api_versions.register(
    "Microsoft.Resources/deployments/operationStatuses",
    (*api_versions.RESOURCES_VERSIONS, "2026-06-01"),
    arm_owned=True,
)

TEMPLATES_NS = "deployment_templates"
OPS_NS = "deployment_ops"
"""Deployment operations, keyed ``<deployment id>/operations/<operationId>``."""
VALIDATE_SECONDS = 0.5
_RUNNING = {"accepted", "running", "deleting"}
_SUB_PATH = "/subscriptions/{sub}/providers/Microsoft.Resources/deployments"
_RG_PATH = "/subscriptions/{sub}/resourcegroups/{rg}/providers/Microsoft.Resources/deployments"
_DEPLOYMENT_FAILED = (
    "At least one resource deployment operation failed. Please list deployment operations for "
    "details. Please see https://aka.ms/arm-deployment-operations for usage details."
)


def deployment_not_found(name: str) -> ArmError:
    return ArmError(404, "DeploymentNotFound", f"Deployment '{name}' could not be found.")


def _visible_parameters(template: dict[str, Any], parameters: dict[str, Any]) -> dict[str, Any]:
    """Parameters as GET shows them: each with its declared type; secure values hidden."""
    decls = {k.lower(): v for k, v in (template.get("parameters") or {}).items()}
    out: dict[str, Any] = {}
    for name, entry in parameters.items():
        decl = decls.get(name.lower())
        ptype = str(decl.get("type", "String")) if isinstance(decl, dict) else "String"
        ptype = ptype[:1].upper() + ptype[1:]
        if ptype.lower() in ("securestring", "secureobject"):
            out[name] = {"type": ptype}
        else:
            value = entry.get("value") if isinstance(entry, dict) else entry
            out[name] = {"type": ptype, "value": value}
    return out


def _template_hash(template: dict[str, Any]) -> str:
    digest = hashlib.sha256(json.dumps(template, sort_keys=True).encode("utf-8")).digest()
    return str(int.from_bytes(digest[:8], "big"))


def _deployer_object_id(req: Request, ctx: EmulatorContext) -> str:
    import base64

    token = (req.header("authorization") or "").split(" ", 1)[-1]
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        oid = claims.get("oid") if isinstance(claims, dict) else None
        if isinstance(oid, str) and oid:
            return oid
    except (IndexError, ValueError):
        pass
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"deployer:{ctx.tenant_id}"))


@dataclass
class _Run:
    """One PUT of a deployment, deployed in a background thread."""

    ctx: EmulatorContext
    deployment_id: str
    op: Operation
    template: dict[str, Any]
    parameters: dict[str, Any]
    scope: DeploymentScope
    injected: ArmError | None
    started: float = 0.0
    nested: dict[str, str] = field(default_factory=dict)
    """Nested deployment name -> its resource id (to file its resources' operations)."""
    pending: dict[str, tuple[str, float]] = field(default_factory=dict)
    """Resource id (lower) -> (operation key, start time) of operations still running."""

    def update(self, fn: Callable[[dict[str, Any]], None]) -> None:
        update_stored(self.ctx, ARM_NS, self.deployment_id, fn)

    def set_state(self, state: str) -> None:
        set_provisioning_state(self.ctx, ARM_NS, self.deployment_id, state)

    def owner_of(self, event: ResourceEvent) -> str:
        """The id of the deployment whose operation list the event's resource belongs to."""
        if event.deployment_name == self.scope.deployment_name:
            return self.deployment_id
        return self.nested.get(event.deployment_name, self.deployment_id)

    def on_resource(self, event: ResourceEvent) -> None:
        owner = self.owner_of(event)
        now = self.ctx.clock.monotonic()
        key_id = event.resource_id.lower()
        if event.phase == "creating":
            if event.resource_type.lower() == DEPLOYMENTS_TYPE.lower():
                self.nested[event.resource_id.rsplit("/", 1)[-1]] = event.resource_id
            op_id = uuid.uuid4().hex[:16].upper()
            key = f"{owner}/operations/{op_id}"
            self.pending[key_id] = (key, now)
            self.ctx.store.put(OPS_NS, key, self.operation(owner, op_id, event, "Running"))
            return
        pending = self.pending.pop(key_id, None)
        if pending is None:
            return
        key, began = pending
        record = self.ctx.store.get(OPS_NS, key)
        if not isinstance(record, dict):
            return
        props = record["properties"]
        props["timestamp"] = iso(self.ctx.clock.now())
        props["duration"] = iso_duration(now - began)
        if event.phase == "created":
            props["provisioningState"] = "Succeeded"
            props["statusCode"] = "Created"
            props["statusMessage"] = {"status": "Succeeded"}
        else:
            error = event.error.to_dict() if event.error is not None else {}
            props["provisioningState"] = "Failed"
            props["statusCode"] = "Conflict" if error.get("code") != "BadRequest" else "BadRequest"
            props["statusMessage"] = {"status": "Failed", "error": error}
        self.ctx.store.put(OPS_NS, key, record)

    def operation(self, owner: str, op_id: str, event: ResourceEvent, state: str) -> dict[str, Any]:
        return {
            "id": f"{owner}/operations/{op_id}",
            "operationId": op_id,
            "properties": {
                "provisioningOperation": "Create",
                "provisioningState": state,
                "timestamp": iso(self.ctx.clock.now()),
                "duration": "PT0S",
                "trackingId": str(uuid.uuid4()),
                "serviceRequestId": str(uuid.uuid4()),
                "targetResource": {
                    "id": event.resource_id,
                    "resourceType": event.resource_type,
                    "resourceName": event.resource_id.rsplit("/", 1)[-1],
                },
            },
        }

    def run(self) -> None:
        self.started = self.ctx.clock.monotonic()
        try:
            self.ctx.clock.sleep(VALIDATE_SECONDS)
            self.set_state("Running")
            try:
                result = deploy(
                    self.template,
                    self.parameters,
                    scope=self.scope,
                    host=EngineHost(self.ctx, self.injected),
                    on_resource=self.on_resource,
                )
            except TemplateError as exc:
                self.fail(exc.to_dict())
                return
            self.succeed(result.outputs, result.resource_ids)
        except Exception as exc:  # the thread must always end the operation
            self.fail({"code": "InternalServerError", "message": f"The emulator failed: {exc!r}"})

    def succeed(self, outputs: dict[str, Any], resource_ids: list[str]) -> None:
        seen: list[str] = []
        for rid in resource_ids:
            if all(rid.lower() != s.lower() for s in seen):
                seen.append(rid)

        def apply(dep: dict[str, Any]) -> None:
            p = dep["properties"]
            p["provisioningState"] = "Succeeded"
            p["outputs"] = outputs
            p["outputResources"] = [{"id": rid} for rid in seen]
            p["timestamp"] = iso(self.ctx.clock.now())
            p["duration"] = iso_duration(self.ctx.clock.monotonic() - self.started)
            p.pop("error", None)

        self.update(apply)
        self.op.duration = 0.0

    def fail(self, inner: dict[str, Any]) -> None:
        if inner.get("code") == "DeploymentFailed":
            error = dict(inner)
            error["target"] = self.deployment_id
        else:
            error = {
                "code": "DeploymentFailed",
                "target": self.deployment_id,
                "message": _DEPLOYMENT_FAILED,
                "details": [inner],
            }

        def apply(dep: dict[str, Any]) -> None:
            p = dep["properties"]
            p["provisioningState"] = "Failed"
            p["error"] = error
            p["timestamp"] = iso(self.ctx.clock.now())
            p["duration"] = iso_duration(self.ctx.clock.monotonic() - self.started)

        self.update(apply)
        details = [d for d in error.get("details") or [] if isinstance(d, dict)]
        self.op.error = ArmError(409, error["code"], error["message"], details=details)
        self.op.duration = 0.0


def register(ctx: EmulatorContext) -> None:
    """Add the subscription deployment routes (before :mod:`.stacks`, whose single GET of a
    subscription deployment these routes supersede)."""
    active: set[str] = set()
    active_lock = threading.Lock()

    def sub_id(name: str) -> str:
        return f"/subscriptions/{ctx.subscription_id}/providers/{DEPLOYMENTS_TYPE}/{name}"

    def settle_stale(dep: dict[str, Any]) -> dict[str, Any]:
        """A running deployment without its thread (restarted from a state file) fails."""
        props = dep.get("properties") or {}
        state = str(props.get("provisioningState", ""))
        with active_lock:
            running = dep["id"].lower() in active
        if state.lower() in _RUNNING and not running:
            props["provisioningState"] = "Failed"
            props["error"] = {
                "code": "DeploymentInterrupted",
                "message": f"The emulator stopped while the deployment was '{state}'.",
            }
            ctx.store.put(ARM_NS, dep["id"], dep)
        return dep

    def load(name: str) -> dict[str, Any]:
        dep = ctx.store.get(ARM_NS, sub_id(name))
        if not isinstance(dep, dict):
            raise deployment_not_found(name)
        return settle_stale(dep)

    def active_error(name: str, dep: dict[str, Any]) -> ArmError:
        started = (dep.get("properties") or {}).get("timestamp", "")
        return ArmError(
            409,
            "DeploymentActive",
            f"Unable to edit or replace deployment '{name}': previous deployment from "
            f"'{started}' is still active (expiration time is '{started}'). Please see "
            "https://aka.ms/arm-deploy for usage details.",
        )

    def put(req: Request, p: dict[str, str]) -> Response:
        check_subscription(ctx, p["sub"])
        name = p["name"]
        _check_name(name)
        body = req.json()
        if not isinstance(body, dict) or not isinstance(body.get("properties"), dict):
            raise ArmError(
                400,
                "InvalidRequestContent",
                "The request content was invalid and could not be deserialized: 'Required "
                "property 'properties' not found in JSON.'",
            )
        props_in: dict[str, Any] = body["properties"]
        mode = props_in.get("mode")
        if not isinstance(mode, str) or mode.lower() not in ("incremental", "complete"):
            raise ArmError(
                400,
                "InvalidRequestContent",
                "The request content was invalid and could not be deserialized: 'Required "
                "property 'mode' not found in JSON.'",
            )
        if mode.lower() == "complete":
            raise ArmError(
                400,
                "InvalidDeploymentMode",
                "The deployment mode 'Complete' is not supported for a deployment at "
                "subscription scope.",
            )
        if "templateLink" in props_in:
            raise ArmError(
                400,
                "InvalidRequestContent",
                "The emulator supports only an inline 'template', not 'templateLink'.",
            )
        template = props_in.get("template")
        parameters = props_in.get("parameters") or {}
        if not isinstance(template, dict) or not isinstance(parameters, dict):
            raise ArmError(
                400,
                "InvalidRequestContent",
                "The request content was invalid: 'properties.template' and "
                "'properties.parameters' must be objects.",
            )
        location = str(body.get("location") or "").replace(" ", "").lower()
        if not location:
            raise ArmError(
                400,
                "LocationRequired",
                "The location property is required for this definition.",
            )
        did = sub_id(name)
        scope = DeploymentScope(
            subscription_id=ctx.subscription_id,
            tenant_id=ctx.tenant_id,
            location=location,
            deployer_object_id=_deployer_object_id(req, ctx),
            deployment_name=name,
        )
        # ARM validates the template before it accepts the deployment.
        try:
            api_versions.check_template(template, location)
            validate(template, parameters, scope=scope)
        except TemplateError as exc:
            raise ArmError(400, exc.code, exc.message, target=exc.target) from None
        now = iso(ctx.clock.now())
        with ctx.store.lock:
            existing = ctx.store.get(ARM_NS, did)
            if isinstance(existing, dict):
                existing = settle_stale(existing)
                state = str(existing["properties"].get("provisioningState", ""))
                if state.lower() in _RUNNING:
                    raise active_error(name, existing)
            dep: dict[str, Any] = {
                "id": did,
                "name": name,
                "type": DEPLOYMENTS_TYPE,
                "location": location,
                "properties": {
                    "templateHash": _template_hash(template),
                    "parameters": _visible_parameters(template, parameters),
                    "mode": "Incremental",
                    "provisioningState": "Accepted",
                    "timestamp": now,
                    "duration": "PT0S",
                    "correlationId": req.header("x-ms-correlation-request-id") or str(uuid.uuid4()),
                    "providers": [],
                    "dependencies": [],
                },
            }
            if body.get("tags"):
                dep["tags"] = dict(body["tags"])
            with active_lock:
                active.add(did.lower())
            ctx.store.put(ARM_NS, did, dep)
            ctx.store.put(TEMPLATES_NS, did, template)
            ctx.store.delete_prefix(OPS_NS, did + "/operations/")
        op = ctx.operations.start(math.inf)
        run = _Run(ctx, did, op, template, parameters, scope, injected_lro_error(req))

        def work() -> None:
            try:
                run.run()
            finally:
                with active_lock:
                    active.discard(did.lower())

        threading.Thread(target=work, name=f"deployment-{name}", daemon=True).start()
        av = req.q("api-version") or ""
        headers = {
            "Azure-AsyncOperation": (
                f"{req.base_url}{did}/operationStatuses/{op.id}?api-version={av}"
            ),
            "Retry-After": retry_after(ctx, initial=True),
        }
        return Response(200 if existing is not None else 201, dep, headers)

    def get(req: Request, p: dict[str, str]) -> Response:
        check_subscription(ctx, p["sub"])
        return Response(200, load(p["name"]))

    def head(req: Request, p: dict[str, str]) -> Response:
        check_subscription(ctx, p["sub"])
        return Response(204 if ctx.store.get(ARM_NS, sub_id(p["name"])) is not None else 404)

    def list_sub(req: Request, p: dict[str, str]) -> Response:
        check_subscription(ctx, p["sub"])
        prefix = sub_id("").lower()
        items = [
            settle_stale(v)
            for k, v in ctx.store.items(ARM_NS, prefix)
            if "/" not in k[len(prefix) :] and isinstance(v, dict)
        ]
        return paged(ctx, req, items)

    def export(req: Request, p: dict[str, str]) -> Response:
        check_subscription(ctx, p["sub"])
        load(p["name"])
        template = ctx.store.get(TEMPLATES_NS, sub_id(p["name"]))
        return Response(200, {"template": template or {}})

    def delete(req: Request, p: dict[str, str]) -> Response:
        check_subscription(ctx, p["sub"])
        name = p["name"]
        did = sub_id(name)
        with ctx.store.lock:
            dep = ctx.store.get(ARM_NS, did)
            if not isinstance(dep, dict):
                return Response(204)
            dep = settle_stale(dep)
            if str(dep["properties"].get("provisioningState", "")).lower() in _RUNNING:
                raise active_error(name, dep)
            dep["properties"]["provisioningState"] = "Deleting"
            ctx.store.put(ARM_NS, did, dep)

        def finish() -> None:
            with ctx.store.lock:
                ctx.store.delete(ARM_NS, did)
                ctx.store.delete(TEMPLATES_NS, did)
                ctx.store.delete_prefix(OPS_NS, did + "/operations/")

        def failed(_err: ArmError) -> None:
            with ctx.store.lock:
                cur = ctx.store.get(ARM_NS, did)
                if isinstance(cur, dict):
                    cur["properties"]["provisioningState"] = "Failed"
                    ctx.store.put(ARM_NS, did, cur)

        op = ctx.operations.start(1.0, finish, injected_lro_error(req), on_error=failed)
        return operation_result_response(ctx, req, op)

    def owner_id(p: dict[str, str]) -> str:
        if p.get("rg"):
            return (
                f"/subscriptions/{ctx.subscription_id}/resourceGroups/{p['rg']}/providers/"
                f"{DEPLOYMENTS_TYPE}/{p['name']}"
            )
        return sub_id(p["name"])

    def exists(p: dict[str, str], did: str) -> bool:
        if ctx.store.get(ARM_NS, did) is not None:
            return True
        # a nested deployment is stored when it ends; its operations exist while it runs
        return bool(ctx.store.items(OPS_NS, did + "/operations/"))

    def list_ops(req: Request, p: dict[str, str]) -> Response:
        check_subscription(ctx, p["sub"])
        did = owner_id(p)
        if not exists(p, did):
            raise deployment_not_found(p["name"])
        items = [v for _, v in ctx.store.items(OPS_NS, did + "/operations/")]
        items.sort(key=lambda o: str(o["properties"].get("timestamp", "")))
        top = req.q("$top")
        if top:
            with contextlib.suppress(ValueError):
                items = items[: max(0, int(top))]
        return paged(ctx, req, items)

    def get_op(req: Request, p: dict[str, str]) -> Response:
        check_subscription(ctx, p["sub"])
        did = owner_id(p)
        record = ctx.store.get(OPS_NS, f"{did}/operations/{p['op']}")
        if not isinstance(record, dict):
            raise ArmError(
                404,
                "DeploymentOperationNotFound",
                f"Deployment operation '{p['op']}' could not be found.",
            )
        return Response(200, record)

    def get_rg_deployment(req: Request, p: dict[str, str]) -> Response:
        check_subscription(ctx, p["sub"])
        dep = ctx.store.get(ARM_NS, owner_id(p))
        if not isinstance(dep, dict):
            raise deployment_not_found(p["name"])
        return Response(200, dep)

    one = _SUB_PATH + "/{name}"
    ctx.router.add("PUT", one, put)
    ctx.router.add("GET", one, get)
    ctx.router.add("HEAD", one, head)
    ctx.router.add("DELETE", one, delete)
    ctx.router.add("GET", _SUB_PATH, list_sub)
    ctx.router.add("POST", one + "/exportTemplate", export)
    ctx.router.add("GET", one + "/operations", list_ops)
    ctx.router.add("GET", one + "/operations/{op}", get_op)
    ctx.router.add("GET", one + "/operationStatuses/{id}", async_status_handler(ctx))
    rg_one = _RG_PATH + "/{name}"
    ctx.router.add("GET", rg_one + "/operations", list_ops)
    ctx.router.add("GET", rg_one + "/operations/{op}", get_op)
    ctx.router.add("GET", rg_one, get_rg_deployment)
    # the SDK's resource-group-scope operation lists have no providers segment
    rg_ops = "/subscriptions/{sub}/resourcegroups/{rg}/deployments/{name}/operations"
    ctx.router.add("GET", rg_ops, list_ops)
    ctx.router.add("GET", rg_ops + "/{op}", get_op)


def _check_name(name: str) -> None:
    ok = 1 <= len(name) <= 64 and all(c.isalnum() or c in "-_.()" for c in name)
    if not ok:
        raise ArmError(
            400,
            "InvalidDeploymentName",
            f"The deployment name '{name}' is invalid. It must be 1 to 64 characters long and "
            "may contain only alphanumerics, underscores, periods, parentheses and hyphens.",
        )
