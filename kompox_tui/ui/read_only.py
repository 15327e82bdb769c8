"""Read-only sessions: say why a key that would change something does nothing."""

from __future__ import annotations

from collections.abc import Iterable

from textual.binding import Binding, BindingType


def refused_action(
    bindings: Iterable[BindingType], key: str, mutating: frozenset[str]
) -> str | None:
    """The description of the mutating action bound to ``key``, or None."""
    for binding in bindings:
        if not isinstance(binding, Binding):
            continue
        action = binding.action.split("(", 1)[0]
        if action in mutating and key in (k.strip() for k in binding.key.split(",")):
            return binding.description or action
    return None


def refusal_text(description: str) -> str:
    return f"{description} is not available: this session is read-only (--read-only)."
