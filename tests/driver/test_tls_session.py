"""tls_session.py: the ARM clients and the credential of one configuration share a session
whose TLS context is loaded once (start-up time, issue 15.5) -- and verification stays on.

Real SDK clients and a real credential against the emulator over TLS; a server whose
certificate chains to another CA is still refused through the shared context.
"""

from __future__ import annotations

import http.server
import ssl
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from azure.core.exceptions import ResourceNotFoundError

from kompox_tui.azure import tls_session
from kompox_tui.azure.clients import AzureClients
from kompox_tui.emulator.certs import generate
from kompox_tui.model import Config


@pytest.fixture(autouse=True)
def _cache_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


@pytest.fixture
def count_bundle_loads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every CA bundle file parsed into a context by urllib3 or tls_session."""
    import urllib3.util.ssl_ as urllib3_ssl

    loads: list[str] = []
    original = urllib3_ssl.ssl_wrap_socket

    def wrap(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("ca_certs"):
            loads.append(str(kwargs["ca_certs"]))
        return original(*args, **kwargs)

    monkeypatch.setattr("urllib3.connection.ssl_wrap_socket", wrap)
    original_context = tls_session._context_for

    def context_for(bundle: str) -> Any:
        before = len(tls_session._contexts)
        context = original_context(bundle)
        if len(tls_session._contexts) > before:
            loads.append(bundle)
        return context

    monkeypatch.setattr(tls_session, "_context_for", context_for)
    monkeypatch.setattr(tls_session, "_contexts", {})
    return loads


def test_arm_clients_and_credentials_of_two_configs_load_the_trust_bundle_once(
    config_factory: Callable[..., Config], count_bundle_loads: list[str]
) -> None:
    both = [AzureClients(config_factory(filename=f"c{i}.yml"), lambda _e: None) for i in (1, 2)]
    try:
        for clients in both:
            list(clients.resources().resource_groups.list())
            list(clients.compute().disks.list())
            with pytest.raises(ResourceNotFoundError):
                clients.stacks().deployment_stacks.get_at_subscription("no-such-stack")
            # One session per configuration: its ARM clients and token requests share it.
            assert clients.client_kwargs()["session"] is clients._session()
        assert both[0]._session() is not both[1]._session()
    finally:
        for clients in both:
            clients.close()
    # Two sessions, each with its own connections: one bundle parse for the process.
    assert len(count_bundle_loads) == 1, count_bundle_loads


def test_the_shared_context_still_refuses_a_certificate_from_another_ca(
    tmp_path: Path, count_bundle_loads: list[str]
) -> None:
    other = generate(tmp_path / "other-ca")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(other.cert_file), str(other.key_file))

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
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"https://127.0.0.1:{server.server_address[1]}/"
    try:
        default = tls_session.verified_session(None)
        with pytest.raises(requests.exceptions.SSLError):
            default.get(url, timeout=5)
        trusting_other = tls_session.verified_session(str(other.ca_bundle))
        assert trusting_other.get(url, verify=str(other.ca_bundle), timeout=5).text == "ok"
        with pytest.raises(requests.exceptions.SSLError):
            trusting_other.get(url, timeout=5)  # verify=True: the default store only
    finally:
        server.shutdown()
        server.server_close()
