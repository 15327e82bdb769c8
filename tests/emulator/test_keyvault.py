"""Key Vault soft delete and purge through the real KeyVaultManagementClient (14.1.0)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.keyvault import KeyVaultManagementClient
from azure.mgmt.keyvault.models import VaultCreateOrUpdateParameters

from kompox_tui.emulator import Emulator
from kompox_tui.emulator.testing import ArmClients


@pytest.fixture
def clients(emulator: Emulator) -> Iterator[tuple[ArmClients, KeyVaultManagementClient]]:
    arm = ArmClients(emulator, retry_total=0)
    kv = KeyVaultManagementClient(
        arm.credential,
        emulator.subscription_id,
        base_url=emulator.arm_url,
        connection_verify=emulator.ca_bundle,
        polling_interval=0.01,
        retry_total=0,
    )
    yield arm, kv
    kv.close()
    arm.close()


def vault_body(tenant: str) -> dict[str, Any]:
    return {
        "location": "japaneast",
        "properties": {"tenantId": tenant, "sku": {"family": "A", "name": "standard"}},
    }


def test_rg_delete_soft_deletes_the_vault_and_purge_frees_the_name(
    clients: tuple[ArmClients, KeyVaultManagementClient], emulator: Emulator, unique_name: Any
) -> None:
    arm, kv = clients
    rg = unique_name("rg")
    name = unique_name("kv")[-24:].strip("-")
    arm.create_rg(rg)
    vault = kv.vaults.begin_create_or_update(
        rg, name, VaultCreateOrUpdateParameters(vault_body(emulator.tenant_id))
    ).result()
    assert vault.properties.enable_soft_delete is True
    assert [v.name for v in kv.vaults.list_by_resource_group(rg)] == [name]
    arm.resources.resource_groups.begin_delete(rg).result()

    deleted = kv.vaults.get_deleted(name, "japaneast")
    suffix = f"/resourceGroups/{rg}/providers/Microsoft.KeyVault/vaults/{name}"
    props = deleted.properties
    assert props and props.vault_id and props.scheduled_purge_date and props.deletion_date
    assert props.vault_id.endswith(suffix)
    assert props.scheduled_purge_date > props.deletion_date
    assert name in [d.name for d in kv.vaults.list_deleted()]

    arm.create_rg(rg)
    with pytest.raises(HttpResponseError) as info:
        kv.vaults.begin_create_or_update(
            rg, name, VaultCreateOrUpdateParameters(vault_body(emulator.tenant_id))
        ).result()
    assert info.value.status_code == 409
    assert info.value.error is not None
    assert info.value.error.code == "ConflictError"

    kv.vaults.begin_purge_deleted(name, "japaneast").result()
    with pytest.raises(ResourceNotFoundError):
        kv.vaults.get_deleted(name, "japaneast")
    again = kv.vaults.begin_create_or_update(
        rg, name, VaultCreateOrUpdateParameters(vault_body(emulator.tenant_id))
    ).result()
    assert again.name == name


def test_vault_delete_soft_deletes_and_recover_brings_it_back(
    clients: tuple[ArmClients, KeyVaultManagementClient], emulator: Emulator, unique_name: Any
) -> None:
    arm, kv = clients
    rg = unique_name("rg")
    name = unique_name("kv")[-24:].strip("-")
    arm.create_rg(rg)
    kv.vaults.begin_create_or_update(
        rg,
        name,
        VaultCreateOrUpdateParameters({**vault_body(emulator.tenant_id), "tags": {"k": "v"}}),
    ).result()
    kv.vaults.delete(rg, name)
    with pytest.raises(ResourceNotFoundError):
        kv.vaults.get(rg, name)
    deleted_props = kv.vaults.get_deleted(name, "japaneast").properties
    assert deleted_props is not None
    assert deleted_props.tags == {"k": "v"}
    body = vault_body(emulator.tenant_id)
    body["properties"]["createMode"] = "recover"
    recovered = kv.vaults.begin_create_or_update(
        rg, name, VaultCreateOrUpdateParameters(body)
    ).result()
    assert recovered.tags == {"k": "v"}
    with pytest.raises(ResourceNotFoundError):
        kv.vaults.get_deleted(name, "japaneast")


def test_purge_of_an_unknown_deleted_vault_is_404(
    clients: tuple[ArmClients, KeyVaultManagementClient],
) -> None:
    _arm, kv = clients
    with pytest.raises(ResourceNotFoundError):
        kv.vaults.begin_purge_deleted("no-such-vault-x", "japaneast").result()
