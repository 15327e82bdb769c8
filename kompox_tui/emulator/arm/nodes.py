"""The expression tree (AST) the parser builds and the evaluator walks.

``variables('a').b[0]`` is ``Index(Property(Call('variables', (Literal('a'),)), 'b'),
Literal(0))``. Nodes are frozen so a parsed expression can be cached and shared.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


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


def calls(node: Node) -> Iterable[Call]:
    """Every function call in ``node``, outermost first (the validator checks their names)."""
    if isinstance(node, Call):
        yield node
        for arg in node.args:
            yield from calls(arg)
    elif isinstance(node, Property):
        yield from calls(node.target)
    elif isinstance(node, Index):
        yield from calls(node.target)
        yield from calls(node.index)
