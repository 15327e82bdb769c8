"""Kubernetes objects in the emulator's store: create, read, replace, delete, list.

State lives in ``ctx.store`` namespace ``k8s`` (so a state file keeps it):

- ``_clusters/<key>``: the cluster record (resource id, name, token, resourceVersion and
  address counters);
- ``<key>/<group|core>/<version>/<plural>/<namespace|_>/<name>``: one object, stored as
  ``{"object": ..., "changedAt": ..., ...}`` (controllers keep their timestamps there).

Semantics follow the real API server: create 201 (409 ``AlreadyExists``, 404 when the
namespace is missing, 422 ``Invalid`` without a name, 400 ``BadRequest`` when
apiVersion/kind/namespace disagree with the URL); replace 409 ``Conflict`` on a stale
``resourceVersion`` (Leases also refuse an update without one and create on a PUT to a
missing name, as their strategy does); a replace that changes nothing keeps the
resourceVersion; delete answers a success ``Status`` or, for the kinds whose registry
does, the deleted object; deleting an owner deletes its dependents (the garbage
collector's background propagation) unless ``propagationPolicy=Orphan``. Status is
rendered on read by :mod:`.controllers`, and every write is reconciled there.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import re
import secrets
import uuid
from datetime import datetime
from typing import Any

from ..core import EmulatorContext
from . import controllers
from .kinds import (
    KINDS,
    NAMESPACE,
    SERVICE,
    Kind,
    KubeError,
    already_exists,
    bad_request,
    conflict,
    details,
    invalid,
    not_found,
)
from .selectors import parse_field_selector, parse_label_selector

NS = "k8s"
CLUSTERS = "_clusters/"
PROTECTED_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
GENERATION_KINDS = (
    "Deployment",
    "ReplicaSet",
    "StatefulSet",
    "DaemonSet",
    "Ingress",
    "IngressClass",
)
"""Kinds whose metadata.generation counts spec changes (as on a real API server)."""
RETURNS_DELETED_OBJECT = (
    "Service",
    "ServiceAccount",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "Pod",
    "Node",
)
"""Kinds whose DELETE answers with the deleted object rather than a success Status."""
CONDITIONAL_UPDATE_ONLY = ("Lease",)
"""Kinds whose strategy refuses an update without ``metadata.resourceVersion``
(``AllowUnconditionalUpdate() == false``) and creates on a PUT to a missing name
(``AllowCreateOnUpdate() == true``) -- the optimistic concurrency leader election uses."""
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def timestamp(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def spec_part(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k not in ("metadata", "status", "kind", "apiVersion")}


def check_name(kind: Kind, name: str) -> None:
    pattern = _DNS_LABEL if kind.dns_label else _DNS_SUBDOMAIN
    limit = 63 if kind.dns_label else 253
    if len(name) > limit or not pattern.match(name):
        what = "RFC 1123 label" if kind.dns_label else "RFC 1123 subdomain"
        raise invalid(
            kind,
            name,
            "metadata.name",
            "Invalid value",
            f'"{name}": a lowercase {what} must consist of lower case alphanumeric '
            "characters, '-' or '.', and must start and end with an alphanumeric character",
        )


class ObjectStore:
    """Object CRUD of every emulated cluster; ``key`` is the cluster key."""

    def __init__(self, ctx: EmulatorContext) -> None:
        self.ctx = ctx
        self.store = ctx.store
        self.binding = False
        """Set while the PV controller binds (its own writes do not re-enter it)."""

    # -- keys and counters --------------------------------------------------------------

    @staticmethod
    def object_key(key: str, kind: Kind, namespace: str | None, name: str) -> str:
        return f"{kind.store_prefix(key)}{namespace or '_'}/{name}"

    def entry(
        self, key: str, kind: Kind, namespace: str | None, name: str
    ) -> dict[str, Any] | None:
        found: dict[str, Any] | None = self.store.get(
            NS, self.object_key(key, kind, namespace, name)
        )
        return found

    def load(self, key: str, kind: Kind, namespace: str | None, name: str) -> dict[str, Any]:
        found = self.entry(key, kind, namespace, name)
        if found is None:
            raise not_found(kind, name)
        return found

    def save(self, key: str, kind: Kind, entry: dict[str, Any]) -> None:
        meta = entry["object"]["metadata"]
        self.store.put(NS, self.object_key(key, kind, meta.get("namespace"), meta["name"]), entry)

    def entries(self, key: str, kind: Kind, namespace: str | None = None) -> list[dict[str, Any]]:
        prefix = kind.store_prefix(key) + (f"{namespace}/" if namespace else "")
        return [entry for _, entry in self.store.items(NS, prefix)]

    def record(self, key: str) -> dict[str, Any]:
        found = self.store.get(NS, f"{CLUSTERS}{key}")
        assert found is not None
        return dict(found)

    def next_rv(self, key: str) -> str:
        record = self.record(key)
        record["resourceVersion"] = int(record.get("resourceVersion", 0)) + 1
        self.store.put(NS, f"{CLUSTERS}{key}", record)
        return str(record["resourceVersion"])

    def current_rv(self, key: str) -> str:
        record = self.store.get(NS, f"{CLUSTERS}{key}") or {}
        return str(record.get("resourceVersion", 0))

    def counter(self, key: str, name: str, start: int) -> int:
        """Next value of a per-cluster allocation counter."""
        record = self.record(key)
        value = int(record.get(name, start))
        record[name] = value + 1
        self.store.put(NS, f"{CLUSTERS}{key}", record)
        return value

    def namespace_exists(self, key: str, namespace: str) -> bool:
        return self.entry(key, NAMESPACE, None, namespace) is not None

    def elapsed(self, since: str | None) -> float:
        """Emulated seconds since a stored wall-clock timestamp."""
        if not since:
            return 0.0
        start = datetime.fromisoformat(since)
        return (self.ctx.clock.now() - start).total_seconds() * self.ctx.clock.speed

    # -- reads ----------------------------------------------------------------------------

    def render(self, key: str, kind: Kind, entry: dict[str, Any]) -> dict[str, Any]:
        obj: dict[str, Any] = copy.deepcopy(entry["object"])
        controllers.render_status(self, key, kind, obj, entry)
        return obj

    def get(self, key: str, kind: Kind, namespace: str | None, name: str) -> dict[str, Any]:
        return self.render(key, kind, self.load(key, kind, namespace, name))

    def select(
        self,
        key: str,
        kind: Kind,
        namespace: str | None,
        label_selector: str = "",
        field_selector: str = "",
    ) -> list[tuple[str, dict[str, Any]]]:
        labels = parse_label_selector(label_selector)
        fields = parse_field_selector(field_selector, kind.kind)
        prefix = kind.store_prefix(key) + (f"{namespace}/" if namespace else "")
        found: list[tuple[str, dict[str, Any]]] = []
        for store_key, entry in self.store.items(NS, prefix):
            meta_labels = entry["object"]["metadata"].get("labels") or {}
            if not all(p(meta_labels) for p in labels):
                continue
            obj = self.render(key, kind, entry)
            if all(p(obj) for p in fields):
                found.append((store_key, obj))
        return found

    def list(
        self,
        key: str,
        kind: Kind,
        namespace: str | None,
        *,
        label_selector: str = "",
        field_selector: str = "",
        limit: str | None = None,
        token: str | None = None,
    ) -> dict[str, Any]:
        found = self.select(key, kind, namespace, label_selector, field_selector)
        start = 0
        if token:
            try:
                start = int(base64.urlsafe_b64decode(token.encode()).decode())
            except ValueError:
                raise KubeError(
                    410, "Expired", "The provided continue parameter is too old"
                ) from None
        meta: dict[str, Any] = {"resourceVersion": self.current_rv(key)}
        end = len(found)
        if limit and limit.isdigit() and int(limit) > 0:
            end = min(len(found), start + int(limit))
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

    # -- writes ----------------------------------------------------------------------------

    def check_identity(
        self, kind: Kind, namespace: str | None, body: dict[str, Any]
    ) -> dict[str, Any]:
        """Check apiVersion/kind/namespace in a body against the URL; returns metadata."""
        if body.get("apiVersion") not in (None, kind.api_version):
            raise bad_request(
                f"the API version in the data ({body.get('apiVersion')}) does not match the "
                f"expected API version ({kind.api_version})"
            )
        if body.get("kind") not in (None, kind.kind):
            raise bad_request(
                f"the kind in the data ({body.get('kind')}) does not match the expected kind "
                f"({kind.kind})"
            )
        meta = body.get("metadata")
        if meta is None:
            meta = body["metadata"] = {}
        if not isinstance(meta, dict):
            raise bad_request("metadata must be an object")
        if kind.namespaced:
            if meta.get("namespace") not in (None, "", namespace):
                raise bad_request(
                    "the namespace of the provided object does not match the namespace sent "
                    "on the request"
                )
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
        return meta

    def create(
        self,
        key: str,
        kind: Kind,
        namespace: str | None,
        body: dict[str, Any],
        *,
        dry_run: bool = False,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        body = copy.deepcopy(body)
        meta = self.check_identity(kind, namespace, body)
        name = meta.get("name")
        if not name and meta.get("generateName"):
            name = meta["name"] = f"{meta['generateName']}{secrets.token_hex(3)[:5]}"
        if not name:
            raise invalid(
                kind, "", "metadata.name", "Required value", "name or generateName is required"
            )
        check_name(kind, str(name))
        if kind.namespaced and namespace and not self.namespace_exists(key, namespace):
            raise not_found(NAMESPACE, namespace)
        if self.entry(key, kind, namespace, str(name)) is not None:
            raise already_exists(kind, str(name))
        now = self.ctx.clock.now()
        body["apiVersion"] = kind.api_version
        body["kind"] = kind.kind
        for server_field in ("resourceVersion", "deletionTimestamp", "selfLink"):
            meta.pop(server_field, None)
        meta["uid"] = str(uuid.uuid4())
        meta["creationTimestamp"] = timestamp(now)
        if kind.kind in GENERATION_KINDS:
            meta["generation"] = 1
        if kind.status_subresource and kind.kind not in ("Node",):
            body.pop("status", None)
        entry: dict[str, Any] = {"object": body, "changedAt": now.isoformat(), **(extra or {})}
        controllers.prepare(self, key, kind, entry, None)
        if dry_run:
            return self.render(key, kind, entry)
        meta["resourceVersion"] = entry["createdRv"] = self.next_rv(key)
        self.save(key, kind, entry)
        controllers.after_write(self, key, kind, entry, None)
        return self.render(key, kind, self.entry(key, kind, namespace, str(name)) or entry)

    def replace(
        self,
        key: str,
        kind: Kind,
        namespace: str | None,
        name: str,
        body: dict[str, Any],
        *,
        dry_run: bool = False,
        status: bool = False,
    ) -> dict[str, Any]:
        """PUT semantics; ``status`` writes the status subresource (spec kept)."""
        body = copy.deepcopy(body)
        meta = self.check_identity(kind, namespace, body)
        if meta.get("name") not in (None, name):
            raise bad_request(
                f"the name of the object ({meta.get('name')}) does not match the name on the "
                f"URL ({name})"
            )
        meta["name"] = name
        if kind.kind in CONDITIONAL_UPDATE_ONLY:
            if self.entry(key, kind, namespace, name) is None:
                return self.create(key, kind, namespace, body, dry_run=dry_run)
            if not meta.get("resourceVersion"):
                raise KubeError(
                    422,
                    "Invalid",
                    f'{kind.qualified} "{name}" is invalid: metadata.resourceVersion: Invalid '
                    "value: 0: must be specified for an update",
                    {
                        **details(kind, name),
                        "causes": [
                            {
                                "reason": "FieldValueInvalid",
                                "message": "Invalid value: 0: must be specified for an update",
                                "field": "metadata.resourceVersion",
                            }
                        ],
                    },
                )
        entry = self.load(key, kind, namespace, name)
        old: dict[str, Any] = entry["object"]
        old_meta = old["metadata"]
        if meta.get("resourceVersion") and meta["resourceVersion"] != old_meta["resourceVersion"]:
            raise conflict(kind, name)
        if meta.get("uid") and meta["uid"] != old_meta["uid"]:
            raise KubeError(
                409,
                "Conflict",
                f'Operation cannot be fulfilled on {kind.qualified} "{name}": Precondition '
                f"failed: UID in precondition: {meta['uid']}, UID in object meta: "
                f"{old_meta['uid']}",
                details(kind, name),
            )
        if status:
            kept = copy.deepcopy(old)
            kept["status"] = body.get("status")
            body = kept
            meta = body["metadata"]
        body["apiVersion"] = kind.api_version
        body["kind"] = kind.kind
        for kept_field in ("uid", "creationTimestamp", "generation", "resourceVersion"):
            if kept_field in old_meta:
                meta[kept_field] = old_meta[kept_field]
            else:
                meta.pop(kept_field, None)
        new_entry = dict(entry)
        new_entry["object"] = body
        controllers.prepare(self, key, kind, new_entry, old, status_write=status)
        if body == old:
            return self.render(key, kind, entry)
        now = self.ctx.clock.now().isoformat()
        if "generation" in meta and spec_part(body) != spec_part(old):
            meta["generation"] = int(meta["generation"]) + 1
            new_entry["changedAt"] = now
        if dry_run:
            return self.render(key, kind, new_entry)
        meta["resourceVersion"] = self.next_rv(key)
        self.save(key, kind, new_entry)
        controllers.after_write(self, key, kind, new_entry, old)
        return self.render(key, kind, self.entry(key, kind, namespace, name) or new_entry)

    def delete(
        self,
        key: str,
        kind: Kind,
        namespace: str | None,
        name: str,
        options: dict[str, Any] | None = None,
        *,
        dry_run: bool = False,
        propagation: str | None = None,
    ) -> dict[str, Any]:
        entry = self.load(key, kind, namespace, name)
        obj = entry["object"]
        preconditions = (options or {}).get("preconditions")
        if isinstance(preconditions, dict):
            meta = obj["metadata"]
            if preconditions.get("uid") not in (None, meta["uid"]) or preconditions.get(
                "resourceVersion"
            ) not in (None, meta["resourceVersion"]):
                raise conflict(kind, name)
        if kind is NAMESPACE and name in PROTECTED_NAMESPACES:
            raise KubeError(
                403,
                "Forbidden",
                f'namespaces "{name}" is forbidden: this namespace may not be deleted',
                details(kind, name),
            )
        if kind is SERVICE and namespace == "default" and name == "kubernetes":
            raise KubeError(
                403,
                "Forbidden",
                'services "kubernetes" is forbidden: this service may not be deleted',
                details(kind, name),
            )
        rendered = self.render(key, kind, entry)
        if dry_run:
            return rendered
        self.store.delete(NS, self.object_key(key, kind, namespace, name))
        self.next_rv(key)
        policy = propagation or (options or {}).get("propagationPolicy") or "Background"
        controllers.after_delete(self, key, kind, obj, orphan=policy == "Orphan")
        if kind is NAMESPACE:
            for other in KINDS:
                if other.namespaced:
                    for found in self.entries(key, other, name):
                        meta = found["object"]["metadata"]
                        self.delete(key, other, name, meta["name"], propagation="Orphan")
            rendered["metadata"]["deletionTimestamp"] = timestamp(self.ctx.clock.now())
            rendered["status"] = {"phase": "Terminating"}
            return rendered
        if kind.kind in RETURNS_DELETED_OBJECT:
            return rendered
        return {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Success",
            "details": {**details(kind, name), "uid": obj["metadata"]["uid"]},
        }

    def delete_collection(
        self, key: str, kind: Kind, namespace: str | None, label_selector: str, field_selector: str
    ) -> dict[str, Any]:
        found = self.select(key, kind, namespace, label_selector, field_selector)
        items = []
        for _, obj in found:
            meta = obj["metadata"]
            if kind is NAMESPACE and meta["name"] in PROTECTED_NAMESPACES:
                continue
            try:
                self.delete(key, kind, meta.get("namespace"), meta["name"])
            except KubeError as exc:
                if exc.code not in (403, 404):  # protected objects stay, as on a real server
                    raise
                continue
            items.append(obj)
        return {
            "kind": f"{kind.kind}List",
            "apiVersion": kind.api_version,
            "metadata": {"resourceVersion": self.current_rv(key)},
            "items": items,
        }

    # -- allocations ----------------------------------------------------------------------

    def allocate_cluster_ip(self, key: str) -> str:
        n = self.counter(key, "nextClusterIp", 10)
        return f"10.0.{n // 254 % 256}.{n % 254 + 1}"

    def used_node_ports(self, key: str, meta: dict[str, Any]) -> set[int]:
        used: set[int] = set()
        for entry in self.entries(key, SERVICE):
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
    def allocate_port(used: set[int], key: str, body: dict[str, Any], port: dict[str, Any]) -> int:
        meta = body["metadata"]
        seed = f"{key}/{meta.get('namespace')}/{meta['name']}/{port.get('port')}"
        candidate = 30000 + int(hashlib.sha256(seed.encode()).hexdigest(), 16) % 2768
        while candidate in used:
            candidate = 30000 + (candidate - 30000 + 1) % 2768
        used.add(candidate)
        return candidate
