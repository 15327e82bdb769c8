"""Fixtures for the cluster-side driver tests (drv-cluster).

- ``make_driver(config)`` builds a ``RecordingDriver`` (recording_driver.py: timings
  scaled for the emulator at test speed, every event in ``driver.events``).
- ``kube_cluster`` seeds a managed cluster straight into the session emulator (no stack
  needed) and returns ``(resource_group, name)`` for Kubernetes-only tests.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from recording_driver import RecordingDriver, fast_driver

from kompox_tui.model import Config


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
