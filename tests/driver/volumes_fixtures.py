"""Fixtures for the volume driver tests (drv-volumes), imported by tests/driver/test_volumes_*.

``vol_env`` gives each test its own resource group on the session emulator, an
:class:`AksDriver` recording every event, direct SDK clients (``arm``) to seed or inspect
resources behind the driver's back, and small helpers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from kompox_tui import naming
from kompox_tui.azure.driver import AksDriver
from kompox_tui.azure.volumes import VolumeOps
from kompox_tui.emulator import Emulator
from kompox_tui.emulator.testing import ArmClients
from kompox_tui.model import ApiCallEvent, Config, DriverEvent

WRITE_METHODS = frozenset({"PUT", "PATCH", "DELETE", "POST"})


def fast_volume_driver(
    config: Config, *, read_only: bool = False
) -> tuple[AksDriver, list[DriverEvent]]:
    """An AksDriver tuned for the emulator at test speed; returns it and its event list."""
    events: list[DriverEvent] = []
    driver = AksDriver(config, events.append, read_only=read_only)
    clients = driver.clients
    clients.polling_interval = 0.01
    clients.retry_backoff_factor = 0.01
    clients.retry_backoff_max = 0.05
    return driver, events


@dataclass
class VolEnv:
    emu: Emulator
    config: Config
    driver: AksDriver
    events: list[DriverEvent]
    arm: ArmClients
    rg: str
    lv_key: str
    extra: list[Any] = field(default_factory=list)

    @property
    def ops(self) -> VolumeOps:
        return self.driver._volume_ops

    def azure_name(self, ulid: str) -> str:
        return naming.azure_resource_name(self.lv_key, ulid)

    def disk_tags(self, ulid: str) -> dict[str, str]:
        disk = self.arm.compute.disks.get(self.rg, self.azure_name(ulid))
        return dict(disk.get("tags") or {})

    def calls(self) -> list[ApiCallEvent]:
        return [e for e in self.events if isinstance(e, ApiCallEvent)]

    def write_calls(self) -> list[ApiCallEvent]:
        return [e for e in self.calls() if e.method in WRITE_METHODS]

    def mark(self) -> int:
        """Position in the emulator request log (see ``requests_since``)."""
        return len(self.emu.requests())

    def requests_since(self, mark: int, fragment: str = "") -> list[dict[str, Any]]:
        return [r for r in self.emu.requests()[mark:] if fragment.lower() in str(r["path"]).lower()]

    def assigned(self, volume: str = "db") -> list[str]:
        return [d.name for d in self.driver.disk_list(volume) if d.assigned]


@pytest.fixture
def vol_env_factory(
    emulator: Emulator,
    config_factory: Callable[..., Config],
    unique_name: Callable[[str], str],
) -> Iterator[Callable[..., VolEnv]]:
    made: list[VolEnv] = []
    arm = ArmClients(emulator)

    def make(*, volumes: tuple[tuple[str, str], ...] = (("db", "1Gi"),), **kw: Any) -> VolEnv:
        rg = kw.pop("app_rg", None) or unique_name("rg")
        read_only = bool(kw.pop("read_only", False))
        config = config_factory(volumes=volumes, app_rg=rg, **kw)
        driver, events = fast_volume_driver(config, read_only=read_only)
        idh = naming.id_hash(config.service_name, config.provider.name, config.app.name)
        env = VolEnv(
            emu=emulator,
            config=config,
            driver=driver,
            events=events,
            arm=arm,
            rg=rg,
            lv_key=naming.volume_key(volumes[0][0], idh),
        )
        made.append(env)
        return env

    yield make
    emulator.clear_faults()
    for env in made:
        env.driver.close()
    arm.close()


@pytest.fixture
def vol_env(vol_env_factory: Callable[..., VolEnv]) -> VolEnv:
    return vol_env_factory()
