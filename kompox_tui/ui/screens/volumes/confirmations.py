"""The dialog for each volume action: what exactly changes, before it changes.

Pure builders: given the lists the screen holds, each returns the modal to push
(``ConfirmAction`` for the one-key actions, ``ConfirmByName`` for deletes). The
screen awaits the answer with ``push_screen_wait``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.text import Text

from ....layouts import DiskSpec, SnapshotSpec
from ....model import VolumeDisk, VolumeSnapshot
from ....text import visible
from ...widgets.confirm import ConfirmByName
from ..volume_modals import ConfirmAction
from .rows import ASSIGNED_MARK, NONE_MARK, absolute_time, relative_time, unique_suffix_lengths


def _when(then: datetime, now: datetime) -> str:
    return f"created {absolute_time(then, now)} ({relative_time(then, now)})"


def assign_dialog(
    volume: str,
    disk: VolumeDisk,
    assigned: Sequence[VolumeDisk],
    now: datetime,
    *,
    title: str,
    redeploy: str,
    note: str | None = None,
    intro: str | None = None,
) -> tuple[ConfirmAction, list[str]]:
    """The swap: *from* -> *to*, and what it takes for the pods to follow.

    Returns the dialog and the names of the disks assigned before (for the result).
    """
    body: list[Text | str] = []
    if intro:
        body.append(intro)
    before = [d for d in assigned if d.name != disk.name]
    if not before:
        body.append(Text("from  (no disk assigned)", style="dim"))
    for old in before:
        line = Text("from  ")
        line.append(f"{ASSIGNED_MARK} {visible(old.name)}", style="bold")
        line.append(f"  {_when(old.created_at, now)}")
        body.append(line)
    line = Text("to    ")
    line.append(f"{ASSIGNED_MARK} {visible(disk.name)}", style="bold green")
    line.append(f"  {_when(disk.created_at, now)}")
    if disk.source:
        line.append(f", restored from snapshot {visible(disk.source)}")
    body.append(line)
    body.append(
        Text(
            f"Only the tag changes. {redeploy}",
            style="dim",
        )
    )
    dialog = ConfirmAction(title.format(volume=volume), body, confirm_label="Assign", note=note)
    return dialog, [d.name for d in before]


def _disk_words(spec: DiskSpec) -> str:
    zone = f", zone {spec.zone}" if spec.zone else ""
    return f"{spec.size_gib} GiB {spec.sku}{zone}"


def create_disk_dialog(
    volume: str, spec: DiskSpec, *, first: bool, first_assigned: bool
) -> ConfirmAction:
    """What the volume's layout will make (size, SKU, zone), and whether it is assigned."""
    if first and first_assigned:
        then = "It becomes the assigned disk (the volume has no disks yet)."
    elif first:
        then = (
            "It is created unassigned (this layout never assigns a new disk): press a on "
            "it to assign it, or the app has no disk to mount."
        )
    else:
        then = "It is created unassigned; press a on it to assign it."
    body: list[Text | str] = [
        f"Create an empty {_disk_words(spec)} disk in volume {volume}.",
        then,
    ]
    return ConfirmAction("New disk", body, confirm_label="Create")


def snapshot_dialog(volume: str, disk: VolumeDisk, which: str, spec: SnapshotSpec) -> ConfirmAction:
    kind = "incremental" if spec.incremental else "full"
    sku = spec.sku or "SKU chosen by Azure (none sent)"
    body: list[Text | str] = [
        Text.assemble(
            f"Take {'an' if kind[0] in 'aeiou' else 'a'} {kind} snapshot of disk ",
            (visible(disk.name), "bold"),
            f" ({which}).",
        ),
        Text(f"{sku}, {kind} copy; the disk stays online.", style="dim"),
    ]
    return ConfirmAction(f"Snapshot volume {volume}", body, confirm_label="Snapshot")


def restore_dialog(
    volume: str, snapshot: VolumeSnapshot, now: datetime, spec: DiskSpec
) -> ConfirmAction:
    body: list[Text | str] = [
        Text.assemble(
            "Restore snapshot ",
            (visible(snapshot.name), "bold"),
            f" ({_when(snapshot.created_at, now)}, "
            f"from disk {visible(snapshot.source_disk or NONE_MARK)})",
        ),
        f"into a new, unassigned {_disk_words(spec)} disk. Nothing the app uses changes.",
    ]
    return ConfirmAction(f"Restore into volume {volume}", body, confirm_label="Restore")


def delete_disk_dialog(
    volume: str,
    disk: VolumeDisk,
    disks: Sequence[VolumeDisk],
    snapshots: Sequence[VolumeSnapshot],
    now: datetime,
) -> ConfirmByName:
    """One dialog, one gate: the typed name (or a unique suffix), plus force (ctrl+f)
    when the disk is the assigned one."""
    snaps = [s for s in snapshots if s.source_disk == disk.name]
    explanation = (
        f"Deletes Azure managed disk {visible(disk.azure_name)} of volume {volume} "
        f"({disk.size_gib} GiB, {_when(disk.created_at, now)}). Its data is gone for good"
        + (
            "; 1 snapshot of it remains."
            if len(snaps) == 1
            else f"; {len(snaps)} snapshots of it remain."
            if snaps
            else "; it has no snapshots."
        )
    )
    danger = None
    force = None
    if disk.assigned:
        alone = sum(1 for d in disks if d.assigned) == 1
        danger = f"This is the ASSIGNED disk of volume {volume}: the app mounts it." + (
            " After the delete no disk is assigned and the app cannot start until you "
            "assign another one."
            if alone
            else ""
        )
        force = "force: delete the disk the app is using"
    names = [d.name for d in disks]
    return ConfirmByName(
        f"Delete disk {visible(disk.name)}",
        explanation,
        disk.name,
        danger,
        confirm_label="Force delete" if force else "Delete",
        others=names,
        force=force,
        name_detail=_when(disk.created_at, now),
        suffix=unique_suffix_lengths(names).get(disk.name),
    )


def delete_snapshot_dialog(
    volume: str,
    snapshot: VolumeSnapshot,
    disks: Sequence[VolumeDisk],
    snapshots: Sequence[VolumeSnapshot],
    now: datetime,
) -> ConfirmByName:
    restored = [d for d in disks if d.source == snapshot.name]
    explanation = (
        f"Deletes snapshot {visible(snapshot.azure_name)} of volume {volume} "
        f"(from disk {visible(snapshot.source_disk or NONE_MARK)}, "
        f"{_when(snapshot.created_at, now)})."
        + (
            " 1 disk restored from it keeps its data."
            if len(restored) == 1
            else f" {len(restored)} disks restored from it keep their data."
            if restored
            else ""
        )
    )
    names = [s.name for s in snapshots]
    return ConfirmByName(
        f"Delete snapshot {visible(snapshot.name)}",
        explanation,
        snapshot.name,
        confirm_label="Delete",
        others=names,
        name_detail=_when(snapshot.created_at, now),
        suffix=unique_suffix_lengths(names).get(snapshot.name),
    )
