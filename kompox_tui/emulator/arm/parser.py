"""Phase 2: tokens become an expression tree (see nodes.py).

Grammar (ARM's, without Bicep's operators)::

    expr    := primary ( '.' ident | '[' expr ']' )*
    primary := string | number | ident '(' [ expr ( ',' expr )* ] ')' | true | false | null
"""

from __future__ import annotations

from typing import Any

from .errors import ExpressionError
from .nodes import Call, Index, Literal, Node, Property
from .tokens import tokenize

_BARE_LITERALS = {"true": True, "false": False, "null": None}
_CACHE_LIMIT = 10000
_PARSE_CACHE: dict[str, Node] = {}


def parse_expression(text: str) -> Node:
    """Parse the inside of ``[...]``; raises ExpressionError."""
    node = _PARSE_CACHE.get(text)
    if node is None:
        node = _Parser(text).parse()
        # Templates repeat the same expressions across copy loops and redeployments.
        if len(_PARSE_CACHE) < _CACHE_LIMIT:
            _PARSE_CACHE[text] = node
    return node


def is_expression(value: Any) -> bool:
    """A JSON string ARM evaluates: ``[...]``, but not the ``[[...]`` escape."""
    return (
        isinstance(value, str)
        and value.startswith("[")
        and value.endswith("]")
        and not value.startswith("[[")
    )


class _Parser:
    """Recursive descent over one expression's tokens."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0

    def fail(self, what: str) -> ExpressionError:
        if self.i < len(self.tokens):
            pos = self.tokens[self.i].pos
            return ExpressionError(
                f"The language expression '{self.text}' is not valid: {what} at position '{pos}'."
            )
        return ExpressionError(
            f"The language expression '{self.text}' is not valid: {what} at the end."
        )

    def peek(self) -> str | None:
        return self.tokens[self.i].kind if self.i < len(self.tokens) else None

    def take(self, kind: str) -> Any:
        if self.peek() != kind:
            raise self.fail(f"expected '{kind}'")
        value = self.tokens[self.i].value
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
        node = self.primary()
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

    def primary(self) -> Node:
        kind = self.peek()
        if kind == "str":
            return Literal(self.take("str"))
        if kind == "num":
            return Literal(self.take("num"))
        if kind != "ident":
            raise self.fail("expected a function call, a string or a number")
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
            return Call(name, tuple(args))
        if name.lower() in _BARE_LITERALS:
            return Literal(_BARE_LITERALS[name.lower()])
        raise self.fail(f"the identifier '{name}' must be a function call")
