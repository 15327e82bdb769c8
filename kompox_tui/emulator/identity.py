"""Entra ID (Azure AD) emulation: OpenID discovery, the v2.0 token endpoint, an App
Service style managed identity endpoint, and the bearer-token check ARM applies.

Routes (``{tenant}`` must be the emulator's tenant id, or ``common``/``organizations``
for discovery):

- ``GET /{tenant}/v2.0/.well-known/openid-configuration`` — issuer, token_endpoint,
  authorization_endpoint, jwks_uri (absolute URLs on the emulator).
- ``GET /{tenant}/discovery/v2.0/keys`` — the JWKS of the token signing key.
- ``GET /common/discovery/instance`` — MSAL's instance discovery (only called when a
  credential is built without ``disable_instance_discovery=True``).
- ``POST /{tenant}/oauth2/v2.0/token`` — ``grant_type=client_credentials`` with

  * ``client_secret`` (ClientSecretCredential);
  * ``client_assertion`` signed by a registered certificate's key (CertificateCredential;
    the JWT signature is verified with the certificate's public key, the ``x5t`` /
    ``x5t#S256`` header, when sent, must match the certificate);
  * ``client_assertion`` that is a *federated* token (WorkloadIdentityCredential): a JWT
    **signed by the emulator's signing key** (see :meth:`IdentityService.issue_federated_token`,
    or :meth:`IdentityService.sign` for other issuers inside the emulator such as the
    Kubernetes service-account token issuer), audience ``api://AzureADTokenExchange``,
    whose ``sub`` (and ``iss`` when the registration names one) matches a federated
    credential registered for the client.

- ``GET /msi/token?resource=...&api-version=2019-08-01[&client_id=...]`` with header
  ``X-IDENTITY-HEADER`` — the App Service managed identity protocol
  (``IDENTITY_ENDPOINT`` = ``<base>/msi/token``, ``IDENTITY_HEADER`` =
  :attr:`IdentityService.identity_header`).

Access tokens are RS256 JWTs signed by a key generated at start, with ``aud`` = the
requested resource (``https://management.azure.com/`` for ARM), ``iss``
``<base>/<tenant>/v2.0``, ``tid``, ``oid``, ``appid``, ``exp``.
ARM routes (everything except the identity routes and ``/k8s/``) require such a token;
see :func:`check_arm_token`.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .core import ArmError, EmulatorContext, Request, Response

ARM_AUDIENCES = (
    "https://management.azure.com/",
    "https://management.azure.com",
    # the audience az and older SDKs ask for (``https://management.core.windows.net//.default``);
    # ARM accepts both, as its 401 InvalidAuthenticationTokenAudience message lists
    "https://management.core.windows.net/",
    "https://management.core.windows.net",
)
FEDERATED_AUDIENCE = "api://AzureADTokenExchange"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
TOKEN_LIFETIME = 3600


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_int(value: int) -> str:
    return _b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def _resource_from_scope(scope: str) -> str:
    """``https://management.azure.com//.default`` -> ``https://management.azure.com/``."""
    first = scope.split()[0] if scope.split() else ""
    resource = first[: -len(".default")] if first.endswith(".default") else first
    if resource.rstrip("/") == "https://management.azure.com":
        return "https://management.azure.com/"
    # "https://management.core.windows.net//.default" names the resource
    # "https://management.core.windows.net/" (the v1 resource, trailing slash included)
    return resource[:-1] if resource.endswith("//") else resource


class AadError(Exception):
    """An OAuth2 error response as Entra ID sends it."""

    def __init__(self, status: int, error: str, aadsts: int, description: str) -> None:
        super().__init__(f"{error}: AADSTS{aadsts}: {description}")
        self.status = status
        self.error = error
        self.aadsts = aadsts
        self.description = description

    def to_response(self) -> Response:
        now = datetime.now(UTC)
        trace = str(uuid.uuid4())
        correlation = str(uuid.uuid4())
        stamp = now.strftime("%Y-%m-%d %H:%M:%SZ")
        return Response(
            self.status,
            {
                "error": self.error,
                "error_description": (
                    f"AADSTS{self.aadsts}: {self.description}\r\nTrace ID: {trace}\r\n"
                    f"Correlation ID: {correlation}\r\nTimestamp: {stamp}"
                ),
                "error_codes": [self.aadsts],
                "timestamp": stamp,
                "trace_id": trace,
                "correlation_id": correlation,
                "error_uri": "https://login.microsoftonline.com/error?code=" + str(self.aadsts),
            },
        )


class IdentityService:
    """Principals, token issuing and validation. Registered as ``ctx.services["identity"]``.

    Principals live in the store namespace ``identity`` (so a ``state_file`` keeps them):
    ``{"clientId", "objectId", "displayName", "secret", "certificates": [{"pem",
    "x5t", "x5tS256"}], "federated": [{"subject", "issuer"}], "managed": bool}``.
    """

    def __init__(self, ctx: EmulatorContext, key_dir: Path | None = None) -> None:
        self.ctx = ctx
        # The store's lock, not a private one: managed-cluster creation registers
        # principals while holding it, so a second lock could deadlock.
        self._lock = ctx.store.lock
        self._key, self.identity_header = _signing_material(key_dir)
        self._private_pem = self._key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        pub = self._key.public_key().public_numbers()
        self.kid = _b64url(hashlib.sha256(_b64url_int(pub.n).encode()).digest())[:27]
        self._jwk = {
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": self.kid,
            "n": _b64url_int(pub.n),
            "e": _b64url_int(pub.e),
        }

    # --- URLs -------------------------------------------------------------------

    @property
    def issuer(self) -> str:
        return f"{self.ctx.base_url}/{self.ctx.tenant_id}/v2.0"

    @property
    def token_endpoint(self) -> str:
        return f"{self.ctx.base_url}/{self.ctx.tenant_id}/oauth2/v2.0/token"

    @property
    def managed_identity_endpoint(self) -> str:
        return f"{self.ctx.base_url}/msi/token"

    # --- principals -------------------------------------------------------------

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
        object_id: str | None = None,
    ) -> dict[str, Any]:
        """Register (or extend) a principal; returns its record (with the secret, if any)."""
        client_id = client_id or str(uuid.uuid4())
        with self._lock:
            rec = self.ctx.store.get("identity", client_id) or {
                "clientId": client_id,
                "objectId": object_id or str(uuid.uuid4()),
                "displayName": display_name or f"emulator-principal-{client_id[:8]}",
                "secret": None,
                "certificates": [],
                "federated": [],
                "managed": False,
            }
            if secret is not None:
                rec["secret"] = secret
            if certificate_pem is not None:
                pem = (
                    certificate_pem.encode()
                    if isinstance(certificate_pem, str)
                    else bytes(certificate_pem)
                )
                cert = x509.load_pem_x509_certificate(pem)
                der = cert.public_bytes(serialization.Encoding.DER)
                rec["certificates"].append(
                    {
                        "pem": cert.public_bytes(serialization.Encoding.PEM).decode(),
                        "x5t": _b64url(hashlib.sha1(der).digest()),
                        "x5tS256": _b64url(hashlib.sha256(der).digest()),
                    }
                )
            fc = {"subject": federated_subject, "issuer": federated_issuer}
            if federated_subject is not None and fc not in rec["federated"]:
                rec["federated"].append(fc)
            if managed:
                rec["managed"] = True
            self.ctx.store.put("identity", client_id, rec)
            return rec

    def principal(self, client_id: str) -> dict[str, Any] | None:
        rec = self.ctx.store.get("identity", client_id)
        return rec if isinstance(rec, dict) else None

    def default_managed_identity(self) -> dict[str, Any] | None:
        for _, rec in self.ctx.store.items("identity"):
            if rec.get("managed") and rec.get("systemAssigned"):
                return dict(rec)
        return None

    def ensure_system_assigned_identity(self) -> dict[str, Any]:
        rec = self.default_managed_identity()
        if rec is not None:
            return rec
        rec = self.add_principal(managed=True, display_name="emulator-system-assigned-identity")
        rec["systemAssigned"] = True
        self.ctx.store.put("identity", rec["clientId"], rec)
        return rec

    # --- tokens -----------------------------------------------------------------

    def sign(self, claims: dict[str, Any], *, headers: dict[str, Any] | None = None) -> str:
        """Sign ``claims`` as an RS256 JWT with the emulator key (``kid`` header set)."""
        hdr = {"kid": self.kid, "typ": "JWT"}
        if headers:
            hdr.update(headers)
        return jwt.encode(claims, self._private_pem, algorithm="RS256", headers=hdr)

    def issue_token(
        self,
        client_id: str | None = None,
        *,
        resource: str = "https://management.azure.com/",
        lifetime: int = TOKEN_LIFETIME,
        issued_at: int | None = None,
        object_id: str | None = None,
    ) -> tuple[str, int]:
        """An access token for ``client_id`` (default: any registered principal)."""
        now = int(time.time()) if issued_at is None else issued_at
        rec = self.principal(client_id) if client_id else None
        oid = object_id or (rec["objectId"] if rec else str(uuid.uuid4()))
        exp = now + lifetime
        claims = {
            "aud": resource,
            "iss": self.issuer,
            "iat": now,
            "nbf": now,
            "exp": exp,
            "tid": self.ctx.tenant_id,
            "oid": oid,
            "sub": oid,
            "appid": client_id or "",
            "azp": client_id or "",
            "idtyp": "app",
            "ver": "2.0",
            "uti": _b64url(secrets.token_bytes(16)),
        }
        return self.sign(claims), exp

    def issue_federated_token(
        self,
        subject: str,
        *,
        issuer: str | None = None,
        audience: str = FEDERATED_AUDIENCE,
        lifetime: int = TOKEN_LIFETIME,
    ) -> str:
        """A service-account style token usable as a workload identity assertion."""
        now = int(time.time())
        return self.sign(
            {
                "aud": [audience],
                "iss": issuer or f"{self.ctx.base_url}/oidc/{self.ctx.tenant_id}/",
                "sub": subject,
                "iat": now,
                "nbf": now,
                "exp": now + lifetime,
            }
        )

    def decode(self, token: str, *, audience: str | list[str] | None = None) -> dict[str, Any]:
        """Verify the signature (and expiry, and audience when given). Raises jwt errors."""
        options = {"verify_aud": audience is not None, "require": ["exp"]}
        return jwt.decode(
            token,
            self._key.public_key(),
            algorithms=["RS256"],
            audience=audience,
            options=options,  # type: ignore[arg-type]
        )

    def jwks(self) -> dict[str, Any]:
        return {"keys": [dict(self._jwk)]}

    # --- the token endpoint -----------------------------------------------------

    def token_endpoint_grant(self, form: dict[str, str], tenant: str) -> dict[str, Any]:
        if tenant.lower() != self.ctx.tenant_id.lower():
            raise AadError(
                400,
                "invalid_request",
                90002,
                f"Tenant '{tenant}' not found. Check to make sure you have the correct "
                "tenant ID and are signing into the correct cloud.",
            )
        grant = form.get("grant_type", "")
        if grant != "client_credentials":
            raise AadError(
                400,
                "unsupported_grant_type",
                70003,
                f"The app requested an unsupported grant type '{grant}'.",
            )
        client_id = form.get("client_id", "")
        rec = self.principal(client_id) if client_id else None
        if rec is None or rec.get("managed"):
            raise AadError(
                400,
                "unauthorized_client",
                700016,
                f"Application with identifier '{client_id}' was not found in the directory "
                f"'{self.ctx.tenant_id}'. This can happen if the application has not been "
                "installed by the administrator of the tenant or consented to by any user in "
                "the tenant. You may have sent your authentication request to the wrong tenant.",
            )
        if "client_secret" in form:
            if not rec.get("secret") or not secrets.compare_digest(
                str(rec["secret"]), form["client_secret"]
            ):
                raise AadError(
                    401,
                    "invalid_client",
                    7000215,
                    "Invalid client secret provided. Ensure the secret being sent in the "
                    "request is the client secret value, not the client secret ID, for a "
                    f"secret added to app '{client_id}'.",
                )
        elif "client_assertion" in form:
            if form.get("client_assertion_type") != ASSERTION_TYPE:
                raise AadError(
                    400,
                    "invalid_request",
                    50027,
                    "Invalid client_assertion_type; expected " + ASSERTION_TYPE + ".",
                )
            self._check_assertion(rec, form["client_assertion"])
        else:
            raise AadError(
                401,
                "invalid_client",
                7000218,
                "The request body must contain the following parameter: 'client_assertion' "
                "or 'client_secret'.",
            )
        resource = _resource_from_scope(form.get("scope", ""))
        if not resource:
            raise AadError(
                400,
                "invalid_scope",
                1002012,
                "The provided value for scope is not valid. Client credential flows must "
                "have a scope value with /.default suffixed to the resource identifier.",
            )
        token, exp = self.issue_token(client_id, resource=resource)
        lifetime = exp - int(time.time())
        return {
            "token_type": "Bearer",
            "expires_in": lifetime,
            "ext_expires_in": lifetime,
            "access_token": token,
        }

    def _check_assertion(self, rec: dict[str, Any], assertion: str) -> None:
        client_id = rec["clientId"]
        try:
            header = jwt.get_unverified_header(assertion)
        except jwt.PyJWTError:
            raise AadError(
                401, "invalid_client", 50027, "JWT token is invalid or malformed."
            ) from None
        # Federated token signed by the emulator (workload identity).
        if header.get("kid") == self.kid and rec.get("federated"):
            try:
                claims = self.decode(assertion, audience=FEDERATED_AUDIENCE)
            except jwt.ExpiredSignatureError:
                raise AadError(
                    400,
                    "invalid_client",
                    700024,
                    "Client assertion is not within its valid time range.",
                ) from None
            except jwt.PyJWTError as exc:
                raise AadError(
                    401,
                    "invalid_client",
                    700211,
                    f"The federated token could not be validated: {exc}.",
                ) from None
            for fc in rec["federated"]:
                if fc["subject"] == claims.get("sub") and (
                    not fc.get("issuer") or fc["issuer"] == claims.get("iss")
                ):
                    return
            raise AadError(
                400,
                "invalid_request",
                70021,
                "No matching federated identity record found for presented assertion. "
                f"Assertion Issuer: '{claims.get('iss')}'. Assertion Subject: "
                f"'{claims.get('sub')}'. Assertion Audience: '{FEDERATED_AUDIENCE}'.",
            )
        # Certificate-signed client assertion.
        certs = rec.get("certificates") or []
        # MSAL sends the thumbprints base64url-encoded *with* padding; compare without.
        x5t = str(header.get("x5t") or "").rstrip("=") or None
        x5t256 = str(header.get("x5t#S256") or "").rstrip("=") or None
        for entry in certs:
            if x5t and x5t != entry["x5t"]:
                continue
            if x5t256 and x5t256 != entry["x5tS256"]:
                continue
            cert = x509.load_pem_x509_certificate(entry["pem"].encode())
            try:
                claims = jwt.decode(
                    assertion,
                    cert.public_key(),  # type: ignore[arg-type]
                    algorithms=["RS256", "PS256", "ES256"],
                    audience=[self.token_endpoint, self.issuer],
                    options={"require": ["exp", "aud", "iss", "sub"]},
                )
            except jwt.ExpiredSignatureError:
                raise AadError(
                    401,
                    "invalid_client",
                    700024,
                    "Client assertion is not within its valid time range.",
                ) from None
            except jwt.InvalidAudienceError:
                raise AadError(
                    401,
                    "invalid_client",
                    700212,
                    "No matching federated identity record found for presented assertion audience.",
                ) from None
            except jwt.PyJWTError:
                continue
            if claims.get("iss") != client_id or claims.get("sub") != client_id:
                raise AadError(
                    401,
                    "invalid_client",
                    700021,
                    "Client assertion application identifier doesn't match 'client_id' parameter.",
                )
            return
        if x5t and not any(c["x5t"] == x5t for c in certs):
            raise AadError(
                401,
                "invalid_client",
                700027,
                f"The certificate with identifier used to sign the client assertion is not "
                f"registered on application. [Reason - The key was not found., Thumbprint of "
                f"key used by client: '{x5t}'].",
            )
        raise AadError(
            401, "invalid_client", 700027, "Client assertion contains an invalid signature."
        )

    # --- ARM token check ----------------------------------------------------------

    def check_arm_token(self, req: Request) -> dict[str, Any]:
        """Validate the ARM bearer token; raises the ARM 401 error."""
        auth = req.header("authorization")
        if not auth:
            raise ArmError(
                401,
                "AuthenticationFailed",
                "Authentication failed. The 'Authorization' header is missing.",
            )
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ArmError(
                401,
                "AuthenticationFailed",
                "Authentication failed. The 'Authorization' header is provided in an invalid "
                "format.",
            )
        try:
            claims = jwt.decode(
                token.strip(),
                self._key.public_key(),
                algorithms=["RS256"],
                options={"verify_aud": False, "verify_exp": False, "require": ["exp", "aud"]},
                issuer=self.issuer,
            )
        except jwt.PyJWTError:
            raise ArmError(
                401, "InvalidAuthenticationToken", "The access token is invalid."
            ) from None
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        allowed = {*ARM_AUDIENCES, self.ctx.base_url, self.ctx.base_url + "/"}
        if not any(a in allowed for a in audiences):
            raise ArmError(
                401,
                "InvalidAuthenticationTokenAudience",
                f"The access token has been obtained for wrong audience or resource "
                f"'{audiences[0]}'. It should exactly match with one of the allowed audiences "
                f"'https://management.core.windows.net/','https://management.core.windows.net',"
                f"'https://management.azure.com/','https://management.azure.com'.",
            )
        now = time.time()
        if float(claims["exp"]) <= now:
            fmt = "%m/%d/%Y %H:%M:%S"
            expired = datetime.fromtimestamp(float(claims["exp"]), UTC).strftime(fmt)
            current = datetime.fromtimestamp(now, UTC).strftime(fmt)
            raise ArmError(
                401,
                "ExpiredAuthenticationToken",
                f"The access token expiry UTC time '{expired}' is earlier than current UTC "
                f"time '{current}'.",
            )
        return claims


# --- routes -------------------------------------------------------------------------


def _form(req: Request) -> dict[str, str]:
    parsed = parse_qs(req.body.decode("utf-8", "replace"), keep_blank_values=True)
    return {k: v[0] for k, v in parsed.items()}


def _signing_material(key_dir: Path | None) -> tuple[rsa.RSAPrivateKey, str]:
    """The token-signing key and the managed-identity header: new ones for a throw-away
    emulator; kept in ``key_dir`` (0600 files, created on first use) otherwise, so tokens a
    client holds and its ``IDENTITY_HEADER`` stay valid across emulator restarts."""
    if key_dir is None:
        return rsa.generate_private_key(public_exponent=65537, key_size=2048), (
            secrets.token_urlsafe(24)
        )
    from .certs import locked

    key_file = key_dir / "token-signing-key.pem"
    header_file = key_dir / "identity-header"
    with locked(key_dir):
        try:
            loaded = serialization.load_pem_private_key(key_file.read_bytes(), None)
            header = header_file.read_text("utf-8").strip()
            if isinstance(loaded, rsa.RSAPrivateKey) and header:
                return loaded, header
        except (OSError, ValueError):
            pass
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        header = secrets.token_urlsafe(24)
        for path, data in (
            (
                key_file,
                key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                ),
            ),
            (header_file, header.encode("utf-8")),
        ):
            tmp = path.with_name(path.name + ".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        return key, header


def register(ctx: EmulatorContext, key_dir: Path | None = None) -> IdentityService:
    svc = IdentityService(ctx, key_dir)
    ctx.services["identity"] = svc

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

    def token(req: Request, p: dict[str, str]) -> Response:
        try:
            return Response(200, svc.token_endpoint_grant(_form(req), p["tenant"]))
        except AadError as exc:
            return exc.to_response()

    def managed_identity(req: Request, p: dict[str, str]) -> Response:
        header = req.header("x-identity-header")
        if not header or not secrets.compare_digest(header, svc.identity_header):
            return Response(
                401,
                {"statusCode": 401, "message": "Unauthorized: invalid X-IDENTITY-HEADER."},
            )
        resource = req.q("resource")
        if not resource:
            return Response(
                400,
                {"statusCode": 400, "message": "Required query variable 'resource' is missing"},
            )
        client_id = req.q("client_id")
        if client_id:
            rec = svc.principal(client_id)
            if rec is None or not rec.get("managed"):
                return Response(
                    400,
                    {
                        "statusCode": 400,
                        "message": f"No managed identity found for client_id '{client_id}'.",
                        "correlationId": str(uuid.uuid4()),
                    },
                )
        else:
            rec = svc.ensure_system_assigned_identity()
        token_value, exp = svc.issue_token(rec["clientId"], resource=_resource_from_scope(resource))
        return Response(
            200,
            {
                "access_token": token_value,
                "expires_on": str(exp),
                "resource": resource,
                "token_type": "Bearer",
                "client_id": rec["clientId"],
            },
        )

    ctx.router.add("GET", "/common/discovery/instance", instance_discovery)
    ctx.router.add("GET", "/{tenant}/discovery/instance", instance_discovery)
    ctx.router.add("GET", "/{tenant}/v2.0/.well-known/openid-configuration", openid_configuration)
    ctx.router.add("GET", "/{tenant}/discovery/v2.0/keys", keys)
    ctx.router.add("GET", "/{tenant}/discovery/keys", keys)
    ctx.router.add("POST", "/{tenant}/oauth2/v2.0/token", token)
    ctx.router.add("GET", "/msi/token", managed_identity)
    return svc


def is_identity_path(path: str, tenant_id: str) -> bool:
    """True for the paths that must not require an ARM bearer token."""
    low = path.lower()
    if low.startswith(("/subscriptions", "/providers", "/k8s/", "/tenants")):
        return low.startswith("/k8s/")
    return True
