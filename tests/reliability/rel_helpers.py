"""Helpers shared by the reliability tests (import as ``from rel_helpers import ...``)."""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Callable
from typing import Any

from kompox_tui.azure.driver import AksDriver
from kompox_tui.model import ApiCallEvent, DriverEvent

_names = itertools.count(1)


class RelDriver(AksDriver):
    """An AksDriver that keeps every event it emitted."""

    events: list[DriverEvent]

    @property
    def calls(self) -> list[ApiCallEvent]:
        return [e for e in self.events if isinstance(e, ApiCallEvent)]


def tune(driver: AksDriver, *, polling: float = 0.01) -> None:
    """Scale the driver's waits for an emulator at speed 1000 (no SDK patching)."""
    clients = driver.clients
    clients.polling_interval = polling
    clients.retry_backoff_factor = 0.01
    clients.retry_backoff_max = 0.05
    driver._cluster_ops.progress_interval = polling
    driver._volume_ops.polling_interval = polling


def unique(prefix: str) -> str:
    return f"{prefix}{os.getpid() % 10000}x{next(_names)}"


async def wait_until(
    pilot: Any, predicate: Callable[[], bool], timeout: float = 10.0, what: str = ""
) -> None:
    """Pump the Pilot until ``predicate()`` holds (AssertionError after ``timeout``)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        await pilot.pause(0.05)
