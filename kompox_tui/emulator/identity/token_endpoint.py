"""The v2.0 token endpoint: ``POST /{tenant}/oauth2/v2.0/token``.

``grant_type=client_credentials`` with

* ``client_secret`` (ClientSecretCredential);
* ``client_assertion`` signed by a registered certificate's key (CertificateCredential;
  the JWT signature is verified with the certificate's public key, the ``x5t`` /
  ``x5t#S256`` header, when sent, must match the certificate);
* ``client_assertion`` that is a *federated* token (WorkloadIdentityCredential): a JWT
  **signed by the emulator's signing key** (see
  :meth:`~.service.IdentityService.issue_federated_token`, or
  :meth:`~.service.IdentityService.sign` for other issuers inside the emulator such as the
  Kubernetes service-account token issuer), audience ``api://AzureADTokenExchange``,
  whose ``sub`` (and ``iss`` when the registration names one) matches a federated
  credential registered for the client.

Every refusal is the :class:`~.errors.AadError` Entra ID sends (its AADSTS code).
"""

from __future__ import annotations

import secrets
import time
from typing import Any
from urllib.parse import parse_qs

import jwt
from cryptography import x509

from ..core import EmulatorContext, Request, Response
from .errors import AadError
from .service import ASSERTION_TYPE, FEDERATED_AUDIENCE, IdentityService


def resource_from_scope(scope: str) -> str:
    """``https://management.azure.com//.default`` -> ``https://management.azure.com/``."""
    first = scope.split()[0] if scope.split() else ""
    resource = first[: -len(".default")] if first.endswith(".default") else first
    if resource.rstrip("/") == "https://management.azure.com":
        return "https://management.azure.com/"
    # "https://management.core.windows.net//.default" names the resource
    # "https://management.core.windows.net/" (the v1 resource, trailing slash included)
    return resource[:-1] if resource.endswith("//") else resource


def _form(req: Request) -> dict[str, str]:
    parsed = parse_qs(req.body.decode("utf-8", "replace"), keep_blank_values=True)
    return {k: v[0] for k, v in parsed.items()}


def client_credentials_grant(
    svc: IdentityService, form: dict[str, str], tenant: str
) -> dict[str, Any]:
    """The token endpoint's answer to ``form``; raises :class:`AadError` as Entra ID does."""
    if tenant.lower() != svc.ctx.tenant_id.lower():
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
    rec = svc.principal(client_id) if client_id else None
    if rec is None or rec.get("managed"):
        raise AadError(
            400,
            "unauthorized_client",
            700016,
            f"Application with identifier '{client_id}' was not found in the directory "
            f"'{svc.ctx.tenant_id}'. This can happen if the application has not been "
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
        _check_assertion(svc, rec, form["client_assertion"])
    else:
        raise AadError(
            401,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' "
            "or 'client_secret'.",
        )
    resource = resource_from_scope(form.get("scope", ""))
    if not resource:
        raise AadError(
            400,
            "invalid_scope",
            1002012,
            "The provided value for scope is not valid. Client credential flows must "
            "have a scope value with /.default suffixed to the resource identifier.",
        )
    token, exp = svc.issue_token(client_id, resource=resource)
    lifetime = exp - int(time.time())
    return {
        "token_type": "Bearer",
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        "access_token": token,
    }


def _check_assertion(svc: IdentityService, rec: dict[str, Any], assertion: str) -> None:
    try:
        header = jwt.get_unverified_header(assertion)
    except jwt.PyJWTError:
        raise AadError(401, "invalid_client", 50027, "JWT token is invalid or malformed.") from None
    # Federated token signed by the emulator (workload identity).
    if header.get("kid") == svc.kid and rec.get("federated"):
        _federated_assertion(svc, rec, assertion)
        return
    _certificate_assertion(svc, rec, assertion, header)


def _federated_assertion(svc: IdentityService, rec: dict[str, Any], assertion: str) -> None:
    """A workload identity's assertion: a token the emulator signed (audience
    ``api://AzureADTokenExchange``) whose subject (and issuer, when registered) matches a
    federated credential of the client."""
    try:
        claims = svc.decode(assertion, audience=FEDERATED_AUDIENCE)
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


def _certificate_assertion(
    svc: IdentityService, rec: dict[str, Any], assertion: str, header: dict[str, Any]
) -> None:
    """A client assertion signed by the key of a certificate registered on the client
    (the ``x5t`` / ``x5t#S256`` header, when sent, must name that certificate)."""
    client_id = rec["clientId"]
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
                audience=[svc.token_endpoint, svc.issuer],
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
    raise AadError(401, "invalid_client", 700027, "Client assertion contains an invalid signature.")


def register(ctx: EmulatorContext, svc: IdentityService) -> None:
    """Add the token endpoint."""

    def token(req: Request, p: dict[str, str]) -> Response:
        try:
            return Response(200, client_credentials_grant(svc, _form(req), p["tenant"]))
        except AadError as exc:
            return exc.to_response()

    ctx.router.add("POST", "/{tenant}/oauth2/v2.0/token", token)
