"""Issue 11: ``kompox-tui -f`` on a real-shaped file with a near-miss key starts and warns
once -- one line on stderr before the UI, one notification in the UI -- through the CLI's
``main`` and the UI's own factory (``build_app``), run headless against the emulator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_kompoxops_e2e import SIZE, kompoxapp_yml, kompoxops_yml, write
from textual.pilot import Pilot
from ui_helpers import wait_until

from kompox_tui.cli import main
from kompox_tui.emulator import Emulator
from kompox_tui.model import Config
from kompox_tui.ui.app import KompoxApp
from kompox_tui.ui.launch import build_app
from kompox_tui.ui.screens.overview import ClusterOverview


def kompoxapp_with_typo(emu: Emulator) -> str:
    text = kompoxapp_yml(emu)
    marker = "\n      AZURE_AUTH_METHOD: client_secret\n"
    assert marker in text
    return text.replace(marker, marker + "      AZURE_SUBSCRIPTON_ID: typo\n", 1)


@pytest.mark.parametrize(
    ("filename", "make"),
    [
        ("kompoxops.yml", lambda emu: kompoxops_yml(emu, extra="    AZURE_SUBSCRIPTON_ID: typo\n")),
        # one Provider document shared by two (cluster, app) rows: still one warning
        ("kompoxapp.yml", kompoxapp_with_typo),
    ],
)
def test_dash_f_with_a_near_miss_key_starts_and_warns_once(
    emulator: Emulator,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    filename: str,
    make: Any,
) -> None:
    path = write(tmp_path, filename, make(emulator))
    seen: dict[str, Any] = {}

    async def auto_pilot(pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app, KompoxApp)
        screen = app.screen
        assert isinstance(screen, ClusterOverview)
        await wait_until(
            pilot,
            lambda: bool(screen.rows) and all(r.refreshed_at is not None for r in screen.rows),
            timeout=20,
            what="the first refresh",
        )
        seen["notices"] = [(n.severity, n.message) for n in app.notices.all()]
        seen["errors"] = [r.error for r in screen.rows]
        app.exit(0)

    def launch(configs: list[Config], *, demo: bool, read_only: bool) -> int:
        app = build_app(configs, demo=demo, read_only=read_only)
        try:
            app.run(headless=True, size=SIZE, auto_pilot=auto_pilot)
        finally:
            for driver in app.drivers:
                driver.close()
        return app.return_code or 0

    assert main(["-f", str(path)], launch=launch) == 0
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1, err
    assert err[0].startswith(f"kompox-tui: warning: {path}:")
    assert "AZURE_SUBSCRIPTON_ID" in err[0] and "AZURE_SUBSCRIPTION_ID" in err[0]
    warnings = [m for s, m in seen["notices"] if s == "warning"]
    assert len(warnings) == 1, seen["notices"]
    assert "AZURE_SUBSCRIPTON_ID" in warnings[0]
    assert [m for s, m in seen["notices"] if s == "error"] == []
    # every row was read: the file works despite the typo
    assert seen["errors"] and all(e is None for e in seen["errors"])
