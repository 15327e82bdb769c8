"""The local record of swaps: which disk was assigned before the last one.

Azure keeps only the current ``kompox-disk-assigned`` tag, so "roll back" needs
memory of our own: a small JSON file under platformdirs' user state directory,
keyed by provider/cluster/app/volume, written after each successful assign. It
holds disk names and times only (no ids, no secrets). A missing or unreadable
file is an empty history: the marker is a convenience, never a reason to fail.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

FILE_NAME = "assign-history.json"
#: Swaps kept per volume (newest last); enough to show and undo the last one.
KEEP = 20


@dataclass(frozen=True)
class Swap:
    previous: tuple[str, ...]
    """The disks that were assigned before (usually one; none for a repair)."""
    assigned: str
    at: str
    """ISO 8601 time of the swap."""


class AssignHistory:
    """Swaps per volume key, persisted to ``path`` (None: memory only)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._data: dict[str, list[dict[str, Any]]] = self._read()

    @classmethod
    def default(cls) -> AssignHistory:
        import platformdirs

        return cls(platformdirs.user_state_path("kompox-tui") / FILE_NAME)

    def _read(self) -> dict[str, list[dict[str, Any]]]:
        if self.path is None:
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict):
            return {}
        return {k: v for k, v in data.items() if isinstance(v, list)}

    def record(self, key: str, previous: list[str], assigned: str, at: datetime) -> None:
        entry = {"previous": list(previous), "assigned": assigned, "at": at.isoformat()}
        with self._lock:
            swaps = self._data.setdefault(key, [])
            swaps.append(entry)
            del swaps[:-KEEP]
            snapshot = json.dumps(self._data, indent=1, sort_keys=True)
        self._write(snapshot)

    def _write(self, text: str) -> None:
        if self.path is None:
            return
        # Best effort and atomic: a crash never leaves half a file behind.
        with contextlib.suppress(OSError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".assign-history.")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    handle.write(text)
                os.replace(tmp, self.path)
            finally:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)

    def last(self, key: str) -> Swap | None:
        with self._lock:
            swaps = self._data.get(key) or []
            entry = swaps[-1] if swaps else None
        if not isinstance(entry, dict):
            return None
        try:
            return Swap(
                tuple(str(p) for p in entry.get("previous") or ()),
                str(entry["assigned"]),
                str(entry.get("at") or ""),
            )
        except (KeyError, TypeError):
            return None

    def previous(self, key: str, assigned_now: list[str]) -> str | None:
        """The disk assigned before the last swap, if that swap is still in effect."""
        swap = self.last(key)
        if swap is None or len(swap.previous) != 1:
            return None
        if assigned_now != [swap.assigned]:
            return None  # someone swapped since (elsewhere): the record is not current
        return swap.previous[0] if swap.previous[0] != swap.assigned else None
