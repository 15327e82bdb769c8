"""The function table: name -> implementation, and the argument checks they share.

Two kinds of function:

* eager (``@function``): receives its arguments already evaluated;
* lazy (``@lazy_function``): receives the argument *nodes* and evaluates what it
  needs, so ``if`` evaluates one branch and ``and``/``or`` can stop early, as ARM does.

Names are matched case-insensitively. The modules under ``functions/`` register
themselves when ``functions`` is imported (the package ``__init__`` does it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .errors import ExpressionError
from .values import type_name

if TYPE_CHECKING:
    from .evaluate import Ctx, Evaluator
    from .nodes import Node

Fn = Callable[["Ctx", list[Any]], Any]
LazyFn = Callable[["Evaluator", "Ctx", "tuple[Node, ...]"], Any]
FUNCTIONS: dict[str, Fn] = {}
LAZY_FUNCTIONS: dict[str, LazyFn] = {}

# Every function ARM's documentation lists (aka.ms/arm-functions), lower-cased. Those
# the emulator does not implement get a message that says so, rather than ARM's
# "not valid", which would send the user looking for a typo.
_ARM_FUNCTIONS_BY_FAMILY = {
    "array": "array concat contains createArray empty first indexFromEnd indexOf "
    "intersection last lastIndexOf length max min range skip take tryGet tryIndexFromEnd "
    "union",
    "CIDR": "parseCidr cidrSubnet cidrHost",
    "comparison": "coalesce equals greater greaterOrEquals less lessOrEquals",
    "date": "dateTimeAdd dateTimeFromEpoch dateTimeToEpoch utcNow",
    "deployment": "deployer deployment environment parameters variables",
    "lambda": "filter groupBy map mapValues reduce sort toObject",
    "logical": "and bool false if not or true",
    "numeric": "add copyIndex div float int max min mod mul sub",
    "object": "contains createObject empty intersection items json length null objectKeys "
    "shallowMerge tryGet union",
    "resource": "extensionResourceId listAccountSas listKeys listSecrets pickZones providers "
    "reference references resourceId subscriptionResourceId tenantResourceId "
    "managementGroupResourceId",
    "scope": "managementGroup resourceGroup subscription tenant",
    "string": "base64 base64ToJson base64ToString concat contains dataUri dataUriToString "
    "empty endsWith first format guid indexOf join json last lastIndexOf length newGuid "
    "padLeft replace skip split startsWith string substring take toLower toUpper trim "
    "uniqueString uri uriComponent uriComponentToString",
}
ARM_FUNCTIONS = frozenset(
    name.lower() for names in _ARM_FUNCTIONS_BY_FAMILY.values() for name in names.split()
)


def function(*names: str) -> Callable[[Fn], Fn]:
    """Register an eager function under ``names``."""

    def register(f: Fn) -> Fn:
        for n in names:
            FUNCTIONS[n.lower()] = f
        return f

    return register


def lazy_function(name: str) -> Callable[[LazyFn], LazyFn]:
    """Register a function that evaluates its own arguments."""

    def register(f: LazyFn) -> LazyFn:
        LAZY_FUNCTIONS[name] = f
        return f

    return register


def known_functions() -> frozenset[str]:
    """Lower-cased names of every implemented function."""
    return frozenset(FUNCTIONS) | frozenset(LAZY_FUNCTIONS)


def unsupported_note(name: str) -> str:
    """Extra words for an unknown function: empty, or that Azure has it but we do not."""
    if name.lower() in ARM_FUNCTIONS or name.lower().startswith("list"):
        return (
            " It is an ARM function the emulator does not implement (see "
            "kompox_tui/emulator/arm/README.md); rewrite the expression without it."
        )
    return ""


def arity(name: str, args: list[Any], low: int, high: int | None = None) -> None:
    """Check the argument count; ``high`` -1 means no upper bound."""
    high = low if high is None else high
    if not low <= len(args) <= (high if high >= 0 else 10**9):
        expected = str(low) if low == high else f"{low} to {high}" if high >= 0 else f">= {low}"
        raise ExpressionError(
            f"The template language function '{name}' must have {expected} argument(s), "
            f"{len(args)} given."
        )


def want(name: str, value: Any, *types: type) -> Any:
    """``value`` if it is one of ``types`` (a Boolean is not an integer), else an error."""
    ok = isinstance(value, types) and not (isinstance(value, bool) and bool not in types)
    if not ok:
        wanted = " or ".join(type_name(t()) if t is not type(None) else "Null" for t in types)
        raise ExpressionError(
            f"The template language function '{name}' expects its parameter to be of type "
            f"'{wanted}'. The provided value is of type '{type_name(value)}'."
        )
    return value
