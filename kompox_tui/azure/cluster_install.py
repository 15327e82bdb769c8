"""Installing and uninstalling the Traefik ingress (SPEC §4; kompox-real-facts.md §6.3-6.4).

Our manifests go in by server-side apply (:mod:`.ingress`) only where nothing another tool
manages is there: Traefik that Helm installed -- as kompoxops installs it -- is reported
and left exactly as it is, on install and on uninstall. The ingress namespace and service
account must be the ones the cluster was provisioned for (its federated credential trusts
them), and KOM ``spec.protection.installation`` is honoured.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..errors import KompoxError, PreconditionError
from . import ingress
from .cluster import (
    OUT_INGRESS_CLIENT_ID,
    OUT_INGRESS_NAMESPACE,
    OUT_INGRESS_SA,
    OUT_TENANT_ID,
    stack_outputs,
)
from .deadline import run_within

if TYPE_CHECKING:
    from .cluster import ClusterOps


def _ingress_spec(ops: ClusterOps, stack: Mapping[str, Any]) -> ingress.IngressSpec:
    outputs = stack_outputs(stack)
    tenant = outputs.get(OUT_TENANT_ID) or str(
        ops.config.provider.settings.get("AZURE_TENANT_ID") or ""
    )
    return ingress.IngressSpec(
        namespace=ops.ingress_namespace,
        service_account=ops.ingress_service_account,
        client_id=outputs.get(OUT_INGRESS_CLIENT_ID, ""),
        tenant_id=tenant,
    )


def _object_reporter(ops: ClusterOps, operation: str, started: float) -> Callable[[str, str], None]:
    """``on_object(action, label)`` for ingress.apply/delete: one resource event each."""

    def on_object(action: str, label: str) -> None:
        ops._progress(operation, "resource", f"{action}: {label}", started)

    return on_object


def _run_reporting(
    ops: ClusterOps, operation: str, timeout: float, started: float, run: Callable[[], None]
) -> None:
    """``run`` under ``timeout``; a typed error is also reported as an error event."""
    try:
        run_within(operation, timeout, run)
    except KompoxError as exc:
        ops._progress(operation, "error", str(exc), started)
        raise


def install(ops: ClusterOps) -> None:
    operation = "cluster install"
    ops.guard_write(operation)
    ops._require_provider()
    started = time.monotonic()

    def run() -> None:
        stack = ops._get_stack(operation)
        rg, name = ops._cluster_ref(operation, stack)
        assert stack is not None
        spec = _ingress_spec(ops, stack)
        _check_ingress_outputs(ops, operation, stack, spec)
        if ops.config.cluster.protection.installation not in ("none", ""):
            # only then is "first install or update?" worth a status read
            first = not ops._status(operation).installed
            ops._protect(operation, "installation", "create" if first else "update")
        ops._progress(
            operation, "info", f"installing Traefik into namespace {spec.namespace}", started
        )
        on_object = _object_reporter(ops, operation, started)

        def apply(rest: ingress.KubeRest) -> ingress.ApplyResult | str:
            helm = ingress.helm_traefik(rest, spec.namespace, operation=operation)
            if helm is not None:
                return helm
            return ingress.apply_objects(
                rest, ingress.all_manifests(spec), operation=operation, on_object=on_object
            )

        result = ops._with_kube(operation, rg, name, apply)
        if isinstance(result, str):
            _helm_untouched(ops, operation, spec.namespace, result, started)
            return
        summary = (
            f"{len(result.created)} created, {len(result.updated)} updated, "
            f"{len(result.unchanged)} unchanged"
        )
        if result.skipped:
            summary += f", {len(result.skipped)} left to their other manager"
        ops._progress(operation, "done", f"installed ({summary})", started)

    _run_reporting(ops, operation, ops.install_timeout, started, run)


def _check_ingress_outputs(
    ops: ClusterOps, operation: str, stack: Mapping[str, Any], spec: ingress.IngressSpec
) -> None:
    """The federated credential trusts the namespace/service account the template was
    given; installing under other names would leave Traefik without its identity
    (kompoxops refuses too: "deployment outputs mismatch")."""
    outputs = stack_outputs(stack)
    provisioned = (outputs.get(OUT_INGRESS_NAMESPACE), outputs.get(OUT_INGRESS_SA))
    if None in provisioned:
        return
    if provisioned != (spec.namespace, spec.service_account):
        raise PreconditionError(
            f"{operation}: the cluster was provisioned for the ingress service account "
            f"{provisioned[0]}/{provisioned[1]}, but the configuration now says "
            f"{spec.namespace}/{spec.service_account}",
            hint="provision again with force so the identity matches, or restore "
            "cluster.ingress.namespace / serviceAccount",
        )


def _helm_untouched(
    ops: ClusterOps, operation: str, namespace: str, manager: str, started: float
) -> None:
    """Traefik there belongs to Helm (kompoxops installs it so): say so, change nothing."""
    ops._progress(
        operation,
        "info",
        f"Traefik in namespace {namespace} is managed by {manager}; kompox-tui does not "
        "change or delete what another tool manages",
        started,
    )
    ops._progress(operation, "done", f"nothing changed (Traefik is managed by {manager})", started)


def uninstall(ops: ClusterOps) -> None:
    operation = "cluster uninstall"
    ops.guard_write(operation)
    ops._require_provider()
    ops._protect(operation, "installation", "delete")
    started = time.monotonic()

    def run() -> None:
        stack = ops._get_stack(operation)
        if stack is None:
            ops._progress(
                operation, "done", "cluster not provisioned: nothing to uninstall", started
            )
            return
        rg, name = ops._cluster_ref(operation, stack)
        spec = _ingress_spec(ops, stack)
        on_object = _object_reporter(ops, operation, started)

        def delete(rest: ingress.KubeRest) -> list[str] | str:
            helm = ingress.helm_traefik(rest, spec.namespace, operation=operation)
            if helm is not None:
                return helm
            objects = list(reversed(ingress.traefik_manifests(spec)))
            if spec.namespace not in ingress.PROTECTED_NAMESPACES:
                objects.append(ingress.namespace_manifest(spec))
            return ingress.delete_objects(rest, objects, operation=operation, on_object=on_object)

        deleted = ops._with_kube(operation, rg, name, delete)
        if isinstance(deleted, str):
            _helm_untouched(ops, operation, spec.namespace, deleted, started)
            return
        ops._progress(operation, "done", f"uninstalled ({len(deleted)} deleted)", started)

    _run_reporting(ops, operation, ops.uninstall_timeout, started, run)
