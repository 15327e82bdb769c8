"""Volume driver behaviour against the emulator: filters, idempotence, RG-missing, guards."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from azure.mgmt.compute.models import Disk, Snapshot

from kompox_tui import naming
from kompox_tui.errors import (
    ConfigError,
    ConflictError,
    NotFoundError,
    OperationTimeout,
    PreconditionError,
)

if TYPE_CHECKING:
    from volumes_fixtures import VolEnv

pytest_plugins = ["volumes_fixtures"]


def _disk_body(tags: dict[str, str] | None, size: int = 1) -> dict[str, Any]:
    body: dict[str, Any] = {
        "location": "japaneast",
        "sku": {"name": "Premium_LRS"},
        "properties": {"creationData": {"createOption": "Empty"}, "diskSizeGB": size},
    }
    if tags is not None:
        body["tags"] = tags
    return body


def test_user_tags_survive_assign(vol_env: VolEnv) -> None:
    d = vol_env.driver
    a = d.disk_create("db")
    b = d.disk_create("db")
    for disk in (a, b):
        tags = vol_env.disk_tags(disk.name) | {"owner": "team-x", "cost-center": "42"}
        vol_env.arm.compute.disks.begin_update(vol_env.rg, disk.azure_name, {"tags": tags}).result()
    d.disk_assign("db", b.name)
    for disk, assigned in ((a, "false"), (b, "true")):
        tags = vol_env.disk_tags(disk.name)
        assert tags["owner"] == "team-x" and tags["cost-center"] == "42"
        assert tags[naming.TAG_DISK_ASSIGNED] == assigned
        assert tags[naming.TAG_VOLUME] == vol_env.lv_key


def test_idempotent_assign_makes_zero_write_calls(vol_env: VolEnv) -> None:
    d = vol_env.driver
    a = d.disk_create("db")
    d.disk_create("db")
    vol_env.events.clear()
    d.disk_assign("db", a.name)
    assert vol_env.calls(), "the assign must at least list"
    assert vol_env.write_calls() == []
    assert [c.method for c in vol_env.calls()] == ["GET"]


def test_tag_writes_send_if_match_and_every_write_is_a_patch(vol_env: VolEnv) -> None:
    d = vol_env.driver
    a = d.disk_create("db")
    b = d.disk_create("db")
    vol_env.events.clear()
    d.disk_assign("db", b.name)
    patches = [c for c in vol_env.write_calls()]
    assert [c.method for c in patches] == ["PATCH", "PATCH"]
    # the clear of the old disk comes before the set of the new one
    assert a.azure_name in patches[0].path and b.azure_name in patches[1].path


def test_foreign_and_malformed_disks_in_the_same_rg_are_skipped(vol_env: VolEnv) -> None:
    env = vol_env
    d = env.driver
    mine = d.disk_create("db")
    u = naming.new_ulid()
    disks = env.arm.compute.disks
    seeds = {
        f"{env.lv_key}-{u}": None,  # no tags at all
        f"{env.lv_key}-{naming.new_ulid()}": {"managed-by": "kompox"},  # no volume tag
        f"{env.lv_key}-{naming.new_ulid()}x": naming.disk_tags(env.lv_key, u, True),  # not ULID
        f"{env.lv_key}-notaulid": naming.disk_tags(env.lv_key, u, True),
        f"other-{naming.new_ulid()}": naming.disk_tags(env.lv_key, u, True),  # foreign prefix
        f"{env.lv_key}-{naming.new_ulid()}-2": naming.disk_tags(env.lv_key, u, True),
        f"{env.lv_key}-{naming.new_ulid()}y": {naming.TAG_VOLUME: "db-000000"},
    }
    wrong_volume = f"{env.lv_key}-{naming.new_ulid()}"
    seeds[wrong_volume] = naming.disk_tags("db-000000", u, True)  # another volume's key
    for name, tags in seeds.items():
        disks.begin_create_or_update(env.rg, name, Disk(_disk_body(tags))).result()
    snaps = env.arm.compute.snapshots
    snaps.begin_create_or_update(
        env.rg,
        f"{env.lv_key}-{naming.new_ulid()}",
        Snapshot(
            {
                "location": "japaneast",
                "sku": {"name": "Standard_LRS"},
                "properties": {
                    "incremental": True,
                    "creationData": {"createOption": "Copy", "sourceResourceId": mine.resource_id},
                },
            }
        ),
    ).result()  # a snapshot without tags

    assert [x.name for x in d.disk_list("db")] == [mine.name]
    assert d.snapshot_list("db") == []
    health = d.volume_health("db")
    assert (health.disks, health.assigned, health.state) == (1, 1, "ok")
    # the foreign "assigned" disks do not count: assigning mine again writes nothing
    env.events.clear()
    d.disk_assign("db", mine.name)
    assert env.write_calls() == []
    # and a new disk is not the volume's first
    assert d.disk_create("db").assigned is False


def test_resource_group_missing(vol_env: VolEnv) -> None:
    d = vol_env.driver
    u = naming.new_ulid()
    assert d.disk_list("db") == []
    assert d.snapshot_list("db") == []
    assert d.volume_health("db").state == "empty"
    with pytest.raises(NotFoundError, match="resource group"):
        d.disk_assign("db", u)
    d.disk_delete("db", u)
    d.snapshot_delete("db", u)
    assert not vol_env.arm.resources.resource_groups.check_existence(vol_env.rg)
    # create makes the RG (provider location, managed-by tag) and the first disk
    disk = d.disk_create("db")
    group = vol_env.arm.resources.resource_groups.get(vol_env.rg)
    assert group.location == vol_env.config.provider.settings["AZURE_LOCATION"]
    assert group.tags == {"managed-by": "kompox"}
    assert disk.assigned is True


def test_unknown_volume_and_missing_setting_fail_before_any_call(
    vol_env_factory: Any,
) -> None:
    env: VolEnv = vol_env_factory(volumes=(("db", "1Gi"), ("logs", "2Gi")))
    with pytest.raises(NotFoundError, match=r"'nope'.*db, logs"):
        env.driver.disk_list("nope")
    with pytest.raises(NotFoundError, match="nope"):
        env.driver.disk_create("nope")
    assert env.events == []

    bare: VolEnv = vol_env_factory(extra_app_settings={"AZURE_RESOURCE_GROUP_NAME": ""})
    for call in (
        lambda: bare.driver.disk_list("db"),
        lambda: bare.driver.disk_create("db"),
        lambda: bare.driver.disk_assign("db", naming.new_ulid()),
        lambda: bare.driver.snapshot_list("db"),
    ):
        with pytest.raises(ConfigError) as info:
            call()
        assert "app.settings.AZURE_RESOURCE_GROUP_NAME" in str(info.value)
        assert str(bare.config.path) in str(info.value)
    assert bare.events == []


def test_assign_unknown_disk_is_not_found(vol_env: VolEnv) -> None:
    vol_env.driver.disk_create("db")
    with pytest.raises(NotFoundError, match="not found"):
        vol_env.driver.disk_assign("db", naming.new_ulid())
    with pytest.raises(NotFoundError, match="ULID"):
        vol_env.driver.disk_delete("db", "not-a-ulid")


def test_name_clash_on_create_is_a_conflict_and_nothing_is_overwritten(vol_env: VolEnv) -> None:
    env = vol_env
    env.driver.disk_create("db")
    pinned = naming.new_ulid()
    name = env.azure_name(pinned)
    foreign_tags = {"owner": "someone-else"}
    env.arm.compute.disks.begin_create_or_update(
        env.rg, name, Disk(_disk_body(foreign_tags, 7))
    ).result()
    env.ops.new_ulid = lambda: pinned
    with pytest.raises(ConflictError, match="already exists"):
        env.driver.disk_create("db")
    raw = env.arm.compute.disks.get(env.rg, name)
    assert raw["tags"] == foreign_tags and raw["properties"]["diskSizeGB"] == 7
    puts = [c for c in env.write_calls() if c.method == "PUT" and name in c.path]
    assert len(puts) == 1, "the clashing name must not be retried"


def test_a_disk_identical_to_ours_is_adopted_not_a_false_conflict(vol_env: VolEnv) -> None:
    # Stand-in for "the server applied our first PUT, the connection dropped, azure-core
    # retried": the retry meets exactly the disk we asked for.
    env = vol_env
    env.driver.disk_create("db")
    pinned = naming.new_ulid()
    name = env.azure_name(pinned)
    env.arm.compute.disks.begin_create_or_update(
        env.rg, name, Disk(_disk_body(naming.disk_tags(env.lv_key, pinned, False)))
    ).result()
    env.ops.new_ulid = lambda: pinned
    disk = env.driver.disk_create("db")
    assert disk.name == pinned and disk.assigned is False


def test_delete_refuses_a_disk_not_tagged_for_the_volume(vol_env: VolEnv) -> None:
    env = vol_env
    env.driver.disk_create("db")
    u = naming.new_ulid()
    env.arm.compute.disks.begin_create_or_update(
        env.rg, env.azure_name(u), Disk(_disk_body({"owner": "x"}))
    ).result()
    with pytest.raises(PreconditionError, match="not tagged"):
        env.driver.disk_delete("db", u)
    assert env.arm.compute.disks.get(env.rg, env.azure_name(u))["tags"] == {"owner": "x"}


def test_snapshot_needs_an_assigned_disk_or_a_name(vol_env: VolEnv) -> None:
    env = vol_env
    a = env.driver.disk_create("db")
    b = env.driver.disk_create("db")
    env.driver.disk_delete("db", a.name, force=True)
    with pytest.raises(PreconditionError, match="no assigned disk"):
        env.driver.snapshot_create("db")
    snap = env.driver.snapshot_create("db", b.name)
    assert snap.source_disk == b.name
    with pytest.raises(NotFoundError):
        env.driver.snapshot_create("db", naming.new_ulid())
    with pytest.raises(NotFoundError):
        env.driver.snapshot_restore("db", naming.new_ulid())


def test_operations_time_out_with_operation_timeout(vol_env: VolEnv) -> None:
    env = vol_env
    env.driver.disk_create("db")
    env.ops.timeouts["disk list"] = 0.2
    env.emu.add_fault(
        "GET", f"/resourceGroups/{env.rg}/providers/Microsoft.Compute/disks$", latency=0.5, count=1
    )
    with pytest.raises(OperationTimeout, match="disk list"):
        env.driver.disk_list("db")


def test_snapshot_of_an_inconsistent_volume_asks_for_a_disk_name(vol_env: VolEnv) -> None:
    env = vol_env
    a = env.driver.disk_create("db")
    b = env.driver.disk_create("db")
    tags = env.disk_tags(b.name) | {naming.TAG_DISK_ASSIGNED: "true"}
    env.arm.compute.disks.begin_update(env.rg, b.azure_name, {"tags": tags}).result()
    env.events.clear()
    with pytest.raises(PreconditionError) as info:
        env.driver.snapshot_create("db")
    assert "2 assigned disks" in str(info.value) and a.name in str(info.value)
    assert "choose a disk" in str(info.value)
    assert env.write_calls() == []
    assert env.driver.snapshot_create("db", a.name).source_disk == a.name
