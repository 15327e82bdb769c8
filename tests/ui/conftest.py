"""UI test fixtures: isolated directories and apps over emulator-backed drivers.

- autouse ``isolated_dirs``: platformdirs, KUBECONFIG and HOME point into ``tmp_path``,
  so no test reads or writes the user's real files.
- ``ui_driver(**config_kw)``: an ``AksDriver`` over a fresh kompoxops.yml on the session
  emulator (unique resource groups), with polling scaled for test speed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from ui_helpers import fast_driver

from kompox_tui.azure.driver import AksDriver
from kompox_tui.model import Config


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local" / "state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("KUBECONFIG", str(home / ".kube" / "config"))
    return home


@pytest.fixture
def ui_driver(
    config_factory: Callable[..., Config], unique_name: Callable[[str], str]
) -> Iterator[Callable[..., AksDriver]]:
    made: list[AksDriver] = []

    def make(*, read_only: bool = False, emu: Any = None, **kw: Any) -> AksDriver:
        cluster = kw.pop("cluster", None) or unique_name("c")[-30:].strip("-")
        app = kw.pop("app", None) or unique_name("a")[-30:].strip("-")
        filename = f"{cluster}.yml"
        if emu is not None:
            kw["emu"] = emu
        config = config_factory(filename=filename, cluster=cluster, app=app, **kw)
        driver = fast_driver(config, read_only=read_only)
        made.append(driver)
        return driver

    yield make
    for driver in made:
        driver.close()
