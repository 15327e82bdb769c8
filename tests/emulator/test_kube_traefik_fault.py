""" "Traefik installed but not running", produced by the emulator as a real cluster would
show it: a pod-failure fault keeps the Traefik pod from starting, so the driver's status
(through the real kubernetes client path) reports it installed, not ready, with a
problem -- and recovers once the fault is gone."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from kompox_tui.azure.driver import AksDriver
from kompox_tui.emulator import Emulator
from kompox_tui.model import Config


@pytest.mark.parametrize("reason", ["ImagePullBackOff", "CrashLoopBackOff"])
def test_traefik_pod_failure_shows_as_installed_but_not_ready(
    emulator: Emulator, config_factory: Callable[..., Config], reason: str
) -> None:
    suffix = uuid.uuid4().hex[:8]
    config = config_factory(cluster=f"c{suffix}", cluster_rg=f"rg-{suffix}")
    events: list[Any] = []
    driver = AksDriver(config, events.append)
    driver.clients.polling_interval = 0.02
    rule = emulator.faults.add_pod_failure(r"/traefik-", reason)
    try:
        driver.cluster_provision()
        driver.cluster_install()
        status = driver.cluster_status()
        assert status.installed
        assert (status.traefik_desired, status.traefik_ready) == (1, 0)
        assert "Traefik ready 0/1" in status.problems
    finally:
        emulator.faults.remove_pod_failure(rule)
    deadline = time.monotonic() + 10
    while (status := driver.cluster_status()).traefik_ready != 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert status.traefik_ready == 1
    driver.close()
