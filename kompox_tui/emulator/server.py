"""The emulator's HTTPS server and its Python API, :class:`Emulator`.

A werkzeug threaded WSGI server with a TLS context (CA + server certificate generated
at start, see :mod:`.certs`) on 127.0.0.1, in a daemon thread. The WSGI adapter turns
each request into a :class:`~.core.Request`, applies fault rules, checks the ARM bearer
token (except for the identity endpoints and ``/k8s/``), requires ``api-version`` on ARM
paths, routes, and answers with ``x-ms-request-id`` and ``x-ms-correlation-request-id``.
Modules register in this order: identity, resources (RGs), compute, aks,
operation-status routes, deployments, authorization, key vault, stacks (+ validate), generic
resources, subscriptions/providers/metadata, kube.
Every ARM request's ``api-version`` is checked against :mod:`.api_versions` before routing.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import secrets
import select
import shutil
import socket
import sys
import tempfile
import threading
import traceback
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import parse_qsl

import yaml
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from . import aks, api_versions, certs, compute, faults, identity, operations_routes, resources
from .core import (
    ArmError,
    Clock,
    EmulatorContext,
    Operations,
    Request,
    Response,
    Router,
    Store,
)

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


class _QuietHandler(WSGIRequestHandler):
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


class _Connections:
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


def _kept_ids(state_dir: Path) -> dict[str, str]:
    """The subscription and tenant ids kept in a state directory (so a config written
    against one run names the same subscription and token issuer in the next)."""
    try:
        data = json.loads((state_dir / "cloud.json").read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: str(v) for k, v in data.items() if k in ("subscriptionId", "tenantId") and v}


def _keep_ids(state_dir: Path, subscription_id: str, tenant_id: str) -> None:
    state_dir.mkdir(parents=True, exist_ok=True)
    tmp = state_dir / "cloud.json.tmp"
    tmp.write_text(json.dumps({"subscriptionId": subscription_id, "tenantId": tenant_id}), "utf-8")
    os.replace(tmp, state_dir / "cloud.json")


def requires_arm_token(path: str) -> bool:
    return path.lower().startswith(ARM_PREFIXES)


class Emulator:
    """An in-process Azure (ARM + Entra ID) and Kubernetes emulator over HTTPS.

    ``with Emulator(speed=1000) as emu: ...`` — the server starts in the constructor and
    stops in ``stop()`` (or at the end of the ``with`` block). Thread-safe.
    """

    def __init__(
        self,
        speed: float = 1.0,
        faults: str | None = None,
        state_file: str | os.PathLike[str] | None = None,
        page_size: int = 100,
        port: int = 0,
        latency: float | tuple[float, float] | None = None,
        *,
        subscription_id: str | None = None,
        tenant_id: str | None = None,
        location: str = "japaneast",
        host: str = "127.0.0.1",
        state_dir: str | os.PathLike[str] | None = None,
        tls_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        """``state_dir``: where the CA, the server certificate, the token-signing key and
        the managed-identity header are kept and reused on the next start (so the CA bundle
        path, tokens and ``IDENTITY_HEADER`` clients hold survive a restart); None = new
        throw-away ones in a temporary directory. ``tls_dir``: keep only the CA and server
        certificate there (the demo: start-up time, no credential on disk)."""
        self.state_file = Path(state_file) if state_file else None
        self._state_lock = threading.Lock()
        self._last_saved: str | None = None
        self._saved_version = -1
        store = Store()
        self._load_state(store)
        meta = store.get("emulator", "meta") or {}
        kept = _kept_ids(Path(state_dir)) if state_dir is not None else {}
        self.subscription_id = (
            subscription_id
            or meta.get("subscriptionId")
            or kept.get("subscriptionId")
            or str(uuid.uuid4())
        )
        self.tenant_id = (
            tenant_id or meta.get("tenantId") or kept.get("tenantId") or str(uuid.uuid4())
        )
        if state_dir is not None and not kept:
            _keep_ids(Path(state_dir), self.subscription_id, self.tenant_id)
        clock = Clock(speed)
        self.ctx = EmulatorContext(
            router=Router(),
            store=store,
            clock=clock,
            operations=Operations(clock),
            subscription_id=self.subscription_id,
            tenant_id=self.tenant_id,
            location=location,
            page_size=page_size,
        )
        self.faults = faults_mod = _faults_module.Faults()
        if latency is not None:
            faults_mod.global_latency = (
                latency if isinstance(latency, tuple) else (latency, latency)
            )
        if faults:
            faults_mod.add_spec(faults)
        self.ctx.services["faults"] = faults_mod

        self._tmp = Path(tempfile.mkdtemp(prefix="kompox-emulator-"))
        try:
            self.state_dir = Path(state_dir) if state_dir is not None else None
            kept_tls = Path(tls_dir) if tls_dir is not None else None
            if kept_tls is None and self.state_dir is not None:
                kept_tls = self.state_dir / "tls"
            if kept_tls is not None:
                tls = certs.load_or_create(kept_tls, (host, "localhost"))
            else:
                tls = certs.generate(self._tmp, (host, "localhost"))
            # Bind ourselves: werkzeug would print to stderr and sys.exit() on EADDRINUSE.
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
                listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                listener.bind((host, port))
                listener.listen(128)
                self._server: BaseWSGIServer = make_server(
                    host,
                    port,
                    self._wsgi,
                    threaded=True,
                    request_handler=_QuietHandler,
                    ssl_context=tls.server_context(),
                    fd=listener.fileno(),
                )
        except BaseException:
            shutil.rmtree(self._tmp, ignore_errors=True)
            raise
        self._connections = _Connections()
        self._server.kompox_connections = self._connections  # type: ignore[attr-defined]
        self.ca_bundle = str(tls.ca_bundle)
        self.ctx.ca_pem = tls.ca_pem
        self.port = int(self._server.server_address[1])
        self.base_url = f"https://{host}:{self.port}"
        self.ctx.base_url = self.base_url
        self.arm_url = self.base_url
        self.authority_url = self.base_url

        self.identity = identity.register(
            self.ctx, self.state_dir / "identity" if self.state_dir is not None else None
        )
        resources.register(self.ctx)
        compute.register(self.ctx)
        self.aks = aks.register(self.ctx)
        operations_routes.register(self.ctx)
        # before stacks: their routes and resource types supersede the generic ones there
        from . import authorization, deployments, keyvault

        deployments.register(self.ctx)
        authorization.register(self.ctx)
        keyvault.register(self.ctx)
        from . import generic_resources, kube, stacks, subscriptions

        stacks.register(self.ctx)
        # after every module with specific routes under resource groups: its GET is a
        # catch-all, and its resource types give way to the ones registered before
        generic_resources.register(self.ctx)
        subscriptions.register(self.ctx)
        kube.register(self.ctx)

        default = meta.get("defaultClientId")
        rec = self.identity.principal(default) if default else None
        if rec is None:
            rec = self.identity.add_principal(
                secret=secrets.token_urlsafe(32), display_name="kompox-emulator-deployer"
            )
        self.client_id: str = rec["clientId"]
        self.client_secret: str = rec["secret"]
        self.principal_object_id: str = rec["objectId"]
        self.identity.ensure_system_assigned_identity()
        self._recover_transient_states()
        store.put(
            "emulator",
            "meta",
            {
                "subscriptionId": self.subscription_id,
                "tenantId": self.tenant_id,
                "defaultClientId": self.client_id,
            },
        )
        self._stopped = False
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"kompox-emulator-{self.port}",
            daemon=True,
        )
        self._thread.start()
        self._save_state()

    # --- lifecycle ------------------------------------------------------------------

    def __enter__(self) -> Emulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self._server.shutdown()
        self._server.server_close()
        self._connections.close_all()
        self._thread.join(timeout=5)
        self.ctx.operations.settle_all()
        self._save_state()
        shutil.rmtree(self._tmp, ignore_errors=True)

    def __repr__(self) -> str:
        return f"Emulator(arm_url={self.arm_url!r}, speed={self.ctx.clock.speed})"

    # --- state file ----------------------------------------------------------------

    def _load_state(self, store: Store) -> bool:
        if self.state_file is None or not self.state_file.exists():
            return False
        try:
            data = json.loads(self.state_file.read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise ValueError(
                f"emulator state file {self.state_file} is not readable JSON ({exc}); "
                "fix or delete it"
            ) from None
        if not isinstance(data, dict):
            raise ValueError(f"emulator state file {self.state_file} is not a JSON object")
        store.load(data)
        return True

    def _recover_transient_states(self) -> None:
        """Operations are not persisted: settle what a previous run left in flight
        (Updating/Creating -> Succeeded, Deleting -> deleted)."""
        for key, value in self.ctx.store.items("arm"):
            if not isinstance(value, dict):
                continue
            props = value.get("properties")
            state = props.get("provisioningState") if isinstance(props, dict) else None
            if state in ("Updating", "Creating") and isinstance(props, dict):
                props["provisioningState"] = "Succeeded"
                self.ctx.store.put("arm", key, value)
            elif state == "Deleting":
                rtype = self.ctx.resource_type(str(value.get("type", "")))
                if rtype is not None:
                    rtype.delete(self.ctx, str(value.get("id", key)))
                else:
                    self.ctx.store.delete("arm", key)

    def _save_state(self) -> None:
        if self.state_file is None:
            return
        with self._state_lock:
            # Reads settle LROs lazily and may change the store, so every request may
            # need a save -- but serialising an unchanged store on each GET is O(store).
            version = self.ctx.store.version
            if version == self._saved_version:
                return
            text = json.dumps(self.ctx.store.snapshot(), indent=1, sort_keys=True)
            self._saved_version = version
            if text == self._last_saved:
                return
            self.state_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.state_file.with_name(self.state_file.name + ".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.replace(tmp, self.state_file)
            self._last_saved = text

    # --- public helpers -------------------------------------------------------------

    def requests(self) -> list[dict[str, Any]]:
        """The request log: dicts with method, path, status, query."""
        return list(self.ctx.requests())

    def add_fault(self, method: str = "*", path: str = "*", **kwargs: Any) -> faults.FaultRule:
        """Add a fault rule (see :mod:`.faults`); the returned handle has ``hits``."""
        return self.faults.add(method, path, **kwargs)

    def clear_faults(self) -> None:
        self.faults.clear()

    def add_principal(
        self,
        client_id: str | None = None,
        *,
        secret: str | None = None,
        certificate_pem: bytes | str | None = None,
        federated_subject: str | None = None,
        federated_issuer: str | None = None,
        managed: bool = False,
        display_name: str | None = None,
    ) -> dict[str, Any]:
        """Register a principal (client secret, certificate PEM, federated subject, or a
        user-assigned managed identity). Returns its record (``clientId``, ``objectId``)."""
        rec = self.identity.add_principal(
            client_id,
            secret=secret,
            certificate_pem=certificate_pem,
            federated_subject=federated_subject,
            federated_issuer=federated_issuer,
            managed=managed,
            display_name=display_name,
        )
        self._save_state()
        return rec

    def issue_token(
        self,
        client_id: str | None = None,
        *,
        resource: str = "https://management.azure.com/",
        lifetime: int = identity.TOKEN_LIFETIME,
    ) -> tuple[str, int]:
        """An access token (and its ``exp``) the emulator accepts, e.g. for a fake ``az``."""
        return self.identity.issue_token(
            client_id or self.client_id, resource=resource, lifetime=lifetime
        )

    def issue_federated_token(self, subject: str, *, issuer: str | None = None) -> str:
        """A token usable as a workload-identity assertion for a matching federated subject."""
        return self.identity.issue_federated_token(subject, issuer=issuer)

    def write_client_certificate(
        self,
        path: str | os.PathLike[str],
        *,
        client_id: str | None = None,
        password: str | None = None,
    ) -> Path:
        """Generate a key + self-signed certificate, register the certificate on
        ``client_id`` (default: the emulator's principal) and write key + certificate as
        one PEM file (mode 0600) — what ``AZURE_CLIENT_CERTIFICATE_PATH`` expects. With
        ``password`` the key is encrypted (``AZURE_CLIENT_CERTIFICATE_PASSWORD``)."""
        import datetime as dt

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.x509.oid import NameOID

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kompox-emulator-client")])
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=30))
            .sign(key, hashes.SHA256())
        )
        cert_pem = cert.public_bytes(serialization.Encoding.PEM)
        self.add_principal(client_id or self.client_id, certificate_pem=cert_pem)
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        key_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(password.encode())
            if password
            else serialization.NoEncryption(),
        )
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(key_pem + cert_pem)
        return target

    def write_federated_token(
        self,
        path: str | os.PathLike[str],
        *,
        subject: str = "system:serviceaccount:default:kompox",
        client_id: str | None = None,
    ) -> Path:
        """Register ``subject`` as a federated credential of ``client_id`` (default: the
        emulator's principal) and write a matching token file (mode 0600) — what
        ``AZURE_FEDERATED_TOKEN_FILE`` expects."""
        self.add_principal(client_id or self.client_id, federated_subject=subject)
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(self.issue_federated_token(subject))
        return target

    @property
    def managed_identity_env(self) -> dict[str, str]:
        """``IDENTITY_ENDPOINT`` / ``IDENTITY_HEADER`` for ManagedIdentityCredential."""
        return {
            "IDENTITY_ENDPOINT": self.identity.managed_identity_endpoint,
            "IDENTITY_HEADER": self.identity.identity_header,
        }

    def write_fake_cli(self, directory: str | os.PathLike[str], kind: str = "az") -> Path:
        """Write a fake ``az`` or ``azd`` executable into ``directory`` that prints the JSON
        AzureCliCredential / AzureDeveloperCliCredential parse, with a token this emulator
        issued. Put ``directory`` first on ``PATH``. Returns the executable's path."""
        from datetime import datetime

        token, exp = self.issue_token()
        local = datetime.fromtimestamp(exp)
        if kind == "az":
            payload = {
                "accessToken": token,
                "expiresOn": local.strftime("%Y-%m-%d %H:%M:%S.%f"),
                "expires_on": exp,
                "subscription": self.subscription_id,
                "tenant": self.tenant_id,
                "tokenType": "Bearer",
            }
        elif kind == "azd":
            payload = {"token": token, "expiresOn": local.strftime("%Y-%m-%dT%H:%M:%SZ")}
        else:
            raise ValueError("kind must be 'az' or 'azd'")
        path = Path(directory) / kind
        script = (
            f"#!{sys.executable}\nimport sys\nsys.stdout.write({json.dumps(json.dumps(payload))})\n"
        )
        path.write_text(script, encoding="utf-8")
        path.chmod(0o700)
        return path

    def create_managed_cluster(
        self,
        resource_group: str,
        name: str,
        kubernetes_version: str = "1.33",
        location: str | None = None,
        **properties: Any,
    ) -> dict[str, Any]:
        """Seed a Succeeded managed cluster through the registered resource type (the
        resource group is created if missing)."""
        loc = location or self.ctx.location
        rg_type = self.ctx.resource_type("Microsoft.Resources/resourceGroups")
        assert rg_type is not None
        rg_type.create(
            self.ctx,
            f"/subscriptions/{self.subscription_id}/resourceGroups/{resource_group}",
            {"location": loc},
            "2025-04-01",
        )
        mc = self.ctx.resource_type("Microsoft.ContainerService/managedClusters")
        assert mc is not None
        props: dict[str, Any] = {
            "kubernetesVersion": kubernetes_version,
            "dnsPrefix": name,
            "oidcIssuerProfile": {"enabled": True},
            **properties,
        }
        cluster = mc.create(
            self.ctx,
            f"/subscriptions/{self.subscription_id}/resourceGroups/{resource_group}/providers/"
            f"Microsoft.ContainerService/managedClusters/{name}",
            {"location": loc, "properties": props},
            "2026-08-01",
        )
        self._save_state()
        return cluster

    def write_config(
        self,
        path: str | os.PathLike[str],
        *,
        service: str | None = "svc1",
        provider: str = "aks1",
        cluster: str = "cluster1",
        app: str = "app1",
        volumes: Iterable[tuple[str, str]] = (("db", "32Gi"),),
        auth_method: str = "client_secret",
        ingress_namespace: str | None = "traefik",
        ingress_service_account: str | None = None,
        cluster_rg: str | None = None,
        app_rg: str | None = None,
        location: str | None = None,
        client_certificate_path: str | None = None,
        federated_token_file: str | None = None,
        managed_identity_client_id: str | None = None,
        extra_provider_settings: Mapping[str, str] | None = None,
        extra_cluster_settings: Mapping[str, str] | None = None,
        extra_app_settings: Mapping[str, str] | None = None,
        existing: bool = False,
        domain: str | None = None,
    ) -> Path:
        """Write a complete kompoxops.yml (schema v1) pointing at this emulator.

        ``client_secret`` (default) uses the emulator's default principal. For
        ``client_certificate`` / ``workload_identity`` without ``client_certificate_path`` /
        ``federated_token_file``, a certificate / federated token registered on that
        principal is written next to the config (``client-cert.pem`` /
        ``federated-token``). ``managed_identity`` needs ``emu.managed_identity_env`` in the
        environment. Returns the path.
        """
        target = Path(path)
        if target.is_dir():
            target = target / "kompoxops.yml"
        loc = location or self.ctx.location
        settings: dict[str, str] = {
            "AZURE_SUBSCRIPTION_ID": self.subscription_id,
            "AZURE_LOCATION": loc,
            "AZURE_AUTH_METHOD": auth_method,
            "AZURE_RESOURCE_MANAGER_ENDPOINT": self.arm_url,
            "AZURE_AUTHORITY_HOST": self.authority_url,
            "AZURE_CA_BUNDLE": self.ca_bundle,
        }
        if auth_method == "client_secret":
            settings.update(
                AZURE_TENANT_ID=self.tenant_id,
                AZURE_CLIENT_ID=self.client_id,
                AZURE_CLIENT_SECRET=self.client_secret,
            )
        elif auth_method == "client_certificate":
            settings.update(AZURE_TENANT_ID=self.tenant_id, AZURE_CLIENT_ID=self.client_id)
            if not client_certificate_path:
                client_certificate_path = str(
                    self.write_client_certificate(target.parent / "client-cert.pem")
                )
            settings["AZURE_CLIENT_CERTIFICATE_PATH"] = str(client_certificate_path)
        elif auth_method == "workload_identity":
            settings.update(AZURE_TENANT_ID=self.tenant_id, AZURE_CLIENT_ID=self.client_id)
            if not federated_token_file:
                federated_token_file = str(
                    self.write_federated_token(target.parent / "federated-token")
                )
            settings["AZURE_FEDERATED_TOKEN_FILE"] = str(federated_token_file)
        elif auth_method == "managed_identity" and managed_identity_client_id:
            settings["AZURE_CLIENT_ID"] = managed_identity_client_id
        if extra_provider_settings:
            settings.update(extra_provider_settings)
        cluster_settings = {"AZURE_RESOURCE_GROUP_NAME": cluster_rg or f"rg-{cluster}"}
        if extra_cluster_settings:
            cluster_settings.update(extra_cluster_settings)
        app_settings = {"AZURE_RESOURCE_GROUP_NAME": app_rg or f"rg-{app}"}
        if extra_app_settings:
            app_settings.update(extra_app_settings)
        ingress: dict[str, Any] = {}
        if ingress_namespace is not None:
            ingress["namespace"] = ingress_namespace
        if ingress_service_account is not None:
            ingress["serviceAccount"] = ingress_service_account
        if domain is not None:
            ingress["domain"] = domain
        doc: dict[str, Any] = {"version": "v1"}
        if service is not None:
            doc["service"] = {"name": service}
        doc["provider"] = {"name": provider, "driver": "aks", "settings": settings}
        cluster_doc: dict[str, Any] = {"name": cluster, "existing": existing}
        if ingress:
            cluster_doc["ingress"] = ingress
        cluster_doc["settings"] = cluster_settings
        doc["cluster"] = cluster_doc
        doc["app"] = {
            "name": app,
            "volumes": [{"name": n, "size": s} for n, s in volumes],
            "settings": app_settings,
        }
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            yaml.safe_dump(doc, fh, sort_keys=False)
        return target

    # --- WSGI -------------------------------------------------------------------------

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
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
            base_url=self.base_url,
        )
        if decision.lro_error is not None:
            req.extras["lro_error"] = decision.lro_error
        response = self._dispatch(req, decision)
        if decision.drop_after:
            if self.state_file is not None:
                self._save_state()
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
        if self.state_file is not None and (method != "GET" or response.status < 300):
            self._save_state()
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
                self.identity.check_arm_token(req)
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


_faults_module = faults
