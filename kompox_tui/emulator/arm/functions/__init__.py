"""Phase 3: the template functions, one module per family; importing registers them.

Which functions are here, and why those, is in ``arm/README.md``.
"""

from __future__ import annotations

from ..registry import known_functions
from . import arrays, deployment, logical, resources, strings

KNOWN_FUNCTIONS = known_functions()
"""Lower-cased names of every supported template function."""

__all__ = ["KNOWN_FUNCTIONS", "arrays", "deployment", "logical", "resources", "strings"]
