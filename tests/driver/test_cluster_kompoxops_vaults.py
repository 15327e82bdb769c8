"""Key Vault soft delete meets deprovision: Azure keeps a deleted vault's name for 90 days,
so a cluster deprovisioned without a purge cannot be provisioned again (its template
creates the same ``kv-<token>``). Both layouts purge after deleting, as kompoxops does."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from recording_driver import RecordingDriver

from kompox_tui.emulator import Emulator
from kompox_tui.model import Config


def test_guide_layout_purges_the_vault_so_the_cluster_can_be_provisioned_again(
    emulator: Emulator,
    config_factory: Callable[..., Config],
    make_driver: Callable[..., RecordingDriver],
) -> None:
    suffix = uuid.uuid4().hex[:8]
    driver = make_driver(config_factory(cluster=f"kv{suffix}", cluster_rg=f"rg-kv-{suffix}"))
    driver.cluster_provision()
    prefix = (
        f"/subscriptions/{emulator.subscription_id}/resourcegroups/rg-kv-{suffix}/providers/"
        "microsoft.keyvault/vaults/"
    ).lower()
    vaults = [
        key[len(prefix) :]
        for key, _ in emulator.ctx.store.items("arm", prefix)
        if "/" not in key[len(prefix) :]
    ]
    assert len(vaults) == 1
    driver.cluster_deprovision()
    purges = driver.calls_with("POST", f"/deletedVaults/{vaults[0]}/purge")
    assert [p.status for p in purges] == [202]
    # the purge is started, not awaited; the emulated one takes seconds at test speed
    emulator.ctx.operations.settle_all()
    driver.cluster_provision()
    assert driver.cluster_status().provisioned
