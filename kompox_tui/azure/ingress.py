"""The Traefik ingress manifest set (SPEC §4 "Install") and applying it to a cluster.

The builder functions are pure: they return plain Kubernetes objects (dicts) valid
for Kubernetes 1.33. :class:`KubeRest` is a thin JSON client over an ``ApiClient`` --
:mod:`.kube_http`'s light one for the kubeconfigs AKS hands out, else the official
``kubernetes`` one (so TLS, auth and the ApiCallEvents come from there);
:func:`apply_objects` makes the live state match by server-side apply (field manager
``kompox-tui``; the API server merges, so nothing is compared or carried over here) and
:func:`delete_objects` removes them. Objects another tool manages -- Traefik installed by
Helm, as kompoxops installs it -- are never written or deleted (:func:`foreign_manager`,
:func:`helm_traefik`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import KompoxError, KubernetesError
from .deadline import sleep_within
from .errors_map import map_error

TRAEFIK_IMAGE = "docker.io/traefik:v3.5.3"
TRAEFIK_NAME = "traefik"
INGRESS_CLASS = "traefik"
INGRESS_CONTROLLER = "traefik.io/ingress-controller"
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY_VALUE = "kompox"
WORKLOAD_IDENTITY_USE = "azure.workload.identity/use"
WI_CLIENT_ID = "azure.workload.identity/client-id"
WI_TENANT_ID = "azure.workload.identity/tenant-id"
#: Helm marks what it installed with these (kompoxops installs Traefik with Helm).
HELM_RELEASE_ANNOTATION = "meta.helm.sh/release-name"
HELM_MANAGER = "Helm"

#: Namespaces that exist in every cluster and are never deleted by uninstall.
PROTECTED_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})

Obj = dict[str, Any]


# --- builders ---------------------------------------------------------------------------


@dataclass(frozen=True)
class IngressSpec:
    """What the manifest set depends on: the ingress namespace/SA and the stack outputs."""

    namespace: str
    service_account: str = "traefik"
    client_id: str = ""
    tenant_id: str = ""
    image: str = TRAEFIK_IMAGE

    @property
    def instance(self) -> str:
        return f"traefik-{self.namespace}"


def _labels(spec: IngressSpec, **extra: str) -> dict[str, str]:
    labels = {
        "app.kubernetes.io/name": TRAEFIK_NAME,
        "app.kubernetes.io/instance": spec.instance,
        MANAGED_BY_LABEL: MANAGED_BY_VALUE,
    }
    labels.update(extra)
    return labels


def _selector(spec: IngressSpec) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": TRAEFIK_NAME,
        "app.kubernetes.io/instance": spec.instance,
    }


def namespace_manifest(spec: IngressSpec) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": spec.namespace, "labels": {MANAGED_BY_LABEL: MANAGED_BY_VALUE}},
    }


def service_account_manifest(spec: IngressSpec) -> Obj:
    annotations: dict[str, str] = {}
    if spec.client_id:
        annotations[WI_CLIENT_ID] = spec.client_id
    if spec.tenant_id:
        annotations[WI_TENANT_ID] = spec.tenant_id
    metadata: Obj = {
        "name": spec.service_account,
        "namespace": spec.namespace,
        "labels": _labels(spec),
    }
    if annotations:
        metadata["annotations"] = annotations
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": metadata,
        # The pod mounts the token explicitly (as the Traefik chart does).
        "automountServiceAccountToken": False,
    }


def cluster_role_manifest(spec: IngressSpec) -> Obj:
    """What Traefik v3's kubernetesIngress provider reads and writes."""
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": spec.instance, "labels": _labels(spec)},
        "rules": [
            {
                "apiGroups": [""],
                "resources": ["configmaps", "nodes", "services", "secrets"],
                "verbs": ["get", "list", "watch"],
            },
            {
                "apiGroups": ["discovery.k8s.io"],
                "resources": ["endpointslices"],
                "verbs": ["get", "list", "watch"],
            },
            {
                "apiGroups": ["extensions", "networking.k8s.io"],
                "resources": ["ingressclasses", "ingresses"],
                "verbs": ["get", "list", "watch"],
            },
            {
                "apiGroups": ["extensions", "networking.k8s.io"],
                "resources": ["ingresses/status"],
                "verbs": ["update"],
            },
        ],
    }


def cluster_role_binding_manifest(spec: IngressSpec) -> Obj:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": spec.instance, "labels": _labels(spec)},
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "ClusterRole",
            "name": spec.instance,
        },
        "subjects": [
            {
                "kind": "ServiceAccount",
                "name": spec.service_account,
                "namespace": spec.namespace,
            }
        ],
    }


def ingress_class_manifest(spec: IngressSpec) -> Obj:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "IngressClass",
        "metadata": {
            "name": INGRESS_CLASS,
            "labels": _labels(spec),
            "annotations": {"ingressclass.kubernetes.io/is-default-class": "true"},
        },
        "spec": {"controller": INGRESS_CONTROLLER},
    }


def deployment_manifest(spec: IngressSpec) -> Obj:
    args = [
        "--entryPoints.web.address=:8000/tcp",
        "--entryPoints.websecure.address=:8443/tcp",
        "--entryPoints.websecure.http.tls=true",
        "--entryPoints.traefik.address=:8080/tcp",
        "--ping=true",
        "--api.dashboard=false",
        "--providers.kubernetesingress=true",
        f"--providers.kubernetesingress.ingressclass={INGRESS_CLASS}",
        "--providers.kubernetesingress.ingressendpoint.publishedservice="
        f"{spec.namespace}/{TRAEFIK_NAME}",
        "--log.level=INFO",
        "--accesslog=true",
    ]
    probe = {
        "httpGet": {"path": "/ping", "port": "traefik", "scheme": "HTTP"},
        "initialDelaySeconds": 2,
        "periodSeconds": 10,
        "timeoutSeconds": 2,
        "failureThreshold": 3,
    }
    pod_labels = _labels(spec, **{WORKLOAD_IDENTITY_USE: "true"})
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": TRAEFIK_NAME, "namespace": spec.namespace, "labels": _labels(spec)},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": _selector(spec)},
            "strategy": {"type": "Recreate"},
            "template": {
                "metadata": {"labels": pod_labels},
                "spec": {
                    "serviceAccountName": spec.service_account,
                    "automountServiceAccountToken": True,
                    "terminationGracePeriodSeconds": 60,
                    "securityContext": {
                        "runAsNonRoot": True,
                        "runAsUser": 65532,
                        "runAsGroup": 65532,
                        "fsGroup": 65532,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "containers": [
                        {
                            "name": TRAEFIK_NAME,
                            "image": spec.image,
                            "imagePullPolicy": "IfNotPresent",
                            "args": args,
                            "ports": [
                                {"name": "web", "containerPort": 8000, "protocol": "TCP"},
                                {"name": "websecure", "containerPort": 8443, "protocol": "TCP"},
                                {"name": "traefik", "containerPort": 8080, "protocol": "TCP"},
                            ],
                            "readinessProbe": probe,
                            "livenessProbe": probe,
                            "resources": {
                                "requests": {"cpu": "100m", "memory": "64Mi"},
                                "limits": {"memory": "256Mi"},
                            },
                            "securityContext": {
                                "allowPrivilegeEscalation": False,
                                "readOnlyRootFilesystem": True,
                                "capabilities": {"drop": ["ALL"]},
                            },
                            "volumeMounts": [
                                {"name": "data", "mountPath": "/data"},
                                {"name": "tmp", "mountPath": "/tmp"},
                            ],
                        }
                    ],
                    "volumes": [
                        {"name": "data", "emptyDir": {}},
                        {"name": "tmp", "emptyDir": {}},
                    ],
                },
            },
        },
    }


def service_manifest(spec: IngressSpec) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": TRAEFIK_NAME, "namespace": spec.namespace, "labels": _labels(spec)},
        "spec": {
            "type": "LoadBalancer",
            "externalTrafficPolicy": "Local",
            "selector": _selector(spec),
            "ports": [
                {"name": "web", "port": 80, "targetPort": "web", "protocol": "TCP"},
                {"name": "websecure", "port": 443, "targetPort": "websecure", "protocol": "TCP"},
            ],
        },
    }


def traefik_manifests(spec: IngressSpec) -> list[Obj]:
    """The Traefik objects in apply order (the namespace is handled separately)."""
    return [
        service_account_manifest(spec),
        cluster_role_manifest(spec),
        cluster_role_binding_manifest(spec),
        ingress_class_manifest(spec),
        deployment_manifest(spec),
        service_manifest(spec),
    ]


def all_manifests(spec: IngressSpec) -> list[Obj]:
    """Namespace first, then the Traefik objects."""
    return [namespace_manifest(spec), *traefik_manifests(spec)]


# --- REST paths -----------------------------------------------------------------------

_KINDS: dict[str, tuple[str, str, bool]] = {
    # kind: (api prefix, plural, namespaced)
    "Namespace": ("/api/v1", "namespaces", False),
    "ServiceAccount": ("/api/v1", "serviceaccounts", True),
    "Service": ("/api/v1", "services", True),
    "ConfigMap": ("/api/v1", "configmaps", True),
    "Deployment": ("/apis/apps/v1", "deployments", True),
    "ClusterRole": ("/apis/rbac.authorization.k8s.io/v1", "clusterroles", False),
    "ClusterRoleBinding": ("/apis/rbac.authorization.k8s.io/v1", "clusterrolebindings", False),
    "IngressClass": ("/apis/networking.k8s.io/v1", "ingressclasses", False),
}


def object_path(kind: str, name: str | None = None, namespace: str | None = None) -> str:
    prefix, plural, namespaced = _KINDS[kind]
    path = prefix
    if namespaced:
        if not namespace:
            raise ValueError(f"{kind} needs a namespace")
        path += f"/namespaces/{namespace}"
    path += f"/{plural}"
    if name:
        path += f"/{name}"
    return path


def describe(obj: Mapping[str, Any]) -> str:
    meta = obj.get("metadata") or {}
    ns = meta.get("namespace")
    name = meta.get("name", "?")
    return f"{obj.get('kind', '?')} {ns}/{name}" if ns else f"{obj.get('kind', '?')} {name}"


class KubeApiError(KubernetesError):
    """A Kubernetes API call returned an error status."""


class KubeRest:
    """JSON requests through a kubernetes ``ApiClient`` (bearer auth, TLS from kubeconfig)."""

    def __init__(self, api_client: Any, *, timeout: float = 30.0) -> None:
        self.api_client = api_client
        self.timeout = timeout

    #: Statuses retried like azure-core does for ARM: throttling and transient server errors.
    RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
    #: Attempts after the first one (SPEC §4: 4 retries).
    retries = 4
    #: Exponential backoff base in seconds when the server sends no Retry-After.
    backoff = 0.5
    #: Upper bound of one wait, so a hostile Retry-After cannot stall an operation.
    max_wait = 30.0

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        operation: str,
        ok_missing: bool = False,
        content_type: str = "application/json",
        query: tuple[tuple[str, str], ...] = (),
    ) -> tuple[int, Any]:
        """``(status, json)``; raises :class:`KubeApiError` on an error status.

        With ``ok_missing`` a 404 returns ``(404, None)`` instead of raising. Throttling
        (429) and transient 5xx answers are retried with backoff, honouring Retry-After.
        """
        attempt = 0
        while True:
            status, data, retry_after = self._request_once(
                method, path, body, operation=operation, content_type=content_type, query=query
            )
            if status in self.RETRY_STATUSES and attempt < self.retries:
                wait = retry_after if retry_after is not None else self.backoff * (2**attempt)
                # Never past the operation's deadline: a longer wait ends it now (throttled).
                sleep_within(
                    min(max(wait, 0.0), self.max_wait),
                    status=status,
                    retry_after=retry_after is not None,
                )
                attempt += 1
                continue
            break
        if status == 404 and ok_missing:
            return status, None
        if status >= 400:
            reason = ""
            message = ""
            if isinstance(data, dict):
                # A Kubernetes Status object, or an ARM-style error from a proxy in front.
                reason = str(data.get("reason") or "")
                message = str(data.get("message") or "")
                error = data.get("error")
                if isinstance(error, dict):
                    reason = reason or str(error.get("code") or "")
                    message = message or str(error.get("message") or "")
            reason = reason or _REASONS.get(status, f"HTTP{status}")
            message = message or f"the Kubernetes API answered HTTP {status}"
            raise KubeApiError(operation, code=reason, message=message, status=status)
        return status, data

    def _request_once(
        self,
        method: str,
        path: str,
        body: Any,
        *,
        operation: str,
        content_type: str,
        query: tuple[tuple[str, str], ...] = (),
    ) -> tuple[int, Any, float | None]:
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = content_type
        try:
            _method, url, header_params, serialized_body, post_params = (
                self.api_client.param_serialize(
                    method=method,
                    resource_path=path,
                    query_params=list(query) or None,
                    header_params=headers,
                    body=body,
                    auth_settings=["BearerToken"],
                )
            )
            response = self.api_client.call_api(
                method,
                url,
                header_params=header_params,
                body=serialized_body,
                post_params=post_params,
                _request_timeout=self.timeout,
            )
            raw = response.read()
        except KompoxError:
            raise  # e.g. the operation's deadline ran out before the request
        except Exception as exc:
            host = getattr(getattr(self.api_client, "configuration", None), "host", "") or ""
            raise map_error(operation, exc, endpoint=host or None, kube=True) from None
        status = int(response.status)
        data: Any = None
        if raw:
            try:
                data = json.loads(raw)
            except ValueError:
                data = None
        return status, data, _retry_after(response)


_REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    409: "Conflict",
    408: "Timeout",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
    502: "BadGateway",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}


def _retry_after(response: Any) -> float | None:
    headers = getattr(response, "headers", None) or {}
    try:
        value = headers.get("Retry-After") or headers.get("retry-after")
    except AttributeError:
        return None
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]


# --- apply / delete ------------------------------------------------------------------------


def foreign_manager(obj: Mapping[str, Any] | None) -> str | None:
    """Who manages a live object when it is not kompox-tui: ``Helm (release traefik)``, the
    ``app.kubernetes.io/managed-by`` value, or ``another tool`` when unlabelled; None when
    the object is ours (labelled ``managed-by: kompox``) or absent."""
    if not isinstance(obj, Mapping):
        return None
    meta = obj.get("metadata") or {}
    labels = meta.get("labels") or {}
    annotations = meta.get("annotations") or {}
    manager = labels.get(MANAGED_BY_LABEL) if isinstance(labels, Mapping) else None
    release = annotations.get(HELM_RELEASE_ANNOTATION) if isinstance(annotations, Mapping) else None
    if release or manager == HELM_MANAGER:
        return f"{HELM_MANAGER} (release {release})" if release else HELM_MANAGER
    if manager == MANAGED_BY_VALUE:
        return None
    return str(manager) if manager else "another tool"


def helm_traefik(rest: KubeRest, namespace: str, *, operation: str) -> str | None:
    """``'Helm (release traefik)'`` when the Traefik Deployment or Service in ``namespace``
    was installed by Helm (as kompoxops installs it), else None."""
    for kind in ("Deployment", "Service"):
        _, live = rest.request(
            "GET", object_path(kind, TRAEFIK_NAME, namespace), operation=operation, ok_missing=True
        )
        manager = foreign_manager(live)
        if manager is not None and manager.startswith(HELM_MANAGER):
            return manager
    return None


@dataclass
class ApplyResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    """Objects that exist but another tool manages: left exactly as they are."""

    @property
    def writes(self) -> int:
        return len(self.created) + len(self.updated)


FIELD_MANAGER = "kompox-tui"
APPLY_PATCH = "application/apply-patch+yaml"


def apply_objects(
    rest: KubeRest,
    objects: Iterable[Obj],
    *,
    operation: str = "install",
    on_object: Callable[[str, str], None] | None = None,
) -> ApplyResult:
    """Server-side apply each object (field manager ``kompox-tui``, forced: the fields are
    ours), so the API server merges and keeps what it allocated (cluster IPs, node ports)
    and what other managers own beside our fields.

    Never written: an existing object another tool manages (``foreign_manager``) --
    ``skipped`` -- and an existing namespace, used as it is (``unchanged``).
    ``on_object(action, description)`` is called with ``created``/``updated``/
    ``unchanged``/``skipped`` for each object; ``unchanged`` means the apply left the
    resourceVersion as it was.
    """
    result = ApplyResult()
    for obj in objects:
        kind = obj["kind"]
        meta = obj["metadata"]
        name, namespace = meta["name"], meta.get("namespace")
        label = describe(obj)
        item_path = object_path(kind, name, namespace)
        _, live = rest.request("GET", item_path, operation=operation, ok_missing=True)
        action: str
        manager = foreign_manager(live)
        if live is not None and kind == "Namespace":
            action = "unchanged"
        elif manager is not None:
            action = "skipped"
            label = f"{label} (managed by {manager})"
        else:
            status, applied = rest.request(
                "PATCH",
                item_path,
                obj,
                operation=operation,
                content_type=APPLY_PATCH,
                query=(("fieldManager", FIELD_MANAGER), ("force", "true")),
            )
            if live is None or status == 201:
                action = "created"
            else:
                before = (live.get("metadata") or {}).get("resourceVersion")
                after = ((applied or {}).get("metadata") or {}).get("resourceVersion")
                action = "unchanged" if before == after else "updated"
        getattr(result, action).append(label)
        if on_object is not None:
            on_object(action, label)
    return result


def delete_objects(
    rest: KubeRest,
    objects: Iterable[Obj],
    *,
    operation: str = "uninstall",
    on_object: Callable[[str, str], None] | None = None,
) -> list[str]:
    """Delete each object that is ours (missing ones are fine; one another tool manages is
    kept and reported ``kept``); returns the descriptions deleted."""
    deleted: list[str] = []
    for obj in objects:
        kind = obj["kind"]
        meta = obj["metadata"]
        path = object_path(kind, meta["name"], meta.get("namespace"))
        label = describe(obj)
        _, live = rest.request("GET", path, operation=operation, ok_missing=True)
        manager = foreign_manager(live)
        if manager is not None:
            if on_object is not None:
                on_object("kept", f"{label} (managed by {manager})")
            continue
        status, _ = rest.request("DELETE", path, operation=operation, ok_missing=True)
        if status != 404:
            deleted.append(label)
        if on_object is not None:
            on_object("deleted" if status != 404 else "absent", label)
    return deleted
