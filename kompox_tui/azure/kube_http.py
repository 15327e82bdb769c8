"""A small Kubernetes API client on urllib3, for what :class:`~.ingress.KubeRest` does.

Why: importing the official ``kubernetes`` package (``kubernetes.config`` pulls in
``kubernetes.client``, ``dynamic``, ``watch``, ``stream``...) costs about half a second
of CPU -- the largest single import of the first status refresh (docs/performance.md,
start-up). :class:`~.ingress.KubeRest` only ever sends JSON requests with a bearer token
or a client certificate, so this module offers exactly the four things it uses of a
``kubernetes.client.ApiClient`` -- ``configuration.host``, ``param_serialize``,
``call_api`` and ``rest_client.request`` (which :func:`~.clients._instrument_kube_client`
wraps to emit ApiCallEvents and apply the operation's deadline) -- over urllib3, which
the ARM SDKs' transport (requests) has already imported.

It reads the kubeconfig shapes AKS and the emulator hand out (``server``,
``certificate-authority-data``, ``token``, ``client-certificate-data`` /
``client-key-data``, ``tls-server-name``). Anything else -- exec or auth-provider
plugins, files named by path, basic auth, a proxy from the kubeconfig or the
environment -- makes :func:`from_kubeconfig` return None, and the caller uses the
official client as before, so no kubeconfig that worked stops working.

TLS as with the official client: only the kubeconfig's CA is trusted when it names
one (else the system store), the host name is checked, and
:func:`~.clients.refuse_insecure_cluster` refuses plain HTTP and
``insecure-skip-tls-verify`` before any connection. The client key is loaded into the
SSL context from a private temporary file that is removed at once.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import tempfile
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from .. import __version__

#: Keys of a kubeconfig ``cluster`` this client understands (others: official client).
_CLUSTER_KEYS = frozenset({"server", "certificate-authority-data", "tls-server-name", "extensions"})
#: Keys of a kubeconfig ``user`` this client understands.
_USER_KEYS = frozenset({"token", "client-certificate-data", "client-key-data", "extensions"})


class KubeConfiguration:
    """What callers read of ``kubernetes.client.Configuration``."""

    def __init__(self, host: str, tls_server_name: str | None) -> None:
        self.host = host
        self.verify_ssl = True
        self.tls_server_name = tls_server_name


class KubeResponse:
    """A finished response: ``status``, ``headers``, ``read()`` (as ``RESTResponse``)."""

    def __init__(self, response: Any) -> None:
        self.response = response
        self.status = int(response.status)
        self.reason = response.reason
        self.headers = response.headers
        self.data: bytes | None = None

    def read(self) -> bytes:
        if self.data is None:
            self.data = self.response.data
        return self.data

    def getheader(self, name: str, default: str | None = None) -> str | None:
        value = self.headers.get(name, default)
        return None if value is None else str(value)


class KubeRestClient:
    """The HTTP layer: one urllib3 pool per cluster (``ApiClient.rest_client``)."""

    def __init__(self, pool: Any) -> None:
        self.pool_manager = pool

    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
        post_params: Any = None,
        _request_timeout: float | tuple[float, float] | None = None,
    ) -> KubeResponse:
        import urllib3

        del post_params  # never used: every body is JSON (or YAML sent as JSON)
        timeout: Any = None
        if isinstance(_request_timeout, int | float) and _request_timeout:
            timeout = urllib3.Timeout(total=_request_timeout)
        elif isinstance(_request_timeout, tuple) and len(_request_timeout) == 2:
            timeout = urllib3.Timeout(connect=_request_timeout[0], read=_request_timeout[1])
        data: bytes | None = None
        if body is not None:
            data = body if isinstance(body, bytes) else _encode(body)
        response = self.pool_manager.request(
            method.upper(),
            url,
            body=data,
            headers=dict(headers or {}),
            timeout=timeout,
            preload_content=False,
        )
        return KubeResponse(response)


class KubeHttpClient:
    """The ``ApiClient`` surface KubeRest uses, without the ``kubernetes`` package."""

    def __init__(
        self,
        host: str,
        *,
        token: str | None,
        ssl_context: Any,
        tls_server_name: str | None = None,
    ) -> None:
        import urllib3
        from urllib3.util.retry import Retry

        self.configuration = KubeConfiguration(host, tls_server_name)
        pool_args: dict[str, Any] = {
            "ssl_context": ssl_context,
            "cert_reqs": "CERT_REQUIRED",
            # As AzureClients.kube configures the official client: connection errors
            # only; KubeRest retries throttling and 5xx itself (honouring Retry-After).
            "retries": Retry(
                total=3, connect=3, read=0, redirect=3, status=0, respect_retry_after_header=False
            ),
            "maxsize": (os.cpu_count() or 1) * 5,
        }
        if tls_server_name:
            pool_args["server_hostname"] = tls_server_name
        self.rest_client = KubeRestClient(urllib3.PoolManager(**pool_args))
        self._token = token

    def param_serialize(
        self,
        method: str,
        resource_path: str,
        query_params: list[tuple[str, str]] | None = None,
        header_params: Mapping[str, str] | None = None,
        body: Any = None,
        auth_settings: list[str] | None = None,
    ) -> tuple[str, str, dict[str, str], Any, list[Any]]:
        """``(method, url, headers, body, post_params)`` as ``ApiClient.param_serialize``."""
        headers = {"User-Agent": f"kompox-tui/{__version__}", **dict(header_params or {})}
        if auth_settings and self._token:
            headers["authorization"] = f"Bearer {self._token}"
        url = self.configuration.host + resource_path
        if query_params:
            url += "?" + "&".join(f"{k}={quote(_query_value(v))}" for k, v in query_params)
        return method, url, headers, body, []

    def call_api(
        self,
        method: str,
        url: str,
        header_params: Mapping[str, str] | None = None,
        body: Any = None,
        post_params: Any = None,
        _request_timeout: float | tuple[float, float] | None = None,
    ) -> KubeResponse:
        return self.rest_client.request(
            method,
            url,
            headers=header_params,
            body=body,
            post_params=post_params,
            _request_timeout=_request_timeout,
        )

    def close(self) -> None:
        self.rest_client.pool_manager.clear()

    def __repr__(self) -> str:  # never the token
        return f"KubeHttpClient({self.configuration.host!r})"


def from_kubeconfig(data: Mapping[str, Any]) -> KubeHttpClient | None:
    """A client for the kubeconfig's current context, or None when it needs the official
    client (see the module docstring). Raises :class:`~kompox_tui.errors.KubernetesError`
    (reason TLS) for plain HTTP or ``insecure-skip-tls-verify``, like ``AzureClients.kube``."""
    from .clients import refuse_insecure_cluster

    shape = _shape(data)
    if shape is None:
        return None
    cluster, user = shape
    server = str(cluster.get("server") or "").rstrip("/")
    refuse_insecure_cluster(server, bool(cluster.get("insecure-skip-tls-verify")))
    if set(cluster) - _CLUSTER_KEYS or set(user) - _USER_KEYS or _proxy_configured():
        return None
    if ("client-certificate-data" in user) != ("client-key-data" in user):
        return None
    try:
        ca = _pem(cluster.get("certificate-authority-data"))
        cert = _pem(user.get("client-certificate-data"))
        key = _pem(user.get("client-key-data"))
    except ValueError:
        return None  # the official client reports malformed data its own way
    token = user.get("token")
    if token is not None and not isinstance(token, str):
        return None
    import ssl

    try:
        context = _ssl_context(ca, cert, key)
    except ssl.SSLError:
        return None  # a CA or key ssl cannot load: the official client says what is wrong
    name = cluster.get("tls-server-name")
    return KubeHttpClient(
        server,
        token=token or None,
        ssl_context=context,
        tls_server_name=str(name) if name else None,
    )


def _shape(data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """``(cluster, user)`` of the current context, or None for anything unusual."""
    current = data.get("current-context")
    contexts = _named(data.get("contexts"), "context")
    context = contexts.get(current) if isinstance(current, str) else None
    if not isinstance(context, dict):
        return None
    cluster = _named(data.get("clusters"), "cluster").get(context.get("cluster"))
    user = _named(data.get("users"), "user").get(context.get("user"))
    if not isinstance(cluster, dict) or not isinstance(user, dict):
        return None
    if not isinstance(cluster.get("server"), str):
        return None
    return cluster, user


def _named(items: Any, field: str) -> dict[Any, Any]:
    if not isinstance(items, list):
        return {}
    return {
        item.get("name"): item.get(field)
        for item in items
        if isinstance(item, dict) and isinstance(item.get("name"), str)
    }


def _proxy_configured() -> bool:
    """A proxy in the environment (the official client honours it; this one does not)."""
    return any(
        name.lower().endswith("_proxy") and name.lower() != "no_proxy" and value
        for name, value in os.environ.items()
    )


def _pem(value: Any) -> bytes | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("not base64 text")
    try:
        return base64.b64decode(value, validate=True)
    except ValueError:
        raise ValueError("not base64") from None


def _ssl_context(ca: bytes | None, cert: bytes | None, key: bytes | None) -> Any:
    import ssl

    from urllib3.util.ssl_ import create_urllib3_context

    context = create_urllib3_context(cert_reqs=ssl.CERT_REQUIRED)
    if ca is not None:
        context.load_verify_locations(cadata=ca.decode("ascii", errors="replace"))
    else:
        context.load_default_certs()
    if cert is not None and key is not None:
        # ssl loads a certificate chain from files only: a private directory, removed
        # as soon as the context holds the key.
        with tempfile.TemporaryDirectory(prefix="kompox-kube-") as folder:
            cert_path = os.path.join(folder, "client.crt")
            key_path = os.path.join(folder, "client.key")
            for path, content in ((cert_path, cert), (key_path, key)):
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as fh:
                    fh.write(content)
            try:
                context.load_cert_chain(cert_path, key_path)
            finally:
                for path in (cert_path, key_path):
                    with contextlib.suppress(OSError):
                        os.unlink(path)
    return context


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _encode(body: Any) -> bytes:
    if isinstance(body, str):
        return body.encode("utf-8")
    return json.dumps(body).encode("utf-8")
