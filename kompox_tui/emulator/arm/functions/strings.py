"""String functions: concat, format, toLower, toUpper, substring, replace, split,
string, base64, uniqueString, guid."""

from __future__ import annotations

import base64
import re
from typing import Any

from ..errors import ExpressionError
from ..evaluate import Ctx
from ..ids import deterministic_guid, unique_string
from ..registry import arity, function, want
from ..values import to_string


@function("concat")
def _concat(ctx: Ctx, args: list[Any]) -> Any:
    # ARM's concat is two functions: all arrays (null counts as empty) or all scalars.
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
    return "".join(to_string(a) for a in args)


@function("format")
def _format(ctx: Ctx, args: list[Any]) -> Any:
    arity("format", args, 1, -1)
    return dotnet_format(want("format", args[0], str), args[1:])


@function("toLower")
def _to_lower(ctx: Ctx, args: list[Any]) -> Any:
    arity("toLower", args, 1)
    return want("toLower", args[0], str).lower()


@function("toUpper")
def _to_upper(ctx: Ctx, args: list[Any]) -> Any:
    arity("toUpper", args, 1)
    return want("toUpper", args[0], str).upper()


@function("substring")
def _substring(ctx: Ctx, args: list[Any]) -> Any:
    arity("substring", args, 1, 3)
    text = want("substring", args[0], str)
    start = want("substring", args[1], int) if len(args) > 1 else 0
    length = want("substring", args[2], int) if len(args) > 2 else len(text) - start
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


@function("replace")
def _replace(ctx: Ctx, args: list[Any]) -> Any:
    arity("replace", args, 3)
    text, old, new = (want("replace", a, str) for a in args)
    return text.replace(old, new)


@function("split")
def _split(ctx: Ctx, args: list[Any]) -> Any:
    arity("split", args, 2)
    text = want("split", args[0], str)
    delims = args[1] if isinstance(args[1], list) else [want("split", args[1], str)]
    if not delims:
        return [text]
    pattern = "|".join(re.escape(want("split", d, str)) for d in delims)
    return re.split(pattern, text)


@function("string")
def _string(ctx: Ctx, args: list[Any]) -> Any:
    arity("string", args, 1)
    return to_string(args[0])


@function("base64")
def _base64(ctx: Ctx, args: list[Any]) -> Any:
    arity("base64", args, 1)
    return base64.b64encode(want("base64", args[0], str).encode("utf-8")).decode("ascii")


@function("uniqueString")
def _unique_string(ctx: Ctx, args: list[Any]) -> Any:
    arity("uniqueString", args, 1, -1)
    return unique_string(*[want("uniqueString", a, str) for a in args])


@function("guid")
def _guid(ctx: Ctx, args: list[Any]) -> Any:
    arity("guid", args, 1, -1)
    return deterministic_guid(*[want("guid", a, str) for a in args])


def dotnet_format(fmt: str, args: list[Any]) -> str:
    """.NET composite formatting, as ``format()`` uses it: ``{0}``, ``{0,5}``, ``{0:D3}``,
    ``{{``/``}}`` escapes."""
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
            out.append(_format_item(fmt, fmt[i + 1 : end], args))
            i = end + 1
            continue
        if ch == "}" and fmt.startswith("}}", i):
            out.append("}")
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _format_item(fmt: str, spec: str, args: list[Any]) -> str:
    """One ``{index[,alignment][:format]}`` item."""
    index_text, _, number_format = spec.partition(":")
    index_text, _, align_text = index_text.partition(",")
    try:
        value = args[int(index_text)]
    except (ValueError, IndexError):
        raise ExpressionError(
            f"The format string '{fmt}' refers to argument '{index_text}', which "
            f"was not provided ({len(args)} given)."
        ) from None
    text = _format_value(value, number_format)
    if align_text:
        try:
            width = int(align_text)
        except ValueError:
            raise ExpressionError(
                f"The format string '{fmt}' has the alignment '{align_text}', which is not an "
                "integer."
            ) from None
        text = text.rjust(width) if width > 0 else text.ljust(-width)
    return text


def _format_value(value: Any, spec: str) -> str:
    """The standard numeric formats D, N, F, X (others print the value as ``string()``)."""
    if not spec or not isinstance(value, int | float) or isinstance(value, bool):
        return to_string(value)
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
    return to_string(value)
