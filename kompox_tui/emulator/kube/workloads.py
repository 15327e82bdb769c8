"""Workload controllers: Deployments own ReplicaSets; ReplicaSets, StatefulSets and
DaemonSets own pods. Status is counted from the pods that exist now (no timer here: a
pod's own start-up is in :mod:`.pods`).

A Deployment's pod-template change makes a new ReplicaSet (``<name>-<hash>``, labelled
``pod-template-hash``) with all replicas and scales the old ones to zero at once (the
rollout is instant; readiness then follows the new pods). StatefulSet pods are
``<name>-<ordinal>`` and get a PVC ``<template>-<name>-<ordinal>`` per
``volumeClaimTemplates`` entry; DaemonSets run one pod per schedulable node.
"""

from __future__ import annotations

import copy
import hashlib
import json
import secrets
from typing import TYPE_CHECKING, Any

from .kinds import (
    DAEMONSET,
    DEPLOYMENT,
    NODE,
    POD,
    PVC,
    REPLICASET,
    STATEFULSET,
    Kind,
    KubeError,
    invalid,
    path,
)

if TYPE_CHECKING:
    from .store import ObjectStore

WORKLOAD_KINDS = ("Deployment", "ReplicaSet", "StatefulSet", "DaemonSet")
_HASH_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
_OWNERS = {"ReplicaSet": REPLICASET, "StatefulSet": STATEFULSET, "DaemonSet": DAEMONSET}


def template_hash(template: Any) -> str:
    """A pod-template-hash in the shape the controller writes (safe-encoded)."""
    digest = hashlib.sha256(json.dumps(template, sort_keys=True).encode()).digest()
    return "".join(_HASH_ALPHABET[b % len(_HASH_ALPHABET)] for b in digest[:10])


def _random_suffix() -> str:
    return "".join(_HASH_ALPHABET[b % len(_HASH_ALPHABET)] for b in secrets.token_bytes(5))


def owner_ref(obj: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": obj["apiVersion"],
        "kind": obj["kind"],
        "name": obj["metadata"]["name"],
        "uid": obj["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def _controller_of(obj: dict[str, Any]) -> dict[str, Any] | None:
    for ref in path(obj, "metadata", "ownerReferences") or []:
        if ref.get("controller"):
            return dict(ref)
    return None


def _owned(st: ObjectStore, key: str, kind: Kind, owner: dict[str, Any]) -> list[dict[str, Any]]:
    uid = owner["metadata"]["uid"]
    namespace = owner["metadata"].get("namespace")
    return [
        e["object"]
        for e in st.entries(key, kind, namespace)
        if (_controller_of(e["object"]) or {}).get("uid") == uid
    ]


# --- defaults and validation -----------------------------------------------------------------


def defaults(kind: Kind, body: dict[str, Any]) -> None:
    spec = body.setdefault("spec", {})
    name = body["metadata"]["name"]
    if kind is not DAEMONSET and spec.get("replicas") is None:
        spec["replicas"] = 1
    spec.setdefault("revisionHistoryLimit", 10)
    if kind is DEPLOYMENT:
        spec.setdefault("progressDeadlineSeconds", 600)
        spec.setdefault(
            "strategy",
            {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"},
            },
        )
    elif kind is STATEFULSET:
        spec.setdefault("podManagementPolicy", "OrderedReady")
        spec.setdefault(
            "updateStrategy", {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}
        )
        spec.setdefault(
            "persistentVolumeClaimRetentionPolicy",
            {"whenDeleted": "Retain", "whenScaled": "Retain"},
        )
    elif kind is DAEMONSET:
        spec.setdefault(
            "updateStrategy",
            {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}},
        )
    selector = spec.get("selector")
    if not isinstance(selector, dict) or not (
        selector.get("matchLabels") or selector.get("matchExpressions")
    ):
        raise invalid(kind, name, "spec.selector", "Required value", "")
    labels = path(spec, "template", "metadata", "labels") or {}
    wanted = selector.get("matchLabels") or {}
    if any(labels.get(k) != v for k, v in wanted.items()):
        raise invalid(
            kind,
            name,
            "spec.template.metadata.labels",
            "Invalid value",
            f"{json.dumps(labels)}: `selector` does not match template `labels`",
        )
    containers = path(spec, "template", "spec", "containers")
    if not containers:
        raise invalid(kind, name, "spec.template.spec.containers", "Required value", "")
    for n, container in enumerate(containers):
        if not isinstance(container, dict) or not container.get("image"):
            raise invalid(
                kind, name, f"spec.template.spec.containers[{n}].image", "Required value", ""
            )


# --- reconcile ------------------------------------------------------------------------------


def reconcile(st: ObjectStore, key: str, kind: Kind, obj: dict[str, Any]) -> None:
    if kind is DEPLOYMENT:
        _reconcile_deployment(st, key, obj)
    elif kind is REPLICASET:
        _reconcile_replicaset(st, key, obj)
    elif kind is STATEFULSET:
        _reconcile_statefulset(st, key, obj)
    elif kind is DAEMONSET:
        _reconcile_daemonset(st, key, obj)


def _reconcile_deployment(st: ObjectStore, key: str, dep: dict[str, Any]) -> None:
    meta = dep["metadata"]
    namespace = meta["namespace"]
    template = copy.deepcopy(path(dep, "spec", "template") or {})
    pth = template_hash(template)
    rs_name = f"{meta['name']}-{pth}"
    replicas = int(path(dep, "spec", "replicas") or 0)
    owned = _owned(st, key, REPLICASET, dep)
    for old in owned:
        if old["metadata"]["name"] != rs_name and path(old, "spec", "replicas"):
            old["spec"]["replicas"] = 0
            st.replace(key, REPLICASET, namespace, old["metadata"]["name"], old)
    current = next((rs for rs in owned if rs["metadata"]["name"] == rs_name), None)
    if current is not None:
        before = int(path(current, "spec", "replicas") or 0)
        if before != replicas:
            current["spec"]["replicas"] = replicas
            st.replace(key, REPLICASET, namespace, rs_name, current)
            from .events import record

            way = "up" if replicas > before else "down"
            record(
                st,
                key,
                dep,
                "Normal",
                "ScalingReplicaSet",
                f"Scaled {way} replica set {rs_name} from {before} to {replicas}",
                "deployment-controller",
            )
        return
    labels = {**(path(template, "metadata", "labels") or {}), "pod-template-hash": pth}
    template.setdefault("metadata", {})["labels"] = labels
    selector = copy.deepcopy(path(dep, "spec", "selector") or {})
    selector.setdefault("matchLabels", {})["pod-template-hash"] = pth
    revision = 1 + max(
        (
            int(path(rs, "metadata", "annotations", "deployment.kubernetes.io/revision") or 0)
            for rs in owned
        ),
        default=0,
    )
    st.create(
        key,
        REPLICASET,
        namespace,
        {
            "metadata": {
                "name": rs_name,
                "labels": labels,
                "annotations": {
                    "deployment.kubernetes.io/desired-replicas": str(replicas),
                    "deployment.kubernetes.io/max-replicas": str(replicas + 1),
                    "deployment.kubernetes.io/revision": str(revision),
                },
                "ownerReferences": [owner_ref(dep)],
            },
            "spec": {"replicas": replicas, "selector": selector, "template": template},
        },
    )
    from .events import record

    record(
        st,
        key,
        dep,
        "Normal",
        "ScalingReplicaSet",
        f"Scaled up replica set {rs_name} from 0 to {replicas}",
        "deployment-controller",
    )


def _pod_body(owner: dict[str, Any], name: str, extra_labels: dict[str, str]) -> dict[str, Any]:
    template = copy.deepcopy(path(owner, "spec", "template") or {})
    tmeta = template.get("metadata") or {}
    return {
        "metadata": {
            "name": name,
            "labels": {**(tmeta.get("labels") or {}), **extra_labels},
            "annotations": tmeta.get("annotations") or {},
            "ownerReferences": [owner_ref(owner)],
        },
        "spec": template.get("spec") or {},
    }


def _create_pod(
    st: ObjectStore, key: str, owner: dict[str, Any], body: dict[str, Any], component: str
) -> None:
    from .events import record

    namespace = owner["metadata"]["namespace"]
    if not body["metadata"]["annotations"]:
        del body["metadata"]["annotations"]
    try:
        st.create(key, POD, namespace, body)
    except KubeError as exc:
        if exc.code == 404:  # the namespace is being deleted
            return
        raise
    record(
        st,
        key,
        owner,
        "Normal",
        "SuccessfulCreate",
        (
            f"create Pod {body['metadata']['name']} in {owner['kind']} "
            f"{owner['metadata']['name']} successful"
        )
        if component == "statefulset-controller"
        else f"Created pod: {body['metadata']['name']}",
        component,
    )


def _delete_pod(st: ObjectStore, key: str, namespace: str, name: str) -> None:
    try:
        st.delete(key, POD, namespace, name)
    except KubeError as exc:
        if exc.code != 404:  # a nested reconcile already removed it
            raise


def _reconcile_replicaset(st: ObjectStore, key: str, rs: dict[str, Any]) -> None:
    replicas = int(path(rs, "spec", "replicas") or 0)
    pods = _owned(st, key, POD, rs)
    namespace = rs["metadata"]["namespace"]
    for _ in range(replicas - len(pods)):
        name = f"{rs['metadata']['name']}-{_random_suffix()[:5]}"
        _create_pod(st, key, rs, _pod_body(rs, name, {}), "replicaset-controller")
    extra = sorted(pods, key=lambda p: p["metadata"]["creationTimestamp"], reverse=True)
    for pod in extra[: max(0, len(pods) - replicas)]:
        _delete_pod(st, key, namespace, pod["metadata"]["name"])


def _reconcile_statefulset(st: ObjectStore, key: str, sts: dict[str, Any]) -> None:
    meta = sts["metadata"]
    namespace = meta["namespace"]
    replicas = int(path(sts, "spec", "replicas") or 0)
    revision = f"{meta['name']}-{template_hash(path(sts, 'spec', 'template'))}"
    existing = {p["metadata"]["name"]: p for p in _owned(st, key, POD, sts)}
    for ordinal in range(replicas):
        name = f"{meta['name']}-{ordinal}"
        if name in existing:
            continue
        body = _pod_body(
            sts,
            name,
            {
                "statefulset.kubernetes.io/pod-name": name,
                "apps.kubernetes.io/pod-index": str(ordinal),
                "controller-revision-hash": revision,
            },
        )
        spec = body["spec"]
        spec["hostname"] = name
        if path(sts, "spec", "serviceName"):
            spec["subdomain"] = sts["spec"]["serviceName"]
        volumes = [v for v in spec.get("volumes") or []]
        for claim in path(sts, "spec", "volumeClaimTemplates") or []:
            cname = f"{path(claim, 'metadata', 'name')}-{name}"
            if st.entry(key, PVC, namespace, cname) is None:
                pvc = copy.deepcopy(claim)
                pvc.pop("status", None)
                pvc.setdefault("metadata", {})["name"] = cname
                pvc["metadata"].setdefault("labels", {}).update(
                    path(sts, "spec", "selector", "matchLabels") or {}
                )
                st.create(key, PVC, namespace, pvc)
            volumes = [v for v in volumes if v.get("name") != path(claim, "metadata", "name")]
            volumes.append(
                {
                    "name": path(claim, "metadata", "name"),
                    "persistentVolumeClaim": {"claimName": cname},
                }
            )
        if volumes:
            spec["volumes"] = volumes
        _create_pod(st, key, sts, body, "statefulset-controller")
    for name, pod in existing.items():
        ordinal = name.rsplit("-", 1)[-1]
        if ordinal.isdigit() and int(ordinal) >= replicas:
            _delete_pod(st, key, namespace, pod["metadata"]["name"])


def _node_matches(node: dict[str, Any], selector: dict[str, str]) -> bool:
    labels = path(node, "metadata", "labels") or {}
    return all(labels.get(k) == v for k, v in selector.items())


def _reconcile_daemonset(st: ObjectStore, key: str, ds: dict[str, Any]) -> None:
    selector = path(ds, "spec", "template", "spec", "nodeSelector") or {}
    wanted = [
        e["object"]["metadata"]["name"]
        for e in st.entries(key, NODE)
        if _node_matches(e["object"], selector)
    ]
    pods = _owned(st, key, POD, ds)
    have = {path(p, "spec", "nodeName") for p in pods}
    for node in wanted:
        if node in have:
            continue
        body = _pod_body(ds, f"{ds['metadata']['name']}-{_random_suffix()[:5]}", {})
        body["spec"]["nodeName"] = node
        _create_pod(st, key, ds, body, "daemonset-controller")
    for pod in pods:
        if path(pod, "spec", "nodeName") not in wanted:
            _delete_pod(st, key, ds["metadata"]["namespace"], pod["metadata"]["name"])


def pod_gone(st: ObjectStore, key: str, pod: dict[str, Any]) -> None:
    """A controller replaces a deleted pod it still wants."""
    ref = _controller_of(pod)
    owner_kind = _OWNERS.get(str((ref or {}).get("kind")))
    if ref is None or owner_kind is None:
        return
    namespace = pod["metadata"]["namespace"]
    entry = st.entry(key, owner_kind, namespace, ref["name"])
    if entry is None or entry["object"]["metadata"]["uid"] != ref.get("uid"):
        return
    if not st.namespace_exists(key, namespace):
        return
    reconcile(st, key, owner_kind, entry["object"])


# --- status ------------------------------------------------------------------------------------


def _pod_ready(st: ObjectStore, key: str, pod_obj: dict[str, Any]) -> bool:
    entry = st.entry(key, POD, pod_obj["metadata"]["namespace"], pod_obj["metadata"]["name"])
    if entry is None:
        return False
    rendered = st.render(key, POD, entry)
    return any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in path(rendered, "status", "conditions") or []
    )


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


def status(st: ObjectStore, key: str, kind: Kind, obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj["metadata"]
    generation = meta.get("generation", 1)
    if kind is DEPLOYMENT:
        return _deployment_status(st, key, obj, generation)
    pods = _owned(st, key, POD, obj)
    ready = sum(1 for p in pods if _pod_ready(st, key, p))
    out: dict[str, Any] = {"observedGeneration": generation}
    if kind is REPLICASET:
        out.update(replicas=len(pods), fullyLabeledReplicas=len(pods))
        out.update(readyReplicas=ready, availableReplicas=ready)
    elif kind is STATEFULSET:
        replicas = int(path(obj, "spec", "replicas") or 0)
        revision = f"{meta['name']}-{template_hash(path(obj, 'spec', 'template'))}"
        out.update(replicas=len(pods), readyReplicas=ready, currentReplicas=len(pods))
        out.update(updatedReplicas=len(pods), availableReplicas=ready)
        out.update(currentRevision=revision, updateRevision=revision, collisionCount=0)
        if replicas == 0:
            out["replicas"] = 0
    else:
        desired = len(pods)
        out.update(
            desiredNumberScheduled=desired,
            currentNumberScheduled=desired,
            numberMisscheduled=0,
            numberReady=ready,
            updatedNumberScheduled=desired,
            numberAvailable=ready,
        )
        if desired - ready:
            out["numberUnavailable"] = desired - ready
        return out
    return {k: v for k, v in out.items() if v or k in ("observedGeneration", "replicas")}


def _deployment_status(
    st: ObjectStore, key: str, dep: dict[str, Any], generation: int
) -> dict[str, Any]:
    replicas = int(path(dep, "spec", "replicas") or 0)
    current = f"{dep['metadata']['name']}-{template_hash(path(dep, 'spec', 'template') or {})}"
    total = updated = ready = 0
    for rs in _owned(st, key, REPLICASET, dep):
        for pod in _owned(st, key, POD, rs):
            total += 1
            is_ready = _pod_ready(st, key, pod)
            ready += is_ready
            if rs["metadata"]["name"] == current:
                updated += 1
    stamp = dep["metadata"].get("creationTimestamp")
    out: dict[str, Any] = {"observedGeneration": generation}
    if total:
        out["replicas"] = total
    if updated:
        out["updatedReplicas"] = updated
    if ready:
        out["readyReplicas"] = ready
        out["availableReplicas"] = ready
    if replicas - ready > 0:
        out["unavailableReplicas"] = replicas - ready
    max_unavailable = replicas // 4
    if ready >= replicas - max_unavailable:
        available = _condition(
            "Available",
            "True",
            "MinimumReplicasAvailable",
            "Deployment has minimum availability.",
            stamp,
        )
    else:
        available = _condition(
            "Available",
            "False",
            "MinimumReplicasUnavailable",
            "Deployment does not have minimum availability.",
            stamp,
        )
    if updated == replicas and ready == replicas and total == replicas:
        progressing = _condition(
            "Progressing",
            "True",
            "NewReplicaSetAvailable",
            f'ReplicaSet "{current}" has successfully progressed.',
            stamp,
        )
    else:
        progressing = _condition(
            "Progressing",
            "True",
            "ReplicaSetUpdated",
            f'ReplicaSet "{current}" is progressing.',
            stamp,
        )
    out["conditions"] = [available, progressing]
    return out
