"""Regenerate screenshots/*.svg (and *.png when a converter exists) from the live demo.

Run from the repository root::

    .venv/bin/python screenshots/make_screenshots.py

It starts the same app ``kompox-tui --demo`` starts (``build_app(demo=True)``), headless
at 130x34, drives it with Textual's Pilot and saves one SVG per screen. The demo
state lives in a throw-away directory, so the user's own demo is untouched. PNGs are
written only if ``rsvg-convert`` or the ``cairosvg`` module is available (neither is
a dependency).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
SIZE = (130, 34)


async def wait_for(pilot: object, predicate: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the demo did not reach the expected state")
        await pilot.pause(0.1)  # type: ignore[attr-defined]


async def capture() -> list[Path]:
    from kompox_tui.ui.launch import build_app
    from kompox_tui.ui.screens.overview import ClusterOverview
    from kompox_tui.ui.screens.progress import OperationProgress

    app = build_app([], demo=True, read_only=False)
    written: list[Path] = []

    def save(name: str) -> None:
        app.clear_notifications()
        path = Path(app.save_screenshot(f"{name}.svg", str(HERE)))
        written.append(path)
        print(f"wrote {path.relative_to(HERE.parent)}")

    async with app.run_test(size=SIZE) as pilot:
        overview = app.screen
        assert isinstance(overview, ClusterOverview)
        await wait_for(
            pilot,
            lambda: (
                not app.starting_up
                and len(overview.rows) == 3
                and all(r.status is not None and not r.refreshing for r in overview.rows)
            ),
        )
        await pilot.pause(0.3)
        save("01-overview")

        await pilot.press("question_mark")
        await pilot.pause(0.2)
        save("02-help")
        await pilot.press("escape")

        await pilot.press("v")
        await pilot.pause(1.0)
        await app.workers.wait_for_complete()
        await pilot.pause(0.5)
        save("03-volumes")
        await pilot.press("y")  # describe: what the cluster mounts for the volume
        await pilot.pause(1.0)
        await app.workers.wait_for_complete()
        await pilot.pause(0.3)
        save("09-describe")
        await pilot.press("escape")
        await pilot.pause(0.2)
        await pilot.press("escape")
        await pilot.pause(0.2)

        await pilot.press("down", "P")
        await pilot.pause(0.2)
        save("04-provision-options")
        await pilot.click("#confirm")
        await pilot.pause(0.2)
        progress = app.screen
        assert isinstance(progress, OperationProgress)
        await pilot.pause(6.0)
        save("05-provision-progress")
        await wait_for(pilot, lambda: not progress.operation.running, timeout=90)
        await pilot.pause(0.3)
        save("06-provision-done")
        await pilot.press("escape")
        await pilot.pause(0.2)

        await pilot.press("D", *"stag")
        await pilot.pause(0.2)
        save("07-deprovision-confirm")
        await pilot.press("escape")
        await pilot.pause(0.2)

        await pilot.press("l")
        await pilot.pause(0.3)
        save("08-call-log")
        await pilot.press("l")
        await pilot.pause(0.1)

        # The kompoxops-layout cluster: its volume's pods mount an older disk (drift).
        await pilot.press("G", "v")
        await pilot.pause(1.0)
        await app.workers.wait_for_complete()
        await pilot.pause(0.5)
        save("10-kompoxops-volume-drift")
        await pilot.press("escape")
        await pilot.pause(0.2)
    env = getattr(app, "demo", None)
    if env is not None:
        env.stop()
    return written


def to_png(svgs: list[Path]) -> None:
    converter = shutil.which("rsvg-convert")
    try:
        import cairosvg  # type: ignore[import-not-found]
    except ImportError:
        cairosvg = None
    if converter is None and cairosvg is None:
        print("no SVG->PNG converter (rsvg-convert or cairosvg): SVG only")
        return
    for svg in svgs:
        png = svg.with_suffix(".png")
        if converter:
            subprocess.run([converter, "-o", str(png), str(svg)], check=True)
        else:
            cairosvg.svg2png(url=str(svg), write_to=str(png))
        print(f"wrote {png.relative_to(HERE.parent)}")


def main() -> int:
    sandbox = Path(tempfile.mkdtemp(prefix="kompox-screens-"))
    os.environ["XDG_STATE_HOME"] = str(sandbox / "state")
    os.environ["XDG_CONFIG_HOME"] = str(sandbox / "config")
    try:
        svgs = asyncio.run(capture())
        to_png(svgs)
    finally:
        shutil.rmtree(sandbox, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
