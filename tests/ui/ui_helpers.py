"""Helpers shared by the UI tests (import as ``from ui_helpers import ...``)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot

from kompox_tui.azure.driver import AksDriver
from kompox_tui.model import Config


def fast_driver(config: Config, *, read_only: bool = False) -> AksDriver:
    """A driver that polls its long operations at test speed (emulator speed 1000)."""
    driver = AksDriver(config, read_only=read_only)
    driver.clients.polling_interval = 0.02
    driver._cluster_ops.progress_interval = 0.02
    return driver


async def wait_until(
    pilot: Pilot[Any], predicate: Callable[[], bool], timeout: float = 8.0, what: str = ""
) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        await pilot.pause(0.05)
        await asyncio.sleep(0)
