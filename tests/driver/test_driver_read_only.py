"""--read-only: every mutating AksDriver method refuses before any network call."""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from kompox_tui import naming
from kompox_tui.azure.driver import AksDriver
from kompox_tui.errors import ReadOnlyError
from kompox_tui.model import Config, DriverEvent

#: Public AksDriver methods that never change Azure or Kubernetes state.
NON_MUTATING = frozenset(
    {
        "from_config",
        "add_listener",
        "remove_listener",
        "emit",
        "guard_write",
        "close",
        "cluster_status",
        "cluster_kubeconfig",
        "write_kubeconfig",  # writes only a local file the user asked for
        "save_kubeconfig",  # the same, saying what it wrote (the UI asks first in read-only)
        "volume_mounts",  # reads PVs, PVCs and pods
        "resource_json",  # reads one resource for the describe view
        "provisioning_json",  # reads the stack or deployment for the describe view
        "disk_list",
        "snapshot_list",
        "volume_health",
    }
)

#: What the enumeration below must find; a new public method has to be classified here.
MUTATING = frozenset(
    {
        "cluster_provision",
        "cluster_deprovision",
        "cluster_install",
        "cluster_uninstall",
        "disk_create",
        "disk_assign",
        "disk_delete",
        "snapshot_create",
        "snapshot_delete",
        "snapshot_restore",
    }
)


def _public_methods() -> set[str]:
    return {
        name
        for name, member in inspect.getmembers(AksDriver)
        if not name.startswith("_") and callable(member)
    }


def _arguments(method: Callable[..., Any]) -> list[Any]:
    """Plausible positional arguments: an existing volume and a well-formed ULID."""
    args: list[Any] = []
    for param in inspect.signature(method).parameters.values():
        if param.default is not inspect.Parameter.empty:
            continue
        args.append("db" if param.name == "volume" else naming.new_ulid())
    return args


def test_every_public_driver_method_is_classified_as_mutating_or_not() -> None:
    assert _public_methods() == NON_MUTATING | MUTATING


@pytest.mark.parametrize("name", sorted(MUTATING))
def test_each_mutating_method_raises_read_only_error_with_zero_requests(
    name: str, emulator: Any, config_factory: Callable[..., Config]
) -> None:
    events: list[DriverEvent] = []
    driver = AksDriver(config_factory(), events.append, read_only=True)
    method = getattr(driver, name)
    before = len(emulator.requests())
    try:
        with pytest.raises(ReadOnlyError) as info:
            method(*_arguments(method))
    finally:
        driver.close()
    assert "read-only" in str(info.value)
    assert events == []
    assert len(emulator.requests()) == before


@pytest.mark.parametrize("name", sorted(MUTATING))
def test_read_only_wins_over_bad_input(
    name: str, emulator: Any, config_factory: Callable[..., Config]
) -> None:
    """The guard runs first: even an unknown volume or a malformed name is refused as
    read-only, so the user learns the real reason the action is unavailable."""
    driver = AksDriver(config_factory(), read_only=True)
    method = getattr(driver, name)
    args = ["no-such-volume" if a == "db" else "not-a-ulid" for a in _arguments(method)]
    before = len(emulator.requests())
    try:
        with pytest.raises(ReadOnlyError):
            method(*args)
    finally:
        driver.close()
    assert len(emulator.requests()) == before


def test_reads_still_work_in_read_only_mode(
    config_factory: Callable[..., Config], unique_name: Callable[[str], str]
) -> None:
    events: list[DriverEvent] = []
    config = config_factory(cluster=f"c{uuid.uuid4().hex[:8]}", app_rg=unique_name("rg"))
    driver = AksDriver(config, events.append, read_only=True)
    try:
        assert not driver.cluster_status().provisioned
        assert driver.disk_list("db") == []
        assert driver.snapshot_list("db") == []
        assert driver.volume_health("db").state == "empty"
    finally:
        driver.close()
    assert events, "reads go to Azure"
