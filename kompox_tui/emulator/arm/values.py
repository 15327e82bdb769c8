"""ARM's value semantics shared by functions, validation and the engine.

Type names as ARM's messages print them, string conversion as ``string()`` does it
(``True``/``False``, compact JSON for objects) and equality as ``equals()`` does it
(object keys compare case-insensitively, ``1`` is not ``true``).
"""

from __future__ import annotations

import json
from typing import Any

from .errors import ExpressionError


def type_name(value: Any) -> str:
    """ARM's name for the JSON type of ``value`` (``String``, ``Integer``, ...)."""
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


def to_string(value: Any) -> str:
    """``string(value)``."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "True" if value else "False"
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def equal(a: Any, b: Any) -> bool:
    """``equals(a, b)``."""
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    if isinstance(a, dict) and isinstance(b, dict):
        if {k.lower() for k in a} != {k.lower() for k in b}:
            return False
        lb = {k.lower(): v for k, v in b.items()}
        return all(equal(v, lb[k.lower()]) for k, v in a.items())
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def to_bool(value: Any) -> bool:
    """``bool(value)``: Booleans, integers (non-zero) and the strings true/false."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ExpressionError(
        f"The template language function 'bool' cannot convert '{value}' to a Boolean."
    )
