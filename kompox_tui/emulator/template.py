"""Compatibility name for the ARM template engine, which lives in ``emulator/arm/``.

stacks.py, deployments.py, stack_validate.py and several tests import from here;
new code imports ``kompox_tui.emulator.arm``.
"""

from __future__ import annotations

from .arm import (
    DEPLOYMENTS_TYPE,
    GUID_NAMESPACE,
    KNOWN_FUNCTIONS,
    RESOURCE_GROUP_SCHEMAS,
    RESOURCE_GROUPS_TYPE,
    SUBSCRIPTION_SCHEMAS,
    Call,
    DeploymentResult,
    DeploymentScope,
    ExpressionError,
    Index,
    Literal,
    Node,
    Property,
    ResourceEvent,
    ResourceHost,
    TemplateError,
    deploy,
    deterministic_guid,
    evaluate,
    invalid_template,
    is_expression,
    normalize_id,
    parse_expression,
    parse_resource_id,
    unique_string,
    validate,
)

__all__ = [
    "DEPLOYMENTS_TYPE",
    "GUID_NAMESPACE",
    "KNOWN_FUNCTIONS",
    "RESOURCE_GROUPS_TYPE",
    "RESOURCE_GROUP_SCHEMAS",
    "SUBSCRIPTION_SCHEMAS",
    "Call",
    "DeploymentResult",
    "DeploymentScope",
    "ExpressionError",
    "Index",
    "Literal",
    "Node",
    "Property",
    "ResourceEvent",
    "ResourceHost",
    "TemplateError",
    "deploy",
    "deterministic_guid",
    "evaluate",
    "invalid_template",
    "is_expression",
    "normalize_id",
    "parse_expression",
    "parse_resource_id",
    "unique_string",
    "validate",
]
