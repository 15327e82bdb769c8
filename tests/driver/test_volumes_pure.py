"""Pure parts of the volume driver: filters, parsing, sorting, error mapping."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from azure.core.exceptions import ResourceNotFoundError

from kompox_tui import naming
from kompox_tui.azure.volumes import (
    Deadline,
    VolumeContext,
    assign_winner,
    disk_from_item,
    is_rg_missing,
    parse_time,
    snapshot_from_item,
    sort_newest_first,
    to_kompox_error,
)
from kompox_tui.errors import AzureError, OperationTimeout
from kompox_tui.model import Volume, VolumeDisk

LV = "db-abc123"
CTX = VolumeContext(
    volume=Volume("db", "32Gi", 32),
    lv_key=LV,
    prefix=f"{LV}-",
    resource_group="rg-app",
    location="japaneast",
)
RG_ID = "/subscriptions/s/resourceGroups/rg-app"
U1 = "01JD0000000000000000000001"
U2 = "01JD0000000000000000000002"
U3 = "01JD0000000000000000000003"


def disk_item(
    ulid: str = U1,
    *,
    name: str | None = None,
    tags: object = "default",
    created: object = "2025-01-01T04:41:35.0798720+00:00",
    assigned: str = "true",
) -> dict[str, object]:
    if tags == "default":
        tags = naming.disk_tags(LV, ulid, assigned=assigned == "true")
    return {
        "id": f"{RG_ID}/providers/Microsoft.Compute/disks/{LV}-{ulid}",
        "name": name if name is not None else f"{LV}-{ulid}",
        "location": "japaneast",
        "tags": tags,
        "sku": {"name": "Premium_LRS", "tier": "Premium"},
        "properties": {"diskSizeGB": 32, "timeCreated": created},
    }


def test_parse_time_accepts_azure_seven_digit_fractions_and_z() -> None:
    assert parse_time("2025-01-01T04:41:35.0798720+00:00") == datetime(
        2025, 1, 1, 4, 41, 35, 79872, tzinfo=UTC
    )
    assert parse_time("2025-01-01T04:41:35Z") == datetime(2025, 1, 1, 4, 41, 35, tzinfo=UTC)
    assert parse_time("2025-01-01T04:41:35") == datetime(2025, 1, 1, 4, 41, 35, tzinfo=UTC)
    assert parse_time("not a time") is None
    assert parse_time(None) is None
    assert parse_time(12) is None


def test_disk_from_item_reads_every_field() -> None:
    item = disk_item()
    item["tags"] = {**naming.disk_tags(LV, U1, True), naming.TAG_SNAPSHOT_NAME: U2}
    record = disk_from_item(item, CTX)
    assert record is not None
    disk = record.disk
    assert (disk.name, disk.azure_name, disk.volume, disk.size_gib) == (U1, f"{LV}-{U1}", "db", 32)
    assert disk.assigned is True
    assert disk.source == U2
    assert disk.sku == "Premium_LRS"
    assert disk.resource_id.endswith(f"/disks/{LV}-{U1}")
    assert record.location == "japaneast"


@pytest.mark.parametrize(
    "item",
    [
        disk_item(tags=None),
        disk_item(tags={}),
        disk_item(tags={naming.TAG_VOLUME: "other-abc123"}),
        disk_item(tags="not-a-dict"),
        disk_item(name=f"other-abc123-{U1}"),
        disk_item(name=f"{LV}-notaulid"),
        disk_item(name=f"{LV}-{U1}-extra"),
        disk_item(name=f"{LV}{U1}"),
        {"name": 42, "tags": {}},
        {"tags": {naming.TAG_VOLUME: LV}},
        {},
    ],
    ids=[
        "no-tags",
        "empty-tags",
        "other-volume-tag",
        "tags-not-a-map",
        "foreign-prefix",
        "not-a-ulid",
        "ulid-with-suffix",
        "no-dash",
        "name-not-str",
        "no-name",
        "empty",
    ],
)
def test_items_failing_a_filter_are_skipped_never_raise(item: dict[str, object]) -> None:
    assert disk_from_item(item, CTX) is None
    assert snapshot_from_item(item, CTX) is None


def test_missing_or_bad_time_falls_back_to_the_ulid_time() -> None:
    record = disk_from_item(disk_item(created=None), CTX)
    assert record is not None
    assert record.disk.created_at == naming.ulid_time(U1)
    record = disk_from_item(disk_item(created="garbage"), CTX)
    assert record is not None and record.disk.created_at == naming.ulid_time(U1)


def test_unassigned_and_odd_assigned_values() -> None:
    for value, expected in (("false", False), ("TRUE", True), ("", False), ("yes", False)):
        item = disk_item()
        item["tags"] = {**naming.disk_tags(LV, U1, False), naming.TAG_DISK_ASSIGNED: value}
        record = disk_from_item(item, CTX)
        assert record is not None and record.disk.assigned is expected


def test_snapshot_from_item_reads_source_disk() -> None:
    item = disk_item(U3, tags=naming.snapshot_tags(LV, U3, U1))
    record = snapshot_from_item(item, CTX)
    assert record is not None
    assert record.snapshot.name == U3
    assert record.snapshot.source_disk == U1


def test_sorted_newest_first_ties_by_name() -> None:
    same = "2025-01-02T00:00:00+00:00"
    records = [
        disk_from_item(disk_item(U1, created="2025-01-01T00:00:00+00:00"), CTX),
        disk_from_item(disk_item(U3, created=same), CTX),
        disk_from_item(disk_item(U2, created=same), CTX),
    ]
    ordered = sort_newest_first([r for r in records if r is not None])
    assert [r.disk.name for r in ordered] == [U2, U3, U1]


def test_assign_winner_is_the_greatest_ulid() -> None:
    def d(ulid: str) -> VolumeDisk:
        return VolumeDisk(ulid, f"{LV}-{ulid}", "db", 1, True, datetime.now(UTC), "")

    winner = assign_winner([d(U2), d(U3), d(U1)])
    assert winner is not None and winner.name == U3
    assert assign_winner([]) is None


def _not_found(code: str) -> ResourceNotFoundError:
    class Err:
        pass

    exc = ResourceNotFoundError(message=f"({code}) x")
    err = Err()
    err.code = code  # type: ignore[attr-defined]
    exc.error = err  # type: ignore[assignment]
    return exc


def test_rg_missing_comes_from_the_error_code_not_the_text() -> None:
    assert is_rg_missing(_not_found("ResourceGroupNotFound"))
    assert not is_rg_missing(_not_found("ResourceNotFound"))
    assert not is_rg_missing(ValueError("ResourceGroupNotFound"))


def test_azure_errors_carry_code_and_message() -> None:
    exc = _not_found("ResourceNotFound")
    exc.error.message = "gone"  # type: ignore[union-attr]
    mapped = to_kompox_error("disk get", exc)
    assert isinstance(mapped, AzureError)
    assert mapped.code == "ResourceNotFound"
    assert "gone" in str(mapped)


def test_deadline_raises_operation_timeout() -> None:
    deadline = Deadline("disk list", 0.0)
    with pytest.raises(OperationTimeout, match="disk list"):
        deadline.remaining()
