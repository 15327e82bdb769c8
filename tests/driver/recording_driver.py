"""An :class:`AksDriver` that records its events, with timings scaled for the emulator.

A module of its own (not conftest.py) so tests can import it by name: which file
``conftest`` names depends on the order pytest loads the four conftest.py files.
"""

from __future__ import annotations

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
