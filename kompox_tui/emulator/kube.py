"""Kubernetes API per managed cluster (emulator part 2). Placeholder until implemented."""

from __future__ import annotations

from .core import EmulatorContext


def register(ctx: EmulatorContext) -> None:
    """Add the Kubernetes API routes and ``ctx.services["kube"]``."""
