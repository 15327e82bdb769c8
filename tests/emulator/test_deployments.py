"""Subscription-scope template deployments through the real DeploymentsMgmtClient
(azure-mgmt-resource-deployments 2.0.0, api-version 2026-06-01) over TLS."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from importlib import resources
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.resource.deployments import DeploymentsMgmtClient
from azure.mgmt.resource.deployments.models import (
    Deployment,
    DeploymentOperation,
    DeploymentOperationProperties,
    TargetResource,
)

from kompox_tui.emulator import Emulator
from kompox_tui.emulator.template import SUBSCRIPTION_SCHEMAS
from kompox_tui.emulator.testing import ArmClients

OUTPUT_KEYS = {
    "AZURE_LOCATION",
    "AZURE_TENANT_ID",
    "AZURE_SUBSCRIPTION_ID",
    "AZURE_RESOURCE_GROUP_NAME",
    "AZURE_AKS_CLUSTER_NAME",
    "AZURE_AKS_CLUSTER_PRINCIPAL_ID",
    "AZURE_AKS_KUBELET_PRINCIPAL_ID",
    "AZURE_AKS_OIDC_ISSUER_URL",
    "AZURE_INGRESS_SERVICE_ACCOUNT_NAMESPACE",
    "AZURE_INGRESS_SERVICE_ACCOUNT_NAME",
    "AZURE_INGRESS_SERVICE_ACCOUNT_PRINCIPAL_ID",
    "AZURE_INGRESS_SERVICE_ACCOUNT_CLIENT_ID",
}


def kompoxops_template() -> dict[str, Any]:
    text = (
        resources.files("kompox_tui.azure")
        .joinpath("templates", "kompoxops.json")
        .read_text(encoding="utf-8")
    )
    data: dict[str, Any] = json.loads(text)
    return data


def deployments_client(emu: Emulator, arm: ArmClients, **kw: Any) -> DeploymentsMgmtClient:
    return DeploymentsMgmtClient(
        arm.credential,
        emu.subscription_id,
        base_url=emu.arm_url,
        connection_verify=emu.ca_bundle,
        polling_interval=0.01,
        retry_backoff_factor=0.01,
        **kw,
    )


def body(rg: str, template: dict[str, Any] | None = None, **params: Any) -> dict[str, Any]:
    values = {
        "environmentName": "cluster1",
        "location": "japaneast",
        "resourceGroupName": rg,
        "tags": {"managed-by": "kompox"},
        **params,
    }
    return {
        "location": "japaneast",
        "tags": {"managed-by": "kompox"},
        "properties": {
            "mode": "Incremental",
            "template": template or kompoxops_template(),
            "parameters": {k: {"value": v} for k, v in values.items()},
        },
    }


def _props(operation: DeploymentOperation) -> DeploymentOperationProperties:
    assert operation.properties is not None, operation
    return operation.properties


def _target(operation: DeploymentOperation) -> TargetResource:
    target = _props(operation).target_resource
    assert target is not None, operation
    return target


@pytest.fixture
def clients(emulator: Emulator) -> Iterator[tuple[ArmClients, DeploymentsMgmtClient]]:
    arm = ArmClients(emulator, retry_total=0)
    dc = deployments_client(emulator, arm, retry_total=0)
    yield arm, dc
    dc.close()
    arm.close()


def test_kompoxops_template_deploys_with_outputs_pools_and_operations(
    clients: tuple[ArmClients, DeploymentsMgmtClient], unique_name: Any
) -> None:
    arm, dc = clients
    rg = unique_name("k4x")[:60]
    result = dc.deployments.begin_create_or_update_at_subscription_scope(
        rg, Deployment(body(rg))
    ).result()
    props = result.properties
    assert props is not None and props.outputs is not None
    assert props.provisioning_state == "Succeeded"
    outputs = {k: v["value"] for k, v in props.outputs.items()}
    assert set(outputs) == OUTPUT_KEYS
    assert outputs["AZURE_RESOURCE_GROUP_NAME"] == rg
    assert outputs["AZURE_INGRESS_SERVICE_ACCOUNT_NAMESPACE"] == "traefik"
    name = outputs["AZURE_AKS_CLUSTER_NAME"]
    assert name.startswith("aks-") and len(name) == len("aks-") + 13
    aks = arm.containers.managed_clusters.get(rg, name)
    pools = {p.name: p for p in aks.agent_pool_profiles}
    assert sorted(pools) == ["npsystem", "npuser1", "npuser2", "npuser3"]
    assert pools["npuser2"].availability_zones == ["2"]
    assert pools["npuser2"].node_labels == {
        "kompox.dev/node-pool": "user",
        "kompox.dev/node-zone": "2",
    }
    assert pools["npuser1"].scale_set_priority == "Spot"
    assert pools["npsystem"].os_disk_size_gb == 110
    assert aks.node_resource_group == f"{rg}_mc"
    assert aks.identity is not None
    assert aks.identity.principal_id == outputs["AZURE_AKS_CLUSTER_PRINCIPAL_ID"]
    group = arm.resources.resource_groups.get(rg)
    assert group.tags == {"managed-by": "kompox", "azd-env-name": "cluster1"}
    # the names kompoxops's template gives (facts §3): <abbreviation><token>
    token = name[len("aks-") :]
    made = {(r.type, r.name) for r in arm.resources.resources.list_by_resource_group(rg)}
    assert {
        ("Microsoft.KeyVault/vaults", f"kv-{token}"),
        ("Microsoft.OperationalInsights/workspaces", f"log-{token}"),
        ("Microsoft.Insights/components", f"appi-{token}"),
        ("Microsoft.Portal/dashboards", f"dash-{token}"),
        ("Microsoft.ManagedIdentity/userAssignedIdentities", f"id-{token}"),
        ("Microsoft.Storage/storageAccounts", f"st{token}"),
        ("Microsoft.ContainerService/managedClusters", name),
    } <= made
    fic = arm.resources.resources.get_by_id(
        f"{group.id}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-{token}"
        "/federatedIdentityCredentials/fic-ingress",
        api_version="2023-01-31",
    )
    assert fic.properties is not None
    assert fic.properties["subject"] == "system:serviceaccount:traefik:traefik"
    assert fic.properties["issuer"] == outputs["AZURE_AKS_OIDC_ISSUER_URL"]
    # the GET shows the deployment as created, with its tags and typed parameters
    got = dc.deployments.get_at_subscription_scope(rg)
    assert got.tags == {"managed-by": "kompox"}
    assert got.properties is not None and got.properties.parameters is not None
    assert got.properties.parameters["environmentName"] == {"type": "String", "value": "cluster1"}
    top = list(dc.deployment_operations.list_at_subscription_scope(rg))
    targets = [_target(o).resource_type for o in top]
    assert targets == ["Microsoft.Resources/resourceGroups", "Microsoft.Resources/deployments"]
    assert all(_props(o).provisioning_state == "Succeeded" for o in top)
    nested = list(dc.deployment_operations.list(rg, "kompox-cluster"))
    kinds = {_target(o).resource_type for o in nested}
    assert "Microsoft.ContainerService/managedClusters" in kinds
    assert "Microsoft.KeyVault/vaults" in kinds
    assert top[0].operation_id is not None
    one = dc.deployment_operations.get_at_subscription_scope(rg, top[0].operation_id)
    assert _target(one).id == group.id


def test_user_zones_empty_means_no_user_pool(
    clients: tuple[ArmClients, DeploymentsMgmtClient], unique_name: Any
) -> None:
    arm, dc = clients
    rg = unique_name("k4x")[:60]
    deployment = dc.deployments.begin_create_or_update_at_subscription_scope(
        rg, Deployment(body(rg, aksUserVmZones="", aksSystemVmZones="1,2"))
    ).result()
    assert deployment.properties is not None and deployment.properties.outputs is not None
    name = deployment.properties.outputs["AZURE_AKS_CLUSTER_NAME"]["value"]
    pools = arm.containers.managed_clusters.get(rg, name).agent_pool_profiles
    assert [(p.name, p.availability_zones) for p in pools] == [("npsystem", ["1", "2"])]


def test_invalid_template_is_refused_at_put(
    clients: tuple[ArmClients, DeploymentsMgmtClient], unique_name: Any
) -> None:
    _arm, dc = clients
    rg = unique_name("k4x")[:60]
    bad = body(rg)
    del bad["properties"]["parameters"]["environmentName"]
    with pytest.raises(HttpResponseError) as info:
        dc.deployments.begin_create_or_update_at_subscription_scope(rg, Deployment(bad))
    assert info.value.status_code == 400
    assert info.value.error is not None
    assert info.value.error.code == "InvalidTemplate"
    with pytest.raises(ResourceNotFoundError) as missing:
        dc.deployments.get_at_subscription_scope(rg)
    assert missing.value.error is not None
    assert missing.value.error.code == "DeploymentNotFound"


def test_failed_resource_fails_the_deployment_with_deployment_failed(
    clients: tuple[ArmClients, DeploymentsMgmtClient], unique_name: Any
) -> None:
    _arm, dc = clients
    rg = unique_name("k4x")[:60]
    template = {
        "$schema": SUBSCRIPTION_SCHEMAS[0],
        "contentVersion": "1.0.0.0",
        "resources": [
            {
                "type": "Microsoft.Authorization/roleAssignments",
                "apiVersion": "2022-04-01",
                "name": "not-a-guid",
                "properties": {
                    "roleDefinitionId": "/subscriptions/x/providers/Microsoft.Authorization/"
                    "roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c",
                    "principalId": "00000000-0000-0000-0000-000000000001",
                },
            }
        ],
    }
    request = body(rg, template)
    request["properties"]["parameters"] = {}
    poller = dc.deployments.begin_create_or_update_at_subscription_scope(rg, Deployment(request))
    with pytest.raises(HttpResponseError) as info:
        poller.result()
    assert info.value.error is not None
    assert info.value.error.code == "DeploymentFailed"
    assert info.value.error.details[0].code == "InvalidRoleAssignmentId"
    got = dc.deployments.get_at_subscription_scope(rg)
    assert got.properties is not None and got.properties.error is not None
    assert got.properties.provisioning_state == "Failed"
    assert got.properties.error.code == "DeploymentFailed"
    ops = list(dc.deployment_operations.list_at_subscription_scope(rg))
    assert [_props(o).provisioning_state for o in ops] == ["Failed"]
    status_message = _props(ops[0]).status_message
    assert status_message is not None
    assert status_message["error"]["code"] == "InvalidRoleAssignmentId"


def test_put_while_running_is_deployment_active_and_delete_keeps_resources(
    arm_factory: Any,
) -> None:
    with Emulator(speed=20.0) as emu:
        arm = arm_factory(emu, retry_total=0)
        dc = deployments_client(emu, arm, retry_total=0)
        rg = "k4x-slow_cls_cluster1_abc123"
        poller = dc.deployments.begin_create_or_update_at_subscription_scope(
            rg, Deployment(body(rg))
        )
        with pytest.raises(HttpResponseError) as info:
            dc.deployments.begin_create_or_update_at_subscription_scope(rg, Deployment(body(rg)))
        assert info.value.status_code == 409
        assert info.value.error is not None
        assert info.value.error.code == "DeploymentActive"
        poller.result()
        names = [d.name for d in dc.deployments.list_at_subscription_scope()]
        assert rg in names
        dc.deployments.begin_delete_at_subscription_scope(rg).result()
        assert not dc.deployments.check_existence_at_subscription_scope(rg)
        # the deployment record goes; what it deployed stays (ARM semantics)
        assert arm.resources.resource_groups.check_existence(rg)
        dc.close()


def test_redeploy_keeps_the_cluster_and_its_identity(
    clients: tuple[ArmClients, DeploymentsMgmtClient], unique_name: Any
) -> None:
    _arm, dc = clients
    rg = unique_name("k4x")[:60]
    first = dc.deployments.begin_create_or_update_at_subscription_scope(
        rg, Deployment(body(rg))
    ).result()
    again = copy.deepcopy(body(rg))
    second = dc.deployments.begin_create_or_update_at_subscription_scope(
        rg, Deployment(again)
    ).result()
    keys = ("AZURE_AKS_CLUSTER_NAME", "AZURE_AKS_CLUSTER_PRINCIPAL_ID")
    assert first.properties is not None and first.properties.outputs is not None
    assert second.properties is not None and second.properties.outputs is not None
    assert [first.properties.outputs[k] for k in keys] == [
        second.properties.outputs[k] for k in keys
    ]
