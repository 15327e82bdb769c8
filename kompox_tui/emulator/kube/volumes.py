"""PersistentVolumes and claims: binding, and Azure disk attachment following the pods.

Binding is static, as the kompoxops layout uses it: a claim with ``spec.volumeName``
binds to that PV (if the PV has no other ``claimRef``); a PV with ``spec.claimRef``
binds to that claim. Both then report ``Bound``; deleting the claim leaves the PV
``Released``, deleting the PV leaves the claim ``Lost``.

Attachment follows the cluster: when a scheduled pod mounts a bound claim whose PV is a
``disk.csi.azure.com`` volume (``csi.volumeHandle``) or an in-tree ``azureDisk``
(``diskURI``) naming a disk in the emulator's ARM store, the disk becomes ``Attached``
with ``managedBy`` = the node's scale-set instance; when the last such pod goes, it is
detached (:func:`..compute.set_disk_attachment`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..core import ArmError
from . import nodes
from .kinds import NODE, POD, PV, PVC, STORAGECLASS, Kind, KubeError, path

if TYPE_CHECKING:
    from .store import ObjectStore

AZURE_DISK_DRIVER = "disk.csi.azure.com"


def disk_id_of(pv: dict[str, Any]) -> str | None:
    """The Azure disk resource id a PV names, if it is an Azure disk volume."""
    csi = path(pv, "spec", "csi") or {}
    if csi.get("driver") == AZURE_DISK_DRIVER and csi.get("volumeHandle"):
        return str(csi["volumeHandle"])
    uri = path(pv, "spec", "azureDisk", "diskURI")
    return str(uri) if uri else None


def _set_status(
    st: ObjectStore, key: str, kind: Kind, obj: dict[str, Any], status: dict[str, Any]
) -> None:
    if obj.get("status") == status:
        return
    meta = obj["metadata"]
    body = {**obj, "status": status}
    st.replace(key, kind, meta.get("namespace"), meta["name"], body, status=True)


def bind(st: ObjectStore, key: str, kind: Kind, obj: dict[str, Any]) -> None:
    """Bind a claim and a PV that name each other (a no-op while binding is under way)."""
    if getattr(st, "binding", False):
        return
    st.binding = True
    try:
        _bind(st, key, kind, obj)
    finally:
        st.binding = False


def _bind(st: ObjectStore, key: str, kind: Kind, obj: dict[str, Any]) -> None:
    if kind is PVC:
        pvc = obj
        pv_name = path(pvc, "spec", "volumeName")
        found = st.entry(key, PV, None, pv_name) if pv_name else None
        if found is None:
            return
        pv = found["object"]
    else:
        pv = obj
        ref = path(pv, "spec", "claimRef") or {}
        if not ref.get("name") or not ref.get("namespace"):
            return
        found = st.entry(key, PVC, ref["namespace"], ref["name"])
        if found is None:
            return
        pvc = found["object"]
    ref = path(pv, "spec", "claimRef") or {}
    pvc_meta = pvc["metadata"]
    if ref.get("name") and (ref.get("name"), ref.get("namespace")) != (
        pvc_meta["name"],
        pvc_meta["namespace"],
    ):
        return
    if path(pvc, "spec", "volumeName") not in (None, "", pv["metadata"]["name"]):
        return
    _bind_pair(st, key, pv, pvc)


def _bind_pair(st: ObjectStore, key: str, pv: dict[str, Any], pvc: dict[str, Any]) -> None:
    pvc_meta = pvc["metadata"]
    wanted_ref = {
        "kind": "PersistentVolumeClaim",
        "namespace": pvc_meta["namespace"],
        "name": pvc_meta["name"],
        "uid": pvc_meta["uid"],
        "apiVersion": "v1",
    }
    ref = path(pv, "spec", "claimRef") or {}
    if any(ref.get(k) != v for k, v in wanted_ref.items()):
        pv["spec"]["claimRef"] = {**ref, **wanted_ref}
        pv = st.replace(key, PV, None, pv["metadata"]["name"], pv)
    _set_status(st, key, PV, pv, {"phase": "Bound"})
    annotations = pvc_meta.get("annotations") or {}
    if (
        path(pvc, "spec", "volumeName") != pv["metadata"]["name"]
        or annotations.get("pv.kubernetes.io/bind-completed") != "yes"
    ):
        pvc["spec"]["volumeName"] = pv["metadata"]["name"]
        pvc_meta["annotations"] = {**annotations, "pv.kubernetes.io/bind-completed": "yes"}
        pvc = st.replace(key, PVC, pvc_meta["namespace"], pvc_meta["name"], pvc)
    _set_status(
        st,
        key,
        PVC,
        pvc,
        {
            "phase": "Bound",
            "accessModes": path(pv, "spec", "accessModes") or [],
            "capacity": path(pv, "spec", "capacity") or {},
        },
    )
    for entry in st.entries(key, POD, pvc_meta["namespace"]):
        if pvc_meta["name"] in _claims(entry["object"]):
            attach_for_pod(st, key, entry["object"])


def unbind(st: ObjectStore, key: str, kind: Kind, obj: dict[str, Any]) -> None:
    if kind is PVC:
        pv_name = path(obj, "spec", "volumeName")
        found = st.entry(key, PV, None, pv_name) if pv_name else None
        if found and path(found["object"], "spec", "claimRef", "uid") == obj["metadata"]["uid"]:
            pv = found["object"]
            if path(pv, "spec", "persistentVolumeReclaimPolicy") == "Delete":
                # The provisioner's reclaim: the PV and its Azure disk go with the claim.
                disk = disk_id_of(pv)
                try:
                    st.delete(key, PV, None, pv["metadata"]["name"])
                except KubeError as exc:
                    if exc.code != 404:
                        raise
                disks = st.ctx.resource_type("Microsoft.Compute/disks")
                record = st.store.get("arm", disk) if disk else None
                if disk and disks is not None and record and not record.get("managedBy"):
                    disks.delete(st.ctx, disk)
            else:
                _set_status(st, key, PV, pv, {"phase": "Released"})
    else:
        ref = path(obj, "spec", "claimRef") or {}
        found = st.entry(key, PVC, ref.get("namespace"), ref["name"]) if ref.get("name") else None
        if found and path(found["object"], "spec", "volumeName") == obj["metadata"]["name"]:
            _set_status(st, key, PVC, found["object"], {"phase": "Lost"})


def _claims(pod: dict[str, Any]) -> list[str]:
    return [
        str(v["persistentVolumeClaim"]["claimName"])
        for v in path(pod, "spec", "volumes") or []
        if isinstance(v, dict) and path(v, "persistentVolumeClaim", "claimName")
    ]


def _disks_of(st: ObjectStore, key: str, pod: dict[str, Any]) -> list[str]:
    disks = []
    namespace = pod["metadata"].get("namespace")
    for claim in _claims(pod):
        pvc = st.entry(key, PVC, namespace, claim)
        if pvc is None or path(pvc["object"], "status", "phase") != "Bound":
            continue
        pv = st.entry(key, PV, None, path(pvc["object"], "spec", "volumeName") or "")
        if pv is None:
            continue
        disk = disk_id_of(pv["object"])
        if disk:
            disks.append(disk)
    return disks


def _set_attachment(st: ObjectStore, disk_id: str, managed_by: str | None) -> None:
    from .. import compute

    setter = getattr(compute, "set_disk_attachment", None)
    if setter is None or st.store.get("arm", disk_id) is None:
        return
    setter(st.store, disk_id, managed_by)


def _attachments_key(key: str, pod: dict[str, Any]) -> str:
    meta = pod["metadata"]
    return f"{key}/_attachments/{meta.get('namespace')}/{meta['name']}"


def _gib(quantity: str) -> int:
    units = {
        "Ki": 2**10,
        "Mi": 2**20,
        "Gi": 2**30,
        "Ti": 2**40,
        "k": 10**3,
        "M": 10**6,
        "G": 10**9,
        "T": 10**12,
    }
    text = str(quantity).strip()
    for unit, factor in units.items():
        if text.endswith(unit):
            value = float(text[: -len(unit)] or 0) * factor
            break
    else:
        value = float(text or 0)
    return max(1, -(-int(value) // 2**30))


def _default_class(st: ObjectStore, key: str) -> str | None:
    for entry in st.entries(key, STORAGECLASS):
        annotations = path(entry["object"], "metadata", "annotations") or {}
        if annotations.get("storageclass.kubernetes.io/is-default-class") == "true":
            return str(entry["object"]["metadata"]["name"])
    return None


def provision_for_pod(st: ObjectStore, key: str, pod: dict[str, Any]) -> None:
    """Dynamic provisioning (``WaitForFirstConsumer``, as AKS's disk classes bind): an
    unbound claim of a ``disk.csi.azure.com`` class gets a new managed disk
    ``pvc-<claim uid>`` in the node resource group and a PV ``pvc-<claim uid>`` for it."""
    from .nodes import cluster_facts

    namespace = pod["metadata"].get("namespace")
    for claim in _claims(pod):
        found = st.entry(key, PVC, namespace, claim)
        if found is None:
            continue
        pvc = found["object"]
        if path(pvc, "spec", "volumeName"):
            continue
        class_name = path(pvc, "spec", "storageClassName") or _default_class(st, key)
        sc = st.entry(key, STORAGECLASS, None, class_name) if class_name else None
        if sc is None or sc["object"].get("provisioner") != AZURE_DISK_DRIVER:
            continue
        sku = str((sc["object"].get("parameters") or {}).get("skuname") or "StandardSSD_LRS")
        size = _gib(path(pvc, "spec", "resources", "requests", "storage") or "1Gi")
        name = f"pvc-{pvc['metadata']['uid']}"
        sub, _, node_rg, location, _ = cluster_facts(st, key)
        disk_id = (
            f"/subscriptions/{sub}/resourceGroups/{node_rg}"
            f"/providers/Microsoft.Compute/disks/{name}"
        )
        disks = st.ctx.resource_type("Microsoft.Compute/disks")
        if disks is None:
            continue
        try:
            disks.create(
                st.ctx,
                disk_id,
                {
                    "location": location,
                    "sku": {"name": sku},
                    "tags": {
                        "k8s-azure-created-by": "kubernetes-azure-dd",
                        "kubernetes.io-created-for-pv-name": name,
                        "kubernetes.io-created-for-pvc-name": claim,
                        "kubernetes.io-created-for-pvc-namespace": str(namespace),
                    },
                    "properties": {
                        "creationData": {"createOption": "Empty"},
                        "diskSizeGB": size,
                    },
                },
                "2025-01-02",
            )
        except ArmError:
            continue  # no node resource group (yet): the claim stays Pending
        st.create(
            key,
            PV,
            None,
            {
                "metadata": {
                    "name": name,
                    "annotations": {"pv.kubernetes.io/provisioned-by": AZURE_DISK_DRIVER},
                    "finalizers": ["kubernetes.io/pv-protection"],
                },
                "spec": {
                    "capacity": {"storage": f"{size}Gi"},
                    "accessModes": path(pvc, "spec", "accessModes") or ["ReadWriteOnce"],
                    "persistentVolumeReclaimPolicy": sc["object"].get("reclaimPolicy", "Delete"),
                    "storageClassName": class_name,
                    "volumeMode": "Filesystem",
                    "claimRef": {
                        "kind": "PersistentVolumeClaim",
                        "namespace": namespace,
                        "name": claim,
                        "uid": pvc["metadata"]["uid"],
                        "apiVersion": "v1",
                    },
                    "csi": {
                        "driver": AZURE_DISK_DRIVER,
                        "volumeHandle": disk_id,
                        "volumeAttributes": {
                            "csi.storage.k8s.io/pv/name": name,
                            "csi.storage.k8s.io/pvc/name": claim,
                            "csi.storage.k8s.io/pvc/namespace": str(namespace),
                            "requestedsizegib": str(size),
                            "skuname": sku,
                        },
                    },
                },
            },
        )


def attach_for_pod(st: ObjectStore, key: str, pod: dict[str, Any]) -> None:
    """Attach the disks a scheduled pod mounts (provisioning unbound claims first), and
    remember them for its deletion (the PV or claim may be gone by then, as the disk
    stays attached until the pod goes)."""
    node_name = path(pod, "spec", "nodeName")
    node = st.entry(key, NODE, None, node_name) if node_name else None
    if node is None:
        return
    provision_for_pod(st, key, pod)
    disks = _disks_of(st, key, pod)
    if not disks:
        return
    record_key = _attachments_key(key, pod)
    known = st.store.get("k8s", record_key) or []
    st.store.put("k8s", record_key, sorted(set(known) | set(disks)))
    for disk in disks:
        _set_attachment(st, disk, nodes.instance_id(node["object"]))


def pod_gone(st: ObjectStore, key: str, pod: dict[str, Any]) -> None:
    """Detach the disks the pod had attached that no remaining pod has."""
    record_key = _attachments_key(key, pod)
    gone = set(st.store.get("k8s", record_key) or [])
    st.store.delete("k8s", record_key)
    if not gone:
        return
    for _, disks in st.store.items("k8s", f"{key}/_attachments/"):
        gone -= set(disks)
    for disk in gone:
        _set_attachment(st, disk, None)


_AKS_CLASSES = (
    # name, provisioner, parameters, binding mode, default
    ("azurefile", "file.csi.azure.com", {"skuName": "Standard_LRS"}, "Immediate", False),
    ("azurefile-csi", "file.csi.azure.com", {"skuName": "Standard_LRS"}, "Immediate", False),
    ("azurefile-csi-premium", "file.csi.azure.com", {"skuName": "Premium_LRS"}, "Immediate", False),
    ("azurefile-premium", "file.csi.azure.com", {"skuName": "Premium_LRS"}, "Immediate", False),
    ("default", AZURE_DISK_DRIVER, {"skuname": "StandardSSD_LRS"}, "WaitForFirstConsumer", True),
    (
        "managed",
        AZURE_DISK_DRIVER,
        {"kind": "Managed", "skuname": "StandardSSD_LRS"},
        "WaitForFirstConsumer",
        False,
    ),
    (
        "managed-csi",
        AZURE_DISK_DRIVER,
        {"skuname": "StandardSSD_LRS"},
        "WaitForFirstConsumer",
        False,
    ),
    (
        "managed-csi-premium",
        AZURE_DISK_DRIVER,
        {"skuname": "Premium_LRS"},
        "WaitForFirstConsumer",
        False,
    ),
    (
        "managed-premium",
        AZURE_DISK_DRIVER,
        {"kind": "Managed", "skuname": "Premium_LRS"},
        "WaitForFirstConsumer",
        False,
    ),
)


def seed_storage_classes(st: ObjectStore, key: str) -> None:
    """The storage classes an AKS cluster comes with (``default`` is the default)."""
    for name, provisioner, parameters, mode, default in _AKS_CLASSES:
        meta: dict[str, Any] = {
            "name": name,
            "labels": {
                "addonmanager.kubernetes.io/mode": "EnsureExists",
                "kubernetes.io/cluster-service": "true",
            },
        }
        if default:
            meta["annotations"] = {"storageclass.kubernetes.io/is-default-class": "true"}
        st.create(
            key,
            STORAGECLASS,
            None,
            {
                "metadata": meta,
                "provisioner": provisioner,
                "parameters": parameters,
                "reclaimPolicy": "Delete",
                "volumeBindingMode": mode,
                "allowVolumeExpansion": True,
            },
        )
