"""OpenID discovery: the metadata MSAL reads before it asks for a token.

- ``GET /{tenant}/v2.0/.well-known/openid-configuration`` — issuer, token_endpoint,
  authorization_endpoint, jwks_uri (absolute URLs on the emulator); ``{tenant}`` must be
  the emulator's tenant id, ``common`` or ``organizations``.
- ``GET /{tenant}/discovery/v2.0/keys`` (and ``/discovery/keys``) — the JWKS of the token
  signing key.
- ``GET /common/discovery/instance`` — MSAL's instance discovery (only called when a
  credential is built without ``disable_instance_discovery=True``).
"""

from __future__ import annotations

from ..core import EmulatorContext, Request, Response
from .errors import AadError
from .service import IdentityService


def register(ctx: EmulatorContext, svc: IdentityService) -> None:
    """Add the discovery routes."""

    def openid_configuration(req: Request, p: dict[str, str]) -> Response:
        tenant = p["tenant"]
        known = {ctx.tenant_id.lower(), "common", "organizations"}
        if tenant.lower() not in known:
            return AadError(
                400, "invalid_tenant", 90002, f"Tenant '{tenant}' not found."
            ).to_response()
        base = f"{ctx.base_url}/{ctx.tenant_id}"
        return Response(
            200,
            {
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "token_endpoint_auth_methods_supported": [
                    "client_secret_post",
                    "private_key_jwt",
                    "client_secret_basic",
                ],
                "jwks_uri": f"{base}/discovery/v2.0/keys",
                "response_modes_supported": ["query", "fragment", "form_post"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
                "scopes_supported": ["openid", "profile", "email", "offline_access"],
                "issuer": svc.issuer,
                "request_uri_parameter_supported": False,
                "userinfo_endpoint": f"{ctx.base_url}/oidc/userinfo",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
                "http_logout_supported": True,
                "frontchannel_logout_supported": True,
                "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
                "claims_supported": ["sub", "iss", "aud", "exp", "iat", "tid", "oid"],
                "tenant_region_scope": "AS",
                "cloud_instance_name": "emulator",
                "cloud_graph_host_name": "graph.windows.net",
                "msgraph_host": "graph.microsoft.com",
            },
        )

    def keys(req: Request, p: dict[str, str]) -> Response:
        return Response(200, svc.jwks())

    def instance_discovery(req: Request, p: dict[str, str]) -> Response:
        host = ctx.base_url.split("://", 1)[-1]
        return Response(
            200,
            {
                "tenant_discovery_endpoint": (
                    f"{ctx.base_url}/{ctx.tenant_id}/v2.0/.well-known/openid-configuration"
                ),
                "api-version": "1.1",
                "metadata": [
                    {"preferred_network": host, "preferred_cache": host, "aliases": [host]}
                ],
            },
        )

    ctx.router.add("GET", "/common/discovery/instance", instance_discovery)
    ctx.router.add("GET", "/{tenant}/discovery/instance", instance_discovery)
    ctx.router.add("GET", "/{tenant}/v2.0/.well-known/openid-configuration", openid_configuration)
    ctx.router.add("GET", "/{tenant}/discovery/v2.0/keys", keys)
    ctx.router.add("GET", "/{tenant}/discovery/keys", keys)
