"""An ARM template engine: expression language, validation and deployment walk.

Pure: no HTTP, no emulator state. The caller hands in a :class:`ResourceHost` that
stores resources; the engine decides *what* to create, in which order and with
which evaluated body.

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

Deterministic functions
-----------------------
``uniqueString(a, b, ...)``: SHA-256 of the arguments joined with ``-`` (UTF-8); the
first 64 bits are written as 13 characters of the alphabet
``abcdefghijklmnopqrstuvwxyz234567`` (5 bits each, most significant first, 65 bits
with a leading zero bit). Same shape as Azure's (13 lower-case base32 characters),
stable across runs and processes, but not bit-identical to Azure's MurmurHash64.
``guid(a, b, ...)``: ``uuid5(11fb06fb-712d-4ddd-98c7-e71bbd588830, "a-b-...")``.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Protocol

SUBSCRIPTION_SCHEMAS = (
    "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#",
)
RESOURCE_GROUP_SCHEMAS = (
    "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
    "https://schema.management.azure.com/schemas/2015-01-01/deploymentTemplate.json#",
)
DEPLOYMENTS_TYPE = "Microsoft.Resources/deployments"
RESOURCE_GROUPS_TYPE = "Microsoft.Resources/resourceGroups"
GUID_NAMESPACE = uuid.UUID("11fb06fb-712d-4ddd-98c7-e71bbd588830")
_B32 = "abcdefghijklmnopqrstuvwxyz234567"
_FUNCTIONS_HELP = "Please see https://aka.ms/arm-functions for usage details."
_SYNTAX_HELP = "Please see https://aka.ms/arm-syntax for usage details."
_DEPLOYMENT_FAILED = (
    "At least one resource deployment operation failed. Please list deployment operations "
    "for details. Please see https://aka.ms/arm-deployment-operations for usage details."
)


# --- public types -------------------------------------------------------------------


class TemplateError(Exception):
    """An ARM template/deployment error: ``code``, ``message``, ``target``, nested ``details``."""

    def __init__(
        self,
        code: str,
        message: str,
        target: str | None = None,
        details: list[TemplateError] | None = None,
    ) -> None:
        super().__init__(f"({code}) {message}")
        self.code = code
        self.message = message
        self.target = target
        self.details = details or []

    def to_dict(self) -> dict[str, Any]:
        """The ARM error body (the value of ``"error"``)."""
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.target:
            body["target"] = self.target
        if self.details:
            body["details"] = [d.to_dict() for d in self.details]
        return body

    def innermost(self) -> TemplateError:
        """The deepest first detail (the root cause)."""
        err = self
        while err.details:
            err = err.details[0]
        return err


def invalid_template(message: str, target: str | None = None) -> TemplateError:
    return TemplateError(
        "InvalidTemplate", f"Deployment template validation failed: '{message}'.", target
    )


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


# --- expression parser ----------------------------------------------------------------


@dataclass(frozen=True)
class Literal:
    value: Any


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Property:
    target: Node
    name: str


@dataclass(frozen=True)
class Index:
    target: Node
    index: Node


Node = Literal | Call | Property | Index


class ExpressionError(Exception):
    """A problem in one expression (turned into a TemplateError with its location)."""


def _tokenize(text: str) -> list[tuple[str, Any, int]]:
    tokens: list[tuple[str, Any, int]] = []
    pos = 0
    while pos < len(text):
        if text[pos].isspace():
            pos += 1
            continue
        if text[pos] == "'":
            end = pos + 1
            chars: list[str] = []
            while True:
                if end >= len(text):
                    raise ExpressionError(
                        f"The language expression '{text}' is not valid: the string literal "
                        f"starting at position '{pos}' is not terminated."
                    )
                if text[end] == "'":
                    if end + 1 < len(text) and text[end + 1] == "'":
                        chars.append("'")
                        end += 2
                        continue
                    break
                chars.append(text[end])
                end += 1
            tokens.append(("str", "".join(chars), pos))
            pos = end + 1
            continue
        m = re.match(r"-?\d+(\.\d+)?", text[pos:])
        if m and (text[pos] != "-" or len(m.group(0)) > 1):
            raw = m.group(0)
            tokens.append(("num", float(raw) if "." in raw else int(raw), pos))
            pos += len(raw)
            continue
        m = re.match(r"[A-Za-z_$][\w$]*", text[pos:])
        if m:
            tokens.append(("ident", m.group(0), pos))
            pos += len(m.group(0))
            continue
        if text[pos] in "(),.[]":
            tokens.append((text[pos], text[pos], pos))
            pos += 1
            continue
        raise ExpressionError(
            f"The language expression '{text}' is not valid: the character '{text[pos]}' "
            f"at position '{pos}' is not expected."
        )
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.i = 0

    def fail(self, what: str) -> ExpressionError:
        if self.i < len(self.tokens):
            pos = self.tokens[self.i][2]
            return ExpressionError(
                f"The language expression '{self.text}' is not valid: {what} at position '{pos}'."
            )
        return ExpressionError(
            f"The language expression '{self.text}' is not valid: {what} at the end."
        )

    def peek(self) -> str | None:
        return self.tokens[self.i][0] if self.i < len(self.tokens) else None

    def take(self, kind: str) -> Any:
        if self.peek() != kind:
            raise self.fail(f"expected '{kind}'")
        value = self.tokens[self.i][1]
        self.i += 1
        return value

    def parse(self) -> Node:
        if not self.tokens:
            raise ExpressionError(f"The language expression '{self.text}' is not valid: empty.")
        node = self.expr()
        if self.i != len(self.tokens):
            raise self.fail("unexpected token")
        return node

    def expr(self) -> Node:
        kind = self.peek()
        node: Node
        if kind == "str":
            node = Literal(self.take("str"))
        elif kind == "num":
            node = Literal(self.take("num"))
        elif kind == "ident":
            name = self.take("ident")
            if self.peek() == "(":
                self.take("(")
                args: list[Node] = []
                if self.peek() != ")":
                    args.append(self.expr())
                    while self.peek() == ",":
                        self.take(",")
                        args.append(self.expr())
                self.take(")")
                node = Call(name, tuple(args))
            elif name.lower() in ("true", "false", "null"):
                node = Literal({"true": True, "false": False, "null": None}[name.lower()])
            else:
                raise self.fail(f"the identifier '{name}' must be a function call")
        else:
            raise self.fail("expected a function call, a string or a number")
        while self.peek() in (".", "["):
            if self.peek() == ".":
                self.take(".")
                node = Property(node, self.take("ident"))
            else:
                self.take("[")
                index = self.expr()
                self.take("]")
                node = Index(node, index)
        return node


_PARSE_CACHE: dict[str, Node] = {}


def parse_expression(text: str) -> Node:
    """Parse the inside of ``[...]``; raises ExpressionError."""
    node = _PARSE_CACHE.get(text)
    if node is None:
        node = _Parser(text).parse()
        if len(_PARSE_CACHE) < 10000:
            _PARSE_CACHE[text] = node
    return node


def is_expression(value: Any) -> bool:
    return (
        isinstance(value, str)
        and value.startswith("[")
        and value.endswith("]")
        and not value.startswith("[[")
    )


def _calls(node: Node) -> Iterable[Call]:
    if isinstance(node, Call):
        yield node
        for arg in node.args:
            yield from _calls(arg)
    elif isinstance(node, Property):
        yield from _calls(node.target)
    elif isinstance(node, Index):
        yield from _calls(node.target)
        yield from _calls(node.index)


# --- helpers ------------------------------------------------------------------------


def unique_string(*parts: str) -> str:
    """Deterministic 13-character id (see the module docstring)."""
    digest = hashlib.sha256("-".join(parts).encode("utf-8")).digest()
    number = int.from_bytes(digest[:8], "big")
    return "".join(_B32[(number >> (5 * (12 - i))) & 31] for i in range(13))


def deterministic_guid(*parts: str) -> str:
    return str(uuid.uuid5(GUID_NAMESPACE, "-".join(parts)))


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float):
        return "Float"
    if isinstance(value, str):
        return "String"
    if isinstance(value, list):
        return "Array"
    if isinstance(value, dict):
        return "Object"
    return "Null"


def _to_string(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "True" if value else "False"
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _interleave(types: list[str], names: list[str]) -> str:
    return "/".join(f"{t}/{n}" for t, n in zip(types, names, strict=True))


def normalize_id(resource_id: str) -> str:
    """Lower-cased id for comparisons; ``.../providers/Microsoft.Resources/resourceGroups/x``
    is the same as ``.../resourceGroups/x``."""
    rid = resource_id.rstrip("/").lower()
    return re.sub(
        r"^(/subscriptions/[^/]+)/providers/microsoft\.resources/resourcegroups/",
        r"\1/resourcegroups/",
        rid,
    )


def parse_resource_id(resource_id: str) -> tuple[str | None, str | None, str, str]:
    """``(subscription, resource_group, type, name)`` of a resource id.

    The type is the namespace after the last ``/providers/`` plus its type segments
    (``Microsoft.ContainerRegistry/registries/scopeMaps``) and the name the matching
    name segments joined with ``/`` (``reg/sm``). A resource group id has type
    ``Microsoft.Resources/resourceGroups``.
    """
    parts = [p for p in resource_id.split("/") if p]
    sub = rg = None
    if len(parts) >= 2 and parts[0].lower() == "subscriptions":
        sub = parts[1]
    if len(parts) >= 4 and parts[2].lower() == "resourcegroups":
        rg = parts[3]
    lowered = [p.lower() for p in parts]
    if "providers" not in lowered:
        if rg is not None and len(parts) == 4:
            return sub, rg, RESOURCE_GROUPS_TYPE, rg
        if sub is not None and len(parts) == 2:
            return sub, None, "Microsoft.Resources/subscriptions", sub
        raise ValueError(f"not a resource id: {resource_id}")
    last = len(lowered) - 1 - lowered[::-1].index("providers")
    rest = parts[last + 1 :]
    if len(rest) < 3:
        raise ValueError(f"not a resource id: {resource_id}")
    namespace, segs = rest[0], rest[1:]
    types = segs[0::2]
    names = segs[1::2]
    return sub, rg, "/".join([namespace, *types]), "/".join(names)


def _deep_union(a: Any, b: Any) -> Any:
    if isinstance(a, dict) and isinstance(b, dict):
        out = dict(a)
        for key, value in b.items():
            existing = next((k for k in out if k.lower() == key.lower()), None)
            if existing is not None and isinstance(out[existing], dict) and isinstance(value, dict):
                out[existing] = _deep_union(out[existing], value)
            else:
                if existing is not None:
                    del out[existing]
                out[key] = value
        return out
    return b


def _dotnet_format(fmt: str, args: list[Any]) -> str:
    out: list[str] = []
    i = 0
    while i < len(fmt):
        ch = fmt[i]
        if ch == "{":
            if fmt.startswith("{{", i):
                out.append("{")
                i += 2
                continue
            end = fmt.find("}", i)
            if end < 0:
                raise ExpressionError(f"The format string '{fmt}' is not valid.")
            spec = fmt[i + 1 : end]
            index_text, _, number_format = spec.partition(":")
            index_text, _, align_text = index_text.partition(",")
            try:
                index = int(index_text)
                value = args[index]
            except (ValueError, IndexError):
                raise ExpressionError(
                    f"The format string '{fmt}' refers to argument '{index_text}', which "
                    f"was not provided ({len(args)} given)."
                ) from None
            text = _format_value(value, number_format)
            if align_text:
                width = int(align_text)
                text = text.rjust(width) if width > 0 else text.ljust(-width)
            out.append(text)
            i = end + 1
            continue
        if ch == "}" and fmt.startswith("}}", i):
            out.append("}")
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _format_value(value: Any, spec: str) -> str:
    if not spec or not isinstance(value, int | float) or isinstance(value, bool):
        return _to_string(value)
    kind, digits_text = spec[0], spec[1:]
    digits = int(digits_text) if digits_text.isdigit() else None
    if kind in "Dd":
        return str(int(value)).zfill(digits or 0)
    if kind in "Nn":
        return f"{value:,.{2 if digits is None else digits}f}"
    if kind in "Ff":
        return f"{value:.{2 if digits is None else digits}f}"
    if kind == "X":
        return format(int(value), "X").zfill(digits or 0)
    if kind == "x":
        return format(int(value), "x").zfill(digits or 0)
    return _to_string(value)


# --- evaluation -------------------------------------------------------------------


@dataclass
class _Instance:
    """One resource to deploy (a copy-loop iteration of a declaration)."""

    index: int
    decl: dict[str, Any]
    path: str
    copy: dict[str, int]
    symbolic: str | None
    loop: str | None
    type: str = ""
    real_type: str = ""
    name: str = ""
    api_version: str = ""
    resource_id: str = ""
    condition: bool = True
    depends: list[int] = field(default_factory=list)


class _Frame:
    """One template's evaluation scope: its parameters, variables and resources."""

    def __init__(
        self,
        template: dict[str, Any],
        scope: DeploymentScope,
        host: ResourceHost | None,
        engine: _Engine | None,
    ) -> None:
        self.template = template
        self.scope = scope
        self.host = host
        self.engine = engine
        self.params: dict[str, Any] = {}
        self.variable_decls: dict[str, Any] = {
            k.lower(): v for k, v in (template.get("variables") or {}).items()
        }
        self.variable_values: dict[str, Any] = {}
        self.evaluating: set[str] = set()
        self.instances: list[_Instance] = []


@dataclass
class _Ctx:
    frame: _Frame
    where: str
    copy: dict[str, int] = field(default_factory=dict)
    in_parameter_default: bool = False
    allow_reference: bool = True


class _Evaluator:
    def value(self, ctx: _Ctx, value: Any) -> Any:
        if isinstance(value, str):
            if value.startswith("[[") and value.endswith("]"):
                return value[1:]
            if value.startswith("[") and value.endswith("]"):
                try:
                    node = parse_expression(value[1:-1])
                except ExpressionError as exc:
                    raise _expr_error(ctx, str(exc)) from None
                try:
                    return self.node(ctx, node)
                except ExpressionError as exc:
                    raise _expr_error(ctx, str(exc)) from None
            return value
        if isinstance(value, list):
            return [self.value(ctx, v) for v in value]
        if isinstance(value, dict):
            out: dict[str, Any] = {}
            for key, item in value.items():
                if key == "copy" and isinstance(item, list):
                    for loop in item:
                        out[loop.get("name")] = self._property_copy(ctx, loop)
                    continue
                out[key] = self.value(replace(ctx, where=f"{ctx.where}.{key}"), item)
            return out
        return value

    def _property_copy(self, ctx: _Ctx, loop: dict[str, Any]) -> list[Any]:
        name = loop.get("name")
        count = self.value(ctx, loop.get("count", 0))
        if not isinstance(name, str) or not isinstance(count, int):
            raise _expr_error(ctx, "A property copy loop needs a 'name' and an integer 'count'.")
        items = []
        for i in range(count):
            inner = replace(ctx, copy={**ctx.copy, name: i})
            items.append(self.value(inner, loop.get("input")))
        return items

    def node(self, ctx: _Ctx, node: Node) -> Any:
        if isinstance(node, Literal):
            return node.value
        if isinstance(node, Property):
            target = self.node(ctx, node.target)
            return _get_property(target, node.name)
        if isinstance(node, Index):
            target = self.node(ctx, node.target)
            index = self.node(ctx, node.index)
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
                return _get_property(target, _to_string(index))
            raise ExpressionError(
                f"The language expression property '{index}' can't be evaluated: the value "
                f"is of type '{_type_name(target)}'."
            )
        name = node.name.lower()
        lazy = _LAZY.get(name)
        if lazy is not None:
            return lazy(self, ctx, node.args)
        fn = _FUNCTIONS.get(name)
        if fn is None:
            raise ExpressionError(
                f"The template function '{node.name}' is not valid. {_FUNCTIONS_HELP}"
            )
        args = [self.node(ctx, a) for a in node.args]
        return fn(ctx, args)


_EVAL = _Evaluator()


def _expr_error(ctx: _Ctx, message: str) -> TemplateError:
    return TemplateError(
        "InvalidTemplate",
        f"Unable to process template language expressions at '{ctx.where}'. '{message}'",
        ctx.where,
    )


def _get_property(target: Any, name: str) -> Any:
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
        f"be a string and the value an object (got '{_type_name(target)}')."
    )


# --- the function library ---------------------------------------------------------------

Fn = Callable[[_Ctx, list[Any]], Any]
LazyFn = Callable[[_Evaluator, _Ctx, tuple[Node, ...]], Any]
_FUNCTIONS: dict[str, Fn] = {}
_LAZY: dict[str, LazyFn] = {}


def _fn(*names: str) -> Callable[[Fn], Fn]:
    def register(f: Fn) -> Fn:
        for n in names:
            _FUNCTIONS[n.lower()] = f
        return f

    return register


def _arity(name: str, args: list[Any], low: int, high: int | None = None) -> None:
    high = low if high is None else high
    if not low <= len(args) <= (high if high >= 0 else 10**9):
        expected = str(low) if low == high else f"{low} to {high}" if high >= 0 else f">= {low}"
        raise ExpressionError(
            f"The template language function '{name}' must have {expected} argument(s), "
            f"{len(args)} given."
        )


def _want(name: str, value: Any, *types: type) -> Any:
    ok = isinstance(value, types) and not (isinstance(value, bool) and bool not in types)
    if not ok:
        wanted = " or ".join(_type_name(t()) if t is not type(None) else "Null" for t in types)
        raise ExpressionError(
            f"The template language function '{name}' expects its parameter to be of type "
            f"'{wanted}'. The provided value is of type '{_type_name(value)}'."
        )
    return value


def _lazy(name: str) -> Callable[[LazyFn], LazyFn]:
    def register(f: LazyFn) -> LazyFn:
        _LAZY[name] = f
        return f

    return register


@_lazy("if")
def _if(ev: _Evaluator, ctx: _Ctx, args: tuple[Node, ...]) -> Any:
    if len(args) != 3:
        raise ExpressionError(
            f"The template language function 'if' must have 3 argument(s), {len(args)} given."
        )
    cond = _want("if", ev.node(ctx, args[0]), bool)
    return ev.node(ctx, args[1] if cond else args[2])


@_lazy("and")
def _and(ev: _Evaluator, ctx: _Ctx, args: tuple[Node, ...]) -> Any:
    if len(args) < 2:
        raise ExpressionError("The template language function 'and' needs at least 2 arguments.")
    return all(_want("and", ev.node(ctx, a), bool) for a in args)


@_lazy("or")
def _or(ev: _Evaluator, ctx: _Ctx, args: tuple[Node, ...]) -> Any:
    if len(args) < 2:
        raise ExpressionError("The template language function 'or' needs at least 2 arguments.")
    return any(_want("or", ev.node(ctx, a), bool) for a in args)


@_fn("true")
def _true(ctx: _Ctx, args: list[Any]) -> Any:
    _arity("true", args, 0)
    return True


@_fn("false")
def _false(ctx: _Ctx, args: list[Any]) -> Any:
    _arity("false", args, 0)
    return False


@_fn("null")
def _null(ctx: _Ctx, args: list[Any]) -> Any:
    _arity("null", args, 0)
    return None


@_fn("not")
def _not(ctx: _Ctx, args: list[Any]) -> Any:
    _arity("not", args, 1)
    return not _want("not", args[0], bool)


@_fn("parameters")
def _parameters(ctx: _Ctx, args: list[Any]) -> Any:
    _arity("parameters", args, 1)
    name = _want("parameters", args[0], str)
    params = ctx.frame.params
    if name.lower() not in params:
        declared = ", ".join(ctx.frame.template.get("parameters") or {})
        raise ExpressionError(
            f"The template parameter '{name}' is not found. Declared parameters: '{declared}'. "
            f"{_SYNTAX_HELP}"
        )
    return copy.deepcopy(params[name.lower()])


@_fn("variables")
def _variables(ctx: _Ctx, args: list[Any]) -> Any:
    _arity("variables", args, 1)
    name = _want("variables", args[0], str)
    if ctx.in_parameter_default:
        raise ExpressionError(
            "The template function 'variables' is not expected at this location. "
            "Parameter default values cannot reference variables."
        )
    frame = ctx.frame
    key = name.lower()
    if key in frame.variable_values:
        return copy.deepcopy(frame.variable_values[key])
    if key not in frame.variable_decls:
        raise ExpressionError(f"The template variable '{name}' is not found. {_SYNTAX_HELP}")
    if key in frame.evaluating:
        raise ExpressionError(f"The template variable '{name}' refers to itself (a cycle).")
    frame.evaluating.add(key)
    try:
        value = _EVAL.value(_Ctx(frame, f"variables.{name}"), frame.variable_decls[key])
    finally:
        frame.evaluating.discard(key)
    frame.variable_values[key] = value
    return copy.deepcopy(value)


@_fn("concat")
def _concat(ctx: _Ctx, args: list[Any]) -> Any:
    if args and all(isinstance(a, list) or a is None for a in args):
        out: list[Any] = []
        for a in args:
            out.extend(a or [])
        return out
    if any(isinstance(a, list | dict) for a in args):
        raise ExpressionError(
            "The template language function 'concat' expects all its arguments to be "
            "strings (or all arrays)."
        )
    return "".join(_to_string(a) for a in args)


@_fn("format")
def _format(ctx: _Ctx, args: list[Any]) -> Any:
    _arity("format", args, 1, -1)
    return _dotnet_format(_want("format", args[0], str), args[1:])


@_fn("toLower")
def _to_lower(ctx: _Ctx, args: list[Any]) -> Any:
    _arity("toLower", args, 1)
    return _want("toLower", args[0], str).lower()


@_fn("toUpper")
def _to_upper(ctx: _Ctx, args: list[Any]) -> Any:
    _arity("toUpper", args, 1)
    return _want("toUpper", args[0], str).upper()


@_fn("uniqueString")
def _unique_string(ctx: _Ctx, args: list[Any]) -> Any:
    _arity("uniqueString", args, 1, -1)
    return unique_string(*[_want("uniqueString", a, str) for a in args])


@_fn("guid")
def _guid(ctx: _Ctx, args: list[Any]) -> Any:
    _arity("guid", args, 1, -1)
    return deterministic_guid(*[_want("guid", a, str) for a in args])


@_fn("newGuid")
def _new_guid(ctx: _Ctx, args: list[Any]) -> Any:
    _arity("newGuid", args, 0)
    if not ctx.in_parameter_default:
        raise ExpressionError(
            "The template function 'newGuid' is not expected at this location. The function "
            "can only be used within the default value of a parameter."
        )
    return str(uuid.uuid4())


@_fn("utcNow")
def _utc_now(ctx: _Ctx, args: list[Any]) -> Any:
    _arity("utcNow", args, 0, 1)
    if not ctx.in_parameter_default:
        raise ExpressionError(
            "The template function 'utcNow' is not expected at this location. The function "
            "can only be used within the default value of a parameter."
        )
    now = datetime.now(UTC)
    fmt = args[0] if args else "yyyyMMddTHHmmssZ"
    mapping = [
        ("yyyy", "%Y"),
        ("MM", "%m"),
        ("dd", "%d"),
        ("HH", "%H"),
        ("mm", "%M"),
        ("ss", "%S"),
    ]
    out = _want("utcNow", fmt, str)
    if out in ("u",):
        return now.strftime("%Y-%m-%d %H:%M:%SZ")
    if out in ("o", "O"):
        return now.isoformat().replace("+00:00", "Z")
    for src, dst in mapping:
        out = out.replace(src, dst)
    return now.strftime(out)


@_fn("subscription")
def _subscription(ctx: _Ctx, args: list[Any]) -> Any:
    _arity("subscription", args, 0)
    scope = ctx.frame.scope
    return {
        "id": scope.subscription_resource_id,
        "subscriptionId": scope.subscription_id,
        "tenantId": scope.tenant_id,
        "displayName": scope.subscription_display_name,
    }


@_fn("tenant")
def _tenant(ctx: _Ctx, args: list[Any]) -> Any:
    _arity("tenant", args, 0)
    tid = ctx.frame.scope.tenant_id
    return {
        "id": f"/tenants/{tid}",
        "tenantId": tid,
        "countryCode": "US",
        "displayName": "Emulated tenant",
    }


@_fn("deployer")
def _deployer(ctx: _Ctx, args: list[Any]) -> Any:
    _arity("deployer", args, 0)
    scope = ctx.frame.scope
    return {"objectId": scope.deployer_object_id, "tenantId": scope.tenant_id}


@_fn("deployment")
def _deployment(ctx: _Ctx, args: list[Any]) -> Any:
    _arity("deployment", args, 0)
    scope = ctx.frame.scope
    return {
        "name": scope.deployment_name,
        "id": scope.deployment_id,
        "location": scope.location,
        "properties": {
            "templateHash": unique_string(json.dumps(ctx.frame.template, sort_keys=True)),
            "template": {"contentVersion": ctx.frame.template.get("contentVersion", "1.0.0.0")},
        },
    }


@_fn("environment")
def _environment(ctx: _Ctx, args: list[Any]) -> Any:
    _arity("environment", args, 0)
    return {
        "name": "AzureCloud",
        "gallery": "https://gallery.azure.com/",
        "graph": "https://graph.windows.net/",
        "portal": "https://portal.azure.com",
        "graphAudience": "https://graph.windows.net/",
        "activeDirectoryDataLake": "https://datalake.azure.net/",
        "batch": "https://batch.core.windows.net/",
        "media": "https://rest.media.azure.net",
        "sqlManagement": "https://management.core.windows.net:8443/",
        "resourceManager": "https://management.azure.com/",
        "authentication": {
            "loginEndpoint": "https://login.microsoftonline.com/",
            "audiences": ["https://management.core.windows.net/", "https://management.azure.com/"],
            "tenant": "common",
            "identityProvider": "AAD",
        },
        "suffixes": {
            "acrLoginServer": ".azurecr.io",
            "azureDatalakeAnalyticsCatalogAndJob": "azuredatalakeanalytics.net",
            "azureDatalakeStoreFileSystem": "azuredatalakestore.net",
            "azureFrontDoorEndpointSuffix": "azurefd.net",
            "keyvaultDns": ".vault.azure.net",
            "sqlServerHostname": ".database.windows.net",
            "storage": "core.windows.net",
        },
    }


@_fn("resourceGroup")
def _resource_group(ctx: _Ctx, args: list[Any]) -> Any:
    _arity("resourceGroup", args, 0)
    scope = ctx.frame.scope
    rg_id = scope.resource_group_id
    if rg_id is None:
        raise ExpressionError(
            "The template function 'RESOURCEGROUP' is not expected at this location. It can "
            "only be used in a deployment at resource group scope."
        )
    stored = ctx.frame.host.get(rg_id) if ctx.frame.host is not None else None
    stored = stored or {}
    return {
        "id": rg_id,
        "name": stored.get("name", scope.resource_group),
        "type": RESOURCE_GROUPS_TYPE,
        "location": stored.get("location", scope.location),
        "managedBy": stored.get("managedBy"),
        "tags": stored.get("tags") or {},
        "properties": {"provisioningState": "Succeeded"},
    }


def _split_scope_args(name: str, args: list[Any]) -> tuple[list[str], str, list[str]]:
    """``(leading, type, names)`` of resourceId-style arguments."""
    strs = [_want(name, a, str) for a in args]
    for i, a in enumerate(strs):
        if "/" in a:
            lead, rtype, names = strs[:i], a, strs[i + 1 :]
            expected = len(rtype.split("/")) - 1
            if len(names) != expected:
                raise ExpressionError(
                    f"Unable to evaluate template language function '{name}': function "
                    f"requires exactly one resource name argument for each resource type "
                    f"segment ('{rtype}' has {expected}, {len(names)} given). {_FUNCTIONS_HELP}"
                )
            return lead, rtype, names
    raise ExpressionError(
        f"Unable to evaluate template language function '{name}': the resource type "
        f"argument (e.g. 'Microsoft.KeyVault/vaults') is missing. {_FUNCTIONS_HELP}"
    )


def _rid(prefix: str, rtype: str, names: list[str]) -> str:
    namespace, *types = rtype.split("/")
    if rtype.lower() == RESOURCE_GROUPS_TYPE.lower() and prefix.lower().startswith(
        "/subscriptions/"
    ):
        return f"{prefix}/resourceGroups/{names[0]}"
    return f"{prefix}/providers/{namespace}/{_interleave(types, names)}"


@_fn("resourceId")
def _resource_id(ctx: _Ctx, args: list[Any]) -> Any:
    lead, rtype, names = _split_scope_args("resourceId", args)
    scope = ctx.frame.scope
    if len(lead) > 2:
        raise ExpressionError("The template language function 'resourceId' has too many scopes.")
    sub = lead[0] if len(lead) == 2 else scope.subscription_id
    rg = lead[-1] if lead else scope.resource_group
    if rg is None:
        return _rid(f"/subscriptions/{sub}", rtype, names)
    return _rid(f"/subscriptions/{sub}/resourceGroups/{rg}", rtype, names)


@_fn("subscriptionResourceId")
def _subscription_resource_id(ctx: _Ctx, args: list[Any]) -> Any:
    lead, rtype, names = _split_scope_args("subscriptionResourceId", args)
    if len(lead) > 1:
        raise ExpressionError(
            "The template language function 'subscriptionResourceId' has too many scopes."
        )
    sub = lead[0] if lead else ctx.frame.scope.subscription_id
    return _rid(f"/subscriptions/{sub}", rtype, names)


@_fn("tenantResourceId")
def _tenant_resource_id(ctx: _Ctx, args: list[Any]) -> Any:
    lead, rtype, names = _split_scope_args("tenantResourceId", args)
    if lead:
        raise ExpressionError("The template language function 'tenantResourceId' takes no scope.")
    return _rid("", rtype, names)


@_fn("extensionResourceId")
def _extension_resource_id(ctx: _Ctx, args: list[Any]) -> Any:
    _arity("extensionResourceId", args, 3, -1)
    base = _want("extensionResourceId", args[0], str).rstrip("/")
    lead, rtype, names = _split_scope_args("extensionResourceId", args[1:])
    if lead:
        raise ExpressionError(
            "The template language function 'extensionResourceId' expects a resource type "
            "as its second argument."
        )
    namespace, *types = rtype.split("/")
    return f"{base}/providers/{namespace}/{_interleave(types, names)}"


@_fn("reference")
def _reference(ctx: _Ctx, args: list[Any]) -> Any:
    _arity("reference", args, 1, 3)
    target = _want("reference", args[0], str)
    full = len(args) == 3 and _to_string(args[2]).lower() == "full"
    if len(args) == 3 and not full:
        raise ExpressionError("The third argument of 'reference' can only be 'Full'.")
    if ctx.in_parameter_default or not ctx.allow_reference:
        raise ExpressionError(
            f"The template function 'reference' is not expected at this location. {_FUNCTIONS_HELP}"
        )
    frame = ctx.frame
    resource_id = target
    if not target.startswith("/"):
        resource_id = _resolve_name(frame, target) or ""
        if not resource_id:
            raise ExpressionError(
                f"The template resource '{target}' is not defined in the template, so "
                f"'reference' cannot resolve it. {_FUNCTIONS_HELP}"
            )
    stored = frame.host.get(resource_id) if frame.host is not None else None
    if stored is None:
        _sub, rg, rtype, name = _safe_parse(resource_id)
        where = f" under resource group '{rg}'" if rg else ""
        raise ExpressionError(
            f"The Resource '{rtype}/{name}'{where} was not found. For more details please go "
            "to https://aka.ms/ARMResourceNotFoundFix"
        )
    if full:
        return stored
    return stored.get("properties") or {}


def _safe_parse(resource_id: str) -> tuple[str | None, str | None, str, str]:
    try:
        return parse_resource_id(resource_id)
    except ValueError:
        return None, None, "", resource_id


def _resolve_name(frame: _Frame, name: str) -> str | None:
    for inst in frame.instances:
        if inst.name.lower() == name.lower() or (
            inst.symbolic is not None and inst.symbolic.lower() == name.lower()
        ):
            return inst.resource_id
    return None


@_fn("copyIndex")
def _copy_index(ctx: _Ctx, args: list[Any]) -> Any:
    _arity("copyIndex", args, 0, 2)
    loop: str | None = None
    offset = 0
    if args and isinstance(args[0], str):
        loop = args[0]
        if len(args) == 2:
            offset = _want("copyIndex", args[1], int)
    elif args:
        if len(args) != 1:
            raise ExpressionError("The template function 'copyIndex' takes (loopName?, offset?).")
        offset = _want("copyIndex", args[0], int)
    if loop is None:
        if "" not in ctx.copy:
            if ctx.copy:
                return list(ctx.copy.values())[-1] + offset
            raise ExpressionError(
                "The template function 'copyIndex' is not expected at this location. It can "
                "only be used in a resource or property with a copy loop."
            )
        return ctx.copy[""] + offset
    for key, value in ctx.copy.items():
        if key.lower() == loop.lower():
            return value + offset
    raise ExpressionError(f"The copy loop '{loop}' is not found at this location.")


@_fn("empty")
def _empty(ctx: _Ctx, args: list[Any]) -> Any:
    _arity("empty", args, 1)
    value = args[0]
    return value is None or (isinstance(value, str | list | dict) and len(value) == 0)


@_fn("union")
def _union(ctx: _Ctx, args: list[Any]) -> Any:
    _arity("union", args, 1, -1)
    if all(isinstance(a, dict) for a in args):
        out: Any = {}
        for a in args:
            out = _deep_union(out, a)
        return out
    if all(isinstance(a, list) for a in args):
        result: list[Any] = []
        for a in args:
            for item in a:
                if item not in result:
                    result.append(item)
        return result
    raise ExpressionError(
        "The template language function 'union' expects all its parameters to be objects "
        "or all to be arrays."
    )


@_fn("intersection")
def _intersection(ctx: _Ctx, args: list[Any]) -> Any:
    _arity("intersection", args, 2, -1)
    if all(isinstance(a, dict) for a in args):
        first = args[0]
        return {k: v for k, v in first.items() if all(o.get(k) == v for o in args[1:])}
    if all(isinstance(a, list) for a in args):
        out: list[Any] = []
        for item in args[0]:
            if all(item in o for o in args[1:]) and item not in out:
                out.append(item)
        return out
    raise ExpressionError("'intersection' expects all objects or all arrays.")


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    if isinstance(a, dict) and isinstance(b, dict):
        if {k.lower() for k in a} != {k.lower() for k in b}:
            return False
        lb = {k.lower(): v for k, v in b.items()}
        return all(_equal(v, lb[k.lower()]) for k, v in a.items())
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


@_fn("equals")
def _equals(ctx: _Ctx, args: list[Any]) -> Any:
    _arity("equals", args, 2)
    return _equal(args[0], args[1])


def _compare(name: str, args: list[Any]) -> tuple[Any, Any]:
    _arity(name, args, 2)
    a, b = args
    if isinstance(a, str) and isinstance(b, str):
        return a, b
    if isinstance(a, int | float) and isinstance(b, int | float):
        if isinstance(a, bool) or isinstance(b, bool):
            raise ExpressionError(f"'{name}' expects two integers or two strings.")
        return a, b
    raise ExpressionError(
        f"The template language function '{name}' expects two integers or two strings; got "
        f"'{_type_name(a)}' and '{_type_name(b)}'."
    )


@_fn("greater")
def _greater(ctx: _Ctx, args: list[Any]) -> Any:
    a, b = _compare("greater", args)
    return a > b


@_fn("greaterOrEquals")
def _greater_eq(ctx: _Ctx, args: list[Any]) -> Any:
    a, b = _compare("greaterOrEquals", args)
    return a >= b


@_fn("less")
def _less(ctx: _Ctx, args: list[Any]) -> Any:
    a, b = _compare("less", args)
    return a < b


@_fn("lessOrEquals")
def _less_eq(ctx: _Ctx, args: list[Any]) -> Any:
    a, b = _compare("lessOrEquals", args)
    return a <= b


@_fn("length")
def _length(ctx: _Ctx, args: list[Any]) -> Any:
    _arity("length", args, 1)
    return len(_want("length", args[0], str, list, dict))


@_fn("substring")
def _substring(ctx: _Ctx, args: list[Any]) -> Any:
    _arity("substring", args, 1, 3)
    text = _want("substring", args[0], str)
    start = _want("substring", args[1], int) if len(args) > 1 else 0
    length = _want("substring", args[2], int) if len(args) > 2 else len(text) - start
    if start < 0 or start > len(text):
        raise ExpressionError(
            f"The index parameter cannot be less than zero or greater than the length of the "
            f"string: 'startIndex' is '{start}', length is '{len(text)}'."
        )
    if length < 0 or start + length > len(text):
        raise ExpressionError(
            "The length parameter cannot be less than zero or such that the substring extends "
            f"beyond the end of the string: startIndex '{start}', length '{length}', string "
            f"length '{len(text)}'."
        )
    return text[start : start + length]


@_fn("replace")
def _replace(ctx: _Ctx, args: list[Any]) -> Any:
    _arity("replace", args, 3)
    text, old, new = (_want("replace", a, str) for a in args)
    return text.replace(old, new)


@_fn("take")
def _take(ctx: _Ctx, args: list[Any]) -> Any:
    _arity("take", args, 2)
    seq = _want("take", args[0], str, list)
    count = max(0, _want("take", args[1], int))
    return seq[:count]


@_fn("skip")
def _skip(ctx: _Ctx, args: list[Any]) -> Any:
    _arity("skip", args, 2)
    seq = _want("skip", args[0], str, list)
    count = max(0, _want("skip", args[1], int))
    return seq[count:]


@_fn("createObject")
def _create_object(ctx: _Ctx, args: list[Any]) -> Any:
    if len(args) % 2:
        raise ExpressionError(
            "The template language function 'createObject' must have an even number of "
            "parameters (name, value pairs)."
        )
    out: dict[str, Any] = {}
    for i in range(0, len(args), 2):
        out[_want("createObject", args[i], str)] = args[i + 1]
    return out


@_fn("createArray")
def _create_array(ctx: _Ctx, args: list[Any]) -> Any:
    return list(args)


@_fn("array")
def _array(ctx: _Ctx, args: list[Any]) -> Any:
    _arity("array", args, 1)
    return args[0] if isinstance(args[0], list) else [args[0]]


@_fn("range")
def _range(ctx: _Ctx, args: list[Any]) -> Any:
    _arity("range", args, 2)
    start, count = (_want("range", a, int) for a in args)
    return list(range(start, start + count))


@_fn("contains")
def _contains(ctx: _Ctx, args: list[Any]) -> Any:
    _arity("contains", args, 2)
    container, item = args
    if isinstance(container, str):
        return _to_string(item) in container
    if isinstance(container, list):
        return any(_equal(x, item) for x in container)
    if isinstance(container, dict):
        return _to_string(item).lower() in {k.lower() for k in container}
    raise ExpressionError(
        f"The template language function 'contains' expects a string, array or object as its "
        f"first parameter; got '{_type_name(container)}'."
    )


@_fn("coalesce")
def _coalesce(ctx: _Ctx, args: list[Any]) -> Any:
    _arity("coalesce", args, 1, -1)
    return next((a for a in args if a is not None), None)


@_fn("string")
def _string(ctx: _Ctx, args: list[Any]) -> Any:
    _arity("string", args, 1)
    return _to_string(args[0])


@_fn("int")
def _int(ctx: _Ctx, args: list[Any]) -> Any:
    _arity("int", args, 1)
    value = args[0]
    if isinstance(value, bool):
        raise ExpressionError("The template language function 'int' cannot convert a Boolean.")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ExpressionError(
            f"The template language function 'int' cannot convert '{value}' to an integer."
        ) from None


@_fn("bool")
def _bool(ctx: _Ctx, args: list[Any]) -> Any:
    _arity("bool", args, 1)
    value = args[0]
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ExpressionError(
        f"The template language function 'bool' cannot convert '{value}' to a Boolean."
    )


@_fn("json")
def _json(ctx: _Ctx, args: list[Any]) -> Any:
    _arity("json", args, 1)
    try:
        return json.loads(_want("json", args[0], str))
    except ValueError as exc:
        raise ExpressionError(
            f"The template language function 'json' could not parse its argument: {exc}"
        ) from None


@_fn("first")
def _first(ctx: _Ctx, args: list[Any]) -> Any:
    _arity("first", args, 1)
    seq = _want("first", args[0], str, list)
    return seq[0] if seq else ("" if isinstance(seq, str) else None)


@_fn("last")
def _last(ctx: _Ctx, args: list[Any]) -> Any:
    _arity("last", args, 1)
    seq = _want("last", args[0], str, list)
    return seq[-1] if seq else ("" if isinstance(seq, str) else None)


@_fn("min")
def _min(ctx: _Ctx, args: list[Any]) -> Any:
    values = args[0] if len(args) == 1 and isinstance(args[0], list) else args
    return min(_want("min", v, int) for v in values)


@_fn("max")
def _max(ctx: _Ctx, args: list[Any]) -> Any:
    values = args[0] if len(args) == 1 and isinstance(args[0], list) else args
    return max(_want("max", v, int) for v in values)


@_fn("indexOf")
def _index_of(ctx: _Ctx, args: list[Any]) -> Any:
    _arity("indexOf", args, 2)
    container, item = args
    if isinstance(container, list):
        return next((i for i, x in enumerate(container) if _equal(x, item)), -1)
    return _want("indexOf", container, str).lower().find(_to_string(item).lower())


@_fn("split")
def _split(ctx: _Ctx, args: list[Any]) -> Any:
    _arity("split", args, 2)
    text = _want("split", args[0], str)
    delims = args[1] if isinstance(args[1], list) else [_want("split", args[1], str)]
    if not delims:
        return [text]
    pattern = "|".join(re.escape(_want("split", d, str)) for d in delims)
    return re.split(pattern, text)


@_fn("startsWith")
def _starts_with(ctx: _Ctx, args: list[Any]) -> Any:
    _arity("startsWith", args, 2)
    text, prefix = (_want("startsWith", a, str) for a in args)
    return text.lower().startswith(prefix.lower())


@_fn("endsWith")
def _ends_with(ctx: _Ctx, args: list[Any]) -> Any:
    _arity("endsWith", args, 2)
    text, suffix = (_want("endsWith", a, str) for a in args)
    return text.lower().endswith(suffix.lower())


@_fn("trim")
def _trim(ctx: _Ctx, args: list[Any]) -> Any:
    _arity("trim", args, 1)
    return _want("trim", args[0], str).strip()


@_fn("padLeft")
def _pad_left(ctx: _Ctx, args: list[Any]) -> Any:
    _arity("padLeft", args, 2, 3)
    text = _to_string(args[0])
    width = _want("padLeft", args[1], int)
    fill = _want("padLeft", args[2], str) if len(args) == 3 else " "
    return text.rjust(width, fill[:1] or " ")


@_fn("base64")
def _base64(ctx: _Ctx, args: list[Any]) -> Any:
    _arity("base64", args, 1)
    return base64.b64encode(_want("base64", args[0], str).encode("utf-8")).decode("ascii")


@_fn("base64ToString")
def _base64_to_string(ctx: _Ctx, args: list[Any]) -> Any:
    _arity("base64ToString", args, 1)
    return base64.b64decode(_want("base64ToString", args[0], str)).decode("utf-8")


@_fn("uri")
def _uri(ctx: _Ctx, args: list[Any]) -> Any:
    _arity("uri", args, 2)
    base, relative = (_want("uri", a, str) for a in args)
    if relative.startswith(("http://", "https://")):
        return relative
    if base.endswith("/"):
        return base + relative.lstrip("/")
    cut = base.rfind("/")
    if cut > base.find("//") + 1:
        return base[: cut + 1] + relative.lstrip("/")
    return base + "/" + relative.lstrip("/")


KNOWN_FUNCTIONS = frozenset(_FUNCTIONS) | frozenset(_LAZY)
"""Lower-cased names of every supported template function."""


# --- validation ----------------------------------------------------------------------

_PARAM_TYPES = {
    "string": (str,),
    "securestring": (str,),
    "int": (int,),
    "bool": (bool,),
    "object": (dict,),
    "secureobject": (dict,),
    "array": (list,),
}
_TYPE_LABEL = {
    "string": "String, Uri",
    "securestring": "String, Uri",
    "int": "Integer",
    "bool": "Boolean",
    "object": "Object",
    "secureobject": "Object",
    "array": "Array",
}
_OUTPUT_TYPES = {
    "string": "String",
    "securestring": "SecureString",
    "int": "Int",
    "bool": "Bool",
    "object": "Object",
    "secureobject": "SecureObject",
    "array": "Array",
}
_AT = "at line '1' and column '1'"


def _check_schema(template: Any, *, subscription_scope: bool, where: str) -> None:
    if not isinstance(template, dict):
        raise invalid_template(f"The template at '{where}' must be a JSON object.", where)
    schema = str(template.get("$schema", ""))
    allowed = SUBSCRIPTION_SCHEMAS if subscription_scope else RESOURCE_GROUP_SCHEMAS
    if schema.lower() not in (s.lower() for s in allowed):
        kind = "subscription" if subscription_scope else "resource group"
        raise invalid_template(
            f"The template schema '{schema}' at '{where}' is not supported for a {kind} "
            f"deployment. Supported: '{', '.join(allowed)}'. {_SYNTAX_HELP}",
            where,
        )
    resources = template.get("resources", [])
    if not isinstance(resources, list | dict):
        raise invalid_template(f"'{where}.resources' must be an array.", where)


def _check_expressions(value: Any, where: str) -> None:
    """Parse every expression below ``value`` and reject unknown functions (the static pass)."""
    if isinstance(value, str):
        if not is_expression(value):
            return
        try:
            node = parse_expression(value[1:-1])
        except ExpressionError as exc:
            raise TemplateError(
                "InvalidTemplate",
                f"Deployment template validation failed: 'The template language expression at "
                f"'{where}' is not valid: {exc}'.",
                where,
            ) from None
        for call in _calls(node):
            if call.name.lower() not in KNOWN_FUNCTIONS:
                raise TemplateError(
                    "InvalidTemplate",
                    f"Deployment template validation failed: 'The template function "
                    f"'{call.name}' at '{where}' is not valid. {_FUNCTIONS_HELP}'.",
                    where,
                )
        return
    if isinstance(value, list):
        for i, item in enumerate(value):
            _check_expressions(item, f"{where}[{i}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_expressions(item, f"{where}.{key}" if where else key)


def _check_template_statically(template: dict[str, Any], where: str) -> None:
    """Expression syntax and function names in the whole template, nested templates too."""
    prefix = f"{where}." if where else ""
    for section in ("parameters", "variables", "outputs"):
        _check_expressions(template.get(section) or {}, f"{prefix}{section}")
    resources = template.get("resources") or []
    items = resources.items() if isinstance(resources, dict) else enumerate(resources)
    for key, resource in items:
        rwhere = (
            f"{prefix}resources[{key!r}]" if isinstance(key, str) else f"{prefix}resources[{key}]"
        )
        if not isinstance(resource, dict):
            raise invalid_template(f"The resource at '{rwhere}' must be an object.", rwhere)
        for rkey, rvalue in resource.items():
            if rkey == "properties" and isinstance(rvalue, dict):
                for pkey, pvalue in rvalue.items():
                    if pkey == "template" and isinstance(pvalue, dict):
                        _check_template_statically(pvalue, f"{rwhere}.properties.template")
                    else:
                        _check_expressions(pvalue, f"{rwhere}.properties.{pkey}")
            else:
                _check_expressions(rvalue, f"{rwhere}.{rkey}")


def _bind_parameters(frame: _Frame, given: dict[str, Any] | None, *, where: str) -> None:
    """Check and bind parameter values (given as ``{name: {"value": v}}``)."""
    decls: dict[str, Any] = frame.template.get("parameters") or {}
    lower_decls = {k.lower(): k for k in decls}
    given = given or {}
    if not isinstance(given, dict):
        raise invalid_template("The deployment parameters must be a JSON object.", where)
    unknown = [k for k in given if k.lower() not in lower_decls]
    if unknown:
        supported = ", ".join(decls)
        raise invalid_template(
            f"The template parameters '{', '.join(unknown)}' in the parameters file are not "
            "valid; they are not present in the original template and can therefore not be "
            f"provided at deployment time. The only supported parameters for this template are "
            f"'{supported}'. Please see https://aka.ms/arm-pass-parameter-values for usage "
            "details.",
            where,
        )
    given_lower = {k.lower(): v for k, v in given.items()}
    for name, decl in decls.items():
        key = name.lower()
        if not isinstance(decl, dict) or "type" not in decl:
            raise invalid_template(
                f"The template parameter '{name}' {_AT} has no 'type'. {_SYNTAX_HELP}", where
            )
        ptype = str(decl["type"]).lower()
        if ptype not in _PARAM_TYPES:
            raise invalid_template(
                f"The template parameter '{name}' {_AT} has an invalid type '{decl['type']}'. "
                "Allowed types: string, securestring, int, bool, object, secureobject, array.",
                where,
            )
        if key in given_lower:
            entry = given_lower[key]
            if not isinstance(entry, dict) or "value" not in entry:
                if isinstance(entry, dict) and "reference" in entry:
                    raise invalid_template(
                        f"The template parameter '{name}' uses a Key Vault reference, which "
                        "the emulator does not support.",
                        where,
                    )
                raise invalid_template(
                    f"The value for the template parameter '{name}' must be given as "
                    '{"value": ...}.',
                    where,
                )
            value = entry["value"]
        elif "defaultValue" in decl:
            ctx = _Ctx(frame, f"{where}.parameters.{name}.defaultValue", in_parameter_default=True)
            value = _EVAL.value(ctx, decl["defaultValue"])
        else:
            raise invalid_template(
                f"The value for the template parameter '{name}' {_AT} is not provided. Please "
                "see https://aka.ms/arm-create-parameter-file for usage details.",
                where,
            )
        wanted = _PARAM_TYPES[ptype]
        type_ok = isinstance(value, wanted) and not (ptype == "int" and isinstance(value, bool))
        if not type_ok:
            raise invalid_template(
                f"Template parameter JToken type is not valid for the parameter '{name}'. "
                f"Expected '{_TYPE_LABEL[ptype]}'. Actual '{_type_name(value)}'. Please see "
                "https://aka.ms/arm-create-parameter-file for usage details.",
                where,
            )
        _check_constraints(name, decl, value, where)
        frame.params[key] = value


def _check_constraints(name: str, decl: dict[str, Any], value: Any, where: str) -> None:
    allowed = decl.get("allowedValues")
    if isinstance(allowed, list):
        items = value if isinstance(value, list) else [value]
        for item in items:
            if not any(_equal(item, a) for a in allowed):
                listing = ",".join(_to_string(a) for a in allowed)
                raise invalid_template(
                    f"The provided value '{_to_string(item)}' for the template parameter "
                    f"'{name}' {_AT} is not valid. The parameter value is not part of the "
                    f"allowed value(s): '{listing}'.",
                    where,
                )
    if isinstance(value, str | list):
        min_length = decl.get("minLength")
        max_length = decl.get("maxLength")
        if isinstance(min_length, int) and len(value) < min_length:
            raise invalid_template(
                f"The provided value for the template parameter '{name}' {_AT} is not valid. "
                f"Length of the value should be greater than or equal to '{min_length}'. "
                "Please see https://aka.ms/arm-parameters for usage details.",
                where,
            )
        if isinstance(max_length, int) and len(value) > max_length:
            raise invalid_template(
                f"The provided value for the template parameter '{name}' {_AT} is not valid. "
                f"Length of the value should be less than or equal to '{max_length}'. "
                "Please see https://aka.ms/arm-parameters for usage details.",
                where,
            )
    if isinstance(value, int) and not isinstance(value, bool):
        min_value = decl.get("minValue")
        max_value = decl.get("maxValue")
        if isinstance(min_value, int) and value < min_value:
            raise invalid_template(
                f"The provided value '{value}' for the template parameter '{name}' {_AT} is "
                f"not valid. The value should be greater than or equal to '{min_value}'.",
                where,
            )
        if isinstance(max_value, int) and value > max_value:
            raise invalid_template(
                f"The provided value '{value}' for the template parameter '{name}' {_AT} is "
                f"not valid. The value should be less than or equal to '{max_value}'.",
                where,
            )


# --- planning and deployment -------------------------------------------------------

_CONTROL_KEYS = {
    "condition",
    "copy",
    "dependson",
    "scope",
    "resourcegroup",
    "subscriptionid",
    "comments",
    "apiversion",
    "existing",
    "resources",
}


def _scope_id(frame: _Frame, scope_value: str) -> str:
    """A resource's ``scope`` property as a full id (relative values are under the RG)."""
    if scope_value.startswith("/"):
        return scope_value.rstrip("/")
    base = frame.scope.resource_group_id or frame.scope.subscription_resource_id
    return f"{base}/providers/{scope_value.strip('/')}"


def _declared_id(frame: _Frame, inst: _Instance, scope_value: str | None) -> tuple[str, str]:
    """``(resource id, real type)`` of a declared resource instance."""
    rtype, name = inst.type, inst.name
    namespace, *types = rtype.split("/")
    names = name.split("/")
    scope = frame.scope
    container = scope.resource_group_id or scope.subscription_resource_id
    lowered = [t.lower() for t in types]
    if "providers" in lowered:
        k = lowered.index("providers")
        base_types, ext_types = types[:k], types[k + 1 :]
        if len(names) != len(base_types) + 1 + len(ext_types):
            raise _segment_error(inst)
        base_names = names[: len(base_types)]
        ext_ns = names[len(base_types)]
        ext_names = names[len(base_types) + 1 :]
        base = f"{container}/providers/{namespace}/{_interleave(base_types, base_names)}"
        rid = f"{base}/providers/{ext_ns}/{_interleave(ext_types, ext_names)}"
        return rid, "/".join([ext_ns, *ext_types])
    if len(names) != len(types):
        raise _segment_error(inst)
    if scope_value:
        return (
            f"{_scope_id(frame, scope_value)}/providers/{namespace}/{_interleave(types, names)}",
            rtype,
        )
    if rtype.lower() == RESOURCE_GROUPS_TYPE.lower():
        if scope.resource_group is not None:
            raise invalid_template(
                f"The resource '{inst.path}' of type '{rtype}' can only be deployed at "
                "subscription scope.",
                inst.path,
            )
        return f"{scope.subscription_resource_id}/resourceGroups/{name}", rtype
    return f"{container}/providers/{namespace}/{_interleave(types, names)}", rtype


def _segment_error(inst: _Instance) -> TemplateError:
    return invalid_template(
        f"The template resource '{inst.name}' for type '{inst.type}' {_AT} has incorrect "
        "segment lengths. A nested resource type must have identical number of segments as "
        "its resource name. A root resource type must have segment length one greater than "
        f"its resource name. {_SYNTAX_HELP}",
        inst.path,
    )


class _Engine:
    def __init__(
        self, host: ResourceHost, on_resource: Callable[[ResourceEvent], None] | None
    ) -> None:
        self.host = host
        self.on_resource = on_resource
        self.result = DeploymentResult(outputs={})

    def emit(self, event: ResourceEvent) -> None:
        if self.on_resource is not None:
            self.on_resource(event)

    # planning -----------------------------------------------------------------------

    def plan(self, frame: _Frame, where: str) -> list[_Instance]:
        resources = frame.template.get("resources") or []
        decls: list[tuple[str | None, dict[str, Any], str]] = []
        if isinstance(resources, dict):
            for symbolic, decl in resources.items():
                decls.append((symbolic, decl, f"{where}resources['{symbolic}']"))
        else:
            for i, decl in enumerate(resources):
                decls.append((None, decl, f"{where}resources[{i}]"))
        instances: list[_Instance] = []
        for symbolic, decl, path in decls:
            if decl.get("existing"):
                continue
            copy_spec = decl.get("copy")
            if copy_spec is not None:
                loop = copy_spec.get("name") if isinstance(copy_spec, dict) else None
                count = _EVAL.value(_Ctx(frame, f"{path}.copy.count"), copy_spec.get("count"))
                if not isinstance(loop, str) or not isinstance(count, int) or count < 0:
                    raise invalid_template(
                        f"The copy loop of the resource at '{path}' needs a 'name' and a "
                        "non-negative integer 'count'.",
                        path,
                    )
                for i in range(count):
                    instances.append(
                        _Instance(len(instances), decl, path, {"": i, loop: i}, symbolic, loop)
                    )
            else:
                instances.append(_Instance(len(instances), decl, path, {}, symbolic, None))
        frame.instances = instances
        for inst in instances:
            self._describe(frame, inst)
        for inst in instances:
            self._dependencies(frame, inst, instances)
        return self._order(instances)

    def _describe(self, frame: _Frame, inst: _Instance) -> None:
        decl = inst.decl
        ctx = _Ctx(frame, inst.path, dict(inst.copy), allow_reference=False)
        rtype = decl.get("type")
        if not isinstance(rtype, str) or "/" not in rtype:
            raise invalid_template(
                f"The resource at '{inst.path}' must have a 'type' like 'Microsoft.X/y'.",
                inst.path,
            )
        inst.type = rtype
        name = _EVAL.value(ctx, decl.get("name"))
        if not isinstance(name, str) or not name:
            raise invalid_template(f"The resource at '{inst.path}' must have a 'name'.", inst.path)
        inst.name = name
        inst.api_version = str(decl.get("apiVersion") or "")
        if not inst.api_version:
            raise invalid_template(
                f"The resource '{rtype}/{name}' at '{inst.path}' has no 'apiVersion'.", inst.path
            )
        condition = _EVAL.value(ctx, decl.get("condition", True))
        if not isinstance(condition, bool):
            raise invalid_template(
                f"The 'condition' of the resource at '{inst.path}' must be a Boolean.", inst.path
            )
        inst.condition = condition
        if rtype.lower() == DEPLOYMENTS_TYPE.lower():
            target_scope = self._nested_scope(frame, inst, ctx)
            inst.resource_id = target_scope.deployment_id
            inst.real_type = DEPLOYMENTS_TYPE
            return
        scope_value = _EVAL.value(ctx, decl.get("scope")) if "scope" in decl else None
        if scope_value is not None and not isinstance(scope_value, str):
            raise invalid_template(f"The 'scope' at '{inst.path}' must be a string.", inst.path)
        inst.resource_id, inst.real_type = _declared_id(frame, inst, scope_value)

    def _nested_scope(self, frame: _Frame, inst: _Instance, ctx: _Ctx) -> DeploymentScope:
        decl = inst.decl
        scope = frame.scope
        rg = _EVAL.value(ctx, decl["resourceGroup"]) if "resourceGroup" in decl else None
        sub = _EVAL.value(ctx, decl["subscriptionId"]) if "subscriptionId" in decl else None
        if rg is None:
            rg = scope.resource_group
        return DeploymentScope(
            subscription_id=str(sub or scope.subscription_id),
            tenant_id=scope.tenant_id,
            location=str(_EVAL.value(ctx, decl.get("location")) or scope.location),
            deployer_object_id=scope.deployer_object_id,
            deployment_name=inst.name,
            resource_group=str(rg) if rg is not None else None,
            subscription_display_name=scope.subscription_display_name,
        )

    def _dependencies(self, frame: _Frame, inst: _Instance, instances: list[_Instance]) -> None:
        depends = inst.decl.get("dependsOn") or []
        if not isinstance(depends, list):
            raise invalid_template(f"'dependsOn' at '{inst.path}' must be an array.", inst.path)
        ctx = _Ctx(frame, f"{inst.path}.dependsOn", dict(inst.copy), allow_reference=False)
        for raw in depends:
            entry = _EVAL.value(ctx, raw)
            if not isinstance(entry, str):
                raise invalid_template(
                    f"A 'dependsOn' entry at '{inst.path}' must be a string.", inst.path
                )
            matches = self._match(entry, instances)
            if not matches:
                raise invalid_template(
                    f"The resource '{entry}' is not defined in the template (referenced from "
                    f"'dependsOn' at '{inst.path}'). {_SYNTAX_HELP}",
                    inst.path,
                )
            for other in matches:
                if other.index != inst.index and other.index not in inst.depends:
                    inst.depends.append(other.index)

    @staticmethod
    def _match(entry: str, instances: list[_Instance]) -> list[_Instance]:
        if entry.startswith("/"):
            key = normalize_id(entry)
            return [i for i in instances if normalize_id(i.resource_id) == key]
        low = entry.lower()
        found = [
            i
            for i in instances
            if (i.symbolic or "").lower() == low
            or (i.loop or "").lower() == low
            or i.name.lower() == low
            or f"{i.type}/{i.name}".lower() == low
        ]
        return found

    @staticmethod
    def _order(instances: list[_Instance]) -> list[_Instance]:
        done: set[int] = set()
        ordered: list[_Instance] = []
        pending = list(instances)
        while pending:
            ready = [i for i in pending if all(d in done for d in i.depends)]
            if not ready:
                names = ", ".join(f"'{i.type}/{i.name}'" for i in pending)
                raise invalid_template(
                    f"Circular dependency detected on resource(s): {names}. {_SYNTAX_HELP}"
                )
            first = ready[0]
            ordered.append(first)
            done.add(first.index)
            pending.remove(first)
        return ordered

    # deployment ------------------------------------------------------------------------

    def run(
        self,
        template: dict[str, Any],
        parameters: dict[str, Any] | None,
        scope: DeploymentScope,
        where: str,
    ) -> dict[str, dict[str, Any]]:
        """Deploy one template; returns its outputs. Raises TemplateError."""
        frame = _Frame(template, scope, self.host, self)
        _bind_parameters(frame, parameters, where=where or "parameters")
        return self._run_frame(frame, where)

    def _deploy_one(self, frame: _Frame, inst: _Instance) -> None:
        ctx = _Ctx(frame, inst.path, dict(inst.copy))
        scope = frame.scope
        self.emit(
            ResourceEvent("creating", inst.resource_id, inst.real_type, scope.deployment_name)
        )
        try:
            if inst.real_type == DEPLOYMENTS_TYPE:
                self._deploy_nested(frame, inst, ctx)
            else:
                body: dict[str, Any] = {}
                for key, value in inst.decl.items():
                    if key.lower() in _CONTROL_KEYS or key in ("type", "name"):
                        continue
                    body[key] = _EVAL.value(replace(ctx, where=f"{inst.path}.{key}"), value)
                body["name"] = inst.name.split("/")[-1]
                body["type"] = inst.real_type
                body["id"] = inst.resource_id
                self._create(inst.resource_id, inst.real_type, inst.api_version, body)
                self.result.resource_ids.append(inst.resource_id)
        except TemplateError as exc:
            if exc.code != "InvalidTemplate" or exc.details:
                self.emit(
                    ResourceEvent(
                        "failed", inst.resource_id, inst.real_type, scope.deployment_name, exc
                    )
                )
            raise
        self.emit(ResourceEvent("created", inst.resource_id, inst.real_type, scope.deployment_name))

    def _create(
        self, resource_id: str, rtype: str, api_version: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        try:
            return self.host.create(resource_id, rtype, api_version, body)
        except TemplateError:
            raise
        except Exception as exc:
            code = getattr(exc, "code", None)
            message = getattr(exc, "message", None)
            if not isinstance(code, str) or not isinstance(message, str):
                code, message = "InternalServerError", f"Creating the resource failed: {exc}"
            details = getattr(exc, "details", None) or []
            nested = [
                TemplateError(str(d.get("code")), str(d.get("message")))
                for d in details
                if isinstance(d, dict)
            ]
            raise TemplateError(code, message, resource_id, nested) from None

    def _deploy_nested(self, frame: _Frame, inst: _Instance, ctx: _Ctx) -> None:
        decl = inst.decl
        props = decl.get("properties") or {}
        if "templateLink" in props:
            raise invalid_template(
                f"The deployment '{inst.name}' uses 'templateLink', which the emulator does not "
                "support; embed the template.",
                inst.path,
            )
        template = props.get("template")
        target = self._nested_scope(frame, inst, ctx)
        where = f"{inst.path}.properties.template"
        inner = str((props.get("expressionEvaluationOptions") or {}).get("scope", "outer"))
        evaluated_props = {
            k: _EVAL.value(replace(ctx, where=f"{inst.path}.properties.{k}"), v)
            for k, v in props.items()
            if k not in ("template", "expressionEvaluationOptions")
        }
        _check_schema(template, subscription_scope=target.resource_group is None, where=where)
        assert isinstance(template, dict)
        if target.resource_group_id is not None and self.host.get(target.resource_group_id) is None:
            raise TemplateError(
                "ResourceGroupNotFound",
                f"Resource group '{target.resource_group}' could not be found.",
                inst.resource_id,
            )
        if inner.lower() == "inner":
            outputs = self.run(template, evaluated_props.get("parameters"), target, where)
        else:
            # outer scope: the nested template sees the parent's parameters and variables
            merged = dict(template)
            merged["parameters"] = {}
            merged["variables"] = {}
            child = _Frame(merged, target, self.host, self)
            child.params = frame.params
            child.variable_decls = frame.variable_decls
            child.variable_values = frame.variable_values
            outputs = self._run_frame(child, where)
        body = {
            "name": inst.name,
            "type": DEPLOYMENTS_TYPE,
            "id": inst.resource_id,
            "location": decl.get("location"),
            "properties": {
                "mode": evaluated_props.get("mode", "Incremental"),
                "provisioningState": "Succeeded",
                "outputs": outputs,
                "templateHash": unique_string(json.dumps(template, sort_keys=True)),
                "timestamp": datetime.now(UTC).isoformat(),
            },
        }
        if body["location"] is None:
            del body["location"]
        self._create(inst.resource_id, DEPLOYMENTS_TYPE, inst.api_version, body)
        self.result.deployment_ids.append(inst.resource_id)

    def _run_frame(self, frame: _Frame, where: str) -> dict[str, dict[str, Any]]:
        prefix = f"{where}." if where else ""
        for inst in self.plan(frame, prefix):
            if not inst.condition:
                continue
            try:
                self._deploy_one(frame, inst)
            except TemplateError as exc:
                if exc.code == "InvalidTemplate" and not exc.details:
                    raise
                raise TemplateError(
                    "DeploymentFailed", _DEPLOYMENT_FAILED, frame.scope.deployment_id, [exc]
                ) from None
        return self._outputs(frame, prefix)

    def _outputs(self, frame: _Frame, prefix: str) -> dict[str, dict[str, Any]]:
        outputs: dict[str, dict[str, Any]] = {}
        for name, decl in (frame.template.get("outputs") or {}).items():
            where = f"{prefix}outputs.{name}"
            ctx = _Ctx(frame, where)
            if not isinstance(decl, dict):
                raise invalid_template(f"The output '{name}' must be an object.", where)
            if "condition" in decl and not _EVAL.value(ctx, decl["condition"]):
                continue
            otype = str(decl.get("type", "string")).lower()
            value = _EVAL.value(ctx, decl.get("value"))
            if otype == "int" and not isinstance(value, int):
                value = int(value)
            elif otype == "bool" and not isinstance(value, bool):
                value = _bool(ctx, [value])
            elif otype in ("string", "securestring") and not isinstance(value, str):
                value = _to_string(value)
            outputs[name] = {"type": _OUTPUT_TYPES.get(otype, "String"), "value": value}
        return outputs


def validate(
    template: dict[str, Any], parameters: dict[str, Any] | None, *, scope: DeploymentScope
) -> None:
    """The validation phase: schema, expressions, parameter binding. Raises TemplateError."""
    _check_schema(template, subscription_scope=scope.resource_group is None, where="template")
    _check_template_statically(template, "")
    frame = _Frame(template, scope, None, None)
    _bind_parameters(frame, parameters, where="parameters")


def deploy(
    template: dict[str, Any],
    parameters: dict[str, Any] | None,
    *,
    scope: DeploymentScope,
    host: ResourceHost,
    on_resource: Callable[[ResourceEvent], None] | None = None,
) -> DeploymentResult:
    """Validate and deploy ``template`` (see the module docstring)."""
    validate(template, parameters, scope=scope)
    engine = _Engine(host, on_resource)
    engine.result.outputs = engine.run(template, parameters, scope, "")
    return engine.result


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
    frame = _Frame({"variables": variables or {}}, scope, host, None)
    frame.params = {k.lower(): v for k, v in (parameters or {}).items()}
    copy_state = {} if copy_index is None else {"": copy_index}
    return _EVAL.value(_Ctx(frame, "value", copy_state), value)
