"""Fixtures for the reliability matrix (bench engineer).

- ``rel_emu``: an ``Emulator(speed=1000)`` private to one test module, so fault rules
  and request-log assertions never see another module's traffic.
- ``rel_driver(emu, **config_kw)``: an :class:`AksDriver` over a fresh kompoxops.yml
  (unique cluster/app/resource-group names), tuned for test speed: tiny LRO polling
  interval and retry backoff (``AzureClients`` takes them as attributes), every event
  recorded in ``driver.events``.
- autouse ``isolated_home``: HOME/XDG/KUBECONFIG point into ``tmp_path``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from rel_helpers import RelDriver, tune, unique

from kompox_tui.config import load_config
from kompox_tui.emulator import Emulator
from kompox_tui.model import DriverEvent


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local" / "state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("KUBECONFIG", str(home / ".kube" / "config"))
    return home


@pytest.fixture(scope="module")
def rel_emu() -> Iterator[Emulator]:
    with Emulator(speed=1000.0) as emu:
        yield emu


@pytest.fixture
def rel_driver(tmp_path: Path) -> Iterator[Callable[..., RelDriver]]:
    made: list[RelDriver] = []

    def make(
        emu: Emulator,
        *,
        read_only: bool = False,
        volumes: tuple[tuple[str, str], ...] = (("db", "1Gi"),),
        **kw: Any,
    ) -> RelDriver:
        cluster = kw.pop("cluster", None) or unique("c")
        app = kw.pop("app", None) or unique("a")
        kw.setdefault("app_rg", f"rg-{app}")
        path = emu.write_config(
            tmp_path / f"{cluster}-{app}.yml", cluster=cluster, app=app, volumes=volumes, **kw
        )
        events: list[DriverEvent] = []
        driver = RelDriver(load_config(path), events.append, read_only=read_only)
        driver.events = events
        tune(driver)
        made.append(driver)
        return driver

    yield make
    for driver in made:
        driver.close()
