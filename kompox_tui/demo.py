"""``kompox-tui --demo``: the UI over the built-in emulator, with seeded state.

What the demo shows (SPEC §7, issue 7):

* cluster ``prod`` (app ``guestbook``): provisioned, Traefik installed; volume ``db``
  has 4 disks (one assigned) and 6 snapshots of varied ages; volume ``cache`` is empty;
* cluster ``staging`` (app ``shop``): not provisioned — press ``P`` to watch a
  provisioning (about 20 s at demo speed);
* cluster ``dev`` (app ``blog``), made *the kompoxops way* from a ``workspace:`` file
  (layout ``kompoxops``): a subscription deployment named after the cluster resource
  group, Traefik installed by Helm (which kompox-tui leaves alone), and volume ``data``
  with CompactID-named disks (one assigned) and snapshots in the kompoxops-named app
  resource group -- so both layouts are seen side by side.

How it starts fast: the emulator is started and the kompoxops.yml files are written
in a worker *after* the first paint (the app shows "preparing the demo"); seeding
goes through the real driver with the emulator's clock at a very high speed
(``Clock.speed`` is a plain attribute), then the speed is set back to 1.0 so the
user's own operations run at watchable speed.

No secrets in the files the demo writes: the kompoxops.yml files authenticate with
``AZURE_AUTH_METHOD: managed_identity`` against the emulator's App Service style
managed-identity endpoint (``IDENTITY_ENDPOINT`` / ``IDENTITY_HEADER`` are set in this
process's environment only), so they hold no client secret. The running emulator has
no state file; the only state written is the seed cache, which leaves out what would
be a credential (the deployer principal and its secret, the system-assigned identity,
Kubernetes bearer tokens); they are regenerated at each start. Kubeconfigs the user
saves (``k``) or merges (``K``) go into the demo directory, never ``~/.config`` or
``~/.kube``.

Second and later starts skip the seeding: the seeded emulator state is cached in the
state directory (``seed-<version>-v<N>.json``) and loaded into a fresh emulator's store
at start, so the user's own changes never leak into the next demo. The cache expires
after :data:`SEED_MAX_AGE` (ages would drift too far from the seeded ones); delete the
directory to reseed sooner.

Ages: the driver sorts by ``timeCreated``, and a freshly seeded emulator would show
everything as "just now". So the seeded disks and snapshots get ULIDs minted at their
backdated time, and their ``timeCreated`` is set to the same instant by editing the
emulator's store directly (``emu.ctx.store``, namespace ``arm``, keyed by lower-cased
resource id) — the ULID order and the "created" column always agree.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .model import Config
from .naming import MonotonicUlid

if TYPE_CHECKING:
    from .emulator import Emulator

#: Bump when the seeded content changes, so old caches are ignored (and removed).
SEED_VERSION = 6
#: A cached seed older than this is reseeded, so "3h ago" does not become "3 weeks ago".
SEED_MAX_AGE = timedelta(hours=20)
#: Emulator speed while seeding (an emulated 20 s provisioning takes 2 ms).
SEED_SPEED = 10_000.0
#: Emulator speed once the demo is ready: a provisioning takes about 20 s to watch.
DEMO_SPEED = 1.0

DISK_AGES = [timedelta(days=41), timedelta(days=9), timedelta(days=2), timedelta(hours=3)]
#: Which disk (index into DISK_AGES) is assigned.
ASSIGNED_DISK = 2
SNAPSHOT_AGES = [
    timedelta(days=30),
    timedelta(days=7),
    timedelta(days=2),
    timedelta(days=1),
    timedelta(hours=3),
    timedelta(minutes=5),
]
#: The disk (index into DISK_AGES) each snapshot was taken from.
SNAPSHOT_SOURCES = [0, 1, 2, 2, 2, 2]

#: The kompoxops-way cluster: its disks' and snapshots' ages, the assigned disk.
KOMPOXOPS_DISK_AGES = [timedelta(days=12), timedelta(days=4), timedelta(hours=6)]
KOMPOXOPS_ASSIGNED_DISK = 1
KOMPOXOPS_SNAPSHOT_AGES = [timedelta(days=3), timedelta(hours=2)]

#: Store key prefix of the emulated Kubernetes API's per-cluster records (they hold the
#: cluster's bearer token).
_KUBE_CLUSTER_PREFIX = "_clusters/"


@dataclass(frozen=True)
class DemoCluster:
    cluster: str
    app: str
    volumes: tuple[tuple[str, str], ...]
    domain: str | None = None
    workspace: str | None = None
    """Set: a kompoxops-shaped file (``workspace:``, no resource-group settings, a
    ``compose``), which opens in the kompoxops layout."""


DEMO_CLUSTERS = (
    DemoCluster("prod", "guestbook", (("db", "32Gi"), ("cache", "8Gi")), "prod.demo.example"),
    DemoCluster("staging", "shop", (("orders", "16Gi"),)),
    DemoCluster("dev", "blog", (("data", "16Gi"),), workspace="demo"),
)
#: Index of the kompoxops-way cluster in DEMO_CLUSTERS.
KOMPOXOPS_CLUSTER = 2


def demo_state_dir() -> Path:
    """Where the demo writes its kompoxops.yml files and kubeconfigs."""
    from platformdirs import user_state_path

    return user_state_path("kompox-tui", appauthor=False) / "demo"


@dataclass
class DemoEnvironment:
    """The running emulator and the configs that point at it."""

    state_dir: Path
    emulator: Emulator | None = None
    configs: list[Config] = field(default_factory=list)
    seed_seconds: float | None = None
    from_cache: bool = False
    _stop_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def kubeconfig_dir(self) -> Path:
        """Where ``k`` saves a demo cluster's kubeconfig (not the user's ~/.config)."""
        return self.state_dir / "kubeconfig.d"

    def start_emulator(self) -> list[Config]:
        """Start the emulator (demo speed), write and load one kompoxops.yml per cluster."""
        from .emulator import Emulator

        self.state_dir.mkdir(parents=True, exist_ok=True)
        cache = self._cache_path()
        _remove_stale_files(self.state_dir, keep=cache)
        cached = _read_cache(cache)
        if cached is not None:
            meta = cached.get("emulator", {}).get("meta", {})
            emu = Emulator(
                speed=DEMO_SPEED,
                subscription_id=meta.get("subscriptionId"),
                tenant_id=meta.get("tenantId"),
                tls_dir=self.state_dir / "tls",  # reuse the CA and certificate (start-up time)
            )
            _restore_seed(emu, cached)
            self.from_cache = True
        else:
            emu = Emulator(speed=DEMO_SPEED, tls_dir=self.state_dir / "tls")
        self.emulator = emu
        # Managed identity: the configs name no secret. The endpoint and its header live
        # in this process's environment only, set before any credential is built.
        os.environ.update(emu.managed_identity_env)
        with _exclusive(self.state_dir / ".lock"):
            self.configs = self._write_configs(emu)
        return self.configs

    def _write_configs(self, emu: Emulator) -> list[Config]:
        """Write and load the kompoxops.yml files. Under the lock: another demo (a second
        browser tab of ``serve --demo``) writes the same paths for its own emulator."""
        from .config import load_configs

        paths = [
            emu.write_config(
                self.state_dir / demo.cluster / "kompoxops.yml",
                service=None if demo.workspace else "demo",
                provider="aks1",
                cluster=demo.cluster,
                app=demo.app,
                volumes=demo.volumes,
                domain=demo.domain,
                auth_method="managed_identity",
            )
            for demo in DEMO_CLUSTERS
        ]
        for demo, path in zip(DEMO_CLUSTERS, paths, strict=True):
            if demo.workspace:
                _kompoxops_shape(path, demo.workspace)
        # "Merge kubeconfig" in the demo must never touch the user's real ~/.kube/config.
        os.environ["KUBECONFIG"] = str(self.state_dir / "kubeconfig")
        return load_configs(paths)

    def _cache_path(self) -> Path:
        return self.state_dir / f"seed-{__version__}-v{SEED_VERSION}.json"

    def seed(self, on_step: Callable[[str], None] | None = None) -> None:
        """Provision cluster 1, install Traefik, create disks and snapshots, backdate them;
        then the kompoxops-way cluster (:meth:`_seed_kompoxops`).

        With a cached seed loaded there is nothing left to do.
        """
        from .azure.driver import AksDriver

        emu = self._require_emulator()
        started = time.monotonic()
        if self.from_cache:
            self.seed_seconds = time.monotonic() - started
            return
        step = on_step or (lambda _text: None)
        config = self.configs[0]
        driver = AksDriver(config)
        # Names minted at the backdated instants, each by a fresh generator: the shared
        # one (and any single one) is monotonic and would clamp an older instant to the
        # newest name it already issued (snapshots are older than the newest disk).
        now = emu.ctx.clock.now()
        instants = iter([now - age for age in (*DISK_AGES, *SNAPSHOT_AGES)])
        # The driver's documented hook for where new ULIDs come from.
        driver._volume_ops.new_ulid = lambda: MonotonicUlid().new(next(instants))
        emu.ctx.clock.speed = SEED_SPEED
        seeded: list[tuple[str, str]] = []
        try:
            step(f"provisioning {config.cluster.name}")
            driver.cluster_provision()
            step(f"installing Traefik on {config.cluster.name}")
            driver.cluster_install()
            _settle_kubernetes(emu)
            volume = config.app.volumes[0].name
            step(f"creating disks for volume {volume}")
            disks = [driver.disk_create(volume) for _ in DISK_AGES]
            driver.disk_assign(volume, disks[ASSIGNED_DISK].name)
            step(f"taking snapshots of volume {volume}")
            snapshots = [
                driver.snapshot_create(volume, disks[source].name) for source in SNAPSHOT_SOURCES
            ]
            seeded = [(d.resource_id, d.name) for d in disks]
            seeded += [(s.resource_id, s.name) for s in snapshots]
            step(f"mounting volume {volume} in a StatefulSet")
            _mount_demo_volume(emu, driver, config, volume, disks[ASSIGNED_DISK].resource_id)
        finally:
            emu.ctx.clock.speed = DEMO_SPEED
            driver.close()
        for resource_id, ulid in seeded:
            _backdate_to_ulid(emu, resource_id, ulid)
        self._seed_kompoxops(emu, step)
        self.seed_seconds = time.monotonic() - started
        # Cache the seeded state for the next start (written atomically, private, and
        # without anything that is a credential).
        _write_private(self._cache_path(), json.dumps(_seed_cache(emu)))

    def _seed_kompoxops(self, emu: Emulator, step: Callable[[str], None]) -> None:
        """The kompoxops-way cluster: provisioned through the driver in the kompoxops
        layout (a subscription deployment named after the cluster RG), Traefik as Helm
        leaves it, CompactID disks and snapshots at backdated instants."""
        from .azure.driver import AksDriver
        from .layouts.kompoxops import compact_id_time, new_compact_id

        config = self.configs[KOMPOXOPS_CLUSTER]
        driver = AksDriver(config)
        now = emu.ctx.clock.now()
        instants = iter([now - a for a in (*KOMPOXOPS_DISK_AGES, *KOMPOXOPS_SNAPSHOT_AGES)])
        driver._volume_ops.new_ulid = lambda: new_compact_id(next(instants).timestamp())
        emu.ctx.clock.speed = SEED_SPEED
        seeded: list[str] = []
        try:
            step(f"provisioning {config.cluster.name} the kompoxops way")
            driver.cluster_provision()
            step(f"installing Traefik with Helm labels on {config.cluster.name}")
            namespace = driver._cluster_ops.ingress_namespace
            driver._cluster_ops.with_cluster_kube(
                "demo seed", lambda rest: _helm_traefik(rest, namespace)
            )
            _settle_kubernetes(emu)
            volume = config.app.volumes[0].name
            step(f"creating disks and snapshots for volume {volume}")
            disks = [driver.disk_create(volume) for _ in KOMPOXOPS_DISK_AGES]
            driver.disk_assign(volume, disks[KOMPOXOPS_ASSIGNED_DISK].name)
            snapshots = [
                driver.snapshot_create(volume, disks[KOMPOXOPS_ASSIGNED_DISK].name)
                for _ in KOMPOXOPS_SNAPSHOT_AGES
            ]
            seeded = [d.resource_id for d in disks] + [s.resource_id for s in snapshots]
            names = [d.name for d in disks] + [s.name for s in snapshots]
            # Drift: the app still mounts the first disk although the second is assigned
            # (as after a swap without `kompoxops app deploy`).
            _mount_demo_volume(emu, driver, config, volume, disks[0].resource_id)
        finally:
            emu.ctx.clock.speed = DEMO_SPEED
            driver.close()
        for resource_id, name in zip(seeded, names, strict=True):
            when = compact_id_time(name)
            if when is not None:
                _backdate(emu, resource_id, when)

    def _require_emulator(self) -> Emulator:
        if self.emulator is None:
            raise RuntimeError("start_emulator() first")
        return self.emulator

    def stop(self) -> None:
        with self._stop_lock:
            if self.emulator is not None:
                self.emulator.stop()
                self.emulator = None


@contextlib.contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    """An inter-process lock (POSIX ``flock``; without fcntl, no lock)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _remove_stale_files(state_dir: Path, *, keep: Path) -> None:
    """Delete what older demo versions wrote: seed caches of other versions and the
    running emulator's state file (both held the emulator's client secret)."""
    for path in [*state_dir.glob("seed-*.json"), *state_dir.glob("emulator-state.json*")]:
        if path != keep:
            path.unlink(missing_ok=True)


def _read_cache(path: Path) -> dict[str, Any] | None:
    """The cached seed, or None when missing, unreadable or too old (then it is removed)."""
    try:
        age = time.time() - path.stat().st_mtime
    except OSError:
        return None
    try:
        data = json.loads(path.read_text("utf-8")) if age < SEED_MAX_AGE.total_seconds() else None
    except (OSError, ValueError):
        data = None
    if not isinstance(data, dict):
        path.unlink(missing_ok=True)
        return None
    return data


def _seed_cache(emu: Emulator) -> dict[str, Any]:
    """The emulator's store minus credentials: the deployer principal (it has the client
    secret), the system-assigned identity (recreated per emulator) and Kubernetes
    bearer tokens. Managed identities of the seeded cluster stay (they have none)."""
    data: dict[str, Any] = emu.ctx.store.snapshot()
    meta = data.get("emulator", {}).get("meta", {})
    data["emulator"] = {
        "meta": {"subscriptionId": meta.get("subscriptionId"), "tenantId": meta.get("tenantId")}
    }
    data["identity"] = {
        key: {k: v for k, v in rec.items() if k != "secret"}
        for key, rec in data.get("identity", {}).items()
        if rec.get("managed") and not rec.get("systemAssigned")
    }
    for key, record in data.get("k8s", {}).items():
        if key.startswith(_KUBE_CLUSTER_PREFIX) and isinstance(record, dict):
            record.pop("token", None)
    return data


def _restore_seed(emu: Emulator, data: dict[str, Any]) -> None:
    """Load a cached seed into a fresh emulator; each cluster gets a new bearer token."""
    store = emu.ctx.store
    with store.lock:
        for namespace, bucket in data.items():
            if namespace == "emulator" or not isinstance(bucket, dict):
                continue
            for key, value in bucket.items():
                if namespace == "identity" and (
                    not isinstance(value, dict) or not value.get("managed")
                ):
                    continue
                if namespace == "k8s" and key.startswith(_KUBE_CLUSTER_PREFIX):
                    value = {**value, "token": secrets.token_urlsafe(32)}
                store.put(namespace, key, value)


def _write_private(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


def _backdate_to_ulid(emu: Emulator, resource_id: str, ulid: str) -> None:
    """Set a disk's or snapshot's ``timeCreated`` to the instant its ULID encodes."""
    from .naming import ulid_time

    _backdate(emu, resource_id, ulid_time(ulid))


def _backdate(emu: Emulator, resource_id: str, when: datetime) -> None:
    """Set a disk's or snapshot's ``timeCreated`` (the instant its generated name encodes)."""
    from .emulator.core import iso

    store = emu.ctx.store
    with store.lock:
        record: dict[str, Any] | None = store.get("arm", resource_id)
        if record is None:
            return
        record.setdefault("properties", {})["timeCreated"] = iso(when)
        store.put("arm", resource_id, record)


def _kompoxops_shape(path: Path, workspace: str) -> None:
    """Rewrite a written kompoxops.yml the way kompoxops's own examples look: a
    ``workspace:``, no resource-group settings (kompoxops derives them), a ``compose``."""
    import yaml

    doc = yaml.safe_load(path.read_text("utf-8"))
    doc["workspace"] = {"name": workspace}
    for section in ("cluster", "app"):
        (doc.get(section) or {}).get("settings", {}).pop("AZURE_RESOURCE_GROUP_NAME", None)
    doc["app"]["compose"] = "services:\n  app:\n    image: ghost:5\n"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), "utf-8")


def _helm_traefik(rest: Any, namespace: str) -> None:
    """Traefik as ``helm install traefik`` leaves it (the labels and annotations Helm
    writes): kompox-tui reads it as installed and never changes it."""
    from .azure import ingress

    meta = {
        "labels": {
            "app.kubernetes.io/managed-by": "Helm",
            "app.kubernetes.io/name": "traefik",
            "app.kubernetes.io/instance": f"traefik-{namespace}",
            "helm.sh/chart": "traefik-37.1.1",
        },
        "annotations": {
            "meta.helm.sh/release-name": "traefik",
            "meta.helm.sh/release-namespace": namespace,
        },
    }
    selector = {
        "app.kubernetes.io/name": "traefik",
        "app.kubernetes.io/instance": f"traefik-{namespace}",
    }
    objects: list[dict[str, Any]] = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}},
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "traefik", "namespace": namespace, **meta},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": selector},
                "template": {
                    "metadata": {"labels": selector},
                    "spec": {
                        "containers": [{"name": "traefik", "image": "docker.io/traefik:v3.5.3"}]
                    },
                },
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "traefik", "namespace": namespace, **meta},
            "spec": {
                "type": "LoadBalancer",
                "selector": selector,
                "ports": [
                    {"name": "web", "port": 80, "targetPort": 8000, "protocol": "TCP"},
                    {"name": "websecure", "port": 443, "targetPort": 8443, "protocol": "TCP"},
                ],
            },
        },
    ]
    for obj in objects:
        meta_of = obj["metadata"]
        path = ingress.object_path(obj["kind"], None, meta_of.get("namespace"))
        status, _ = rest.request(
            "GET",
            ingress.object_path(obj["kind"], meta_of["name"], meta_of.get("namespace")),
            operation="demo seed",
            ok_missing=True,
        )
        if status == 404:
            rest.request("POST", path, obj, operation="demo seed")


def _mount_demo_volume(
    emu: Emulator, driver: Any, config: Config, volume: str, disk_id: str
) -> None:
    """A pod mounting ``disk_id`` through a bound PV/PVC, so the disk is Attached.

    The kompoxops-layout cluster gets what ``kompoxops app deploy`` makes (namespace,
    PV/PVC ``k4x-...`` named after the disk handle, Deployment ``<app>-app``); the other
    a StatefulSet ``<app>-<volume>``.
    """
    from .emulator.kube.seeding import mount_disk

    ops = driver._cluster_ops
    rg, name = ops._cluster_ref("demo seed", ops._get_stack("demo seed"))
    cluster_id = (
        f"/subscriptions/{emu.subscription_id}/resourceGroups/{rg}"
        f"/providers/Microsoft.ContainerService/managedClusters/{name}"
    )
    app = config.app.name
    size = f"{next(v.size_gib for v in config.app.volumes if v.name == volume)}Gi"
    if config.workspace:
        from .layouts.kompoxops import Hashes, workspace_name

        hashes = Hashes(workspace_name(config), config.provider.name, config.cluster.name, app)
        labels = {"app.kubernetes.io/name": app, "app.kubernetes.io/managed-by": "kompox"}
        mount_disk(
            emu.ctx.services["kube"],
            cluster_id,
            namespace=hashes.namespace,
            claim=hashes.volume_resource_name(volume, disk_id),
            disk_id=disk_id,
            size=size,
            workload_kind="Deployment",
            workload=f"{app}-app",
            volume=volume,
            image="ghcr.io/kompox/demo-blog:1.4",
            labels=labels,
        )
    else:
        mount_disk(
            emu.ctx.services["kube"],
            cluster_id,
            namespace=app,
            claim=f"{app}-{volume}",
            disk_id=disk_id,
            size=size,
            workload_kind="StatefulSet",
            workload=f"{app}-{volume}",
            volume=volume,
        )
    _settle_kubernetes(emu)


def _settle_kubernetes(emu: Emulator, age: timedelta = timedelta(hours=1)) -> None:
    """Make seeded Deployments ready and LoadBalancers addressed at demo speed too.

    The emulated Kubernetes API derives readiness from wall-clock stamps times the
    clock speed; after the speed drops back to 1.0 the just-installed Traefik would
    look "not ready" for a few seconds. Moving ``changedAt``/``lbSince`` back an hour
    in the store (namespace ``k8s``) says "this happened long ago".
    """
    store = emu.ctx.store
    with store.lock:
        for key, entry in store.items("k8s"):
            if not isinstance(entry, dict):
                continue
            changed = False
            for stamp in ("changedAt", "lbSince"):
                value = entry.get(stamp)
                if isinstance(value, str):
                    entry[stamp] = (datetime.fromisoformat(value) - age).isoformat()
                    changed = True
            if changed:
                store.put("k8s", key, entry)
