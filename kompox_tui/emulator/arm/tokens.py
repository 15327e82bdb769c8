"""Phase 1: the inside of ``[...]`` becomes a list of tokens.

Token kinds: ``str`` (a ``'...'`` literal, ``''`` is an escaped quote), ``num``
(integer or decimal, optionally negative), ``ident`` (a function name or
``true``/``false``/``null``) and the punctuation ``( ) , . [ ]``.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from .errors import ExpressionError

_NUMBER = re.compile(r"-?\d+(\.\d+)?")
_IDENT = re.compile(r"[A-Za-z_$][\w$]*")
PUNCTUATION = "(),.[]"


class Token(NamedTuple):
    kind: str
    """``str``, ``num``, ``ident`` or the punctuation character itself."""
    value: Any
    pos: int
    """Offset in the expression text (ARM's error messages name it)."""


def tokenize(text: str) -> list[Token]:
    """The tokens of one expression; raises ExpressionError on a character ARM rejects."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        if text[pos].isspace():
            pos += 1
            continue
        if text[pos] == "'":
            pos = _string_literal(text, pos, tokens)
            continue
        m = _NUMBER.match(text, pos)
        # A lone "-" is not a number (and not valid ARM either: reported below).
        if m and (text[pos] != "-" or len(m.group(0)) > 1):
            raw = m.group(0)
            tokens.append(Token("num", float(raw) if "." in raw else int(raw), pos))
            pos += len(raw)
            continue
        m = _IDENT.match(text, pos)
        if m:
            tokens.append(Token("ident", m.group(0), pos))
            pos += len(m.group(0))
            continue
        if text[pos] in PUNCTUATION:
            tokens.append(Token(text[pos], text[pos], pos))
            pos += 1
            continue
        raise ExpressionError(
            f"The language expression '{text}' is not valid: the character '{text[pos]}' "
            f"at position '{pos}' is not expected."
        )
    return tokens


def _string_literal(text: str, start: int, tokens: list[Token]) -> int:
    """Append the literal starting at ``start`` (a quote); returns the offset after it."""
    end = start + 1
    chars: list[str] = []
    while True:
        if end >= len(text):
            raise ExpressionError(
                f"The language expression '{text}' is not valid: the string literal "
                f"starting at position '{start}' is not terminated."
            )
        if text[end] == "'":
            if end + 1 < len(text) and text[end + 1] == "'":
                chars.append("'")
                end += 2
                continue
            break
        chars.append(text[end])
        end += 1
    tokens.append(Token("str", "".join(chars), start))
    return end + 1
