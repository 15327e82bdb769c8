"""The embedded ARM template (main.json): schema, parameters, outputs, types, roles, tags."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kompox_tui.azure import cluster
from kompox_tui.azure.cluster import OUTPUTS_READ, PARAMETERS_PASSED, load_template

SUBSCRIPTION_SCHEMA = (
    "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#"
)
RG_SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"

#: Resource types and the documented apiVersions the template may use.
DOCUMENTED_API_VERSIONS = {
    "Microsoft.Resources/resourceGroups": "2021-04-01",
    "Microsoft.Resources/deployments": "2022-09-01",
    "Microsoft.KeyVault/vaults": "2022-07-01",
    "Microsoft.OperationalInsights/workspaces": "2021-12-01-preview",
    "Microsoft.Insights/components": "2020-02-02",
    "Microsoft.ContainerRegistry/registries": "2023-11-01-preview",
    "Microsoft.Insights/diagnosticSettings": "2021-05-01-preview",
    "Microsoft.ManagedIdentity/userAssignedIdentities": "2025-01-31-preview",
    "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials": (
        "2025-01-31-preview"
    ),
    "Microsoft.ContainerService/managedClusters": "2025-05-01",
    "Microsoft.Authorization/roleAssignments": "2022-04-01",
}

#: Proxy/extension resources that have no tags in their ARM schema.
UNTAGGABLE = {
    "Microsoft.Resources/deployments",
    "Microsoft.Insights/diagnosticSettings",
    "Microsoft.Authorization/roleAssignments",
    "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials",
}

ROLE_AKS_RBAC_CLUSTER_ADMIN = "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b"
ROLE_ACR_PULL = "7f951dda-4ed3-4680-a7ca-43fe172d538d"
ROLE_KV_SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6"
ROLE_KV_CERTIFICATE_USER = "db79e9a7-68ee-4b58-9aeb-b90e7c24fcba"


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


def _nested(template: dict[str, Any]) -> dict[str, Any]:
    deployments = [
        r for r in template["resources"] if r["type"] == "Microsoft.Resources/deployments"
    ]
    assert len(deployments) == 1, "exactly one nested deployment"
    return deployments[0]


def _all_resources(template: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for res in template.get("resources", []):
        yield res
        inner = (res.get("properties") or {}).get("template")
        if inner:
            yield from _all_resources(inner)


def test_template_is_package_data_next_to_the_driver() -> None:
    path = Path(cluster.__file__).with_name("main.json")
    assert json.loads(path.read_text(encoding="utf-8")) == load_template()


def test_schema_is_subscription_scope(template: dict[str, Any]) -> None:
    assert template["$schema"] == SUBSCRIPTION_SCHEMA
    nested = _nested(template)
    assert nested["properties"]["template"]["$schema"] == RG_SCHEMA
    assert nested["properties"]["expressionEvaluationOptions"] == {"scope": "inner"}
    assert nested["resourceGroup"] == "[variables('resourceGroupName')]"


def test_every_parameter_the_driver_passes_exists(template: dict[str, Any]) -> None:
    params = template["parameters"]
    for name in PARAMETERS_PASSED:
        assert name in params, name
    assert params["environmentName"]["minLength"] == 1
    assert params["environmentName"]["maxLength"] == 64
    assert params["resourceGroupName"]["maxLength"] == 80
    assert params["kubernetesVersion"]["defaultValue"] == "1.29"
    assert params["systemPoolPreset"]["allowedValues"] == ["CostOptimised", "Standard", "HighSpec"]
    assert params["systemPoolPreset"]["defaultValue"] == "CostOptimised"
    assert params["tags"]["type"] == "object"
    assert params["ingressNamespace"]["defaultValue"] == "traefik"
    assert params["ingressServiceAccount"]["defaultValue"] == "traefik"
    assert params["principalId"]["defaultValue"] == "[deployer().objectId]"
    # Only principalId (and the defaulted ones) may be left out by the driver.
    required = {k for k, v in params.items() if "defaultValue" not in v}
    assert required <= set(PARAMETERS_PASSED)


def test_driver_parameters_match_the_template(template: dict[str, Any]) -> None:
    from kompox_tui.model import App, Cluster, Config, Ingress, Provider, Service, Settings

    config = Config(
        path=Path("kompoxops.yml"),
        version="v1",
        service=Service("svc"),
        provider=Provider("aks1", "aks", Settings({"AZURE_LOCATION": "japaneast"})),
        cluster=Cluster("c1", ingress=Ingress(namespace="ing", service_account="sa")),
        app=App("app1"),
    )
    ops = cluster.ClusterOps(config, None, lambda e: None, lambda op: None)  # type: ignore[arg-type]
    params = ops.template_parameters("rg-c1")
    assert set(params) == set(PARAMETERS_PASSED)
    assert set(params) <= set(template["parameters"])
    assert params["kubernetesVersion"] == {"value": "1.33"}
    assert params["ingressNamespace"] == {"value": "ing"}
    assert params["tags"]["value"] == {"kompox-cluster": "svc/aks1/c1", "managed-by": "kompox"}


def test_every_output_the_driver_reads_exists(template: dict[str, Any]) -> None:
    outputs = {k.upper() for k in template["outputs"]}
    for name in OUTPUTS_READ:
        assert name in outputs
    for name in (
        "AZURE_LOCATION",
        "AZURE_TENANT_ID",
        "AZURE_SUBSCRIPTION_ID",
        "AZURE_RESOURCE_GROUP_NAME",
        "AZURE_AKS_CLUSTER_NAME",
        "AZURE_AKS_OIDC_ISSUER_URL",
        "AZURE_CONTAINER_REGISTRY_ENDPOINT",
        "AZURE_CONTAINER_REGISTRY_NAME",
        "AZURE_INGRESS_SERVICE_ACCOUNT_CLIENT_ID",
    ):
        assert name in outputs, name
    inner_outputs = _nested(template)["properties"]["template"]["outputs"]
    for key, out in template["outputs"].items():
        for ref in re.findall(r"\.outputs\.(\w+)\.value", out["value"]):
            assert ref in inner_outputs, f"{key} reads missing inner output {ref}"


def test_resource_types_and_api_versions_are_documented(template: dict[str, Any]) -> None:
    types = set()
    for res in _all_resources(template):
        assert res["type"] in DOCUMENTED_API_VERSIONS, res["type"]
        assert res["apiVersion"] == DOCUMENTED_API_VERSIONS[res["type"]], res["type"]
        types.add(res["type"])
    assert types == set(DOCUMENTED_API_VERSIONS)


def test_every_taggable_resource_gets_the_tags_parameter(template: dict[str, Any]) -> None:
    for res in _all_resources(template):
        if res["type"] in UNTAGGABLE:
            assert "tags" not in res
        else:
            assert res.get("tags") == "[parameters('tags')]", res["type"]


def test_role_assignments(template: dict[str, Any]) -> None:
    roles = {}
    for res in _all_resources(template):
        if res["type"] == "Microsoft.Authorization/roleAssignments":
            guid = re.search(r"'([0-9a-f-]{36})'\)\]$", res["properties"]["roleDefinitionId"])
            assert guid, res["properties"]["roleDefinitionId"]
            assert (
                "subscriptionResourceId('Microsoft.Authorization/roleDefinitions'"
                in (res["properties"]["roleDefinitionId"])
            )
            roles[guid.group(1)] = res
    assert set(roles) == {
        ROLE_AKS_RBAC_CLUSTER_ADMIN,
        ROLE_ACR_PULL,
        ROLE_KV_SECRETS_USER,
        ROLE_KV_CERTIFICATE_USER,
    }
    assert roles[ROLE_AKS_RBAC_CLUSTER_ADMIN]["properties"]["principalId"] == (
        "[parameters('principalId')]"
    )
    assert "managedClusters" in roles[ROLE_AKS_RBAC_CLUSTER_ADMIN]["scope"]
    # AcrPull goes to the kubelet identity, not the cluster identity.
    acr = roles[ROLE_ACR_PULL]
    assert "identityProfile.kubeletidentity.objectId" in acr["properties"]["principalId"]
    assert "registries" in acr["scope"]
    for role in (ROLE_KV_SECRETS_USER, ROLE_KV_CERTIFICATE_USER):
        kv = roles[role]
        assert "'full').identity.principalId" in kv["properties"]["principalId"]
        assert "vaults" in kv["scope"]


def test_aks_cluster_settings(template: dict[str, Any]) -> None:
    aks = next(
        r
        for r in _all_resources(template)
        if r["type"] == "Microsoft.ContainerService/managedClusters"
    )
    props = aks["properties"]
    assert aks["identity"] == {"type": "SystemAssigned"}
    assert aks["sku"] == {"name": "Base", "tier": "Free"}
    assert props["kubernetesVersion"] == "[parameters('kubernetesVersion')]"
    assert props["networkProfile"]["networkPlugin"] == "azure"
    assert props["networkProfile"]["networkPolicy"] == "azure"
    addons = props["addonProfiles"]
    assert addons["azurepolicy"]["enabled"] is True
    assert addons["azureKeyvaultSecretsProvider"]["config"]["enableSecretRotation"] == "true"
    assert addons["omsagent"]["enabled"] is True
    assert props["ingressProfile"]["webAppRouting"]["enabled"] is True
    assert props["oidcIssuerProfile"]["enabled"] is True
    assert props["securityProfile"]["workloadIdentity"]["enabled"] is True


def test_system_pool_presets(template: dict[str, Any]) -> None:
    variables = _nested(template)["properties"]["template"]["variables"]
    assert variables["presetCostOptimised"] == {
        "vmSize": "Standard_B4ms",
        "count": 1,
        "minCount": 1,
        "maxCount": 3,
        "enableAutoScaling": True,
        "availabilityZones": [],
    }
    for key, size in (("presetStandard", "Standard_DS2_v2"), ("presetHighSpec", "Standard_D4s_v3")):
        assert variables[key]["vmSize"] == size
        assert (
            variables[key]["count"],
            variables[key]["minCount"],
            variables[key]["maxCount"],
        ) == (
            3,
            3,
            5,
        )
        assert variables[key]["availabilityZones"] == ["1", "2", "3"]


def test_federated_credential_subject_follows_the_ingress_parameters(
    template: dict[str, Any],
) -> None:
    fic = next(
        r for r in _all_resources(template) if r["type"].endswith("/federatedIdentityCredentials")
    )
    inner_vars = _nested(template)["properties"]["template"]["variables"]
    assert fic["properties"]["subject"] == "[variables('ingressSubject')]"
    assert "system:serviceaccount:{0}:{1}" in inner_vars["ingressSubject"]
    assert "parameters('ingressNamespace')" in inner_vars["ingressSubject"]
    assert "oidcIssuerProfile.issuerURL" in fic["properties"]["issuer"]
    assert fic["properties"]["audiences"] == ["api://AzureADTokenExchange"]
