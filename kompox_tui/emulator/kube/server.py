"""The HTTP side of the emulated Kubernetes API: one API server per managed cluster.

Every managed cluster gets its own API server under ``/k8s/<cluster-key>/`` on the
emulator's HTTPS server; ``<cluster-key>`` is the first 12 hex digits of the SHA-256 of
the lower-cased managed-cluster resource id. The kubeconfig handed out by
``listClusterAdminCredential`` (through :meth:`KubeService.kubeconfig`) points there and
carries a per-cluster bearer token; requests without it get a 401 ``Status``.

Routes: discovery (:mod:`.discovery`), OpenAPI v2 and v3 (:mod:`.openapi`), the object
verbs (:mod:`.store`), ``scale``/``status``/``log`` subresources, self-subject access and
rules reviews (:mod:`.reviews`), watches streamed until ``timeoutSeconds``
(:mod:`.watch`), server-side Table printing (:mod:`.tables`), patches of every kind
including server-side apply (:mod:`.apply`), and protobuf request bodies
(:mod:`.protobuf`, which ``kubectl create <kind>`` sends).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import secrets
from typing import Any

import yaml

from ..core import EmulatorContext, Request, Response
from . import apply, controllers, discovery, openapi, pods, protobuf, reviews, volumes, watch
from .kinds import (
    BY_PATH,
    NAMESPACE,
    POD,
    REVIEWS,
    SCALABLE,
    SERVICE,
    UNAUTHORIZED,
    Kind,
    KubeError,
    bad_request,
    conflict,
    invalid,
    method_not_allowed,
    page_not_found,
    path,
)
from .patches import json_patch, merge_patch, strategic_merge_patch
from .selectors import selector_of
from .store import CLUSTERS, NS, PROTECTED_NAMESPACES, ObjectStore
from .tables import table

DEFAULT_KUBERNETES_VERSION = "1.33.2"
_ALL_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def cluster_key(cluster_resource_id: str) -> str:
    """The URL key of a managed cluster: 12 hex digits of SHA-256 of its lower-cased id."""
    return hashlib.sha256(cluster_resource_id.lower().encode()).hexdigest()[:12]


class Target:
    """What a request path names."""

    def __init__(self, kind: Kind, namespace: str | None, name: str | None, sub: str | None):
        self.kind = kind
        self.namespace = namespace
        self.name = name
        self.subresource = sub


def _truthy(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true", "yes")


def parse_json(body: bytes) -> Any:
    if not body:
        raise bad_request("the request body is empty")
    try:
        return json.loads(body)
    except ValueError as exc:
        raise bad_request(f"the body of the request could not be decoded: {exc}") from None


def require_object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise bad_request("the body must be a JSON object")
    return value


def _scale_of(obj: dict[str, Any]) -> dict[str, Any]:
    """The ``autoscaling/v1`` Scale view of a Deployment, ReplicaSet or StatefulSet."""
    meta = obj["metadata"]
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            k: meta[k]
            for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
            if k in meta
        },
        "spec": {"replicas": path(obj, "spec", "replicas") or 0},
        "status": {
            "replicas": path(obj, "status", "replicas") or 0,
            "selector": selector_of(path(obj, "spec", "selector", "matchLabels")),
        },
    }


class KubeService:
    """The Kubernetes API servers of every managed cluster (``ctx.services["kube"]``)."""

    def __init__(self, ctx: EmulatorContext) -> None:
        self.ctx = ctx
        self.store = ctx.store
        self.objects = ObjectStore(ctx)

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
            self.store.delete_prefix(NS, f"{key}/")
            self.store.delete(NS, f"{CLUSTERS}{key}")

    def base_path(self, cluster_resource_id: str) -> str:
        return f"/k8s/{cluster_key(cluster_resource_id)}"

    def cluster_key_of(self, cluster_resource_id: str) -> str:
        """The key of a managed cluster, made known (seeded) if it was not yet."""
        parts = cluster_resource_id.strip("/").split("/")
        self._ensure_cluster(cluster_resource_id, parts[-1])
        return cluster_key(cluster_resource_id)

    def _ensure_cluster(self, resource_id: str, name: str) -> dict[str, Any]:
        key = cluster_key(resource_id)
        with self.store.lock:
            record: dict[str, Any] | None = self.store.get(NS, f"{CLUSTERS}{key}")
            if record is None:
                record = {
                    "resourceId": resource_id,
                    "name": name,
                    "token": secrets.token_urlsafe(32),
                    "resourceVersion": 0,
                    "nextClusterIp": 10,
                }
                self.store.put(NS, f"{CLUSTERS}{key}", record)
                self._seed(key)
            return record

    def _lookup_cluster(self, key: str) -> dict[str, Any] | None:
        record: dict[str, Any] | None = self.store.get(NS, f"{CLUSTERS}{key}")
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
        objects = self.objects
        for ns in PROTECTED_NAMESPACES:
            objects.create(key, NAMESPACE, None, {"metadata": {"name": ns}})
        objects.create(
            key,
            SERVICE,
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
        volumes.seed_storage_classes(objects, key)
        controllers.ensure_nodes(objects, key)

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
        if segments[:1] == ["openapi"]:
            if method != "GET":
                raise method_not_allowed(method)
            return openapi.serve(segments[1:], req)
        found = discovery.discovery(segments, self._kubernetes_version(record))
        if found is not None:
            if method != "GET":
                raise method_not_allowed(method)
            return Response(200, found, content_type="application/json")
        target = self._target(segments)
        with self.store.lock:
            controllers.ensure_nodes(self.objects, key)
        if method == "GET" and target.name is None and _truthy(req.q("watch")):
            return watch.stream(self.objects, key, target.kind, target.namespace, req, self.ctx)
        with self.store.lock:
            return self._dispatch(key, method, target, req)

    # -- object routes ----------------------------------------------------------------------

    @staticmethod
    def _target(segs: list[str]) -> Target:
        if segs[:2] == ["api", "v1"]:
            group, version, tail = "", "v1", segs[2:]
        elif len(segs) >= 3 and segs[0] == "apis":
            group, version, tail = segs[1], segs[2], segs[3:]
        else:
            raise page_not_found()
        namespace: str | None = None
        if (
            group == ""
            and len(tail) == 3
            and tail[0] == "namespaces"
            and tail[2] in ("status", "finalize")
        ):
            return Target(NAMESPACE, None, tail[1], tail[2])
        if len(tail) >= 3 and tail[0] == "namespaces":
            namespace, tail = tail[1], tail[2:]
        if not tail or len(tail) > 3:
            raise page_not_found()
        kind = BY_PATH.get((group, version, tail[0]))
        if kind is None:
            raise page_not_found()
        if namespace is not None and not kind.namespaced:
            raise page_not_found()
        name = tail[1] if len(tail) > 1 else None
        if name is not None and kind.namespaced and namespace is None:
            raise page_not_found()
        sub = tail[2] if len(tail) > 2 else None
        if sub is not None and not (
            (sub == "status" and kind.status_subresource)
            or (sub == "scale" and kind.kind in SCALABLE)
            or (sub in ("log", "eviction") and kind is POD)
        ):
            raise page_not_found()
        return Target(kind, namespace, name, sub)

    def _body(self, req: Request, t: Target) -> dict[str, Any]:
        """The request body as an object: JSON, YAML, or Kubernetes protobuf."""
        content_type = (req.header("content-type") or "").split(";")[0].strip().lower()
        if content_type == "application/vnd.kubernetes.protobuf":
            body = protobuf.decode(req.body, t.kind)
        elif content_type in ("application/yaml", "application/apply-patch+yaml"):
            try:
                body = yaml.safe_load(req.body or b"")
            except yaml.YAMLError as exc:
                raise bad_request(f"error decoding YAML: {exc}") from None
        elif content_type and content_type not in ("application/json", "*/*"):
            raise KubeError(
                415,
                "UnsupportedMediaType",
                f"the body of the request was in an unknown format - accepted media types "
                f"include: application/json, application/yaml, "
                f"application/vnd.kubernetes.protobuf (got {content_type!r})",
            )
        else:
            body = parse_json(req.body)
        body = require_object(body)
        if (req.q("fieldValidation") or "").lower() == "strict":
            openapi.validate_strict(t.kind, body)
        return body

    def _dispatch(self, key: str, method: str, t: Target, req: Request) -> Response:
        objects = self.objects
        dry_run = bool(req.q("dryRun"))
        if t.kind.kind in REVIEWS:
            if method != "POST" or t.name is not None:
                raise method_not_allowed(method)
            return Response(201, reviews.answer(t.kind, self._body(req, t)))
        if t.subresource == "scale" and t.name is not None:
            return self._scale(key, t, method, req, dry_run=dry_run)
        if t.subresource == "eviction" and t.name is not None:
            # The Eviction API (kubectl drain): no disruption budgets here, so it deletes.
            if method != "POST":
                raise method_not_allowed(method)
            objects.delete(key, POD, t.namespace, t.name, dry_run=dry_run)
            return Response(
                201,
                {
                    "kind": "Status",
                    "apiVersion": "v1",
                    "metadata": {},
                    "status": "Success",
                    "code": 201,
                },
            )
        if t.subresource == "log" and t.name is not None:
            if method != "GET":
                raise method_not_allowed(method)
            pod = objects.get(key, POD, t.namespace, t.name)
            text = pods.logs(objects, key, pod, req.q("container"), req.q("tailLines"))
            if _truthy(req.q("follow")):
                return watch.follow(objects, key, t.namespace or "", t.name, text, self.ctx)
            return Response(200, text, content_type="text/plain")
        if t.subresource == "status" and t.name is not None and method in ("PUT", "PATCH"):
            if method == "PUT":
                body = self._body(req, t)
            else:
                current = objects.get(key, t.kind, t.namespace, t.name)
                body = apply.patched(current, req, t.kind, t.name)
            updated = objects.replace(
                key, t.kind, t.namespace, t.name, body, dry_run=dry_run, status=True
            )
            return Response(200, updated)
        if t.subresource is not None:
            if method != "GET" or t.name is None:
                raise method_not_allowed(method)
            return Response(200, objects.get(key, t.kind, t.namespace, t.name))
        accept = (req.header("accept") or "").lower().replace(" ", "")
        as_table = "as=table" in accept
        if t.name is None:
            if method == "GET":
                listed = objects.list(
                    key,
                    t.kind,
                    t.namespace,
                    label_selector=req.q("labelSelector") or "",
                    field_selector=req.q("fieldSelector") or "",
                    limit=req.q("limit"),
                    token=req.q("continue"),
                )
                if as_table:
                    now = self.ctx.clock.now()
                    return Response(200, table(t.kind, listed["items"], listed["metadata"], now))
                return Response(200, listed)
            if t.kind.namespaced and t.namespace is None:
                raise method_not_allowed(method)
            if method == "POST":
                body = self._body(req, t)
                apply.record_update(objects, None, body, apply.manager_of(req), t.kind)
                created = objects.create(key, t.kind, t.namespace, body, dry_run=dry_run)
                return Response(201, created)
            if method == "DELETE":
                return Response(
                    200,
                    objects.delete_collection(
                        key,
                        t.kind,
                        t.namespace,
                        req.q("labelSelector") or "",
                        req.q("fieldSelector") or "",
                    ),
                )
            raise method_not_allowed(method)
        if method == "GET":
            obj = objects.get(key, t.kind, t.namespace, t.name)
            if as_table:
                meta = {"resourceVersion": obj["metadata"].get("resourceVersion", "")}
                return Response(200, table(t.kind, [obj], meta, self.ctx.clock.now()))
            return Response(200, obj)
        if method == "PUT":
            body = self._body(req, t)
            existing = objects.entry(key, t.kind, t.namespace, t.name)
            made = existing is None
            old = None if existing is None else existing["object"]
            apply.record_update(objects, old, body, apply.manager_of(req), t.kind)
            replaced = objects.replace(key, t.kind, t.namespace, t.name, body, dry_run=dry_run)
            return Response(201 if made else 200, replaced)
        if method == "PATCH":
            return apply.patch(objects, key, t.kind, t.namespace, t.name, req, dry_run=dry_run)
        if method == "DELETE":
            options = parse_json(req.body) if req.body else None
            return Response(
                200,
                objects.delete(
                    key,
                    t.kind,
                    t.namespace,
                    t.name,
                    options if isinstance(options, dict) else None,
                    dry_run=dry_run,
                    propagation=req.q("propagationPolicy"),
                ),
            )
        raise method_not_allowed(method)

    # -- scale subresource (kubectl scale) ---------------------------------------------------

    def _scale(self, key: str, t: Target, method: str, req: Request, *, dry_run: bool) -> Response:
        assert t.name is not None
        objects = self.objects
        current = objects.get(key, t.kind, t.namespace, t.name)
        scale = _scale_of(current)
        if method == "GET":
            return Response(200, scale)
        if method == "PUT":
            wanted = require_object(parse_json(req.body))
        elif method == "PATCH":
            ctype = (req.header("content-type") or "").split(";")[0].strip().lower()
            patch = parse_json(req.body)
            if ctype == "application/json-patch+json":
                wanted = json_patch(scale, patch)
            elif ctype == "application/strategic-merge-patch+json":
                wanted = strategic_merge_patch(scale, require_object(patch))
            else:
                wanted = merge_patch(scale, require_object(patch))
        else:
            raise method_not_allowed(method)
        rv = (wanted.get("metadata") or {}).get("resourceVersion")
        if rv and rv != current["metadata"]["resourceVersion"]:
            raise conflict(t.kind, t.name)
        replicas = (wanted.get("spec") or {}).get("replicas")
        if not isinstance(replicas, int) or replicas < 0:
            raise invalid(
                t.kind, t.name, "spec.replicas", "Invalid value", "must be a non-negative integer"
            )
        before = copy.deepcopy(current)
        current["spec"]["replicas"] = replicas
        current["metadata"].pop("resourceVersion", None)
        apply.record_update(objects, before, current, apply.manager_of(req), t.kind)
        updated = objects.replace(key, t.kind, t.namespace, t.name, current, dry_run=dry_run)
        return Response(200, _scale_of(updated))


def register(ctx: EmulatorContext) -> None:
    """Add the Kubernetes API routes and ``ctx.services["kube"]``."""
    service = KubeService(ctx)
    ctx.services["kube"] = service
    ctx.router.add(_ALL_METHODS, "/k8s/{cluster}", service.handle)
    ctx.router.add(_ALL_METHODS, "/k8s/{cluster}/{rest*}", service.handle)
