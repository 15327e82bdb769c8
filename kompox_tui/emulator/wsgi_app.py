"""The emulator's WSGI app: one HTTP request in, one routed :class:`~.core.Response` out.

Each request becomes a :class:`~.core.Request` (path percent-decoded, ``//`` collapsed,
first value of each query parameter, header names lower-cased); fault rules
(:mod:`.faults`) may delay it, fail it or drop the connection; ARM paths need a valid
bearer token (the identity service checks it) and an ``api-version`` registered in
:mod:`.api_versions`; then ``ctx.router`` answers. Every answer carries
``x-ms-request-id`` and ``x-ms-correlation-request-id`` and is logged in
``ctx.request_log``; a Kubernetes watch streams instead. A bug in a handler is ARM's 500,
never a dropped server.
"""

from __future__ import annotations

import contextlib
import json
import math
import socket
import traceback
import uuid
from collections.abc import Callable, Iterable
from typing import Any, NoReturn
from urllib.parse import parse_qsl

from . import api_versions, faults
from .core import ArmError, EmulatorContext, Request, Response

_STATUS_TEXT = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    412: "Precondition Failed",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}

ARM_PREFIXES = ("/subscriptions", "/providers", "/tenants")


def requires_arm_token(path: str) -> bool:
    """True for the ARM paths (a bearer token required); false for identity and ``/k8s/``."""
    return path.lower().startswith(ARM_PREFIXES)


class WsgiApp:
    """The WSGI callable the HTTPS server runs; ``save_state`` (when the emulator keeps a
    state file) runs after every request that may have changed the store."""

    def __init__(
        self,
        ctx: EmulatorContext,
        fault_rules: faults.Faults,
        save_state: Callable[[], None] | None = None,
    ) -> None:
        self.ctx = ctx
        self.faults = fault_rules
        self.save_state = save_state

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        raw_path = environ.get("PATH_INFO", "") or "/"
        try:
            path = raw_path.encode("latin-1").decode("utf-8")
        except UnicodeError:
            path = raw_path
        # "https://host:port/" + "/metadata/endpoints" (az joins an endpoint that ends in
        # "/") reaches ARM as "//metadata/endpoints"; ARM ignores the empty segment.
        while "//" in path:
            path = path.replace("//", "/")
        query_string = environ.get("QUERY_STRING", "")
        query: dict[str, str] = {}
        for key, value in parse_qsl(query_string, keep_blank_values=True):
            query.setdefault(key, value)
        headers = {
            key[5:].replace("_", "-").lower(): str(value)
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        method = environ.get("REQUEST_METHOD", "GET").upper()
        request_id = str(uuid.uuid4())
        correlation = headers.get("x-ms-correlation-request-id") or str(uuid.uuid4())

        decision = self.faults.evaluate(
            method, path, retry_after_default=self.ctx.clock.wall_seconds(1.0)
        )
        if decision.error is not None and path.lower().startswith("/k8s/"):
            # urllib3 (inside the kubernetes client) only accepts whole seconds.
            value = decision.error.headers.get("Retry-After")
            if value is not None:
                whole = max(1, math.ceil(float(value)))
                decision.error.headers["Retry-After"] = str(whole)
        faults.Faults.sleep(decision.delay)
        if decision.drop:
            self._drop_connection(environ, method, path, query_string)

        body = b""
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        stream = environ.get("wsgi.input")
        if stream is not None:
            if length > 0:
                body = stream.read(length)
            elif environ.get("wsgi.input_terminated"):
                body = stream.read()

        req = Request(
            method=method,
            path=path,
            query=query,
            headers=headers,
            body=body,
            base_url=self.ctx.base_url,
        )
        if decision.lro_error is not None:
            req.extras["lro_error"] = decision.lro_error
        response = self._dispatch(req, decision)
        if decision.drop_after:
            if self.save_state is not None:
                self.save_state()
            self._drop_connection(environ, method, path, query_string)
        stream = getattr(response, "stream", None)
        if stream is not None:  # a Kubernetes watch: no Content-Length, chunks as they come
            self.ctx.log_request(method, path, response.status, query_string)
            stream_headers = {"Content-Type": response.content_type, **response.headers}
            start_response(
                f"{response.status} {_STATUS_TEXT.get(response.status, 'Status')}",
                list(stream_headers.items()),
            )
            return iter(stream)
        payload = response.encoded()
        out_headers: dict[str, str] = {}
        if payload or (response.status not in (204, 304) and method != "HEAD"):
            out_headers["Content-Type"] = response.content_type
        out_headers.update(response.headers)
        out_headers["x-ms-request-id"] = request_id
        out_headers["x-ms-correlation-request-id"] = correlation
        if "x-ms-client-request-id" in headers:
            out_headers["x-ms-client-request-id"] = headers["x-ms-client-request-id"]
        if method == "HEAD" or response.status in (204, 304):
            payload = b""
        out_headers["Content-Length"] = str(len(payload))
        status_line = f"{response.status} {_STATUS_TEXT.get(response.status, 'Status')}"
        self.ctx.log_request(method, path, response.status, query_string)
        start_response(status_line, list(out_headers.items()))
        if self.save_state is not None and (method != "GET" or response.status < 300):
            self.save_state()
        return [payload]

    def _drop_connection(
        self, environ: dict[str, Any], method: str, path: str, query_string: str
    ) -> NoReturn:
        """Fault injection: close the client connection without any response (logged as
        status 0); the request handler thread ends quietly."""
        self.ctx.log_request(method, path, 0, query_string)
        sock = environ.get("werkzeug.socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        raise ConnectionAbortedError("connection dropped by fault injection")

    def _dispatch(self, req: Request, decision: faults.Decision) -> Response:
        try:
            if decision.error is not None:
                raise decision.error
            is_arm = requires_arm_token(req.path)
            if is_arm:
                self.ctx.services["identity"].check_arm_token(req)
                if not req.q("api-version"):
                    raise ArmError(
                        400,
                        "MissingApiVersionParameter",
                        "The api-version query parameter (?api-version=) is required for all "
                        "requests.",
                    )
                api_versions.check_request(req, self._request_location(req))
                self.ctx.operations.settle_all()
            found = self.ctx.router.match(req.method, req.path)
            if found is None:
                if is_arm:
                    raise ArmError(
                        404,
                        "NotFound",
                        f"The requested resource '{req.path}' was not found.",
                    )
                return Response(404, {"error": "not_found", "error_description": req.path})
            handler, params = found
            return handler(req, params)
        except ArmError as exc:
            return exc.to_response()
        except Exception:  # a bug in a handler: answer like ARM does, keep serving
            traceback.print_exc()
            return ArmError(
                500,
                "InternalServerError",
                "Encountered internal server error. The emulator logged the details.",
            ).to_response()

    def _request_location(self, req: Request) -> str:
        """The location a NoRegisteredProviderFound message names: the body's ``location``
        on writes, the addressed resource's location when it exists, else the default."""
        if req.method in ("PUT", "PATCH") and req.body and len(req.body) < 1_000_000:
            with contextlib.suppress(ValueError, UnicodeDecodeError):
                body = json.loads(req.body)
                if isinstance(body, dict) and isinstance(body.get("location"), str):
                    return str(body["location"])
        found = self.ctx.store.get("arm", req.path.rstrip("/"))
        if isinstance(found, dict) and isinstance(found.get("location"), str):
            return str(found["location"])
        return self.ctx.location
