"""What the control plane does around the stored objects: defaults on write, status on
read, and the reconcilers that run after every write or delete.

- Defaults (:func:`prepare`): namespace labels and phase, Secret ``stringData``, Service
  cluster IP and node ports, workload defaults, PV/PVC phases. Status is server-owned:
  writes to the main resource keep it.
- Status (:func:`render_status`), computed on read from what exists now: workloads
  count their pods (:mod:`.workloads`), pods follow emulated time and pod-failure faults
  (:mod:`.pods`), a LoadBalancer Service gets its ingress IP
  :data:`LOAD_BALANCER_SECONDS` after it became one.
- Reconcilers (:func:`after_write`, :func:`after_delete`): Deployments own ReplicaSets,
  ReplicaSets and StatefulSets and DaemonSets own pods, pods are scheduled onto the
  nodes of the AKS agent pools (:mod:`.nodes`) and attach the Azure disks their PVCs are
  bound to (:mod:`.volumes`); deleting an owner deletes its dependents.
"""

from __future__ import annotations

import base64
import copy
import hashlib
from typing import TYPE_CHECKING, Any

from . import nodes, pods, volumes, workloads
from .kinds import DAEMONSET, KINDS, NAMESPACE, NODE, POD, PV, PVC, SERVICE, Kind, KubeError

if TYPE_CHECKING:
    from .store import ObjectStore

LOAD_BALANCER_SECONDS = 5.0
"""Emulated seconds before a LoadBalancer Service gets its ingress IP."""


def _ip_from(seed: str, first: int) -> str:
    digest = hashlib.sha256(seed.encode()).digest()
    return f"{first}.{digest[0] % 200 + 20}.{digest[1]}.{digest[2] % 253 + 1}"


# --- defaults ------------------------------------------------------------------------------


def prepare(
    st: ObjectStore,
    key: str,
    kind: Kind,
    entry: dict[str, Any],
    old: dict[str, Any] | None,
    *,
    status_write: bool = False,
) -> None:
    """Server-side defaults and allocations for a create (``old`` None) or update."""
    body = entry["object"]
    meta = body["metadata"]
    if kind is NAMESPACE:
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
    elif kind is SERVICE:
        _prepare_service(st, key, body, old)
    elif kind.kind in workloads.WORKLOAD_KINDS:
        workloads.defaults(kind, body)
    elif kind is POD and old is None:
        pods.defaults(st, key, body)
    elif kind is PVC and old is None:
        body["status"] = {"phase": "Pending"}
    elif kind is PV and old is None:
        body["status"] = {"phase": "Available"}
    if old is not None and kind.status_subresource and not status_write:
        # Status is server-owned: writes to the main resource cannot change it.
        if "status" in old:
            body["status"] = copy.deepcopy(old["status"])
        else:
            body.pop("status", None)
    if kind is SERVICE:
        was_lb = (((old or {}).get("spec") or {}).get("type")) == "LoadBalancer"
        is_lb = (body.get("spec") or {}).get("type") == "LoadBalancer"
        if is_lb and not was_lb:
            entry["lbSince"] = st.ctx.clock.now().isoformat()
        elif not is_lb:
            entry.pop("lbSince", None)


def _prepare_service(
    st: ObjectStore, key: str, body: dict[str, Any], old: dict[str, Any] | None
) -> None:
    spec = body.setdefault("spec", {})
    old_spec = (old or {}).get("spec") or {}
    stype = spec.setdefault("type", "ClusterIP")
    if not spec.get("clusterIP"):
        spec["clusterIP"] = old_spec.get("clusterIP") or st.allocate_cluster_ip(key)
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
    used = st.used_node_ports(key, body["metadata"])
    old_ports = {
        (p.get("port"), p.get("protocol", "TCP")): p.get("nodePort")
        for p in old_spec.get("ports") or []
    }
    for port in spec.get("ports") or []:
        port.setdefault("protocol", "TCP")
        port.setdefault("targetPort", port.get("port"))
        if wants_node_ports and not port.get("nodePort"):
            previous = old_ports.get((port.get("port"), port["protocol"]))
            port["nodePort"] = previous or st.allocate_port(used, key, body, port)
        if not wants_node_ports:
            port.pop("nodePort", None)
    if stype == "LoadBalancer" and spec.get("externalTrafficPolicy") == "Local":
        if not spec.get("healthCheckNodePort"):
            spec["healthCheckNodePort"] = old_spec.get("healthCheckNodePort") or st.allocate_port(
                used, key, body, {"port": "health"}
            )
    else:
        spec.pop("healthCheckNodePort", None)


# --- status on read ---------------------------------------------------------------------------


def render_status(
    st: ObjectStore, key: str, kind: Kind, obj: dict[str, Any], entry: dict[str, Any]
) -> None:
    if kind.kind in workloads.WORKLOAD_KINDS:
        obj["status"] = workloads.status(st, key, kind, obj)
    elif kind is POD:
        obj["status"] = pods.status(st, key, obj, entry)
    elif kind is SERVICE:
        status: dict[str, Any] = {"loadBalancer": {}}
        spec = obj.get("spec") or {}
        if (
            spec.get("type") == "LoadBalancer"
            and st.elapsed(entry.get("lbSince")) >= LOAD_BALANCER_SECONDS
        ):
            meta = obj["metadata"]
            ip = spec.get("loadBalancerIP") or _ip_from(
                f"{key}/{meta.get('namespace')}/{meta['name']}", 20
            )
            status["loadBalancer"] = {"ingress": [{"ip": ip, "ipMode": "VIP"}]}
        obj["status"] = status


# --- reconcilers ------------------------------------------------------------------------------


def after_write(
    st: ObjectStore, key: str, kind: Kind, entry: dict[str, Any], old: dict[str, Any] | None
) -> None:
    """Bring dependents in line with a created or updated object."""
    obj = entry["object"]
    if kind.kind in workloads.WORKLOAD_KINDS:
        workloads.reconcile(st, key, kind, obj)
    elif kind is POD and old is None:
        pods.scheduled(st, key, obj)
        volumes.attach_for_pod(st, key, obj)
    elif kind is PVC or kind is PV:
        volumes.bind(st, key, kind, obj)
    elif kind is NODE:
        for pod in pods.schedule_pending(st, key):
            pods.scheduled(st, key, pod)
            volumes.attach_for_pod(st, key, pod)
        for found in st.entries(key, DAEMONSET):  # a new node gets the daemons' pods
            workloads.reconcile(st, key, DAEMONSET, found["object"])
    elif kind is NAMESPACE and old is None:
        _populate_namespace(st, key, obj["metadata"]["name"])


def after_delete(
    st: ObjectStore, key: str, kind: Kind, obj: dict[str, Any], *, orphan: bool
) -> None:
    """The garbage collector and the controllers reacting to a delete."""
    uid = obj["metadata"]["uid"]
    namespace = obj["metadata"].get("namespace")
    if not orphan:
        for other in KINDS:
            if not other.namespaced or other.kind in ("Event",):
                continue
            for found in st.entries(key, other, namespace if kind.namespaced else None):
                meta = found["object"]["metadata"]
                if any(ref.get("uid") == uid for ref in meta.get("ownerReferences") or []):
                    try:
                        st.delete(key, other, meta.get("namespace"), meta["name"])
                    except KubeError as exc:
                        if exc.code != 404:
                            raise
    if kind is POD:
        volumes.pod_gone(st, key, obj)
        workloads.pod_gone(st, key, obj)
    elif kind is PVC or kind is PV:
        volumes.unbind(st, key, kind, obj)


def _populate_namespace(st: ObjectStore, key: str, namespace: str) -> None:
    """What the controllers add to every new namespace."""
    from .kinds import BY_KIND

    st.create(key, BY_KIND["ServiceAccount"], namespace, {"metadata": {"name": "default"}})
    st.create(
        key,
        BY_KIND["ConfigMap"],
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
            "data": {"ca.crt": st.ctx.ca_pem.decode() if st.ctx.ca_pem else ""},
        },
    )


def ensure_nodes(st: ObjectStore, key: str) -> None:
    """Nodes follow the managed cluster's agent pools (re-read on each request)."""
    nodes.sync(st, key)
