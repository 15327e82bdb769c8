"""What ``--demo`` writes to disk: no credential in any file, names that match their ages.

Runs the real demo preparation (emulator start, seeding through the driver, cache)
into a temporary state directory, twice (seeded, then from the cache), and greps
every file written for the emulator's client secret, the managed-identity header,
the emulated clusters' bearer tokens and any JWT.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kompox_tui.azure.driver import AksDriver
from kompox_tui.demo import DISK_AGES, SNAPSHOT_AGES, DemoEnvironment
from kompox_tui.model import VolumeDisk, VolumeSnapshot
from kompox_tui.naming import ulid_time


@pytest.fixture
def demo_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[], DemoEnvironment]]:
    # start_emulator() sets these in os.environ; monkeypatch restores them afterwards.
    for name in ("IDENTITY_ENDPOINT", "IDENTITY_HEADER", "KUBECONFIG"):
        monkeypatch.setenv(name, "unset")
    envs: list[DemoEnvironment] = []

    def make() -> DemoEnvironment:
        env = DemoEnvironment(tmp_path / "demo")
        envs.append(env)
        return env

    yield make
    for env in envs:
        env.stop()


def _credentials_of(env: DemoEnvironment) -> list[str]:
    emu = env.emulator
    assert emu is not None
    tokens = [
        str(record["token"])
        for key, record in emu.ctx.store.items("k8s", "_clusters/")
        if isinstance(record, dict) and record.get("token")
    ]
    assert tokens, "the seeded cluster has a Kubernetes bearer token"
    return [emu.client_secret, emu.identity.identity_header, *tokens]


def _files_containing(root: Path, needles: list[str]) -> list[str]:
    found = []
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        text = path.read_text("utf-8", errors="replace")
        for needle in needles:
            if needle in text:
                found.append(f"{path.relative_to(root)} holds a credential")
        if "eyJ" in text:
            found.append(f"{path.relative_to(root)} holds a JWT")
    return found


def test_demo_files_hold_no_secret_token_or_jwt_seeded_or_cached(
    demo_env: Callable[[], DemoEnvironment],
) -> None:
    first = demo_env()
    configs = first.start_emulator()
    first.seed()
    assert not first.from_cache
    for config in configs:
        assert config.provider.settings["AZURE_AUTH_METHOD"] == "managed_identity"
        assert "AZURE_CLIENT_SECRET" not in config.provider.settings
    driver = AksDriver(configs[0])
    try:
        assert driver.cluster_kubeconfig()  # a token is issued and used
    finally:
        driver.close()
    needles = _credentials_of(first)
    first.stop()
    assert _files_containing(first.state_dir, needles) == []

    second = demo_env()
    configs = second.start_emulator()
    second.seed()
    assert second.from_cache
    driver = AksDriver(configs[0])
    try:
        status = driver.cluster_status()
        assert status.provisioned and status.installed
        assert len(driver.disk_list("db")) == len(DISK_AGES)
        path = driver.write_kubeconfig(second.kubeconfig_dir / "prod.yaml")
    finally:
        driver.close()
    needles = _credentials_of(second) + needles
    second.stop()
    # The kubeconfig the user asked to save may hold its token; nothing else may.
    assert path.stat().st_mode & 0o777 == 0o600
    path.unlink()
    assert _files_containing(second.state_dir, needles) == []


def test_seeded_names_encode_the_time_shown_as_created(
    demo_env: Callable[[], DemoEnvironment],
) -> None:
    env = demo_env()
    configs = env.start_emulator()
    env.seed()
    driver = AksDriver(configs[0])
    try:
        disks = driver.disk_list("db")
        snapshots = driver.snapshot_list("db")
    finally:
        driver.close()
    assert len(disks) == len(DISK_AGES) and len(snapshots) == len(SNAPSHOT_AGES)
    both: list[VolumeDisk | VolumeSnapshot] = [*disks, *snapshots]
    for item in both:
        assert ulid_time(item.name) == item.created_at, item.name
    now = max(item.created_at for item in both) + min(SNAPSHOT_AGES)
    for items, ages in ((disks, DISK_AGES), (snapshots, SNAPSHOT_AGES)):
        shown = sorted((now - item.created_at for item in items), reverse=True)
        assert [round(a.total_seconds() / 60) for a in shown] == [
            round(a.total_seconds() / 60) for a in ages
        ]
    newest_first = sorted(disks, key=lambda d: d.created_at, reverse=True)
    assert [d.name for d in newest_first] == sorted((d.name for d in disks), reverse=True)
    oldest = min(d.created_at for d in disks)
    newest = max(d.created_at for d in disks)
    assert (newest - oldest).days >= (DISK_AGES[0] - DISK_AGES[-1]).days - 1
