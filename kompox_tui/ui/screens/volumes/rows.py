"""What the volume browser shows, as pure functions of the lists it fetched.

Row builders for the three tables, the times and markers they use, the unique
suffix that tells two ULIDs apart, and the one line that sets the tag's intent
(the assigned disk) beside the cluster's reality (the disk its pods mount).
No Textual, no I/O: ``tests/unit/test_volume_rows.py`` pins them directly.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from rich.text import Span, Text

from ....azure.mounts import ClusterMounts, PvMount
from ....model import Volume, VolumeDisk, VolumeHealth, VolumeSnapshot
from ....text import visible
from ...widgets.confirm import MIN_SUFFIX
from ...widgets.filter_table import Cell, ColumnSpec, KeyedRow

ASSIGNED_MARK = "★"
PREVIOUS_MARK = "↶"
NOT_ASSIGNED_MARK = "·"
GONE_MARK = "✗"
NONE_MARK = "\u2013"  # an en dash: "no value"


# --- times ------------------------------------------------------------------------------------


def relative_time(then: datetime, now: datetime) -> str:
    """``"just now"``, ``"5m ago"``, ``"3h ago"``, ``"2d ago"``, ``"4mo ago"``, ``"2y ago"``."""
    seconds = (now - then).total_seconds()
    if seconds < 60:
        return "just now"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes}m ago"
    hours = minutes // 60
    if hours < 24:
        return f"{hours}h ago"
    days = hours // 24
    if days < 60:
        return f"{days}d ago"
    if days < 730:
        return f"{days // 30}mo ago"
    return f"{days // 365}y ago"


_AGE_UNITS = {"m": 60, "h": 3600, "d": 86400, "mo": 30 * 86400, "y": 365 * 86400}


def age_sort_key(cell: object) -> float:
    """Seconds behind an ``relative_time`` text, so the age column sorts by age."""
    text = str(cell).removesuffix(" ago")
    digits = "".join(ch for ch in text if ch.isdigit())
    unit = text[len(digits) :]
    if not digits or unit not in _AGE_UNITS:
        return 0.0
    return float(int(digits) * _AGE_UNITS[unit])


def absolute_time(then: datetime, now: datetime) -> str:
    """``then`` in the local zone (the zone of ``now``), to the minute."""
    return then.astimezone(now.tzinfo).strftime("%Y-%m-%d %H:%M")


def clock_time(then: datetime, now: datetime) -> str:
    """``HH:MM`` in the zone of ``now`` (for "as of 21:03")."""
    return then.astimezone(now.tzinfo).strftime("%H:%M")


class _Times:
    """``absolute_time`` and ``relative_time`` of many instants against one ``now``."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self._tz = now.tzinfo

    def absolute(self, then: datetime) -> str:
        # What absolute_time gives, without strftime (a third of the cost of a row).
        t = then.astimezone(self._tz)
        return f"{t.year:04d}-{t.month:02d}-{t.day:02d} {t.hour:02d}:{t.minute:02d}"

    def relative(self, then: datetime) -> str:
        return relative_time(then, self.now)


# --- telling names apart ------------------------------------------------------------------------


def _common_prefix(a: str, b: str) -> int:
    """Length of the common prefix, by halving (slice compares run in C)."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        mid = (low + high + 1) // 2
        if a[:mid] == b[:mid]:
            low = mid
        else:
            high = mid - 1
    return low


_SUFFIX_CACHE: dict[tuple[str, ...], dict[str, int]] = {}


def unique_suffix_lengths(names: Iterable[str]) -> dict[str, int]:
    """For each name, the length of its shortest suffix no other name ends with.

    ULIDs made in the same millisecond share their first ten characters and often
    more; what tells them apart is at the end. Names that equal another's suffix
    entirely get their full length. Sorting the reversed names puts the names that
    share the longest suffix next to each other, so one pass suffices (O(n log n)).
    The last answers are kept: a refresh usually lists the same names again.
    """
    key = tuple(names)
    cached = _SUFFIX_CACHE.get(key)
    if cached is not None:
        return cached
    reversed_names = sorted({n[::-1] for n in key})
    result: dict[str, int] = {}
    last = len(reversed_names) - 1
    for i, rev in enumerate(reversed_names):
        shared = 0
        if i > 0:
            shared = _common_prefix(rev, reversed_names[i - 1])
        if i < last:
            shared = max(shared, _common_prefix(rev, reversed_names[i + 1]))
        result[rev[::-1]] = min(len(rev), shared + 1)
    if len(_SUFFIX_CACHE) >= 4:  # disks and snapshots of the volume shown, and one more
        _SUFFIX_CACHE.pop(next(iter(_SUFFIX_CACHE)))
    _SUFFIX_CACHE[key] = result
    return result


#: Emphasised name cells by (name, cut, style): a refresh lists the same names again,
#: and a ``Text`` costs ~20 µs to build. Bounded; cleared when full.
_EMPHASIS_CACHE: dict[tuple[str, int, str], Text] = {}
_EMPHASIS_CACHE_MAX = 50_000


def emphasised(name: str, suffix: int, style: str = "") -> Text:
    """``name`` with its distinguishing suffix bold and the shared prefix dim.

    The cell is shared between rows built from the same name (immutable by convention,
    as every cell here)."""
    cut = len(name) - max(min(suffix, len(name)), min(MIN_SUFFIX, len(name)))
    key = (name, cut, style)
    cell = _EMPHASIS_CACHE.get(key)
    if cell is not None:
        return cell
    shown = visible(name)
    if len(shown) != len(name):  # control characters widened it: no emphasis split
        cell = Text(shown, style=f"{style} bold".strip())
    else:
        dim, bold = f"{style} dim".strip(), f"{style} bold".strip()
        spans = (
            [Span(0, cut, dim), Span(cut, len(name), bold)] if cut else [Span(0, len(name), bold)]
        )
        cell = Text(shown, spans=spans)
    if len(_EMPHASIS_CACHE) >= _EMPHASIS_CACHE_MAX:
        _EMPHASIS_CACHE.clear()
    _EMPHASIS_CACHE[key] = cell
    return cell


# --- health and state cells ------------------------------------------------------------------


def health_of(volume: str, disks: list[VolumeDisk]) -> VolumeHealth:
    """The same verdict as ``AksDriver.volume_health``, from a disk list already fetched."""
    assigned = tuple(d.name for d in disks if d.assigned)
    return VolumeHealth(
        volume=volume, disks=len(disks), assigned=len(assigned), assigned_disks=assigned
    )


def health_text(health: VolumeHealth | None) -> Text:
    if health is None:
        return Text("… unknown", style="dim")
    state = health.state
    if state == "ok":
        return Text("✔ ok", style="bold green")
    if state == "empty":
        return Text("○ empty", style="dim")
    detail = "none assigned" if health.assigned == 0 else f"{health.assigned} assigned"
    return Text(f"✖ {detail}", style="bold red")


_STATE_STYLES = {
    "failed": "bold reverse red",
    "updating": "bold yellow",
    "creating": "bold yellow",
    "deleting": "bold yellow",
    "canceled": "bold red",
    "attached": "bold cyan",
    "reserved": "bold cyan",
    "activesas": "bold magenta",
    "activesasfrozen": "bold magenta",
    "readytoupload": "yellow",
    "activeupload": "yellow",
    "unattached": "",
}
_STATE_CELLS: dict[str, Cell] = {}


def _state_cell(word: str) -> Cell:
    cell = _STATE_CELLS.get(word)
    if cell is None:
        style = _STATE_STYLES.get(word.lower(), "")
        text = visible(word)
        cell = _STATE_CELLS.setdefault(word, Text(text, style=style) if style else text)
    return cell


def disk_state_word(disk: VolumeDisk) -> str:
    """One word for the disk's real state: the provisioning state when it is not
    Succeeded (Failed, Updating …), else Azure's ``diskState`` (Attached …)."""
    provisioning = disk.provisioning_state or ""
    if provisioning and provisioning.lower() != "succeeded":
        return provisioning
    return disk.disk_state or NONE_MARK


def snapshot_state_word(snap: VolumeSnapshot) -> str:
    """Failed / copying 42% / ready (or Azure's provisioning state when unusual)."""
    provisioning = snap.provisioning_state or ""
    if snap.failed:
        return "Failed"
    if provisioning and provisioning.lower() != "succeeded":
        return provisioning
    if snap.copying:
        return f"copying {int(snap.completion_percent or 0)}%"
    return "ready"


def _snapshot_state_cell(snap: VolumeSnapshot) -> Cell:
    word = snapshot_state_word(snap)
    if word.startswith("copying"):
        return Text(word, style="bold yellow")
    if word == "ready":
        return "ready"
    return _state_cell(word)


# --- columns -----------------------------------------------------------------------------------


def _int_key(cell: Cell) -> int:
    text = str(cell).strip()
    return int(text) if text.isdigit() else 0


DISK_COLUMNS = (
    ColumnSpec("assigned", ASSIGNED_MARK, 2),
    ColumnSpec("name", "disk", 26),
    ColumnSpec("created", "created", 16),
    ColumnSpec("age", "age", 8, sort_key=age_sort_key),
    ColumnSpec("state", "state", 10),
    ColumnSpec("size", "GiB", 4, sort_key=_int_key),
    ColumnSpec("sku", "sku", 12),
    ColumnSpec("zone", "zone", 4),
    ColumnSpec("node", "node (managedBy)", 30),
    ColumnSpec("source", "restored from", 26),
)

SNAPSHOT_COLUMNS = (
    ColumnSpec("name", "snapshot", 26),
    ColumnSpec("created", "created", 16),
    ColumnSpec("age", "age", 8, sort_key=age_sort_key),
    ColumnSpec("state", "state", 12),
    ColumnSpec("kind", "kind", 5),
    ColumnSpec("size", "GiB", 4, sort_key=_int_key),
    ColumnSpec("source", "source disk", 36),
)

VOLUME_COLUMNS = (
    ColumnSpec("health", "health", 16),
    ColumnSpec("name", "volume", 16),
    ColumnSpec("size", "size", 8),
    ColumnSpec("disks", "disks", 5),
    ColumnSpec("snapshots", "snaps", 5),
    ColumnSpec("assigned", "assigned disk", 26),
    ColumnSpec("cluster", "cluster mounts", 16),
)

# Cells are plain ``str`` unless styled: a ``Text`` costs ~5 µs to build and 10,000 rows
# have 100,000 cells. The styled cells that repeat (markers, placeholders, right-aligned
# sizes) are shared, immutable by convention: nothing mutates a cell once it is built.
_ASSIGNED_CELL = Text(ASSIGNED_MARK, style="bold green")
_PREVIOUS_CELL = Text(PREVIOUS_MARK, style="bold yellow")
_NOT_ASSIGNED_CELL = Text(NOT_ASSIGNED_MARK, style="dim")
_NONE_CELL = Text(NONE_MARK, style="dim")


def _right(value: int, cache: dict[int, Text] = {}) -> Text:  # noqa: B006 - a shared cache
    """A right-aligned number cell, one shared ``Text`` per value."""
    cell = cache.get(value)
    if cell is None:
        cell = cache.setdefault(value, Text(str(value), justify="right"))
    return cell


def _plain(value: str | None) -> Cell:
    return _NONE_CELL if not value else visible(value)


# --- rows ---------------------------------------------------------------------------------------


def disk_rows(
    disks: list[VolumeDisk],
    snapshots: list[VolumeSnapshot] | None,
    now: datetime,
    previous: str | None = None,
) -> list[KeyedRow]:
    """Disk table rows, newest first, keyed by resource id.

    ``previous`` is the disk assigned before the last swap (from the local history);
    it carries the ``↶`` marker while it is not assigned.
    """
    snapshot_names = {s.name for s in snapshots} if snapshots is not None else None
    suffixes = unique_suffix_lengths(d.name for d in disks)
    times = _Times(now)
    rows: list[KeyedRow] = []
    append = rows.append
    for disk in disks:
        marker: Cell
        source: Cell
        if disk.assigned:
            marker = _ASSIGNED_CELL
            name = emphasised(disk.name, suffixes[disk.name], "green")
        else:
            marker = _PREVIOUS_CELL if disk.name == previous else _NOT_ASSIGNED_CELL
            name = emphasised(disk.name, suffixes[disk.name])
        if disk.source is None:
            source = _NONE_CELL
        elif snapshot_names is not None and disk.source not in snapshot_names:
            source = Text(f"{visible(disk.source)} {GONE_MARK}", style="dim")
        else:
            source = visible(disk.source)
        append(
            (
                disk.resource_id,
                (
                    marker,
                    name,
                    times.absolute(disk.created_at),
                    times.relative(disk.created_at),
                    _state_cell(disk_state_word(disk)),
                    _right(disk.size_gib),
                    visible(disk.sku),
                    _plain(disk.zone),
                    _plain(disk.node or disk.managed_by),
                    source,
                ),
            )
        )
    return rows


def snapshot_rows(
    snapshots: list[VolumeSnapshot], disks: list[VolumeDisk], now: datetime
) -> list[KeyedRow]:
    """Snapshot table rows, newest first; the source disk says if it is assigned or gone."""
    by_name = {d.name: d for d in disks}
    suffixes = unique_suffix_lengths(s.name for s in snapshots)
    times = _Times(now)
    rows: list[KeyedRow] = []
    append = rows.append
    for snap in snapshots:
        source: Cell
        if snap.source_disk is None:
            source = _NONE_CELL
        else:
            disk = by_name.get(snap.source_disk)
            shown = visible(snap.source_disk)
            if disk is None:
                source = Text(f"{shown} {GONE_MARK} gone", style="dim")
            elif disk.assigned:
                source = Text(shown)
                source.append(f" {ASSIGNED_MARK} assigned", style="bold green")
            else:
                source = shown
        kind: Cell = (
            _NONE_CELL if snap.incremental is None else "incr" if snap.incremental else "full"
        )
        append(
            (
                snap.resource_id,
                (
                    emphasised(snap.name, suffixes[snap.name]),
                    times.absolute(snap.created_at),
                    times.relative(snap.created_at),
                    _snapshot_state_cell(snap),
                    kind,
                    _right(snap.size_gib),
                    source,
                ),
            )
        )
    return rows


# --- intent versus reality ----------------------------------------------------------------------

MountVerdict = Literal["unknown", "unreachable", "no-cluster", "ok", "drift", "unmounted", "no-pv"]


@dataclass(frozen=True)
class MountView:
    """What the cluster does with one volume's disks, in words."""

    verdict: MountVerdict
    line: Text
    """``assigned B · mounted A by web-0 on aks-…`` (or why it cannot be said)."""
    advice: str | None = None
    """For drift: one sentence of what it takes to make the cluster follow the tag."""
    mounted: tuple[str, ...] = ()
    """Names of the volume's disks that pods mount now."""

    @property
    def cell(self) -> Cell:
        """The short form for the volumes table."""
        return {
            "unknown": Text("… unknown", style="dim"),
            "unreachable": Text("? unreachable", style="dim"),
            "no-cluster": Text("○ no cluster", style="dim"),
            "ok": Text("✔ mounted", style="green"),
            "drift": Text("≠ drift", style="bold reverse yellow"),
            "unmounted": Text("○ no pod", style="dim"),
            "no-pv": Text("○ no PV", style="dim"),
        }[self.verdict]


def redeploy_advice(layout: str) -> str:
    """What makes the cluster mount the assigned disk (kompox-real-facts §7)."""
    if layout == "kompoxops":
        return (
            "Run `kompoxops app deploy`: it rebuilds the PersistentVolume from the "
            "assigned disk; until then the pods keep the old one."
        )
    return (
        "Redeploy the app so its PersistentVolume points at the assigned disk; "
        "until then the pods keep the old one."
    )


def _disk_label(disk: VolumeDisk | None, fallback: str) -> str:
    return visible(disk.name) if disk is not None else visible(fallback)


def mount_view(
    disks: Sequence[VolumeDisk] | None,
    mounts: ClusterMounts | None,
    layout: str,
) -> MountView:
    """Intent (the assigned tag) beside reality (the PVs and pods) for one volume."""
    if mounts is None or disks is None:
        return MountView("unknown", Text("cluster: not checked yet", style="dim"))
    assigned = [d for d in disks if d.assigned]
    intent = Text("assigned ")
    if len(assigned) == 1:
        intent.append(visible(assigned[0].name), style="bold green")
    elif not assigned:
        intent.append("none", style="bold red")
    else:
        intent.append(f"{len(assigned)} disks", style="bold red")
    if mounts.state == "not-provisioned":
        line = intent.copy()
        line.append(" · cluster ", style="dim")
        line.append(visible(mounts.message or "not provisioned"), style="dim")
        return MountView("no-cluster", line)
    if not mounts.reachable:
        line = intent.copy()
        line.append(" · cluster: ", style="dim")
        line.append(visible(mounts.message or "not reachable"), style="dim")
        return MountView("unreachable", line)
    by_id = {d.resource_id.lower(): d for d in disks}
    pvs: list[tuple[PvMount, VolumeDisk]] = []
    for pv in mounts.mounts:
        disk = by_id.get(pv.disk_id.lower())
        if disk is not None:
            pvs.append((pv, disk))
    line = intent.copy()
    if not pvs:
        line.append(" · no PersistentVolume uses any of this volume's disks", style="dim")
        return MountView("no-pv", line)
    used = [(pv, disk) for pv, disk in pvs if pv.pods]
    assigned_names = {d.name for d in assigned}
    if used:
        for i, (pv, disk) in enumerate(used):
            line.append(" · mounted " if i == 0 else "; ")
            drift_disk = disk.name not in assigned_names
            line.append(
                _disk_label(disk, pv.disk_id), style="bold yellow" if drift_disk else "bold"
            )
            pod = pv.pods[0]
            line.append(" by ")
            line.append(visible(pod.name), style="bold")
            if pod.node:
                line.append(" on ")
                line.append(visible(pod.node))
            if len(pv.pods) > 1:
                line.append(f" (+{len(pv.pods) - 1} pods)")
            if pod.phase and pod.phase != "Running":
                line.append(f" ({visible(pod.phase)})", style="yellow")
        mounted = tuple(dict.fromkeys(d.name for _, d in used))
        if all(name in assigned_names for name in mounted) and len(assigned) == 1:
            return MountView("ok", line, mounted=mounted)
        line.append("  drift", style="bold reverse yellow")
        return MountView("drift", line, redeploy_advice(layout), mounted)
    # PVs but no pod uses them: the next pod that starts mounts what the PV names.
    names = tuple(dict.fromkeys(d.name for _, d in pvs))
    line.append(" · PV → ")
    line.append(", ".join(visible(n) for n in names), style="bold")
    line.append(", no running pod uses it", style="dim")
    if assigned_names and not assigned_names & set(names):
        line.append("  drift", style="bold reverse yellow")
        return MountView("drift", line, redeploy_advice(layout))
    return MountView("unmounted", line)


def volume_rows(
    volumes: Sequence[Volume],
    disks: dict[str, list[VolumeDisk] | None],
    snapshot_counts: dict[str, int | None],
    views: dict[str, MountView],
    sizes: dict[str, int] | None = None,
) -> list[KeyedRow]:
    """The volumes table: health, counts, the assigned disk and what the cluster mounts.

    ``sizes``: the GiB a new disk of each volume gets in the cluster's layout (the
    guide rounds the quantity up, kompoxops down); default ``Volume.size_gib``."""
    rows: list[KeyedRow] = []
    for volume in volumes:
        listed = disks.get(volume.name)
        health = None if listed is None else health_of(volume.name, listed)
        assigned = [d for d in listed or () if d.assigned]
        snaps = snapshot_counts.get(volume.name)
        view = views.get(volume.name)
        rows.append(
            (
                volume.name,
                (
                    health_text(health),
                    visible(volume.name),
                    f"{(sizes or {}).get(volume.name, volume.size_gib)} GiB",
                    Text("?" if listed is None else str(len(listed)), justify="right"),
                    Text("?" if snaps is None else str(snaps), justify="right"),
                    Text(visible(assigned[0].name), style="green")
                    if len(assigned) == 1
                    else _NONE_CELL,
                    view.cell if view is not None else Text("… unknown", style="dim"),
                ),
            )
        )
    return rows


@dataclass(frozen=True)
class VolumeRows:
    """The rows of both tables, built from exactly these lists at ``now``."""

    disks: list[VolumeDisk]
    snapshots: list[VolumeSnapshot] | None
    now: datetime
    disk_rows: list[KeyedRow]
    snapshot_rows: list[KeyedRow]
    previous: str | None = None

    @classmethod
    def build(
        cls,
        disks: list[VolumeDisk],
        snapshots: list[VolumeSnapshot] | None,
        now: datetime,
        previous: str | None = None,
    ) -> VolumeRows:
        """What the screen shows for these lists (``snapshots`` None: not fetched yet)."""
        return cls(
            disks,
            snapshots,
            now,
            disk_rows(disks, snapshots, now, previous),
            snapshot_rows(snapshots or [], disks, now),
            previous,
        )

    def built_from(
        self,
        disks: list[VolumeDisk] | None,
        snapshots: list[VolumeSnapshot] | None,
        previous: str | None,
    ) -> bool:
        return self.disks is disks and self.snapshots is snapshots and self.previous == previous
