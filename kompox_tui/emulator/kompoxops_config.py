"""A kompoxops.yml (schema v1) pointing at an emulator, for tests, the demo and ``--write-config``.

:meth:`Emulator.write_config <kompox_tui.emulator.server.Emulator.write_config>` is this
function; the settings name the emulator's ARM and authority URLs, its CA bundle and one
of its principals per ``AZURE_AUTH_METHOD``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from .server import Emulator


def write_config(
    emu: Emulator,
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
    loc = location or emu.ctx.location
    settings: dict[str, str] = {
        "AZURE_SUBSCRIPTION_ID": emu.subscription_id,
        "AZURE_LOCATION": loc,
        "AZURE_AUTH_METHOD": auth_method,
        "AZURE_RESOURCE_MANAGER_ENDPOINT": emu.arm_url,
        "AZURE_AUTHORITY_HOST": emu.authority_url,
        "AZURE_CA_BUNDLE": emu.ca_bundle,
    }
    if auth_method == "client_secret":
        settings.update(
            AZURE_TENANT_ID=emu.tenant_id,
            AZURE_CLIENT_ID=emu.client_id,
            AZURE_CLIENT_SECRET=emu.client_secret,
        )
    elif auth_method == "client_certificate":
        settings.update(AZURE_TENANT_ID=emu.tenant_id, AZURE_CLIENT_ID=emu.client_id)
        if not client_certificate_path:
            client_certificate_path = str(
                emu.write_client_certificate(target.parent / "client-cert.pem")
            )
        settings["AZURE_CLIENT_CERTIFICATE_PATH"] = str(client_certificate_path)
    elif auth_method == "workload_identity":
        settings.update(AZURE_TENANT_ID=emu.tenant_id, AZURE_CLIENT_ID=emu.client_id)
        if not federated_token_file:
            federated_token_file = str(emu.write_federated_token(target.parent / "federated-token"))
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
