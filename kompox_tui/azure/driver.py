"""AksDriver: the one public facade the UI and scripts use.

Every method is blocking, applies its own timeout (SPEC §4, §5), and raises the
project's typed errors (``kompox_tui.errors``). Progress and API call events go to
the ``on_event`` callback; the driver does not know who listens.

Importing this module is cheap: the Azure SDKs and the kubernetes client are
imported lazily by the first operation (``_ops``), so the UI paints first.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ReadOnlyError
from ..model import (
    ClusterStatus,
    Config,
    DriverEvent,
    VolumeDisk,
    VolumeHealth,
    VolumeSnapshot,
)

if TYPE_CHECKING:
    from .assign import AssignOutcome
    from .clients import AzureClients
    from .cluster import ClusterOps
    from .kubeconfig import KubeconfigSaved
    from .mounts import ClusterMounts
    from .volumes import VolumeOps

EventCallback = Callable[[DriverEvent], None]


class AksDriver:
    """The Kompox AKS provider driver for one kompoxops.yml (one cluster, one app)."""

    def __init__(
        self,
        config: Config,
        on_event: EventCallback | None = None,
        *,
        read_only: bool = False,
    ) -> None:
        self.config = config
        self.read_only = read_only
        self._listeners: list[EventCallback] = [on_event] if on_event else []
        self._lock = threading.Lock()
        self._clients: AzureClients | None = None
        self._cluster: ClusterOps | None = None
        self._volumes: VolumeOps | None = None

    @classmethod
    def from_config(
        cls, config: Config, on_event: EventCallback | None = None, *, read_only: bool = False
    ) -> AksDriver:
        return cls(config, on_event, read_only=read_only)

    # --- events ---------------------------------------------------------------------

    def add_listener(self, listener: EventCallback) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: EventCallback) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def emit(self, event: DriverEvent) -> None:
        for listener in list(self._listeners):
            listener(event)

    def guard_write(self, operation: str) -> None:
        """Refuse a mutating operation in read-only mode, before any call."""
        if self.read_only:
            raise ReadOnlyError(f"{operation} is not allowed in read-only mode")

    # --- lazily built internals -------------------------------------------------------

    @property
    def clients(self) -> AzureClients:
        with self._lock:
            if self._clients is None:
                from .clients import AzureClients

                self._clients = AzureClients(self.config, self.emit)
            return self._clients

    @property
    def _cluster_ops(self) -> ClusterOps:
        clients = self.clients
        with self._lock:
            if self._cluster is None:
                from .cluster import cluster_ops

                self._cluster = cluster_ops(self.config, clients, self.emit, self.guard_write)
            return self._cluster

    @property
    def _volume_ops(self) -> VolumeOps:
        clients = self.clients
        with self._lock:
            if self._volumes is None:
                from .volumes import VolumeOps

                self._volumes = VolumeOps(self.config, clients, self.emit, self.guard_write)
                self._volumes.lease_kube = self._lease_kube
            return self._volumes

    def _lease_kube(self, operation: str) -> Any:
        """The cluster's API for a volume's Lease (kompox_tui/azure/lease.py), with a short
        timeout: an unreachable cluster must not hold up a swap for long."""
        rest = self._cluster_ops.with_cluster_kube(operation, lambda rest: rest)
        rest.timeout = 5.0
        rest.retries = 1
        return rest

    def close(self) -> None:
        with self._lock:
            if self._clients is not None:
                self._clients.close()

    # --- cluster ------------------------------------------------------------------------

    def cluster_provision(self, force: bool = False) -> None:
        self._cluster_ops.provision(force=force)

    def cluster_deprovision(self) -> None:
        self._cluster_ops.deprovision()

    def cluster_status(self) -> ClusterStatus:
        return self._cluster_ops.status()

    def cluster_install(self) -> None:
        self._cluster_ops.install()

    def cluster_uninstall(self) -> None:
        self._cluster_ops.uninstall()

    def cluster_kubeconfig(self) -> bytes:
        return self._cluster_ops.kubeconfig()

    def write_kubeconfig(self, path: Path | None = None, merge: bool = False) -> Path:
        return self._cluster_ops.write_kubeconfig(path=path, merge=merge)

    def save_kubeconfig(
        self,
        path: Path | None = None,
        *,
        merge: bool = False,
        set_current: bool = True,
        overwrite: bool = False,
    ) -> KubeconfigSaved:
        """Save or merge the admin kubeconfig; says what was written and which context is
        current (see kompox_tui/azure/kubeconfig.py)."""
        return self._cluster_ops.save_kubeconfig(
            path, merge=merge, set_current=set_current, overwrite=overwrite
        )

    # --- volumes ------------------------------------------------------------------------

    def disk_list(self, volume: str) -> list[VolumeDisk]:
        return self._volume_ops.disk_list(volume)

    def disk_create(self, volume: str) -> VolumeDisk:
        return self._volume_ops.disk_create(volume)

    def disk_assign(self, volume: str, disk_name: str) -> AssignOutcome:
        """Swap the volume's assigned disk; the outcome's ``notes`` name any concurrent
        change the user should be told about (kompox_tui/azure/assign.py)."""
        return self._volume_ops.disk_assign(volume, disk_name)

    def disk_delete(self, volume: str, disk_name: str, force: bool = False) -> None:
        self._volume_ops.disk_delete(volume, disk_name, force=force)

    def snapshot_list(self, volume: str) -> list[VolumeSnapshot]:
        return self._volume_ops.snapshot_list(volume)

    def snapshot_create(self, volume: str, disk_name: str | None = None) -> VolumeSnapshot:
        return self._volume_ops.snapshot_create(volume, disk_name)

    def snapshot_delete(self, volume: str, snap_name: str) -> None:
        self._volume_ops.snapshot_delete(volume, snap_name)

    def snapshot_restore(self, volume: str, snap_name: str) -> VolumeDisk:
        return self._volume_ops.snapshot_restore(volume, snap_name)

    def volume_health(self, volume: str) -> VolumeHealth:
        return self._volume_ops.volume_health(volume)

    def volume_mounts(self, disk_ids: Collection[str]) -> ClusterMounts:
        """The cluster's PersistentVolumes of these disks, their claims and pods (three
        Kubernetes list calls); an unreachable cluster is a calm result, not an error."""
        from .mounts import cluster_mounts

        return cluster_mounts(
            lambda operation, fn: self._cluster_ops.with_cluster_kube(operation, fn), disk_ids
        )

    def provisioning_json(self) -> dict[str, Any]:
        """The cluster's deployment stack or subscription deployment as Azure sent it
        (one GET; for the describe view)."""
        from ..layouts import layout_for
        from .describe import provisioning_json

        target = layout_for(self.config).provisioning_object()
        return provisioning_json(self.clients, target.kind, target.name)

    def resource_json(self, resource_id: str) -> dict[str, Any]:
        """The full ARM document of one of the volumes' disks or snapshots (one GET)."""
        from .describe import resource_json

        return resource_json(self.clients, resource_id)
