"""Put a workload that mounts an Azure disk into an emulated cluster (demo and tests).

:func:`mount_disk` creates, as a deploy tool would, a PV of ``disk.csi.azure.com`` whose
``csi.volumeHandle`` is the disk id, a claim bound to it by ``spec.volumeName``, and a
StatefulSet or Deployment whose pod mounts the claim -- so the pod is scheduled onto a
node and the disk becomes ``Attached`` to that node's scale-set instance.
"""

from __future__ import annotations

from typing import Any

from .kinds import BY_KIND, NAMESPACE, PV, PVC
from .server import KubeService


def mount_disk(
    service: KubeService,
    cluster_resource_id: str,
    *,
    namespace: str,
    claim: str,
    disk_id: str,
    size: str,
    workload_kind: str,
    workload: str,
    volume: str,
    image: str = "postgres:17",
    labels: dict[str, str] | None = None,
) -> None:
    objects = service.objects
    key = service.cluster_key_of(cluster_resource_id)
    labels = dict(labels or {})
    with service.store.lock:
        if objects.entry(key, NAMESPACE, None, namespace) is None:
            objects.create(
                key, NAMESPACE, None, {"metadata": {"name": namespace, "labels": labels}}
            )
        if objects.entry(key, PV, None, claim) is None:
            objects.create(
                key,
                PV,
                None,
                {
                    "metadata": {"name": claim, "labels": labels},
                    "spec": {
                        "capacity": {"storage": size},
                        "accessModes": ["ReadWriteOnce"],
                        "persistentVolumeReclaimPolicy": "Retain",
                        "storageClassName": "managed-csi",
                        "volumeMode": "Filesystem",
                        "csi": {
                            "driver": "disk.csi.azure.com",
                            "volumeHandle": disk_id,
                            "fsType": "ext4",
                        },
                    },
                },
            )
        if objects.entry(key, PVC, namespace, claim) is None:
            objects.create(
                key,
                PVC,
                namespace,
                {
                    "metadata": {"name": claim, "labels": labels},
                    "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "storageClassName": "managed-csi",
                        "resources": {"requests": {"storage": size}},
                        "volumeName": claim,
                    },
                },
            )
        selector = {"app": workload}
        spec: dict[str, Any] = {
            "replicas": 1,
            "selector": {"matchLabels": selector},
            "template": {
                "metadata": {"labels": {**labels, **selector}},
                "spec": {
                    "containers": [
                        {
                            "name": workload,
                            "image": image,
                            "volumeMounts": [{"name": volume, "mountPath": f"/data/{volume}"}],
                        }
                    ],
                    "volumes": [{"name": volume, "persistentVolumeClaim": {"claimName": claim}}],
                },
            },
        }
        if workload_kind == "StatefulSet":
            spec["serviceName"] = workload
        kind = BY_KIND[workload_kind]
        if objects.entry(key, kind, namespace, workload) is None:
            objects.create(
                key,
                kind,
                namespace,
                {"metadata": {"name": workload, "labels": labels}, "spec": spec},
            )
