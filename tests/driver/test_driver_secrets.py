"""Secrets (client secret, access tokens, the admin kubeconfig token) never reach events,
error messages or reprs, across a whole cluster and volume session."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from kompox_tui.errors import KompoxError
from kompox_tui.model import Config

RecordingDriver = Any  # tests/driver/conftest.py RecordingDriver (no package import)


def test_no_secret_in_events_errors_or_reprs(
    emulator: Any,
    config_factory: Callable[..., Config],
    make_driver: Callable[..., RecordingDriver],
) -> None:
    suffix = uuid.uuid4().hex[:8]
    config = config_factory(cluster=f"c{suffix}", cluster_rg=f"rg-{suffix}", app_rg=f"rg-a{suffix}")
    driver = make_driver(config)
    errors: list[str] = []

    driver.cluster_provision()
    driver.cluster_install()
    status = driver.cluster_status()
    kube_token = yaml.safe_load(driver.cluster_kubeconfig())["users"][0]["user"]["token"]
    disk = driver.disk_create("db")
    snap = driver.snapshot_create("db")
    driver.snapshot_restore("db", snap.name)
    for failing in (
        lambda: driver.disk_delete("db", disk.name),  # assigned: refused
        lambda: driver.disk_assign("db", "bogus"),
        lambda: driver.snapshot_restore("nope", snap.name),
    ):
        with pytest.raises(KompoxError) as info:
            failing()
        errors.append(f"{info.value} {info.value!r}")
    emulator.add_fault("*", r"^/k8s/", status=401, count=100)
    try:
        broken = driver.cluster_status()
    finally:
        emulator.clear_faults()
    assert broken.problems

    texts = [
        repr(driver.events),
        repr(status),
        repr(broken),
        repr(driver.config),
        repr(driver.clients.credential),
        *errors,
    ]
    secrets = {"client secret": emulator.client_secret, "kubeconfig token": kube_token}
    for label, secret in secrets.items():
        assert secret and len(secret) >= 8
        for text in texts:
            assert secret not in text, label
    for text in texts:
        assert "eyJ" not in text, "a JWT leaked"
        assert "Bearer " not in text
