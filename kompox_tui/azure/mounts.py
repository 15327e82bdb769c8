"""What the cluster really mounts: PersistentVolumes of Azure disks, claims, pods.

The volume browser shows the ``kompox-disk-assigned`` tag -- the intent. Kompox
binds a volume's disk to the cluster through a PersistentVolume whose
``csi.volumeHandle`` is the disk's resource id (``disk.csi.azure.com``; the
in-tree ``azureDisk.diskURI`` on old clusters), a claim bound to it, and the pods
that use the claim (kompox-real-facts §7). Those change only at the next deploy,
so after a swap the pods keep the old disk: this module reads that reality.

Exactly three Kubernetes calls per read, all namespaces, no per-object GETs:
``GET /api/v1/persistentvolumes``, ``GET /api/v1/persistentvolumeclaims`` and
``GET /api/v1/pods`` with a field selector that leaves out finished pods. Disk ids
are compared case-insensitively (ARM ids come back in varying letter case).

No Textual: the UI imports the result types from here.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ..errors import KompoxError

CSI_DISK_DRIVER = "disk.csi.azure.com"

#: Pods that still hold (or will hold) their volumes; Succeeded and Failed pods have
#: released them, and a field selector keeps them out of the answer (server-side).
ACTIVE_PODS = "status.phase!=Succeeded,status.phase!=Failed"

#: Seconds one of the three list calls may take before the cluster counts as unreachable.
READ_TIMEOUT = 5.0

MountsState = Literal["ok", "unreachable", "not-provisioned"]


@dataclass(frozen=True)
class PodUse:
    """A pod that uses a claim bound to a disk's PersistentVolume."""

    namespace: str
    name: str
    node: str | None
    phase: str | None
    claim: str


@dataclass(frozen=True)
class PvMount:
    """One PersistentVolume of an Azure disk, its claim and the pods using it."""

    pv: str
    disk_id: str
    """The disk resource id exactly as the PV holds it."""
    phase: str | None
    claim_namespace: str | None
    claim_name: str | None
    claim_phase: str | None
    pods: tuple[PodUse, ...] = ()


@dataclass(frozen=True)
class ClusterMounts:
    """The cluster's side of the app's volumes, as of one read."""

    state: MountsState
    message: str | None = None
    """Why the cluster could not be read (one calm sentence), else None."""
    mounts: tuple[PvMount, ...] = ()
    objects: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """The PVs, claims and pods read, for the describe view: ``pv/<name>``,
    ``pvc/<ns>/<name>``, ``pod/<ns>/<name>`` -> the object as the API server sent it."""

    @property
    def reachable(self) -> bool:
        return self.state == "ok"

    def for_disk(self, disk_id: str) -> list[PvMount]:
        wanted = disk_id.lower()
        return [m for m in self.mounts if m.disk_id.lower() == wanted]


def pv_disk_id(pv: Mapping[str, Any]) -> str | None:
    """The Azure disk resource id a PersistentVolume points at, if any."""
    spec = pv.get("spec") or {}
    csi = spec.get("csi") or {}
    if csi.get("driver") == CSI_DISK_DRIVER and csi.get("volumeHandle"):
        return str(csi["volumeHandle"])
    azure_disk = spec.get("azureDisk") or {}
    if azure_disk.get("diskURI"):
        return str(azure_disk["diskURI"])
    return None


def _items(body: Any) -> list[Mapping[str, Any]]:
    if not isinstance(body, Mapping):
        return []
    return [i for i in body.get("items") or () if isinstance(i, Mapping)]


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def _with_kind(obj: Mapping[str, Any], kind: str) -> dict[str, Any]:
    # List items carry no kind/apiVersion; the describe view shows the whole object.
    return {"apiVersion": "v1", "kind": kind, **copy.deepcopy(dict(obj))}


def match_mounts(
    pvs: list[Mapping[str, Any]],
    pvcs: list[Mapping[str, Any]],
    pods: list[Mapping[str, Any]],
    disk_ids: Collection[str],
) -> ClusterMounts:
    """The PVs among ``pvs`` that point at one of ``disk_ids``, with claims and pods."""
    wanted = {d.lower() for d in disk_ids}
    objects: dict[str, Mapping[str, Any]] = {}
    claims = {
        (str(_meta(c).get("namespace") or ""), str(_meta(c).get("name") or "")): c for c in pvcs
    }
    users: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for pod in pods:
        namespace = str(_meta(pod).get("namespace") or "")
        for volume in (pod.get("spec") or {}).get("volumes") or ():
            claim = (volume or {}).get("persistentVolumeClaim") or {}
            if claim.get("claimName"):
                users.setdefault((namespace, str(claim["claimName"])), []).append(pod)
    mounts: list[PvMount] = []
    for pv in pvs:
        disk_id = pv_disk_id(pv)
        if disk_id is None or disk_id.lower() not in wanted:
            continue
        name = str(_meta(pv).get("name") or "")
        objects[f"pv/{name}"] = _with_kind(pv, "PersistentVolume")
        ref = (pv.get("spec") or {}).get("claimRef") or {}
        key = (str(ref.get("namespace") or ""), str(ref.get("name") or ""))
        claim = claims.get(key) if ref else None
        # A claimRef alone may be stale (a claim deleted and re-created): the claim
        # must also name this PV.
        if claim is not None and (claim.get("spec") or {}).get("volumeName") not in (None, name):
            claim = None
        pods_here: list[PodUse] = []
        if claim is not None:
            objects[f"pvc/{key[0]}/{key[1]}"] = _with_kind(claim, "PersistentVolumeClaim")
            for pod in users.get(key, ()):
                pod_name = str(_meta(pod).get("name") or "")
                objects[f"pod/{key[0]}/{pod_name}"] = _with_kind(pod, "Pod")
                pods_here.append(
                    PodUse(
                        namespace=key[0],
                        name=pod_name,
                        node=(pod.get("spec") or {}).get("nodeName") or None,
                        phase=(pod.get("status") or {}).get("phase") or None,
                        claim=key[1],
                    )
                )
        mounts.append(
            PvMount(
                pv=name,
                disk_id=disk_id,
                phase=(pv.get("status") or {}).get("phase") or None,
                claim_namespace=key[0] if claim is not None else None,
                claim_name=key[1] if claim is not None else None,
                claim_phase=((claim or {}).get("status") or {}).get("phase") or None,
                pods=tuple(sorted(pods_here, key=lambda p: (p.namespace, p.name))),
            )
        )
    mounts.sort(key=lambda m: m.pv)
    return ClusterMounts("ok", mounts=tuple(mounts), objects=objects)


KubeRequest = Callable[..., tuple[int, Any]]


def read_mounts(request: KubeRequest, disk_ids: Collection[str]) -> ClusterMounts:
    """Three list calls through ``request`` (``KubeRest.request``), then the match."""
    operation = "volume mounts"
    _, pvs = request("GET", "/api/v1/persistentvolumes", operation=operation)
    _, pvcs = request("GET", "/api/v1/persistentvolumeclaims", operation=operation)
    _, pods = request(
        "GET",
        f"/api/v1/pods?fieldSelector={ACTIVE_PODS.replace('!', '%21').replace(',', '%2C')}",
        operation=operation,
    )
    return match_mounts(_items(pvs), _items(pvcs), _items(pods), disk_ids)


def calm_reason(exc: KompoxError) -> tuple[MountsState, str]:
    """One calm sentence for a cluster that cannot be read (not an error to the user:
    the volume browser still shows Azure's side). Judged from the typed reason."""
    from ..errors import NotFoundError, Reason

    if isinstance(exc, NotFoundError):
        return "not-provisioned", "not provisioned, so nothing mounts these disks"
    if exc.reason in (Reason.FORBIDDEN, Reason.AUTH):
        return "unreachable", f"{exc.reason.value}: cannot list PersistentVolumes and pods"
    first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return "unreachable", f"{exc.reason.value} ({first[:160]})"


def cluster_mounts(
    with_kube: Callable[[str, Callable[[Any], ClusterMounts]], ClusterMounts],
    disk_ids: Collection[str],
) -> ClusterMounts:
    """Read the mounts through ``with_kube`` (``ClusterOps.with_cluster_kube``); a
    cluster that cannot be read is a calm result, never an exception."""

    def read(rest: Any) -> ClusterMounts:
        # A browser refresh must not hang on a dead API server: short timeout, one retry.
        rest.timeout = READ_TIMEOUT
        rest.retries = 1
        return read_mounts(rest.request, disk_ids)

    try:
        return with_kube("volume mounts", read)
    except KompoxError as exc:
        state, message = calm_reason(exc)
        return ClusterMounts(state, message)
