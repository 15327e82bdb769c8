"""ARM endpoints real clients need besides resources: cloud metadata, subscriptions and
tenants, the generic resource list with tag filters, providers, the stack validate action,
systemData/deploymentScope on stacks, and the management.core.windows.net audience."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from azure.core.exceptions import HttpResponseError
from azure.core.rest import HttpRequest

from kompox_tui.emulator import Emulator
from kompox_tui.emulator.template import RESOURCE_GROUP_SCHEMAS, SUBSCRIPTION_SCHEMAS
from kompox_tui.emulator.testing import ArmClients


def test_metadata_endpoints_answer_what_az_cloud_register_reads(emulator: Emulator) -> None:
    # no token: az reads it before any login (azure-cli cloud/custom.py)
    url = f"{emulator.arm_url}//metadata/endpoints?api-version=2022-09-01"
    cloud = requests.get(url, verify=emulator.ca_bundle, timeout=10).json()
    assert cloud["authentication"]["loginEndpoint"] == emulator.authority_url
    assert cloud["authentication"]["audiences"][0] == "https://management.core.windows.net/"
    assert cloud["resourceManager"] == emulator.arm_url + "/"
    assert "suffixes" in cloud and "name" in cloud
    older = requests.get(
        f"{emulator.arm_url}/metadata/endpoints?api-version=2019-05-01",
        verify=emulator.ca_bundle,
        timeout=10,
    ).json()
    assert isinstance(older, list) and older[0]["resourceManager"] == cloud["resourceManager"]


def test_subscriptions_and_tenants(arm: ArmClients, emulator: Emulator) -> None:
    """What ``az login --service-principal`` lists (api-version 2022-12-01, as az sends)."""

    def get(path: str) -> Any:
        return arm.resources.send_request(HttpRequest("GET", path + "?api-version=2022-12-01"))

    body = get("/subscriptions").json()
    assert [s["subscriptionId"] for s in body["value"]] == [emulator.subscription_id]
    assert body["value"][0]["state"] == "Enabled"
    assert body["value"][0]["tenantId"] == emulator.tenant_id
    one = get(f"/subscriptions/{emulator.subscription_id}").json()
    assert one["id"] == f"/subscriptions/{emulator.subscription_id}"
    assert [t["tenantId"] for t in get("/tenants").json()["value"]] == [emulator.tenant_id]
    resp = get("/subscriptions/nope")
    assert resp.status_code == 404
    assert resp.json()["error"]["code"] == "SubscriptionNotFound"


def test_resource_list_filters_on_tags_and_type(arm: ArmClients, unique_name: Any) -> None:
    rg = unique_name("rg")
    arm.create_rg(rg)
    arm.create_disk(rg, "d1", size_gb=1, tags={"app": "web", "tier": "db"})
    arm.create_disk(rg, "d2", size_gb=1, tags={"app": "other"})
    rows = list(arm.resources.resources.list(filter="tagName eq 'app' and tagValue eq 'web'"))
    assert [r.name for r in rows] == ["d1"]
    assert rows[0].type == "Microsoft.Compute/disks"
    both = list(arm.resources.resources.list_by_resource_group(rg, filter="tagName eq 'app'"))
    assert sorted(str(r.name) for r in both) == ["d1", "d2"]
    typed = list(
        arm.resources.resources.list_by_resource_group(
            rg, filter="resourceType eq 'Microsoft.Compute/disks'"
        )
    )
    assert len(typed) == 2
    # az resource list -g: resourceGroup filter at subscription scope
    by_group = list(arm.resources.resources.list(filter=f"resourceGroup eq '{rg}'"))
    assert sorted(str(r.name) for r in by_group) == ["d1", "d2"]
    with pytest.raises(HttpResponseError) as info:
        list(arm.resources.resources.list(filter="location eq 'x'"))
    assert info.value.error is not None
    assert info.value.error.code == "InvalidFilterInQueryString"


def test_providers_list_their_registered_api_versions(arm: ArmClients) -> None:
    prov = arm.resources.providers.get("Microsoft.Compute")
    assert prov.registration_state == "Registered"
    assert prov.resource_types is not None
    disks = next(t for t in prov.resource_types if t.resource_type == "disks")
    assert disks.api_versions is not None
    assert disks.api_versions[0] == "2026-03-02"  # newest first, as ARM lists them
    assert "2023-04-02" in disks.api_versions
    names = {p.namespace for p in arm.resources.providers.list()}
    assert {"Microsoft.Compute", "Microsoft.ContainerService", "Microsoft.Resources"} <= names
    with pytest.raises(HttpResponseError) as info:
        arm.resources.providers.get("Foo.Bar")
    assert info.value.error is not None
    assert info.value.error.code == "InvalidResourceNamespace"


def test_token_for_the_management_core_windows_net_audience_is_accepted(
    arm: ArmClients, emulator: Emulator
) -> None:
    token, _ = emulator.issue_token(resource="https://management.core.windows.net/")
    resp = requests.get(
        f"{emulator.arm_url}/subscriptions?api-version=2022-12-01",
        headers={"Authorization": f"Bearer {token}"},
        verify=emulator.ca_bundle,
        timeout=10,
    )
    assert resp.status_code == 200
    bad, _ = emulator.issue_token(resource="https://vault.azure.net")
    resp = requests.get(
        f"{emulator.arm_url}/subscriptions?api-version=2022-12-01",
        headers={"Authorization": f"Bearer {bad}"},
        verify=emulator.ca_bundle,
        timeout=10,
    )
    assert resp.status_code == 401
    assert resp.json()["error"]["code"] == "InvalidAuthenticationTokenAudience"


def _template(api_version: str = "2026-03-02") -> dict[str, Any]:
    return {
        "$schema": SUBSCRIPTION_SCHEMAS[0],
        "contentVersion": "1.0.0.0",
        "resources": [
            {
                "type": "Microsoft.Resources/resourceGroups",
                "apiVersion": "2021-04-01",
                "name": "rg-validate",
                "location": "japaneast",
            },
            {
                "type": "Microsoft.Resources/deployments",
                "apiVersion": "2022-09-01",
                "name": "inner",
                "resourceGroup": "rg-validate",
                "properties": {
                    "mode": "Incremental",
                    "template": {
                        "$schema": RESOURCE_GROUP_SCHEMAS[0],
                        "contentVersion": "1.0.0.0",
                        "resources": [
                            {
                                "type": "Microsoft.Compute/disks",
                                "apiVersion": api_version,
                                "name": "d1",
                                "location": "japaneast",
                                "properties": {
                                    "creationData": {"createOption": "Empty"},
                                    "diskSizeGB": 1,
                                },
                            }
                        ],
                    },
                },
            },
        ],
    }


def _body(template: dict[str, Any]) -> dict[str, Any]:
    return {
        "location": "japaneast",
        "properties": {
            "template": template,
            "actionOnUnmanage": {"resources": "delete"},
            "denySettings": {"mode": "none"},
        },
    }


def test_stack_validate_lists_resources_and_creates_nothing(
    arm: ArmClients, emulator: Emulator
) -> None:
    result = arm.stacks.deployment_stacks.begin_validate_stack_at_subscription(
        "st-validate", _body(_template()), polling_interval=0.01
    ).result()
    assert result.properties is not None and result.properties.validated_resources is not None
    ids = [str(r.id) for r in result.properties.validated_resources]
    assert ids[0].endswith("/resourceGroups/rg-validate")
    assert ids[1].endswith("/resourceGroups/rg-validate/providers/Microsoft.Compute/disks/d1")
    assert result.properties.deployment_scope == f"/subscriptions/{emulator.subscription_id}"
    assert arm.resources.resource_groups.check_existence("rg-validate") is False


def test_stack_validate_reports_an_unregistered_api_version(arm: ArmClients) -> None:
    with pytest.raises(HttpResponseError) as info:
        arm.stacks.deployment_stacks.begin_validate_stack_at_subscription(
            "st-validate-bad", _body(_template("1999-01-01")), polling_interval=0.01
        ).result()
    assert info.value.status_code == 400
    assert "NoRegisteredProviderFound" in str(info.value)


def test_stack_carries_system_data_and_deployment_scope(
    fresh_emulator: Emulator,
) -> None:
    arm = ArmClients(fresh_emulator)
    try:
        stack = arm.stacks.deployment_stacks.begin_create_or_update_at_subscription(
            "st-sysdata", _body(_template()), polling_interval=0.01
        ).result()
        assert stack.system_data is not None
        assert stack.system_data.created_by == fresh_emulator.client_id
        assert stack.system_data.created_by_type == "Application"
        assert stack.system_data.created_at is not None
        assert stack.properties is not None
        assert stack.properties.deployment_scope == (
            f"/subscriptions/{fresh_emulator.subscription_id}"
        )
    finally:
        arm.close()
