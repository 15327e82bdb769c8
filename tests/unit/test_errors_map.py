"""One error mapper: the typed reason comes from the exception's type and status/code.

Every exception here is raised by the real client (azure-core's requests transport,
the kubernetes client's urllib3) against a real local socket: a closed port, an HTTPS
server whose CA we do not trust, a missing CA bundle, a server answering an error
status. Nothing is mocked; the messages are never parsed.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from azure.core import PipelineClient
from azure.core.exceptions import HttpResponseError
from azure.core.pipeline.policies import RetryPolicy
from azure.core.rest import HttpRequest
from azure.mgmt.core.exceptions import ARMErrorFormat

from kompox_tui.azure.errors_map import classify, map_error
from kompox_tui.errors import (
    AuthError,
    AzureError,
    KubernetesError,
    OperationTimeout,
    Reason,
    hint_for,
    reason_for,
)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Handler(BaseHTTPRequestHandler):
    """``GET /<status>/<code>/...`` answers that status with an ARM/Kubernetes error body."""

    def do_GET(self) -> None:
        parts = self.path.strip("/").split("/")
        status = int(parts[0]) if parts[0].isdigit() else 200
        code = parts[1] if len(parts) > 1 else "Unknown"
        body = json.dumps(
            {
                "error": {"code": code, "message": f"server says {code} [/] "},
                "kind": "Status",
                "reason": code,
                "message": f"server says {code}",
            }
        ).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def http_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def untrusted_https(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from kompox_tui.emulator import certs

    material = certs.generate(tmp_path_factory.mktemp("tls"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.socket = material.server_context().wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _azure_get(url: str, **kwargs: Any) -> BaseException:
    client: PipelineClient[Any, Any] = PipelineClient(
        url, policies=[RetryPolicy(retry_total=0)], **kwargs
    )
    try:
        response = client.send_request(HttpRequest("GET", url), **kwargs)
        if response.status_code >= 400:
            raise HttpResponseError(response=response, error_format=ARMErrorFormat)
    except BaseException as exc:
        return exc
    finally:
        client.close()
    raise AssertionError("the request did not fail")


def _kube_get(url: str, **config: Any) -> BaseException:
    from kubernetes.client import ApiClient, Configuration, CoreV1Api
    from urllib3.util.retry import Retry

    configuration = Configuration(host=url)
    configuration.retries = Retry(total=0)
    for key, value in config.items():
        setattr(configuration, key, value)
    with ApiClient(configuration) as api:
        try:
            CoreV1Api(api).read_namespace("traefik")
        except BaseException as exc:
            return exc
    raise AssertionError("the request did not fail")


# --- transport failures -------------------------------------------------------------------


def test_connection_refused_is_unreachable_and_the_hint_is_about_the_network() -> None:
    port = _closed_port()
    exc = _azure_get(f"https://127.0.0.1:{port}/subscriptions")
    error = map_error("cluster status", exc)
    assert isinstance(error, AzureError)
    assert error.reason is Reason.UNREACHABLE
    assert f"127.0.0.1:{port}" in str(error) and "connection refused" in str(error)
    assert "AZURE_CLIENT_SECRET" not in error.hint and "network" in error.hint


def test_untrusted_certificate_is_tls(untrusted_https: str) -> None:
    error = map_error("cluster status", _azure_get(untrusted_https + "/x"))
    assert error.reason is Reason.TLS
    assert "certificate not trusted" in str(error) and "AZURE_CA_BUNDLE" in error.hint


def test_missing_ca_bundle_names_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-ca.pem"
    port = _closed_port()
    exc = _azure_get(f"https://127.0.0.1:{port}/x", connection_verify=str(missing))
    assert type(exc) is OSError  # what requests raises: the mapper must not read its text
    error = map_error("cluster status", exc, ca_bundle=str(missing))
    assert error.reason is Reason.TLS
    assert str(missing) in str(error) and str(missing) in error.hint
    assert "fix the cause Azure names" not in str(error)


def test_kubernetes_client_connection_refused_is_unreachable() -> None:
    exc = _kube_get(f"https://127.0.0.1:{_closed_port()}")
    error = map_error("cluster status", exc, kube=True)
    assert isinstance(error, KubernetesError)
    assert error.reason is Reason.UNREACHABLE and error.code == "KubernetesUnreachable"


def test_kubernetes_client_untrusted_certificate_is_tls(untrusted_https: str) -> None:
    error = map_error("cluster status", _kube_get(untrusted_https), kube=True)
    assert error.reason is Reason.TLS


def test_unknown_host_is_unreachable() -> None:
    exc = _azure_get("https://no-such-host.invalid/x")
    cause = classify(exc)
    assert cause is not None and cause.reason is Reason.UNREACHABLE


def test_read_timeout_is_a_timeout() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # accepts, never answers
    try:
        port = listener.getsockname()[1]
        exc = _azure_get(f"http://127.0.0.1:{port}/x", read_timeout=0.2)
        error = map_error("disk list", exc)
    finally:
        listener.close()
    assert isinstance(error, OperationTimeout) and error.reason is Reason.TIMEOUT


# --- HTTP answers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code", "reason"),
    [
        (401, "InvalidAuthenticationToken", Reason.AUTH),
        (403, "AuthorizationFailed", Reason.FORBIDDEN),
        (403, "RequestDisallowedByPolicy", Reason.FORBIDDEN),
        (404, "ResourceGroupNotFound", Reason.NOT_FOUND),
        (409, "Conflict", Reason.CONFLICT),
        (429, "TooManyRequests", Reason.THROTTLED),
        (400, "InvalidParameter", Reason.REJECTED),
        (503, "ServiceUnavailable", Reason.SERVER),
    ],
)
def test_http_errors_get_their_reason_from_status_and_code(
    http_server: str, status: int, code: str, reason: Reason
) -> None:
    exc = _azure_get(f"{http_server}/{status}/{code}")
    error = map_error("disk list", exc)
    assert isinstance(error, AzureError)
    assert (error.reason, error.code, error.status) == (reason, code, status)
    assert error.hint == hint_for(reason)


@pytest.mark.parametrize(
    ("status", "code", "reason"),
    [(403, "Forbidden", Reason.FORBIDDEN), (401, "Unauthorized", Reason.AUTH)],
)
def test_kubernetes_api_exception_uses_status_and_reason(
    http_server: str, status: int, code: str, reason: Reason
) -> None:
    exc = _kube_get(f"{http_server}/{status}/{code}")
    error = map_error("cluster install", exc, kube=True)
    assert isinstance(error, KubernetesError)
    assert (error.reason, error.code, error.status) == (reason, code, status)


def test_a_failed_lro_answered_200_is_judged_by_its_code_not_the_200() -> None:
    assert reason_for(None, "InvalidTemplateDeployment") is Reason.UNKNOWN
    assert reason_for(None, "QuotaExceeded") is Reason.UNKNOWN
    assert reason_for(None, "SubscriptionRequestsThrottled") is Reason.THROTTLED


def test_credential_unavailable_is_an_auth_failure() -> None:
    from azure.identity import CredentialUnavailableError

    error = map_error("cluster status", CredentialUnavailableError("no az login"))
    assert isinstance(error, AuthError) and error.reason is Reason.AUTH
    assert "AZURE_AUTH_METHOD" in error.hint


def test_an_unknown_exception_keeps_its_type_name_and_reason_unknown() -> None:
    error = map_error("disk list", ValueError("boom"))
    assert error.reason is Reason.UNKNOWN and "(ValueError) boom" in str(error)
