"""`kompox-tui serve` in a real browser: headless Chromium driven by Playwright (issue 14.11).

The page must load, take keys without a click (the terminal is focused on load), and
quitting the app must end the served session. Needs Debian's Chromium
(``apt-get install chromium``; ``.ci/run`` installs it) -- Playwright cannot download
its own browsers here.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="needs Chromium: apt-get install chromium (Debian); .ci/run installs it",
)

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_listening(port: int, timeout: float) -> None:
    give_up = time.monotonic() + timeout
    while time.monotonic() < give_up:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"serve did not listen on port {port} within {timeout} s")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    env = dict(os.environ)
    env.update(
        HOME=str(tmp_path),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
        XDG_STATE_HOME=str(tmp_path / "state"),
        XDG_DATA_HOME=str(tmp_path / "data"),
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "kompox_tui", "serve", "--demo", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_listening(port, 30)
        yield f"http://127.0.0.1:{port}/"
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


def test_served_page_takes_keys_without_a_click_and_quitting_ends_the_session(
    served: str,
) -> None:
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(served)
            # The app's first output arrived (textual.js marks the body).
            page.wait_for_selector("body.-first-byte", timeout=60_000)
            # Focus went to the terminal by itself: nobody clicked.
            page.wait_for_function(
                "document.activeElement && document.activeElement.closest('#terminal')",
                timeout=15_000,
            )
            time.sleep(3)  # the demo's first refresh settles
            before = page.screenshot()
            page.keyboard.press("?")  # help
            changed = False
            for _ in range(50):
                time.sleep(0.2)
                if page.screenshot() != before:
                    changed = True
                    break
            assert changed, "a key press without a click did not change the screen"
            page.keyboard.press("Escape")
            time.sleep(0.5)
            page.keyboard.press("q")
            page.wait_for_selector("body.-closed", timeout=30_000)
            assert page.is_visible("#ended")
        finally:
            browser.close()
