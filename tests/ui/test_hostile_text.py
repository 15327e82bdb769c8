"""Server text is data (issue 16 items 1-2): never markup, control characters shown.

Each hostile string travels from the emulator over HTTPS (an ARM error message, a
failed deployment's message) through the real driver into the overview's row, panel
and toast, the notification history, the progress log, its error summary and the
saved log file. None of them may carry a raw control character, and bracketed text
(a Gatekeeper ``[constraint]`` name, ``[/]``) must arrive literally.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ui_helpers import wait_until

from kompox_tui.azure.driver import AksDriver
from kompox_tui.ui.app import KompoxApp
from kompox_tui.ui.screens.overview import ClusterOverview
from kompox_tui.ui.screens.progress import OperationProgress

INJECTIONS = [
    "\x1b]0;PWNED-TITLE\x07\x1b[2J\x1b[31m",
    "[/]",
    "[azurepolicy-disk-tags-deny-7f3e]",
    "[bold red]loud[/bold red]",
    "\x9b31m",
    "abc\u202egpj.exe",
    "\r\nfake: line\x00\x08",
]
SHOWN = {
    "\x1b]0;PWNED-TITLE\x07\x1b[2J\x1b[31m": "␛]0;PWNED-TITLE␇␛[2J␛[31m",
    "[/]": "[/]",
    "[azurepolicy-disk-tags-deny-7f3e]": "[azurepolicy-disk-tags-deny-7f3e]",
    "[bold red]loud[/bold red]": "[bold red]loud[/bold red]",
    "\x9b31m": "\\x9b31m",
    "abc\u202egpj.exe": "abc\\u202egpj.exe",
}
RAW = ("\x1b", "\x07", "\x9b", "\u202e", "\x00", "\x08")


def assert_clean(text: str, where: str) -> None:
    raw = [c for c in RAW if c in text]
    assert not raw, f"{where} holds raw {raw!r}"


@pytest.mark.parametrize("hostile", INJECTIONS)
async def test_a_hostile_arm_error_message_is_shown_literally_everywhere(
    ui_driver: Callable[..., AksDriver], fresh_emulator: Any, hostile: str
) -> None:
    driver = ui_driver(emu=fresh_emulator)
    fresh_emulator.add_fault(
        "GET", r"/deploymentStacks/", status=403, code="RequestDisallowedByPolicy",
        message=f"denied by {hostile} policy",
    )  # fmt: skip
    app = KompoxApp([driver], start_paused=True)
    async with app.run_test(size=(150, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, ClusterOverview)
        await wait_until(pilot, lambda: screen.rows[0].error is not None, timeout=10)
        await pilot.pause(0.2)
        assert app.is_running  # "[/]" used to raise MarkupError and end the app
        panel = str(screen.query_one("#cluster-problems").render())
        notices = "\n".join(f"{n.title}\n{n.message}" for n in app.notices.all())
        for where, text in (("panel", panel), ("toast", notices)):
            assert_clean(text, where)
            if hostile in SHOWN:
                assert SHOWN[hostile] in text, (where, text)
        assert screen.rows[0].error is not None
        assert screen.rows[0].error.reason.value == "forbidden"


async def test_a_hostile_deployment_failure_is_clean_in_the_progress_log_and_saved_file(
    ui_driver: Callable[..., AksDriver], fresh_emulator: Any, tmp_path: Path
) -> None:
    hostile = "".join(INJECTIONS)
    driver = ui_driver(emu=fresh_emulator)
    fresh_emulator.add_fault("PUT", r"/deploymentStacks/", lro_error=("QuotaExceeded", hostile))
    app = KompoxApp([driver], start_paused=True, log_dir=tmp_path)
    async with app.run_test(size=(150, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, ClusterOverview)
        await wait_until(pilot, lambda: all(r.refreshed_at for r in screen.rows))
        await pilot.press("P")
        await pilot.click("#confirm")
        await pilot.pause()
        progress = app.screen
        assert isinstance(progress, OperationProgress)
        op = progress.operation
        await wait_until(pilot, lambda: not op.running, timeout=10, what="provisioning")
        await pilot.pause(0.2)
        assert op.state == "failed"
        for line in [*op.all_lines(), *op.error_summary()]:
            assert_clean(line, "progress log")
        result = str(progress.query_one("#progress-result").render())
        assert_clean(result, "progress result")
        assert "[azurepolicy-disk-tags-deny-7f3e]" in result and "␛]0;PWNED-TITLE␇" in result
        title = str(progress.query_one("#progress-title").render())
        assert "failed" in title and "validating" not in title and "HTTP 200" not in result
        await pilot.press("s")
        await pilot.pause(0.2)
        saved = list(tmp_path.glob("provision-*.log"))
        assert len(saved) == 1
        assert_clean(saved[0].read_text(encoding="utf-8"), "saved log")
