"""Phase 4: evaluating JSON values whose strings are expressions.

A :class:`Frame` is one template's scope (its parameters, variables and planned
resources); a :class:`Ctx` is where in that template an expression sits (for error
messages), the current copy-loop indexes and what is allowed there (``reference``
is not allowed while planning, ``variables`` not in parameter defaults).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from .errors import FUNCTIONS_HELP, ExpressionError, TemplateError
from .interface import DeploymentScope, ResourceHost
from .nodes import Index, Literal, Node, Property
from .parser import parse_expression
from .registry import FUNCTIONS, LAZY_FUNCTIONS, unsupported_note
from .values import to_string, type_name

if TYPE_CHECKING:
    from .plan import Instance


COPY_COUNT_LIMIT = 800
"""ARM's limit on a resource or property copy loop ("The count can't exceed 800")."""


class Frame:
    """One template's evaluation scope: its parameters, variables and resources."""

    def __init__(
        self, template: dict[str, Any], scope: DeploymentScope, host: ResourceHost | None
    ) -> None:
        self.template = template
        self.scope = scope
        self.host = host
        self.params: dict[str, Any] = {}
        self.variable_decls: dict[str, Any] = {
            k.lower(): v for k, v in (template.get("variables") or {}).items()
        }
        self.variable_values: dict[str, Any] = {}
        self.evaluating: set[str] = set()
        """Variables being evaluated (a variable that reaches itself is a cycle)."""
        self.instances: list[Instance] = []
        """The planned resources (``reference('name')`` resolves names through them)."""


@dataclass
class Ctx:
    frame: Frame
    where: str
    """The template path of the value (``resources[0].properties.x``), for errors."""
    copy: dict[str, int] = field(default_factory=dict)
    """Copy-loop name -> current index; ``""`` is the resource's own loop."""
    in_parameter_default: bool = False
    allow_reference: bool = True


class Evaluator:
    """Walks JSON values and expression trees; stateless (all state is in the Ctx)."""

    def value(self, ctx: Ctx, value: Any) -> Any:
        """Evaluate a JSON value: expressions in strings, recursively, property copy loops."""
        if isinstance(value, str):
            if value.startswith("[[") and value.endswith("]"):
                return value[1:]
            if value.startswith("[") and value.endswith("]"):
                try:
                    return self.node(ctx, parse_expression(value[1:-1]))
                except ExpressionError as exc:
                    raise expr_error(ctx, str(exc)) from None
            return value
        if isinstance(value, list):
            return [self.value(ctx, v) for v in value]
        if isinstance(value, dict):
            out: dict[str, Any] = {}
            for key, item in value.items():
                if key == "copy" and isinstance(item, list):
                    for loop in item:
                        items = self._property_copy(ctx, loop)
                        out[loop["name"]] = items
                    continue
                out[key] = self.value(replace(ctx, where=f"{ctx.where}.{key}"), item)
            return out
        return value

    def _property_copy(self, ctx: Ctx, loop: Any) -> list[Any]:
        if not isinstance(loop, dict):
            raise expr_error(ctx, "A property copy loop needs a 'name' and an integer 'count'.")
        name = loop.get("name")
        count = self.value(ctx, loop.get("count", 0))
        if not isinstance(name, str) or not isinstance(count, int) or isinstance(count, bool):
            raise expr_error(ctx, "A property copy loop needs a 'name' and an integer 'count'.")
        if not 0 <= count <= COPY_COUNT_LIMIT:
            raise expr_error(
                ctx,
                f"The copy loop '{name}' has count {count}; the count can't be negative or "
                f"exceed {COPY_COUNT_LIMIT}.",
            )
        items = []
        for i in range(count):
            inner = replace(ctx, copy={**ctx.copy, name: i})
            items.append(self.value(inner, loop.get("input")))
        return items

    def node(self, ctx: Ctx, node: Node) -> Any:
        """Evaluate one expression tree; raises ExpressionError."""
        if isinstance(node, Literal):
            return node.value
        if isinstance(node, Property):
            return get_property(self.node(ctx, node.target), node.name)
        if isinstance(node, Index):
            return _index(self.node(ctx, node.target), self.node(ctx, node.index))
        name = node.name.lower()
        lazy = LAZY_FUNCTIONS.get(name)
        if lazy is not None:
            return lazy(self, ctx, node.args)
        fn = FUNCTIONS.get(name)
        if fn is None:
            raise ExpressionError(
                f"The template function '{node.name}' is not valid. {FUNCTIONS_HELP}"
                f"{unsupported_note(node.name)}"
            )
        args = [self.node(ctx, a) for a in node.args]
        return fn(ctx, args)


EVALUATOR = Evaluator()


def expr_error(ctx: Ctx, message: str) -> TemplateError:
    """An expression problem as ARM reports it: InvalidTemplate at the value's location."""
    return TemplateError(
        "InvalidTemplate",
        f"Unable to process template language expressions at '{ctx.where}'. '{message}'",
        ctx.where,
        reason=message,
    )


def get_property(target: Any, name: str) -> Any:
    """``target.name`` (case-insensitive, as ARM reads JSON properties)."""
    if isinstance(target, dict):
        for key, value in target.items():
            if key.lower() == name.lower():
                return value
        available = ", ".join(target.keys())
        raise ExpressionError(
            f"The language expression property '{name}' doesn't exist, available properties "
            f"are '{available}'."
        )
    raise ExpressionError(
        f"The language expression property '{name}' can't be evaluated, property name must "
        f"be a string and the value an object (got '{type_name(target)}')."
    )


def _index(target: Any, index: Any) -> Any:
    if isinstance(target, list):
        if not isinstance(index, int) or isinstance(index, bool):
            raise ExpressionError(
                f"The language expression array index '{index}' is not an integer."
            )
        if not 0 <= index < len(target):
            raise ExpressionError(
                f"The language expression property array index '{index}' is out of bounds."
            )
        return target[index]
    if isinstance(target, dict):
        return get_property(target, to_string(index))
    raise ExpressionError(
        f"The language expression property '{index}' can't be evaluated: the value "
        f"is of type '{type_name(target)}'."
    )


def evaluate(
    value: Any,
    *,
    parameters: dict[str, Any] | None = None,
    variables: dict[str, Any] | None = None,
    scope: DeploymentScope | None = None,
    host: ResourceHost | None = None,
    copy_index: int | None = None,
) -> Any:
    """Evaluate one JSON value: ``parameters`` are plain values, ``variables`` declarations."""
    scope = scope or DeploymentScope(
        subscription_id="00000000-0000-0000-0000-000000000000",
        tenant_id="11111111-1111-1111-1111-111111111111",
        location="eastus",
        deployer_object_id="22222222-2222-2222-2222-222222222222",
        deployment_name="evaluate",
    )
    frame = Frame({"variables": variables or {}}, scope, host)
    frame.params = {k.lower(): v for k, v in (parameters or {}).items()}
    copy_state = {} if copy_index is None else {"": copy_index}
    return EVALUATOR.value(Ctx(frame, "value", copy_state), value)
