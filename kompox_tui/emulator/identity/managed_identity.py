"""The App Service style managed identity endpoint ManagedIdentityCredential calls.

``GET /msi/token?resource=...&api-version=2019-08-01[&client_id=...]`` with header
``X-IDENTITY-HEADER`` (``IDENTITY_ENDPOINT`` = ``<base>/msi/token``, ``IDENTITY_HEADER`` =
:attr:`~.service.IdentityService.identity_header`). Without ``client_id`` the token is the
system-assigned identity's; with it, a user-assigned (``managed``) principal's.
"""

from __future__ import annotations

import secrets
import uuid

from ..core import EmulatorContext, Request, Response
from .service import IdentityService
from .token_endpoint import resource_from_scope


def register(ctx: EmulatorContext, svc: IdentityService) -> None:
    """Add the managed identity endpoint."""

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
        token_value, exp = svc.issue_token(rec["clientId"], resource=resource_from_scope(resource))
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

    ctx.router.add("GET", "/msi/token", managed_identity)
