"""Compatibility name for the ARM template engine, which lives in ``emulator/arm/``.

stacks.py, deployments.py, stack_validate.py and several tests import from here;
new code imports ``kompox_tui.emulator.arm``.
"""

from __future__ import annotations

from . import arm as _arm
from .arm import *  # noqa: F403  (the shim re-exports exactly the engine's public names)

__all__ = _arm.__all__
