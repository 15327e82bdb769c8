"""Deployment Stacks at subscription scope, moto-style: routes -> deployer -> model.

- :mod:`.routes` — the REST routes (PUT, GET, list, exportTemplate, DELETE, the async
  status and the stack's own deployment record);
- :mod:`.validate` — the ``validate`` action (a dry run that creates nothing);
- :mod:`.deployer` — a PUT's run through the template engine, delete/detach of managed
  resources, and the threads that do both;
- :mod:`.model` — the stack's constants and JSON shapes.

The resources a stack deploys are created through ``ctx.resource_types``; the ones no
dedicated module owns are :mod:`..generic_resources`.
"""

from __future__ import annotations

from ..core import EmulatorContext
from . import routes, validate
from .model import STACK_TYPE, STACKS_NS, TEMPLATES_NS

__all__ = ["STACKS_NS", "STACK_TYPE", "TEMPLATES_NS", "register"]


def register(ctx: EmulatorContext) -> None:
    """Add the deployment stack routes and the ``validate`` action."""
    routes.register(ctx)
    validate.register(ctx)
