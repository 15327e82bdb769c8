"""Kubernetes API per managed cluster.

Every managed cluster gets its own API server under ``/k8s/<cluster-key>/`` on the
emulator's HTTPS server; ``<cluster-key>`` is the first 12 hex digits of the SHA-256
of the lower-cased managed-cluster resource id. The kubeconfig handed out by
``listClusterAdminCredential`` (through :meth:`KubeService.kubeconfig`) points there and
carries a per-cluster bearer token; requests without it get a 401 ``Status``.

State lives in ``ctx.store`` namespace ``k8s`` (so a state file keeps it):

- ``_clusters/<key>``: the cluster record (resource id, name, token, resourceVersion and
  address counters);
- ``<key>/<group|core>/<version>/<plural>/<namespace|_>/<name>``: one object, stored as
  ``{"object": ..., "changedAt": ..., "lbSince": ...}``.

Semantics follow the real API server for the kinds the driver and ``kubectl`` use:

- create 201 (409 ``AlreadyExists``, 404 when the namespace is missing, 422 ``Invalid``
  without a name, 400 ``BadRequest`` when apiVersion/kind/namespace disagree with the URL);
- get 404 ``NotFound`` Status; list with ``labelSelector`` / ``fieldSelector`` /
  ``limit`` + ``continue``, also across namespaces (``/api/v1/services``);
- replace (409 ``Conflict`` on a stale ``resourceVersion``, 404 when missing); a replace
  that changes nothing keeps the resourceVersion;
- patch: JSON merge patch, JSON patch, server-side apply (treated as create-or-merge),
  and strategic merge patch. Strategic merge knows the merge keys of the lists the
  kinds here use (containers/initContainers/env/volumes/imagePullSecrets by ``name``,
  volumeMounts by ``mountPath``, container ports by ``containerPort``, Service ports by
  ``port``, conditions by ``type``, ownerReferences by ``uid``; ``finalizers`` is a set)
  and the ``$patch``, ``$retainKeys`` and ``$deleteFromPrimitiveList`` directives; any
  other list is replaced, as with a merge patch;
- delete 200 with a success ``Status``, or with the deleted object for the kinds whose
  real registry returns it (Service, ServiceAccount, PersistentVolume(Claim)); a Namespace
  answers with itself in phase ``Terminating``. Deleting a namespace removes every
  object in it at once (no lingering Terminating phase). ``default``, ``kube-system``,
  ``kube-public`` and ``kube-node-lease`` exist from the start and deleting them is 403
  ``Forbidden``.
  ``propagationPolicy`` and ``dryRun`` are accepted.

Behaviour, computed lazily on read from emulated time (``ctx.clock.speed``): a
Deployment reports all replicas ready :data:`DEPLOYMENT_READY_SECONDS` after its spec
last changed; a LoadBalancer Service gets ``status.loadBalancer.ingress[0].ip`` (a
deterministic ``20.x.y.z`` per cluster and service) :data:`LOAD_BALANCER_SECONDS` after
it became a LoadBalancer. Services get a clusterIP on create and nodePorts for
NodePort/LoadBalancer ports. Watches are answered in one piece (see
:meth:`KubeService._watch`).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import re
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import yaml

from .core import EmulatorContext, Request, Response

JSON = Any

DEPLOYMENT_READY_SECONDS = 3.0
"""Emulated seconds between a Deployment's spec change and all its replicas being ready."""
LOAD_BALANCER_SECONDS = 5.0
"""Emulated seconds before a LoadBalancer Service gets its ingress IP."""
PROTECTED_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
DEFAULT_KUBERNETES_VERSION = "1.33.2"

_NS = "k8s"
_CLUSTERS = "_clusters/"
_ALL_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
_FULL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
WATCH_MAX_WALL_SECONDS = 2.0
"""A watch request is answered after this long (or sooner, as soon as it has events)."""
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


# --- kinds ---------------------------------------------------------------------------


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


_RBAC = "rbac.authorization.k8s.io"
_NET = "networking.k8s.io"
_COORD = "coordination.k8s.io"

KINDS: tuple[Kind, ...] = (
    Kind("", "v1", "namespaces", "namespace", "Namespace", False, ("ns",), True, True),
    Kind("", "v1", "serviceaccounts", "serviceaccount", "ServiceAccount", True, ("sa",)),
    Kind("", "v1", "configmaps", "configmap", "ConfigMap", True, ("cm",)),
    Kind("", "v1", "secrets", "secret", "Secret", True),
    Kind("", "v1", "services", "service", "Service", True, ("svc",), True, True),
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
    Kind("apps", "v1", "deployments", "deployment", "Deployment", True, ("deploy",), True),
    Kind(_RBAC, "v1", "clusterroles", "clusterrole", "ClusterRole", False),
    Kind(_RBAC, "v1", "clusterrolebindings", "clusterrolebinding", "ClusterRoleBinding", False),
    Kind(_RBAC, "v1", "roles", "role", "Role", True),
    Kind(_RBAC, "v1", "rolebindings", "rolebinding", "RoleBinding", True),
    Kind(_NET, "v1", "ingressclasses", "ingressclass", "IngressClass", False),
    Kind(_NET, "v1", "ingresses", "ingress", "Ingress", True, ("ing",), True),
    Kind(_COORD, "v1", "leases", "lease", "Lease", True),
)
_BY_PATH: dict[tuple[str, str, str], Kind] = {(k.group, k.version, k.plural): k for k in KINDS}
_GROUPS: tuple[str, ...] = ("apps", _RBAC, _NET, _COORD)
_NAMESPACE = _BY_PATH[("", "v1", "namespaces")]
_SERVICE = _BY_PATH[("", "v1", "services")]
_DEPLOYMENT = _BY_PATH[("apps", "v1", "deployments")]
_GENERATION_KINDS = ("Deployment", "Ingress", "IngressClass")
"""Kinds whose metadata.generation counts spec changes (as on a real API server)."""
_RETURNS_DELETED_OBJECT = ("Service", "ServiceAccount", "PersistentVolume", "PersistentVolumeClaim")
"""Kinds whose DELETE answers with the deleted object rather than a success Status."""
_CONDITIONAL_UPDATE_ONLY = ("Lease",)
"""Kinds whose strategy refuses an update without ``metadata.resourceVersion``
(``AllowUnconditionalUpdate() == false``) and creates on a PUT to a missing name
(``AllowCreateOnUpdate() == true``) — the optimistic concurrency leader election uses."""


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


def _details(kind: Kind, name: str) -> dict[str, Any]:
    details: dict[str, Any] = {"name": name}
    if kind.group:
        details["group"] = kind.group
    details["kind"] = kind.plural
    return details


def _not_found(kind: Kind, name: str) -> KubeError:
    return KubeError(404, "NotFound", f'{kind.qualified} "{name}" not found', _details(kind, name))


def _already_exists(kind: Kind, name: str) -> KubeError:
    return KubeError(
        409, "AlreadyExists", f'{kind.qualified} "{name}" already exists', _details(kind, name)
    )


def _conflict(kind: Kind, name: str) -> KubeError:
    return KubeError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {kind.qualified} "{name}": the object has been '
        "modified; please apply your changes to the latest version and try again",
        _details(kind, name),
    )


def _invalid(kind: Kind, name: str, field: str, cause: str, detail: str) -> KubeError:
    details = _details(kind, name)
    details["kind"] = kind.kind
    details["causes"] = [{"reason": cause, "message": f"{cause}: {detail}", "field": field}]
    return KubeError(
        422,
        "Invalid",
        f'{kind.qualified_kind} "{name}" is invalid: {field}: {cause}: {detail}',
        details,
    )


def _bad_request(message: str) -> KubeError:
    return KubeError(400, "BadRequest", message)


def _page_not_found() -> KubeError:
    return KubeError(404, "NotFound", "the server could not find the requested resource")


def _method_not_allowed(method: str) -> KubeError:
    return KubeError(
        405,
        "MethodNotAllowed",
        f"the server does not allow this method on the requested resource ({method})",
    )


UNAUTHORIZED = KubeError(401, "Unauthorized", "Unauthorized")


# --- selectors -------------------------------------------------------------------------

Predicate = Callable[[dict[str, str]], bool]

_SET_REQ = re.compile(r"^\s*([A-Za-z0-9_./-]+)\s+(in|notin)\s*\(([^)]*)\)\s*$")
_EQ_REQ = re.compile(r"^\s*([A-Za-z0-9_./-]+)\s*(==|!=|=)\s*([A-Za-z0-9_.-]*)\s*$")
_KEY = re.compile(r"^\s*(!?)\s*([A-Za-z0-9_./-]+)\s*$")


def _split_requirements(selector: str) -> list[str]:
    parts: list[str] = []
    depth = 0
    current = ""
    for ch in selector:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return [p for p in parts if p.strip()]


@dataclass(frozen=True)
class _LabelRequirement:
    key: str
    op: str
    """``in``, ``notin``, ``=``, ``!=``, ``exists`` or ``!exists``."""
    values: frozenset[str] = frozenset()

    def __call__(self, labels: dict[str, str]) -> bool:
        value = labels.get(self.key)
        if self.op in ("in", "="):
            return value in self.values
        if self.op in ("notin", "!="):
            return value not in self.values
        if self.op == "exists":
            return self.key in labels
        return self.key not in labels


def parse_label_selector(selector: str) -> list[Predicate]:
    """Predicates for a label selector (``=``, ``==``, ``!=``, ``in``, ``notin``, ``key``,
    ``!key``); a 400 ``BadRequest`` when it does not parse."""
    predicates: list[Predicate] = []
    for req in _split_requirements(selector):
        if m := _SET_REQ.match(req):
            values = frozenset(v.strip() for v in m.group(3).split(",") if v.strip())
            predicates.append(_LabelRequirement(m.group(1), m.group(2), values))
        elif m := _EQ_REQ.match(req):
            op = "!=" if m.group(2) == "!=" else "="
            predicates.append(_LabelRequirement(m.group(1), op, frozenset([m.group(3)])))
        elif m := _KEY.match(req):
            op = "!exists" if m.group(1) else "exists"
            predicates.append(_LabelRequirement(m.group(2), op))
        else:
            raise _bad_request(f"unable to parse requirement: {req.strip()!r}")
    return predicates


def _field_value(obj: dict[str, Any], path: str) -> str:
    value: Any = obj
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True)
class _FieldRequirement:
    path: str
    negate: bool
    value: str

    def __call__(self, obj: dict[str, Any]) -> bool:
        return (_field_value(obj, self.path) == self.value) != self.negate


def parse_field_selector(selector: str) -> list[Callable[[dict[str, Any]], bool]]:
    """Predicates on dotted object paths (``metadata.name=x``, ``status.phase!=Active``)."""
    predicates: list[Callable[[dict[str, Any]], bool]] = []
    for req in _split_requirements(selector):
        m = re.match(r"^\s*([A-Za-z0-9_.]+)\s*(==|!=|=)\s*(.*?)\s*$", req)
        if not m:
            raise _bad_request(f"invalid field selector: {req.strip()!r}")
        path, op, value = m.groups()
        predicates.append(_FieldRequirement(path, op == "!=", value))
    return predicates


# --- patches ---------------------------------------------------------------------------


def merge_patch(target: JSON, patch: JSON) -> JSON:
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


_MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "volumes": "name",
    "imagePullSecrets": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "conditions": "type",
    "ownerReferences": "uid",
    "hostAliases": "ip",
}
_SET_LISTS = ("finalizers",)


def _list_merge_key(field: str, items: list[Any]) -> str | None:
    if field == "ports":
        dicts = [i for i in items if isinstance(i, dict)]
        return "containerPort" if any("containerPort" in i for i in dicts) else "port"
    return _MERGE_KEYS.get(field)


def _strip_directives(value: JSON) -> JSON:
    if isinstance(value, dict):
        return {k: _strip_directives(v) for k, v in value.items() if not k.startswith("$")}
    if isinstance(value, list):
        return [_strip_directives(v) for v in value]
    return value


def _merge_list(field: str, original: Any, patch: list[Any]) -> list[Any]:
    if any(isinstance(i, dict) and i.get("$patch") == "replace" for i in patch):
        return [
            _strip_directives(i)
            for i in patch
            if not (isinstance(i, dict) and i.get("$patch") == "replace")
        ]
    orig = list(original) if isinstance(original, list) else []
    if field in _SET_LISTS:
        return orig + [v for v in patch if v not in orig]
    key = _list_merge_key(field, orig + patch)
    if key is None or not all(isinstance(i, dict) for i in orig + patch):
        return [_strip_directives(i) for i in patch]
    result = [copy.deepcopy(i) for i in orig]
    for item in patch:
        index = next(
            (n for n, existing in enumerate(result) if existing.get(key) == item.get(key)), None
        )
        if item.get("$patch") == "delete":
            if index is not None:
                del result[index]
        elif index is None:
            result.append(_strip_directives(item))
        else:
            result[index] = strategic_merge_patch(result[index], item)
    return result


def strategic_merge_patch(target: JSON, patch: JSON) -> JSON:
    """Strategic merge patch for the fields of the kinds served here (see module doc)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if patch.get("$patch") == "replace":
        return _strip_directives(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if key.startswith("$"):
            continue
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict):
            if value.get("$patch") == "delete":
                result.pop(key, None)
            else:
                result[key] = strategic_merge_patch(result.get(key), value)
        elif isinstance(value, list):
            result[key] = _merge_list(key, result.get(key), value)
        else:
            result[key] = value
    for key, value in patch.items():
        prefix = "$deleteFromPrimitiveList/"
        if key.startswith(prefix) and isinstance(value, list):
            name = key[len(prefix) :]
            if isinstance(result.get(name), list):
                result[name] = [v for v in result[name] if v not in value]
    retain = patch.get("$retainKeys")
    if isinstance(retain, list):
        result = {k: v for k, v in result.items() if k in retain}
    return result


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise _bad_request(f"invalid JSON pointer {path!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _resolve(doc: JSON, parts: list[str]) -> JSON:
    for part in parts:
        if isinstance(doc, dict) and part in doc:
            doc = doc[part]
        elif isinstance(doc, list) and part.isdigit() and int(part) < len(doc):
            doc = doc[int(part)]
        else:
            raise KubeError(422, "Invalid", f"doc is missing path: /{'/'.join(parts)}")
    return doc


def _add(doc: JSON, parts: list[str], value: JSON) -> JSON:
    if not parts:
        return copy.deepcopy(value)
    parent = _resolve(doc, parts[:-1])
    last = parts[-1]
    if isinstance(parent, dict):
        parent[last] = copy.deepcopy(value)
    elif isinstance(parent, list):
        if last == "-":
            parent.append(copy.deepcopy(value))
        elif last.isdigit() and int(last) <= len(parent):
            parent.insert(int(last), copy.deepcopy(value))
        else:
            raise KubeError(422, "Invalid", f"invalid index {last!r} for add")
    else:
        raise KubeError(422, "Invalid", f"cannot add at {'/'.join(parts)}")
    return doc


def _remove(doc: JSON, parts: list[str]) -> JSON:
    if not parts:
        raise KubeError(422, "Invalid", "cannot remove the whole document")
    parent = _resolve(doc, parts[:-1])
    last = parts[-1]
    if isinstance(parent, dict) and last in parent:
        return parent.pop(last)
    if isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        return parent.pop(int(last))
    raise KubeError(422, "Invalid", f"doc is missing path: /{'/'.join(parts)}")


def json_patch(doc: JSON, ops: JSON) -> JSON:
    """RFC 6902 JSON patch (add, remove, replace, move, copy, test)."""
    if not isinstance(ops, list):
        raise _bad_request("json patch must be a list of operations")
    doc = copy.deepcopy(doc)
    for op in ops:
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise _bad_request(f"invalid json patch operation {op!r}")
        name, parts = op["op"], _pointer(op["path"])
        if name == "add":
            doc = _add(doc, parts, op.get("value"))
        elif name == "remove":
            _remove(doc, parts)
        elif name == "replace":
            _resolve(doc, parts)
            if parts:
                _remove(doc, parts)
            doc = _add(doc, parts, op.get("value"))
        elif name in ("move", "copy"):
            source = _pointer(op.get("from", ""))
            value = copy.deepcopy(_resolve(doc, source))
            if name == "move":
                _remove(doc, source)
            doc = _add(doc, parts, value)
        elif name == "test":
            if _resolve(doc, parts) != op.get("value"):
                raise KubeError(422, "Invalid", f"test operation failed for path {op['path']}")
        else:
            raise _bad_request(f"unknown json patch operation {name!r}")
    return doc


# --- the service ---------------------------------------------------------------------------


def cluster_key(cluster_resource_id: str) -> str:
    """The URL key of a managed cluster: 12 hex digits of SHA-256 of its lower-cased id."""
    return hashlib.sha256(cluster_resource_id.lower().encode()).hexdigest()[:12]


def _timestamp(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def _ip_from(seed: str, first: int) -> str:
    digest = hashlib.sha256(seed.encode()).digest()
    return f"{first}.{digest[0] % 200 + 20}.{digest[1]}.{digest[2] % 253 + 1}"


def _spec_part(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k not in ("metadata", "status", "kind", "apiVersion")}


@dataclass
class _Target:
    """What a request path names."""

    kind: Kind
    namespace: str | None
    name: str | None
    subresource: str | None


class KubeService:
    """The Kubernetes API servers of every managed cluster (``ctx.services["kube"]``)."""

    def __init__(self, ctx: EmulatorContext) -> None:
        self.ctx = ctx
        self.store = ctx.store

    # -- the AKS side ---------------------------------------------------------------------

    def kubeconfig(self, cluster_resource_id: str, cluster_name: str) -> str:
        """Admin kubeconfig YAML for a managed cluster; makes the cluster known."""
        record = self._ensure_cluster(cluster_resource_id, cluster_name)
        key = cluster_key(cluster_resource_id)
        parts = cluster_resource_id.strip("/").split("/")
        lower = [p.lower() for p in parts]
        group = parts[lower.index("resourcegroups") + 1] if "resourcegroups" in lower else "rg"
        user = f"clusterAdmin_{group}_{cluster_name}"
        context = f"{cluster_name}-admin"
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": cluster_name,
                    "cluster": {
                        "certificate-authority-data": base64.b64encode(self.ctx.ca_pem).decode(),
                        "server": f"{self.ctx.base_url}/k8s/{key}",
                    },
                }
            ],
            "contexts": [{"name": context, "context": {"cluster": cluster_name, "user": user}}],
            "current-context": context,
            "preferences": {},
            "users": [{"name": user, "user": {"token": record["token"]}}],
        }
        return yaml.safe_dump(config, sort_keys=False)

    def forget(self, cluster_resource_id: str) -> None:
        """Drop a deleted managed cluster's objects and token."""
        key = cluster_key(cluster_resource_id)
        with self.store.lock:
            self.store.delete_prefix(_NS, f"{key}/")
            self.store.delete(_NS, f"{_CLUSTERS}{key}")

    def base_path(self, cluster_resource_id: str) -> str:
        return f"/k8s/{cluster_key(cluster_resource_id)}"

    def _ensure_cluster(self, resource_id: str, name: str) -> dict[str, Any]:
        key = cluster_key(resource_id)
        with self.store.lock:
            record: dict[str, Any] | None = self.store.get(_NS, f"{_CLUSTERS}{key}")
            if record is None:
                record = {
                    "resourceId": resource_id,
                    "name": name,
                    "token": secrets.token_urlsafe(32),
                    "resourceVersion": 0,
                    "nextClusterIp": 10,
                }
                self.store.put(_NS, f"{_CLUSTERS}{key}", record)
                self._seed(key)
            return record

    def _lookup_cluster(self, key: str) -> dict[str, Any] | None:
        record: dict[str, Any] | None = self.store.get(_NS, f"{_CLUSTERS}{key}")
        if record is not None:
            return record
        # A managed cluster nobody fetched a kubeconfig for yet: it exists (401, not 404).
        for arm_key, value in self.store.items("arm"):
            parts = arm_key.strip("/").split("/")
            if (
                len(parts) == 8
                and parts[4] == "providers"
                and parts[5] == "microsoft.containerservice"
                and parts[6] == "managedclusters"
                and cluster_key("/" + "/".join(parts)) == key
            ):
                name = value.get("name", parts[7]) if isinstance(value, dict) else parts[7]
                resource_id = value.get("id", arm_key) if isinstance(value, dict) else arm_key
                return self._ensure_cluster(str(resource_id), str(name))
        return None

    def _kubernetes_version(self, record: dict[str, Any]) -> str:
        arm = self.store.get("arm", str(record.get("resourceId", "")))
        version = ""
        if isinstance(arm, dict):
            for holder in (arm, arm.get("resource")):
                props = holder.get("properties") if isinstance(holder, dict) else None
                if isinstance(props, dict):
                    version = str(
                        props.get("currentKubernetesVersion")
                        or props.get("kubernetesVersion")
                        or ""
                    )
                    if version:
                        break
        parts = version.split(".")
        if len(parts) == 2 and all(p.isdigit() for p in parts):
            return f"{version}.{DEFAULT_KUBERNETES_VERSION.split('.')[2]}"
        if len(parts) == 3 and all(p.isdigit() for p in parts):
            return version
        return DEFAULT_KUBERNETES_VERSION

    def _seed(self, key: str) -> None:
        for ns in PROTECTED_NAMESPACES:
            self._create(key, _NAMESPACE, None, {"metadata": {"name": ns}})
        self._create(
            key,
            _SERVICE,
            "default",
            {
                "metadata": {
                    "name": "kubernetes",
                    "labels": {"component": "apiserver", "provider": "kubernetes"},
                },
                "spec": {
                    "clusterIP": "10.0.0.1",
                    "ports": [{"name": "https", "port": 443, "targetPort": 443}],
                },
            },
        )

    # -- HTTP -------------------------------------------------------------------------------

    def handle(self, req: Request, params: dict[str, str]) -> Response:
        try:
            response = self._handle(req, params)
        except KubeError as exc:
            response = exc.to_response()
        if req.method.upper() == "HEAD":
            response.body = None
        return response

    def _handle(self, req: Request, params: dict[str, str]) -> Response:
        key = params["cluster"].lower()
        record = self._lookup_cluster(key)
        if record is None:
            raise KubeError(
                404, "NotFound", f"no Kubernetes API server for cluster key {params['cluster']!r}"
            )
        auth = req.header("authorization") or ""
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            token.strip().encode(), str(record["token"]).encode()
        ):
            raise UNAUTHORIZED
        segments = [s for s in params.get("rest", "").split("/") if s]
        method = req.method.upper()
        if method == "HEAD":
            method = "GET"
        discovery = self._discovery(record, segments)
        if discovery is not None:
            if method != "GET":
                raise _method_not_allowed(method)
            return Response(200, discovery, content_type="application/json")
        target = self._target(segments)
        if method == "GET" and target.name is None and _truthy(req.q("watch")):
            return self._watch(key, target, req)
        with self.store.lock:
            return self._dispatch(key, method, target, req)

    # -- watch ------------------------------------------------------------------------------

    def _watch(self, key: str, t: _Target, req: Request) -> Response:
        """A watch answered in one piece: the events seen within a short window.

        The response body cannot be streamed through the core Response, so the request is
        held until there is at least one event (or :data:`WATCH_MAX_WALL_SECONDS` pass)
        and then ends; clients (client-go reflectors, ``kubernetes.watch``) simply watch
        again. Without ``resourceVersion`` (or with ``0``) every current object comes as
        ``ADDED``; with one, objects changed after it come first, then changes seen while
        waiting, including status that becomes ready with emulated time.
        """
        since = req.q("resourceVersion") or ""
        timeout = WATCH_MAX_WALL_SECONDS
        requested = req.q("timeoutSeconds")
        if requested and requested.isdigit():
            timeout = min(timeout, float(requested))

        def snapshot() -> dict[str, dict[str, Any]]:
            with self.store.lock:
                return dict(self._select(key, t.kind, t.namespace, req))

        events: list[dict[str, Any]] = []
        seen = snapshot()
        for obj in seen.values():
            rv = obj["metadata"].get("resourceVersion", "0")
            if not since or since == "0":
                events.append({"type": "ADDED", "object": obj})
            elif since.isdigit() and int(rv) > int(since):
                events.append({"type": "MODIFIED", "object": obj})
        deadline = time.monotonic() + timeout
        while not events and time.monotonic() < deadline:
            time.sleep(0.05)
            now = snapshot()
            for store_key, obj in now.items():
                if store_key not in seen:
                    events.append({"type": "ADDED", "object": obj})
                elif obj != seen[store_key]:
                    events.append({"type": "MODIFIED", "object": obj})
            for store_key, obj in seen.items():
                if store_key not in now:
                    events.append({"type": "DELETED", "object": obj})
            seen = now
        for event in events:
            event["object"].setdefault("kind", t.kind.kind)
            event["object"].setdefault("apiVersion", t.kind.api_version)
        body = b"".join(json.dumps(e).encode() + b"\n" for e in events)
        return Response(200, body, content_type="application/json")

    # -- discovery --------------------------------------------------------------------------

    def _discovery(self, record: dict[str, Any], segs: list[str]) -> JSON | None:
        if segs == ["version"]:
            version = self._kubernetes_version(record)
            major, minor, _ = version.split(".")
            return {
                "major": major,
                "minor": minor,
                "emulationMajor": major,
                "emulationMinor": minor,
                "gitVersion": f"v{version}",
                "gitCommit": hashlib.sha1(version.encode()).hexdigest(),
                "gitTreeState": "clean",
                "buildDate": "2025-06-17T18:29:01Z",
                "goVersion": "go1.24.4",
                "compiler": "gc",
                "platform": "linux/amd64",
            }
        if segs == ["api"]:
            return {
                "kind": "APIVersions",
                "versions": ["v1"],
                "serverAddressByClientCIDRs": [
                    {"clientCIDR": "0.0.0.0/0", "serverAddress": "10.0.0.1:443"}
                ],
            }
        if segs == ["api", "v1"]:
            return self._resource_list("", "v1")
        if segs == ["apis"]:
            return {"kind": "APIGroupList", "apiVersion": "v1", "groups": _api_groups()}
        if len(segs) == 2 and segs[0] == "apis":
            group = next((g for g in _api_groups() if g["name"] == segs[1]), None)
            if group is None:
                raise _page_not_found()
            return {"kind": "APIGroup", "apiVersion": "v1", **group}
        if len(segs) == 3 and segs[0] == "apis":
            return self._resource_list(segs[1], segs[2])
        return None

    @staticmethod
    def _resource_list(group: str, version: str) -> JSON:
        kinds = [k for k in KINDS if k.group == group and k.version == version]
        if not kinds:
            raise _page_not_found()
        resources: list[dict[str, Any]] = []
        for k in kinds:
            entry: dict[str, Any] = {
                "name": k.plural,
                "singularName": k.singular,
                "namespaced": k.namespaced,
                "kind": k.kind,
                "verbs": list(_FULL_VERBS),
            }
            if k.short_names:
                entry["shortNames"] = list(k.short_names)
            resources.append(entry)
            if k is _DEPLOYMENT:
                resources.append(
                    {
                        "name": "deployments/scale",
                        "singularName": "",
                        "namespaced": True,
                        "group": "autoscaling",
                        "version": "v1",
                        "kind": "Scale",
                        "verbs": ["get", "patch", "update"],
                    }
                )
            if k.status_subresource:
                resources.append(
                    {
                        "name": f"{k.plural}/status",
                        "singularName": "",
                        "namespaced": k.namespaced,
                        "kind": k.kind,
                        "verbs": ["get"],
                    }
                )
        return {
            "kind": "APIResourceList",
            "apiVersion": "v1",
            "groupVersion": f"{group}/{version}" if group else version,
            "resources": resources,
        }

    # -- object routes ----------------------------------------------------------------------

    @staticmethod
    def _target(segs: list[str]) -> _Target:
        if segs[:2] == ["api", "v1"]:
            group, version, tail = "", "v1", segs[2:]
        elif len(segs) >= 3 and segs[0] == "apis":
            group, version, tail = segs[1], segs[2], segs[3:]
        else:
            raise _page_not_found()
        namespace: str | None = None
        if (
            group == ""
            and len(tail) == 3
            and tail[0] == "namespaces"
            and tail[2] in ("status", "finalize")
        ):
            return _Target(_NAMESPACE, None, tail[1], tail[2])
        if len(tail) >= 3 and tail[0] == "namespaces":
            namespace, tail = tail[1], tail[2:]
        if not tail or len(tail) > 3:
            raise _page_not_found()
        kind = _BY_PATH.get((group, version, tail[0]))
        if kind is None:
            raise _page_not_found()
        if namespace is not None and not kind.namespaced:
            raise _page_not_found()
        name = tail[1] if len(tail) > 1 else None
        if name is not None and kind.namespaced and namespace is None:
            raise _page_not_found()
        sub = tail[2] if len(tail) > 2 else None
        if sub is not None and not (
            (sub == "status" and kind.status_subresource)
            or (sub == "scale" and kind is _DEPLOYMENT)
        ):
            raise _page_not_found()
        return _Target(kind, namespace, name, sub)

    def _dispatch(self, key: str, method: str, t: _Target, req: Request) -> Response:
        dry_run = bool(req.q("dryRun"))
        content_type = (req.header("content-type") or "").lower()
        if req.body and "protobuf" in content_type:
            raise KubeError(
                415,
                "UnsupportedMediaType",
                "the emulated Kubernetes API accepts JSON bodies only (got "
                f"{content_type!r}); kubectl's imperative 'create <kind>' sends protobuf - "
                "use 'kubectl apply --validate=false -f' instead",
            )
        if t.subresource == "scale" and t.name is not None:
            return self._scale(key, t, method, req, dry_run=dry_run)
        if t.subresource is not None:
            if method != "GET" or t.name is None:
                raise _method_not_allowed(method)
            return Response(200, self._get(key, t.kind, t.namespace, t.name))
        as_table = "as=table" in (req.header("accept") or "").lower().replace(" ", "")
        if t.name is None:
            if method == "GET":
                listed = self._list(key, t.kind, t.namespace, req)
                if as_table:
                    return Response(200, self._table(t.kind, listed["items"], listed["metadata"]))
                return Response(200, listed)
            if t.kind.namespaced and t.namespace is None:
                raise _method_not_allowed(method)
            if method == "POST":
                body = _body_object(req)
                created = self._create(key, t.kind, t.namespace, body, dry_run=dry_run)
                return Response(201, created)
            if method == "DELETE":
                return Response(200, self._delete_collection(key, t.kind, t.namespace, req))
            raise _method_not_allowed(method)
        if method == "GET":
            obj = self._get(key, t.kind, t.namespace, t.name)
            if as_table:
                meta = {"resourceVersion": obj["metadata"].get("resourceVersion", "")}
                return Response(200, self._table(t.kind, [obj], meta))
            return Response(200, obj)
        if method == "PUT":
            body = _body_object(req)
            made = t.kind.kind in _CONDITIONAL_UPDATE_ONLY and (
                self.store.get(_NS, self._object_key(key, t.kind, t.namespace, t.name)) is None
            )
            return Response(
                201 if made else 200,
                self._replace(key, t.kind, t.namespace, t.name, body, dry_run=dry_run),
            )
        if method == "PATCH":
            return self._patch(key, t.kind, t.namespace, t.name, req, dry_run=dry_run)
        if method == "DELETE":
            return Response(200, self._delete(key, t.kind, t.namespace, t.name, req, dry_run))
        raise _method_not_allowed(method)

    # -- scale subresource (kubectl scale) ---------------------------------------------------

    def _scale(self, key: str, t: _Target, method: str, req: Request, *, dry_run: bool) -> Response:
        assert t.name is not None
        deployment = self._get(key, t.kind, t.namespace, t.name)
        scale = _scale_of(deployment)
        if method == "GET":
            return Response(200, scale)
        if method == "PUT":
            wanted = _body_object(req)
        elif method == "PATCH":
            ctype = (req.header("content-type") or "").split(";")[0].strip().lower()
            patch = _parse_json(req.body)
            if ctype == "application/json-patch+json":
                wanted = json_patch(scale, patch)
            elif ctype == "application/strategic-merge-patch+json":
                wanted = strategic_merge_patch(scale, _require_object(patch))
            else:
                wanted = merge_patch(scale, _require_object(patch))
        else:
            raise _method_not_allowed(method)
        rv = (wanted.get("metadata") or {}).get("resourceVersion")
        if rv and rv != deployment["metadata"]["resourceVersion"]:
            raise _conflict(t.kind, t.name)
        replicas = (wanted.get("spec") or {}).get("replicas")
        if not isinstance(replicas, int) or replicas < 0:
            raise _invalid(
                t.kind, t.name, "spec.replicas", "Invalid value", "must be a non-negative integer"
            )
        deployment["spec"]["replicas"] = replicas
        deployment["metadata"].pop("resourceVersion", None)
        updated = self._replace(key, t.kind, t.namespace, t.name, deployment, dry_run=dry_run)
        return Response(200, _scale_of(updated))

    # -- server-side printing (kubectl get) --------------------------------------------------

    def _table(self, kind: Kind, objects: list[dict[str, Any]], meta: dict[str, Any]) -> JSON:
        """A ``meta.k8s.io/v1`` Table with the columns ``kubectl get`` shows for ``kind``."""
        columns = _TABLE_COLUMNS.get(kind.kind, [])
        definitions = [
            {"name": "Name", "type": "string", "format": "name", "description": "", "priority": 0}
        ]
        definitions += [
            {"name": title, "type": "string", "format": "", "description": "", "priority": prio}
            for title, prio, _ in columns
        ]
        if kind.kind != "ClusterRole":
            definitions.append(
                {"name": "Age", "type": "string", "format": "", "description": "", "priority": 0}
            )
        rows = []
        for obj in objects:
            full = {"kind": kind.kind, "apiVersion": kind.api_version, **obj}
            cells: list[Any] = [obj["metadata"]["name"]]
            cells += [cell(full) for _, _, cell in columns]
            if kind.kind != "ClusterRole":
                cells.append(self._age(obj["metadata"].get("creationTimestamp")))
            rows.append({"cells": cells, "object": full})
        return {
            "kind": "Table",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": meta,
            "columnDefinitions": definitions,
            "rows": rows,
        }

    def _age(self, stamp: str | None) -> str:
        if not stamp:
            return "<unknown>"
        created = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        seconds = max(0, int((self.ctx.clock.now() - created).total_seconds()))
        if seconds < 120:
            return f"{seconds}s"
        if seconds < 3600:
            return f"{seconds // 60}m{seconds % 60}s" if seconds < 600 else f"{seconds // 60}m"
        if seconds < 86400:
            return f"{seconds // 3600}h{(seconds % 3600) // 60}m"
        return f"{seconds // 86400}d"

    # -- store access -----------------------------------------------------------------------

    @staticmethod
    def _object_key(key: str, kind: Kind, namespace: str | None, name: str) -> str:
        return f"{kind.store_prefix(key)}{namespace or '_'}/{name}"

    def _load(self, key: str, kind: Kind, namespace: str | None, name: str) -> dict[str, Any]:
        entry = self.store.get(_NS, self._object_key(key, kind, namespace, name))
        if entry is None:
            raise _not_found(kind, name)
        return dict(entry)

    def _save(self, key: str, kind: Kind, entry: dict[str, Any]) -> None:
        meta = entry["object"]["metadata"]
        self.store.put(_NS, self._object_key(key, kind, meta.get("namespace"), meta["name"]), entry)

    def _next_rv(self, key: str) -> str:
        record = self.store.get(_NS, f"{_CLUSTERS}{key}")
        assert record is not None
        record["resourceVersion"] = int(record.get("resourceVersion", 0)) + 1
        self.store.put(_NS, f"{_CLUSTERS}{key}", record)
        return str(record["resourceVersion"])

    def _current_rv(self, key: str) -> str:
        record = self.store.get(_NS, f"{_CLUSTERS}{key}") or {}
        return str(record.get("resourceVersion", 0))

    def _namespace_exists(self, key: str, namespace: str) -> bool:
        return self.store.get(_NS, self._object_key(key, _NAMESPACE, None, namespace)) is not None

    def _elapsed(self, since: str | None) -> float:
        """Emulated seconds since a stored wall-clock timestamp."""
        if not since:
            return 0.0
        start = datetime.fromisoformat(since)
        return (self.ctx.clock.now() - start).total_seconds() * self.ctx.clock.speed

    # -- rendering (lazy status) ------------------------------------------------------------

    def _render(self, key: str, kind: Kind, entry: dict[str, Any]) -> dict[str, Any]:
        obj: dict[str, Any] = copy.deepcopy(entry["object"])
        if kind is _DEPLOYMENT:
            obj["status"] = self._deployment_status(obj, self._elapsed(entry.get("changedAt")))
        elif kind is _SERVICE:
            status: dict[str, Any] = {"loadBalancer": {}}
            spec = obj.get("spec") or {}
            if (
                spec.get("type") == "LoadBalancer"
                and self._elapsed(entry.get("lbSince")) >= LOAD_BALANCER_SECONDS
            ):
                meta = obj["metadata"]
                ip = spec.get("loadBalancerIP") or _ip_from(
                    f"{key}/{meta.get('namespace')}/{meta['name']}", 20
                )
                status["loadBalancer"] = {"ingress": [{"ip": ip, "ipMode": "VIP"}]}
            obj["status"] = status
        return obj

    @staticmethod
    def _deployment_status(obj: dict[str, Any], elapsed: float) -> dict[str, Any]:
        spec = obj.get("spec") or {}
        wanted = spec.get("replicas")
        replicas = 1 if wanted is None else int(wanted)
        generation = obj["metadata"].get("generation", 1)
        stamp = obj["metadata"].get("creationTimestamp")
        status: dict[str, Any] = {"observedGeneration": generation}
        if replicas == 0 or elapsed >= DEPLOYMENT_READY_SECONDS:
            if replicas:
                status.update(
                    replicas=replicas,
                    updatedReplicas=replicas,
                    readyReplicas=replicas,
                    availableReplicas=replicas,
                )
            name = obj["metadata"]["name"]
            status["conditions"] = [
                _condition(
                    "Available",
                    "True",
                    "MinimumReplicasAvailable",
                    "Deployment has minimum availability.",
                    stamp,
                ),
                _condition(
                    "Progressing",
                    "True",
                    "NewReplicaSetAvailable",
                    f'ReplicaSet "{name}-{_rs_hash(obj)}" has successfully progressed.',
                    stamp,
                ),
            ]
        else:
            status.update(replicas=replicas, updatedReplicas=replicas, unavailableReplicas=replicas)
            status["conditions"] = [
                _condition(
                    "Available",
                    "False",
                    "MinimumReplicasUnavailable",
                    "Deployment does not have minimum availability.",
                    stamp,
                ),
                _condition(
                    "Progressing", "True", "ReplicaSetUpdated", "ReplicaSet is progressing.", stamp
                ),
            ]
        return status

    # -- verbs ------------------------------------------------------------------------------

    def _get(self, key: str, kind: Kind, namespace: str | None, name: str) -> dict[str, Any]:
        return self._render(key, kind, self._load(key, kind, namespace, name))

    def _select(
        self, key: str, kind: Kind, namespace: str | None, req: Request
    ) -> list[tuple[str, dict[str, Any]]]:
        labels = parse_label_selector(req.q("labelSelector") or "")
        fields = parse_field_selector(req.q("fieldSelector") or "")
        prefix = kind.store_prefix(key) + (f"{namespace}/" if namespace else "")
        found: list[tuple[str, dict[str, Any]]] = []
        for store_key, entry in self.store.items(_NS, prefix):
            obj = self._render(key, kind, entry)
            obj_labels = obj["metadata"].get("labels") or {}
            if all(p(obj_labels) for p in labels) and all(p(obj) for p in fields):
                found.append((store_key, obj))
        return found

    def _list(self, key: str, kind: Kind, namespace: str | None, req: Request) -> JSON:
        found = self._select(key, kind, namespace, req)
        start = 0
        token = req.q("continue")
        if token:
            try:
                start = int(base64.urlsafe_b64decode(token.encode()).decode())
            except ValueError:
                raise KubeError(
                    410, "Expired", "The provided continue parameter is too old"
                ) from None
        meta: dict[str, Any] = {"resourceVersion": self._current_rv(key)}
        limit_text = req.q("limit")
        end = len(found)
        if limit_text and limit_text.isdigit() and int(limit_text) > 0:
            end = min(len(found), start + int(limit_text))
            if end < len(found):
                meta["continue"] = base64.urlsafe_b64encode(str(end).encode()).decode()
                meta["remainingItemCount"] = len(found) - end
        items = []
        for _, obj in found[start:end]:
            obj.pop("kind", None)
            obj.pop("apiVersion", None)
            items.append(obj)
        return {
            "kind": f"{kind.kind}List",
            "apiVersion": kind.api_version,
            "metadata": meta,
            "items": items,
        }

    def _check_identity(
        self, kind: Kind, namespace: str | None, body: dict[str, Any]
    ) -> dict[str, Any]:
        """Check apiVersion/kind/namespace in a body against the URL; returns metadata."""
        if body.get("apiVersion") not in (None, kind.api_version):
            raise _bad_request(
                f"the API version in the data ({body.get('apiVersion')}) does not match the "
                f"expected API version ({kind.api_version})"
            )
        if body.get("kind") not in (None, kind.kind):
            raise _bad_request(
                f"the kind in the data ({body.get('kind')}) does not match the expected kind "
                f"({kind.kind})"
            )
        meta = body.get("metadata")
        if meta is None:
            meta = body["metadata"] = {}
        if not isinstance(meta, dict):
            raise _bad_request("metadata must be an object")
        if kind.namespaced:
            if meta.get("namespace") not in (None, "", namespace):
                raise _bad_request(
                    "the namespace of the provided object does not match the namespace sent "
                    "on the request"
                )
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
        return meta

    def _create(
        self,
        key: str,
        kind: Kind,
        namespace: str | None,
        body: dict[str, Any],
        *,
        dry_run: bool = False,
    ) -> dict[str, Any]:
        body = copy.deepcopy(body)
        meta = self._check_identity(kind, namespace, body)
        name = meta.get("name")
        if not name and meta.get("generateName"):
            name = meta["name"] = f"{meta['generateName']}{secrets.token_hex(3)[:5]}"
        if not name:
            raise _invalid(
                kind, "", "metadata.name", "Required value", "name or generateName is required"
            )
        _check_name(kind, str(name))
        if kind.namespaced and namespace and not self._namespace_exists(key, namespace):
            raise _not_found(_NAMESPACE, namespace)
        if self.store.get(_NS, self._object_key(key, kind, namespace, str(name))) is not None:
            raise _already_exists(kind, str(name))
        now = self.ctx.clock.now()
        body["apiVersion"] = kind.api_version
        body["kind"] = kind.kind
        for server_field in ("resourceVersion", "deletionTimestamp", "selfLink"):
            meta.pop(server_field, None)
        meta["uid"] = str(uuid.uuid4())
        meta["creationTimestamp"] = _timestamp(now)
        if kind.kind in _GENERATION_KINDS:
            meta["generation"] = 1
        if kind.status_subresource:
            body.pop("status", None)
        self._prepare(key, kind, body, None)
        if dry_run:
            return self._render(key, kind, {"object": body, "changedAt": now.isoformat()})
        meta["resourceVersion"] = self._next_rv(key)
        entry: dict[str, Any] = {"object": body, "changedAt": now.isoformat()}
        if kind is _SERVICE and (body.get("spec") or {}).get("type") == "LoadBalancer":
            entry["lbSince"] = now.isoformat()
        self._save(key, kind, entry)
        if kind is _NAMESPACE:
            self._populate_namespace(key, str(name))
        return self._render(key, kind, entry)

    def _populate_namespace(self, key: str, namespace: str) -> None:
        """What the controllers add to every new namespace."""
        sa = _BY_PATH[("", "v1", "serviceaccounts")]
        cm = _BY_PATH[("", "v1", "configmaps")]
        self._create(key, sa, namespace, {"metadata": {"name": "default"}})
        self._create(
            key,
            cm,
            namespace,
            {
                "metadata": {
                    "name": "kube-root-ca.crt",
                    "annotations": {
                        "kubernetes.io/description": "Contains a CA bundle that can be used to "
                        "verify the kube-apiserver when using internal endpoints such as the "
                        "internal service IP or kubernetes.default.svc. No other usage is "
                        "guaranteed across distributions of Kubernetes clusters."
                    },
                },
                "data": {"ca.crt": self.ctx.ca_pem.decode() if self.ctx.ca_pem else ""},
            },
        )

    def _prepare(
        self, key: str, kind: Kind, body: dict[str, Any], old: dict[str, Any] | None
    ) -> None:
        """Server-side defaults and allocations for a create (``old`` None) or update."""
        meta = body["metadata"]
        if kind is _NAMESPACE:
            labels = meta.setdefault("labels", {}) or {}
            labels["kubernetes.io/metadata.name"] = meta["name"]
            meta["labels"] = labels
            body["spec"] = {"finalizers": ["kubernetes"]}
            body["status"] = {"phase": "Active"}
        elif kind.kind == "Secret":
            data = body.get("data") or {}
            for k, v in (body.pop("stringData", None) or {}).items():
                data[k] = base64.b64encode(str(v).encode()).decode()
            body["data"] = data
            body.setdefault("type", "Opaque")
        elif kind is _SERVICE:
            self._prepare_service(key, body, old)
        elif kind is _DEPLOYMENT:
            spec = body.setdefault("spec", {})
            if spec.get("replicas") is None:
                spec["replicas"] = 1
            spec.setdefault("revisionHistoryLimit", 10)
            spec.setdefault("progressDeadlineSeconds", 600)
            spec.setdefault(
                "strategy",
                {
                    "type": "RollingUpdate",
                    "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"},
                },
            )
        elif kind.kind == "PersistentVolumeClaim" and old is None:
            body["status"] = {"phase": "Pending"}
        elif kind.kind == "PersistentVolume" and old is None:
            body["status"] = {"phase": "Available"}
        if old is not None and kind.status_subresource:
            # Status is server-owned: writes to the main resource cannot change it.
            if "status" in old:
                body["status"] = copy.deepcopy(old["status"])
            else:
                body.pop("status", None)

    def _prepare_service(self, key: str, body: dict[str, Any], old: dict[str, Any] | None) -> None:
        spec = body.setdefault("spec", {})
        old_spec = (old or {}).get("spec") or {}
        stype = spec.setdefault("type", "ClusterIP")
        if not spec.get("clusterIP"):
            spec["clusterIP"] = old_spec.get("clusterIP") or self._allocate_cluster_ip(key)
        spec["clusterIPs"] = [spec["clusterIP"]]
        spec.setdefault("ipFamilies", ["IPv4"])
        spec.setdefault("ipFamilyPolicy", "SingleStack")
        spec.setdefault("sessionAffinity", "None")
        spec.setdefault("internalTrafficPolicy", "Cluster")
        wants_node_ports = stype in ("NodePort", "LoadBalancer")
        if wants_node_ports:
            spec.setdefault("externalTrafficPolicy", "Cluster")
        if stype == "LoadBalancer":
            spec.setdefault("allocateLoadBalancerNodePorts", True)
        used = self._used_node_ports(key, body["metadata"])
        old_ports = {
            (p.get("port"), p.get("protocol", "TCP")): p.get("nodePort")
            for p in old_spec.get("ports") or []
        }
        for port in spec.get("ports") or []:
            port.setdefault("protocol", "TCP")
            port.setdefault("targetPort", port.get("port"))
            if wants_node_ports and not port.get("nodePort"):
                previous = old_ports.get((port.get("port"), port["protocol"]))
                port["nodePort"] = previous or self._allocate_port(used, key, body, port)
            if not wants_node_ports:
                port.pop("nodePort", None)
        if stype == "LoadBalancer" and spec.get("externalTrafficPolicy") == "Local":
            if not spec.get("healthCheckNodePort"):
                spec["healthCheckNodePort"] = old_spec.get(
                    "healthCheckNodePort"
                ) or self._allocate_port(used, key, body, {"port": "health"})
        else:
            spec.pop("healthCheckNodePort", None)

    def _allocate_cluster_ip(self, key: str) -> str:
        record = self.store.get(_NS, f"{_CLUSTERS}{key}")
        assert record is not None
        n = int(record.get("nextClusterIp", 10))
        record["nextClusterIp"] = n + 1
        self.store.put(_NS, f"{_CLUSTERS}{key}", record)
        return f"10.0.{n // 254 % 256}.{n % 254 + 1}"

    def _used_node_ports(self, key: str, meta: dict[str, Any]) -> set[int]:
        used: set[int] = set()
        for _, entry in self.store.items(_NS, _SERVICE.store_prefix(key)):
            other = entry["object"]
            if (other["metadata"].get("namespace"), other["metadata"]["name"]) == (
                meta.get("namespace"),
                meta["name"],
            ):
                continue
            spec = other.get("spec") or {}
            used.update(int(p["nodePort"]) for p in spec.get("ports") or [] if p.get("nodePort"))
            if spec.get("healthCheckNodePort"):
                used.add(int(spec["healthCheckNodePort"]))
        return used

    @staticmethod
    def _allocate_port(used: set[int], key: str, body: dict[str, Any], port: dict[str, Any]) -> int:
        meta = body["metadata"]
        seed = f"{key}/{meta.get('namespace')}/{meta['name']}/{port.get('port')}"
        candidate = 30000 + int(hashlib.sha256(seed.encode()).hexdigest(), 16) % 2768
        while candidate in used:
            candidate = 30000 + (candidate - 30000 + 1) % 2768
        used.add(candidate)
        return candidate

    def _replace(
        self,
        key: str,
        kind: Kind,
        namespace: str | None,
        name: str,
        body: dict[str, Any],
        *,
        dry_run: bool = False,
    ) -> dict[str, Any]:
        body = copy.deepcopy(body)
        meta = self._check_identity(kind, namespace, body)
        if meta.get("name") not in (None, name):
            raise _bad_request(
                f"the name of the object ({meta.get('name')}) does not match the name on the "
                f"URL ({name})"
            )
        meta["name"] = name
        if kind.kind in _CONDITIONAL_UPDATE_ONLY:
            exists = self.store.get(_NS, self._object_key(key, kind, namespace, name))
            if exists is None:
                return self._create(key, kind, namespace, body, dry_run=dry_run)
            if not meta.get("resourceVersion"):
                raise KubeError(
                    422,
                    "Invalid",
                    f'{kind.qualified} "{name}" is invalid: metadata.resourceVersion: Invalid '
                    "value: 0: must be specified for an update",
                    {
                        **_details(kind, name),
                        "causes": [
                            {
                                "reason": "FieldValueInvalid",
                                "message": "Invalid value: 0: must be specified for an update",
                                "field": "metadata.resourceVersion",
                            }
                        ],
                    },
                )
        entry = self._load(key, kind, namespace, name)
        old: dict[str, Any] = entry["object"]
        old_meta = old["metadata"]
        if meta.get("resourceVersion") and meta["resourceVersion"] != old_meta["resourceVersion"]:
            raise _conflict(kind, name)
        if meta.get("uid") and meta["uid"] != old_meta["uid"]:
            raise KubeError(
                409,
                "Conflict",
                f'Operation cannot be fulfilled on {kind.qualified} "{name}": Precondition '
                f"failed: UID in precondition: {meta['uid']}, UID in object meta: "
                f"{old_meta['uid']}",
                _details(kind, name),
            )
        body["apiVersion"] = kind.api_version
        body["kind"] = kind.kind
        for kept in ("uid", "creationTimestamp", "generation", "resourceVersion"):
            if kept in old_meta:
                meta[kept] = old_meta[kept]
            else:
                meta.pop(kept, None)
        self._prepare(key, kind, body, old)
        if body == old:
            return self._render(key, kind, entry)
        now = self.ctx.clock.now().isoformat()
        if "generation" in meta and _spec_part(body) != _spec_part(old):
            meta["generation"] = int(meta["generation"]) + 1
            entry["changedAt"] = now
        if kind is _SERVICE:
            was_lb = (old.get("spec") or {}).get("type") == "LoadBalancer"
            is_lb = (body.get("spec") or {}).get("type") == "LoadBalancer"
            if is_lb and not was_lb:
                entry["lbSince"] = now
            elif not is_lb:
                entry.pop("lbSince", None)
        entry["object"] = body
        if dry_run:
            return self._render(key, kind, entry)
        meta["resourceVersion"] = self._next_rv(key)
        self._save(key, kind, entry)
        return self._render(key, kind, entry)

    def _patch(
        self,
        key: str,
        kind: Kind,
        namespace: str | None,
        name: str,
        req: Request,
        *,
        dry_run: bool,
    ) -> Response:
        content_type = (req.header("content-type") or "").split(";")[0].strip().lower()
        if content_type == "application/apply-patch+yaml":
            return self._apply(key, kind, namespace, name, req, dry_run=dry_run)
        patch = _parse_json(req.body)
        entry = self._load(key, kind, namespace, name)
        current = entry["object"]
        if content_type == "application/json-patch+json":
            patched = json_patch(current, patch)
        elif content_type == "application/merge-patch+json":
            patched = merge_patch(current, _require_object(patch))
        elif content_type == "application/strategic-merge-patch+json":
            patched = strategic_merge_patch(current, _require_object(patch))
        else:
            raise KubeError(
                415,
                "UnsupportedMediaType",
                f"the body of the request was in an unknown format - accepted media types "
                f"include: application/json-patch+json, application/merge-patch+json, "
                f"application/apply-patch+yaml, application/strategic-merge-patch+json "
                f"(got {content_type!r})",
            )
        if not isinstance(patched, dict):
            raise _bad_request("the patch did not produce an object")
        patched_meta = patched.get("metadata") or {}
        if patched_meta.get("name") != name:
            raise _invalid(kind, name, "metadata.name", "Invalid value", "field is immutable")
        patch_rv = None
        if isinstance(patch, dict):
            patch_rv = (patch.get("metadata") or {}).get("resourceVersion")
        if patch_rv is None:
            # Only an explicit resourceVersion in the patch is a precondition.
            patched_meta["resourceVersion"] = current["metadata"]["resourceVersion"]
        return Response(200, self._replace(key, kind, namespace, name, patched, dry_run=dry_run))

    def _apply(
        self,
        key: str,
        kind: Kind,
        namespace: str | None,
        name: str,
        req: Request,
        *,
        dry_run: bool,
    ) -> Response:
        """Server-side apply, approximated: create if missing, else a merge patch."""
        if not req.q("fieldManager"):
            raise _bad_request("PATCH, application/apply-patch+yaml requires fieldManager")
        try:
            body = yaml.safe_load(req.body or b"")
        except yaml.YAMLError as exc:
            raise _bad_request(f"error decoding YAML: {exc}") from None
        body = _require_object(body)
        meta = body.get("metadata") or {}
        if meta.get("name") not in (None, name):
            raise _bad_request("the name of the object does not match the name on the URL")
        meta["name"] = name
        body["metadata"] = meta
        existing = self.store.get(_NS, self._object_key(key, kind, namespace, name))
        if existing is None:
            return Response(201, self._create(key, kind, namespace, body, dry_run=dry_run))
        patched = merge_patch(existing["object"], body)
        if not meta.get("resourceVersion"):
            patched["metadata"]["resourceVersion"] = existing["object"]["metadata"][
                "resourceVersion"
            ]
        return Response(200, self._replace(key, kind, namespace, name, patched, dry_run=dry_run))

    def _delete(
        self,
        key: str,
        kind: Kind,
        namespace: str | None,
        name: str,
        req: Request,
        dry_run: bool,
    ) -> dict[str, Any]:
        entry = self._load(key, kind, namespace, name)
        obj = entry["object"]
        options = _parse_json(req.body) if req.body else None
        preconditions = (options or {}).get("preconditions") if isinstance(options, dict) else None
        if isinstance(preconditions, dict):
            meta = obj["metadata"]
            if preconditions.get("uid") not in (None, meta["uid"]) or preconditions.get(
                "resourceVersion"
            ) not in (None, meta["resourceVersion"]):
                raise _conflict(kind, name)
        if kind is _NAMESPACE and name in PROTECTED_NAMESPACES:
            raise KubeError(
                403,
                "Forbidden",
                f'namespaces "{name}" is forbidden: this namespace may not be deleted',
                _details(kind, name),
            )
        if kind is _SERVICE and namespace == "default" and name == "kubernetes":
            raise KubeError(
                403,
                "Forbidden",
                'services "kubernetes" is forbidden: this service may not be deleted',
                _details(kind, name),
            )
        rendered = self._render(key, kind, entry)
        if dry_run:
            return rendered
        self.store.delete(_NS, self._object_key(key, kind, namespace, name))
        self._next_rv(key)
        if kind is _NAMESPACE:
            for other in KINDS:
                if other.namespaced:
                    self.store.delete_prefix(_NS, f"{other.store_prefix(key)}{name}/")
            rendered["metadata"]["deletionTimestamp"] = _timestamp(self.ctx.clock.now())
            rendered["status"] = {"phase": "Terminating"}
            return rendered
        if kind.kind in _RETURNS_DELETED_OBJECT:
            return rendered
        return {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Success",
            "details": {**_details(kind, name), "uid": obj["metadata"]["uid"]},
        }

    def _delete_collection(self, key: str, kind: Kind, namespace: str | None, req: Request) -> JSON:
        found = self._select(key, kind, namespace, req)
        items = []
        for _, obj in found:
            meta = obj["metadata"]
            if kind is _NAMESPACE and meta["name"] in PROTECTED_NAMESPACES:
                continue
            delete_req = Request("DELETE", "", {}, {}, b"", req.base_url)
            try:
                self._delete(key, kind, meta.get("namespace"), meta["name"], delete_req, False)
            except KubeError as exc:
                if exc.code != 403:  # protected objects stay, as on a real server
                    raise
                continue
            items.append(obj)
        return {
            "kind": f"{kind.kind}List",
            "apiVersion": kind.api_version,
            "metadata": {"resourceVersion": self._current_rv(key)},
            "items": items,
        }


def _scale_of(deployment: dict[str, Any]) -> dict[str, Any]:
    """The ``autoscaling/v1`` Scale view of a Deployment."""
    meta = deployment["metadata"]
    labels = _path(deployment, "spec", "selector", "matchLabels") or {}
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            k: meta[k]
            for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
            if k in meta
        },
        "spec": {"replicas": _path(deployment, "spec", "replicas") or 0},
        "status": {
            "replicas": _path(deployment, "status", "replicas") or 0,
            "selector": ",".join(f"{k}={v}" for k, v in labels.items()),
        },
    }


# --- kubectl columns -------------------------------------------------------------------------


def _path(obj: dict[str, Any], *keys: str) -> Any:
    value: Any = obj
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _deployment_ready(obj: dict[str, Any]) -> str:
    ready = _path(obj, "status", "readyReplicas") or 0
    return f"{ready}/{_path(obj, 'spec', 'replicas') or 0}"


def _service_external_ip(obj: dict[str, Any]) -> str:
    ingress = _path(obj, "status", "loadBalancer", "ingress") or []
    ips = [i.get("ip") or i.get("hostname") for i in ingress if isinstance(i, dict)]
    if ips:
        return ",".join(str(ip) for ip in ips if ip)
    return "<pending>" if _path(obj, "spec", "type") == "LoadBalancer" else "<none>"


def _service_ports(obj: dict[str, Any]) -> str:
    parts = []
    for port in _path(obj, "spec", "ports") or []:
        text = str(port.get("port"))
        if port.get("nodePort"):
            text += f":{port['nodePort']}"
        parts.append(f"{text}/{port.get('protocol', 'TCP')}")
    return ",".join(parts) or "<none>"


def _containers(obj: dict[str, Any], field: str) -> str:
    containers = _path(obj, "spec", "template", "spec", "containers") or []
    return ",".join(str(c.get(field, "")) for c in containers)


def _selector(obj: dict[str, Any], *keys: str) -> str:
    selector = _path(obj, *keys) or {}
    return ",".join(f"{k}={v}" for k, v in selector.items()) or "<none>"


def _ingress_hosts(obj: dict[str, Any]) -> str:
    hosts = [r.get("host") for r in _path(obj, "spec", "rules") or [] if r.get("host")]
    return ",".join(hosts) or "*"


Cell = Callable[[dict[str, Any]], Any]

_TABLE_COLUMNS: dict[str, list[tuple[str, int, Cell]]] = {
    "Namespace": [("Status", 0, lambda o: _path(o, "status", "phase") or "")],
    "Deployment": [
        ("Ready", 0, _deployment_ready),
        ("Up-to-date", 0, lambda o: _path(o, "status", "updatedReplicas") or 0),
        ("Available", 0, lambda o: _path(o, "status", "availableReplicas") or 0),
        ("Containers", 1, lambda o: _containers(o, "name")),
        ("Images", 1, lambda o: _containers(o, "image")),
        ("Selector", 1, lambda o: _selector(o, "spec", "selector", "matchLabels")),
    ],
    "Service": [
        ("Type", 0, lambda o: _path(o, "spec", "type") or "ClusterIP"),
        ("Cluster-IP", 0, lambda o: _path(o, "spec", "clusterIP") or "<none>"),
        ("External-IP", 0, _service_external_ip),
        ("Port(s)", 0, _service_ports),
        ("Selector", 1, lambda o: _selector(o, "spec", "selector")),
    ],
    "ConfigMap": [("Data", 0, lambda o: len(o.get("data") or {}) + len(o.get("binaryData") or {}))],
    "Secret": [
        ("Type", 0, lambda o: o.get("type", "Opaque")),
        ("Data", 0, lambda o: len(o.get("data") or {})),
    ],
    "ServiceAccount": [("Secrets", 0, lambda o: len(o.get("secrets") or []))],
    "ClusterRole": [
        ("Created At", 0, lambda o: _path(o, "metadata", "creationTimestamp") or ""),
    ],
    "ClusterRoleBinding": [
        ("Role", 0, lambda o: f"{_path(o, 'roleRef', 'kind')}/{_path(o, 'roleRef', 'name')}"),
    ],
    "RoleBinding": [
        ("Role", 0, lambda o: f"{_path(o, 'roleRef', 'kind')}/{_path(o, 'roleRef', 'name')}"),
    ],
    "IngressClass": [
        ("Controller", 0, lambda o: _path(o, "spec", "controller") or ""),
        ("Parameters", 0, lambda o: "<none>"),
    ],
    "Ingress": [
        ("Class", 0, lambda o: _path(o, "spec", "ingressClassName") or "<none>"),
        ("Hosts", 0, _ingress_hosts),
        ("Address", 0, lambda o: _service_external_ip(o).replace("<none>", "")),
        ("Ports", 0, lambda o: "80, 443" if _path(o, "spec", "tls") else "80"),
    ],
    "PersistentVolume": [
        ("Capacity", 0, lambda o: _path(o, "spec", "capacity", "storage") or ""),
        ("Access Modes", 0, lambda o: ",".join(_path(o, "spec", "accessModes") or [])),
        ("Status", 0, lambda o: _path(o, "status", "phase") or ""),
    ],
    "Lease": [("Holder", 0, lambda o: _path(o, "spec", "holderIdentity") or "")],
    "PersistentVolumeClaim": [
        ("Status", 0, lambda o: _path(o, "status", "phase") or ""),
        ("Volume", 0, lambda o: _path(o, "spec", "volumeName") or ""),
        ("Storage Class", 0, lambda o: _path(o, "spec", "storageClassName") or ""),
    ],
}


# --- helpers -----------------------------------------------------------------------------


def _api_groups() -> list[dict[str, Any]]:
    groups = []
    for group in _GROUPS:
        versions = sorted({k.version for k in KINDS if k.group == group})
        entries = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
        groups.append({"name": group, "versions": entries, "preferredVersion": entries[0]})
    return groups


def _condition(
    ctype: str, status: str, reason: str, message: str, stamp: str | None
) -> dict[str, Any]:
    return {
        "type": ctype,
        "status": status,
        "lastUpdateTime": stamp,
        "lastTransitionTime": stamp,
        "reason": reason,
        "message": message,
    }


def _rs_hash(obj: dict[str, Any]) -> str:
    template = json.dumps((obj.get("spec") or {}).get("template"), sort_keys=True)
    return hashlib.sha256(template.encode()).hexdigest()[:10]


def _check_name(kind: Kind, name: str) -> None:
    pattern = _DNS_LABEL if kind.dns_label else _DNS_SUBDOMAIN
    limit = 63 if kind.dns_label else 253
    if len(name) > limit or not pattern.match(name):
        what = "RFC 1123 label" if kind.dns_label else "RFC 1123 subdomain"
        raise _invalid(
            kind,
            name,
            "metadata.name",
            "Invalid value",
            f'"{name}": a lowercase {what} must consist of lower case alphanumeric '
            "characters, '-' or '.', and must start and end with an alphanumeric character",
        )


def _truthy(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true", "yes")


def _parse_json(body: bytes) -> JSON:
    if not body:
        raise _bad_request("the request body is empty")
    try:
        return json.loads(body)
    except ValueError as exc:
        raise _bad_request(f"the body of the request could not be decoded: {exc}") from None


def _require_object(value: JSON) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _bad_request("the body must be a JSON object")
    return value


def _body_object(req: Request) -> dict[str, Any]:
    return _require_object(_parse_json(req.body))


def register(ctx: EmulatorContext) -> None:
    """Add the Kubernetes API routes and ``ctx.services["kube"]``."""
    service = KubeService(ctx)
    ctx.services["kube"] = service
    ctx.router.add(_ALL_METHODS, "/k8s/{cluster}", service.handle)
    ctx.router.add(_ALL_METHODS, "/k8s/{cluster}/{rest*}", service.handle)
