"""Kubernetes quantities (``32Gi``, ``10G``, ``1e9``, plain bytes) as exact byte counts.

Pure functions shared by the config loader and the model (no imports from either, so the
model can use them without an import cycle).
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

GIB = 2**30

_QUANTITY = re.compile(
    r"(?P<sign>[+-]?)(?P<number>\d+(?:\.\d*)?|\.\d+)"
    r"(?:(?P<binary>Ki|Mi|Gi|Ti|Pi|Ei)|[eE](?P<exp>[+-]?\d+)|(?P<decimal>[mkMGTPE]?))"
)
_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {
    "m": Fraction(1, 1000),
    "": Fraction(1),
    "k": Fraction(10**3),
    "M": Fraction(10**6),
    "G": Fraction(10**9),
    "T": Fraction(10**12),
    "P": Fraction(10**15),
    "E": Fraction(10**18),
}
SIZE_EXPECTED = (
    "expected a positive Kubernetes quantity such as 32Gi, 1Ti, 500Mi, 10G or a number of bytes"
)


def parse_exact(text: str) -> Fraction:
    """The exact number of bytes ``text`` means; ValueError with a readable reason if none."""
    value = text.strip()
    # fullmatch: a trailing newline (a ``|`` block scalar) is not a quantity.
    match = _QUANTITY.fullmatch(value)
    if not match:
        raise ValueError(f"'{text}' is not a quantity; {SIZE_EXPECTED}")
    if match["sign"] == "-":
        raise ValueError(f"'{text}' is negative; {SIZE_EXPECTED}")
    number = Fraction(match["number"])
    if match["binary"]:
        size = number * _BINARY[match["binary"]]
    elif match["exp"] is not None:
        exponent = int(match["exp"])
        if abs(exponent) > 30:
            raise ValueError(f"'{text}' has an exponent out of range; {SIZE_EXPECTED}")
        size = number * Fraction(10) ** exponent
    else:
        size = number * _DECIMAL[match["decimal"] or ""]
    if size <= 0:
        raise ValueError(f"'{text}' is zero; {SIZE_EXPECTED}")
    return size


def parse_bytes(text: str) -> int:
    """Whole bytes, rounded up (as Kubernetes ``Quantity.Value()`` does)."""
    return math.ceil(parse_exact(text))


def parse_size_gib(text: str) -> int:
    """Whole GiB, rounded up, at least 1 (the guide layout's disk size)."""
    return max(1, math.ceil(parse_exact(text) / GIB))
