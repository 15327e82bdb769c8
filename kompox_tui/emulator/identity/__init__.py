"""Entra ID (Azure AD) emulation, moto-style: one module per endpoint, one for the state.

- :mod:`.discovery` — OpenID configuration, JWKS, MSAL instance discovery;
- :mod:`.token_endpoint` — ``POST /{tenant}/oauth2/v2.0/token``, per client credential
  (secret, certificate assertion, federated assertion);
- :mod:`.managed_identity` — the App Service style ``/msi/token`` endpoint;
- :mod:`.service` — :class:`IdentityService`: principals, token signing, the bearer-token
  check ARM applies; :mod:`.keys` — the signing key kept across restarts;
- :mod:`.credential_files` — what a client reads from disk or ``PATH`` (certificate PEM,
  federated token file, fake ``az`` / ``azd``), made for one of the principals.

``register(ctx, key_dir)`` creates the service (``ctx.services["identity"]``) and adds the
routes; ``{tenant}`` must be the emulator's tenant id (or ``common``/``organizations`` for
discovery).
"""

from __future__ import annotations

from pathlib import Path

from ..core import EmulatorContext
from . import discovery, managed_identity, token_endpoint
from .errors import AadError
from .service import (
    ARM_AUDIENCES,
    ASSERTION_TYPE,
    FEDERATED_AUDIENCE,
    TOKEN_LIFETIME,
    IdentityService,
)

__all__ = [
    "ARM_AUDIENCES",
    "ASSERTION_TYPE",
    "FEDERATED_AUDIENCE",
    "TOKEN_LIFETIME",
    "AadError",
    "IdentityService",
    "is_identity_path",
    "register",
]


def register(ctx: EmulatorContext, key_dir: Path | None = None) -> IdentityService:
    """Create the identity service and add the Entra ID routes."""
    svc = IdentityService(ctx, key_dir)
    ctx.services["identity"] = svc
    discovery.register(ctx, svc)
    token_endpoint.register(ctx, svc)
    managed_identity.register(ctx, svc)
    return svc


def is_identity_path(path: str, tenant_id: str) -> bool:
    """True for the paths that must not require an ARM bearer token."""
    low = path.lower()
    if low.startswith(("/subscriptions", "/providers", "/k8s/", "/tenants")):
        return low.startswith("/k8s/")
    return True
