"""The light Kubernetes client (kube_http.py): the status path without ``kubernetes``.

Real TLS against the emulator's API server: the kubeconfig AKS hands out is served by
urllib3 directly (same ApiCallEvents, same TLS rules); kubeconfigs it does not
understand still get the official client; the first status refresh of a fresh process
imports no ``kubernetes`` module (start-up time, issue 15.5).
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from recording_driver import RecordingDriver

from kompox_tui.azure import ingress
from kompox_tui.azure.clients import AzureClients
from kompox_tui.azure.kube_http import KubeHttpClient
from kompox_tui.emulator.certs import generate
from kompox_tui.errors import KubernetesError, Reason
from kompox_tui.model import ApiCallEvent, Config, DriverEvent

ROOT = Path(__file__).resolve().parents[2]


def _admin_kubeconfig(clients: AzureClients, cluster: tuple[str, str]) -> bytes:
    creds = clients.containers().managed_clusters.list_cluster_admin_credentials(*cluster)
    assert creds.kubeconfigs and creds.kubeconfigs[0].value
    return bytes(creds.kubeconfigs[0].value)


def _edited(kubeconfig: bytes, edit: Callable[[dict[str, Any]], None]) -> bytes:
    doc = yaml.safe_load(kubeconfig)
    edit(doc)
    return yaml.safe_dump(doc).encode()


def _recording_clients(config: Config) -> tuple[AzureClients, list[DriverEvent]]:
    events: list[DriverEvent] = []
    return AzureClients(config, events.append), events


def test_the_aks_kubeconfig_gets_the_light_client_with_events_and_no_token(
    config_factory: Callable[..., Config], kube_cluster: tuple[str, str]
) -> None:
    clients, events = _recording_clients(config_factory())
    try:
        kubeconfig = _admin_kubeconfig(clients, kube_cluster)
        client = clients.kube_rest_client(kubeconfig)
        assert isinstance(client, KubeHttpClient)
        rest = ingress.KubeRest(client)
        status, body = rest.request(
            "GET", ingress.object_path("Namespace", "default"), operation="test"
        )
        missing = rest.request(
            "GET", ingress.object_path("Namespace", "nope"), operation="test", ok_missing=True
        )
    finally:
        clients.close()
    assert status == 200 and body["metadata"]["name"] == "default"
    assert missing == (404, None)
    calls = [e for e in events if isinstance(e, ApiCallEvent) and "/namespaces/" in e.path]
    assert [(c.method, c.status) for c in calls] == [("GET", 200), ("GET", 404)]
    assert all(c.path.endswith(("/api/v1/namespaces/default", "/api/v1/namespaces/nope"))
               for c in calls)  # fmt: skip
    token = yaml.safe_load(kubeconfig)["users"][0]["user"]["token"]
    assert token not in repr(events) and token not in repr(client)


def test_kubeconfigs_the_light_client_does_not_understand_get_the_official_one(
    config_factory: Callable[..., Config],
    kube_cluster: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from kubernetes.client import ApiClient

    def exec_user(doc: dict[str, Any]) -> None:
        doc["users"][0]["user"] = {
            "exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": "true"}
        }

    clients, _ = _recording_clients(config_factory())
    try:
        kubeconfig = _admin_kubeconfig(clients, kube_cluster)
        assert isinstance(clients.kube_rest_client(_edited(kubeconfig, exec_user)), ApiClient)
        monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
        assert isinstance(clients.kube_rest_client(kubeconfig), ApiClient)
    finally:
        clients.close()


def test_the_light_client_refuses_plain_http_and_skipped_verification(
    config_factory: Callable[..., Config], kube_cluster: tuple[str, str]
) -> None:
    def plain_http(doc: dict[str, Any]) -> None:
        doc["clusters"][0]["cluster"]["server"] = "http://127.0.0.1:1"

    def skip_verify(doc: dict[str, Any]) -> None:
        doc["clusters"][0]["cluster"]["insecure-skip-tls-verify"] = True

    clients, events = _recording_clients(config_factory())
    try:
        kubeconfig = _admin_kubeconfig(clients, kube_cluster)
        events.clear()
        with pytest.raises(KubernetesError, match="plain HTTP") as plain:
            clients.kube_rest_client(_edited(kubeconfig, plain_http))
        with pytest.raises(KubernetesError, match="never skips TLS verification") as skip:
            clients.kube_rest_client(_edited(kubeconfig, skip_verify))
    finally:
        clients.close()
    assert plain.value.reason is Reason.TLS and skip.value.reason is Reason.TLS
    assert events == []  # refused before any request


def test_a_cluster_certificate_from_another_ca_is_a_tls_error(
    config_factory: Callable[..., Config], kube_cluster: tuple[str, str], tmp_path: Path
) -> None:
    other = generate(tmp_path / "other-ca")

    def other_ca(doc: dict[str, Any]) -> None:
        pem = Path(other.ca_bundle).read_bytes()
        doc["clusters"][0]["cluster"]["certificate-authority-data"] = base64.b64encode(pem).decode()

    clients, _ = _recording_clients(config_factory())
    try:
        kubeconfig = _edited(_admin_kubeconfig(clients, kube_cluster), other_ca)
        client = clients.kube_rest_client(kubeconfig)
        assert isinstance(client, KubeHttpClient)
        with pytest.raises(KubernetesError) as info:
            ingress.KubeRest(client).request(
                "GET", ingress.object_path("Namespace", "default"), operation="check"
            )
    finally:
        clients.close()
    assert info.value.reason is Reason.TLS, info.value


def test_a_client_certificate_is_loaded_and_its_key_file_removed(
    config_factory: Callable[..., Config], kube_cluster: tuple[str, str], tmp_path: Path
) -> None:
    material = generate(tmp_path / "client")

    def client_cert(doc: dict[str, Any]) -> None:
        user = doc["users"][0]["user"]
        user["client-certificate-data"] = base64.b64encode(
            Path(material.cert_file).read_bytes()
        ).decode()
        user["client-key-data"] = base64.b64encode(Path(material.key_file).read_bytes()).decode()

    before = set(os.listdir(tempfile.gettempdir()))
    clients, _ = _recording_clients(config_factory())
    try:
        kubeconfig = _edited(_admin_kubeconfig(clients, kube_cluster), client_cert)
        client = clients.kube_rest_client(kubeconfig)
        assert isinstance(client, KubeHttpClient)
        status, _ = ingress.KubeRest(client).request(
            "GET", ingress.object_path("Namespace", "default"), operation="check"
        )
    finally:
        clients.close()
    assert status == 200  # the token still authenticates; the certificate was offered
    left = {n for n in set(os.listdir(tempfile.gettempdir())) - before if "kompox-kube" in n}
    assert left == set()


def test_a_first_status_refresh_imports_no_kubernetes_or_container_service_sdk(
    config_factory: Callable[..., Config], make_driver: Callable[..., RecordingDriver]
) -> None:
    suffix = os.urandom(4).hex()
    config = config_factory(cluster=f"c{suffix}", cluster_rg=f"rg-{suffix}")
    driver = make_driver(config)
    driver.cluster_provision()
    driver.cluster_install()
    code = (
        "import json, sys\n"
        "from kompox_tui.azure.driver import AksDriver\n"
        "from kompox_tui.config import load_config\n"
        "driver = AksDriver(load_config(sys.argv[1]))\n"
        "status = driver.cluster_status()\n"
        "driver.close()\n"
        "print(json.dumps({'installed': status.installed, 'problems': list(status.problems),\n"
        "    'kubernetes': sorted(m for m in sys.modules if m.split('.')[0] == 'kubernetes'),\n"
        "    'containerservice': 'azure.mgmt.containerservice' in sys.modules}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(config.path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["installed"] is True, result  # the Kubernetes API was asked
    assert result["kubernetes"] == []
    assert result["containerservice"] is False  # AKS GET and credentials as plain JSON
