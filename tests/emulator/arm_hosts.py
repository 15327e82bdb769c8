"""A ResourceHost over a dict, for the ARM engine's pure tests."""

from __future__ import annotations

from typing import Any


class DictHost:
    """Stores what the engine creates; ids compare case-insensitively, as ARM's do."""

    def __init__(self, resources: dict[str, dict[str, Any]] | None = None) -> None:
        self.resources = {k.lower(): v for k, v in (resources or {}).items()}

    def create(
        self, resource_id: str, resource_type: str, api_version: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        self.resources[resource_id.lower()] = body
        return body

    def get(self, resource_id: str) -> dict[str, Any] | None:
        return self.resources.get(resource_id.lower())
