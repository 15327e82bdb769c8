"""Cluster operations of the AKS driver (SPEC §4).

``ClusterOps`` answers every naming question through the config's layout
(:mod:`kompox_tui.layouts`) and holds what all operations share: settings checks,
progress events, the provisioning object's outputs, the admin kubeconfig and the
Kubernetes client. The operations live in one module each: provisioning with a
deployment stack (:mod:`.cluster_stack`, the guide layout) or a plain subscription
deployment (:mod:`.cluster_deployment`, the kompoxops layout; :func:`cluster_ops`
picks the class by the layout's provisioning object kind), status
(:mod:`.cluster_status`) and the Traefik ingress (:mod:`.cluster_install`).

Every operation checks the settings it needs before any call, calls
``guard_write`` first when it changes something, applies its SPEC timeout
(overridable attributes, so tests can scale them), and raises the typed errors
of :mod:`kompox_tui.errors` carrying the Azure error code and message.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from importlib import resources as importlib_resources
from pathlib import Path
from typing import Any, TypeVar

import yaml

from ..errors import (
    AzureError,
    ConfigError,
    KompoxError,
    KubernetesError,
    NotFoundError,
    PreconditionError,
)
from ..layouts import layout_for
from ..model import ClusterStatus, Config, DriverEvent, ProgressEvent, ProgressKind
from . import ingress
from . import kubeconfig as kubeconfig_files
from .clients import AzureClients
from .deadline import run_within
from .errors_map import map_error
from .kubeconfig import KubeconfigSaved

EmitFn = Callable[[DriverEvent], None]
GuardFn = Callable[[str], None]
T = TypeVar("T")

DEFAULT_KUBERNETES_VERSION = "1.33"
SYSTEM_POOL_PRESETS = ("CostOptimised", "Standard", "HighSpec")
TEMPLATE_RESOURCE = "main.json"

#: Stack output keys the driver reads (upper-cased).
OUT_RESOURCE_GROUP = "AZURE_RESOURCE_GROUP_NAME"
OUT_CLUSTER_NAME = "AZURE_AKS_CLUSTER_NAME"
OUT_TENANT_ID = "AZURE_TENANT_ID"
OUT_INGRESS_CLIENT_ID = "AZURE_INGRESS_SERVICE_ACCOUNT_CLIENT_ID"
OUT_INGRESS_NAMESPACE = "AZURE_INGRESS_SERVICE_ACCOUNT_NAMESPACE"
KEYVAULT_API_VERSION = "2023-07-01"
OUT_INGRESS_SA = "AZURE_INGRESS_SERVICE_ACCOUNT_NAME"
OUTPUTS_READ = (OUT_RESOURCE_GROUP, OUT_CLUSTER_NAME, OUT_TENANT_ID, OUT_INGRESS_CLIENT_ID)

#: Parameters the driver passes to the template.
PARAMETERS_PASSED = (
    "environmentName",
    "location",
    "resourceGroupName",
    "kubernetesVersion",
    "systemPoolPreset",
    "tags",
    "ingressNamespace",
    "ingressServiceAccount",
)


def load_template() -> dict[str, Any]:
    """The embedded ARM template (package data)."""
    text = (
        importlib_resources.files("kompox_tui.azure")
        .joinpath(TEMPLATE_RESOURCE)
        .read_text(encoding="utf-8")
    )
    data: dict[str, Any] = json.loads(text)
    return data


def _plain(obj: Any) -> dict[str, Any]:
    """An SDK model (MutableMapping with wire names) as a plain dict."""
    if obj is None:
        return {}
    as_dict = getattr(obj, "as_dict", None)
    if callable(as_dict):
        result: dict[str, Any] = as_dict()
        return result
    return dict(obj)


def stack_outputs(stack: Mapping[str, Any]) -> dict[str, str]:
    """Outputs as ``{UPPER_KEY: value}`` (``{k: {type, value}}`` or flat values)."""
    raw = (stack.get("properties") or {}).get("outputs") or {}
    result: dict[str, str] = {}
    for key, value in raw.items():
        if isinstance(value, Mapping) and "value" in value:
            value = value["value"]
        result[str(key).upper()] = "" if value is None else str(value)
    return result


def _state(value: Any) -> str:
    return str(value or "").strip()


def map_azure_error(operation: str, exc: BaseException, endpoint: str | None = None) -> KompoxError:
    """The project's typed error for ``exc`` (one mapper for every operation)."""
    return map_error(operation, exc, endpoint=endpoint)


def _first_line(text: str) -> str:
    lines = [line for line in str(text).splitlines() if line.strip()]
    return lines[0].strip()[:500] if lines else ""


def _fmt_duration(seconds: float) -> str:
    if seconds >= 60 and seconds % 60 == 0:
        return f"{int(seconds // 60)} min"
    return f"{seconds:g} s"


class ClusterOps:
    """provision / deprovision / status / install / uninstall / kubeconfig for one cluster."""

    #: SPEC §4 timeouts, in seconds (instance attributes may override them).
    provision_timeout: float = 30 * 60
    deprovision_timeout: float = 30 * 60
    status_timeout: float = 5 * 60
    kubeconfig_timeout: float = 2 * 60
    install_timeout: float = 10 * 60
    uninstall_timeout: float = 10 * 60
    #: How often the stack is GET-polled for progress while an LRO runs.
    progress_interval: float = 1.0

    def __init__(
        self, config: Config, clients: AzureClients, emit: EmitFn, guard_write: GuardFn
    ) -> None:
        self.config = config
        self.clients = clients
        self.emit = emit
        self.guard_write = guard_write
        #: Every naming answer (object name, RGs, tags, ingress, context) comes from here.
        self.layout = layout_for(config)
        self._lock = threading.RLock()
        self._kube_key: tuple[str, str] | None = None
        self._kubeconfig: bytes | None = None
        self._kube_client: Any = None

    # --- names and settings -------------------------------------------------------------

    @property
    def stack_name(self) -> str:
        """The name of the layout's provisioning object (stack or subscription deployment)."""
        return self.layout.provisioning_object().name

    @property
    def object_description(self) -> str:
        """``deployment stack 'X'`` / ``subscription deployment 'X'`` for messages."""
        return self.layout.provisioning_object().description

    @property
    def tags(self) -> dict[str, str]:
        return self.layout.cluster_tags()

    @property
    def ingress_namespace(self) -> str:
        return self.layout.ingress_namespace()

    @property
    def ingress_service_account(self) -> str:
        return self.layout.ingress_service_account()

    def _config_error(self, key: str, message: str, hint: str | None = None) -> ConfigError:
        return ConfigError(message, file=str(self.config.path), key=key, hint=hint)

    def _require_provider(self) -> None:
        settings = self.config.provider.settings
        for key in ("AZURE_SUBSCRIPTION_ID", "AZURE_LOCATION"):
            if not str(settings.get(key) or "").strip():
                raise self._config_error(
                    f"provider.settings.{key}", "is required but missing or empty"
                )

    def _require_resource_group(self) -> str:
        value = (self.layout.cluster_resource_group() or "").strip()
        if not value:
            raise self._config_error(
                "cluster.settings.AZURE_RESOURCE_GROUP_NAME",
                "is required to provision the cluster but is missing",
                hint="set it to the resource group the cluster should live in, e.g. rg-"
                + self.config.cluster.name,
            )
        if len(value) > 80:
            raise self._config_error(
                "cluster.settings.AZURE_RESOURCE_GROUP_NAME",
                f"'{value}' is {len(value)} characters; Azure allows at most 80",
            )
        return value

    def _kubernetes_version(self) -> str:
        value = str(self.config.cluster.settings.get("AZURE_AKS_KUBERNETES_VERSION") or "").strip()
        return value or DEFAULT_KUBERNETES_VERSION

    def _system_pool(self) -> str:
        value = str(self.config.cluster.settings.get("AZURE_AKS_SYSTEM_POOL") or "").strip()
        if not value:
            return SYSTEM_POOL_PRESETS[0]
        for preset in SYSTEM_POOL_PRESETS:
            if preset.lower() == value.lower():
                return preset
        raise self._config_error(
            "cluster.settings.AZURE_AKS_SYSTEM_POOL",
            f"'{value}' is not a system pool preset; expected one of "
            + ", ".join(SYSTEM_POOL_PRESETS),
        )

    def template_parameters(self, resource_group: str) -> dict[str, dict[str, Any]]:
        """The template parameters the driver passes (``{name: {"value": ...}}``)."""
        values: dict[str, Any] = {
            "environmentName": self.config.cluster.name,
            "location": str(self.config.provider.settings.get("AZURE_LOCATION") or ""),
            "resourceGroupName": resource_group,
            "kubernetesVersion": self._kubernetes_version(),
            "systemPoolPreset": self._system_pool(),
            "tags": self.tags,
            "ingressNamespace": self.ingress_namespace,
            "ingressServiceAccount": self.ingress_service_account,
        }
        return {k: {"value": v} for k, v in values.items()}

    def stack_body(
        self, resource_group: str, parameters: dict[str, dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        """The Deployment Stack PUT body (SPEC §4 Provision)."""
        return {
            "location": str(self.config.provider.settings.get("AZURE_LOCATION") or ""),
            "tags": self.tags,
            "properties": {
                "description": f"Kompox cluster {self.config.cluster.name} (kompox-tui)",
                "template": load_template(),
                "parameters": parameters or self.template_parameters(resource_group),
                "actionOnUnmanage": {
                    "resources": "detach",
                    "resourceGroups": "detach",
                    "managementGroups": "detach",
                },
                "denySettings": {"mode": "none"},
            },
        }

    # --- events -----------------------------------------------------------------------------

    def _progress(
        self,
        operation: str,
        kind: ProgressKind,
        message: str,
        started: float,
        *,
        state: str | None = None,
        resource_id: str | None = None,
        data: Mapping[str, str] | None = None,
    ) -> None:
        self.emit(
            ProgressEvent(
                operation=operation,
                kind=kind,
                message=message,
                elapsed_s=round(time.monotonic() - started, 3),
                state=state,
                resource_id=resource_id,
                data=data,
            )
        )

    # --- stack helpers --------------------------------------------------------------------

    def _get_stack(self, operation: str) -> dict[str, Any] | None:
        """The stack as a plain dict, or None when it does not exist."""
        from azure.core.exceptions import ResourceNotFoundError

        try:
            return _plain(
                self.clients.stacks().deployment_stacks.get_at_subscription(self.stack_name)
            )
        except ResourceNotFoundError:
            return None
        except Exception as exc:
            raise map_azure_error(operation, exc, self.clients.endpoint) from None

    def _failure(self, operation: str, exc: BaseException, started: float) -> KompoxError:
        """The error for a failed provisioning LRO, with the failed resources."""
        from . import cluster_stack

        return cluster_stack.failure(self, operation, exc, started)

    # --- provision / deprovision ----------------------------------------------------------

    def _protect(self, operation: str, what: str, op: str) -> None:
        """KOM ``spec.protection`` as kompoxops enforces it (ADR-013; force does not
        override): ``readOnly`` blocks update and delete, ``cannotDelete`` blocks delete."""
        level = str(getattr(self.config.cluster.protection, what, "none") or "none")
        blocked = (level == "readOnly" and op in ("update", "delete")) or (
            level == "cannotDelete" and op == "delete"
        )
        if blocked:
            unblock = "'none' or 'cannotDelete'" if op == "update" else "'none'"
            raise PreconditionError(
                f"{operation}: the cluster's {what} protection is '{level}', which forbids "
                f"this {op}",
                hint=f"set spec.protection.{what} of Cluster {self.config.cluster.name} to "
                f"{unblock} to unblock",
            )

    def provision(self, force: bool = False) -> None:
        from . import cluster_stack

        cluster_stack.provision(self, force)

    def _emit_outputs(self, operation: str, stack: Mapping[str, Any], started: float) -> None:
        outputs = stack_outputs(stack)
        for key, value in sorted(outputs.items()):
            self._progress(operation, "output", f"{key} = {value}", started, data={key: value})

    def deprovision(self) -> None:
        from . import cluster_stack

        cluster_stack.deprovision(self)

    def _purge_vault(self, operation: str, name: str, location: str, started: float) -> None:
        """Start the purge of a soft-deleted Key Vault (not awaited; a failure is reported
        as information, as kompoxops only logs it)."""
        from urllib.parse import quote

        from azure.core.rest import HttpRequest

        sub = str(self.config.provider.settings.get("AZURE_SUBSCRIPTION_ID") or "").strip()
        default = str(self.config.provider.settings.get("AZURE_LOCATION") or "")
        loc = (location or default).replace(" ", "").lower()
        request = HttpRequest(
            "POST",
            f"/subscriptions/{quote(sub, safe='')}/providers/Microsoft.KeyVault/locations/"
            f"{quote(loc, safe='')}/deletedVaults/{quote(name, safe='')}/purge",
            params={"api-version": KEYVAULT_API_VERSION},
        )
        try:
            response = self.clients.resources().send_request(request)
            ok = response.status_code in (200, 202)
            detail = "" if ok else f"HTTP {response.status_code}"
        except Exception as exc:
            ok, detail = False, str(map_azure_error(operation, exc, self.clients.endpoint))
        if ok:
            self._progress(operation, "info", f"purge of Key Vault {name} started", started)
        else:
            self._progress(
                operation, "info", f"purge of Key Vault {name} not started: {detail}", started
            )

    # --- kubeconfig --------------------------------------------------------------------------

    def _cluster_ref(self, operation: str, stack: Mapping[str, Any] | None) -> tuple[str, str]:
        if stack is None:
            raise NotFoundError(
                f"{operation}: the cluster is not provisioned ({self.object_description} "
                "not found)",
                hint="provision the cluster first",
            )
        outputs = stack_outputs(stack)
        rg = outputs.get(OUT_RESOURCE_GROUP, "")
        name = outputs.get(OUT_CLUSTER_NAME, "")
        if not rg or not name:
            state = _state((stack.get("properties") or {}).get("provisioningState"))
            raise PreconditionError(
                f"{operation}: {self.object_description} ({state or 'unknown state'}) has no "
                f"{OUT_RESOURCE_GROUP}/{OUT_CLUSTER_NAME} outputs",
                hint="provision the cluster (again) until it succeeds",
            )
        return rg, name

    def _fetch_kubeconfig(self, operation: str, rg: str, name: str) -> bytes:
        import base64
        import binascii

        from .cluster_status import aks_call

        try:
            # Plain JSON, not the container-service SDK (start-up time: cluster_status.py).
            creds = aks_call(self.clients, "POST", rg, name, "listClusterAdminCredential")
        except Exception as exc:
            raise map_azure_error(operation, exc, self.clients.endpoint) from None
        kubeconfigs = (creds.get("kubeconfigs") if isinstance(creds, dict) else None) or []
        first = kubeconfigs[0] if kubeconfigs and isinstance(kubeconfigs[0], dict) else {}
        encoded = first.get("value")
        try:
            value = base64.b64decode(encoded) if isinstance(encoded, str) else None
        except (binascii.Error, ValueError):
            value = None
        if not value:
            raise AzureError(
                operation,
                code="NoKubeconfig",
                message=f"managed cluster {name} in {rg} returned no admin kubeconfig",
            )
        data = bytes(value) if not isinstance(value, str) else value.encode("utf-8")
        with self._lock:
            self._kube_key = (rg, name)
            self._kubeconfig = data
            if self._kube_client is not None:
                self.clients.discard_kube(self._kube_client)
            self._kube_client = None
        return data

    def _admin_kubeconfig(self, operation: str, rg: str, name: str, refresh: bool = False) -> bytes:
        with self._lock:
            if not refresh and self._kube_key == (rg, name) and self._kubeconfig is not None:
                return self._kubeconfig
        return self._fetch_kubeconfig(operation, rg, name)

    def _kube_rest(self, operation: str, rg: str, name: str, refresh: bool = False) -> Any:
        kubeconfig = self._admin_kubeconfig(operation, rg, name, refresh=refresh)
        with self._lock:
            if self._kube_client is None:
                try:
                    self._kube_client = self.clients.kube_rest_client(kubeconfig)
                except KompoxError:
                    raise
                except Exception as exc:
                    raise KubernetesError(
                        operation, code="InvalidKubeconfig", message=_first_line(str(exc))
                    ) from None
            return ingress.KubeRest(self._kube_client)

    def _forget_kube(self) -> None:
        with self._lock:
            if self._kube_client is not None:
                self.clients.discard_kube(self._kube_client)
            self._kube_client = None
            self._kubeconfig = None
            self._kube_key = None

    def _with_kube(self, operation: str, rg: str, name: str, fn: Callable[[Any], T]) -> T:
        """Run ``fn(rest)``; on 401 refetch the admin kubeconfig once and retry."""
        rest = self._kube_rest(operation, rg, name)
        try:
            return fn(rest)
        except KubernetesError as exc:
            if exc.status != 401:
                raise
        rest = self._kube_rest(operation, rg, name, refresh=True)
        return fn(rest)

    def with_cluster_kube(self, operation: str, fn: Callable[[Any], T]) -> T:
        """Run ``fn(rest)`` against the cluster's API server for a reader outside this
        module (the volume browser's mount view). The cluster reference is remembered
        with the admin kubeconfig, so a repeated read costs no ARM call."""
        with self._lock:
            ref = self._kube_key if self._kubeconfig is not None else None
        if ref is None:
            ref = self._cluster_ref(operation, self._get_stack(operation))
        return self._with_kube(operation, ref[0], ref[1], fn)

    def kubeconfig(self) -> bytes:
        operation = "cluster kubeconfig"
        self._require_provider()

        def run() -> bytes:
            rg, name = self._cluster_ref(operation, self._get_stack(operation))
            return self._fetch_kubeconfig(operation, rg, name)

        return run_within(operation, self.kubeconfig_timeout, run)

    def default_kubeconfig_path(self) -> Path:
        import platformdirs

        base = platformdirs.user_config_path("kompox-tui")
        c = self.config
        return base / "kubeconfig" / f"{c.provider.name}-{c.cluster.name}.yaml"

    def write_kubeconfig(self, path: Path | None = None, merge: bool = False) -> Path:
        return self.save_kubeconfig(path, merge=merge).path

    def save_kubeconfig(
        self,
        path: Path | None = None,
        *,
        merge: bool = False,
        set_current: bool = True,
        overwrite: bool = False,
    ) -> KubeconfigSaved:
        """Save (or merge) the admin kubeconfig; see :mod:`kompox_tui.azure.kubeconfig`."""
        data = yaml.safe_load(self.kubeconfig())
        context = self.layout.kubeconfig_context()
        if merge:
            target = Path(path) if path else kubeconfig_files.merge_target()
        else:
            target = Path(path) if path else self.default_kubeconfig_path()
        return kubeconfig_files.save_kubeconfig(
            data, context, target, merge=merge, set_current=set_current, overwrite=overwrite
        )

    # --- status ---------------------------------------------------------------------------

    def status(self) -> ClusterStatus:
        operation = "cluster status"
        self._require_provider()
        return run_within(operation, self.status_timeout, lambda: self._status(operation))

    def _status(self, operation: str) -> ClusterStatus:
        from . import cluster_status

        return cluster_status.read_status(self, operation)

    # --- install / uninstall ----------------------------------------------------------------

    def install(self) -> None:
        from . import cluster_install

        cluster_install.install(self)

    def uninstall(self) -> None:
        from . import cluster_install

        cluster_install.uninstall(self)


def _provision_kind(obj: Mapping[str, Any] | None) -> str:
    """``update`` when the provisioning object exists and succeeded (a re-provision),
    else ``create`` (kompoxops: "first time" = not yet provisioned)."""
    state = _state(((obj or {}).get("properties") or {}).get("provisioningState"))
    return "update" if state.lower() == "succeeded" else "create"


def _is_vault_id(resource_id: str) -> bool:
    parts = resource_id.strip("/").split("/")
    return len(parts) == 8 and "/".join(parts[5:7]).lower() == "microsoft.keyvault/vaults"


def _deployment_ops() -> type[ClusterOps]:
    from .cluster_deployment import DeploymentClusterOps

    return DeploymentClusterOps


#: The ClusterOps class for each kind of provisioning object a layout names.
_OPS_FOR_KIND: dict[str, Callable[[], type[ClusterOps]]] = {
    "stack": lambda: ClusterOps,
    "deployment": _deployment_ops,
}


def cluster_ops(
    config: Config, clients: AzureClients, emit: EmitFn, guard_write: GuardFn
) -> ClusterOps:
    """The cluster operations for ``config``'s layout (by its provisioning object kind)."""
    kind = layout_for(config).provisioning_object().kind
    return _OPS_FOR_KIND[kind]()(config, clients, emit, guard_write)
