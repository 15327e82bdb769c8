"""The volume browser (``VolumeBrowser``) and the pure pieces it is built from.

``rows`` (what each table shows, pure), ``state`` (what the screen knows and the
messages its workers post), ``history`` (the local record of swaps),
``confirmations`` (the dialog of each action), ``actions`` (the mutating actions
as async workers), ``loading`` (the list workers and their results) and ``screen``
(layout, rendering, navigation).
"""

from __future__ import annotations

from .rows import (
    ASSIGNED_MARK,
    DISK_COLUMNS,
    GONE_MARK,
    NONE_MARK,
    NOT_ASSIGNED_MARK,
    PREVIOUS_MARK,
    SNAPSHOT_COLUMNS,
    VOLUME_COLUMNS,
    VolumeRows,
    absolute_time,
    age_sort_key,
    disk_rows,
    health_of,
    health_text,
    mount_view,
    relative_time,
    snapshot_rows,
)
from .screen import MUTATING_ACTIONS, VolumeBrowser
from .state import ROWS_FRESH_SECONDS, ROWS_ON_LOOP, VolumeState

__all__ = [
    "ASSIGNED_MARK",
    "DISK_COLUMNS",
    "GONE_MARK",
    "MUTATING_ACTIONS",
    "NONE_MARK",
    "NOT_ASSIGNED_MARK",
    "PREVIOUS_MARK",
    "ROWS_FRESH_SECONDS",
    "ROWS_ON_LOOP",
    "SNAPSHOT_COLUMNS",
    "VOLUME_COLUMNS",
    "VolumeBrowser",
    "VolumeRows",
    "VolumeState",
    "absolute_time",
    "age_sort_key",
    "disk_rows",
    "health_of",
    "health_text",
    "mount_view",
    "relative_time",
    "snapshot_rows",
]
