"""The emulator's HTTPS server: werkzeug's threaded WSGI server with TLS and keep-alive.

:func:`make_https_server` binds ``host:port`` itself (werkzeug would print to stderr and
``sys.exit()`` on EADDRINUSE) and wraps the socket in the TLS context of :mod:`.certs`;
:func:`serve_in_thread` serves it from a daemon thread. What each request means is the
WSGI app's business (:mod:`.wsgi_app`).
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import ssl
import threading
from collections.abc import Iterable
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server


class KeepAliveHandler(WSGIRequestHandler):
    """werkzeug's request handler with HTTP/1.1 keep-alive and no access log.

    werkzeug closes every connection after one response, so each SDK call would pay a
    fresh TLS handshake (done by the single accepting thread). The emulator's WSGI app
    always reads the whole request body and returns one bytes body with a
    Content-Length, so connections can safely stay open: ``run_wsgi`` is replaced by a
    small buffered version. Idle connections end after ``timeout`` seconds; ``stop()``
    closes the open ones. ``KOMPOX_EMULATOR_KEEPALIVE=0`` restores werkzeug's behaviour.
    """

    timeout = 30

    def setup(self) -> None:
        super().setup()
        # Headers and body are written separately; without TCP_NODELAY, Nagle + delayed
        # ACKs add ~40 ms to some responses.
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        registry = getattr(self.server, "kompox_connections", None)
        if registry is not None:
            with registry.lock:
                registry.open.add(self.connection)

    def finish(self) -> None:
        registry = getattr(self.server, "kompox_connections", None)
        if registry is not None:
            with registry.lock:
                registry.open.discard(self.connection)
        with contextlib.suppress(OSError, ValueError):
            super().finish()

    def run_wsgi(self) -> None:
        if os.environ.get("KOMPOX_EMULATOR_KEEPALIVE", "1") == "0":
            super().run_wsgi()
            return
        if self.headers.get("Expect", "").lower().strip() == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        environ = self.make_environ()
        self.environ = environ
        started: dict[str, Any] = {}

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            started["status"] = status
            started["headers"] = headers
            return lambda data: None

        try:
            chunks = self.server.app(environ, start_response)
            if not isinstance(chunks, list):  # a streamed body (a Kubernetes watch)
                self._stream(started, chunks)
                return
            body = b"".join(chunks)
        except ConnectionError:  # fault injection dropped the connection
            self.close_connection = True
            return
        registry = getattr(self.server, "kompox_connections", None)
        if registry is not None and registry.closing:
            self.close_connection = True
        code, _, reason = str(started["status"]).partition(" ")
        self.send_response(int(code), reason)
        for key, value in started["headers"]:
            self.send_header(key, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)
        self.wfile.flush()

    def _stream(self, started: dict[str, Any], chunks: Iterable[bytes]) -> None:
        """Write a streamed body with chunked transfer encoding, each chunk as it comes.

        Ends when the iterator does, when the client closes its side (the socket turns
        readable with nothing to read), or when the server stops.
        """
        code, _, reason = str(started["status"]).partition(" ")
        self.send_response(int(code), reason)
        for key, value in started["headers"]:
            self.send_header(key, value)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()
        registry = getattr(self.server, "kompox_connections", None)
        try:
            for chunk in chunks:
                if registry is not None and registry.closing:
                    break
                readable, _, _ = select.select([self.connection], [], [], 0)
                if readable:
                    break
                if chunk:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    self.wfile.flush()
            else:
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
                return
        except (OSError, ValueError):
            pass
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        self.close_connection = True

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return

    def log(self, type: str, message: str, *args: Any) -> None:  # noqa: A002
        if type == "error" and os.environ.get("KOMPOX_EMULATOR_DEBUG"):
            super().log(type, message, *args)


class OpenConnections:
    """Open client connections of one server (closed by ``Emulator.stop``)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.open: set[socket.socket] = set()
        self.closing = False

    def close_all(self) -> None:
        with self.lock:
            self.closing = True
            conns = list(self.open)
        for conn in conns:
            # The OS-level shutdown (not SSLSocket.shutdown, which would tear down the
            # TLS object under the thread reading it) wakes the handler thread with EOF.
            with contextlib.suppress(OSError):
                socket.socket.shutdown(conn, socket.SHUT_RDWR)


def make_https_server(
    host: str, port: int, app: Any, ssl_context: ssl.SSLContext
) -> tuple[BaseWSGIServer, OpenConnections]:
    """A bound (not yet serving) TLS server for ``app`` and the registry of its open
    connections (``OpenConnections.close_all`` ends them at stop)."""
    # Bind ourselves: werkzeug would print to stderr and sys.exit() on EADDRINUSE.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(128)
        server = make_server(
            host,
            port,
            app,
            threaded=True,
            request_handler=KeepAliveHandler,
            ssl_context=ssl_context,
            fd=listener.fileno(),
        )
    connections = OpenConnections()
    server.kompox_connections = connections  # type: ignore[attr-defined]
    return server, connections


def serve_in_thread(server: BaseWSGIServer) -> threading.Thread:
    """Serve ``server`` from a started daemon thread (``server.shutdown()`` ends it)."""
    port = int(server.server_address[1])
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        name=f"kompox-emulator-{port}",
        daemon=True,
    )
    thread.start()
    return thread
