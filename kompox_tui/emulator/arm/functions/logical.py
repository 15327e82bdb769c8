"""Logical, comparison and numeric functions: if, and, or, not, true, false, null,
equals, coalesce, bool, int.

``if``, ``and`` and ``or`` are lazy: ARM evaluates only the chosen branch of ``if``
(``if(c, parameters('x'), 'd')`` is fine when ``x`` is missing and ``c`` false).
"""

from __future__ import annotations

from typing import Any

from ..errors import ExpressionError
from ..evaluate import Ctx, Evaluator
from ..nodes import Node
from ..registry import arity, function, lazy_function, want
from ..values import equal, to_bool


@lazy_function("if")
def _if(ev: Evaluator, ctx: Ctx, args: tuple[Node, ...]) -> Any:
    if len(args) != 3:
        raise ExpressionError(
            f"The template language function 'if' must have 3 argument(s), {len(args)} given."
        )
    cond = want("if", ev.node(ctx, args[0]), bool)
    return ev.node(ctx, args[1] if cond else args[2])


@lazy_function("and")
def _and(ev: Evaluator, ctx: Ctx, args: tuple[Node, ...]) -> Any:
    if len(args) < 2:
        raise ExpressionError("The template language function 'and' needs at least 2 arguments.")
    return all(want("and", ev.node(ctx, a), bool) for a in args)


@lazy_function("or")
def _or(ev: Evaluator, ctx: Ctx, args: tuple[Node, ...]) -> Any:
    if len(args) < 2:
        raise ExpressionError("The template language function 'or' needs at least 2 arguments.")
    return any(want("or", ev.node(ctx, a), bool) for a in args)


@function("not")
def _not(ctx: Ctx, args: list[Any]) -> Any:
    arity("not", args, 1)
    return not want("not", args[0], bool)


@function("true")
def _true(ctx: Ctx, args: list[Any]) -> Any:
    arity("true", args, 0)
    return True


@function("false")
def _false(ctx: Ctx, args: list[Any]) -> Any:
    arity("false", args, 0)
    return False


@function("null")
def _null(ctx: Ctx, args: list[Any]) -> Any:
    arity("null", args, 0)
    return None


@function("equals")
def _equals(ctx: Ctx, args: list[Any]) -> Any:
    arity("equals", args, 2)
    return equal(args[0], args[1])


@function("coalesce")
def _coalesce(ctx: Ctx, args: list[Any]) -> Any:
    arity("coalesce", args, 1, -1)
    return next((a for a in args if a is not None), None)


@function("bool")
def _bool(ctx: Ctx, args: list[Any]) -> Any:
    arity("bool", args, 1)
    return to_bool(args[0])


@function("int")
def _int(ctx: Ctx, args: list[Any]) -> Any:
    arity("int", args, 1)
    value = args[0]
    if isinstance(value, bool):
        raise ExpressionError("The template language function 'int' cannot convert a Boolean.")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ExpressionError(
            f"The template language function 'int' cannot convert '{value}' to an integer."
        ) from None
