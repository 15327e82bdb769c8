"""``kompox-tui --demo``: the UI over the built-in emulator, with seeded state.

What the demo shows (SPEC §7, issue 7):

* cluster ``prod`` (app ``guestbook``): provisioned, Traefik installed; volume ``db``
  has 4 disks (one assigned) and 6 snapshots of varied ages; volume ``cache`` is empty;
* cluster ``staging`` (app ``shop``): not provisioned — press ``P`` to watch a
  provisioning (about 20 s at demo speed).

How it starts fast: the emulator is started and the kompoxops.yml files are written
in a worker *after* the first paint (the app shows "preparing the demo"); seeding
goes through the real driver with the emulator's clock at a very high speed
(``Clock.speed`` is a plain attribute), then the speed is set back to 1.0 so the
user's own operations run at watchable speed.

Second and later starts skip the seeding: the seeded emulator state is cached in the
state directory (``seed-<version>-v<N>.json``, the emulator's own state-file format)
and a copy of it is loaded at start (``Emulator(state_file=...)``), so the user's own
changes never leak into the next demo. Delete the directory to reseed.

Ages: the driver sorts by ``timeCreated``, and a freshly seeded emulator would show
everything as "just now". So after seeding, the demo backdates ``timeCreated`` of the
seeded disks and snapshots by editing the emulator's store directly
(``emu.ctx.store``, namespace ``arm``, keyed by lower-cased resource id) — the only
place the demo reaches past the emulator's HTTP API.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .model import Config

if TYPE_CHECKING:
    from .emulator import Emulator

#: Bump when the seeded content changes, so old caches are ignored.
SEED_VERSION = 1
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


@dataclass(frozen=True)
class DemoCluster:
    cluster: str
    app: str
    volumes: tuple[tuple[str, str], ...]
    domain: str | None = None


DEMO_CLUSTERS = (
    DemoCluster("prod", "guestbook", (("db", "32Gi"), ("cache", "8Gi")), "prod.demo.example"),
    DemoCluster("staging", "shop", (("orders", "16Gi"),)),
)


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

    def start_emulator(self) -> list[Config]:
        """Start the emulator (demo speed), write and load one kompoxops.yml per cluster."""
        from .config import load_configs
        from .emulator import Emulator

        self.state_dir.mkdir(parents=True, exist_ok=True)
        cache, ages = self._cache_paths()
        run_state = self.state_dir / "emulator-state.json"
        emu: Emulator | None = None
        if cache.is_file() and ages.is_file():
            shutil.copyfile(cache, run_state)
            try:
                emu = Emulator(speed=DEMO_SPEED, state_file=run_state)
                self.from_cache = True
            except ValueError:  # an unreadable cache: forget it and seed afresh
                cache.unlink(missing_ok=True)
        if emu is None:
            run_state.unlink(missing_ok=True)
            emu = Emulator(speed=DEMO_SPEED)
        self.emulator = emu
        paths = [
            emu.write_config(
                self.state_dir / demo.cluster / "kompoxops.yml",
                service="demo",
                provider="aks1",
                cluster=demo.cluster,
                app=demo.app,
                volumes=demo.volumes,
                domain=demo.domain,
            )
            for demo in DEMO_CLUSTERS
        ]
        # "Merge kubeconfig" in the demo must never touch the user's real ~/.kube/config.
        os.environ["KUBECONFIG"] = str(self.state_dir / "kubeconfig")
        self.configs = load_configs(paths)
        return self.configs

    def _cache_paths(self) -> tuple[Path, Path]:
        stem = f"seed-{__version__}-v{SEED_VERSION}"
        return self.state_dir / f"{stem}.json", self.state_dir / f"{stem}-ages.json"

    def seed(self, on_step: Callable[[str], None] | None = None) -> None:
        """Provision cluster 1, install Traefik, create disks and snapshots, backdate them.

        With a cached seed loaded, only the ages are refreshed (relative to now).
        """
        from .azure.driver import AksDriver

        emu = self._require_emulator()
        started = time.monotonic()
        cache, ages_file = self._cache_paths()
        if self.from_cache:
            now = emu.ctx.clock.now()
            for resource_id, age_s in json.loads(ages_file.read_text("utf-8")):
                _backdate(emu, resource_id, now - timedelta(seconds=age_s))
            self.seed_seconds = time.monotonic() - started
            return
        step = on_step or (lambda _text: None)
        disks: list[Any] = []
        snapshots: list[Any] = []
        config = self.configs[0]
        driver = AksDriver(config)
        emu.ctx.clock.speed = SEED_SPEED
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
        finally:
            emu.ctx.clock.speed = DEMO_SPEED
            driver.close()
        now = emu.ctx.clock.now()
        aged = [
            *zip((d.resource_id for d in disks), DISK_AGES, strict=True),
            *zip((s.resource_id for s in snapshots), SNAPSHOT_AGES, strict=True),
        ]
        for resource_id, age in aged:
            _backdate(emu, resource_id, now - age)
        self.seed_seconds = time.monotonic() - started
        # Cache the seeded state for the next start (written atomically, private).
        _write_private(cache, json.dumps(emu.ctx.store.snapshot(), sort_keys=True))
        _write_private(ages_file, json.dumps([[rid, age.total_seconds()] for rid, age in aged]))

    def _require_emulator(self) -> Emulator:
        if self.emulator is None:
            raise RuntimeError("start_emulator() first")
        return self.emulator

    def stop(self) -> None:
        with self._stop_lock:
            if self.emulator is not None:
                self.emulator.stop()
                self.emulator = None


def _write_private(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


def _backdate(emu: Emulator, resource_id: str, created: datetime) -> None:
    """Set a disk's or snapshot's ``timeCreated`` in the emulator's store."""
    from .emulator.core import iso

    store = emu.ctx.store
    with store.lock:
        record: dict[str, Any] | None = store.get("arm", resource_id)
        if record is None:
            return
        record.setdefault("properties", {})["timeCreated"] = iso(created)
        store.put("arm", resource_id, record)


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
