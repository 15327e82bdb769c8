"""Resource groups through the real ResourceManagementClient."""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.core.rest import HttpRequest

from kompox_tui.emulator import Emulator
from kompox_tui.emulator.testing import ArmClients


def _statuses(emu: Emulator, method: str, suffix: str) -> list[int]:
    return [
        r["status"]
        for r in emu.requests()
        if r["method"] == method and r["path"].lower().endswith(suffix.lower())
    ]


def test_create_is_201_then_update_is_200(
    arm: ArmClients, emulator: Emulator, unique_name: Any
) -> None:
    rg = unique_name("rg")
    created = arm.resources.resource_groups.create_or_update(
        rg, {"location": "japaneast", "tags": {"env": "dev"}}
    )
    assert created.id == f"/subscriptions/{emulator.subscription_id}/resourceGroups/{rg}"
    assert created.name == rg
    assert created.type == "Microsoft.Resources/resourceGroups"
    assert created.location == "japaneast"
    assert created.tags == {"env": "dev"}
    assert created.properties is not None
    assert created.properties.provisioning_state == "Succeeded"
    updated = arm.resources.resource_groups.create_or_update(
        rg, {"location": "japaneast", "tags": {"env": "prod"}}
    )
    assert updated.tags == {"env": "prod"}
    assert _statuses(emulator, "PUT", "/" + rg) == [201, 200]


def test_get_check_existence_and_not_found_message(arm: ArmClients, unique_name: Any) -> None:
    rg = unique_name("rg")
    assert arm.resources.resource_groups.check_existence(rg) is False
    with pytest.raises(ResourceNotFoundError) as info:
        arm.resources.resource_groups.get(rg)
    assert info.value.error is not None
    assert info.value.error.code == "ResourceGroupNotFound"
    assert info.value.error.message == f"Resource group '{rg}' could not be found."
    arm.create_rg(rg)
    assert arm.resources.resource_groups.check_existence(rg) is True
    assert arm.resources.resource_groups.get(rg.upper()).name == rg


def test_patch_replaces_tags(arm: ArmClients, unique_name: Any) -> None:
    rg = unique_name("rg")
    arm.create_rg(rg, a="1", b="2")
    patched = arm.resources.resource_groups.update(rg, {"tags": {"c": "3"}})
    assert patched.tags == {"c": "3"}
    assert arm.resources.resource_groups.get(rg).tags == {"c": "3"}


def test_patch_of_a_missing_group_is_not_found(arm: ArmClients, unique_name: Any) -> None:
    with pytest.raises(ResourceNotFoundError) as info:
        arm.resources.resource_groups.update(unique_name("rg"), {"tags": {"c": "3"}})
    assert info.value.error is not None
    assert info.value.error.code == "ResourceGroupNotFound"


def test_location_is_required_and_cannot_change(arm: ArmClients, unique_name: Any) -> None:
    rg = unique_name("rg")
    resp = arm.resources.send_request(
        HttpRequest(
            "PUT",
            f"/subscriptions/{arm.emu.subscription_id}/resourcegroups/{rg}?api-version=2025-04-01",
            json={"tags": {}},
        )
    )
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "LocationRequired"
    arm.create_rg(rg)
    with pytest.raises(HttpResponseError) as info:
        arm.create_rg(rg, location="eastus")
    assert info.value.status_code == 409
    assert info.value.error is not None
    assert info.value.error.code == "InvalidResourceGroupLocation"


def test_invalid_name_is_rejected(arm: ArmClients) -> None:
    with pytest.raises(HttpResponseError) as info:
        arm.create_rg("bad name!")
    assert info.value.status_code == 400
    assert info.value.error is not None
    assert info.value.error.code == "InvalidResourceGroup"


def test_invalid_json_body_is_rejected(arm: ArmClients, unique_name: Any) -> None:
    resp = arm.resources.send_request(
        HttpRequest(
            "PUT",
            f"/subscriptions/{arm.emu.subscription_id}/resourcegroups/{unique_name('rg')}"
            "?api-version=2025-04-01",
            content=b"{oops",
            headers={"Content-Type": "application/json"},
        )
    )
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "InvalidRequestContent"


def test_list_pages_through_every_group(fresh_emulator: Emulator, arm_factory: Any) -> None:
    fresh_emulator.ctx.page_size = 3
    arm = arm_factory(fresh_emulator)
    names = [f"rg-page-{i:02d}" for i in range(8)]
    for name in names:
        arm.create_rg(name)
    listed = [g.name for g in arm.resources.resource_groups.list()]
    assert sorted(listed) == names
    pages = [r for r in fresh_emulator.requests() if r["path"].endswith("/resourcegroups")]
    assert len([p for p in pages if p["method"] == "GET"]) == 3
    assert all("api-version=" in p["query"] for p in pages)


def test_list_filters_by_tag(arm: ArmClients, unique_name: Any) -> None:
    tagged = unique_name("rg")
    arm.create_rg(tagged, owner=tagged)
    arm.create_rg(unique_name("rg"))
    found = [
        g.name
        for g in arm.resources.resource_groups.list(
            filter=f"tagName eq 'owner' and tagValue eq '{tagged}'"
        )
    ]
    assert found == [tagged]


def test_delete_is_a_location_lro_and_removes_contents(
    arm: ArmClients, emulator: Emulator, unique_name: Any
) -> None:
    rg = unique_name("rg")
    arm.create_rg(rg)
    arm.create_disk(rg, "d1", size_gb=1)
    cluster = emulator.create_managed_cluster(rg, "aks1")
    node_rg = cluster["properties"]["nodeResourceGroup"]
    assert arm.resources.resource_groups.check_existence(node_rg)

    poller = arm.resources.resource_groups.begin_delete(rg)
    initial = poller.polling_method()._initial_response.http_response  # type: ignore[attr-defined]
    assert initial.status_code == 202
    location = initial.headers["Location"]
    assert location.startswith(f"{emulator.arm_url}/subscriptions/{emulator.subscription_id}/")
    assert "/operationresults/" in location
    assert "api-version=" in location
    assert initial.headers["Retry-After"] == "1"
    poller.result()

    assert arm.resources.resource_groups.check_existence(rg) is False
    assert arm.resources.resource_groups.check_existence(node_rg) is False
    assert (
        emulator.ctx.store.items(
            "arm", f"/subscriptions/{emulator.subscription_id}/resourcegroups/{rg}/"
        )
        == []
    )
    with pytest.raises(ResourceNotFoundError):
        arm.compute.disks.get(rg, "d1")


def test_deleting_group_shows_deleting_then_disappears(
    arm_factory: Any,
) -> None:
    with Emulator(speed=10) as emu:  # the delete takes 5 emulated s = 0.5 s here
        arm = arm_factory(emu)
        arm.create_rg("rg-slow")
        poller = arm.resources.resource_groups.begin_delete("rg-slow")
        state = arm.resources.resource_groups.get("rg-slow").properties.provisioning_state
        assert state == "Deleting"
        with pytest.raises(HttpResponseError) as info:
            arm.create_disk("rg-slow", "d1")
        assert info.value.status_code == 409
        assert info.value.error is not None
        assert info.value.error.code == "ResourceGroupBeingDeleted"
        poller.result()
        assert arm.resources.resource_groups.check_existence("rg-slow") is False


def test_delete_of_a_missing_group_is_not_found(arm: ArmClients, unique_name: Any) -> None:
    with pytest.raises(ResourceNotFoundError) as info:
        arm.resources.resource_groups.begin_delete(unique_name("rg")).result()
    assert info.value.error is not None
    assert info.value.error.code == "ResourceGroupNotFound"


def test_resource_group_type_is_registered_for_other_modules(emulator: Emulator) -> None:
    rtype = emulator.ctx.resource_type("Microsoft.Resources/resourceGroups")
    assert rtype is not None
    rid = f"/subscriptions/{emulator.subscription_id}/resourceGroups/rg-by-type"
    created = rtype.create(emulator.ctx, rid, {"location": "japaneast", "tags": {"k": "v"}}, "x")
    assert created["properties"]["provisioningState"] == "Succeeded"
    assert created["tags"] == {"k": "v"}
    rtype.delete(emulator.ctx, rid)
    assert emulator.ctx.store.get("arm", rid) is None
