"""`k` / `K` on the overview: ask before admin credentials in read-only, say which context
is current after a merge, ask before replacing another server's context (issue 14.7)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import yaml
from ui_fakes import PROVISIONED, StaticDriver, make_config
from ui_helpers import wait_until

from kompox_tui.azure.driver import AksDriver
from kompox_tui.ui.app import KompoxApp
from kompox_tui.ui.widgets.ask import Ask

SIZE = (150, 40)


def _messages(app: KompoxApp) -> list[str]:
    return [n.message for n in app._notifications]


def _ask(app: KompoxApp) -> Ask:
    screen = app.screen
    assert isinstance(screen, Ask), screen
    return screen


class CountingDriver(StaticDriver):
    fetched = 0

    def write_kubeconfig(self, path: Path | None = None, merge: bool = False) -> Path:
        CountingDriver.fetched += 1
        return super().write_kubeconfig(path, merge)


async def test_read_only_asks_before_fetching_the_admin_credential_and_no_fetches_nothing(
    isolated_dirs: Path,
) -> None:
    CountingDriver.fetched = 0
    app = KompoxApp(
        [CountingDriver(make_config("prod"), PROVISIONED)], read_only=True, start_paused=True
    )
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("K")
        await wait_until(pilot, lambda: isinstance(app.screen, Ask))
        assert "admin" in _ask(app)._title.lower()
        await pilot.press("n")
        await wait_until(pilot, lambda: any("nothing was fetched" in m for m in _messages(app)))
        assert CountingDriver.fetched == 0
        await pilot.press("K")
        await wait_until(pilot, lambda: isinstance(app.screen, Ask))
        await pilot.press("y")
        await wait_until(pilot, lambda: any(m.startswith("Merged into") for m in _messages(app)))
        assert CountingDriver.fetched == 1


async def test_merge_says_which_context_is_current_and_switches_to_it(
    ui_driver: Callable[..., AksDriver], isolated_dirs: Path
) -> None:
    kubeconfig = isolated_dirs / ".kube" / "config"
    kubeconfig.parent.mkdir(parents=True)
    kubeconfig.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "kind-dev",
                "clusters": [{"name": "kind", "cluster": {"server": "https://kind.local"}}],
                "users": [{"name": "kind", "user": {"token": "dev-token"}}],
                "contexts": [{"name": "kind-dev", "context": {"cluster": "kind", "user": "kind"}}],
            }
        )
    )
    driver = ui_driver()
    driver.cluster_provision()
    app = KompoxApp([driver], start_paused=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("K")
        await wait_until(pilot, lambda: any(m.startswith("Merged into") for m in _messages(app)))
    context = f"kompoxops-{driver.config.cluster.name}"
    message = next(m for m in _messages(app) if m.startswith("Merged into"))
    assert f"current context is now {context} (was kind-dev)" in message
    assert "admin credential" in message
    assert yaml.safe_load(kubeconfig.read_text())["current-context"] == context


async def test_replacing_a_context_of_another_server_is_asked_and_no_keeps_the_file(
    ui_driver: Callable[..., AksDriver], isolated_dirs: Path
) -> None:
    driver = ui_driver()
    driver.cluster_provision()
    context = f"kompoxops-{driver.config.cluster.name}"
    kubeconfig = isolated_dirs / ".kube" / "config"
    kubeconfig.parent.mkdir(parents=True)
    kubeconfig.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": context,
                "clusters": [{"name": context, "cluster": {"server": "https://elsewhere"}}],
                "users": [{"name": context, "user": {"token": "other"}}],
                "contexts": [{"name": context, "context": {"cluster": context, "user": context}}],
            }
        )
    )
    before = kubeconfig.read_bytes()
    app = KompoxApp([driver], start_paused=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("K")
        await wait_until(pilot, lambda: isinstance(app.screen, Ask))
        assert "https://elsewhere" in _ask(app)._body
        await pilot.press("n")
        await wait_until(pilot, lambda: any("left unchanged" in m for m in _messages(app)))
    assert kubeconfig.read_bytes() == before
