"""The served resource types and the ``Status`` errors of the emulated Kubernetes API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..core import Response

JSON = Any

FULL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
CREATE_ONLY = ("create",)


@dataclass(frozen=True)
class Kind:
    """One served resource type."""

    group: str
    """API group; empty for the core group."""
    version: str
    plural: str
    singular: str
    kind: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    status_subresource: bool = False
    """Writes to the main resource ignore ``status`` (it is server-owned)."""
    dns_label: bool = False
    """Names must be DNS-1123 labels (namespaces, services) rather than subdomains."""
    categories: tuple[str, ...] = ()
    """Discovery categories (``all`` makes ``kubectl get all`` list the kind)."""
    verbs: tuple[str, ...] = FULL_VERBS

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        """``deployments.apps`` style name used in Status messages."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def qualified_kind(self) -> str:
        """``Deployment.apps`` style name used in Invalid messages."""
        return f"{self.kind}.{self.group}" if self.group else self.kind

    def store_prefix(self, cluster: str) -> str:
        return f"{cluster}/{self.group or 'core'}/{self.version}/{self.plural}/"


RBAC = "rbac.authorization.k8s.io"
NET = "networking.k8s.io"
COORD = "coordination.k8s.io"
STORAGE = "storage.k8s.io"
AUTHZ = "authorization.k8s.io"
_ALL = ("all",)

KINDS: tuple[Kind, ...] = (
    Kind("", "v1", "namespaces", "namespace", "Namespace", False, ("ns",), True, True),
    Kind("", "v1", "nodes", "node", "Node", False, ("no",), True),
    Kind("", "v1", "pods", "pod", "Pod", True, ("po",), True, False, _ALL),
    Kind("", "v1", "events", "event", "Event", True, ("ev",)),
    Kind("", "v1", "serviceaccounts", "serviceaccount", "ServiceAccount", True, ("sa",)),
    Kind("", "v1", "configmaps", "configmap", "ConfigMap", True, ("cm",)),
    Kind("", "v1", "secrets", "secret", "Secret", True),
    Kind("", "v1", "services", "service", "Service", True, ("svc",), True, True, _ALL),
    Kind(
        "", "v1", "persistentvolumes", "persistentvolume", "PersistentVolume", False, ("pv",), True
    ),
    Kind(
        "",
        "v1",
        "persistentvolumeclaims",
        "persistentvolumeclaim",
        "PersistentVolumeClaim",
        True,
        ("pvc",),
        True,
    ),
    Kind(
        "apps",
        "v1",
        "deployments",
        "deployment",
        "Deployment",
        True,
        ("deploy",),
        True,
        False,
        _ALL,
    ),
    Kind("apps", "v1", "replicasets", "replicaset", "ReplicaSet", True, ("rs",), True, False, _ALL),
    Kind(
        "apps",
        "v1",
        "statefulsets",
        "statefulset",
        "StatefulSet",
        True,
        ("sts",),
        True,
        False,
        _ALL,
    ),
    Kind("apps", "v1", "daemonsets", "daemonset", "DaemonSet", True, ("ds",), True, False, _ALL),
    Kind(RBAC, "v1", "clusterroles", "clusterrole", "ClusterRole", False),
    Kind(RBAC, "v1", "clusterrolebindings", "clusterrolebinding", "ClusterRoleBinding", False),
    Kind(RBAC, "v1", "roles", "role", "Role", True),
    Kind(RBAC, "v1", "rolebindings", "rolebinding", "RoleBinding", True),
    Kind(NET, "v1", "ingressclasses", "ingressclass", "IngressClass", False),
    Kind(NET, "v1", "ingresses", "ingress", "Ingress", True, ("ing",), True),
    Kind(COORD, "v1", "leases", "lease", "Lease", True),
    Kind(STORAGE, "v1", "storageclasses", "storageclass", "StorageClass", False, ("sc",)),
    Kind(
        AUTHZ,
        "v1",
        "selfsubjectaccessreviews",
        "selfsubjectaccessreview",
        "SelfSubjectAccessReview",
        False,
        verbs=CREATE_ONLY,
    ),
    Kind(
        AUTHZ,
        "v1",
        "selfsubjectrulesreviews",
        "selfsubjectrulesreview",
        "SelfSubjectRulesReview",
        False,
        verbs=CREATE_ONLY,
    ),
)
BY_PATH: dict[tuple[str, str, str], Kind] = {(k.group, k.version, k.plural): k for k in KINDS}
BY_KIND: dict[str, Kind] = {k.kind: k for k in KINDS}
GROUPS: tuple[str, ...] = ("apps", RBAC, NET, COORD, STORAGE, AUTHZ)
SCALABLE = ("Deployment", "ReplicaSet", "StatefulSet")
"""Kinds with a ``scale`` subresource (``kubectl scale``)."""
REVIEWS = ("SelfSubjectAccessReview", "SelfSubjectRulesReview")
"""Create-only kinds that are answered, never stored."""

NAMESPACE = BY_KIND["Namespace"]
NODE = BY_KIND["Node"]
POD = BY_KIND["Pod"]
EVENT = BY_KIND["Event"]
SERVICE = BY_KIND["Service"]
DEPLOYMENT = BY_KIND["Deployment"]
REPLICASET = BY_KIND["ReplicaSet"]
STATEFULSET = BY_KIND["StatefulSet"]
DAEMONSET = BY_KIND["DaemonSet"]
PV = BY_KIND["PersistentVolume"]
PVC = BY_KIND["PersistentVolumeClaim"]
STORAGECLASS = BY_KIND["StorageClass"]


# --- errors ----------------------------------------------------------------------------


class KubeError(Exception):
    """A Kubernetes ``Status`` failure response."""

    def __init__(
        self, code: int, reason: str, message: str, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details

    def to_response(self) -> Response:
        body: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
        }
        if self.details:
            body["details"] = self.details
        body["code"] = self.code
        return Response(self.code, body, content_type="application/json")


def details(kind: Kind, name: str) -> dict[str, Any]:
    found: dict[str, Any] = {"name": name}
    if kind.group:
        found["group"] = kind.group
    found["kind"] = kind.plural
    return found


def not_found(kind: Kind, name: str) -> KubeError:
    return KubeError(404, "NotFound", f'{kind.qualified} "{name}" not found', details(kind, name))


def already_exists(kind: Kind, name: str) -> KubeError:
    return KubeError(
        409, "AlreadyExists", f'{kind.qualified} "{name}" already exists', details(kind, name)
    )


def conflict(kind: Kind, name: str) -> KubeError:
    return KubeError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {kind.qualified} "{name}": the object has been '
        "modified; please apply your changes to the latest version and try again",
        details(kind, name),
    )


def invalid(kind: Kind, name: str, field: str, cause: str, detail: str) -> KubeError:
    found = details(kind, name)
    found["kind"] = kind.kind
    found["causes"] = [{"reason": cause, "message": f"{cause}: {detail}", "field": field}]
    return KubeError(
        422,
        "Invalid",
        f'{kind.qualified_kind} "{name}" is invalid: {field}: {cause}: {detail}',
        found,
    )


def bad_request(message: str) -> KubeError:
    return KubeError(400, "BadRequest", message)


def page_not_found() -> KubeError:
    return KubeError(404, "NotFound", "the server could not find the requested resource")


def method_not_allowed(method: str) -> KubeError:
    return KubeError(
        405,
        "MethodNotAllowed",
        f"the server does not allow this method on the requested resource ({method})",
    )


UNAUTHORIZED = KubeError(401, "Unauthorized", "Unauthorized")


def path(obj: Any, *keys: str) -> Any:
    """``obj[k1][k2]...`` or None when any step is missing."""
    value: Any = obj
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value
