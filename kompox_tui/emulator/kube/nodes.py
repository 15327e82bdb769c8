"""Nodes: one per AKS agent pool instance, named and identified as AKS does.

A pool ``system`` of a cluster becomes the scale set ``aks-system-<8 digits>-vmss`` in
the node resource group; its instances are the nodes ``aks-system-<8 digits>-vmss000000``,
``...vmss000001`` (the instance id in base 36, six digits), each with the providerID
``azure:///subscriptions/<sub>/resourceGroups/<node rg>/providers/Microsoft.Compute/
virtualMachineScaleSets/<vmss>/virtualMachines/<instance id>`` -- the id a disk's
``managedBy`` names while it is attached to that node. The nodes follow the managed
cluster's ``agentPoolProfiles`` (re-read when they change).
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from .kinds import NODE, path

if TYPE_CHECKING:
    from .store import ObjectStore

_DEFAULT_POOL = {"name": "nodepool1", "count": 1, "vmSize": "Standard_D2s_v5", "mode": "System"}
_B36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def _base36(n: int, width: int = 6) -> str:
    digits = ""
    while n:
        n, r = divmod(n, 36)
        digits = _B36[r] + digits
    return digits.rjust(width, "0")


def pool_digits(cluster_id: str, pool: str) -> str:
    """The 8 digits AKS puts in a pool's scale-set name (stable per cluster and pool)."""
    digest = hashlib.sha256(f"{cluster_id.lower()}/{pool}".encode()).hexdigest()
    return str(int(digest, 16) % 100_000_000).rjust(8, "0")


def cluster_facts(st: ObjectStore, key: str) -> tuple[str, list[dict[str, Any]], str, str, str]:
    record = st.record(key)
    resource_id = str(record.get("resourceId", ""))
    arm = st.store.get("arm", resource_id) if resource_id else None
    props: dict[str, Any] = {}
    if isinstance(arm, dict):
        for holder in (arm, arm.get("resource")):
            found = holder.get("properties") if isinstance(holder, dict) else None
            if isinstance(found, dict) and found.get("agentPoolProfiles"):
                props = found
                break
    parts = resource_id.strip("/").split("/")
    lower = [p.lower() for p in parts]
    sub = parts[lower.index("subscriptions") + 1] if "subscriptions" in lower else "0"
    group = parts[lower.index("resourcegroups") + 1] if "resourcegroups" in lower else "rg"
    location = (
        str((arm or {}).get("location") or "japaneast") if isinstance(arm, dict) else "japaneast"
    )
    node_rg = str(props.get("nodeResourceGroup") or f"MC_{group}_{record.get('name')}_{location}")
    pools = [p for p in props.get("agentPoolProfiles") or [] if isinstance(p, dict)] or [
        _DEFAULT_POOL
    ]
    version = str(props.get("currentKubernetesVersion") or props.get("kubernetesVersion") or "")
    return sub, pools, node_rg, location, version


def wanted_nodes(st: ObjectStore, key: str) -> list[dict[str, Any]]:
    """The Node objects the cluster's agent pools make (without server fields)."""
    sub, pools, node_rg, location, version = cluster_facts(st, key)
    resource_id = str(st.record(key).get("resourceId", ""))
    if version.count(".") == 1:
        version += ".2"
    version = version or "1.33.2"
    out = []
    index = 0
    for pool in pools:
        name = str(pool.get("name") or "nodepool1")
        vmss = f"aks-{name}-{pool_digits(resource_id, name)}-vmss"
        for instance in range(int(pool.get("count") or 0)):
            node = f"{vmss}{_base36(instance)}"
            provider = (
                f"azure:///subscriptions/{sub}/resourceGroups/{node_rg.lower()}/providers/"
                f"Microsoft.Compute/virtualMachineScaleSets/{vmss}/virtualMachines/{instance}"
            )
            mode = str(pool.get("mode") or "User").lower()
            vm_size = str(pool.get("vmSize") or "Standard_D2s_v5")
            out.append(
                {
                    "metadata": {
                        "name": node,
                        "labels": {
                            "agentpool": name,
                            "beta.kubernetes.io/arch": "amd64",
                            "beta.kubernetes.io/os": "linux",
                            "kubernetes.azure.com/agentpool": name,
                            "kubernetes.azure.com/cluster": node_rg,
                            "kubernetes.azure.com/mode": mode,
                            "kubernetes.azure.com/role": "agent",
                            "kubernetes.io/arch": "amd64",
                            "kubernetes.io/hostname": node,
                            "kubernetes.io/os": "linux",
                            "kubernetes.io/role": "agent",
                            "node.kubernetes.io/instance-type": vm_size,
                            "topology.disk.csi.azure.com/zone": "",
                            "topology.kubernetes.io/region": location,
                            "topology.kubernetes.io/zone": "0",
                        },
                        "annotations": {
                            "node.alpha.kubernetes.io/ttl": "0",
                            "volumes.kubernetes.io/controller-managed-attach-detach": "true",
                        },
                    },
                    "spec": {"providerID": provider, "podCIDR": f"10.244.{index}.0/24"},
                    "status": {
                        "capacity": {
                            "cpu": "2",
                            "memory": "8129876Ki",
                            "pods": "110",
                            "ephemeral-storage": "129886128Ki",
                        },
                        "allocatable": {
                            "cpu": "1900m",
                            "memory": "5474132Ki",
                            "pods": "110",
                            "ephemeral-storage": "119703055367",
                        },
                        "conditions": [
                            {
                                "type": "Ready",
                                "status": "True",
                                "reason": "KubeletReady",
                                "message": "kubelet is posting ready status",
                            }
                        ],
                        "addresses": [
                            {"type": "InternalIP", "address": f"10.224.0.{4 + index}"},
                            {"type": "Hostname", "address": node},
                        ],
                        "nodeInfo": {
                            "architecture": "amd64",
                            "operatingSystem": "linux",
                            "osImage": "Ubuntu 22.04.5 LTS",
                            "kernelVersion": "5.15.0-1089-azure",
                            "containerRuntimeVersion": "containerd://1.7.27-1",
                            "kubeletVersion": f"v{version}",
                            "kubeProxyVersion": "",
                            "machineID": hashlib.md5(node.encode()).hexdigest(),
                            "systemUUID": hashlib.md5(provider.encode()).hexdigest(),
                            "bootID": hashlib.md5((node + "boot").encode()).hexdigest(),
                        },
                    },
                }
            )
            index += 1
    return out


def sync(st: ObjectStore, key: str) -> None:
    """Create and delete Node objects so they match the agent pools (cheap when unchanged)."""
    record = st.record(key)
    sub, pools, node_rg, location, version = cluster_facts(st, key)
    signature = json.dumps([sub, pools, node_rg, location, version], sort_keys=True)
    if record.get("nodes") == signature:
        return
    wanted = wanted_nodes(st, key)
    names = {n["metadata"]["name"] for n in wanted}
    have = {e["object"]["metadata"]["name"] for e in st.entries(key, NODE)}
    for node in wanted:
        if node["metadata"]["name"] not in have:
            st.create(key, NODE, None, node)
    for name in have - names:
        st.delete(key, NODE, None, name)
    record = st.record(key)
    record["nodes"] = signature
    st.store.put("k8s", f"_clusters/{key}", record)


def instance_id(node: dict[str, Any]) -> str:
    """The scale-set instance resource id a disk's ``managedBy`` shows for this node."""
    provider = str(path(node, "spec", "providerID") or "").removeprefix("azure://")
    # The providerID lower-cases the node resource group (as the cloud provider writes
    # it); Compute's managedBy spells it as the group was created.
    node_rg = str(path(node, "metadata", "labels", "kubernetes.azure.com/cluster") or "")
    if node_rg:
        provider = provider.replace(
            f"/resourceGroups/{node_rg.lower()}/", f"/resourceGroups/{node_rg}/"
        )
    return provider
