"""AzureClients against the emulator: real SDKs, real TLS, one ApiCallEvent per request."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ServiceRequestError
from kubernetes import client as k8s

from kompox_tui.azure.clients import AzureClients, arm_scope, safe_path
from kompox_tui.model import ApiCallEvent, Config, DriverEvent, Settings


def _clients(config: Config, **kw: Any) -> tuple[AzureClients, list[DriverEvent]]:
    events: list[DriverEvent] = []
    return AzureClients(config, events.append, **kw), events


def _calls(events: list[DriverEvent], fragment: str = "") -> list[ApiCallEvent]:
    return [e for e in events if isinstance(e, ApiCallEvent) and fragment.lower() in e.path.lower()]


def test_arm_scope_follows_the_endpoint() -> None:
    assert arm_scope("https://management.azure.com/") == "https://management.azure.com/.default"
    assert (
        arm_scope("https://management.usgovcloudapi.net")
        == "https://management.core.usgovcloudapi.net/.default"
    )
    assert arm_scope("https://127.0.0.1:8443/") == "https://127.0.0.1:8443/.default"


def test_safe_path_drops_the_query_string() -> None:
    path, host = safe_path("https://h:1/subscriptions/s?api-version=1&sig=secret")
    assert path == "/subscriptions/s"
    assert host == "h:1"


def test_every_request_emits_one_event_without_secrets(
    emulator: Any, config_factory: Callable[..., Config], unique_name: Callable[[str], str]
) -> None:
    config = config_factory()
    clients, events = _clients(config)
    rg = unique_name("rg")
    try:
        clients.resources().resource_groups.create_or_update(rg, {"location": "japaneast"})
        got = clients.resources().resource_groups.get(rg)
        assert got.name == rg
    finally:
        clients.close()
    calls = _calls(events, rg)
    assert [(c.method, c.status) for c in calls] == [("PUT", 201), ("GET", 200)] or [
        (c.method, c.status) for c in calls
    ] == [("PUT", 200), ("GET", 200)]
    for call in calls:
        assert "?" not in call.path and "api-version" not in call.path
        assert call.host and call.host.startswith("127.0.0.1")
        assert call.duration_ms >= 0
        assert call.request_id
    text = repr(events)
    assert emulator.client_secret not in text
    assert "Bearer" not in text and "eyJ" not in text


def test_throttled_requests_are_retried_and_each_attempt_is_an_event(
    emulator: Any, config_factory: Callable[..., Config], unique_name: Callable[[str], str]
) -> None:
    config = config_factory()
    clients, events = _clients(config)
    rg = unique_name("rg-throttle")
    clients.resources().resource_groups.create_or_update(rg, {"location": "japaneast"})
    rule = emulator.add_fault("GET", f"/resourcegroups/{rg}$", status=429, count=2)
    try:
        assert clients.resources().resource_groups.get(rg).name == rg
    finally:
        emulator.clear_faults()
        clients.close()
    assert rule.hits == 2
    statuses = [c.status for c in _calls(events, rg) if c.method == "GET"]
    assert statuses == [429, 429, 200]


def test_retries_stop_after_four(
    emulator: Any, config_factory: Callable[..., Config], unique_name: Callable[[str], str]
) -> None:
    config = config_factory()
    clients, events = _clients(config)
    rg = unique_name("rg-throttle-forever")
    emulator.add_fault("GET", f"/resourcegroups/{rg}$", status=503, count=50)
    try:
        with pytest.raises(HttpResponseError) as info:
            clients.resources().resource_groups.get(rg)
    finally:
        emulator.clear_faults()
        clients.close()
    assert info.value.status_code == 503
    assert [c.status for c in _calls(events, rg)] == [503] * 5


def test_tls_is_verified_against_the_ca_bundle(config_factory: Callable[..., Config]) -> None:
    config = config_factory()
    settings = {k: v for k, v in config.provider.settings.items() if k != "AZURE_CA_BUNDLE"}
    untrusted = dataclasses.replace(
        config, provider=dataclasses.replace(config.provider, settings=Settings(settings))
    )
    # The credential still trusts the emulator CA; only ARM calls lose it.
    clients, events = _clients(untrusted, retry_total=0)
    trusted, _ = _clients(config)
    clients._credential = trusted.credential
    try:
        with pytest.raises(ServiceRequestError):
            clients.resources().resource_groups.get("rg-none")
    finally:
        clients.close()
        trusted.close()
    assert _calls(events)[-1].status is None
    assert _calls(events)[-1].error


def test_clients_are_cached(config_factory: Callable[..., Config]) -> None:
    clients, _ = _clients(config_factory())
    try:
        assert clients.resources() is clients.resources()
        assert clients.stacks() is clients.stacks()
        assert clients.containers() is clients.containers()
        assert clients.compute() is clients.compute()
    finally:
        clients.close()


def test_kube_client_emits_events_without_the_token(
    emulator: Any, config_factory: Callable[..., Config], kube_cluster: tuple[str, str]
) -> None:
    rg, name = kube_cluster
    clients, events = _clients(config_factory())
    try:
        creds = clients.containers().managed_clusters.list_cluster_admin_credentials(rg, name)
        assert creds.kubeconfigs is not None
        kubeconfig = creds.kubeconfigs[0].value
        assert kubeconfig is not None
        api = clients.kube(kubeconfig)
        names = [
            ns.metadata.name for ns in k8s.CoreV1Api(api).list_namespace().items if ns.metadata
        ]
    finally:
        clients.close()
    assert "default" in names
    kube_calls = _calls(events, "/api/v1/namespaces")
    assert len(kube_calls) == 1
    assert kube_calls[0].method == "GET" and kube_calls[0].status == 200
    import yaml

    token = yaml.safe_load(kubeconfig)["users"][0]["user"]["token"]
    assert token not in repr(events)
