"""ARM's api-version check: registered versions pass, any other is ARM's 400 -- in direct
calls (real SDK clients over TLS) and inside template deployments (a deployment stack)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError
from azure.core.rest import HttpRequest

from kompox_tui.emulator import Emulator, api_versions
from kompox_tui.emulator.template import RESOURCE_GROUP_SCHEMAS, SUBSCRIPTION_SCHEMAS
from kompox_tui.emulator.testing import ArmClients


def _get(arm: ArmClients, path: str) -> Any:
    return arm.resources.send_request(HttpRequest("GET", path))


def test_every_sdk_default_version_is_registered() -> None:
    """The versions the pinned SDKs send by default (and az 2.x sends) are accepted."""
    for rtype, version in (
        ("Microsoft.Resources/resourceGroups", "2025-04-01"),
        ("Microsoft.Resources/resourceGroups", "2024-11-01"),  # az
        ("Microsoft.Resources/subscriptions", "2022-12-01"),  # az login
        ("Microsoft.Resources/deploymentStacks", "2025-07-01"),
        ("Microsoft.Compute/disks", "2026-03-02"),
        ("Microsoft.Compute/disks", "2023-04-02"),  # az disk
        ("Microsoft.Compute/snapshots", "2023-10-02"),  # az snapshot
        ("Microsoft.ContainerService/managedClusters", "2026-08-01"),
        ("Microsoft.ContainerService/managedClusters", "2026-06-01"),  # az aks
    ):
        api_versions.check(rtype, version)


def test_every_template_api_version_of_the_product_is_registered() -> None:
    import json
    from importlib.resources import files

    template = json.loads(files("kompox_tui.azure").joinpath("main.json").read_text("utf-8"))
    api_versions.check_template(template, "japaneast")


def test_unregistered_version_on_an_arm_type_is_invalid_api_version_parameter(
    arm: ArmClients, emulator: Emulator
) -> None:
    resp = _get(
        arm, f"/subscriptions/{emulator.subscription_id}/resourcegroups?api-version=1999-01-01"
    )
    assert resp.status_code == 400
    error = resp.json()["error"]
    assert error["code"] == "InvalidApiVersionParameter"
    assert error["message"].startswith("The api-version '1999-01-01' is invalid. The supported ")
    # newest first, comma-separated without spaces (azure-cli #28057)
    assert "'2025-04-01,2025-03-01," in error["message"]


def test_unregistered_version_on_a_provider_type_is_no_registered_provider_found(
    arm: ArmClients, emulator: Emulator
) -> None:
    path = (
        f"/subscriptions/{emulator.subscription_id}/resourceGroups/rg-x/providers/"
        "Microsoft.Compute/disks/d1?api-version=2015-01-01"
    )
    resp = _get(arm, path)
    assert resp.status_code == 400
    error = resp.json()["error"]
    assert error["code"] == "NoRegisteredProviderFound"
    assert error["message"].startswith(
        "No registered resource provider found for location 'japaneast' and API version "
        "'2015-01-01' for type 'disks'. The supported api-versions are '2016-04-30-preview, "
    )
    assert "The supported locations are '" in error["message"]


def test_operation_status_urls_are_checked_too(arm: ArmClients, emulator: Emulator) -> None:
    path = (
        f"/subscriptions/{emulator.subscription_id}/providers/Microsoft.ContainerService/"
        "locations/japaneast/operations/00000000-0000-0000-0000-000000000000"
        "?api-version=2099-01-01"
    )
    resp = _get(arm, path)
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "NoRegisteredProviderFound"


def test_sdk_call_with_an_unregistered_version_fails(arm: ArmClients) -> None:
    with pytest.raises(HttpResponseError) as info:
        list(arm.compute.disks.list(api_version="2010-01-01"))
    assert info.value.status_code == 400
    assert info.value.error is not None
    assert info.value.error.code == "NoRegisteredProviderFound"


def test_type_of_path() -> None:
    f = api_versions.type_of_path
    assert f("GET", "/subscriptions/s/resourcegroups/r") == "Microsoft.Resources/resourceGroups"
    assert f("GET", "/subscriptions") == "Microsoft.Resources/subscriptions"
    assert f("GET", "/subscriptions/s/resources") == "Microsoft.Resources/resources"
    assert (
        f("GET", "/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/disks/d")
        == "Microsoft.Compute/disks"
    )
    assert (
        f(
            "POST",
            "/subscriptions/s/resourceGroups/r/providers/Microsoft.ContainerService/"
            "managedClusters/c/listClusterAdminCredential",
        )
        == "Microsoft.ContainerService/managedClusters"
    )
    assert (
        f("GET", "/subscriptions/s/providers/Microsoft.Compute/locations/x/DiskOperations/1")
        == "Microsoft.Compute/locations/DiskOperations"
    )
    assert f("GET", "/subscriptions/s/providers/Microsoft.Compute") == (
        "Microsoft.Resources/providers"
    )
    assert f("GET", "/metadata/endpoints") is None


def test_register_is_one_call_and_unregistered_types_pass() -> None:
    api_versions.check("Contoso.Test/widgets", "1999-01-01")  # nobody registered it
    api_versions.register("Contoso.Test/widgets", ["2024-01-01"])
    api_versions.check("Contoso.Test/widgets", "2024-01-01")
    with pytest.raises(Exception) as info:
        api_versions.check("Contoso.Test/widgets", "1999-01-01", "Japan East")
    assert "for location 'japaneast'" in str(info.value)


# --- inside template deployments -------------------------------------------------------------


def _stack_with(api_version: str, *, expression: bool = False) -> dict[str, Any]:
    inner = {
        "$schema": RESOURCE_GROUP_SCHEMAS[0],
        "contentVersion": "1.0.0.0",
        "resources": [
            {
                "type": "Microsoft.Compute/disks",
                "apiVersion": "[parameters('v')]" if expression else api_version,
                "name": "d1",
                "location": "japaneast",
                "properties": {"creationData": {"createOption": "Empty"}, "diskSizeGB": 1},
            }
        ],
        "parameters": {"v": {"type": "string", "defaultValue": api_version}},
    }
    return {
        "$schema": SUBSCRIPTION_SCHEMAS[0],
        "contentVersion": "1.0.0.0",
        "resources": [
            {
                "type": "Microsoft.Resources/resourceGroups",
                "apiVersion": "2021-04-01",
                "name": "rg-apiv",
                "location": "japaneast",
            },
            {
                "type": "Microsoft.Resources/deployments",
                "apiVersion": "2022-09-01",
                "name": "inner",
                "resourceGroup": "rg-apiv",
                "dependsOn": [
                    "[subscriptionResourceId('Microsoft.Resources/resourceGroups', 'rg-apiv')]"
                ],
                "properties": {
                    "mode": "Incremental",
                    "expressionEvaluationOptions": {"scope": "inner"},
                    "template": copy.deepcopy(inner),
                },
            },
        ],
    }


def _deploy(fresh_emulator: Emulator, template: dict[str, Any]) -> HttpResponseError:
    arm = ArmClients(fresh_emulator, retry_total=0)
    try:
        body = {
            "location": "japaneast",
            "properties": {
                "template": template,
                "actionOnUnmanage": {"resources": "delete"},
                "denySettings": {"mode": "none"},
            },
        }
        with pytest.raises(HttpResponseError) as info:
            arm.stacks.deployment_stacks.begin_create_or_update_at_subscription(
                "st-apiv", body, polling_interval=0.01
            ).result()
        return info.value
    finally:
        arm.close()


def _codes(error: Any) -> list[str]:
    out = []
    while error is not None:
        out.append(error.code)
        error = error.details[0] if error.details else None
    return out


def test_template_with_an_unregistered_api_version_fails_preflight(
    fresh_emulator: Emulator,
) -> None:
    """ARM validates each declared resource's apiVersion before deploying anything."""
    err = _deploy(fresh_emulator, _stack_with("1999-01-01"))
    assert err.error is not None
    assert _codes(err.error) == ["DeploymentStackUpdateFailed", "NoRegisteredProviderFound"]
    assert "API version '1999-01-01' for type 'disks'" in str(err.error.details[0].message)
    # preflight: nothing was created, not even the resource group
    rg = fresh_emulator.ctx.store.get(
        "arm", f"/subscriptions/{fresh_emulator.subscription_id}/resourceGroups/rg-apiv"
    )
    assert rg is None


def test_expression_api_version_is_checked_when_the_resource_is_created(
    fresh_emulator: Emulator,
) -> None:
    err = _deploy(fresh_emulator, _stack_with("1999-01-01", expression=True))
    assert err.error is not None
    assert _codes(err.error)[-1] == "NoRegisteredProviderFound"
    assert "DeploymentFailed" in _codes(err.error)
