"""Cluster operations when the layout provisions with a plain subscription deployment.

kompoxops v0.0.23 provisions a cluster as an ARM deployment at subscription scope named
after the cluster resource group (kompox-real-facts.md §6): mode Incremental, location
``AZURE_LOCATION``, the cluster tags on the deployment and as the ``tags`` parameter, and
the ``AZURE_AKS_*`` settings as template parameters -- each *present* key is passed as a
string, even when empty. :class:`DeploymentClusterOps` does the same with the template of
our own in ``templates/kompoxops.json`` and keeps every other operation of
:class:`~.cluster.ClusterOps` (status, kubeconfig, install, uninstall), which read the
provisioning object through ``_get_stack``: here the deployment, whose GET has the same
``properties.provisioningState`` / ``properties.outputs`` shape.

Live progress comes from the deployment operations (the top-level ones and those of the
nested resource-group deployment), polled while the LRO runs. Deprovision is kompoxops's:
a best-effort DELETE of the deployment, then the cluster RG (listing its Key Vaults
first), then a purge of each soft-deleted vault, started and not awaited.
"""

from __future__ import annotations

import contextlib
import json
import time
from importlib import resources as importlib_resources
from typing import Any

from ..errors import AzureError, KompoxError, OperationTimeout
from .cluster import ClusterOps, _plain, _provision_kind, _state, map_azure_error
from .deadline import run_within

TEMPLATE_RESOURCE = ("templates", "kompoxops.json")
#: ``AZURE_AKS_*`` settings -> template parameters (each passed when the key is present).
VM_PARAMETERS = {
    f"AZURE_AKS_{pool.upper()}_VM_{key}": f"aks{pool}Vm{param}"
    for pool in ("System", "User")
    for key, param in (
        ("SIZE", "Size"),
        ("DISK_TYPE", "DiskType"),
        ("DISK_SIZE_GB", "DiskSizeGB"),
        ("PRIORITY", "Priority"),
        ("ZONES", "Zones"),
    )
}
#: Azure's limit for a deployment name (the cluster RG name here).
DEPLOYMENT_NAME_MAX = 64


def load_kompoxops_template() -> dict[str, Any]:
    text = (
        importlib_resources.files("kompox_tui.azure")
        .joinpath(*TEMPLATE_RESOURCE)
        .read_text(encoding="utf-8")
    )
    data: dict[str, Any] = json.loads(text)
    return data


class DeploymentClusterOps(ClusterOps):
    """Provision / deprovision through a subscription deployment; the rest as ClusterOps."""

    # --- names, parameters, body ----------------------------------------------------------

    def _require_resource_group(self) -> str:
        value = super()._require_resource_group()
        if len(value) > DEPLOYMENT_NAME_MAX:
            raise self._config_error(
                "cluster.settings.AZURE_RESOURCE_GROUP_NAME",
                f"the cluster resource group '{value}' ({len(value)} characters) names the "
                f"subscription deployment, and Azure allows at most {DEPLOYMENT_NAME_MAX}",
                hint="set a shorter AZURE_RESOURCE_GROUP_NAME or AZURE_RESOURCE_PREFIX",
            )
        return value

    @property
    def location(self) -> str:
        # kompoxops trims and lower-cases AZURE_LOCATION
        return str(self.config.provider.settings.get("AZURE_LOCATION") or "").strip().lower()

    def template_parameters(self, resource_group: str) -> dict[str, dict[str, Any]]:
        values: dict[str, Any] = {
            "environmentName": self.config.cluster.name,
            "location": self.location,
            "resourceGroupName": resource_group,
            "ingressServiceAccountName": self.ingress_service_account,
            "ingressServiceAccountNamespace": self.ingress_namespace,
            "tags": self.tags,
        }
        settings = self.config.cluster.settings
        for key, param in VM_PARAMETERS.items():
            if key in settings:  # a present key is passed even when empty
                values[param] = str(settings[key])
        return {k: {"value": v} for k, v in values.items()}

    def stack_body(
        self, resource_group: str, parameters: dict[str, dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        return {
            "location": self.location,
            "tags": self.tags,
            "properties": {
                "mode": "Incremental",
                "template": load_kompoxops_template(),
                "parameters": parameters or self.template_parameters(resource_group),
            },
        }

    # --- the deployment -------------------------------------------------------------------

    def _get_stack(self, operation: str) -> dict[str, Any] | None:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            return _plain(
                self.clients.deployments().deployments.get_at_subscription_scope(self.stack_name)
            )
        except ResourceNotFoundError:
            return None
        except Exception as exc:
            raise map_azure_error(operation, exc, self.clients.endpoint) from None

    def _operations(self) -> list[dict[str, Any]]:
        """The deployment's operations, then those of each nested deployment it ran."""
        client = self.clients.deployments().deployment_operations
        out: list[dict[str, Any]] = []
        for op in client.list_at_subscription_scope(self.stack_name):
            item = _plain(op)
            out.append(item)
            target = (item.get("properties") or {}).get("targetResource") or {}
            rid = str(target.get("id") or "")
            if str(target.get("resourceType") or "").lower() == "microsoft.resources/deployments":
                parts = rid.strip("/").split("/")
                if len(parts) >= 8 and parts[2].lower() == "resourcegroups":
                    with contextlib.suppress(Exception):
                        out.extend(_plain(o) for o in client.list(parts[3], parts[-1]))
        return out

    def _report_operations(self, operation: str, started: float, reported: dict[str, str]) -> None:
        """One ``resource`` event per target resource and state change (Running/Succeeded/
        Failed); nested deployments themselves are not reported."""
        for item in self._operations():
            props = item.get("properties") or {}
            target = props.get("targetResource") or {}
            rid = str(target.get("id") or "")
            rtype = str(target.get("resourceType") or "")
            state = _state(props.get("provisioningState"))
            if not rid or rtype.lower() == "microsoft.resources/deployments":
                continue
            if reported.get(rid) == state:
                continue
            reported[rid] = state
            word = {"running": "creating", "succeeded": "created", "failed": "failed"}.get(
                state.lower(), state.lower() or "unknown"
            )
            self._progress(operation, "resource", f"{word}: {rid}", started, resource_id=rid)

    def _watch(self, operation: str, poller: Any, started: float) -> None:
        last_state: str | None = None
        reported: dict[str, str] = {}
        next_poll = 0.0
        while not poller.done():
            now = time.monotonic()
            if now - started > self.provision_timeout:
                self._progress(operation, "error", "timed out", started)
                raise OperationTimeout(
                    f"{operation} of {self.object_description} did not finish within "
                    f"{self.provision_timeout:g} s"
                )
            if now >= next_poll:
                next_poll = now + self.progress_interval
                with contextlib.suppress(KompoxError, Exception):
                    current = self._get_stack(operation)
                    state = _state(
                        ((current or {}).get("properties") or {}).get("provisioningState")
                    )
                    if state and state != last_state:
                        last_state = state
                        self._progress(
                            operation, "state", f"deployment: {state}", started, state=state
                        )
                    self._report_operations(operation, started, reported)
            poller.wait(max(0.01, min(self.progress_interval, next_poll - time.monotonic())))
        # the last word, however fast the deployment was: its resources and final state
        with contextlib.suppress(Exception):
            self._report_operations(operation, started, reported)
            final = self._get_stack(operation)
            state = _state(((final or {}).get("properties") or {}).get("provisioningState"))
            if state and state != last_state:
                self._progress(operation, "state", f"deployment: {state}", started, state=state)

    def _failure(self, operation: str, exc: BaseException, started: float) -> KompoxError:
        error = map_azure_error(operation, exc, self.clients.endpoint)
        if isinstance(error, AzureError):
            failed: list[str] = []
            with contextlib.suppress(Exception):
                for item in self._operations():
                    props = item.get("properties") or {}
                    if _state(props.get("provisioningState")).lower() != "failed":
                        continue
                    rid = (props.get("targetResource") or {}).get("id")
                    if str(rid or "").lower().find("/microsoft.resources/deployments/") >= 0:
                        continue
                    err = ((props.get("statusMessage") or {}).get("error")) or {}
                    text = f"failed resource {rid}"
                    if err:
                        text += f": ({err.get('code')}) {err.get('message') or ''}".rstrip()
                    failed.append(text)
            if failed:
                error = AzureError(
                    operation,
                    code=error.code,
                    message=error.azure_message,
                    status=error.status,
                    details=[*error.details, *failed],
                    hint=error.hint or None,
                )
        self._progress(operation, "error", str(error), started)
        return error

    # --- provision / deprovision ----------------------------------------------------------

    def provision(self, force: bool = False) -> None:
        operation = "cluster provision"
        self.guard_write(operation)
        self._require_provider()
        resource_group = self._require_resource_group()
        parameters = self.template_parameters(resource_group)
        started = time.monotonic()
        if self.config.cluster.existing and not force:
            self._progress(
                operation, "info", "cluster.existing is true: nothing to provision", started
            )
            self._progress(operation, "done", "skipped (existing cluster)", started)
            return
        self._progress(operation, "info", self.object_description, started)
        current = self._get_stack(operation)
        self._protect(operation, "provisioning", _provision_kind(current))
        if current is not None:
            state = _state((current.get("properties") or {}).get("provisioningState"))
            if state.lower() == "succeeded" and not force:
                self._progress(
                    operation,
                    "info",
                    "already provisioned (deployment succeeded); use force to redeploy",
                    started,
                    state=state,
                )
                self._emit_outputs(operation, current, started)
                self._progress(operation, "done", "already provisioned", started, state=state)
                return
        body = self.stack_body(resource_group, parameters)
        try:
            deployments: Any = self.clients.deployments().deployments
            poller = deployments.begin_create_or_update_at_subscription_scope(self.stack_name, body)
        except Exception as exc:
            raise self._failure(operation, exc, started) from None
        try:
            self._watch(operation, poller, started)
            result = _plain(poller.result())
        except OperationTimeout:
            raise
        except Exception as exc:
            raise self._failure(operation, exc, started) from None
        state = _state((result.get("properties") or {}).get("provisioningState"))
        if state and state.lower() != "succeeded":
            error = AzureError(
                operation, code="DeploymentNotSucceeded", message=f"deployment state is {state}"
            )
            self._progress(operation, "error", str(error), started)
            raise error
        self._forget_kube()
        self._emit_outputs(operation, result, started)
        self._progress(
            operation,
            "done",
            f"provisioned in {time.monotonic() - started:.1f} s",
            started,
            state=state or "Succeeded",
        )

    def deprovision(self) -> None:
        operation = "cluster deprovision"
        self.guard_write(operation)
        self._require_provider()
        self._protect(operation, "provisioning", "delete")
        resource_group = self._require_resource_group()
        started = time.monotonic()
        if self.config.cluster.existing:
            self._progress(
                operation, "info", "cluster.existing is true: nothing to deprovision", started
            )
            self._progress(operation, "done", "skipped (existing cluster)", started)
            return
        run_within(
            operation,
            self.deprovision_timeout,
            lambda: self._deprovision(operation, resource_group, started),
        )

    def _deprovision(self, operation: str, resource_group: str, started: float) -> None:
        # 1. best effort: the deployment record (kompoxops ignores errors here)
        try:
            self.clients.deployments().deployments.begin_delete_at_subscription_scope(
                self.stack_name
            ).result()
            self._progress(operation, "resource", f"deleted: {self.object_description}", started)
        except Exception as exc:
            text = str(map_azure_error(operation, exc, self.clients.endpoint))
            self._progress(operation, "info", f"deployment not deleted: {text}", started)
        # 2. the cluster RG (the AKS node RG goes with the cluster), its vaults listed first
        rg_client = self.clients.resources()
        try:
            exists = bool(rg_client.resource_groups.check_existence(resource_group))
        except Exception as exc:
            raise self._failure(operation, exc, started) from None
        vaults: list[tuple[str, str]] = []
        if exists:
            try:
                for item in rg_client.resources.list_by_resource_group(
                    resource_group, filter="resourceType eq 'Microsoft.KeyVault/vaults'"
                ):
                    vault = _plain(item)
                    vaults.append(
                        (str(vault.get("name") or ""), str(vault.get("location") or self.location))
                    )
            except Exception as exc:
                raise self._failure(operation, exc, started) from None
            self._progress(operation, "info", f"deleting resource group {resource_group}", started)
            try:
                poller = rg_client.resource_groups.begin_delete(resource_group)
                deadline = started + self.deprovision_timeout
                while not poller.done():
                    if time.monotonic() > deadline:
                        raise OperationTimeout(
                            f"{operation}: resource group {resource_group} was not deleted "
                            f"within {self.deprovision_timeout:g} s"
                        )
                    poller.wait(self.progress_interval)
                poller.result()
            except OperationTimeout:
                raise
            except Exception as exc:
                raise self._failure(operation, exc, started) from None
            self._progress(
                operation, "resource", f"deleted: resource group {resource_group}", started
            )
        else:
            self._progress(
                operation, "info", f"resource group {resource_group} does not exist", started
            )
        self._forget_kube()
        # 3. purge each soft-deleted vault: started, not awaited; failures only reported
        for name, location in vaults:
            self._purge_vault(operation, name, location, started)
        self._progress(
            operation,
            "done",
            f"deleted in {time.monotonic() - started:.1f} s",
            started,
            state="deleted",
        )
