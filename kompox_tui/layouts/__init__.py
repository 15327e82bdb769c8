"""Layouts: how one convention names, tags and recognises Kompox resources on Azure.

A *layout* answers every naming question the driver has -- the provisioning object
(deployment stack or subscription deployment) and its name, resource groups, disk and
snapshot resource names and user-facing names, the tags to write, how a listed disk or
snapshot is recognised as a volume's, cluster tags, the kubeconfig context, and the
parameters of a new disk or snapshot. The operations in ``kompox_tui.azure`` ask the
layout and never branch on which one is active. Adding a third layout is one module
plus its tests.

* ``guide``: the design guide's names (SPEC §2): stack ``kompox_<svc>_<prv>_<cls>``,
  sha1 idHASH, ULID disk names. The default for ``service:`` files and the demo.
* ``kompoxops``: what real kompoxops v0.0.23 does
  (``/work/shared/reference/kompox-real-facts.md``): sha256/base36 hashes,
  ``k4x-<spHASH>`` prefix, a subscription deployment named after the cluster RG,
  CompactID disk names.

Layouts are pure: no SDK, no Textual, no I/O (an import-linter contract holds that).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from ..model import LAYOUTS, LayoutName

if TYPE_CHECKING:
    from ..model import Config, Volume

LAYOUT_NAMES: tuple[LayoutName, ...] = LAYOUTS
DEFAULT_LAYOUT: LayoutName = "guide"

ResourceKind = Literal["disk", "snapshot"]


@dataclass(frozen=True)
class ProvisioningObject:
    """What ``provision`` creates at subscription scope and status reads back."""

    kind: Literal["stack", "deployment"]
    """``stack``: a deployment stack (``Microsoft.Resources/deploymentStacks``);
    ``deployment``: a plain subscription deployment (``Microsoft.Resources/deployments``)."""
    name: str

    @property
    def description(self) -> str:
        what = "deployment stack" if self.kind == "stack" else "subscription deployment"
        return f"{what} '{self.name}'"


@dataclass(frozen=True)
class DiskSpec:
    """The parameters of a disk to create (empty, or copied from a snapshot)."""

    sku: str
    size_gib: int
    zone: str | None = None
    """None: a regional disk (no ``zones`` sent)."""
    iops: int | None = None
    mbps: int | None = None
    location: str | None = None
    """None: the snapshot's location for a restore, else the provider location."""


@dataclass(frozen=True)
class SnapshotSpec:
    """The parameters of a snapshot to create (always ``createOption=Copy`` of a disk)."""

    sku: str | None
    """None: no ``sku`` is sent (Azure picks)."""
    incremental: bool | None
    """None: no ``incremental`` flag is sent (a full snapshot)."""
    location: str | None = None
    """None: the source disk's location, else the provider location."""


class VolumeNames(ABC):
    """The naming answers for one app volume."""

    def __init__(self, volume: Volume) -> None:
        self.volume = volume

    #: Value of the ``kompox-volume`` tag that the volume's disks and snapshots carry
    #: (the cheap pre-filter of a list; recognition is ``disk_name_of``/``snapshot_name_of``).
    volume_tag: str
    #: Whether the first disk of a volume is created assigned.
    first_disk_assigned: bool

    @abstractmethod
    def new_name(self) -> str:
        """A fresh user-facing disk or snapshot name (ULID or CompactID)."""

    @abstractmethod
    def resource_name(self, kind: ResourceKind, name: str) -> str:
        """The Azure resource name of the volume's disk or snapshot ``name``."""

    @abstractmethod
    def parse_name(self, kind: ResourceKind, text: str) -> str | None:
        """The canonical user-facing name a user typed (the short name or the full Azure
        resource name), or None when it cannot be one of this volume's names."""

    @abstractmethod
    def name_rule(self, kind: ResourceKind) -> str:
        """What a valid name looks like, for error messages."""

    @abstractmethod
    def recognise(
        self, kind: ResourceKind, resource_name: str, tags: Mapping[str, Any]
    ) -> str | None:
        """The user-facing name of a listed disk or snapshot if it is this volume's, else
        None. ``tags`` may be anything Azure sent (callers catch type errors)."""

    @abstractmethod
    def disk_tags(
        self, name: str, *, assigned: bool, restored_from: str | None = None
    ) -> dict[str, str]:
        """Every tag a new disk gets."""

    @abstractmethod
    def snapshot_tags(self, name: str, *, source_disk: str) -> dict[str, str]:
        """Every tag a new snapshot gets."""

    @abstractmethod
    def name_time(self, name: str) -> datetime | None:
        """The creation time encoded in a generated name, if any (list fallback when Azure
        sends no ``timeCreated``)."""

    @abstractmethod
    def new_disk_spec(self) -> DiskSpec:
        """SKU, size, zone and performance of a new empty disk."""

    @abstractmethod
    def restore_disk_spec(self, snapshot_size_gib: int) -> DiskSpec:
        """SKU, size, zone and performance of a disk created from a snapshot."""

    @abstractmethod
    def snapshot_spec(self) -> SnapshotSpec:
        """SKU and incremental flag of a new snapshot."""


class Layout(ABC):
    """Every naming answer for one config (one provider, cluster and app)."""

    name: LayoutName
    #: The app RG is created-or-updated (with ``app_resource_group_tags``) before every
    #: disk or snapshot create, not only when it is missing.
    ensure_app_rg_on_create: bool = False
    #: Grant Contributor on the app RG to the cluster's identity on disk/snapshot create.
    grants_cluster_role_on_app_rg: bool = False

    def __init__(self, config: Config) -> None:
        self.config = config

    # --- cluster -------------------------------------------------------------------------

    @abstractmethod
    def provisioning_object(self) -> ProvisioningObject:
        """The stack or subscription deployment ``provision`` creates."""

    def cluster_identity(self) -> tuple[str, str, str, str]:
        """What tells one Azure cluster from another: ARM endpoint, subscription, and the
        provisioning object's kind and name. Two configs with the same identity (the apps
        of one KOM cluster) provision, deprovision and install the *same* cluster."""
        settings = self.config.provider.settings
        endpoint = str(settings.get("AZURE_RESOURCE_MANAGER_ENDPOINT") or "").strip()
        subscription = str(settings.get("AZURE_SUBSCRIPTION_ID") or "").strip()
        target = self.provisioning_object()
        # Subscription ids are GUIDs and hosts are case-insensitive; names are kept as is.
        return (endpoint.rstrip("/").lower(), subscription.lower(), target.kind, target.name)

    @abstractmethod
    def provision_summary(self) -> str:
        """What ``provision`` creates, in a sentence for the user (the provision dialog)."""

    @abstractmethod
    def deprovision_summary(self) -> str:
        """What ``deprovision`` deletes, in a sentence or two for the user (the deprovision
        dialog): the provisioning object, what goes with it, and what is kept."""

    @abstractmethod
    def cluster_resource_group(self) -> str | None:
        """The cluster RG, or None when only the provisioning outputs know it."""

    @abstractmethod
    def cluster_tags(self) -> dict[str, str]:
        """Tags on the provisioning object and the template's resources."""

    def resource_location(self) -> str:
        """The location new resource groups, disks and snapshots get (provider
        ``AZURE_LOCATION``; a layout may normalise it)."""
        return str(self.config.provider.settings.get("AZURE_LOCATION") or "")

    #: How "installed" is judged: the ingress ``namespace`` exists (the guide, SPEC §4) or
    #: the Traefik ``service`` exists (kompoxops's status).
    installed_marker: Literal["namespace", "service"] = "namespace"

    def ingress_namespace(self) -> str:
        """The ingress namespace (``cluster.ingress.namespace`` or the layout's default)."""
        return self.config.cluster.ingress.effective_namespace

    def ingress_service_account(self) -> str:
        """The ingress service account (``cluster.ingress.serviceAccount`` or the default)."""
        return self.config.cluster.ingress.effective_service_account

    def kubeconfig_context(self) -> str:
        """Context (and cluster and user) name of a written or merged kubeconfig."""
        return f"kompoxops-{self.config.cluster.name}"

    def app_namespace(self) -> str | None:
        """The Kubernetes namespace of the app, when the layout defines one."""
        return None

    def pv_name(self, volume: str, handle: str) -> str | None:
        """The PV (and PVC) name the layout's deploy gives the disk whose Azure ``id`` is
        exactly ``handle``, when the layout defines one."""
        return None

    # --- app and volumes -------------------------------------------------------------------

    @abstractmethod
    def app_resource_group(self) -> str | None:
        """The app RG (disks and snapshots), or None when it must be configured and is not."""

    @property
    def app_resource_group_setting(self) -> str:
        """The setting that names the app RG, for messages."""
        return "app.settings.AZURE_RESOURCE_GROUP_NAME"

    @abstractmethod
    def app_resource_group_tags(self) -> dict[str, str]:
        """Tags on an app RG that a create makes (or rewrites)."""

    @abstractmethod
    def volume_problem(self, volume: Volume) -> str | None:
        """Why the volume's name cannot make valid resource names, or None."""

    @abstractmethod
    def volume_names(self, volume: Volume) -> VolumeNames:
        """The naming answers for one of the app's volumes."""


def get_layout(name: str) -> type[Layout]:
    """The layout class called ``name`` (``guide`` or ``kompoxops``); ValueError otherwise."""
    if name == "guide":
        from .guide import GuideLayout

        return GuideLayout
    if name == "kompoxops":
        from .kompoxops import KompoxopsLayout

        return KompoxopsLayout
    raise ValueError(f"unknown layout '{name}'; expected one of: {', '.join(LAYOUT_NAMES)}")


def layout_name_of(config: Config) -> str:
    """The config's layout name (``config.layout``; ``guide`` when it has none)."""
    value = getattr(config, "layout", None)
    return value if isinstance(value, str) and value else DEFAULT_LAYOUT


def layout_for(config: Config) -> Layout:
    """The layout the config chose, bound to it."""
    return get_layout(layout_name_of(config))(config)


__all__ = [
    "DEFAULT_LAYOUT",
    "LAYOUT_NAMES",
    "DiskSpec",
    "Layout",
    "LayoutName",
    "ProvisioningObject",
    "ResourceKind",
    "SnapshotSpec",
    "VolumeNames",
    "get_layout",
    "layout_for",
    "layout_name_of",
]
