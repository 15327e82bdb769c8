"""Fixed-data drivers for deterministic screenshots (snapshot tests only).

Behaviour tests run against the emulator through the real driver; snapshot tests
need data that never changes (no ULIDs, IPs or timestamps from a live run), so
they use these ``AksDriver`` subclasses, which answer from fixed values.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

from kompox_tui.azure.driver import AksDriver
from kompox_tui.azure.kubeconfig import KubeconfigSaved
from kompox_tui.errors import AzureError
from kompox_tui.model import (
    ApiCallEvent,
    App,
    Cluster,
    ClusterStatus,
    Config,
    Ingress,
    ProgressEvent,
    ProgressKind,
    Provider,
    Service,
    Settings,
    Volume,
)

FIXED_NOW = datetime(2026, 11, 23, 22, 45, 0, tzinfo=UTC)


def fixed_clock() -> datetime:
    return FIXED_NOW


def make_config(cluster: str, app: str = "guestbook", path: str | None = None) -> Config:
    return Config(
        path=Path(path or f"/demo/{cluster}/kompoxops.yml"),
        version="v1",
        service=Service("ops"),
        provider=Provider(
            "aks1",
            "aks",
            Settings(
                {
                    "AZURE_SUBSCRIPTION_ID": "00000000-0000-4000-8000-000000000001",
                    "AZURE_LOCATION": "japaneast",
                }
            ),
        ),
        cluster=Cluster(cluster, ingress=Ingress(namespace="traefik")),
        app=App(app, volumes=(Volume("db", "32Gi", 32), Volume("cache", "1Gi", 1))),
    )


PROVISIONED = ClusterStatus(
    existing=False,
    provisioned=True,
    installed=True,
    stack_state="succeeded",
    aks_state="Succeeded",
    power_state="Running",
    kubernetes_version="1.31.2",
    resource_group="rg-ops-aks1-prod",
    ingress_namespace="traefik",
    traefik_ready=2,
    traefik_desired=2,
    ingress_ip="20.48.1.17",
    ingress_fqdn="prod.example.com",
)

ABSENT = ClusterStatus(existing=False, provisioned=False, installed=False)

DEGRADED = ClusterStatus(
    existing=False,
    provisioned=True,
    installed=True,
    stack_state="succeeded",
    aks_state="Succeeded",
    power_state="Running",
    kubernetes_version="1.30.6",
    resource_group="rg-ops-aks1-stage",
    ingress_namespace="traefik",
    traefik_ready=1,
    traefik_desired=2,
    ingress_ip=None,
    problems=(
        "Traefik: 1 of 2 replicas ready",
        "Service traefik/traefik has no load balancer address yet",
    ),
)


class StaticDriver(AksDriver):
    """An AksDriver whose answers are fixed; long operations replay a scripted log."""

    def __init__(
        self,
        config: Config,
        status: ClusterStatus,
        *,
        read_only: bool = False,
        fail_with: AzureError | None = None,
    ) -> None:
        super().__init__(config, read_only=read_only)
        self.status = status
        self.fail_with = fail_with
        self.release = threading.Event()
        self.release.set()

    def cluster_status(self) -> ClusterStatus:
        self.emit(
            ApiCallEvent(
                time=FIXED_NOW,
                method="GET",
                path=f"/subscriptions/0000/providers/Microsoft.Resources/deploymentStacks/"
                f"kompox_ops_aks1_{self.config.cluster.name}",
                status=200,
                duration_ms=12.0,
            )
        )
        return self.status

    def _script(self, operation: str) -> None:
        self.guard_write(operation)
        steps: list[tuple[ProgressKind, str, str | None, str | None]] = [
            ("state", "stack state: deploying", "deploying", None),
            (
                "resource",
                "created Microsoft.ManagedIdentity/userAssignedIdentities/id-app",
                None,
                "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.ManagedIdentity/"
                "userAssignedIdentities/id-app",
            ),
            (
                "resource",
                "created Microsoft.ContainerService/managedClusters/aks-prod",
                None,
                "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.ContainerService/"
                "managedClusters/aks-prod",
            ),
        ]
        for i, (kind, message, state, rid) in enumerate(steps):
            self.emit(
                ProgressEvent(
                    operation,
                    kind,
                    message,
                    float(i * 7),
                    state=state,
                    resource_id=rid,
                )
            )
        self.release.wait(10)
        if self.fail_with is not None:
            self.emit(
                ProgressEvent(operation, "state", "stack state: failed", 21.0, state="failed")
            )
            raise self.fail_with
        self.emit(
            ProgressEvent(operation, "state", "stack state: succeeded", 21.0, state="succeeded")
        )
        self.emit(
            ProgressEvent(
                operation,
                "output",
                "outputs",
                21.5,
                data={
                    "AZURE_AKS_CLUSTER_NAME": "aks-prod",
                    "AZURE_RESOURCE_GROUP_NAME": "rg-ops-aks1-prod",
                },
            )
        )

    def cluster_provision(self, force: bool = False) -> None:
        self._script("provision")

    def cluster_deprovision(self) -> None:
        self._script("deprovision")

    def cluster_install(self) -> None:
        self._script("install")

    def cluster_uninstall(self) -> None:
        self._script("uninstall")

    def write_kubeconfig(self, path: Path | None = None, merge: bool = False) -> Path:
        return path or Path("/home/op/.kube/config" if merge else "/home/op/kubeconfig-prod.yml")

    def save_kubeconfig(
        self,
        path: Path | None = None,
        *,
        merge: bool = False,
        set_current: bool = True,
        overwrite: bool = False,
    ) -> KubeconfigSaved:
        target = self.write_kubeconfig(path, merge)
        context = f"kompoxops-{self.config.cluster.name}"
        return KubeconfigSaved(
            path=target,
            context=context,
            merged=merge,
            current_context=context,
            previous_context="kind-dev" if merge else None,
            replaced=False,
        )
