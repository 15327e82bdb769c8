"""Server-side printing: the ``meta.k8s.io/v1`` Table ``kubectl get`` asks for.

The columns (and their priority: 1 = only with ``-o wide``) are those of the real API
server's printers (``pkg/printers/internalversion``) for the served kinds.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from .kinds import Kind, path

Cell = Callable[[dict[str, Any]], Any]
AGE = "Age"


def age(stamp: str | None, now: datetime) -> str:
    """kubectl's short human duration (``45s``, ``3m12s``, ``5h2m``, ``3d``)."""
    if not stamp:
        return "<unknown>"
    created = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    seconds = max(0, int((now - created).total_seconds()))
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 600:
        return f"{seconds // 60}m{seconds % 60}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 8 * 3600:
        return f"{seconds // 3600}h{(seconds % 3600) // 60}m"
    if seconds < 48 * 3600:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"


def _ready(obj: dict[str, Any]) -> str:
    ready = path(obj, "status", "readyReplicas") or 0
    return f"{ready}/{path(obj, 'spec', 'replicas') or 0}"


def _external_ip(obj: dict[str, Any]) -> str:
    ingress = path(obj, "status", "loadBalancer", "ingress") or []
    ips = [i.get("ip") or i.get("hostname") for i in ingress if isinstance(i, dict)]
    if ips:
        return ",".join(str(ip) for ip in ips if ip)
    return "<pending>" if path(obj, "spec", "type") == "LoadBalancer" else "<none>"


def _service_ports(obj: dict[str, Any]) -> str:
    parts = []
    for port in path(obj, "spec", "ports") or []:
        text = str(port.get("port"))
        if port.get("nodePort"):
            text += f":{port['nodePort']}"
        parts.append(f"{text}/{port.get('protocol', 'TCP')}")
    return ",".join(parts) or "<none>"


def _containers(obj: dict[str, Any], field: str) -> str:
    containers = path(obj, "spec", "template", "spec", "containers") or []
    return ",".join(str(c.get(field, "")) for c in containers)


def _selector(obj: dict[str, Any], *keys: str) -> str:
    selector = path(obj, *keys) or {}
    return ",".join(f"{k}={v}" for k, v in selector.items()) or "<none>"


def _hosts(obj: dict[str, Any]) -> str:
    hosts = [r.get("host") for r in path(obj, "spec", "rules") or [] if r.get("host")]
    return ",".join(hosts) or "*"


def _pod_ready(obj: dict[str, Any]) -> str:
    statuses = path(obj, "status", "containerStatuses") or []
    total = len(path(obj, "spec", "containers") or [])
    return f"{sum(1 for s in statuses if s.get('ready'))}/{total}"


def pod_status(obj: dict[str, Any]) -> str:
    """The STATUS column: a waiting/terminated reason wins over the phase."""
    if path(obj, "metadata", "deletionTimestamp"):
        return "Terminating"
    reason = path(obj, "status", "reason") or path(obj, "status", "phase") or "Pending"
    for status in path(obj, "status", "containerStatuses") or []:
        state = status.get("state") or {}
        waiting = state.get("waiting") or {}
        terminated = state.get("terminated") or {}
        if waiting.get("reason"):
            return str(waiting["reason"])
        if terminated.get("reason"):
            return str(terminated["reason"])
    return str(reason)


def _restarts(obj: dict[str, Any]) -> int:
    return sum(
        int(s.get("restartCount") or 0) for s in path(obj, "status", "containerStatuses") or []
    )


def _node_status(obj: dict[str, Any]) -> str:
    status = "Unknown"
    for cond in path(obj, "status", "conditions") or []:
        if cond.get("type") == "Ready":
            status = "Ready" if cond.get("status") == "True" else "NotReady"
    if path(obj, "spec", "unschedulable"):
        status += ",SchedulingDisabled"
    return status


def _roles(obj: dict[str, Any]) -> str:
    labels = path(obj, "metadata", "labels") or {}
    prefix = "node-role.kubernetes.io/"
    roles = sorted(k[len(prefix) :] for k in labels if k.startswith(prefix))
    return ",".join(roles) or "<none>"


def _event_object(obj: dict[str, Any]) -> str:
    involved = obj.get("involvedObject") or {}
    return f"{str(involved.get('kind', '')).lower()}/{involved.get('name', '')}"


def _claim(obj: dict[str, Any]) -> str:
    ref = path(obj, "spec", "claimRef") or {}
    return f"{ref['namespace']}/{ref['name']}" if ref.get("name") else ""


def _modes(obj: dict[str, Any]) -> str:
    short = {"ReadWriteOnce": "RWO", "ReadOnlyMany": "ROX", "ReadWriteMany": "RWX"}
    short["ReadWriteOncePod"] = "RWOP"
    return ",".join(short.get(m, m) for m in path(obj, "spec", "accessModes") or [])


def _role(obj: dict[str, Any]) -> str:
    return f"{path(obj, 'roleRef', 'kind')}/{path(obj, 'roleRef', 'name')}"


def _is_default_class(obj: dict[str, Any]) -> bool:
    annotations = path(obj, "metadata", "annotations") or {}
    return annotations.get("storageclass.kubernetes.io/is-default-class") == "true"


_NONE = "<none>"
COLUMNS: dict[str, list[tuple[str, int, Cell]]] = {
    "Namespace": [("Status", 0, lambda o: path(o, "status", "phase") or "")],
    "Node": [
        ("Status", 0, _node_status),
        ("Roles", 0, _roles),
        (AGE, 0, lambda o: None),
        ("Version", 0, lambda o: path(o, "status", "nodeInfo", "kubeletVersion") or ""),
        (
            "Internal-IP",
            1,
            lambda o: next(
                (
                    a.get("address")
                    for a in path(o, "status", "addresses") or []
                    if a.get("type") == "InternalIP"
                ),
                _NONE,
            ),
        ),
        ("External-IP", 1, lambda o: _NONE),
        ("OS-Image", 1, lambda o: path(o, "status", "nodeInfo", "osImage") or ""),
        ("Kernel-Version", 1, lambda o: path(o, "status", "nodeInfo", "kernelVersion") or ""),
        (
            "Container-Runtime",
            1,
            lambda o: path(o, "status", "nodeInfo", "containerRuntimeVersion") or "",
        ),
    ],
    "Pod": [
        ("Ready", 0, _pod_ready),
        ("Status", 0, pod_status),
        ("Restarts", 0, _restarts),
        (AGE, 0, lambda o: None),
        ("IP", 1, lambda o: path(o, "status", "podIP") or _NONE),
        ("Node", 1, lambda o: path(o, "spec", "nodeName") or _NONE),
        ("Nominated Node", 1, lambda o: _NONE),
        ("Readiness Gates", 1, lambda o: _NONE),
    ],
    "Event": [
        ("Last Seen", 0, lambda o: None),
        ("Type", 0, lambda o: o.get("type", "")),
        ("Reason", 0, lambda o: o.get("reason", "")),
        ("Object", 0, _event_object),
        ("Message", 0, lambda o: o.get("message", "")),
    ],
    "Deployment": [
        ("Ready", 0, _ready),
        ("Up-to-date", 0, lambda o: path(o, "status", "updatedReplicas") or 0),
        ("Available", 0, lambda o: path(o, "status", "availableReplicas") or 0),
        (AGE, 0, lambda o: None),
        ("Containers", 1, lambda o: _containers(o, "name")),
        ("Images", 1, lambda o: _containers(o, "image")),
        ("Selector", 1, lambda o: _selector(o, "spec", "selector", "matchLabels")),
    ],
    "ReplicaSet": [
        ("Desired", 0, lambda o: path(o, "spec", "replicas") or 0),
        ("Current", 0, lambda o: path(o, "status", "replicas") or 0),
        ("Ready", 0, lambda o: path(o, "status", "readyReplicas") or 0),
        (AGE, 0, lambda o: None),
        ("Containers", 1, lambda o: _containers(o, "name")),
        ("Images", 1, lambda o: _containers(o, "image")),
        ("Selector", 1, lambda o: _selector(o, "spec", "selector", "matchLabels")),
    ],
    "StatefulSet": [
        ("Ready", 0, _ready),
        (AGE, 0, lambda o: None),
        ("Containers", 1, lambda o: _containers(o, "name")),
        ("Images", 1, lambda o: _containers(o, "image")),
    ],
    "DaemonSet": [
        ("Desired", 0, lambda o: path(o, "status", "desiredNumberScheduled") or 0),
        ("Current", 0, lambda o: path(o, "status", "currentNumberScheduled") or 0),
        ("Ready", 0, lambda o: path(o, "status", "numberReady") or 0),
        ("Up-to-date", 0, lambda o: path(o, "status", "updatedNumberScheduled") or 0),
        ("Available", 0, lambda o: path(o, "status", "numberAvailable") or 0),
        ("Node Selector", 0, lambda o: _selector(o, "spec", "template", "spec", "nodeSelector")),
        (AGE, 0, lambda o: None),
        ("Containers", 1, lambda o: _containers(o, "name")),
        ("Images", 1, lambda o: _containers(o, "image")),
        ("Selector", 1, lambda o: _selector(o, "spec", "selector", "matchLabels")),
    ],
    "Service": [
        ("Type", 0, lambda o: path(o, "spec", "type") or "ClusterIP"),
        ("Cluster-IP", 0, lambda o: path(o, "spec", "clusterIP") or _NONE),
        ("External-IP", 0, _external_ip),
        ("Port(s)", 0, _service_ports),
        (AGE, 0, lambda o: None),
        ("Selector", 1, lambda o: _selector(o, "spec", "selector")),
    ],
    "ConfigMap": [("Data", 0, lambda o: len(o.get("data") or {}) + len(o.get("binaryData") or {}))],
    "Secret": [
        ("Type", 0, lambda o: o.get("type", "Opaque")),
        ("Data", 0, lambda o: len(o.get("data") or {})),
    ],
    "ServiceAccount": [("Secrets", 0, lambda o: len(o.get("secrets") or []))],
    "ClusterRole": [("Created At", 0, lambda o: path(o, "metadata", "creationTimestamp") or "")],
    "Role": [("Created At", 0, lambda o: path(o, "metadata", "creationTimestamp") or "")],
    "ClusterRoleBinding": [("Role", 0, _role), (AGE, 0, lambda o: None)],
    "RoleBinding": [("Role", 0, _role), (AGE, 0, lambda o: None)],
    "IngressClass": [
        ("Controller", 0, lambda o: path(o, "spec", "controller") or ""),
        ("Parameters", 0, lambda o: _NONE),
    ],
    "Ingress": [
        ("Class", 0, lambda o: path(o, "spec", "ingressClassName") or _NONE),
        ("Hosts", 0, _hosts),
        ("Address", 0, lambda o: _external_ip(o).replace(_NONE, "")),
        ("Ports", 0, lambda o: "80, 443" if path(o, "spec", "tls") else "80"),
    ],
    "Lease": [("Holder", 0, lambda o: path(o, "spec", "holderIdentity") or "")],
    "StorageClass": [
        ("Provisioner", 0, lambda o: o.get("provisioner", "")),
        ("ReclaimPolicy", 0, lambda o: o.get("reclaimPolicy", "Delete")),
        ("VolumeBindingMode", 0, lambda o: o.get("volumeBindingMode", "Immediate")),
        ("AllowVolumeExpansion", 0, lambda o: bool(o.get("allowVolumeExpansion"))),
    ],
    "PersistentVolume": [
        ("Capacity", 0, lambda o: path(o, "spec", "capacity", "storage") or ""),
        ("Access Modes", 0, _modes),
        ("Reclaim Policy", 0, lambda o: path(o, "spec", "persistentVolumeReclaimPolicy") or ""),
        ("Status", 0, lambda o: path(o, "status", "phase") or ""),
        ("Claim", 0, _claim),
        ("StorageClass", 0, lambda o: path(o, "spec", "storageClassName") or ""),
        ("VolumeAttributesClass", 0, lambda o: _NONE),
        ("Reason", 0, lambda o: path(o, "status", "reason") or ""),
        (AGE, 0, lambda o: None),
        ("VolumeMode", 1, lambda o: path(o, "spec", "volumeMode") or "Filesystem"),
    ],
    "PersistentVolumeClaim": [
        ("Status", 0, lambda o: path(o, "status", "phase") or ""),
        ("Volume", 0, lambda o: path(o, "spec", "volumeName") or ""),
        ("Capacity", 0, lambda o: path(o, "status", "capacity", "storage") or ""),
        ("Access Modes", 0, lambda o: _modes({"spec": o.get("status") or {}})),
        ("StorageClass", 0, lambda o: path(o, "spec", "storageClassName") or ""),
        ("VolumeAttributesClass", 0, lambda o: _NONE),
        (AGE, 0, lambda o: None),
        ("VolumeMode", 1, lambda o: path(o, "spec", "volumeMode") or "Filesystem"),
    ],
}
_NO_AGE = ("ClusterRole", "Role", "Event")
"""Kinds whose table shows ``Created At`` (roles) or ``Last Seen`` (events) instead."""


def table(
    kind: Kind, objects: list[dict[str, Any]], meta: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """A ``meta.k8s.io/v1`` Table of ``objects`` with the columns ``kubectl get`` shows."""
    columns = list(COLUMNS.get(kind.kind, []))
    if kind.kind not in _NO_AGE and not any(title == AGE for title, _, _ in columns):
        at = next((n for n, (_, prio, _) in enumerate(columns) if prio), len(columns))
        columns.insert(at, (AGE, 0, lambda o: None))
    first = "Last Seen" if kind.kind == "Event" else "Name"
    definitions = []
    if kind.kind != "Event":
        definitions.append(
            {"name": "Name", "type": "string", "format": "name", "description": "", "priority": 0}
        )
    definitions += [
        {"name": title, "type": "string", "format": "", "description": "", "priority": prio}
        for title, prio, _ in columns
    ]
    rows = []
    for obj in objects:
        full = {"kind": kind.kind, "apiVersion": kind.api_version, **obj}
        name = obj["metadata"]["name"]
        if kind.kind == "StorageClass" and _is_default_class(obj):
            name += " (default)"
        cells: list[Any] = [] if first == "Last Seen" else [name]
        for title, _, cell in columns:
            if title == AGE:
                cells.append(age(path(obj, "metadata", "creationTimestamp"), now))
            elif title == "Last Seen":
                stamp = obj.get("lastTimestamp") or path(obj, "metadata", "creationTimestamp")
                cells.append(age(stamp, now))
            else:
                cells.append(cell(full))
        rows.append({"cells": cells, "object": full})
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": meta,
        "columnDefinitions": definitions,
        "rows": rows,
    }
