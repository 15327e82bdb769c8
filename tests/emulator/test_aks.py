"""Managed clusters through the real ContainerServiceClient."""

from __future__ import annotations

import base64
from typing import Any

import pytest
import yaml
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.containerservice.models import ManagedCluster

from kompox_tui.emulator import Emulator
from kompox_tui.emulator.testing import ArmClients


@pytest.fixture
def cluster(emulator: Emulator, unique_name: Any) -> dict[str, Any]:
    rg = unique_name("rg")
    return emulator.create_managed_cluster(rg, "aks1", kubernetes_version="1.33")


def _rg_of(cluster: dict[str, Any]) -> str:
    return str(cluster["id"].split("/")[4])


def test_get_returns_the_azure_shape_with_its_casing(
    arm: ArmClients, emulator: Emulator, cluster: dict[str, Any]
) -> None:
    rg = _rg_of(cluster)
    mc = arm.containers.managed_clusters.get(rg, "aks1")
    assert mc.id == (
        f"/subscriptions/{emulator.subscription_id}/resourceGroups/{rg}/providers/"
        "Microsoft.ContainerService/managedClusters/aks1"
    )
    assert mc.type == "Microsoft.ContainerService/managedClusters"
    assert mc.location == "japaneast"
    assert mc.provisioning_state == "Succeeded"
    assert mc.power_state.code == "Running"
    assert mc.kubernetes_version == "1.33"
    assert mc.current_kubernetes_version.startswith("1.33.")
    assert mc.e_tag
    assert mc.oidc_issuer_profile.enabled is True
    assert mc.oidc_issuer_profile.issuer_url.startswith("https://japaneast.oic.prod-aks.azure.com/")
    assert mc.fqdn.endswith(".hcp.japaneast.azmk8s.io")
    assert mc.node_resource_group == f"MC_{rg}_aks1_japaneast"
    assert mc.identity is not None
    assert mc.identity.type == "SystemAssigned"
    assert mc.identity.principal_id
    kubelet = mc.identity_profile["kubeletidentity"]
    assert kubelet.client_id and kubelet.object_id
    assert kubelet.resource_id.endswith("/userAssignedIdentities/aks1-agentpool")
    pool = mc.agent_pool_profiles[0]
    assert pool.mode == "System"
    assert pool.power_state.code == "Running"
    assert pool.provisioning_state == "Succeeded"
    raw = emulator.ctx.store.get("arm", mc.id)
    assert raw is not None
    assert "eTag" in raw and "issuerURL" in raw["properties"]["oidcIssuerProfile"]
    assert arm.resources.resource_groups.get(mc.node_resource_group).managed_by == mc.id


def test_kubelet_and_cluster_identities_are_registered_principals(
    emulator: Emulator, cluster: dict[str, Any]
) -> None:
    kubelet = cluster["properties"]["identityProfile"]["kubeletidentity"]
    rec = emulator.identity.principal(kubelet["clientId"])
    assert rec is not None and rec["objectId"] == kubelet["objectId"] and rec["managed"]


def test_get_missing_cluster_is_resource_not_found(arm: ArmClients, unique_name: Any) -> None:
    rg = unique_name("rg")
    arm.create_rg(rg)
    with pytest.raises(ResourceNotFoundError) as info:
        arm.containers.managed_clusters.get(rg, "nope")
    assert info.value.error is not None
    assert info.value.error.code == "ResourceNotFound"
    assert "Microsoft.ContainerService/managedClusters/nope" in str(info.value.error.message)


def test_list_by_resource_group_and_subscription(
    arm: ArmClients, emulator: Emulator, cluster: dict[str, Any]
) -> None:
    rg = _rg_of(cluster)
    emulator.create_managed_cluster(rg, "aks2")
    names = sorted(str(c.name) for c in arm.containers.managed_clusters.list_by_resource_group(rg))
    assert names == ["aks1", "aks2"]
    ids = {c.id for c in arm.containers.managed_clusters.list()}
    assert cluster["id"] in ids


def test_admin_credentials_are_a_base64_kubeconfig_for_the_emulator(
    arm: ArmClients, emulator: Emulator, cluster: dict[str, Any]
) -> None:
    result = arm.containers.managed_clusters.list_cluster_admin_credentials(_rg_of(cluster), "aks1")
    assert result.kubeconfigs is not None
    assert result.kubeconfigs[0].name == "clusterAdmin"
    value = result.kubeconfigs[0].value
    assert isinstance(value, bytes)
    kubeconfig = yaml.safe_load(value)
    entry = kubeconfig["clusters"][0]["cluster"]
    assert entry["server"].startswith(f"{emulator.arm_url}/k8s/")
    assert base64.b64decode(entry["certificate-authority-data"]) == emulator.ctx.ca_pem
    user = kubeconfig["users"][0]["user"]
    assert user.get("token") or user.get("client-certificate-data")


def test_admin_credentials_use_the_kube_service_when_registered(
    fresh_emulator: Emulator, arm_factory: Any
) -> None:
    calls: list[tuple[str, str]] = []
    forgotten: list[str] = []

    class KubeStandIn:
        def kubeconfig(self, cluster_resource_id: str, cluster_name: str) -> str:
            calls.append((cluster_resource_id, cluster_name))
            return "apiVersion: v1\nkind: Config\nclusters: []\n"

        def forget(self, cluster_resource_id: str) -> None:
            forgotten.append(cluster_resource_id)

    fresh_emulator.ctx.services["kube"] = KubeStandIn()
    cluster = fresh_emulator.create_managed_cluster("rg1", "aks1")
    arm = arm_factory(fresh_emulator)
    result = arm.containers.managed_clusters.list_cluster_admin_credentials("rg1", "aks1")
    assert yaml.safe_load(result.kubeconfigs[0].value)["kind"] == "Config"
    assert calls == [(cluster["id"], "aks1")]
    arm.containers.managed_clusters.begin_delete("rg1", "aks1").result()
    assert forgotten == [cluster["id"]]


def test_credentials_of_a_missing_cluster_are_not_found(arm: ArmClients, unique_name: Any) -> None:
    rg = unique_name("rg")
    arm.create_rg(rg)
    with pytest.raises(ResourceNotFoundError):
        arm.containers.managed_clusters.list_cluster_admin_credentials(rg, "nope")


def test_delete_is_202_with_both_headers_and_removes_the_node_group(
    arm: ArmClients, emulator: Emulator, cluster: dict[str, Any]
) -> None:
    rg = _rg_of(cluster)
    poller = arm.containers.managed_clusters.begin_delete(rg, "aks1")
    initial = poller.polling_method()._initial_response.http_response  # type: ignore[attr-defined]
    assert initial.status_code == 202
    async_url = initial.headers["Azure-AsyncOperation"]
    assert "/providers/Microsoft.ContainerService/locations/japaneast/operations/" in async_url
    assert "/operationresults/" in initial.headers["Location"]
    assert initial.headers["Retry-After"] == "1"
    poller.result()
    with pytest.raises(ResourceNotFoundError):
        arm.containers.managed_clusters.get(rg, "aks1")
    node_rg = cluster["properties"]["nodeResourceGroup"]
    assert arm.resources.resource_groups.check_existence(node_rg) is False
    arm.containers.managed_clusters.begin_delete(rg, "aks1").result()  # 204 when absent


def test_cluster_is_deleting_while_the_operation_runs(arm_factory: Any) -> None:
    with Emulator(speed=200) as emu:  # 120 emulated s = 0.6 s
        emu.create_managed_cluster("rg1", "aks1")
        arm = arm_factory(emu)
        poller = arm.containers.managed_clusters.begin_delete("rg1", "aks1")
        assert arm.containers.managed_clusters.get("rg1", "aks1").provisioning_state == "Deleting"
        poller.result()
        with pytest.raises(ResourceNotFoundError):
            arm.containers.managed_clusters.get("rg1", "aks1")


def test_create_through_the_sdk(arm: ArmClients, unique_name: Any) -> None:
    rg = unique_name("rg")
    arm.create_rg(rg)
    body = {
        "location": "japaneast",
        "identity": {"type": "SystemAssigned"},
        "properties": {
            "kubernetesVersion": "1.32",
            "dnsPrefix": "mine",
            "agentPoolProfiles": [
                {"name": "system", "count": 2, "vmSize": "Standard_D4s_v5", "mode": "System"}
            ],
            "oidcIssuerProfile": {"enabled": True},
        },
    }
    poller = arm.containers.managed_clusters.begin_create_or_update(
        rg, "aks9", ManagedCluster(body)
    )
    initial = poller.polling_method()._initial_response.http_response  # type: ignore[attr-defined]
    assert initial.status_code == 201
    assert initial.json()["properties"]["provisioningState"] == "Creating"
    mc = poller.result()
    assert mc.provisioning_state == "Succeeded"
    assert mc.kubernetes_version == "1.32"
    assert mc.agent_pool_profiles[0].count == 2
    assert mc.fqdn.startswith("mine-")


def test_lro_failure_marks_the_cluster_failed(fresh_emulator: Emulator, arm_factory: Any) -> None:
    fresh_emulator.create_managed_cluster("rg1", "aks1")
    fresh_emulator.add_fault(
        "DELETE", "/managedClusters/aks1$", lro_error=("InternalOperationError", "boom")
    )
    arm = arm_factory(fresh_emulator)
    with pytest.raises(HttpResponseError) as info:
        arm.containers.managed_clusters.begin_delete("rg1", "aks1").result()
    assert info.value.error is not None
    assert info.value.error.code == "InternalOperationError"
    assert arm.containers.managed_clusters.get("rg1", "aks1").provisioning_state == "Failed"


def test_managed_cluster_type_is_registered(emulator: Emulator, unique_name: Any) -> None:
    rtype = emulator.ctx.resource_type("Microsoft.ContainerService/managedClusters")
    assert rtype is not None
    rg = unique_name("rg")
    emulator.ctx.resource_type("Microsoft.Resources/resourceGroups").create(  # type: ignore[union-attr]
        emulator.ctx,
        f"/subscriptions/{emulator.subscription_id}/resourceGroups/{rg}",
        {"location": "japaneast"},
        "x",
    )
    rid = (
        f"/subscriptions/{emulator.subscription_id}/resourceGroups/{rg}/providers/"
        "Microsoft.ContainerService/managedClusters/viatype"
    )
    made = rtype.create(
        emulator.ctx,
        rid,
        {"location": "japaneast", "properties": {"kubernetesVersion": "1.31"}},
        "x",
    )
    assert made["properties"]["provisioningState"] == "Succeeded"
    assert made["properties"]["oidcIssuerProfile"]["issuerURL"]
    rtype.delete(emulator.ctx, rid)
    assert emulator.ctx.store.get("arm", rid) is None


def test_update_tags_replaces_tags_and_renews_the_etag(
    arm: ArmClients, cluster: dict[str, Any]
) -> None:
    rg = _rg_of(cluster)
    before = arm.containers.managed_clusters.get(rg, "aks1")
    updated = arm.containers.managed_clusters.begin_update_tags(
        rg, "aks1", {"tags": {"team": "ops"}}
    ).result()
    assert updated.tags == {"team": "ops"}
    assert updated.e_tag != before.e_tag


def test_if_match_on_the_cluster_etag(arm: ArmClients, cluster: dict[str, Any]) -> None:
    from azure.core import MatchConditions
    from azure.core.exceptions import ResourceModifiedError

    rg = _rg_of(cluster)
    current = arm.containers.managed_clusters.get(rg, "aks1")
    with pytest.raises(ResourceModifiedError) as info:
        arm.containers.managed_clusters.begin_delete(
            rg, "aks1", etag="stale", match_condition=MatchConditions.IfNotModified
        ).result()
    assert info.value.status_code == 412
    assert arm.containers.managed_clusters.get(rg, "aks1").provisioning_state == "Succeeded"
    arm.containers.managed_clusters.begin_delete(
        rg, "aks1", etag=current.e_tag, match_condition=MatchConditions.IfNotModified
    ).result()
    with pytest.raises(ResourceNotFoundError):
        arm.containers.managed_clusters.get(rg, "aks1")


def test_failed_update_tags_lro_leaves_the_tags_as_they_were(
    fresh_emulator: Emulator, arm_factory: Any
) -> None:
    fresh_emulator.create_managed_cluster("rg1", "aks1")
    arm = arm_factory(fresh_emulator)
    arm.containers.managed_clusters.begin_update_tags(
        "rg1", "aks1", {"tags": {"team": "dev"}}
    ).result()
    before = arm.containers.managed_clusters.get("rg1", "aks1")
    fresh_emulator.add_fault("PATCH", "/managedClusters/aks1$", lro_error="InternalOperationError")
    with pytest.raises(HttpResponseError):
        arm.containers.managed_clusters.begin_update_tags(
            "rg1", "aks1", {"tags": {"team": "ops"}}
        ).result()
    after = arm.containers.managed_clusters.get("rg1", "aks1")
    assert after.tags == {"team": "dev"}
    assert after.e_tag == before.e_tag
    assert after.provisioning_state == "Failed"
