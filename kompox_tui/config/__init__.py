"""Read kompoxops configuration into the frozen types of :mod:`kompox_tui.model`.

Loads what real kompoxops v0.0.23 loads: ``kompoxops.yml`` (with ``workspace:`` or the guide's
``service:``) and KOM documents (``kompoxapp.yml``, ``KOMPOX_KOM_PATH``), one Config per
(cluster, app) pair. Every problem raises :class:`~kompox_tui.errors.ConfigError` naming the
file, the YAML line, the key path, the offending value (never a secret, never a URL password)
and what is expected; near-miss keys and surprising values become ``Config.warnings``.
Nothing here touches the network.

Modules: ``yamlsrc`` (YAML source text, safe file reads), ``fields`` (typed reads, warnings),
``provider`` (provider settings), ``sections`` (cluster and app), ``kompoxops_file``,
``kom`` (KOM documents), ``loader`` (discovery and loading).
"""

from __future__ import annotations

from kompox_tui.quantity import parse_size_gib

from .kompoxops_file import SUPPORTED_VERSION
from .loader import (
    DB_URL_ENV,
    DEFAULT_CONFIG_FILE,
    DEFAULT_KOM_APP,
    KOM_APP_ENV,
    KOM_PATH_ENV,
    all_warnings,
    discover_config_paths,
    load_config,
    load_configs,
)
from .provider import AUTH_METHODS, KNOWN_SETTINGS, LAYOUT_SETTING
from .sections import resource_group_problem
from .yamlsrc import clean, redact

__all__ = [
    "AUTH_METHODS",
    "DB_URL_ENV",
    "DEFAULT_CONFIG_FILE",
    "DEFAULT_KOM_APP",
    "KNOWN_SETTINGS",
    "KOM_APP_ENV",
    "KOM_PATH_ENV",
    "LAYOUT_SETTING",
    "SUPPORTED_VERSION",
    "all_warnings",
    "clean",
    "discover_config_paths",
    "load_config",
    "load_configs",
    "parse_size_gib",
    "redact",
    "resource_group_problem",
]
