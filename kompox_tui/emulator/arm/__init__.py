"""An ARM template engine: expression language, validation and deployment walk.

Pure: no HTTP, no emulator state. The caller hands in a :class:`ResourceHost` that
stores resources; the engine decides *what* to create, in which order and with
which evaluated body. The phases, one module each, are described in README.md.

Interface
---------
``deploy(template, parameters, *, scope, host, on_resource=None) -> DeploymentResult``
    Validates ``template`` (a subscription-scope template unless
    ``scope.resource_group`` is set), binds ``parameters`` (``{name: {"value": v}}``),
    creates the declared resources in ``dependsOn`` order through ``host.create`` and
    evaluates the outputs. Nested ``Microsoft.Resources/deployments`` are walked
    recursively (``inner`` or ``outer`` expression scope) and stored through the host
    as deployment resources carrying ``properties.outputs``.
``validate(template, parameters, *, scope) -> None``
    The validation phase only (schema, parameters, expression syntax, known
    functions); raises :class:`TemplateError` with code ``InvalidTemplate``.
``evaluate(value, *, parameters=None, variables=None, scope=None, host=None)``
    Evaluates one JSON value (strings in ``[...]`` are expressions) - for tests and tools.
``parse_expression(text) -> Node``
    Parses the inside of a ``[...]`` expression.

Errors are :class:`TemplateError` (``code``, ``message``, ``target``, ``details``):
``InvalidTemplate`` for validation/expression problems, ``DeploymentFailed`` (with
the failing resource's error nested in ``details``) when a resource could not be
created. ``TemplateError.to_dict()`` gives the ARM error body.
"""

from __future__ import annotations

from .engine import deploy
from .errors import ExpressionError, TemplateError, invalid_template
from .evaluate import evaluate
from .functions import KNOWN_FUNCTIONS
from .ids import (
    GUID_NAMESPACE,
    deterministic_guid,
    normalize_id,
    parse_resource_id,
    unique_string,
)
from .interface import (
    DEPLOYMENTS_TYPE,
    RESOURCE_GROUP_SCHEMAS,
    RESOURCE_GROUPS_TYPE,
    SUBSCRIPTION_SCHEMAS,
    DeploymentResult,
    DeploymentScope,
    ResourceEvent,
    ResourceHost,
)
from .nodes import Call, Index, Literal, Node, Property
from .parser import is_expression, parse_expression
from .validation import validate

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
