"""What the volume browser knows: the last lists per volume, the cluster's mounts,
and the messages its worker threads post back to the event loop."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from textual.message import Message

from ....azure.mounts import ClusterMounts
from ....model import VolumeDisk, VolumeHealth, VolumeSnapshot
from .rows import VolumeRows, health_of

#: Up to this many rows (disks + snapshots) the screen builds its rows on the event loop
#: (well under a frame); above it, in a thread worker, so the UI never stalls.
ROWS_ON_LOOP = 1500
#: How long rows built in a thread stay good for showing again (switching back to a
#: volume); relative ages are rebuilt by the 30 s age ticker anyway.
ROWS_FRESH_SECONDS = 30.0


@dataclass
class VolumeState:
    """The last lists fetched for one volume (None: never fetched)."""

    disks: list[VolumeDisk] | None = None
    snapshots: list[VolumeSnapshot] | None = None
    loaded_at: datetime | None = None
    """When the lists shown were fetched."""
    error: str | None = None
    """Why the last refresh failed (the lists shown are then older: stale)."""
    failed_at: datetime | None = None
    rows: VolumeRows | None = None
    """The last rows built for these lists (built in a thread for big volumes)."""

    @property
    def health(self) -> VolumeHealth | None:
        return None if self.disks is None else health_of("", self.disks)

    @property
    def assigned(self) -> list[VolumeDisk]:
        return [d for d in self.disks or () if d.assigned]

    @property
    def stale(self) -> bool:
        return self.error is not None and self.disks is not None

    def disk(self, resource_id: str | None) -> VolumeDisk | None:
        if resource_id is None:
            return None
        return next((d for d in self.disks or () if d.resource_id == resource_id), None)

    def snapshot(self, resource_id: str | None) -> VolumeSnapshot | None:
        if resource_id is None:
            return None
        return next((s for s in self.snapshots or () if s.resource_id == resource_id), None)


@dataclass
class Pending:
    """What to select once the next load of a volume lands."""

    disk_key: str | None = None
    snapshot_key: str | None = None


class VolumeLoaded(Message):
    def __init__(
        self,
        volume: str,
        disks: list[VolumeDisk],
        snapshots: list[VolumeSnapshot] | None,
        at: datetime,
        rows: VolumeRows | None = None,
    ) -> None:
        super().__init__()
        self.volume = volume
        self.disks = disks
        self.snapshots = snapshots
        self.at = at
        self.rows = rows
        """The rows of both tables, built in the worker (None: build them when shown)."""


class RowsBuilt(Message):
    """Rows built in a thread for a big volume (an age tick, or a volume switched to)."""

    def __init__(self, volume: str, rows: VolumeRows) -> None:
        super().__init__()
        self.volume = volume
        self.rows = rows


class VolumeLoadFailed(Message):
    def __init__(self, volume: str, error: str, at: datetime) -> None:
        super().__init__()
        self.volume = volume
        self.error = error
        self.at = at


class MountsLoaded(Message):
    def __init__(self, mounts: ClusterMounts, at: datetime) -> None:
        super().__init__()
        self.mounts = mounts
        self.at = at


@dataclass
class MountsState:
    """The cluster side: the last read, when, and the ids it was asked about."""

    mounts: ClusterMounts | None = None
    at: datetime | None = None
    asked: frozenset[str] = field(default_factory=frozenset)


def cluster_documents(mounts: ClusterMounts | None, disk_ids: list[str]) -> list[Mapping[str, Any]]:
    """The PVs, claims and pods (as the API server sent them) that use these disks."""
    if mounts is None or not mounts.reachable:
        return []
    documents: list[Mapping[str, Any]] = []
    for disk_id in disk_ids:
        for pv in mounts.for_disk(disk_id):
            keys = [f"pv/{pv.pv}"]
            if pv.claim_name is not None:
                keys.append(f"pvc/{pv.claim_namespace}/{pv.claim_name}")
            keys += [f"pod/{p.namespace}/{p.name}" for p in pv.pods]
            documents += [mounts.objects[k] for k in keys if k in mounts.objects]
    return documents
