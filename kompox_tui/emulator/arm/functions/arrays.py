"""Array and object functions: createArray, createObject, union, contains, empty,
length, first, last, take, skip, range, json."""

from __future__ import annotations

import json
from typing import Any

from ..errors import ExpressionError
from ..evaluate import Ctx
from ..registry import arity, function, want
from ..values import equal, to_string, type_name

_RANGE_COUNT_LIMIT = 10000
_INT32_MAX = 2147483647


@function("createArray")
def _create_array(ctx: Ctx, args: list[Any]) -> Any:
    return list(args)


@function("createObject")
def _create_object(ctx: Ctx, args: list[Any]) -> Any:
    if len(args) % 2:
        raise ExpressionError(
            "The template language function 'createObject' must have an even number of "
            "parameters (name, value pairs)."
        )
    out: dict[str, Any] = {}
    for i in range(0, len(args), 2):
        out[want("createObject", args[i], str)] = args[i + 1]
    return out


@function("union")
def _union(ctx: Ctx, args: list[Any]) -> Any:
    arity("union", args, 1, -1)
    if all(isinstance(a, dict) for a in args):
        out: Any = {}
        for a in args:
            out = deep_union(out, a)
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


def deep_union(a: Any, b: Any) -> Any:
    """``union`` of two objects: nested objects merge, anything else from ``b`` wins."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = dict(a)
        for key, value in b.items():
            existing = next((k for k in out if k.lower() == key.lower()), None)
            if existing is not None and isinstance(out[existing], dict) and isinstance(value, dict):
                out[existing] = deep_union(out[existing], value)
            else:
                if existing is not None:
                    del out[existing]
                out[key] = value
        return out
    return b


@function("contains")
def _contains(ctx: Ctx, args: list[Any]) -> Any:
    arity("contains", args, 2)
    container, item = args
    if isinstance(container, str):
        return to_string(item) in container
    if isinstance(container, list):
        return any(equal(x, item) for x in container)
    if isinstance(container, dict):
        return to_string(item).lower() in {k.lower() for k in container}
    raise ExpressionError(
        f"The template language function 'contains' expects a string, array or object as its "
        f"first parameter; got '{type_name(container)}'."
    )


@function("empty")
def _empty(ctx: Ctx, args: list[Any]) -> Any:
    arity("empty", args, 1)
    value = args[0]
    return value is None or (isinstance(value, str | list | dict) and len(value) == 0)


@function("length")
def _length(ctx: Ctx, args: list[Any]) -> Any:
    arity("length", args, 1)
    return len(want("length", args[0], str, list, dict))


@function("first")
def _first(ctx: Ctx, args: list[Any]) -> Any:
    arity("first", args, 1)
    seq = want("first", args[0], str, list)
    return seq[0] if seq else ("" if isinstance(seq, str) else None)


@function("last")
def _last(ctx: Ctx, args: list[Any]) -> Any:
    arity("last", args, 1)
    seq = want("last", args[0], str, list)
    return seq[-1] if seq else ("" if isinstance(seq, str) else None)


@function("take")
def _take(ctx: Ctx, args: list[Any]) -> Any:
    arity("take", args, 2)
    seq = want("take", args[0], str, list)
    count = max(0, want("take", args[1], int))
    return seq[:count]


@function("skip")
def _skip(ctx: Ctx, args: list[Any]) -> Any:
    arity("skip", args, 2)
    seq = want("skip", args[0], str, list)
    count = max(0, want("skip", args[1], int))
    return seq[count:]


@function("range")
def _range(ctx: Ctx, args: list[Any]) -> Any:
    arity("range", args, 2)
    start, count = (want("range", a, int) for a in args)
    # ARM's documented bounds; they also keep a template from exhausting the emulator.
    if not 0 <= count <= _RANGE_COUNT_LIMIT:
        raise ExpressionError(
            f"The template language function 'range' got count {count}; it must be a "
            f"non-negative integer up to {_RANGE_COUNT_LIMIT}."
        )
    if start + count > _INT32_MAX:
        raise ExpressionError(
            f"The template language function 'range': the sum of startIndex and count must "
            f"be no greater than {_INT32_MAX}."
        )
    return list(range(start, start + count))


@function("json")
def _json(ctx: Ctx, args: list[Any]) -> Any:
    arity("json", args, 1)
    try:
        return json.loads(want("json", args[0], str))
    except ValueError as exc:
        raise ExpressionError(
            f"The template language function 'json' could not parse its argument: {exc}"
        ) from None
