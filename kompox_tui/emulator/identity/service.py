"""Principals, token signing and the bearer-token check ARM applies.

Access tokens are RS256 JWTs signed by the emulator's key (see :mod:`.keys`), with
``aud`` = the requested resource (``https://management.azure.com/`` for ARM), ``iss``
``<base>/<tenant>/v2.0``, ``tid``, ``oid``, ``appid``, ``exp``. ARM routes (everything
except the identity routes and ``/k8s/``) require such a token (:meth:`check_arm_token`).
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ..core import ArmError, EmulatorContext, Request
from .keys import b64url, b64url_int, signing_material

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
        self._key, self.identity_header = signing_material(key_dir)
        self._private_pem = self._key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        pub = self._key.public_key().public_numbers()
        self.kid = b64url(hashlib.sha256(b64url_int(pub.n).encode()).digest())[:27]
        self._jwk = {
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": self.kid,
            "n": b64url_int(pub.n),
            "e": b64url_int(pub.e),
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
                        "x5t": b64url(hashlib.sha1(der).digest()),
                        "x5tS256": b64url(hashlib.sha256(der).digest()),
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
            "uti": b64url(secrets.token_bytes(16)),
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
