"""Plain, frozen data types shared by the config loader, the driver and the UI."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal, TypeVar

from . import naming, quantity

#: The two naming conventions (issue 11): this project's guide, or real kompoxops v0.0.23.
LayoutName = Literal["guide", "kompoxops"]
LAYOUTS: tuple[LayoutName, ...] = ("guide", "kompoxops")

#: Setting keys whose values are secrets: never shown, logged or written.
SECRET_SETTING_KEYS = frozenset(
    {
        "AZURE_CLIENT_SECRET",
        "AZURE_CLIENT_CERTIFICATE_PASSWORD",
    }
)


_V = TypeVar("_V")


class _FrozenMap(Mapping[str, _V]):
    """An immutable ``str -> value`` map that compares equal to any mapping with the same
    items (what :class:`Settings` and :class:`Options` share)."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, _V] | None = None) -> None:
        self._data: dict[str, _V] = dict(data or {})

    def __getitem__(self, key: str) -> _V:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return dict(self._data) == dict(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(sorted((k, repr(v)) for k, v in self._data.items())))


class Settings(_FrozenMap[str]):
    """An immutable ``str -> str`` settings map whose ``repr`` hides secret values."""

    __slots__ = ()

    def __repr__(self) -> str:
        shown = {k: ("***" if k in SECRET_SETTING_KEYS else v) for k, v in self._data.items()}
        return f"Settings({shown!r})"


class Options(_FrozenMap[object]):
    """``app.volumes[].options``: an immutable map of str/int/float/bool values (as YAML gave)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Options({self._data!r})"


@dataclass(frozen=True)
class Service:
    """``service:`` — the guide layout's first hash component."""

    name: str


@dataclass(frozen=True)
class Workspace:
    """``workspace:`` (kompoxops >= v0.0.7) or the KOM ``Workspace`` document."""

    name: str


@dataclass(frozen=True)
class Provider:
    name: str
    driver: str
    settings: Settings = field(default_factory=Settings)


@dataclass(frozen=True)
class IngressCertificate:
    """``cluster.ingress.certificates[]``: a Key Vault secret URL and its TLS secret name."""

    name: str
    source: str


@dataclass(frozen=True)
class Protection:
    """KOM ``Cluster.spec.protection``: ``none`` | ``cannotDelete`` | ``readOnly``."""

    provisioning: str = "none"
    installation: str = "none"


@dataclass(frozen=True)
class Ingress:
    """``cluster.ingress``; ``namespace`` is None when the key is absent or not a string."""

    namespace: str | None = None
    service_account: str | None = None
    domain: str | None = None
    cert_email: str | None = None
    controller: str | None = None
    cert_resolver: str | None = None
    certificates: tuple[IngressCertificate, ...] = ()

    @property
    def effective_namespace(self) -> str:
        """SPEC §4: the configured namespace if it is a string, else ``default``."""
        return self.namespace or "default"

    @property
    def effective_service_account(self) -> str:
        return self.service_account or "traefik"


@dataclass(frozen=True)
class Cluster:
    name: str
    existing: bool = False
    ingress: Ingress = field(default_factory=Ingress)
    settings: Settings = field(default_factory=Settings)
    protection: Protection = field(default_factory=Protection)


@dataclass(frozen=True)
class Volume:
    name: str
    size: str
    """The quantity as written in the file, e.g. ``32Gi``."""
    size_gib: int
    """The size rounded up to whole GiB, minimum 1 (the guide layout's disk size)."""
    type: str = "disk"
    """``disk`` or ``files`` (an empty ``type`` in the file means ``disk``)."""
    options: Options = field(default_factory=Options)
    """``options`` as typed by YAML: ``sku`` (str), ``iops``/``mbps`` (int or float), ..."""

    @property
    def size_bytes(self) -> int:
        """The quantity in bytes (rounded up), e.g. ``32`` -> 32, ``10G`` -> 10**10."""
        return quantity.parse_bytes(self.size)


@dataclass(frozen=True)
class AppIngressRule:
    name: str
    port: int
    hosts: tuple[str, ...] = ()


@dataclass(frozen=True)
class AppIngress:
    cert_resolver: str | None = None
    rules: tuple[AppIngressRule, ...] = ()


@dataclass(frozen=True)
class Deployment:
    """``app.deployment``; ``zone`` is the disk zone in the kompoxops layout (empty: regional)."""

    pool: str = ""
    zone: str = ""


@dataclass(frozen=True)
class App:
    name: str
    volumes: tuple[Volume, ...] = ()
    settings: Settings = field(default_factory=Settings)
    compose: str = ""
    """``app.compose`` as text (a mapping is re-serialised to YAML)."""
    ingress: AppIngress = field(default_factory=AppIngress)
    deployment: Deployment = field(default_factory=Deployment)
    resources: Settings = field(default_factory=Settings)

    def volume(self, name: str) -> Volume | None:
        return next((v for v in self.volumes if v.name == name), None)


@dataclass(frozen=True)
class Config:
    """One (cluster, app) pair: a kompoxops.yml, or one pair of a set of KOM documents."""

    path: Path
    """The kompoxops.yml, or the file holding the KOM ``App`` document."""
    version: str
    service: Service | None
    provider: Provider
    cluster: Cluster
    app: App
    workspace: Workspace | None = None
    layout: LayoutName = "guide"
    """Which naming convention this cluster uses (file shape, ``--layout`` or setting)."""
    warnings: tuple[str, ...] = ()
    """Load warnings (near-miss keys, tiny sizes, ...), each ``file:line: key: message``."""
    kom_id: str | None = None
    """The KOM App's ``ops.kompox.dev/id`` (``/ws/../prv/../cls/../app/..``); None for a file."""

    @property
    def service_name(self) -> str:
        """SPEC §2: ``service.name``, or ``(nil)`` when there is no service."""
        return naming.service_name(self.service.name if self.service else None)

    @property
    def workspace_name(self) -> str:
        """kompoxops: ``workspace.name``, ``""`` when absent (v0.0.23 ignores ``service:``)."""
        return self.workspace.name if self.workspace else ""

    @property
    def hash_root(self) -> str:
        """The first hash component for this config's layout (service or workspace)."""
        return self.workspace_name if self.layout == "kompoxops" else self.service_name


# --- driver results -------------------------------------------------------------


@dataclass(frozen=True)
class ClusterStatus:
    existing: bool
    provisioned: bool
    installed: bool
    stack_state: str | None = None
    aks_state: str | None = None
    power_state: str | None = None
    kubernetes_version: str | None = None
    resource_group: str | None = None
    ingress_namespace: str = "default"
    traefik_ready: int | None = None
    traefik_desired: int | None = None
    ingress_ip: str | None = None
    ingress_fqdn: str | None = None
    problems: tuple[str, ...] = ()
    provisioning_kind: str = "stack"
    """``stack`` (deployment stack) or ``deployment`` (plain subscription deployment)."""
    provisioning_name: str | None = None
    """The stack's or deployment's name (``stack_state`` is its provisioning state)."""
    outputs: tuple[tuple[str, str], ...] = ()
    """The provisioning object's outputs, keys upper-cased, sorted by key."""
    other_layout: str | None = None
    """Set when this layout's object is missing but the named other layout's exists."""
    ingress_managed_by: str | None = None
    """The Traefik Service's ``app.kubernetes.io/managed-by`` label (e.g. ``Helm``)."""


@dataclass(frozen=True)
class VolumeDisk:
    name: str
    """The disk's user-facing name: a ULID (guide layout) or the ``kompox-disk-name`` tag
    (kompoxops layout: a CompactID or a name the user chose)."""
    azure_name: str
    volume: str
    size_gib: int
    assigned: bool
    created_at: datetime
    resource_id: str
    source: str | None = None
    """Name of the snapshot this disk was restored from, if any."""
    sku: str = "Premium_LRS"
    # Real state, read from the list item (no extra call). None: Azure did not say.
    provisioning_state: str | None = None
    """``properties.provisioningState`` (Succeeded, Updating, Failed, ...)."""
    disk_state: str | None = None
    """``properties.diskState`` (Unattached, Attached, Reserved, ActiveSAS, ...)."""
    managed_by: str | None = None
    """``managedBy``: the ARM id of the VM or scale-set instance the disk is attached to."""
    node: str | None = None
    """The Kubernetes node name derived from ``managed_by`` (``<vmss><instance as 6 base36
    digits>``, e.g. ``aks-system-12345678-vmss000000``), or the VM name."""
    zone: str | None = None
    """The first of ``zones``; None for a regional disk."""
    iops: int | None = None
    """``properties.diskIOPSReadWrite`` when Azure reports it."""
    mbps: int | None = None
    """``properties.diskMBpsReadWrite`` when Azure reports it."""

    @property
    def attached(self) -> bool:
        """True when Azure reports the disk attached (or reserved) to a VM."""
        return (self.disk_state or "").lower() in ("attached", "reserved") or bool(self.managed_by)

    @property
    def failed(self) -> bool:
        return (self.provisioning_state or "").lower() == "failed"


@dataclass(frozen=True)
class VolumeSnapshot:
    name: str
    """The snapshot's user-facing name: a ULID (guide) or the ``kompox-snapshot-name`` tag
    (kompoxops)."""
    azure_name: str
    volume: str
    size_gib: int
    source_disk: str | None
    """Name of the disk the snapshot was taken from (guide: the ``kompox-disk-name`` tag;
    kompoxops writes no such tag, so None)."""
    created_at: datetime
    resource_id: str
    # Real state, read from the list item (no extra call). None: Azure did not say.
    provisioning_state: str | None = None
    """``properties.provisioningState`` (Succeeded, Failed, ...)."""
    incremental: bool | None = None
    """``properties.incremental``."""
    completion_percent: float | None = None
    """``properties.completionPercent``: the background copy of an incremental snapshot
    (below 100: still copying; Azure refuses it as a copy source only while
    ``access_state`` is ``Pending``)."""
    sku: str | None = None
    zone: str | None = None
    access_state: str | None = None
    """``properties.snapshotAccessState``: ``Pending`` while an Ultra / Premium SSD v2
    snapshot cannot yet be a copy source; ``InstantAccess``/``Available`` otherwise."""
    source_resource_id: str | None = None
    """``properties.creationData.sourceResourceId``: the disk it was copied from."""

    @property
    def copying(self) -> bool:
        """True while Azure still copies the snapshot's data in the background."""
        return self.completion_percent is not None and self.completion_percent < 100

    @property
    def failed(self) -> bool:
        return (self.provisioning_state or "").lower() == "failed"


HealthState = Literal["ok", "inconsistent", "empty"]


@dataclass(frozen=True)
class VolumeHealth:
    volume: str
    disks: int
    assigned: int
    assigned_disks: tuple[str, ...] = ()

    @property
    def state(self) -> HealthState:
        if self.disks == 0:
            return "empty"
        return "ok" if self.assigned == 1 else "inconsistent"


# --- events the driver emits ------------------------------------------------------


@dataclass(frozen=True)
class ApiCallEvent:
    """One HTTP request the driver made (Azure or Kubernetes). No secrets, no query secrets."""

    time: datetime
    method: str
    path: str
    status: int | None
    duration_ms: float
    request_id: str | None = None
    host: str | None = None
    error: str | None = None


ProgressKind = Literal["state", "resource", "info", "output", "error", "done"]


@dataclass(frozen=True)
class ProgressEvent:
    """Progress of a long operation (provision, deprovision, install, uninstall)."""

    operation: str
    kind: ProgressKind
    message: str
    elapsed_s: float
    state: str | None = None
    resource_id: str | None = None
    data: Mapping[str, str] | None = None


DriverEvent = ApiCallEvent | ProgressEvent
