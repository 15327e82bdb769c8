"""Fixed volume data for the volume-browser tests (not a test module).

``FixedVolumeDriver`` is an ``AksDriver`` whose volume calls answer from in-memory
model objects (fixed ULIDs and times) under the same rules as the real driver;
``VolumeHost`` hosts the browser with a fixed clock, so "3h ago" is always
"3h ago". Snapshot tests need that determinism; behaviour tests use it to see
exactly which driver calls the screen made. The emulator-backed tests are in
``test_volumes_emulator.py``.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Collection
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from textual.app import App
from textual.pilot import Pilot
from textual.screen import ModalScreen

from kompox_tui.azure.assign import AssignOutcome
from kompox_tui.azure.driver import AksDriver
from kompox_tui.azure.mounts import ClusterMounts, PodUse, PvMount
from kompox_tui.errors import NotFoundError, PreconditionError
from kompox_tui.model import (
    App as AppConfig,
)
from kompox_tui.model import (
    Cluster,
    Config,
    Provider,
    Service,
    Settings,
    Volume,
    VolumeDisk,
    VolumeHealth,
    VolumeSnapshot,
)
from kompox_tui.ui.screens.volumes import VolumeBrowser
from kompox_tui.ui.screens.volumes.history import AssignHistory

NOW = datetime(2026, 11, 23, 3, 0, 0, tzinfo=UTC)
SIZE = (120, 36)
RG = "/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg-app1/providers"


def fixed_clock() -> datetime:
    return NOW


def _config() -> Config:
    return Config(
        path=Path("/demo/kompoxops.yml"),
        version="v1",
        service=Service("ops"),
        provider=Provider("aks1", "aks", Settings({"AZURE_LOCATION": "japaneast"})),
        cluster=Cluster("cluster1"),
        app=AppConfig(
            "guestbook",
            volumes=(Volume("db", "32Gi", 32), Volume("cache", "1Gi", 1)),
            settings=Settings({"AZURE_RESOURCE_GROUP_NAME": "rg-app1"}),
        ),
    )


def _disk(
    ulid: str, hours: float, assigned: bool, source: str | None = None, **state: Any
) -> VolumeDisk:
    state.setdefault("provisioning_state", "Succeeded")
    state.setdefault("disk_state", "Unattached")
    return VolumeDisk(
        name=ulid,
        azure_name=f"db-{ulid}",
        volume="db",
        size_gib=32,
        assigned=assigned,
        created_at=NOW - timedelta(hours=hours),
        resource_id=f"{RG}/Microsoft.Compute/disks/db-{ulid}",
        source=source,
        **state,
    )


def _snap(ulid: str, hours: float, disk: str | None, **state: Any) -> VolumeSnapshot:
    state.setdefault("provisioning_state", "Succeeded")
    state.setdefault("incremental", True)
    state.setdefault("completion_percent", 100.0)
    return VolumeSnapshot(
        name=ulid,
        azure_name=f"db-{ulid}",
        volume="db",
        size_gib=32,
        source_disk=disk,
        created_at=NOW - timedelta(hours=hours),
        resource_id=f"{RG}/Microsoft.Compute/snapshots/db-{ulid}",
        **state,
    )


D1 = "01JDISK0000000000000000001"
D2 = "01JDISK0000000000000000002"
D3 = "01JDISK0000000000000000003"
D4 = "01JDISK0000000000000000004"
S = [f"01JSNAP000000000000000000{i}" for i in range(1, 7)]
NODE = "aks-system-12345678-vmss000000"
VMSS = (
    "/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/MC_rg_aks_japaneast/"
    "providers/Microsoft.Compute/virtualMachineScaleSets/aks-system-12345678-vmss/virtualMachines/0"
)


class FixedVolumeDriver(AksDriver):
    """An AksDriver whose volume calls answer from memory (same rules as the real one)."""

    def __init__(
        self,
        *,
        read_only: bool = False,
        inconsistent: bool = False,
        mounted: str | None = D3,
        mounts_state: str = "ok",
    ) -> None:
        super().__init__(_config(), read_only=read_only)
        self.calls: list[str] = []
        self.mounted = mounted
        """The db disk the cluster's pod mounts (D3, the assigned one: no drift)."""
        self.mounts_state = mounts_state
        self._ulids = (f"01JNEW0000000000000000000{i}" for i in itertools.count(1))
        self.disks: dict[str, list[VolumeDisk]] = {
            "db": [
                _disk(D4, 2, inconsistent, source=S[1]),
                _disk(D3, 26, True, disk_state="Attached", managed_by=VMSS, node=NODE, zone="1"),
                _disk(D2, 24 * 9, False, source="01JSNAPGONE000000000000000"),
                _disk(D1, 24 * 40, False),
            ],
            "cache": [],
        }
        self.snaps: dict[str, list[VolumeSnapshot]] = {
            "db": [
                _snap(S[5], 1, D3, completion_percent=42.0),
                _snap(S[4], 5, D3),
                _snap(S[3], 25, D2, provisioning_state="Failed"),
                _snap(S[2], 24 * 3, D3),
                _snap(S[1], 24 * 8, D3),
                _snap(S[0], 24 * 60, "01JDISKGONE000000000000000"),
            ],
            "cache": [],
        }

    fail_lists: Exception | None = None
    """When set, the list calls raise it (an unreachable ARM, say)."""

    def disk_list(self, volume: str) -> list[VolumeDisk]:
        self.calls.append(f"disk_list {volume}")
        if self.fail_lists is not None:
            raise self.fail_lists
        return list(self.disks[volume])

    def snapshot_list(self, volume: str) -> list[VolumeSnapshot]:
        self.calls.append(f"snapshot_list {volume}")
        return list(self.snaps[volume])

    def volume_mounts(self, disk_ids: Collection[str]) -> ClusterMounts:
        self.calls.append("volume_mounts")
        if self.mounts_state != "ok":
            return ClusterMounts("unreachable", "unreachable (cannot reach the API server)")
        if self.mounted is None:
            return ClusterMounts("ok")
        disk_id = next((d.resource_id for d in self.disks["db"] if d.name == self.mounted), None)
        if disk_id is None or disk_id.lower() not in {i.lower() for i in disk_ids}:
            return ClusterMounts("ok")
        pv = "k4x-abc123-db-def456-0a1b2c"
        pod = PodUse("k4x-abc123-guestbook-def456", "guestbook-app-0", NODE, "Running", pv)
        objects = {
            f"pv/{pv}": {
                "apiVersion": "v1",
                "kind": "PersistentVolume",
                "metadata": {"name": pv},
                "spec": {"csi": {"driver": "disk.csi.azure.com", "volumeHandle": disk_id}},
            }
        }
        mount = PvMount(pv, disk_id, "Bound", pod.namespace, pv, "Bound", (pod,))
        return ClusterMounts("ok", mounts=(mount,), objects=objects)

    def resource_json(self, resource_id: str) -> dict[str, Any]:
        self.calls.append(f"resource_json {resource_id.rsplit('/', 1)[1]}")
        return {"id": resource_id, "name": resource_id.rsplit("/", 1)[1], "tags": {}}

    def volume_health(self, volume: str) -> VolumeHealth:
        disks = self.disk_list(volume)
        names = tuple(d.name for d in disks if d.assigned)
        return VolumeHealth(volume, len(disks), len(names), names)

    def disk_create(self, volume: str) -> VolumeDisk:
        self.guard_write("disk create")
        self.calls.append(f"disk_create {volume}")
        disk = replace(_disk(next(self._ulids), 0, not self.disks[volume]), volume=volume)
        self.disks[volume].insert(0, disk)
        return disk

    def disk_assign(self, volume: str, disk_name: str) -> AssignOutcome:
        self.guard_write("disk assign")
        self.calls.append(f"disk_assign {volume} {disk_name}")
        if not any(d.name == disk_name for d in self.disks[volume]):
            raise NotFoundError(f"disk {disk_name} not found in volume {volume}")
        previous = tuple(d.name for d in self.disks[volume] if d.assigned and d.name != disk_name)
        self.disks[volume] = [replace(d, assigned=d.name == disk_name) for d in self.disks[volume]]
        return AssignOutcome(volume, disk_name, previous)

    def disk_delete(self, volume: str, disk_name: str, force: bool = False) -> None:
        self.guard_write("disk delete")
        self.calls.append(f"disk_delete {volume} {disk_name} force={force}")
        disk = next((d for d in self.disks[volume] if d.name == disk_name), None)
        if disk is not None and disk.assigned and not force:
            raise PreconditionError(f"disk {disk_name} is assigned; deleting it needs force")
        self.disks[volume] = [d for d in self.disks[volume] if d.name != disk_name]

    def snapshot_create(self, volume: str, disk_name: str | None = None) -> VolumeSnapshot:
        self.guard_write("snapshot create")
        self.calls.append(f"snapshot_create {volume} {disk_name}")
        snap = _snap(next(self._ulids), 0, disk_name)
        self.snaps[volume].insert(0, snap)
        return snap

    def snapshot_delete(self, volume: str, snap_name: str) -> None:
        self.guard_write("snapshot delete")
        self.calls.append(f"snapshot_delete {volume} {snap_name}")
        self.snaps[volume] = [s for s in self.snaps[volume] if s.name != snap_name]

    def snapshot_restore(self, volume: str, snap_name: str) -> VolumeDisk:
        self.guard_write("snapshot restore")
        self.calls.append(f"snapshot_restore {volume} {snap_name}")
        disk = _disk(next(self._ulids), 0, False, source=snap_name)
        self.disks[volume].insert(0, disk)
        return disk


class VolumeHost(App[None]):
    """A bare app hosting the volume browser (the real app adds its own chrome)."""

    CSS_PATH = str(Path(__file__).resolve().parents[2] / "styles" / "volumes.tcss")

    def __init__(
        self,
        driver: AksDriver,
        read_only: bool = False,
        clock: Callable[[], datetime] = fixed_clock,
        history: AssignHistory | None = None,
        refresh_interval: float | None = None,
    ) -> None:
        super().__init__()
        self.driver = driver
        self.read_only = read_only
        self.clock = clock
        self.history = history if history is not None else AssignHistory(None)
        if refresh_interval is not None:
            self.refresh_interval = refresh_interval

    def on_mount(self) -> None:
        self.push_screen(VolumeBrowser(self.driver, self.read_only, history=self.history))


async def settle(pilot: Pilot[Any]) -> None:
    """Wait until every worker finished and the messages they posted are handled.

    An action worker that waits for its dialog (``push_screen_wait``) counts as
    settled while that dialog is on top: it waits for the user, not for us.
    """
    app = pilot.app

    def waiting_for_user(worker: Any) -> bool:
        return worker.group == "volume-action" and isinstance(app.screen, ModalScreen)

    for _ in range(1000):
        await pilot.pause()
        browsers = [s for s in app.screen_stack if isinstance(s, VolumeBrowser)]
        idle = all(b.busy is None and b._loading is None for b in browsers)
        running = [w for w in app.workers if w.is_running and not waiting_for_user(w)]
        if idle and not running:
            await pilot.pause()
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the volume browser did not settle")
