"""The OAuth2 error response Entra ID sends (``error``, ``error_description`` with the
AADSTS code, ``error_codes``, trace and correlation ids)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from ..core import Response


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
