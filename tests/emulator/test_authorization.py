"""Role assignments on resource groups through the real AuthorizationManagementClient
(4.0.0, api-version 2022-04-01)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.mgmt.authorization import AuthorizationManagementClient

from kompox_tui.emulator import Emulator
from kompox_tui.emulator.testing import ArmClients

CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"


@pytest.fixture
def clients(emulator: Emulator) -> Iterator[tuple[ArmClients, AuthorizationManagementClient]]:
    arm = ArmClients(emulator, retry_total=0)
    auth = AuthorizationManagementClient(
        arm.credential,
        emulator.subscription_id,
        base_url=emulator.arm_url,
        connection_verify=emulator.ca_bundle,
        retry_total=0,
    )
    yield arm, auth
    auth.close()
    arm.close()


def assignment(emulator: Emulator, principal: str, role: str = CONTRIBUTOR) -> dict[str, Any]:
    return {
        "properties": {
            "roleDefinitionId": f"/subscriptions/{emulator.subscription_id}/providers/"
            f"Microsoft.Authorization/roleDefinitions/{role}",
            "principalId": principal,
            "principalType": "ServicePrincipal",
        }
    }


def test_create_get_list_and_delete_on_a_resource_group(
    clients: tuple[ArmClients, AuthorizationManagementClient],
    emulator: Emulator,
    unique_name: Any,
) -> None:
    arm, auth = clients
    rg = unique_name("rg")
    arm.create_rg(rg)
    scope = f"/subscriptions/{emulator.subscription_id}/resourceGroups/{rg}"
    principal = str(uuid.uuid4())
    name = str(uuid.uuid4())
    created = auth.role_assignments.create(scope, name, assignment(emulator, principal))
    assert created.scope == scope
    assert created.principal_type == "ServicePrincipal"
    assert created.role_definition_id.endswith(CONTRIBUTOR)
    # the same name with the same content again is fine (idempotent)
    auth.role_assignments.create(scope, name, assignment(emulator, principal))
    assert auth.role_assignments.get(scope, name).principal_id == principal
    wanted = f"principalId eq '{principal}'"
    listed = list(auth.role_assignments.list_for_scope(scope, filter=wanted))
    assert [a.name for a in listed] == [name]
    deleted = auth.role_assignments.delete(scope, name)
    assert deleted is not None and deleted.name == name
    assert auth.role_assignments.delete(scope, name) is None
    with pytest.raises(ResourceNotFoundError) as info:
        auth.role_assignments.get(scope, name)
    assert info.value.error is not None
    assert info.value.error.code == "RoleAssignmentNotFound"


def test_same_principal_and_role_under_another_name_is_role_assignment_exists(
    clients: tuple[ArmClients, AuthorizationManagementClient],
    emulator: Emulator,
    unique_name: Any,
) -> None:
    arm, auth = clients
    rg = unique_name("rg")
    arm.create_rg(rg)
    scope = f"/subscriptions/{emulator.subscription_id}/resourceGroups/{rg}"
    principal = str(uuid.uuid4())
    auth.role_assignments.create(scope, str(uuid.uuid4()), assignment(emulator, principal))
    with pytest.raises(ResourceExistsError) as info:
        auth.role_assignments.create(scope, str(uuid.uuid4()), assignment(emulator, principal))
    assert info.value.status_code == 409
    assert info.value.error is not None
    assert info.value.error.code == "RoleAssignmentExists"
    assert info.value.error.message == "The role assignment already exists."


def test_refusals_name_scope_and_role(
    clients: tuple[ArmClients, AuthorizationManagementClient],
    emulator: Emulator,
    unique_name: Any,
) -> None:
    arm, auth = clients
    rg = unique_name("rg")
    scope = f"/subscriptions/{emulator.subscription_id}/resourceGroups/{rg}"
    principal = str(uuid.uuid4())
    with pytest.raises(ResourceNotFoundError) as missing:
        auth.role_assignments.create(scope, str(uuid.uuid4()), assignment(emulator, principal))
    assert missing.value.error is not None
    assert missing.value.error.code == "ResourceGroupNotFound"
    arm.create_rg(rg)
    with pytest.raises(HttpResponseError) as bad_name:
        auth.role_assignments.create(scope, "contributor-1", assignment(emulator, principal))
    assert bad_name.value.error is not None
    assert bad_name.value.error.code == "InvalidRoleAssignmentId"
    with pytest.raises(HttpResponseError) as bad_role:
        auth.role_assignments.create(
            scope, str(uuid.uuid4()), assignment(emulator, principal, role="contributor")
        )
    assert bad_role.value.error is not None
    assert bad_role.value.error.code == "RoleDefinitionDoesNotExist"
    # a resource-group deletion takes its role assignments with it
    name = str(uuid.uuid4())
    auth.role_assignments.create(scope, name, assignment(emulator, principal))
    arm.resources.resource_groups.begin_delete(rg).result()
    arm.create_rg(rg)
    with pytest.raises(ResourceNotFoundError):
        auth.role_assignments.get(scope, name)
