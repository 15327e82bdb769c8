"""Provisioning with a subscription-scope deployment stack (the guide layout, SPEC §4).

The stack is PUT with the embedded ``main.json`` and watched by GET-polling it while the
LRO runs (state changes and each managed resource as progress events); deprovision
deletes the stack with its resources and resource groups, then purges the soft-deleted
Key Vaults it had (Azure keeps a deleted vault's name for 90 days). ``ClusterOps``
delegates here; :mod:`.cluster_deployment` is the plain-deployment counterpart.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..errors import AzureError, KompoxError, OperationTimeout
from .cluster import _fmt_duration, _is_vault_id, _plain, _provision_kind, _state, map_azure_error

if TYPE_CHECKING:
    from .cluster import ClusterOps


def _watch_lro(
    ops: ClusterOps,
    operation: str,
    poller: Any,
    started: float,
    timeout: float,
    seen: set[str],
    last_state: list[str | None],
    *,
    deleting: bool = False,
) -> None:
    """Wait for ``poller`` while GET-polling the stack to emit progress events."""
    next_poll = 0.0
    while not poller.done():
        now = time.monotonic()
        if now - started > timeout:
            ops._progress(operation, "error", f"timed out after {_fmt_duration(timeout)}", started)
            raise OperationTimeout(
                f"{operation} of stack {ops.stack_name} did not finish within "
                f"{_fmt_duration(timeout)}"
            )
        if now >= next_poll:
            next_poll = now + ops.progress_interval
            with contextlib.suppress(KompoxError):
                stack = ops._get_stack(operation)
                if stack is not None:
                    _report_stack(
                        ops, operation, stack, started, seen, last_state, deleting=deleting
                    )
                elif deleting and last_state[0] != "deleted":
                    last_state[0] = "deleted"
                    ops._progress(operation, "state", "stack: deleted", started, state="deleted")
        remaining = max(0.0, min(next_poll - time.monotonic(), timeout - (now - started)))
        poller.wait(min(max(remaining, 0.01), ops.progress_interval))


def _report_stack(
    ops: ClusterOps,
    operation: str,
    stack: Mapping[str, Any],
    started: float,
    seen: set[str],
    last_state: list[str | None],
    *,
    deleting: bool = False,
) -> None:
    props = stack.get("properties") or {}
    state = _state(props.get("provisioningState"))
    if state and state != last_state[0]:
        last_state[0] = state
        ops._progress(operation, "state", f"stack: {state}", started, state=state)
    if deleting:
        current = {str((r or {}).get("id") or "") for r in props.get("resources") or []}
        _report_deleted(ops, operation, seen, current, started)
        return
    for res in props.get("resources") or []:
        rid = str((res or {}).get("id") or "")
        if rid and rid not in seen:
            seen.add(rid)
            ops._progress(
                operation,
                "resource",
                f"{(res or {}).get('status') or 'managed'}: {rid}",
                started,
                resource_id=rid,
            )


def _report_deleted(
    ops: ClusterOps, operation: str, seen: set[str], current: set[str], started: float
) -> None:
    """Emit ``deleted: <id>`` for each resource that left the stack (deprovision)."""
    for rid in sorted(seen - current, key=lambda r: (-r.count("/"), r)):
        seen.discard(rid)
        ops._progress(operation, "resource", f"deleted: {rid}", started, resource_id=rid)


def failure(ops: ClusterOps, operation: str, exc: BaseException, started: float) -> KompoxError:
    """The error for a failed stack LRO, with the failed resources from the stack."""
    error = map_azure_error(operation, exc, ops.clients.endpoint)
    if isinstance(error, AzureError):
        stack = None
        with contextlib.suppress(KompoxError):
            stack = ops._get_stack(operation)
        props = (stack or {}).get("properties") or {}
        extra: list[str] = []
        known = {*error.details, f"({error.code}) {error.azure_message}".strip()}
        stack_error = props.get("error") or {}
        for detail in _flatten_error_details(stack_error):
            if detail not in known and detail not in extra:
                extra.append(detail)
        for failed in props.get("failedResources") or []:
            rid = (failed or {}).get("id")
            ferr = (failed or {}).get("error") or {}
            text = f"failed resource {rid}"
            if ferr:
                text += f": ({ferr.get('code')}) {ferr.get('message') or ''}".rstrip()
            extra.append(text)
        if extra:
            error = AzureError(
                operation,
                code=error.code,
                message=error.azure_message,
                status=error.status,
                details=[*error.details, *extra],
                hint=error.hint or None,
            )
    ops._progress(operation, "error", str(error), started)
    return error


def provision(ops: ClusterOps, force: bool = False) -> None:
    operation = "cluster provision"
    ops.guard_write(operation)
    ops._require_provider()
    resource_group = ops._require_resource_group()
    # Validates the optional settings before any call; the template is loaded only
    # when a PUT is actually sent.
    parameters = ops.template_parameters(resource_group)
    started = time.monotonic()
    if ops.config.cluster.existing:
        ops._progress(operation, "info", "cluster.existing is true: nothing to provision", started)
        ops._progress(operation, "done", "skipped (existing cluster)", started)
        return
    ops._progress(operation, "info", f"stack {ops.stack_name}", started)
    stack = ops._get_stack(operation)
    ops._protect(operation, "provisioning", _provision_kind(stack))
    if stack is not None:
        state = _state((stack.get("properties") or {}).get("provisioningState"))
        if state.lower() == "succeeded" and not force:
            ops._progress(
                operation,
                "info",
                "already provisioned (stack succeeded); use force to redeploy",
                started,
                state=state,
            )
            ops._emit_outputs(operation, stack, started)
            ops._progress(operation, "done", "already provisioned", started, state=state)
            return
    seen: set[str] = set()
    last_state: list[str | None] = [None]
    body = ops.stack_body(resource_group, parameters)
    try:
        poller = ops.clients.stacks().deployment_stacks.begin_create_or_update_at_subscription(
            ops.stack_name, body
        )
    except Exception as exc:
        raise ops._failure(operation, exc, started) from None
    try:
        _watch_lro(ops, operation, poller, started, ops.provision_timeout, seen, last_state)
        result = _plain(poller.result())
    except OperationTimeout:
        raise
    except Exception as exc:
        raise ops._failure(operation, exc, started) from None
    _report_stack(ops, operation, result, started, seen, last_state)
    state = _state((result.get("properties") or {}).get("provisioningState"))
    if state and state.lower() != "succeeded":
        error = AzureError(
            operation, code="DeploymentStackNotSucceeded", message=f"stack state is {state}"
        )
        ops._progress(operation, "error", str(error), started)
        raise error
    ops._forget_kube()
    ops._emit_outputs(operation, result, started)
    ops._progress(
        operation,
        "done",
        f"provisioned in {time.monotonic() - started:.1f} s",
        started,
        state=state or "succeeded",
    )


def deprovision(ops: ClusterOps) -> None:
    operation = "cluster deprovision"
    ops.guard_write(operation)
    ops._require_provider()
    ops._protect(operation, "provisioning", "delete")
    started = time.monotonic()
    if ops.config.cluster.existing:
        ops._progress(
            operation, "info", "cluster.existing is true: nothing to deprovision", started
        )
        ops._progress(operation, "done", "skipped (existing cluster)", started)
        return
    stack = ops._get_stack(operation)
    if stack is None:
        ops._progress(operation, "info", f"stack {ops.stack_name} does not exist", started)
        ops._progress(operation, "done", "nothing to delete", started)
        return
    seen = {str(r.get("id")) for r in (stack.get("properties") or {}).get("resources") or []}
    vaults = sorted(rid for rid in seen if _is_vault_id(rid))
    last_state: list[str | None] = [
        _state((stack.get("properties") or {}).get("provisioningState")) or None
    ]
    ops._progress(
        operation,
        "info",
        f"deleting stack {ops.stack_name} and its {len(seen)} managed resources",
        started,
    )
    try:
        poller = ops.clients.stacks().deployment_stacks.begin_delete_at_subscription(
            ops.stack_name,
            unmanage_action_resources="delete",
            unmanage_action_resource_groups="delete",
            unmanage_action_management_groups="detach",
        )
    except Exception as exc:
        raise ops._failure(operation, exc, started) from None
    try:
        _watch_lro(
            ops,
            operation,
            poller,
            started,
            ops.deprovision_timeout,
            seen,
            last_state,
            deleting=True,
        )
        poller.result()
    except OperationTimeout:
        raise
    except Exception as exc:
        raise ops._failure(operation, exc, started) from None
    ops._forget_kube()
    _report_deleted(ops, operation, seen, set(), started)
    # Azure soft-deletes Key Vaults; without a purge the next provision of this
    # cluster fails on the vault name ("Exist soft deleted vault with the same name").
    for rid in vaults:
        ops._purge_vault(operation, rid.rstrip("/").rsplit("/", 1)[-1], "", started)
    ops._progress(
        operation,
        "done",
        f"deleted in {time.monotonic() - started:.1f} s",
        started,
        state="deleted",
    )


def _flatten_error_details(error: Mapping[str, Any], depth: int = 0) -> list[str]:
    out: list[str] = []
    if depth > 4:
        return out
    for detail in error.get("details") or []:
        if not isinstance(detail, Mapping):
            continue
        code, message = detail.get("code"), detail.get("message")
        if code or message:
            out.append(f"({code}) {message or ''}".strip())
        out.extend(_flatten_error_details(detail, depth + 1))
    return out
