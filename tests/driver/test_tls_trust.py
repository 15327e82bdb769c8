"""TLS trust: AZURE_CA_BUNDLE adds to the store; a kubeconfig never turns TLS off (issue 16.6)."""

from __future__ import annotations

import http.server
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from kompox_tui.azure.clients import AzureClients
from kompox_tui.emulator.certs import generate
from kompox_tui.errors import ConfigError, KubernetesError
from kompox_tui.model import Config, DriverEvent


@pytest.fixture(autouse=True)
def _cache_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


@pytest.fixture
def other_ca_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An HTTPS server whose certificate chains to a CA other than the emulator's."""
    material = generate(tmp_path / "other-ca")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(material.cert_file), str(material.key_file))

    class Ok(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Ok)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}/", material.ca_bundle
    finally:
        server.shutdown()
        server.server_close()


def test_ca_bundle_is_trusted_in_addition_to_requests_ca_bundle(
    config_factory: Callable[..., Config],
    other_ca_server: tuple[str, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, other_ca = other_ca_server
    # The "system store" is another CA (a public Entra ID, say); the emulator's CA comes
    # from AZURE_CA_BUNDLE. Both must be trusted at once.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(other_ca))
    config = config_factory()
    events: list[DriverEvent] = []
    clients = AzureClients(config, events.append)
    try:
        assert clients.resources().resource_groups.check_existence("rg-nothing") is False
        bundle = clients.ca_bundle
        assert bundle is not None
        assert requests.get(url, verify=bundle, timeout=10).text == "ok"
    finally:
        clients.close()


def test_ca_bundle_that_is_a_fifo_is_refused_without_blocking(
    config_factory: Callable[..., Config], tmp_path: Path
) -> None:
    from kompox_tui.azure.tls import trust_bundle

    fifo = tmp_path / "ca.pem"
    import os

    os.mkfifo(fifo)
    with pytest.raises(ConfigError, match="not a regular file"):
        trust_bundle(str(fifo))


def _kubeconfig(server: str, **cluster: Any) -> bytes:
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "c",
        "clusters": [{"name": "c", "cluster": {"server": server, **cluster}}],
        "users": [{"name": "u", "user": {"token": "very-secret-admin-token"}}],
        "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
    }
    return yaml.safe_dump(doc).encode()


def test_a_plain_http_cluster_never_receives_the_token(
    config_factory: Callable[..., Config],
) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    clients = AzureClients(config_factory(), lambda _e: None)
    try:
        with pytest.raises(KubernetesError, match="plain HTTP") as info:
            clients.kube(_kubeconfig(f"http://127.0.0.1:{port}"))
        assert "very-secret-admin-token" not in str(info.value)
        with pytest.raises(TimeoutError):
            listener.accept()  # nothing ever connected
    finally:
        listener.close()
        clients.close()


def test_insecure_skip_tls_verify_in_a_kubeconfig_is_refused(
    config_factory: Callable[..., Config],
) -> None:
    clients = AzureClients(config_factory(), lambda _e: None)
    try:
        with pytest.raises(KubernetesError, match="never skips TLS verification"):
            clients.kube(_kubeconfig("https://127.0.0.1:1", **{"insecure-skip-tls-verify": True}))
    finally:
        clients.close()
