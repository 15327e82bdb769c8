"""The emulator's Python API, :class:`Emulator`: a facade over its parts.

``Emulator(...)`` builds one :class:`~.core.EmulatorContext`, lets every module
``register(ctx)`` its routes and resource types, and serves them over HTTPS on
127.0.0.1 from a daemon thread. The parts, each in its own module:

- :mod:`.https_server` — werkzeug's threaded server with TLS (CA + server certificate
  from :mod:`.certs`) and keep-alive;
- :mod:`.wsgi_app` — one request in, one routed response out: fault rules, the ARM bearer
  token and ``api-version`` checks, request ids, the request log;
- :mod:`.persistence` — the state file and the ids kept in a state directory;
- :mod:`.kompoxops_config` — a kompoxops.yml pointing at the emulator;
- :mod:`.identity.credential_files` — certificate, federated token and fake ``az`` /
  ``azd`` for a principal.

Modules register in this order: identity, resources (RGs), compute, aks,
operation-status routes, deployments, authorization, key vault, stacks (+ validate), generic
resources, subscriptions/providers/metadata, kube.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any

from . import aks, certs, compute, faults, identity, kompoxops_config, operations_routes, resources
from .core import Clock, EmulatorContext, Operations, Router, Store
from .https_server import make_https_server, serve_in_thread
from .identity import credential_files
from .persistence import StateFile, keep_ids, kept_ids, recover_transient_states
from .wsgi_app import ARM_PREFIXES, WsgiApp, requires_arm_token

__all__ = ["ARM_PREFIXES", "Emulator", "requires_arm_token"]


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
        self._state = StateFile(self.state_file) if self.state_file is not None else None
        store = Store()
        if self._state is not None:
            self._state.load(store)
        meta = store.get("emulator", "meta") or {}
        kept = kept_ids(Path(state_dir)) if state_dir is not None else {}
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
            keep_ids(Path(state_dir), self.subscription_id, self.tenant_id)
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
        self.faults = fault_rules = _faults_module.Faults()
        if latency is not None:
            fault_rules.global_latency = (
                latency if isinstance(latency, tuple) else (latency, latency)
            )
        if faults:
            fault_rules.add_spec(faults)
        self.ctx.services["faults"] = fault_rules

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
            app = WsgiApp(
                self.ctx, fault_rules, self._save_state if self._state is not None else None
            )
            self._server, self._connections = make_https_server(
                host, port, app, tls.server_context()
            )
        except BaseException:
            shutil.rmtree(self._tmp, ignore_errors=True)
            raise
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
        recover_transient_states(self.ctx)
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
        self._thread = serve_in_thread(self._server)
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

    def _save_state(self) -> None:
        if self._state is not None:
            self._state.save(self.ctx.store)

    # --- test control: the request log and fault rules --------------------------------

    def requests(self) -> list[dict[str, Any]]:
        """The request log: dicts with method, path, status, query."""
        return list(self.ctx.requests())

    def add_fault(self, method: str = "*", path: str = "*", **kwargs: Any) -> faults.FaultRule:
        """Add a fault rule (see :mod:`.faults`); the returned handle has ``hits``."""
        return self.faults.add(method, path, **kwargs)

    def clear_faults(self) -> None:
        self.faults.clear()

    # --- principals and credentials ---------------------------------------------------

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
        target = credential_files.write_client_certificate(
            self.identity, path, client_id=client_id or self.client_id, password=password
        )
        self._save_state()
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
        target = credential_files.write_federated_token(
            self.identity, path, subject=subject, client_id=client_id or self.client_id
        )
        self._save_state()
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
        token, exp = self.issue_token()
        return credential_files.write_fake_cli(
            directory,
            kind,
            token=token,
            expires_on=exp,
            subscription_id=self.subscription_id,
            tenant_id=self.tenant_id,
        )

    # --- seeding and config -----------------------------------------------------------

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

    write_config = kompoxops_config.write_config
    """Write a complete kompoxops.yml (schema v1) pointing at this emulator; see
    :func:`.kompoxops_config.write_config`."""


_faults_module = faults
