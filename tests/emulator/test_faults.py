"""Fault injection observed through the real SDKs, plus the ``--faults`` syntax."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ServiceResponseError
from azure.core.pipeline.transport import HttpResponse as LegacyHttpResponse
from azure.core.rest import HttpResponse
from azure.mgmt.compute.models import Snapshot

from kompox_tui.emulator import Emulator
from kompox_tui.emulator.faults import Faults, FaultSpecError, parse_spec
from kompox_tui.emulator.testing import ArmClients


@pytest.fixture
def emu(emulator: Emulator) -> Iterator[Emulator]:
    """The session emulator; every rule a test adds is removed afterwards."""
    emulator.clear_faults()
    yield emulator
    emulator.clear_faults()


def _headers(error: HttpResponseError) -> Mapping[str, str]:
    """The failed response's headers (azure-core types ``error.response`` as a protocol
    without them; the object is one of the pipeline's two response classes)."""
    response = error.response
    assert isinstance(response, HttpResponse | LegacyHttpResponse), type(response)
    return response.headers


@pytest.fixture
def rg1(arm: ArmClients, unique_name: Any) -> str:
    """A fresh resource group; fault rules target its unique path."""
    name: str = unique_name("rg")
    arm.create_rg(name)
    return name


@pytest.fixture
def arm_rg(emu: Emulator, arm: ArmClients, rg1: str) -> ArmClients:
    return arm


def _statuses(emu: Emulator, method: str, suffix: str) -> list[int]:
    return [
        r["status"]
        for r in emu.requests()
        if r["method"] == method and r["path"].lower().endswith(suffix.lower())
    ]


# --- throttling and server errors -------------------------------------------------------


def test_429_is_retried_then_succeeds(emu: Emulator, arm_rg: ArmClients, rg1: str) -> None:
    handle = emu.add_fault("GET", rf"/resourcegroups/{rg1}$", status=429, count=2)
    assert arm_rg.resources.resource_groups.get(rg1).name == rg1
    assert handle.hits == 2
    assert _statuses(emu, "GET", f"/resourcegroups/{rg1}") == [429, 429, 200]


def test_429_surfaces_with_retries_off(emu: Emulator, arm_factory: Any, rg1: str) -> None:
    arm = arm_factory(emu, retry_total=0)
    emu.add_fault("GET", rf"/resourcegroups/{rg1}$", status=429, count=1, retry_after=7)
    with pytest.raises(HttpResponseError) as info:
        arm.resources.resource_groups.get(rg1)
    assert info.value.status_code == 429
    assert info.value.error is not None
    assert info.value.error.code == "TooManyRequests"
    assert info.value.error.message == "The request is being throttled."
    assert _headers(info.value)["Retry-After"] == "7"
    assert arm.resources.resource_groups.get(rg1).name == rg1  # count=1: over


def test_429_default_retry_after_is_one_emulated_second(
    emu: Emulator, arm_factory: Any, rg1: str
) -> None:
    arm = arm_factory(emu, retry_total=0)
    emu.add_fault("*", f"/resourcegroups/{rg1}$", status=429)
    with pytest.raises(HttpResponseError) as info:
        arm.resources.resource_groups.get(rg1)
    assert _headers(info.value)["Retry-After"] == "0.001"  # speed 1000


def test_patch_429_on_disks_retried_by_compute(emu: Emulator, arm_rg: ArmClients, rg1: str) -> None:
    arm_rg.create_disk(rg1, "d1", size_gb=1)
    handle = emu.add_fault(
        "PATCH", f"/{rg1}/providers/Microsoft.Compute/disks/", status=429, count=2
    )
    updated = arm_rg.compute.disks.begin_update(rg1, "d1", {"tags": {"a": "b"}}).result()
    assert updated.tags == {"a": "b"}
    assert handle.hits == 2


def test_500_is_retried_for_get(emu: Emulator, arm_rg: ArmClients, rg1: str) -> None:
    handle = emu.add_fault("GET", rf"/resourcegroups/{rg1}$", status=500, count=1)
    assert arm_rg.resources.resource_groups.get(rg1).name == rg1
    assert handle.hits == 1
    assert _statuses(emu, "GET", f"/resourcegroups/{rg1}") == [500, 200]


def test_500_surfaces_with_its_arm_body(emu: Emulator, arm_factory: Any, rg1: str) -> None:
    arm = arm_factory(emu, retry_total=0)
    emu.add_fault("GET", rf"/resourcegroups/{rg1}$", status=500)
    with pytest.raises(HttpResponseError) as info:
        arm.resources.resource_groups.get(rg1)
    assert info.value.status_code == 500
    assert info.value.error is not None
    assert info.value.error.code == "InternalServerError"
    assert "Retry-After" not in _headers(info.value)


def test_503_carries_retry_after_and_is_retried(emu: Emulator, arm_factory: Any, rg1: str) -> None:
    arm = arm_factory(emu, retry_total=0)
    emu.add_fault("GET", rf"/resourcegroups/{rg1}$", status=503, nth=1)
    with pytest.raises(HttpResponseError) as info:
        arm.resources.resource_groups.get(rg1)
    assert info.value.status_code == 503
    assert info.value.error is not None
    assert info.value.error.code == "ServiceUnavailable"
    assert "Retry-After" in _headers(info.value)
    retrying = arm_factory(emu)
    emu.add_fault("GET", rf"/resourcegroups/{rg1}$", status=503, count=1)
    assert retrying.resources.resource_groups.get(rg1).name == rg1


def test_custom_code_and_message(emu: Emulator, arm_factory: Any, rg1: str) -> None:
    arm = arm_factory(emu, retry_total=0)
    emu.add_fault(
        "GET",
        f"/resourcegroups/{rg1}$",
        status=429,
        code="SubscriptionRequestsThrottled",
        message="Number of requests for subscription exceeded the limit.",
    )
    with pytest.raises(HttpResponseError) as info:
        arm.resources.resource_groups.get(rg1)
    assert info.value.error is not None
    assert info.value.error.code == "SubscriptionRequestsThrottled"


# --- dropped connections and latency ---------------------------------------------------


def test_dropped_connection_surfaces_as_service_response_error(
    emu: Emulator, arm_factory: Any, rg1: str
) -> None:
    arm = arm_factory(emu, retry_total=0)
    handle = emu.add_fault("GET", rf"/resourcegroups/{rg1}$", drop=True, count=1)
    with pytest.raises(ServiceResponseError):
        arm.resources.resource_groups.get(rg1)
    assert handle.hits == 1
    assert arm.resources.resource_groups.get(rg1).name == rg1


def test_dropped_connection_is_retried_by_the_sdk(
    emu: Emulator, arm_rg: ArmClients, rg1: str
) -> None:
    handle = emu.add_fault("GET", rf"/resourcegroups/{rg1}$", drop=True, count=1)
    assert arm_rg.resources.resource_groups.get(rg1).name == rg1
    assert handle.hits == 1


def test_fixed_latency_delays_the_response(emu: Emulator, arm_rg: ArmClients, rg1: str) -> None:
    handle = emu.add_fault("GET", rf"/resourcegroups/{rg1}$", latency=0.3)
    start = time.monotonic()
    assert arm_rg.resources.resource_groups.get(rg1).name == rg1
    assert time.monotonic() - start >= 0.3
    assert handle.hits == 1


def test_jittered_latency_stays_in_range() -> None:
    faults = Faults(seed=7)
    faults.add("*", "*", latency=(0.01, 0.05))
    delays = [faults.evaluate("GET", "/x", 0.001).delay for _ in range(50)]
    assert all(0.01 <= d <= 0.05 for d in delays)
    assert len(set(delays)) > 10


def test_global_latency_option() -> None:
    with Emulator(speed=1000, latency=0.2) as emu:
        import requests

        start = time.monotonic()
        requests.get(f"{emu.arm_url}/common/discovery/instance", verify=emu.ca_bundle, timeout=5)
        assert time.monotonic() - start >= 0.2


# --- LRO failure -------------------------------------------------------------------------


def test_lro_fail_ends_the_operation_failed_with_the_given_error(
    emu: Emulator, arm_rg: ArmClients, rg1: str
) -> None:
    handle = emu.add_fault(
        "PUT",
        f"/{rg1}/providers/Microsoft.Compute/snapshots/",
        lro_error=("QuotaExceeded", "Snapshot quota exceeded."),
    )
    disk = arm_rg.create_disk(rg1, "d1", size_gb=1)
    with pytest.raises(HttpResponseError) as info:
        arm_rg.compute.snapshots.begin_create_or_update(
            rg1,
            "s1",
            Snapshot(
                {
                    "location": "japaneast",
                    "properties": {
                        "creationData": {"createOption": "Copy", "sourceResourceId": disk.id},
                        "incremental": True,
                    },
                }
            ),
        ).result()
    assert handle.hits == 1
    assert info.value.status_code == 200  # the poll answered 200 with status Failed
    assert info.value.error is not None
    assert info.value.error.code == "QuotaExceeded"
    assert info.value.error.message == "Snapshot quota exceeded."


def test_lro_fail_on_resource_group_delete_keeps_the_group(
    emu: Emulator, arm_rg: ArmClients, rg1: str
) -> None:
    emu.add_fault("DELETE", f"/resourcegroups/{rg1}$", lro_error="InternalServerError")
    with pytest.raises(HttpResponseError) as info:
        arm_rg.resources.resource_groups.begin_delete(rg1).result()
    assert info.value.error is not None
    assert info.value.error.code == "InternalServerError"
    group = arm_rg.resources.resource_groups.get(rg1)
    assert group.properties is not None
    assert group.properties.provisioning_state == "Succeeded"


# --- matching ------------------------------------------------------------------------------


def test_nth_fires_only_on_that_match() -> None:
    faults = Faults()
    rule = faults.add("GET", "/a", status=500, nth=3)
    fired = [faults.evaluate("GET", "/a", 1).error is not None for _ in range(5)]
    assert fired == [False, False, True, False, False]
    assert rule.hits == 1
    assert rule.matches == 5


def test_probability_zero_never_fires_and_one_always_does() -> None:
    faults = Faults(seed=1)
    never = faults.add("*", "/never", status=500, probability=0.0)
    always = faults.add("*", "/always", status=500, probability=1.0)
    for _ in range(20):
        faults.evaluate("GET", "/never", 1)
        faults.evaluate("GET", "/always", 1)
    assert never.hits == 0
    assert always.hits == 20


def test_method_and_path_must_both_match() -> None:
    faults = Faults()
    rule = faults.add("PUT|PATCH", "/disks/", status=429)
    assert faults.evaluate("GET", "/x/disks/d", 1).error is None
    assert faults.evaluate("PUT", "/x/snapshots/s", 1).error is None
    assert faults.evaluate("patch", "/x/DISKS/d", 1).error is not None
    assert rule.hits == 1


def test_clear_faults_removes_every_rule(emu: Emulator, arm_rg: ArmClients, rg1: str) -> None:
    emu.add_fault("*", f"/resourcegroups/{rg1}$", status=500)
    emu.clear_faults()
    assert arm_rg.resources.resource_groups.get(rg1).name == rg1


def test_faults_given_as_a_spec_string_at_start(arm_factory: Any) -> None:
    with Emulator(speed=1000, faults="GET:/resourcegroups/rg1$:429:count=1") as emu:
        arm = arm_factory(emu)
        arm.create_rg("rg1")
        assert arm.resources.resource_groups.get("rg1").name == "rg1"
        assert _statuses(emu, "GET", "/resourcegroups/rg1") == [429, 200]


# --- the spec syntax -----------------------------------------------------------------------


def test_parse_spec_examples() -> None:
    rules = parse_spec(
        "PATCH:/disks/:429:count=2;*:*:latency=0.1; PUT|DELETE:/snapshots/:lro-fail:code=Quota"
        ";GET:/x:drop:nth=3;*:/y:503:p=0.5,retry-after=2;*:*:latency=0.05-0.2"
    )
    assert rules == [
        {"method": "PATCH", "path": "/disks/", "status": 429, "count": 2},
        {"method": "*", "path": "*", "latency": (0.1, 0.1)},
        {"method": "PUT|DELETE", "path": "/snapshots/", "lro_error": True, "code": "Quota"},
        {"method": "GET", "path": "/x", "drop": True, "nth": 3},
        {"method": "*", "path": "/y", "status": 503, "probability": 0.5, "retry_after": 2.0},
        {"method": "*", "path": "*", "latency": (0.05, 0.2)},
    ]


@pytest.mark.parametrize(
    "spec",
    [
        "GET:/x",
        "GET:/x:teapot",
        "GET:/x:200",
        "GET:/x:429:count=many",
        "GET:/x:429:bogus=1",
        "GET:/x:429:count",
        "GET:(:429",
        "GET:/x:latency=fast",
        "GET:/x:latency=0.5-0.1",
        "GET:/x:500:p=2",
    ],
)
def test_parse_spec_rejects_bad_rules(spec: str) -> None:
    with pytest.raises(FaultSpecError):
        parse_spec(spec)


def test_spec_rules_behave_like_api_rules() -> None:
    faults = Faults()
    (rule,) = faults.add_spec("GET:/a:429:count=1,retry-after=3")
    first = faults.evaluate("GET", "/a", 1)
    assert first.error is not None
    assert first.error.status == 429
    assert first.error.headers["Retry-After"] == "3"
    assert faults.evaluate("GET", "/a", 1).error is None
    assert rule.hits == 1


def test_kubernetes_paths_get_a_whole_second_retry_after(emu: Emulator) -> None:
    import requests

    emu.add_fault("GET", r"^/k8s/retry-after-probe", status=429)
    resp = requests.get(f"{emu.arm_url}/k8s/retry-after-probe/api", verify=emu.ca_bundle, timeout=5)
    assert resp.status_code == 429
    assert resp.headers["Retry-After"] == "1"  # urllib3 rejects "0.001"


# --- drop after applying ---------------------------------------------------------------------


def test_drop_after_applies_a_put_and_the_sdk_retry_finds_it_done(
    emu: Emulator, arm_rg: ArmClients, rg1: str
) -> None:
    handle = emu.add_fault(
        "PUT", rf"/{rg1}/providers/Microsoft\.Compute/disks/d1$", drop_after=True, count=1
    )
    disk = arm_rg.create_disk(rg1, "d1", size_gb=4)
    assert handle.hits == 1
    assert disk.disk_size_gb == 4
    # the first PUT was applied but never answered; azure-core retried the idempotent PUT,
    # which updated the disk the first one had created
    assert _statuses(emu, "PUT", f"/{rg1}/providers/Microsoft.Compute/disks/d1") == [0, 202]
    assert disk.provisioning_state == "Succeeded"


def test_drop_after_applies_a_patch_the_client_never_hears_about(
    emu: Emulator, arm_rg: ArmClients, rg1: str
) -> None:
    arm_rg.create_disk(rg1, "d1", size_gb=1)
    handle = emu.add_fault(
        "PATCH", rf"/{rg1}/providers/Microsoft\.Compute/disks/d1$", drop_after=True
    )
    with pytest.raises(ServiceResponseError):
        arm_rg.compute.disks.begin_update(rg1, "d1", {"tags": {"owner": "x"}}).result()
    assert handle.hits == 1  # PATCH is not retried on a dropped connection
    assert arm_rg.compute.disks.get(rg1, "d1").tags == {"owner": "x"}


def test_drop_before_does_not_apply_the_request(emu: Emulator, arm_factory: Any, rg1: str) -> None:
    arm = arm_factory(emu, retry_total=0)
    arm.create_disk(rg1, "d1", size_gb=1)
    emu.add_fault("PATCH", rf"/{rg1}/providers/Microsoft\.Compute/disks/d1$", drop=True)
    with pytest.raises(ServiceResponseError):
        arm.compute.disks.begin_update(rg1, "d1", {"tags": {"owner": "x"}}).result()
    assert arm.compute.disks.get(rg1, "d1").tags in (None, {})


def test_drop_after_in_a_fault_spec() -> None:
    assert parse_spec("PATCH:/disks/:drop-after:count=1") == [
        {"method": "PATCH", "path": "/disks/", "drop_after": True, "count": 1}
    ]
    faults = Faults()
    faults.add_spec("PUT:/disks/:drop-after")
    decision = faults.evaluate("PUT", "/x/disks/d1", 0.001)
    assert decision.drop_after and not decision.drop
