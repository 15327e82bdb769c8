"""SPEC §2 names, hashes and tags, pinned with literal vectors (computed once with hashlib)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kompox_tui import naming
from kompox_tui.naming import (
    MonotonicUlid,
    azure_name_problem,
    azure_resource_name,
    cluster_tag_value,
    disk_tags,
    id_hash,
    is_dns1123_label,
    is_ulid,
    longest_azure_name_for,
    new_ulid,
    parse_ulid_from_name,
    service_name,
    snapshot_tags,
    stack_name,
    stack_tags,
    ulid_time,
    volume_key,
)

# sha1("svc1:aks1:app1") = 97634f...; sha1("(nil):aks1:app1") = 4e468a...
SPEC_ULID = "01ARZ3NDEKTSV4RRFFQ69G5FAV"  # the ULID specification's own example


@pytest.mark.parametrize(
    ("service", "provider", "app", "expected"),
    [
        ("svc1", "aks1", "app1", "97634f"),
        (None, "aks1", "app1", "4e468a"),
        ("", "aks1", "app1", "4e468a"),
        ("(nil)", "aks1", "app1", "4e468a"),
        ("svc1", "aks1", "app2", "7ea693"),
        ("svc1", "aks2", "app1", "0dd245"),
    ],
)
def test_id_hash_literal_vectors(
    service: str | None, provider: str, app: str, expected: str
) -> None:
    assert id_hash(service, provider, app) == expected


def test_id_hash_does_not_depend_on_the_cluster() -> None:
    # The signature has no cluster: two clusters of one app share their volumes' keys.
    assert id_hash("svc1", "aks1", "app1") == "97634f"


def test_service_name_nil() -> None:
    assert service_name(None) == "(nil)"
    assert service_name("") == "(nil)"
    assert service_name("svc1") == "svc1"


def test_stack_name() -> None:
    assert stack_name("svc1", "aks1", "cluster1") == "kompox_svc1_aks1_cluster1"
    assert stack_name(None, "aks1", "cluster1") == "kompox_(nil)_aks1_cluster1"


def test_cluster_tag_and_stack_tags() -> None:
    assert cluster_tag_value("svc1", "aks1", "cluster1") == "svc1/aks1/cluster1"
    assert stack_tags(None, "aks1", "c1") == {
        "kompox-cluster": "(nil)/aks1/c1",
        "managed-by": "kompox",
    }


def test_volume_key_and_azure_name() -> None:
    lv_key = volume_key("db", id_hash("svc1", "aks1", "app1"))
    assert lv_key == "db-97634f"
    assert azure_resource_name(lv_key, SPEC_ULID) == "db-97634f-01ARZ3NDEKTSV4RRFFQ69G5FAV"
    assert longest_azure_name_for("db") == len("db-97634f-01ARZ3NDEKTSV4RRFFQ69G5FAV") == 36


def test_disk_tags() -> None:
    assert disk_tags("db-97634f", SPEC_ULID, True) == {
        "kompox-volume": "db-97634f",
        "kompox-disk-name": SPEC_ULID,
        "kompox-disk-assigned": "true",
        "managed-by": "kompox",
    }
    assert disk_tags("db-97634f", SPEC_ULID, False)["kompox-disk-assigned"] == "false"


def test_snapshot_tags() -> None:
    source = "01KDYAK3SE2FWDJ1G8D6B7GWMT"
    assert snapshot_tags("db-97634f", SPEC_ULID, source) == {
        "kompox-volume": "db-97634f",
        "kompox-snapshot-name": SPEC_ULID,
        "kompox-disk-name": source,
        "managed-by": "kompox",
    }


@pytest.mark.parametrize(
    ("volume", "problem"),
    [
        ("v" * 46, None),
        ("db", None),
        ("v" * 47, "would be 81 characters"),
        ("db!", "only letters, digits"),
        ("d b", "only letters, digits"),
    ],
)
def test_azure_name_problem(volume: str, problem: str | None) -> None:
    result = azure_name_problem(volume)
    if problem is None:
        assert result is None
    else:
        assert result is not None and problem in result


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("db-97634f-01ARZ3NDEKTSV4RRFFQ69G5FAV", SPEC_ULID),
        ("db-97634f-01arz3ndektsv4rrffq69g5fav", None),  # Azure names keep the ULID upper-case
        ("db-97634f-01ARZ3NDEKTSV4RRFFQ69G5FA", None),  # 25 characters
        ("db-97634f-01ARZ3NDEKTSV4RRFFQ69G5FAV-x", None),
        ("logs-97634f-01ARZ3NDEKTSV4RRFFQ69G5FAV", None),
        ("db-000000-01ARZ3NDEKTSV4RRFFQ69G5FAV", None),
        ("db-97634f-01ARZ3NDEKTSV4RRFFQ69G5FAW", "01ARZ3NDEKTSV4RRFFQ69G5FAW"),
        ("db-97634f-01ARZ3NDEKTSV4RRFFQ69G5FAU", None),  # U is not Crockford base32
        ("db-97634f-01ARZ3NDEKTSV4RRFFQ69G5FAI", None),  # I is not Crockford base32
    ],
)
def test_parse_ulid_from_name(name: str, expected: str | None) -> None:
    assert parse_ulid_from_name(name, "db-97634f") == expected


def test_is_ulid() -> None:
    assert is_ulid(SPEC_ULID)
    assert not is_ulid(SPEC_ULID[:-1])
    assert not is_ulid(SPEC_ULID.lower())
    assert not is_ulid("01ARZ3NDEKTSV4RRFFQ69G5FAL")


def test_ulid_time_of_the_spec_example() -> None:
    assert ulid_time(SPEC_ULID) == datetime(2016, 7, 30, 23, 54, 10, 259000, tzinfo=UTC)


def test_ulid_encodes_the_given_utc_time() -> None:
    at = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    value = MonotonicUlid().new(at)
    assert value.startswith("01KDYAK3SE")  # 1767323045678 ms in Crockford base32
    assert ulid_time(value) == at
    assert is_ulid(value)


def test_ulids_are_monotonic_within_one_millisecond() -> None:
    generator = MonotonicUlid()
    at = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    values = [generator.new(at) for _ in range(1000)]
    assert values == sorted(values)
    assert len(set(values)) == 1000
    assert all(v.startswith("01KDYAK3SE") for v in values)


def test_ulids_stay_monotonic_when_the_clock_goes_back() -> None:
    generator = MonotonicUlid()
    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    first = generator.new(at)
    second = generator.new(at - timedelta(seconds=10))
    assert second > first


def test_new_ulid_sorts_in_creation_order_and_parses_back() -> None:
    values = [new_ulid() for _ in range(50)]
    assert values == sorted(values)
    lv_key = volume_key("db", "97634f")
    for value in values:
        assert parse_ulid_from_name(azure_resource_name(lv_key, value), lv_key) == value
    now = datetime.now(UTC)
    assert abs((ulid_time(values[-1]) - now).total_seconds()) < 60


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("svc1", True),
        ("a", True),
        ("a-b-1", True),
        ("a" * 63, True),
        ("a" * 64, False),
        ("Svc1", False),
        ("-a", False),
        ("a-", False),
        ("a_b", False),
        ("a.b", False),
        ("", False),
    ],
)
def test_dns1123_label(value: str, ok: bool) -> None:
    assert is_dns1123_label(value) is ok


def test_constants() -> None:
    assert naming.DRIVER_ID == "aks"
    assert naming.AZURE_DISK_NAME_MAX == 80
    assert naming.ULID_LENGTH == 26
