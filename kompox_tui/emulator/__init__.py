"""The built-in Azure (ARM + Entra ID) and Kubernetes emulator.

``from kompox_tui.emulator import Emulator`` — see :mod:`kompox_tui.emulator.server`.
No Textual imports anywhere in this package.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .server import Emulator

__all__ = ["Emulator"]


def __getattr__(name: str) -> Any:
    if name == "Emulator":
        from .server import Emulator

        return Emulator
    raise AttributeError(name)
