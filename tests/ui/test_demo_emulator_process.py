"""``--demo``'s emulator in its own process (demo_process.py, issue 15.5 start-up).

The UI process starts ``python -m kompox_tui.demo_process`` and reads its protocol; the
driver in this process talks to the child's emulator over real TLS. The child stops when
the UI stops it or simply goes away (its stdin closes); a failing start is one clear
error; the managed-identity header travels over the pipe, never into a file.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from kompox_tui.azure.driver import AksDriver
from kompox_tui.demo import DEMO_CLUSTERS
from kompox_tui.demo_process import DemoProcess
from kompox_tui.errors import KompoxError


@pytest.fixture
def demo_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # start_emulator() sets these in os.environ; monkeypatch restores them afterwards.
    for name in ("IDENTITY_ENDPOINT", "IDENTITY_HEADER", "KUBECONFIG"):
        monkeypatch.setenv(name, "unset")


@pytest.fixture
def demo(tmp_path: Path, demo_env: None) -> Iterator[DemoProcess]:
    process = DemoProcess(tmp_path / "demo")
    yield process
    process.stop()


def _port_open(url: str) -> bool:
    parts = urlsplit(url)
    with socket.socket() as sock:
        sock.settimeout(2)
        return sock.connect_ex((parts.hostname or "127.0.0.1", parts.port or 443)) == 0


def test_the_demo_runs_in_a_child_process_and_the_driver_reaches_it(
    demo: DemoProcess, tmp_path: Path
) -> None:
    demo.spawn()
    configs = demo.start_emulator()
    steps: list[str] = []
    demo.seed(steps.append)
    assert [c.cluster.name for c in configs] == [d.cluster for d in DEMO_CLUSTERS]
    assert steps and not demo.from_cache  # seeded by the child, steps relayed
    endpoint = os.environ["IDENTITY_ENDPOINT"]
    assert urlsplit(endpoint).hostname == "127.0.0.1"
    assert os.environ["KUBECONFIG"] == str(tmp_path / "demo" / "kubeconfig")
    driver = AksDriver(configs[0])
    try:
        status = driver.cluster_status()
    finally:
        driver.close()
    assert status.provisioned and status.installed
    header = os.environ["IDENTITY_HEADER"]
    written = [p for p in (tmp_path / "demo").rglob("*") if p.is_file()]
    assert written and not [p for p in written if header in p.read_text("utf-8", "replace")]
    demo.stop()
    assert not _port_open(endpoint)  # the emulator stopped with its process

    again = DemoProcess(tmp_path / "demo")
    try:
        again.start_emulator()
        again.seed()
        assert again.from_cache  # the second start loads the child's cached seed
    finally:
        again.stop()


def test_the_child_stops_when_the_ui_process_goes_away(demo: DemoProcess) -> None:
    demo.start_emulator()
    demo.seed()
    proc = demo._proc
    assert proc is not None and proc.stdin is not None
    endpoint = os.environ["IDENTITY_ENDPOINT"]
    assert _port_open(endpoint)
    proc.stdin.close()  # what the kernel does when the UI process dies
    assert proc.wait(timeout=15) == 0
    assert not _port_open(endpoint)


def test_a_demo_that_cannot_start_is_one_clear_error(tmp_path: Path, demo_env: None) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    process = DemoProcess(blocker / "demo")
    try:
        with pytest.raises(KompoxError) as info:
            process.start_emulator()
    finally:
        process.stop()
    message = str(info.value)
    assert "Traceback" not in message and "\n" not in message
    assert "not-a-directory" in message or "Not a directory" in message, message
