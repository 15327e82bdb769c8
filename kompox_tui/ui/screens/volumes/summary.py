"""The summary line of the selected volume: health, the assigned disk, freshness.

Pure: the screen passes what it knows, this says it in words (plain test in
``tests/unit/test_volume_rows.py``).
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from ....model import Volume
from ....text import visible
from .rows import ASSIGNED_MARK, clock_time, health_text, relative_time
from .state import VolumeState


def summary_text(
    volume: Volume,
    state: VolumeState,
    now: datetime,
    *,
    undo: bool,
    size_gib: int | None = None,
) -> Text:
    """``Volume db · 32 GiB · ✔ ok · assigned ★ … (created 1d ago) · refreshed 03:00:00``;
    on a failed refresh a second line says since when the data is stale and why."""
    text = Text()
    text.append(f"Volume {visible(volume.name)}", style="bold")
    text.append(f" · {size_gib if size_gib is not None else volume.size_gib} GiB · ")
    text.append_text(health_text(state.health))
    if state.disks is not None:
        assigned = state.assigned
        if len(assigned) == 1:
            disk = assigned[0]
            text.append(" · assigned ")
            text.append(f"{ASSIGNED_MARK} {visible(disk.name)}", style="bold green")
            text.append(f" (created {relative_time(disk.created_at, now)})")
        elif not assigned and state.disks:
            text.append(" · no disk is assigned: press R to repair", style="bold red")
        elif len(assigned) > 1:
            text.append(
                f" · {len(assigned)} disks are assigned: press R to repair", style="bold red"
            )
        elif not state.disks:
            text.append(" · no disks yet: press n to create one", style="dim")
        if undo:
            text.append(" · u: back to ↶", style="yellow")
    error = visible(state.error) if state.error else None
    if error and state.loaded_at is not None:
        text.append(
            f"\nas of {clock_time(state.loaded_at, now)}: the last refresh failed: {error}",
            style="bold yellow",
        )
    elif error:
        text.append(f"\nCould not load: {error}", style="red")
    elif state.loaded_at is not None:
        text.append(f" · refreshed {state.loaded_at.astimezone(now.tzinfo):%H:%M:%S}", style="dim")
    return text
