"""Template validation and the deployment walk (pure: a dict-backed ResourceHost)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kompox_tui.emulator.arm import (
    RESOURCE_GROUP_SCHEMAS,
    SUBSCRIPTION_SCHEMAS,
    DeploymentScope,
    ResourceEvent,
    TemplateError,
    deploy,
    validate,
)

SUB = "00000000-0000-0000-0000-000000000000"
SCOPE = DeploymentScope(SUB, "tenant-1", "japaneast", "deployer-1", "top")
RG_ID = f"/subscriptions/{SUB}/resourceGroups/rg1"


class DictHost:
    """Stores what the engine creates; fails creating types listed in ``fail``."""

    def __init__(self, fail: dict[str, tuple[str, str]] | None = None) -> None:
        self.resources: dict[str, dict[str, Any]] = {}
        self.created: list[str] = []
        self.fail = fail or {}

    def create(
        self, resource_id: str, resource_type: str, api_version: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        if resource_type in self.fail:
            code, message = self.fail[resource_type]
            raise _Err(code, message)
        stored = copy.deepcopy(body)
        stored.setdefault("properties", {})
        if resource_type == "Microsoft.KeyVault/vaults":
            stored["properties"]["vaultUri"] = f"https://{body['name']}.vault.azure.net/"
        if resource_type == "Microsoft.ContainerService/managedClusters":
            stored["identity"] = {"type": "SystemAssigned", "principalId": "aks-principal"}
        self.resources[resource_id.lower()] = stored
        self.created.append(resource_id)
        return stored

    def get(self, resource_id: str) -> dict[str, Any] | None:
        return self.resources.get(resource_id.lower())


class _Err(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def sub_template(**kw: Any) -> dict[str, Any]:
    t: dict[str, Any] = {"$schema": SUBSCRIPTION_SCHEMAS[0], "contentVersion": "1.0.0.0"}
    t.update(kw)
    return t


def rg_resource(name: str = "rg1") -> dict[str, Any]:
    return {
        "type": "Microsoft.Resources/resourceGroups",
        "apiVersion": "2021-04-01",
        "name": name,
        "location": "japaneast",
    }


def nested(name: str, template: dict[str, Any], **kw: Any) -> dict[str, Any]:
    res: dict[str, Any] = {
        "type": "Microsoft.Resources/deployments",
        "apiVersion": "2022-09-01",
        "name": name,
        "resourceGroup": "rg1",
        "properties": {
            "expressionEvaluationOptions": {"scope": "inner"},
            "mode": "Incremental",
            "template": {"$schema": RESOURCE_GROUP_SCHEMAS[0], **template},
        },
        "dependsOn": ["[subscriptionResourceId('Microsoft.Resources/resourceGroups', 'rg1')]"],
    }
    res.update(kw)
    return res


def run(
    template: dict[str, Any], params: dict[str, Any] | None = None, host: DictHost | None = None
) -> tuple[Any, DictHost, list[ResourceEvent]]:
    host = host or DictHost()
    events: list[ResourceEvent] = []
    result = deploy(template, params, scope=SCOPE, host=host, on_resource=events.append)
    return result, host, events


# --- validation ------------------------------------------------------------------------------


def test_top_level_schema_must_be_the_subscription_schema() -> None:
    with pytest.raises(TemplateError) as info:
        validate({"$schema": RESOURCE_GROUP_SCHEMAS[0]}, None, scope=SCOPE)
    assert info.value.code == "InvalidTemplate"
    assert "subscriptionDeploymentTemplate" in info.value.message


def test_nested_template_must_use_the_resource_group_schema() -> None:
    inner = nested("n", {})
    inner["properties"]["template"]["$schema"] = SUBSCRIPTION_SCHEMAS[0]
    with pytest.raises(TemplateError, match="not supported for a resource group deployment"):
        run(sub_template(resources=[rg_resource(), inner]))


def test_missing_required_parameter_is_invalid_template() -> None:
    t = sub_template(parameters={"environmentName": {"type": "string"}})
    with pytest.raises(TemplateError) as info:
        validate(t, {}, scope=SCOPE)
    assert info.value.code == "InvalidTemplate"
    assert (
        "The value for the template parameter 'environmentName' at line '1' and column '1' is "
        "not provided" in info.value.message
    )


def test_unknown_parameter_is_rejected_naming_it() -> None:
    t = sub_template(parameters={"a": {"type": "string"}})
    with pytest.raises(TemplateError) as info:
        validate(t, {"a": {"value": "x"}, "bogus": {"value": 1}}, scope=SCOPE)
    assert "The template parameters 'bogus' in the parameters file are not valid" in (
        info.value.message
    )


def test_parameter_names_match_case_insensitively() -> None:
    t = sub_template(parameters={"Name": {"type": "string"}})
    validate(t, {"name": {"value": "x"}}, scope=SCOPE)


@pytest.mark.parametrize(
    ("decl", "value", "fragment"),
    [
        ({"type": "string", "allowedValues": ["a", "b"]}, "c", "not part of the allowed value"),
        ({"type": "string", "minLength": 2}, "x", "greater than or equal to '2'"),
        ({"type": "string", "maxLength": 2}, "xyz", "less than or equal to '2'"),
        ({"type": "int", "minValue": 1}, 0, "greater than or equal to '1'"),
        ({"type": "int", "maxValue": 1}, 2, "less than or equal to '1'"),
        ({"type": "int"}, "1", "Expected 'Integer'. Actual 'String'"),
        ({"type": "int"}, True, "Expected 'Integer'. Actual 'Boolean'"),
        ({"type": "bool"}, "true", "Expected 'Boolean'"),
        ({"type": "object"}, [], "Expected 'Object'"),
        ({"type": "array"}, {}, "Expected 'Array'"),
        ({"type": "securestring"}, 1, "Expected 'String, Uri'"),
        ({"type": "secureobject"}, "x", "Expected 'Object'"),
        ({"type": "array", "allowedValues": ["a", "b"]}, ["a", "z"], "'z'"),
    ],
)
def test_parameter_constraints(decl: dict[str, Any], value: Any, fragment: str) -> None:
    t = sub_template(parameters={"p": decl})
    with pytest.raises(TemplateError) as info:
        validate(t, {"p": {"value": value}}, scope=SCOPE)
    assert info.value.code == "InvalidTemplate"
    assert fragment in info.value.message


def test_unknown_parameter_type_is_rejected() -> None:
    with pytest.raises(TemplateError, match="invalid type 'float'"):
        validate(sub_template(parameters={"p": {"type": "float"}}), None, scope=SCOPE)


def test_parameter_defaults_may_use_other_parameters_and_deployer() -> None:
    t = sub_template(
        parameters={
            "a": {"type": "string"},
            "b": {"type": "string", "defaultValue": "[concat(parameters('a'), '-b')]"},
            "who": {"type": "string", "defaultValue": "[deployer().objectId]"},
            "stamp": {"type": "string", "defaultValue": "[utcNow('yyyy')]"},
        },
        outputs={
            "b": {"type": "string", "value": "[parameters('b')]"},
            "who": {"type": "string", "value": "[parameters('who')]"},
            "stamp": {"type": "int", "value": "[length(parameters('stamp'))]"},
        },
    )
    result, _, _ = run(t, {"a": {"value": "x"}})
    assert result.outputs == {
        "b": {"type": "String", "value": "x-b"},
        "who": {"type": "String", "value": "deployer-1"},
        "stamp": {"type": "Int", "value": 4},
    }


def test_unknown_function_fails_validation_naming_function_and_path() -> None:
    t = sub_template(
        resources=[
            rg_resource(),
            nested(
                "inner",
                {
                    "resources": [
                        {
                            "type": "Microsoft.KeyVault/vaults",
                            "apiVersion": "2022-07-01",
                            "name": "kv",
                            "properties": {"x": "[frobnicate('a')]"},
                        }
                    ]
                },
            ),
        ]
    )
    host = DictHost()
    with pytest.raises(TemplateError) as info:
        run(t, host=host)
    err = info.value
    assert err.code == "InvalidTemplate"
    assert "The template function 'frobnicate'" in err.message
    assert err.target == "resources[1].properties.template.resources[0].properties.x"
    assert host.created == []  # validation happens before anything is created


def test_malformed_expression_fails_validation() -> None:
    t = sub_template(outputs={"o": {"type": "string", "value": "[concat('a']"}})
    with pytest.raises(TemplateError, match=r"outputs\.o"):
        validate(t, None, scope=SCOPE)


def test_depends_on_an_undefined_resource_is_invalid() -> None:
    res = rg_resource()
    res["dependsOn"] = ["nothing"]
    with pytest.raises(TemplateError, match="The resource 'nothing' is not defined"):
        run(sub_template(resources=[res]))


def test_circular_dependencies_are_detected() -> None:
    a, b = rg_resource("a"), rg_resource("b")
    a["dependsOn"], b["dependsOn"] = ["b"], ["a"]
    with pytest.raises(TemplateError, match="Circular dependency"):
        run(sub_template(resources=[a, b]))


def test_resource_name_segments_must_match_the_type() -> None:
    inner = nested(
        "n",
        {"resources": [{"type": "Microsoft.A/b/c", "apiVersion": "1", "name": "only-one"}]},
    )
    with pytest.raises(TemplateError, match="incorrect segment lengths"):
        run(sub_template(resources=[rg_resource(), inner]))


# --- deployment walk ------------------------------------------------------------------------


def vault(name: str = "kv", **kw: Any) -> dict[str, Any]:
    res = {
        "type": "Microsoft.KeyVault/vaults",
        "apiVersion": "2022-07-01",
        "name": name,
        "location": "[resourceGroup().location]",
        "tags": "[parameters('tags')]",
        "properties": {"tenantId": "[subscription().tenantId]"},
    }
    res.update(kw)
    return res


KV_MODULE: dict[str, Any] = {
    "parameters": {
        "name": {"type": "string"},
        "tags": {"type": "object", "defaultValue": {}},
    },
    "resources": [vault("[parameters('name')]")],
    "outputs": {
        "uri": {
            "type": "string",
            "value": "[reference(resourceId('Microsoft.KeyVault/vaults', parameters('name')), "
            "'2022-07-01').vaultUri]",
        },
        "id": {
            "type": "string",
            "value": "[resourceId('Microsoft.KeyVault/vaults', parameters('name'))]",
        },
    },
}


def test_resources_are_created_in_depends_on_order_not_template_order() -> None:
    kv = nested("kvdeploy", KV_MODULE)
    kv["properties"]["parameters"] = {"name": {"value": "kv1"}, "tags": {"value": {"a": "b"}}}
    t = sub_template(
        resources=[kv, rg_resource()],
        outputs={
            "uri": {
                "type": "string",
                "value": "[reference(extensionResourceId(format('/subscriptions/{0}/"
                "resourceGroups/{1}', subscription().subscriptionId, 'rg1'), "
                "'Microsoft.Resources/deployments', 'kvdeploy'), '2022-09-01').outputs.uri.value]",
            }
        },
    )
    result, host, events = run(t)
    kv_id = f"{RG_ID}/providers/Microsoft.KeyVault/vaults/kv1"
    dep_id = f"{RG_ID}/providers/Microsoft.Resources/deployments/kvdeploy"
    assert host.created == [RG_ID, kv_id, dep_id]
    assert result.resource_ids == [RG_ID, kv_id]
    assert result.deployment_ids == [dep_id]
    assert result.outputs == {"uri": {"type": "String", "value": "https://kv1.vault.azure.net/"}}
    assert host.resources[kv_id.lower()]["tags"] == {"a": "b"}
    assert host.resources[kv_id.lower()]["properties"]["tenantId"] == "tenant-1"
    assert [(e.phase, e.resource_id) for e in events][:2] == [
        ("creating", RG_ID),
        ("created", RG_ID),
    ]
    stored_dep = host.resources[dep_id.lower()]
    assert stored_dep["properties"]["outputs"]["id"] == {"type": "String", "value": kv_id}


def test_nested_template_gets_its_own_parameters_and_variables() -> None:
    inner = nested(
        "inner",
        {
            "parameters": {"p": {"type": "string"}},
            "variables": {"v": "[concat(parameters('p'), '-inner')]"},
            "resources": [],
            "outputs": {"o": {"type": "string", "value": "[variables('v')]"}},
        },
    )
    inner["properties"]["parameters"] = {"p": {"value": "[variables('v')]"}}
    t = sub_template(
        variables={"v": "outer"},
        resources=[rg_resource(), inner],
        outputs={"o": {"type": "string", "value": "[reference('inner').outputs.o.value]"}},
    )
    result, _, _ = run(t)
    assert result.outputs["o"]["value"] == "outer-inner"


def test_nested_deployment_inner_parameter_validation_applies() -> None:
    inner = nested("inner", {"parameters": {"p": {"type": "string"}}, "resources": []})
    with pytest.raises(TemplateError, match="'p' at line '1' and column '1' is not provided"):
        run(sub_template(resources=[rg_resource(), inner]))


def test_nested_deployment_into_a_missing_group_fails_with_resource_group_not_found() -> None:
    inner = nested("inner", {"resources": []})
    inner["dependsOn"] = []
    with pytest.raises(TemplateError) as info:
        run(sub_template(resources=[inner]))
    assert info.value.code == "DeploymentFailed"
    assert info.value.innermost().code == "ResourceGroupNotFound"


def test_condition_false_skips_the_resource_but_dependents_still_deploy() -> None:
    module = {
        "resources": [
            vault("skipped", condition="[equals(1, 2)]"),
            vault("kept", dependsOn=["skipped"]),
        ],
    }
    module["resources"][1].pop("tags")
    module["resources"][0].pop("tags")
    _, host, _ = run(sub_template(resources=[rg_resource(), nested("m", module)]))
    names = [rid.rsplit("/", 1)[-1] for rid in host.created]
    assert "skipped" not in names
    assert "kept" in names


def test_copy_loops_create_one_resource_per_index() -> None:
    module = {
        "parameters": {"maps": {"type": "array", "defaultValue": [{"name": "a"}, {"name": "b"}]}},
        "resources": [
            {
                "copy": {"name": "maps", "count": "[length(parameters('maps'))]"},
                "type": "Microsoft.ContainerRegistry/registries/scopeMaps",
                "apiVersion": "2023-01-01",
                "name": "[format('{0}/{1}', 'reg', parameters('maps')[copyIndex()].name)]",
                "properties": {"index": "[copyIndex(10)]"},
                "dependsOn": ["[resourceId('Microsoft.ContainerRegistry/registries', 'reg')]"],
            },
            {
                "type": "Microsoft.ContainerRegistry/registries",
                "apiVersion": "2023-01-01",
                "name": "reg",
                "properties": {
                    "copy": [{"name": "rules", "count": 2, "input": "[copyIndex('rules')]"}]
                },
            },
            {
                "type": "Microsoft.Web/sites",
                "apiVersion": "2023-01-01",
                "name": "after",
                "dependsOn": ["maps"],
            },
        ],
    }
    _, host, _ = run(sub_template(resources=[rg_resource(), nested("m", module)]))
    reg = f"{RG_ID}/providers/Microsoft.ContainerRegistry/registries/reg"
    assert host.created[1:5] == [
        reg,
        f"{reg}/scopeMaps/a",
        f"{reg}/scopeMaps/b",
        f"{RG_ID}/providers/Microsoft.Web/sites/after",
    ]
    assert host.resources[f"{reg}/scopeMaps/b".lower()]["properties"]["index"] == 11
    assert host.resources[reg.lower()]["properties"]["rules"] == [0, 1]


def test_empty_copy_loop_creates_nothing() -> None:
    module = {
        "resources": [
            {
                "copy": {"name": "maps", "count": 0},
                "type": "Microsoft.ContainerRegistry/registries/scopeMaps",
                "apiVersion": "2023-01-01",
                "name": "[format('reg/{0}', createArray()[copyIndex()])]",
            }
        ]
    }
    result, _, _ = run(sub_template(resources=[rg_resource(), nested("m", module)]))
    assert result.resource_ids == [RG_ID]


def test_extension_resources_get_ids_under_their_scope() -> None:
    module = {
        "resources": [
            vault("kv", tags={}),
            {
                "type": "Microsoft.Authorization/roleAssignments",
                "apiVersion": "2022-04-01",
                "scope": "[format('Microsoft.KeyVault/vaults/{0}', 'kv')]",
                "name": "[guid(resourceId('Microsoft.KeyVault/vaults', 'kv'), 'role')]",
                "properties": {
                    "principalId": "[reference(resourceId('Microsoft.KeyVault/vaults', 'kv'), "
                    "'2022-07-01', 'full').properties.vaultUri]",
                },
                "dependsOn": ["[resourceId('Microsoft.KeyVault/vaults', 'kv')]"],
            },
            {
                "type": "Microsoft.Insights/diagnosticSettings",
                "apiVersion": "2021-05-01-preview",
                "scope": "[resourceId('Microsoft.KeyVault/vaults', 'kv')]",
                "name": "diag",
                "dependsOn": ["[resourceId('Microsoft.KeyVault/vaults', 'kv')]"],
            },
            {
                "type": "Microsoft.KeyVault/vaults/providers/diagnosticSettings",
                "apiVersion": "2021-05-01-preview",
                "name": "kv/Microsoft.Insights/old-style",
                "dependsOn": ["kv"],
            },
        ]
    }
    _, host, _ = run(sub_template(resources=[rg_resource(), nested("m", module)]))
    kv = f"{RG_ID}/providers/Microsoft.KeyVault/vaults/kv"
    from kompox_tui.emulator.arm import deterministic_guid

    role = (
        f"{kv}/providers/Microsoft.Authorization/roleAssignments/{deterministic_guid(kv, 'role')}"
    )
    assert host.created[1:5] == [
        kv,
        role,
        f"{kv}/providers/Microsoft.Insights/diagnosticSettings/diag",
        f"{kv}/providers/Microsoft.Insights/diagnosticSettings/old-style",
    ]
    assert host.resources[role.lower()]["properties"]["principalId"] == (
        "https://kv.vault.azure.net/"
    )
    assert host.resources[role.lower()]["type"] == "Microsoft.Authorization/roleAssignments"


def test_reference_full_reads_identity_of_a_managed_cluster() -> None:
    module = {
        "resources": [
            {
                "type": "Microsoft.ContainerService/managedClusters",
                "apiVersion": "2025-05-01",
                "name": "aks",
                "identity": {"type": "SystemAssigned"},
            }
        ],
        "outputs": {
            "principalId": {
                "type": "string",
                "value": "[reference(resourceId('Microsoft.ContainerService/managedClusters', "
                "'aks'), '2025-05-01', 'full').identity.principalId]",
            }
        },
    }
    t = sub_template(
        resources=[rg_resource(), nested("aks", module)],
        outputs={"p": {"type": "string", "value": "[reference('aks').outputs.principalId.value]"}},
    )
    result, _, _ = run(t)
    assert result.outputs["p"]["value"] == "aks-principal"


def test_failed_resource_is_wrapped_in_nested_deployment_failed_errors() -> None:
    host = DictHost(fail={"Microsoft.KeyVault/vaults": ("VaultAlreadyExists", "taken")})
    kv = nested("kvdeploy", KV_MODULE)
    kv["properties"]["parameters"] = {"name": {"value": "kv1"}}
    events: list[ResourceEvent] = []
    with pytest.raises(TemplateError) as info:
        deploy(
            sub_template(resources=[rg_resource(), kv]),
            None,
            scope=SCOPE,
            host=host,
            on_resource=events.append,
        )
    err = info.value.to_dict()
    assert err["code"] == "DeploymentFailed"
    assert err["details"][0]["code"] == "DeploymentFailed"
    assert err["details"][0]["target"].endswith("/deployments/kvdeploy")
    leaf = err["details"][0]["details"][0]
    assert leaf == {
        "code": "VaultAlreadyExists",
        "message": "taken",
        "target": f"{RG_ID}/providers/Microsoft.KeyVault/vaults/kv1",
    }
    assert ("failed", f"{RG_ID}/providers/Microsoft.KeyVault/vaults/kv1") in [
        (e.phase, e.resource_id) for e in events
    ]


def test_outer_scope_nested_template_sees_parent_parameters() -> None:
    inner = nested(
        "outer-scope",
        {
            "resources": [vault("[parameters('kvName')]", tags={})],
            "outputs": {"n": {"type": "string", "value": "[parameters('kvName')]"}},
        },
    )
    inner["properties"].pop("expressionEvaluationOptions")
    t = sub_template(
        parameters={"kvName": {"type": "string"}},
        resources=[rg_resource(), inner],
        outputs={"n": {"type": "string", "value": "[reference('outer-scope').outputs.n.value]"}},
    )
    result, host, _ = run(t, {"kvName": {"value": "kvx"}})
    assert result.outputs["n"]["value"] == "kvx"
    assert f"{RG_ID}/providers/Microsoft.KeyVault/vaults/kvx" in host.created


def test_symbolic_resources_and_conditional_outputs() -> None:
    t = sub_template(
        resources={"group": rg_resource()},
        outputs={
            "shown": {"type": "bool", "value": "[true()]"},
            "hidden": {"type": "string", "condition": "[false()]", "value": "x"},
            "obj": {"type": "object", "value": "[createObject('a', 1)]"},
            "arr": {"type": "array", "value": "[createArray(1)]"},
        },
    )
    result, host, _ = run(t)
    assert host.created == [RG_ID]
    assert result.outputs == {
        "shown": {"type": "Bool", "value": True},
        "obj": {"type": "Object", "value": {"a": 1}},
        "arr": {"type": "Array", "value": [1]},
    }


# --- outputs that cannot be evaluated ---------------------------------------------------------


def test_an_output_that_fails_is_deployment_output_evaluation_failed_after_the_resources() -> None:
    t = sub_template(
        resources=[rg_resource()],
        outputs={"bad": {"type": "string", "value": "[parameters('missing')]"}},
    )
    host = DictHost()
    with pytest.raises(TemplateError) as info:
        run(t, host=host)
    err = info.value
    assert err.code == "DeploymentOutputEvaluationFailed"
    assert err.message.startswith("Unable to evaluate template outputs: 'bad'.")
    detail = err.details[0]
    assert (detail.code, detail.target) == ("DeploymentOutputEvaluationFailed", "bad")
    assert detail.message.startswith("The template output 'bad' is not valid: The template ")
    assert "'missing' is not found" in detail.message
    assert host.created == [RG_ID]  # resources are deployed before outputs are evaluated


def test_an_output_of_the_wrong_type_names_expected_and_actual() -> None:
    t = sub_template(resources=[], outputs={"n": {"type": "int", "value": "abc"}})
    with pytest.raises(TemplateError) as info:
        run(t)
    assert info.value.details[0].message == (
        "The template output 'n' is not valid: Template output JToken type is not valid. "
        "Expected 'Integer'. Actual 'String'."
    )


def test_a_nested_output_failure_fails_the_parent_deployment() -> None:
    inner = nested("inner", {"resources": [], "outputs": {"o": {"type": "bool", "value": "maybe"}}})
    with pytest.raises(TemplateError) as info:
        run(sub_template(resources=[rg_resource(), inner]))
    assert info.value.code == "DeploymentFailed"
    assert info.value.details[0].code == "DeploymentOutputEvaluationFailed"
    assert "'bool' cannot convert 'maybe'" in info.value.innermost().message


def test_a_resource_copy_that_is_not_an_object_is_invalid_template() -> None:
    res = dict(rg_resource(), copy=[1])
    with pytest.raises(TemplateError) as info:
        run(sub_template(resources=[res]))
    assert info.value.code == "InvalidTemplate"
    assert "copy loop of the resource at 'resources[0]'" in info.value.message


def test_a_resource_copy_count_over_800_is_invalid_template() -> None:
    res = dict(rg_resource("[concat('rg', copyIndex())]"), copy={"name": "rgs", "count": 801})
    with pytest.raises(TemplateError) as info:
        run(sub_template(resources=[res]))
    assert info.value.code == "InvalidTemplate"
    assert "can't exceed 800" in info.value.message


@pytest.mark.parametrize(
    ("section", "value", "where"),
    [
        ("variables", "x", "variables"),
        ("parameters", [], "parameters"),
        ("outputs", 1, "outputs"),
    ],
)
def test_template_sections_of_the_wrong_type_are_invalid_template(
    section: str, value: Any, where: str
) -> None:
    with pytest.raises(TemplateError) as info:
        validate(sub_template(resources=[], **{section: value}), None, scope=SCOPE)
    assert info.value.code == "InvalidTemplate"
    assert info.value.target == where


def test_a_nested_template_with_resources_of_the_wrong_type_is_invalid_template() -> None:
    inner = nested("n", {})
    inner["properties"]["template"]["resources"] = 1.5
    with pytest.raises(TemplateError) as info:
        validate(sub_template(resources=[rg_resource(), inner]), None, scope=SCOPE)
    assert info.value.target == "resources[1].properties.template.resources"


def test_a_nested_deployment_whose_properties_are_not_an_object_is_invalid_template() -> None:
    inner = nested("n", {})
    inner["properties"] = "oops"
    with pytest.raises(TemplateError) as info:
        run(sub_template(resources=[rg_resource(), inner]))
    assert info.value.code == "InvalidTemplate"
    assert "'properties'" in info.value.message
