"""The one mapper from SDK/transport exceptions to the project's typed errors.

Cluster operations, volume operations, the credential wrapper and the Kubernetes
client all call :func:`map_error`. It decides the :class:`~kompox_tui.errors.Reason`
from the exception's *type* and its HTTP status / error code -- never from
message text, which differs between SDK versions, transports and locales:

- azure-core ``ServiceRequestError`` / ``ServiceResponseError`` (and their
  timeout subclasses), ``ClientAuthenticationError``, ``HttpResponseError``
  (status, ``error.code``, nested ``details``);
- azure-identity ``CredentialUnavailableError``;
- ``ssl.SSLError`` anywhere in the cause chain, socket errors
  (``ConnectionRefusedError``, ``socket.gaierror``, resets), urllib3 / requests
  errors (the kubernetes client uses urllib3 directly);
- ``kubernetes.client.ApiException`` (status + the Status object's ``reason``);
- the plain ``OSError`` requests raises when a CA bundle file is missing: the
  file is named by checking which configured bundle does not exist.

SDK modules are looked up in ``sys.modules`` rather than imported: an exception
of a class whose module was never imported cannot exist, and importing
``kubernetes.client`` just to compare types would cost half a second.
"""

from __future__ import annotations

import errno
import os
import socket
import ssl
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ..errors import (
    AuthError,
    AzureError,
    KompoxError,
    KubernetesError,
    OperationTimeout,
    Reason,
    hint_for,
)
from .deadline import current as current_deadline

#: Error codes that only wrap the real cause (deployment stacks / ARM deployments).
WRAPPER_CODES = frozenset(
    {
        "DeploymentStackUpdateFailed",
        "DeploymentStackDeploymentFailed",
        "DeploymentStackValidationFailed",
        "DeploymentFailed",
        "ResourceDeploymentFailure",
    }
)

#: Environment variables naming a CA bundle that requests/urllib3 would load.
CA_BUNDLE_VARIABLES = ("AZURE_CA_BUNDLE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE")

_NETWORK_ERRNOS = frozenset(
    {
        errno.ENETUNREACH,
        errno.EHOSTUNREACH,
        errno.ENETDOWN,
        errno.EHOSTDOWN,
        errno.ECONNREFUSED,
        errno.ECONNRESET,
        errno.ECONNABORTED,
        errno.EPIPE,
        errno.ETIMEDOUT,
    }
)


#: A request timeout this close to the operation's deadline is the deadline's.
_DEADLINE_SLACK = 0.25


@dataclass(frozen=True)
class Cause:
    """What a transport-level failure was, in a few plain words."""

    reason: Reason
    detail: str
    #: The CA bundle file that could not be loaded, when that was the cause.
    file: str | None = None


def _cls(module: str, name: str) -> type[BaseException] | None:
    """The exception class ``module.name`` if that module is already imported."""
    mod = sys.modules.get(module)
    cls = getattr(mod, name, None) if mod is not None else None
    return cls if isinstance(cls, type) and issubclass(cls, BaseException) else None


def _isinstance(exc: BaseException, module: str, name: str) -> bool:
    cls = _cls(module, name)
    return cls is not None and isinstance(exc, cls)


def chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and every exception it wraps: ``__cause__``, ``__context__``, azure-core's
    ``inner_exception``, urllib3's ``reason`` and exceptions passed as arguments."""
    seen: set[int] = set()
    todo = [exc]
    while todo and len(seen) < 32:
        current = todo.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        linked: list[Any] = [
            current.__cause__,
            current.__context__,
            getattr(current, "inner_exception", None),
            getattr(current, "reason", None),
            *getattr(current, "args", ()),
        ]
        todo.extend(e for e in linked if isinstance(e, BaseException))


def _missing_ca_bundle(configured: str | None) -> str | None:
    """The configured CA bundle path that is not a readable file, if any."""
    candidates = [configured] if configured else []
    candidates += [os.environ.get(var, "") for var in CA_BUNDLE_VARIABLES]
    for path in candidates:
        if path and not os.path.isfile(os.path.expanduser(path)):
            return path
    return None


def classify(exc: BaseException, *, ca_bundle: str | None = None) -> Cause | None:
    """The transport-level cause of ``exc`` (TLS, unreachable, timeout), or None.

    None means the failure is not about reaching the server (an HTTP answer, a
    programming error...). Judged from exception types along the cause chain.
    """
    links = list(chain(exc))
    # TLS first: a handshake failure is also a "connection error" to every wrapper.
    for e in links:
        if isinstance(e, ssl.SSLCertVerificationError):
            return Cause(Reason.TLS, "certificate not trusted")
    for e in links:
        if isinstance(e, ssl.SSLError) or _isinstance(e, "urllib3.exceptions", "SSLError"):
            return Cause(Reason.TLS, "TLS handshake failed")
    for e in links:
        if isinstance(e, ConnectionRefusedError):
            return Cause(Reason.UNREACHABLE, "connection refused")
    for e in links:
        if isinstance(e, socket.gaierror) or _isinstance(
            e, "urllib3.exceptions", "NameResolutionError"
        ):
            return Cause(Reason.UNREACHABLE, "unknown host name")
    for e in links:
        if isinstance(e, ConnectionResetError | ConnectionAbortedError | BrokenPipeError):
            return Cause(Reason.UNREACHABLE, "connection dropped")
    for e in links:
        # urllib3's NewConnectionError subclasses ConnectTimeoutError: test it first.
        if _isinstance(e, "urllib3.exceptions", "NewConnectionError"):
            return Cause(Reason.UNREACHABLE, "no connection")
    for e in links:
        if (
            _isinstance(e, "urllib3.exceptions", "ConnectTimeoutError")
            or _isinstance(e, "requests.exceptions", "ConnectTimeout")
            or _isinstance(e, "azure.core.exceptions", "ServiceRequestTimeoutError")
        ):
            return Cause(Reason.UNREACHABLE, "connection timed out")
    for e in links:
        if (
            _isinstance(e, "urllib3.exceptions", "ReadTimeoutError")
            or _isinstance(e, "requests.exceptions", "ReadTimeout")
            or _isinstance(e, "azure.core.exceptions", "ServiceResponseTimeoutError")
            or isinstance(e, TimeoutError)
        ):
            return Cause(Reason.TIMEOUT, "no answer in time")
    for e in links:
        if _isinstance(e, "urllib3.exceptions", "ProtocolError") or _isinstance(
            e, "azure.core.exceptions", "ServiceResponseError"
        ):
            return Cause(Reason.UNREACHABLE, "connection dropped")
    for e in links:
        if isinstance(e, OSError) and e.errno in _NETWORK_ERRNOS:
            return Cause(Reason.UNREACHABLE, "network error")
    for e in links:
        # requests raises a bare OSError (no errno) when a CA bundle path is missing.
        if type(e) is OSError and e.errno is None:
            missing = _missing_ca_bundle(ca_bundle)
            if missing is not None:
                return Cause(Reason.TLS, "CA bundle file not found", file=missing)
            return Cause(Reason.TLS, "cannot load the TLS CA certificates")
    for e in links:
        if (
            _isinstance(e, "urllib3.exceptions", "MaxRetryError")
            or _isinstance(e, "requests.exceptions", "ConnectionError")
            or _isinstance(e, "azure.core.exceptions", "ServiceRequestError")
        ):
            return Cause(Reason.UNREACHABLE, "no connection")
    return None


def _host(exc: BaseException, fallback: str | None) -> str | None:
    for e in chain(exc):
        request = getattr(e, "request", None) or getattr(
            getattr(e, "response", None), "request", None
        )
        url = getattr(request, "url", None)
        if url:
            host = urlsplit(str(url)).netloc
            if host:
                return host
        # urllib3's NewConnectionError carries the connection it failed to open.
        conn = getattr(e, "conn", None)
        if conn is not None and getattr(conn, "host", None):
            port = getattr(conn, "port", None)
            return f"{conn.host}:{port}" if port else str(conn.host)
    if fallback:
        return urlsplit(fallback).netloc or fallback
    return None


def first_line(text: object) -> str:
    lines = [line for line in str(text).splitlines() if line.strip()]
    return lines[0].strip()[:500] if lines else ""


def transport_error(
    operation: str,
    cause: Cause,
    *,
    host: str | None,
    kube: bool = False,
    service: str | None = None,
) -> KompoxError:
    """The typed error for a failure to reach (or trust, or hear back from) ``host``."""
    where = host or service or ("the Kubernetes API" if kube else "Azure Resource Manager")
    if cause.reason is Reason.TIMEOUT:
        deadline = current_deadline()
        if deadline is not None and deadline.left() <= _DEADLINE_SLACK:
            # The request's timeout was what the operation had left: its limit ran out.
            return deadline.expired(f"{where} gave no answer before the limit")
        return OperationTimeout(f"{operation}: {where} gave {cause.detail}")
    if cause.file is not None:
        return AzureError(
            operation,
            code="TLSError",
            message=f"cannot load the CA bundle {cause.file}: {cause.detail}",
            reason=Reason.TLS,
            hint=(f"fix the path {cause.file} (AZURE_CA_BUNDLE or REQUESTS_CA_BUNDLE) or unset it"),
        )
    if cause.reason is Reason.TLS:
        code, text = "TLSError", f"TLS with {where} failed ({cause.detail})"
    else:
        code = "KubernetesUnreachable" if kube else "ServiceUnreachable"
        text = f"cannot reach {where} ({cause.detail})"
    error_cls = KubernetesError if kube else AzureError
    hint = hint_for(cause.reason)
    if kube and cause.reason is Reason.UNREACHABLE:
        hint = "check that the cluster is running and its API server is reachable from here"
    return error_cls(operation, code=code, message=text, reason=cause.reason, hint=hint)


def _error_chain(error: Any, depth: int = 0) -> list[tuple[str, str]]:
    """``(code, message)`` of an azure-core error and its nested details, depth first."""
    if error is None or depth > 6:
        return []
    found = [
        (str(getattr(error, "code", "") or ""), first_line(getattr(error, "message", "") or ""))
    ]
    for detail in getattr(error, "details", None) or []:
        found.extend(_error_chain(detail, depth + 1))
    return found


def _http_error(operation: str, exc: Any) -> AzureError:
    """An azure-core ``HttpResponseError``: root-cause code and message, wrappers as details."""
    error = getattr(exc, "error", None)
    code = getattr(error, "code", None) if error is not None else None
    message = getattr(error, "message", None) if error is not None else None
    details: list[str] = []
    if error is not None:
        codes = _error_chain(error)
        root = next((e for e in reversed(codes) if e[0] and e[0] not in WRAPPER_CODES), None)
        if root is not None and code in WRAPPER_CODES:
            # Surface the root cause; keep the wrappers (stack, deployment) as details.
            details = [f"({c}) {m}".strip() for c, m in codes if (c, m) != root]
            code, message = root
        else:
            details = [f"({c}) {m}".strip() for c, m in codes[1:]]
    status = getattr(exc, "status_code", None)
    # A failed long-running operation ends with a 200 GET of the failed resource: that
    # status says nothing about the failure, so the reason comes from the code alone.
    judged_status = status if isinstance(status, int) and status >= 400 else None
    if not code:
        code = str(getattr(exc, "reason", None) or status or "HttpError")
    if not message:
        message = first_line(getattr(exc, "message", None) or str(exc))
    return AzureError(operation, code=code, message=message, status=judged_status, details=details)


def _kube_api_error(operation: str, exc: Any) -> KubernetesError:
    """``kubernetes.client.ApiException``: the Status object's reason and message."""
    import json

    status = getattr(exc, "status", None)
    code = str(getattr(exc, "reason", "") or "")
    message = ""
    body = getattr(exc, "body", None)
    if body:
        try:
            data = json.loads(body)
        except (TypeError, ValueError):
            data = None
        if isinstance(data, dict):
            code = str(data.get("reason") or code)
            message = str(data.get("message") or "")
    if not message:
        message = f"the Kubernetes API answered HTTP {status}"
    return KubernetesError(
        operation, code=code or f"HTTP{status}", message=first_line(message), status=status
    )


def map_error(
    operation: str,
    exc: BaseException,
    *,
    endpoint: str | None = None,
    kube: bool = False,
    ca_bundle: str | None = None,
) -> KompoxError:
    """The project's typed error for ``exc`` raised while doing ``operation``.

    ``endpoint`` names the server when the exception carries no request URL;
    ``kube`` makes failures :class:`KubernetesError`; ``ca_bundle`` is the configured
    bundle path, named when it cannot be loaded.
    """
    if isinstance(exc, KompoxError):
        return exc
    if _isinstance(exc, "kubernetes.client.exceptions", "ApiException") and getattr(
        exc, "status", None
    ):
        return _kube_api_error(operation, exc)
    cause = classify(exc, ca_bundle=ca_bundle)
    is_auth = _isinstance(exc, "azure.core.exceptions", "ClientAuthenticationError")
    if cause is not None and (is_auth or not _has_http_status(exc)):
        return transport_error(operation, cause, host=_host(exc, endpoint), kube=kube)
    if _isinstance(exc, "azure.identity", "CredentialUnavailableError"):
        return AuthError(
            f"{operation}: no credential is available: {first_line(getattr(exc, 'message', exc))}",
            hint="set AZURE_AUTH_METHOD and the settings it needs in provider.settings",
        )
    if is_auth:
        text = first_line(getattr(exc, "message", None) or str(exc))
        return AuthError(f"{operation}: authentication failed: {text}")
    if _isinstance(exc, "azure.core.exceptions", "HttpResponseError"):
        return _http_error(operation, exc)
    error_cls = KubernetesError if kube else AzureError
    return error_cls(operation, code=type(exc).__name__, message=first_line(str(exc)))


def _has_http_status(exc: BaseException) -> bool:
    status = getattr(exc, "status_code", None)
    return isinstance(status, int) and status > 0
