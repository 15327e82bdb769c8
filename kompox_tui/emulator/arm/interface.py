"""What the engine is given and what it hands back: scope, host, events, result.

The engine is pure: the caller's :class:`ResourceHost` stores resources, and its
``create(resource_id, resource_type, api_version, body)`` signature is relied on by
the emulator's API-version checks (stacks.py, deployments.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from .errors import TemplateError

SUBSCRIPTION_SCHEMAS = (
    "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#",
)
RESOURCE_GROUP_SCHEMAS = (
    "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
    "https://schema.management.azure.com/schemas/2015-01-01/deploymentTemplate.json#",
)
DEPLOYMENTS_TYPE = "Microsoft.Resources/deployments"
RESOURCE_GROUPS_TYPE = "Microsoft.Resources/resourceGroups"


@dataclass(frozen=True)
class DeploymentScope:
    """Where a template is deployed and who deploys it."""

    subscription_id: str
    tenant_id: str
    location: str
    deployer_object_id: str
    deployment_name: str
    resource_group: str | None = None
    """Set for a resource-group-scope deployment (nested deployments set it themselves)."""
    subscription_display_name: str = "Emulated subscription"

    @property
    def subscription_resource_id(self) -> str:
        return f"/subscriptions/{self.subscription_id}"

    @property
    def resource_group_id(self) -> str | None:
        if self.resource_group is None:
            return None
        return f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"

    @property
    def deployment_id(self) -> str:
        base = self.resource_group_id or self.subscription_resource_id
        return f"{base}/providers/{DEPLOYMENTS_TYPE}/{self.deployment_name}"


class ResourceHost(Protocol):
    """Stores the resources a deployment creates."""

    def create(
        self, resource_id: str, resource_type: str, api_version: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        """Create or update; returns the full stored resource JSON (read by ``reference``).

        Raise any exception with ``code`` and ``message`` attributes (e.g. an ``ArmError``)
        to fail the resource with that error.
        """
        ...

    def get(self, resource_id: str) -> dict[str, Any] | None:
        """The stored resource JSON, or None."""
        ...


@dataclass(frozen=True)
class ResourceEvent:
    """Progress of one resource: ``phase`` is ``creating``, ``created`` or ``failed``."""

    phase: str
    resource_id: str
    resource_type: str
    deployment_name: str
    error: TemplateError | None = None


@dataclass
class DeploymentResult:
    outputs: dict[str, dict[str, Any]]
    """``{name: {"type": "String", "value": ...}}``."""
    resource_ids: list[str] = field(default_factory=list)
    """Every resource created (nested deployments flattened), in creation order;
    deployment resources themselves are not included."""
    deployment_ids: list[str] = field(default_factory=list)
    """The nested deployment resources created, in completion order."""
