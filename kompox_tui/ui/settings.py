"""The UI's remembered choices (the theme), in a small JSON file.

``default_settings_path()`` is ``<platformdirs user config>/kompox-tui/ui.json``; the
CLI passes it to the app, tests pass a temporary path (or none: nothing is kept).
A missing, unreadable or malformed file means "no saved choices", never an error:
remembering a theme must not stop the app from starting.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

#: A settings file larger than this is not ours (or not a file): ignored.
MAX_BYTES = 64 * 1024


def default_settings_path() -> Path:
    from platformdirs import user_config_path

    return user_config_path("kompox-tui", appauthor=False) / "ui.json"


def load_settings(path: Path) -> dict[str, Any]:
    """The saved settings, or ``{}`` when there are none (or they cannot be read)."""
    try:
        if not path.is_file() or path.stat().st_size > MAX_BYTES:
            return {}
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save_settings(path: Path, updates: dict[str, Any]) -> None:
    """Merge ``updates`` into the file, atomically; failures are ignored (best effort)."""
    data = load_settings(path)
    data.update(updates)
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".ui-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh, indent=2, sort_keys=True)
                fh.write("\n")
            os.replace(tmp, path)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
