"""Deployment Stacks through the real DeploymentStacksClient (api-version 2025-07-01) over TLS."""

from __future__ import annotations

import copy
import itertools
import time
from collections.abc import Iterator
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ODataV4Format, ResourceNotFoundError

from kompox_tui.emulator import Emulator
from kompox_tui.emulator.template import RESOURCE_GROUP_SCHEMAS, SUBSCRIPTION_SCHEMAS
from kompox_tui.emulator.testing import ArmClients

_ids = itertools.count(1)


class Clients(ArmClients):
    """The shared SDK clients, with retries off so injected errors surface at once."""

    def __init__(self, emu: Emulator) -> None:
        super().__init__(emu, retry_total=0)


@pytest.fixture(scope="module")
def clients(emulator: Emulator) -> Iterator[Clients]:
    c = Clients(emulator)
    yield c
    c.close()


def unique(prefix: str) -> str:
    return f"{prefix}{next(_ids)}x{int(time.time() * 1000) % 100000}"


# --- a small template exercising the supported functions ----------------------------------


def module_template() -> dict[str, Any]:
    """Inner (resource-group) template: a vault, an identity + credential, a registry with
    a role assignment scoped to it, and outputs using reference()."""
    return {
        "$schema": RESOURCE_GROUP_SCHEMAS[0],
        "contentVersion": "1.0.0.0",
        "parameters": {
            "token": {"type": "string"},
            "tags": {"type": "object", "defaultValue": {}},
            "principalId": {"type": "string"},
            "location": {"type": "string", "defaultValue": "[resourceGroup().location]"},
            "maps": {"type": "array", "defaultValue": []},
        },
        "variables": {
            "kvName": "[format('kv-{0}', parameters('token'))]",
            "crName": "[concat('cr', replace(parameters('token'), '-', ''))]",
            "idName": "[toLower(concat('ID-', parameters('token')))]",
            "acrPull": "[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', "
            "'7f951dda-4ed3-4680-a7ca-43fe172d538d')]",
        },
        "resources": [
            {
                "copy": {"name": "scopeMaps", "count": "[length(parameters('maps'))]"},
                "type": "Microsoft.ContainerRegistry/registries/scopeMaps",
                "apiVersion": "2023-11-01-preview",
                "name": "[format('{0}/{1}', variables('crName'), parameters('maps')[copyIndex()])]",
                "dependsOn": [
                    "[resourceId('Microsoft.ContainerRegistry/registries', variables('crName'))]"
                ],
            },
            {
                "type": "Microsoft.Authorization/roleAssignments",
                "apiVersion": "2022-04-01",
                "scope": "[format('Microsoft.ContainerRegistry/registries/{0}', "
                "variables('crName'))]",
                "name": "[guid(subscription().id, resourceGroup().id, "
                "parameters('principalId'), variables('acrPull'))]",
                "properties": {
                    "roleDefinitionId": "[variables('acrPull')]",
                    "principalId": "[reference(resourceId("
                    "'Microsoft.ManagedIdentity/userAssignedIdentities', variables('idName')), "
                    "'2023-01-31').principalId]",
                    "principalType": "ServicePrincipal",
                },
                "dependsOn": [
                    "[resourceId('Microsoft.ContainerRegistry/registries', variables('crName'))]",
                    "[resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', "
                    "variables('idName'))]",
                ],
            },
            {
                "type": "Microsoft.ContainerRegistry/registries",
                "apiVersion": "2023-11-01-preview",
                "name": "[variables('crName')]",
                "location": "[parameters('location')]",
                "tags": "[parameters('tags')]",
                "sku": {"name": "Basic"},
                "properties": {"adminUserEnabled": "[not(true())]"},
                "dependsOn": [
                    "[resourceId('Microsoft.KeyVault/vaults', variables('kvName'))]",
                ],
            },
            {
                "type": "Microsoft.KeyVault/vaults",
                "apiVersion": "2022-07-01",
                "name": "[variables('kvName')]",
                "location": "[parameters('location')]",
                "tags": "[parameters('tags')]",
                "properties": {
                    "tenantId": "[subscription().tenantId]",
                    "sku": {"family": "A", "name": "standard"},
                    "accessPolicies": "[if(not(empty(parameters('principalId'))), "
                    "createArray(createObject('objectId', parameters('principalId'), "
                    "'tenantId', tenant().tenantId, 'permissions', "
                    "createObject('secrets', createArray('get', 'list')))), createArray())]",
                },
            },
            {
                "type": "Microsoft.ManagedIdentity/userAssignedIdentities",
                "apiVersion": "2023-01-31",
                "name": "[variables('idName')]",
                "location": "[parameters('location')]",
            },
            {
                "type": "Microsoft.ManagedIdentity/userAssignedIdentities/"
                "federatedIdentityCredentials",
                "apiVersion": "2023-01-31",
                "name": "[format('{0}/{1}', variables('idName'), 'fic-ingress')]",
                "properties": {
                    "issuer": "https://issuer.example/",
                    "subject": "system:serviceaccount:traefik:traefik",
                    "audiences": ["api://AzureADTokenExchange"],
                },
                "dependsOn": [
                    "[resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', "
                    "variables('idName'))]"
                ],
            },
        ],
        "outputs": {
            "vaultUri": {
                "type": "string",
                "value": "[reference(resourceId('Microsoft.KeyVault/vaults', "
                "variables('kvName')), '2022-07-01').vaultUri]",
            },
            "loginServer": {
                "type": "string",
                "value": "[reference(resourceId('Microsoft.ContainerRegistry/registries', "
                "variables('crName')), '2023-11-01-preview', 'full').properties.loginServer]",
            },
            "clientId": {
                "type": "string",
                "value": "[reference(resourceId("
                "'Microsoft.ManagedIdentity/userAssignedIdentities', variables('idName')), "
                "'2023-01-31').clientId]",
            },
            "crName": {"type": "string", "value": "[variables('crName')]"},
        },
    }


def stack_template() -> dict[str, Any]:
    rg_name = (
        "[if(not(empty(parameters('resourceGroupName'))), parameters('resourceGroupName'), "
        "format('rg-{0}', parameters('environmentName')))]"
    )
    rg_id = f"[subscriptionResourceId('Microsoft.Resources/resourceGroups', {rg_name[1:-1]})]"
    module_id = (
        "[extensionResourceId(format('/subscriptions/{0}/resourceGroups/{1}', "
        f"subscription().subscriptionId, {rg_name[1:-1]}), "
        "'Microsoft.Resources/deployments', 'app')]"
    )
    return {
        "$schema": SUBSCRIPTION_SCHEMAS[0],
        "contentVersion": "1.0.0.0",
        "parameters": {
            "environmentName": {"type": "string", "minLength": 1, "maxLength": 64},
            "location": {"type": "string", "allowedValues": ["japaneast", "eastus"]},
            "resourceGroupName": {"type": "string", "defaultValue": ""},
            "principalId": {"type": "string", "defaultValue": "[deployer().objectId]"},
            "replicas": {"type": "int", "defaultValue": 2, "minValue": 1, "maxValue": 5},
            "enabled": {"type": "bool", "defaultValue": True},
        },
        "variables": {
            "tags": {"azd-env-name": "[parameters('environmentName')]"},
            "token": "[toLower(uniqueString(subscription().id, parameters('environmentName'), "
            "parameters('location')))]",
        },
        "resources": [
            {
                "type": "Microsoft.Resources/deployments",
                "apiVersion": "2022-09-01",
                "name": "app",
                "resourceGroup": rg_name,
                "properties": {
                    "expressionEvaluationOptions": {"scope": "inner"},
                    "mode": "Incremental",
                    "parameters": {
                        "token": {"value": "[take(variables('token'), 8)]"},
                        "tags": {"value": "[union(variables('tags'), createObject('x', 'y'))]"},
                        "principalId": {"value": "[parameters('principalId')]"},
                        "maps": {"value": "[createArray('pull', 'push')]"},
                    },
                    "template": module_template(),
                },
                "dependsOn": [rg_id],
            },
            {
                "type": "Microsoft.Resources/resourceGroups",
                "apiVersion": "2021-04-01",
                "name": rg_name,
                "location": "[parameters('location')]",
                "tags": "[variables('tags')]",
            },
        ],
        "outputs": {
            "AZURE_LOCATION": {"type": "string", "value": "[parameters('location')]"},
            "AZURE_TENANT_ID": {"type": "string", "value": "[tenant().tenantId]"},
            "AZURE_SUBSCRIPTION_ID": {
                "type": "string",
                "value": "[subscription().subscriptionId]",
            },
            "AZURE_RESOURCE_GROUP_NAME": {"type": "string", "value": rg_name},
            "VAULT_URI": {
                "type": "string",
                "value": f"[reference({module_id[1:-1]}, '2022-09-01').outputs.vaultUri.value]",
            },
            "LOGIN_SERVER": {
                "type": "string",
                "value": f"[reference({module_id[1:-1]}, '2022-09-01').outputs.loginServer.value]",
            },
            "CLIENT_ID": {
                "type": "string",
                "value": "[reference('app').outputs.clientId.value]",
            },
            "REPLICAS": {"type": "int", "value": "[parameters('replicas')]"},
            "FLAGS": {
                "type": "object",
                "value": "[createObject('enabled', and(parameters('enabled'), "
                "or(equals(length(variables('token')), 13), false())), 'sub', "
                "substring(subscription().subscriptionId, 0, 8))]",
            },
            "DEPLOYER": {"type": "string", "value": "[parameters('principalId')]"},
        },
    }


def stack_body(
    template: dict[str, Any], parameters: dict[str, Any], **props: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "location": "japaneast",
        "tags": {"kompox-cluster": "svc/prov/c1", "managed-by": "kompox"},
        "properties": {
            "template": template,
            "parameters": {k: {"value": v} for k, v in parameters.items()},
            "actionOnUnmanage": {
                "resources": "detach",
                "resourceGroups": "detach",
                "managementGroups": "detach",
            },
            "denySettings": {"mode": "none"},
        },
    }
    body["properties"].update(props)
    return body


def create(clients: Clients, name: str, body: dict[str, Any]) -> Any:
    poller = clients.stacks.deployment_stacks.begin_create_or_update_at_subscription(name, body)
    return poller.result()


def first_detail(error: ODataV4Format) -> str:
    """The message of the first nested detail, where Azure puts the cause."""
    assert error.details, "the error carries no details"
    message = error.details[0].message
    assert message is not None
    return message


def error_chain(error: Any) -> list[str]:
    codes = []
    while error is not None:
        codes.append(error.code)
        error = error.details[0] if error.details else None
    return codes


# --- tests -----------------------------------------------------------------------------------


def test_stack_deploys_template_and_reports_outputs_and_resources(clients: Clients) -> None:
    env = unique("env")
    name = unique("st-")
    stack = create(
        clients, name, stack_body(stack_template(), {"environmentName": env, "location": "eastus"})
    )
    props = stack.properties
    assert props.provisioning_state == "succeeded"
    assert stack.tags == {"kompox-cluster": "svc/prov/c1", "managed-by": "kompox"}
    sub = clients.emu.subscription_id
    outputs = {k: v["value"] for k, v in props.outputs.items()}
    assert {k: v["type"] for k, v in props.outputs.items()}["REPLICAS"] == "Int"
    assert outputs["AZURE_LOCATION"] == "eastus"
    assert outputs["AZURE_TENANT_ID"] == clients.emu.tenant_id
    assert outputs["AZURE_SUBSCRIPTION_ID"] == sub
    assert outputs["AZURE_RESOURCE_GROUP_NAME"] == f"rg-{env}"
    assert outputs["REPLICAS"] == 2
    assert outputs["FLAGS"] == {"enabled": True, "sub": sub[:8]}
    assert outputs["DEPLOYER"]  # deployer().objectId of the calling principal
    crname = outputs["LOGIN_SERVER"].split(".")[0]
    assert outputs["LOGIN_SERVER"] == f"{crname}.azurecr.io"
    assert outputs["VAULT_URI"].startswith("https://kv-") and outputs["VAULT_URI"].endswith(
        ".vault.azure.net/"
    )

    rg = f"/subscriptions/{sub}/resourceGroups/rg-{env}"
    ids = [r.id for r in props.resources]
    assert all(r.status == "managed" and r.deny_status == "none" for r in props.resources)
    # dependsOn order: the group first (declared last), vault before registry, registry
    # and identity before the role assignment, registry before its scope maps
    assert ids[0] == rg
    pos = {rid.rsplit("/", 1)[-1]: i for i, rid in enumerate(ids)}
    kv_name = outputs["VAULT_URI"].split("//")[1].split(".")[0]
    assert pos[kv_name] < pos[crname] < pos["pull"] < pos["push"]
    role = [rid for rid in ids if "/roleAssignments/" in rid]
    assert len(role) == 1
    assert role[0].startswith(
        f"{rg}/providers/Microsoft.ContainerRegistry/registries/{crname}/providers/"
        "Microsoft.Authorization/roleAssignments/"
    )
    assert pos[role[0].rsplit("/", 1)[-1]] > pos[crname]
    assert not any("/deployments/" in rid for rid in ids)
    assert props.deployment_id.startswith(
        f"/subscriptions/{sub}/providers/Microsoft.Resources/deployments/{name}-"
    )
    assert props.duration.startswith("PT")

    # the resources are readable with GET (generic route) and carry runtime properties
    ra = clients.resources.resources.get_by_id(role[0], api_version="2022-04-01")
    assert ra.properties is not None
    assert ra.properties["principalId"]
    assert ra.properties["roleDefinitionId"].endswith("7f951dda-4ed3-4680-a7ca-43fe172d538d")
    ident = clients.resources.resources.get_by_id(
        next(rid for rid in ids if rid.endswith("fic-ingress")).rsplit("/", 2)[0],
        api_version="2023-01-31",
    )
    assert ident.properties is not None
    assert ident.properties["clientId"] == outputs["CLIENT_ID"]
    group = clients.resources.resource_groups.get(f"rg-{env}")
    assert group.location == "eastus" and group.tags == {"azd-env-name": env}

    fetched = clients.stacks.deployment_stacks.get_at_subscription(name)
    assert fetched.properties is not None
    assert fetched.properties.template is None
    assert "template" not in fetched.as_dict()["properties"]
    assert fetched.properties.outputs == props.outputs
    exported = clients.stacks.deployment_stacks.export_template_at_subscription(name)
    assert exported.template == stack_template()
    names = [s.name for s in clients.stacks.deployment_stacks.list_at_subscription()]
    assert name in names

    clients.stacks.deployment_stacks.begin_delete_at_subscription(
        name, unmanage_action_resources="delete", unmanage_action_resource_groups="delete"
    ).result()
    with pytest.raises(ResourceNotFoundError):
        clients.stacks.deployment_stacks.get_at_subscription(name)
    assert not clients.resources.resource_groups.check_existence(f"rg-{env}")


def test_delete_with_detach_leaves_resource_group_and_resources(clients: Clients) -> None:
    env = unique("env")
    name = unique("st-")
    stack = create(
        clients,
        name,
        stack_body(stack_template(), {"environmentName": env, "location": "japaneast"}),
    )
    vault_id = next(r.id for r in stack.properties.resources if "/vaults/" in r.id)
    clients.stacks.deployment_stacks.begin_delete_at_subscription(
        name, unmanage_action_resources="detach", unmanage_action_resource_groups="detach"
    ).result()
    with pytest.raises(ResourceNotFoundError):
        clients.stacks.deployment_stacks.get_at_subscription(name)
    assert clients.resources.resource_groups.check_existence(f"rg-{env}")
    assert clients.resources.resources.get_by_id(vault_id, api_version="2022-07-01").id == vault_id
    clients.resources.resource_groups.begin_delete(f"rg-{env}").result()


def test_delete_resources_but_detach_group_keeps_an_empty_group(clients: Clients) -> None:
    env = unique("env")
    name = unique("st-")
    stack = create(
        clients,
        name,
        stack_body(stack_template(), {"environmentName": env, "location": "japaneast"}),
    )
    vault_id = next(r.id for r in stack.properties.resources if "/vaults/" in r.id)
    clients.stacks.deployment_stacks.begin_delete_at_subscription(
        name, unmanage_action_resources="delete", unmanage_action_resource_groups="detach"
    ).result()
    assert clients.resources.resource_groups.check_existence(f"rg-{env}")
    with pytest.raises(ResourceNotFoundError) as info:
        clients.resources.resources.get_by_id(vault_id, api_version="2022-07-01")
    assert info.value.error is not None and info.value.error.code == "ResourceNotFound"


def test_deleting_a_missing_stack_succeeds(clients: Clients) -> None:
    clients.stacks.deployment_stacks.begin_delete_at_subscription(unique("nope-")).result()


def test_get_of_a_missing_stack_is_not_found(clients: Clients) -> None:
    with pytest.raises(ResourceNotFoundError):
        clients.stacks.deployment_stacks.get_at_subscription(unique("nope-"))


def test_generic_get_distinguishes_missing_group_and_missing_resource(clients: Clients) -> None:
    sub = clients.emu.subscription_id
    with pytest.raises(ResourceNotFoundError) as info:
        clients.resources.resources.get_by_id(
            f"/subscriptions/{sub}/resourceGroups/{unique('nogroup')}/providers/"
            "Microsoft.KeyVault/vaults/kv",
            api_version="2022-07-01",
        )
    assert info.value.error is not None and info.value.error.code == "ResourceGroupNotFound"


@pytest.mark.parametrize(
    ("parameters", "fragment"),
    [
        ({"location": "japaneast"}, "'environmentName' at line '1' and column '1' is not provided"),
        (
            {"environmentName": "e", "location": "mars"},
            "The provided value 'mars' for the template parameter 'location'",
        ),
        (
            {"environmentName": "e", "location": "eastus", "bogus": 1},
            "The template parameters 'bogus' in the parameters file are not valid",
        ),
        (
            {"environmentName": "e", "location": "eastus", "replicas": 9},
            "less than or equal to '5'",
        ),
        ({"environmentName": "", "location": "eastus"}, "greater than or equal to '1'"),
    ],
    ids=["missing", "allowed-values", "unknown", "max-value", "min-length"],
)
def test_parameter_validation_failures_surface_through_the_poller(
    clients: Clients, parameters: dict[str, Any], fragment: str
) -> None:
    name = unique("bad-")
    with pytest.raises(HttpResponseError) as info:
        create(clients, name, stack_body(stack_template(), parameters))
    err = info.value.error
    assert err is not None
    assert error_chain(err) == ["DeploymentStackUpdateFailed", "InvalidTemplate"]
    assert fragment in first_detail(err)
    stack = clients.stacks.deployment_stacks.get_at_subscription(name)
    assert stack.properties is not None
    assert stack.properties.provisioning_state == "failed"
    assert stack.properties.error is not None
    assert stack.properties.error.code == "DeploymentStackUpdateFailed"
    assert stack.properties.resources == []


def test_unknown_function_fails_naming_the_function(clients: Clients) -> None:
    template = stack_template()
    template["resources"][0]["properties"]["template"]["resources"][3]["properties"]["x"] = (
        "[frobnicate(parameters('token'))]"
    )
    with pytest.raises(HttpResponseError) as info:
        create(
            clients,
            unique("bad-"),
            stack_body(template, {"environmentName": unique("e"), "location": "eastus"}),
        )
    err = info.value.error
    assert err is not None
    assert error_chain(err) == ["DeploymentStackUpdateFailed", "InvalidTemplate"]
    assert "The template function 'frobnicate'" in first_detail(err)
    assert "resources[0].properties.template.resources[3].properties.x" in first_detail(err)


def test_wrong_schema_fails_validation(clients: Clients) -> None:
    template = stack_template()
    template["$schema"] = RESOURCE_GROUP_SCHEMAS[0]
    with pytest.raises(HttpResponseError) as info:
        create(
            clients,
            unique("bad-"),
            stack_body(template, {"environmentName": "e", "location": "japaneast"}),
        )
    assert info.value.error is not None
    assert error_chain(info.value.error)[-1] == "InvalidTemplate"


def test_resource_failure_is_wrapped_like_azure(clients: Clients) -> None:
    # a nested deployment into a group the template never creates
    template = stack_template()
    template["resources"][0]["dependsOn"] = []
    template["resources"][0]["resourceGroup"] = unique("missing-rg")
    template["resources"].pop(1)
    name = unique("fail-")
    with pytest.raises(HttpResponseError) as info:
        create(
            clients,
            name,
            stack_body(template, {"environmentName": unique("e"), "location": "eastus"}),
        )
    assert info.value.error is not None
    assert error_chain(info.value.error) == [
        "DeploymentStackUpdateFailed",
        "DeploymentStackDeploymentFailed",
        "DeploymentFailed",
        "ResourceGroupNotFound",
    ]
    stack = clients.stacks.deployment_stacks.get_at_subscription(name)
    assert stack.properties is not None
    assert stack.properties.provisioning_state == "failed"
    assert error_chain(stack.properties.error)[1] == "DeploymentStackDeploymentFailed"


def test_injected_lro_failure_fails_the_stack(fresh_emulator: Emulator) -> None:
    c = Clients(fresh_emulator)
    try:
        fresh_emulator.add_fault(
            "PUT", r"/deploymentStacks/", lro_error=("QuotaExceeded", "Quota exceeded.")
        )
        with pytest.raises(HttpResponseError) as info:
            create(
                c,
                "faulty",
                stack_body(stack_template(), {"environmentName": "e", "location": "japaneast"}),
            )
        assert info.value.error is not None
        assert error_chain(info.value.error) == [
            "DeploymentStackUpdateFailed",
            "DeploymentStackDeploymentFailed",
            "DeploymentFailed",
            "QuotaExceeded",
        ]
        fresh_emulator.clear_faults()
        # a re-PUT of the failed stack redeploys it
        stack = create(
            c,
            "faulty",
            stack_body(stack_template(), {"environmentName": "e", "location": "japaneast"}),
        )
        assert stack.properties.provisioning_state == "succeeded"
        assert stack.properties.error is None
    finally:
        c.close()


def test_redeploy_unmanages_resources_no_longer_in_the_template(clients: Clients) -> None:
    env = unique("env")
    name = unique("st-")
    params = {"environmentName": env, "location": "japaneast"}
    first = create(clients, name, stack_body(stack_template(), params))
    first_ids = {r.id for r in first.properties.resources}
    template = stack_template()
    module = template["resources"][0]["properties"]["template"]
    module["resources"] = [r for r in module["resources"] if "scopeMaps" not in r["type"]]
    action = {"resources": "delete", "resourceGroups": "detach", "managementGroups": "detach"}
    second = create(clients, name, stack_body(template, params, actionOnUnmanage=action))
    second_ids = {r.id for r in second.properties.resources}
    gone = first_ids - second_ids
    assert {g.rsplit("/", 1)[-1] for g in gone} == {"pull", "push"}
    assert {r.id for r in second.properties.deleted_resources} == gone
    for rid in gone:
        with pytest.raises(ResourceNotFoundError):
            clients.resources.resources.get_by_id(rid, api_version="2023-11-01-preview")


def test_stack_moves_through_states_and_lists_resources_as_they_are_created() -> None:
    with Emulator(speed=20.0) as emu:
        c = Clients(emu)
        try:
            poller = c.stacks.deployment_stacks.begin_create_or_update_at_subscription(
                "slow",
                stack_body(stack_template(), {"environmentName": "e", "location": "japaneast"}),
            )
            states: list[str] = []
            counts: list[int] = []
            while not poller.done():
                s = c.stacks.deployment_stacks.get_at_subscription("slow")
                states.append(s.as_dict()["properties"]["provisioningState"])
                assert s.properties is not None
                counts.append(len(s.properties.resources or []))
                time.sleep(0.005)
            stack = poller.result()
            assert stack.properties is not None and stack.properties.resources is not None
            assert stack.properties.provisioning_state == "succeeded"
            seen = list(dict.fromkeys(states))
            assert "deploying" in seen
            lifecycle = ["initializing", "validating", "deploying", "succeeded"]
            assert seen == [state for state in lifecycle if state in seen]
            # resources appeared one after another while deploying
            final = len(stack.properties.resources)
            assert any(0 < n < final for n in counts)
            assert counts == sorted(counts)
            # a second PUT while a deployment runs is refused
            c.stacks.deployment_stacks.begin_create_or_update_at_subscription(
                "slow",
                stack_body(stack_template(), {"environmentName": "e", "location": "japaneast"}),
            )
            with pytest.raises(HttpResponseError) as info:
                c.stacks.deployment_stacks.begin_create_or_update_at_subscription(
                    "slow",
                    stack_body(stack_template(), {"environmentName": "e", "location": "japaneast"}),
                )
            assert info.value.status_code == 409
        finally:
            c.close()


def test_stack_tags_round_trip_and_list_pages(fresh_emulator: Emulator) -> None:
    fresh_emulator.ctx.page_size = 2
    c = Clients(fresh_emulator)
    try:
        template = copy.deepcopy(stack_template())
        template["resources"] = []
        template["outputs"] = {}
        for i in range(5):
            body = stack_body(template, {"environmentName": f"e{i}", "location": "eastus"})
            body["tags"] = {"n": str(i)}
            create(c, f"st{i}", body)
        stacks = list(c.stacks.deployment_stacks.list_at_subscription())
        assert sorted(str(s.name) for s in stacks) == [f"st{i}" for i in range(5)]
        assert {s.name: s.tags for s in stacks}["st3"] == {"n": "3"}
    finally:
        c.close()


def test_secure_parameters_are_not_returned_and_deployment_id_resolves(clients: Clients) -> None:
    template = {
        "$schema": SUBSCRIPTION_SCHEMAS[0],
        "contentVersion": "1.0.0.0",
        "parameters": {
            "secret": {"type": "securestring"},
            "plain": {"type": "string"},
        },
        "resources": [],
        "outputs": {"len": {"type": "int", "value": "[length(parameters('secret'))]"}},
    }
    name = unique("sec-")
    body = stack_body(template, {"secret": "hunter2-value", "plain": "visible"})
    stack = create(clients, name, body)
    shown = stack.as_dict()["properties"]["parameters"]
    assert shown["plain"] == {"value": "visible"}
    assert "hunter2-value" not in str(shown)
    deployment = clients.resources.resources.get_by_id(
        stack.properties.deployment_id, api_version="2025-04-01"
    )
    assert deployment.properties is not None
    assert deployment.properties["outputs"] == {"len": {"type": "Int", "value": 13}}


def test_stack_left_mid_operation_by_a_restart_ends_failed_and_can_redeploy(
    fresh_emulator: Emulator,
) -> None:
    from kompox_tui.emulator.stacks import STACKS_NS

    c = Clients(fresh_emulator)
    try:
        template = copy.deepcopy(stack_template())
        template["resources"], template["outputs"] = [], {}
        params = {"environmentName": "e", "location": "eastus"}
        stack = create(c, "restarted", stack_body(template, params))
        # what a state file saved mid-deployment looks like after a restart
        record = fresh_emulator.ctx.store.get(STACKS_NS, stack.id)
        assert record is not None
        record["properties"]["provisioningState"] = "deploying"
        fresh_emulator.ctx.store.put(STACKS_NS, stack.id, record)
        fetched = c.stacks.deployment_stacks.get_at_subscription("restarted")
        assert fetched.properties is not None
        assert fetched.properties.provisioning_state == "failed"
        assert error_chain(fetched.properties.error)[-1] == "DeploymentStackInterrupted"
        again = create(c, "restarted", stack_body(template, params))
        assert again.properties.provisioning_state == "succeeded"
    finally:
        c.close()


def test_failed_stack_lists_the_failed_resource_with_its_error(fresh_emulator: Emulator) -> None:
    c = Clients(fresh_emulator)
    try:
        fresh_emulator.add_fault(
            "PUT", r"/deploymentStacks/", lro_error=("QuotaExceeded", "Quota exceeded.")
        )
        with pytest.raises(HttpResponseError):
            create(
                c,
                "faulty",
                stack_body(stack_template(), {"environmentName": "e", "location": "japaneast"}),
            )
        stack = c.stacks.deployment_stacks.get_at_subscription("faulty")
        assert stack.properties is not None and stack.properties.failed_resources is not None
        (failed,) = stack.properties.failed_resources
        assert failed.id is not None and failed.error is not None
        assert failed.id.lower().endswith("/resourcegroups/rg-e")  # the first resource
        assert failed.error.code == "QuotaExceeded"
        assert failed.error.message == "Quota exceeded."
        assert stack.properties.resources == []  # the failed resource was not created
        fresh_emulator.clear_faults()
        redeployed = create(
            c,
            "faulty",
            stack_body(stack_template(), {"environmentName": "e", "location": "japaneast"}),
        )
        assert redeployed.properties.failed_resources == []
    finally:
        c.close()
