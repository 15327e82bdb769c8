"""The UI's entry point, called by ``kompox_tui.cli`` once the configs are loaded."""

from __future__ import annotations

import contextlib
import gc
from typing import TYPE_CHECKING

from ..model import Config

if TYPE_CHECKING:
    from .app import KompoxApp


def build_app(configs: list[Config], *, demo: bool, read_only: bool) -> KompoxApp:
    """The one factory for the CLI, the demo, the screenshot script and the tests."""
    env = None
    if demo:
        from ..demo import demo_state_dir
        from ..demo_process import DemoProcess

        # First of all: the demo's emulator starts in its own process (the second core)
        # while this one imports Textual and paints (docs/performance.md, start-up).
        env = DemoProcess(demo_state_dir())
        env.spawn()
    from ..azure.driver import AksDriver
    from .app import KompoxApp
    from .settings import default_settings_path

    drivers = [AksDriver(config, read_only=read_only) for config in configs]
    if env is None:
        return KompoxApp(drivers, read_only=read_only, settings_path=default_settings_path())

    def prepare(app: KompoxApp) -> None:
        app.report_startup_step("starting the emulator")
        demo_configs = env.start_emulator()
        demo_drivers = [AksDriver(c, read_only=read_only) for c in demo_configs]
        app.call_from_thread(app.add_drivers, demo_drivers)
        env.seed(app.report_startup_step)
        gc.freeze()  # the SDK modules the start-up imported too (see launch())

    app = KompoxApp(
        drivers,
        read_only=read_only,
        startup=prepare,
        startup_label="prepare the demo",
        subtitle="demo" + (" · read-only" if read_only else ""),
        settings_path=default_settings_path(),
    )
    app.demo = env  # type: ignore[attr-defined]
    app.kubeconfig_dir = env.kubeconfig_dir
    return app


#: Cyclic-GC thresholds for the UI process (Python's defaults: 700, 10, 10).
GC_THRESHOLDS = (50_000, 50, 100)


def tune_gc() -> None:
    """Keep the cyclic garbage collector from stalling the event loop.

    The ~80,000 objects of the imports live as long as the process: frozen, a full
    collection no longer walks them (20-45 ms). Loading 10,000 table rows allocates
    ~200,000 objects, almost none in cycles; with the default thresholds that is a few
    full collections of everything, each a 100-300 ms pause of the event loop while a
    refresh runs (bench/table.py: worst stall 257 ms median; with these thresholds 31 ms,
    and populate 251 -> 233 ms). Cycles are still collected, only less often.
    """
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def launch(configs: list[Config], *, demo: bool, read_only: bool) -> int:
    """Run the UI until the user quits; returns the process exit code."""
    app = build_app(configs, demo=demo, read_only=read_only)
    tune_gc()
    try:
        result = app.run()
    finally:
        for driver in app.drivers:
            with contextlib.suppress(Exception):  # best effort: the process is exiting
                driver.close()
        env = getattr(app, "demo", None)
        if env is not None:
            env.stop()
    if app.return_code:
        return app.return_code
    return result or 0
