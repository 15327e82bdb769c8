"""kompox-tui: a terminal UI over the Kompox AKS provider driver."""

__version__ = "0.1.0"
