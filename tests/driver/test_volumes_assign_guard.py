"""Assign and delete refusals (issue 13.1) and the lease line when there is no cluster.

Each refusal happens before any write, names Azure's reason and what to do. The states
come from the emulator as Azure reports them: a PATCH whose operation ends Failed leaves
the disk ``provisioningState: Failed``; a disk mounted by a scheduled pod is
``diskState: Attached`` with ``managedBy`` set (``set_disk_attachment``, the emulator's
attach path).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from azure.core.exceptions import HttpResponseError

from kompox_tui.emulator.compute import set_disk_attachment
from kompox_tui.errors import PreconditionError
from kompox_tui.model import ProgressEvent

if TYPE_CHECKING:
    from volumes_fixtures import VolEnv

pytest_plugins = ["volumes_fixtures"]

VMSS_VM = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/MC_rg_c_japaneast/"
    "providers/Microsoft.Compute/virtualMachineScaleSets/aks-system-12345678-vmss/"
    "virtualMachines/0"
)


def test_assigning_a_failed_disk_is_refused_before_any_write(vol_env: VolEnv) -> None:
    env = vol_env
    d = env.driver
    d.disk_create("db")
    b = d.disk_create("db")
    env.emu.add_fault(
        "PATCH", re.escape(b.azure_name), lro_error=("InternalDiskError", "failed"), count=1
    )
    with pytest.raises(HttpResponseError):
        tags = env.disk_tags(b.name) | {"touch": "1"}
        env.arm.compute.disks.begin_update(env.rg, b.azure_name, {"tags": tags}).result()
    env.emu.clear_faults()
    listed = next(x for x in d.disk_list("db") if x.name == b.name)
    assert listed.provisioning_state == "Failed"
    env.events.clear()
    with pytest.raises(PreconditionError) as info:
        d.disk_assign("db", b.name)
    message = str(info.value)
    assert "provisioningState Failed" in message and "restore a snapshot" in message
    assert env.write_calls() == []


def test_deleting_an_attached_disk_is_refused_as_azure_refuses_it(vol_env: VolEnv) -> None:
    env = vol_env
    d = env.driver
    d.disk_create("db")
    b = d.disk_create("db")
    assert set_disk_attachment(env.emu.ctx.store, b.resource_id, VMSS_VM)
    env.events.clear()
    for force in (False, True):  # force overrides "assigned", never Azure's refusal
        with pytest.raises(PreconditionError) as info:
            d.disk_delete("db", b.name, force=force)
        message = str(info.value)
        assert "409 OperationNotAllowed" in message
        assert "Attached to aks-system-12345678-vmss000000" in message  # the node's name
        assert "scale the app down" in message
    assert env.write_calls() == []
    set_disk_attachment(env.emu.ctx.store, b.resource_id, None)
    d.disk_delete("db", b.name)
    assert b.name not in [x.name for x in d.disk_list("db")]


def test_deleting_the_assigned_disk_needs_force_checked_on_a_fresh_read(vol_env: VolEnv) -> None:
    env = vol_env
    d = env.driver
    a = d.disk_create("db")  # assigned
    env.events.clear()
    with pytest.raises(PreconditionError, match="assigned disk"):
        d.disk_delete("db", a.name)
    assert env.write_calls() == []
    d.disk_delete("db", a.name, force=True)
    assert d.disk_list("db") == []


def test_without_a_provisioned_cluster_one_line_says_the_swap_runs_unguarded(
    vol_env: VolEnv,
) -> None:
    env = vol_env
    d = env.driver
    d.disk_create("db")
    b = d.disk_create("db")
    env.events.clear()
    outcome = d.disk_assign("db", b.name)
    lines = [
        e.message
        for e in env.events
        if isinstance(e, ProgressEvent) and "cluster lease not used" in e.message
    ]
    assert len(lines) == 1, lines
    assert "not provisioned" in lines[0] and "other kompox-tui instances" in lines[0]
    assert lines[0] in outcome.notes
    assert env.assigned() == [b.name]
