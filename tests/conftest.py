"""Shared fixtures: a running emulator and kompoxops.yml files pointing at it.

- ``emulator``: one session-wide ``Emulator(speed=1000)``; tests sharing it use unique
  resource-group names (see ``unique_name``).
- ``fresh_emulator``: a private emulator per test (for state-sensitive tests).
- ``config_factory(**kw)``: writes a kompoxops.yml via ``emu.write_config`` into
  ``tmp_path`` and returns ``kompox_tui.config.load_config(path)`` (the ``Path`` if the
  config loader is not available). Pass ``emu=`` to use another emulator than the
  session one.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kompox_tui.emulator import Emulator
from kompox_tui.emulator.testing import ArmClients

_counter = itertools.count(1)


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    with Emulator(speed=1000.0) as emu:
        yield emu


@pytest.fixture
def fresh_emulator() -> Iterator[Emulator]:
    with Emulator(speed=1000.0) as emu:
        yield emu


@pytest.fixture
def unique_name(request: pytest.FixtureRequest) -> Callable[[str], str]:
    """``unique_name("rg")`` -> ``rg-<test>-<n>``: a resource name no other test uses."""
    base = "".join(c if c.isalnum() else "-" for c in request.node.name.lower())[:40]

    def make(prefix: str) -> str:
        return f"{prefix}-{base}-{os.getpid()}-{next(_counter)}".strip("-")

    return make


@pytest.fixture
def config_factory(emulator: Emulator, tmp_path: Path) -> Callable[..., Any]:
    def make(*, emu: Emulator | None = None, filename: str = "kompoxops.yml", **kw: Any) -> Any:
        target = (emu or emulator).write_config(tmp_path / filename, **kw)
        try:
            from kompox_tui.config import load_config
        except ImportError:
            return target
        return load_config(target)

    return make


@pytest.fixture(scope="session")
def arm(emulator: Emulator) -> Iterator[ArmClients]:
    """Real ResourceManagement/Compute/ContainerService clients on the session emulator."""
    clients = ArmClients(emulator)
    yield clients
    clients.close()


@pytest.fixture
def arm_factory() -> Iterator[Callable[..., ArmClients]]:
    """``arm_factory(emu, **client_kwargs)`` -> ArmClients (closed after the test)."""
    made: list[ArmClients] = []

    def make(emu: Emulator, **kw: Any) -> ArmClients:
        clients = ArmClients(emu, **kw)
        made.append(clients)
        return clients

    yield make
    for clients in made:
        clients.close()
