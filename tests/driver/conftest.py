"""Fixtures for the cluster-side driver tests (drv-cluster).

- ``make_driver(config)`` builds an :class:`AksDriver` whose timings are scaled for the
  emulator at test speed and records every event in ``driver.events``.
- ``kube_cluster`` seeds a managed cluster straight into the session emulator (no stack
  needed) and returns ``(resource_group, name)`` for Kubernetes-only tests.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from kompox_tui.azure.driver import AksDriver
from kompox_tui.model import ApiCallEvent, Config, DriverEvent, ProgressEvent


class RecordingDriver(AksDriver):
    events: list[DriverEvent]

    @property
    def calls(self) -> list[ApiCallEvent]:
        return [e for e in self.events if isinstance(e, ApiCallEvent)]

    @property
    def progress(self) -> list[ProgressEvent]:
        return [e for e in self.events if isinstance(e, ProgressEvent)]

    def calls_with(self, method: str, fragment: str = "") -> list[ApiCallEvent]:
        return [e for e in self.calls if e.method == method and fragment.lower() in e.path.lower()]


def fast_driver(config: Config, *, read_only: bool = False) -> RecordingDriver:
    events: list[DriverEvent] = []
    driver = RecordingDriver(config, events.append, read_only=read_only)
    driver.events = events
    driver.clients.polling_interval = 0.02
    ops = driver._cluster_ops
    ops.progress_interval = 0.02
    return driver


@pytest.fixture
def make_driver() -> Iterator[Callable[..., RecordingDriver]]:
    made: list[RecordingDriver] = []

    def make(config: Config, *, read_only: bool = False) -> RecordingDriver:
        driver = fast_driver(config, read_only=read_only)
        made.append(driver)
        return driver

    yield make
    for driver in made:
        driver.close()


@pytest.fixture
def kube_cluster(emulator: Any) -> tuple[str, str]:
    suffix = uuid.uuid4().hex[:8]
    rg, name = f"rg-kube-{suffix}", f"aks-{suffix}"
    emulator.create_managed_cluster(rg, name)
    return rg, name
