"""Deployment Stacks at subscription scope (emulator part 2). Placeholder until implemented."""

from __future__ import annotations

from .core import EmulatorContext


def register(ctx: EmulatorContext) -> None:
    """Add the deployment stack routes and generic resource types to ``ctx``."""
