"""Running a deployment stack: the template engine glue for a PUT, and delete/detach.

A PUT's :class:`StackRun` and a DELETE's :func:`delete_stack` each run in a background
thread (:class:`RunningStacks`) and end the LRO the client polls; the stack's
``provisioningState`` moves ``initializing`` -> ``validating`` -> ``deploying`` (each
created resource appears in ``resources[]``) -> ``succeeded`` / ``failed``. Resources no
longer in the template are detached or deleted per ``actionOnUnmanage``.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .. import api_versions
from ..arm import (
    DEPLOYMENTS_TYPE,
    RESOURCE_GROUPS_TYPE,
    DeploymentScope,
    ResourceEvent,
    TemplateError,
    deploy,
    parse_resource_id,
    validate,
)
from ..common import ARM_NS
from ..core import ArmError, EmulatorContext, Operation, iso
from ..generic_resources import (
    EngineHost,
    iso_duration,
    resource_impl,
    set_provisioning_state,
    update_stored,
)
from .model import (
    DELETE_SECONDS,
    NON_TERMINAL,
    STACKS_NS,
    TEMPLATES_NS,
    VALIDATE_SECONDS,
    deployment_failed,
    managed_entry,
    stack_error,
)


class RunningStacks:
    """The stacks with a deployment or deletion thread running (lower-cased ids)."""

    def __init__(self, ctx: EmulatorContext) -> None:
        self.ctx = ctx
        self._active: set[str] = set()
        self._lock = threading.Lock()

    def start(self, sid: str, target: Callable[[], None], thread_name: str) -> None:
        def body() -> None:
            try:
                target()
            finally:
                with self._lock:
                    self._active.discard(sid.lower())

        threading.Thread(target=body, name=thread_name, daemon=True).start()

    def claim(self, sid: str) -> None:
        """Mark a stack busy before its non-terminal state is stored (see settle_stale)."""
        with self._lock:
            self._active.add(sid.lower())

    def settle_stale(self, stack: dict[str, Any]) -> dict[str, Any]:
        """A non-terminal stack without a running thread (the emulator restarted from a
        state file mid-operation) ends failed, so it can be redeployed or deleted."""
        props = stack["properties"]
        state = str(props.get("provisioningState", ""))
        with self._lock:
            running = stack["id"].lower() in self._active
        if state.lower() in NON_TERMINAL and not running:
            props["provisioningState"] = "failed"
            props["error"] = stack_error(
                props.get("correlationId", ""),
                {
                    "code": "DeploymentStackInterrupted",
                    "message": f"The emulator stopped while the stack was '{state}'.",
                },
            )
            self.ctx.store.put(STACKS_NS, stack["id"], stack)
        return stack


@dataclass
class StackRun:
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
        update_stored(self.ctx, STACKS_NS, self.stack_id, fn)

    def set_state(self, state: str) -> None:
        set_provisioning_state(self.ctx, STACKS_NS, self.stack_id, state)

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
                            resources.append(managed_entry(event.resource_id))

                    self.update(add)

            try:
                result = deploy(
                    self.template,
                    self.parameters,
                    scope=self.scope,
                    host=EngineHost(self.ctx, self.injected),
                    on_resource=on_resource,
                )
            except TemplateError as exc:
                body = exc.to_dict()
                detail = (
                    body
                    if exc.code == "InvalidTemplate"
                    else deployment_failed(props_deployment_id, body)
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
                "duration": iso_duration(self.ctx.clock.monotonic() - started),
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
        deleted, detached = unmanage(self.ctx, gone, action)

        def apply(stack: dict[str, Any]) -> None:
            p = stack["properties"]
            p["resources"] = [managed_entry(r) for r in current]
            p["outputs"] = outputs
            p["deletedResources"] = [{"id": r} for r in deleted]
            p["detachedResources"] = [{"id": r} for r in detached]
            p["failedResources"] = []
            p["duration"] = iso_duration(self.ctx.clock.monotonic() - started)
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
            error.update(stack_error(p.get("correlationId", ""), detail))
            p["error"] = error
            p["duration"] = iso_duration(self.ctx.clock.monotonic() - started)
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


def unmanage(
    ctx: EmulatorContext, resource_ids: list[str], action: dict[str, Any]
) -> tuple[list[str], list[str]]:
    """Delete or detach ``resource_ids`` per ``action``; returns (deleted, detached)."""
    res_action = str(action.get("resources") or "detach").lower()
    rg_action = str(action.get("resourceGroups") or "detach").lower()
    deleted: list[str] = []
    detached: list[str] = []
    groups = [r for r in resource_ids if type_of(r).lower() == RESOURCE_GROUPS_TYPE.lower()]
    others = [r for r in resource_ids if r not in groups]
    for rid in reversed(others):
        if res_action == "delete":
            if ctx.store.get(ARM_NS, rid) is not None:
                ctx.clock.sleep(DELETE_SECONDS)
                with contextlib.suppress(ArmError):
                    resource_impl(ctx, type_of(rid)).delete(ctx, rid)
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


def type_of(resource_id: str) -> str:
    try:
        return parse_resource_id(resource_id)[2]
    except ValueError:
        return ""


def delete_stack(
    ctx: EmulatorContext,
    sid: str,
    managed: list[str],
    action: dict[str, Any],
    op: Operation,
    injected: ArmError | None,
) -> None:
    """A DELETE's work: unmanage the stack's resources per ``action``, then forget the
    stack; ``injected`` (fault injection) fails the deletion and leaves the stack failed."""
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
        unmanage(ctx, managed, action)
        with ctx.store.lock:
            ctx.store.delete(STACKS_NS, sid)
            ctx.store.delete(TEMPLATES_NS, sid)
    except Exception as exc:
        op.error = ArmError(500, "InternalServerError", f"The emulator failed: {exc!r}")
    op.duration = 0.0
