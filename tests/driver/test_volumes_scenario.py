"""The issue's full volume scenario against the emulator (real compute SDK over TLS)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pytest

from kompox_tui import naming
from kompox_tui.errors import PreconditionError

if TYPE_CHECKING:
    from volumes_fixtures import VolEnv

pytest_plugins = ["volumes_fixtures"]


def test_full_volume_scenario(vol_env: VolEnv) -> None:
    env = vol_env
    d = env.driver
    t0 = time.monotonic()
    first = d.disk_create("db")
    assert first.assigned is True
    assert first.size_gib == 1 and first.sku == "Premium_LRS"
    assert first.azure_name == f"{env.lv_key}-{first.name}"
    assert env.disk_tags(first.name) == naming.disk_tags(env.lv_key, first.name, True)
    second = d.disk_create("db")
    third = d.disk_create("db")
    assert not second.assigned and not third.assigned

    listed = d.disk_list("db")
    assert [x.name for x in listed] == [third.name, second.name, first.name]
    assert [x.assigned for x in listed] == [False, False, True]

    d.disk_assign("db", second.name)
    assert env.assigned() == [second.name]
    health = d.volume_health("db")
    assert (health.state, health.assigned_disks) == ("ok", (second.name,))

    snap = d.snapshot_create("db")  # default: the assigned disk
    assert snap.source_disk == second.name
    assert [s.name for s in d.snapshot_list("db")] == [snap.name]
    raw = env.arm.compute.snapshots.get(env.rg, snap.azure_name)
    assert raw["properties"]["incremental"] is True
    assert raw["sku"]["name"] == "Standard_LRS"
    assert raw["properties"]["creationData"]["createOption"] == "Copy"
    assert raw["properties"]["creationData"]["sourceResourceId"].lower() == (
        second.resource_id.lower()
    )
    assert raw["tags"] == naming.snapshot_tags(env.lv_key, snap.name, second.name)

    restored = d.snapshot_restore("db", snap.name)
    assert restored.assigned is False
    assert restored.source == snap.name
    assert restored.sku == "Premium_LRS"
    raw_disk = env.arm.compute.disks.get(env.rg, restored.azure_name)
    assert raw_disk["properties"]["creationData"]["createOption"] == "Copy"
    assert raw_disk["properties"]["creationData"]["sourceResourceId"].lower() == (
        snap.resource_id.lower()
    )
    assert d.disk_list("db")[0].name == restored.name
    assert d.disk_list("db")[0].source == snap.name

    d.disk_assign("db", restored.name)
    assert env.assigned() == [restored.name]

    for old in (first, second, third):
        d.disk_delete("db", old.name)
    with pytest.raises(PreconditionError, match="assigned"):
        d.disk_delete("db", restored.name)
    assert [x.name for x in d.disk_list("db")] == [restored.name]
    d.disk_delete("db", restored.name, force=True)
    assert d.disk_list("db") == []
    assert d.volume_health("db").state == "empty"

    d.snapshot_delete("db", snap.name)
    assert d.snapshot_list("db") == []
    # absent deletes succeed
    d.snapshot_delete("db", snap.name)
    d.disk_delete("db", first.name)
    assert time.monotonic() - t0 < 10
