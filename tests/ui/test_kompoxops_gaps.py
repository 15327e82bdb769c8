"""Issue 11 integration gaps found end to end through the UI (helper I): each test pinned one
bug as ``xfail(strict=True)`` with the file, the function and the symptom in its reason;
every one is fixed now and its marker dropped, so each test pins the fixed behaviour. The
passing proofs of "Done when" are in ``test_kompoxops_e2e.py``, whose files and helpers
these tests share."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from azure.mgmt.resource.deployments import DeploymentsMgmtClient
from test_kompoxops_e2e import (
    CLUSTER_RG,
    DISK,
    SIZE,
    SNAP,
    all_refreshed,
    cell_texts,
    close_app,
    estate,
    fast_driver,
    kompoxapp_yml,
    kompoxops_yml,
    make_app,
    messages,
    overview,
    press_and_wait,
    raw_kompoxops_volume,
    screen_text,
    settle,
    wait_until,
    write,
)

from kompox_tui.config import discover_config_paths, load_configs
from kompox_tui.emulator import Emulator
from kompox_tui.emulator.testing import ArmClients
from kompox_tui.ui.app import KompoxApp
from kompox_tui.ui.screens.overview import ClusterOverview
from kompox_tui.ui.screens.volume_modals import ConfirmAction
from kompox_tui.ui.screens.volumes import VolumeBrowser
from kompox_tui.ui.widgets.confirm import ConfirmByName
from kompox_tui.ui.widgets.filter_table import FilterTable

__all__ = ["estate"]  # the fixture, imported for these tests


async def test_two_apps_of_one_cluster_are_told_apart_in_the_table(
    fresh_emulator: Emulator, tmp_path: Path
) -> None:
    kom = write(tmp_path, "kompoxapp.yml", kompoxapp_yml(fresh_emulator))
    app = make_app(load_configs(discover_config_paths([str(kom)])))
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            keys = overview(app).query_one("#clusters", FilterTable).all_keys
            shown = [" ".join(cell_texts(app, k).values()) for k in keys]
            assert len(shown) == 2
            assert any("web" in s for s in shown) and any("blog" in s for s in shown)
    finally:
        close_app(app)


async def test_the_provision_and_deprovision_dialogs_describe_the_kompoxops_way(
    emulator: Emulator, tmp_path: Path
) -> None:
    path = write(tmp_path, "kompoxops.yml", kompoxops_yml(emulator))
    app = make_app(load_configs(discover_config_paths([str(path)])))
    wrong: list[str] = []
    try:
        async with app.run_test(size=SIZE) as pilot:
            await all_refreshed(pilot, app)
            for key in ("P", "D"):
                await pilot.press(key)
                await wait_until(
                    pilot, lambda: not isinstance(app.screen, ClusterOverview), what="a dialog"
                )
                text = screen_text(app)
                if "Deployment Stack" in text or CLUSTER_RG not in text:
                    wrong.append(f"{key}: {text}")
                await pilot.press("escape")
                await wait_until(pilot, lambda: isinstance(app.screen, ClusterOverview))
            assert wrong == []
    finally:
        close_app(app)


# --- what the volume dialogs promise on a kompoxops volume ------------------------------


def dialog_text(app: KompoxApp) -> str:
    assert isinstance(app.screen, ConfirmAction)
    from textual.widgets import Static

    return " ".join(" ".join(str(w.render()) for w in app.screen.query(Static)).split())


async def test_the_volume_dialogs_promise_what_the_kompoxops_layout_will_make(
    estate: tuple[Emulator, ArmClients, DeploymentsMgmtClient], tmp_path: Path
) -> None:
    emu, arm, _dc = estate
    raw_kompoxops_volume(arm)
    text = kompoxops_yml(emu)
    assert "      size: 10Gi\n" in text
    # 10G = 9.31 GiB: kompoxops makes 9 GiB disks of it
    path = write(tmp_path, "kompoxops.yml", text.replace("      size: 10Gi\n", "      size: 10G\n"))
    app = make_app(load_configs(discover_config_paths([str(path)])))
    wrong: list[str] = []
    try:
        async with app.run_test(size=SIZE) as pilot:
            await all_refreshed(pilot, app)
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, VolumeBrowser))
            await settle(pilot)
            volume_row = app.screen.query_one("#volumes", FilterTable).cells("data")
            assert volume_row is not None
            if "9 GiB" not in [str(c) for c in volume_row]:
                wrong.append(f"volumes table: {[str(c) for c in volume_row]}")
            for keys, musts, must_not in (
                (("n",), ("StandardSSD_LRS", " 9 GiB"), "Premium_LRS"),
                (("s",), ("full",), "incremental"),
                (("tab", "r"), ("StandardSSD_LRS",), "Premium_LRS"),
            ):
                await press_and_wait(pilot, *keys, screen=ConfirmAction)
                text = dialog_text(app)
                if any(m not in text for m in musts) or must_not in text:
                    wrong.append(f"{keys[-1]}: {text}")
                await pilot.press("escape")
                await settle(pilot)
            assert wrong == []
    finally:
        close_app(app)


async def test_the_first_disk_dialog_does_not_promise_an_assignment_kompoxops_never_makes(
    emulator: Emulator, tmp_path: Path, unique_name: Any
) -> None:
    # A workspace of its own on the session emulator: an empty volume, nothing made.
    workspace = unique_name("w")[-30:].strip("-")
    path = write(tmp_path, "kompoxops.yml", kompoxops_yml(emulator, workspace=workspace))
    app = make_app(load_configs(discover_config_paths([str(path)])))
    try:
        async with app.run_test(size=SIZE) as pilot:
            await all_refreshed(pilot, app)
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, VolumeBrowser))
            await settle(pilot)
            await press_and_wait(pilot, "n", screen=ConfirmAction)
            assert "becomes the assigned disk" not in dialog_text(app)
    finally:
        close_app(app)


async def test_kompoxops_lineage_is_shown_both_ways(
    estate: tuple[Emulator, ArmClients, DeploymentsMgmtClient], tmp_path: Path
) -> None:
    emu, arm, _dc = estate
    raw_kompoxops_volume(arm)
    path = write(tmp_path, "kompoxops.yml", kompoxops_yml(emu))
    (config,) = load_configs(discover_config_paths([str(path)]))
    maker = fast_driver(config)
    try:
        restored = maker.snapshot_restore("data", SNAP)
    finally:
        maker.close()
    app = make_app([config])
    gaps: list[str] = []
    try:
        async with app.run_test(size=SIZE) as pilot:
            await all_refreshed(pilot, app)
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, VolumeBrowser))
            await settle(pilot)
            browser = app.screen
            assert isinstance(browser, VolumeBrowser)
            state = browser.state
            assert state is not None and state.snapshots and state.disks
            snap_row = browser.query_one("#snapshots", FilterTable).cells(
                state.snapshots[0].resource_id
            )
            assert snap_row is not None
            if not any(DISK in str(c) for c in snap_row):
                gaps.append(f"snapshot row: {[str(c) for c in snap_row]}")
            disk_row = browser.query_one("#disks", FilterTable).cells(restored.resource_id)
            assert disk_row is not None
            if not any(SNAP in str(c) for c in disk_row):
                gaps.append(f"restored disk row: {[str(c) for c in disk_row]}")
            while browser.selected_disk() and browser.selected_disk().name != DISK:  # type: ignore[union-attr]
                await pilot.press("down")
            await press_and_wait(pilot, "d", screen=ConfirmByName)
            text = screen_text(app)
            await pilot.press("escape")
            if "1 snapshot of it remains" not in text:
                gaps.append(f"delete dialog: {text}")
            assert gaps == []
    finally:
        close_app(app)


async def test_a_skipped_contributor_grant_is_told_in_the_volume_browser(
    emulator: Emulator, tmp_path: Path, unique_name: Any
) -> None:
    # No cluster deployment: kompoxops skips the grant; we must say so.
    workspace = unique_name("w")[-30:].strip("-")
    path = write(tmp_path, "kompoxops.yml", kompoxops_yml(emulator, workspace=workspace))
    app = make_app(load_configs(discover_config_paths([str(path)])))
    try:
        async with app.run_test(size=SIZE) as pilot:
            await all_refreshed(pilot, app)
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, VolumeBrowser))
            await settle(pilot)
            await press_and_wait(pilot, "n", screen=ConfirmAction)
            await pilot.press("enter")
            await settle(pilot)
            assert any(m.startswith("Created disk") for m in messages(app)), messages(app)
            assert any("not granted" in m for m in messages(app)), messages(app)
            # ... and said in the result toast itself, which does not repeat its own news
            (created,) = [m for m in messages(app) if m.startswith("Created disk")]
            assert "not granted" in created and "Note: created disk" not in created, created
    finally:
        close_app(app)


async def test_a_volume_of_a_cluster_not_provisioned_is_not_called_unreachable(
    emulator: Emulator, tmp_path: Path, unique_name: Any
) -> None:
    workspace = unique_name("w")[-30:].strip("-")
    path = write(tmp_path, "kompoxops.yml", kompoxops_yml(emulator, workspace=workspace))
    app = make_app(load_configs(discover_config_paths([str(path)])))
    try:
        async with app.run_test(size=SIZE) as pilot:
            await all_refreshed(pilot, app)
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, VolumeBrowser))
            await settle(pilot)
            row = app.screen.query_one("#volumes", FilterTable).cells("data")
            assert row is not None
            assert not any("unreachable" in str(c) for c in row), [str(c) for c in row]
    finally:
        close_app(app)


async def test_kubeconfig_of_an_unprovisioned_kompoxops_cluster_names_the_deployment(
    emulator: Emulator, tmp_path: Path, unique_name: Any
) -> None:
    workspace = unique_name("w")[-30:].strip("-")
    path = write(tmp_path, "kompoxops.yml", kompoxops_yml(emulator, workspace=workspace))
    app = make_app(load_configs(discover_config_paths([str(path)])))
    try:
        async with app.run_test(size=SIZE) as pilot:
            await all_refreshed(pilot, app)
            await pilot.press("K")
            await wait_until(pilot, lambda: any("kubeconfig" in m for m in messages(app)))
            (said,) = [m for m in messages(app) if "kubeconfig" in m]
            assert "not provisioned" in said
            assert "subscription deployment" in said and "stack" not in said, said
    finally:
        close_app(app)


async def test_two_rows_of_one_cluster_cannot_run_two_cluster_operations_at_once(
    fresh_emulator: Emulator, tmp_path: Path
) -> None:
    emu = fresh_emulator
    kom = write(tmp_path, "kompoxapp.yml", kompoxapp_yml(emu))
    configs = load_configs(discover_config_paths([str(kom)]))
    assert [c.cluster.name for c in configs] == ["cluster1", "cluster1"]
    app = make_app(configs)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await all_refreshed(pilot, app)
            # Hold the provision's first look at its deployment for 5 s of wall time.
            emu.add_fault("GET", r"/deployments/[^/]*_cls_cluster1_", latency=5.0, count=1)
            await pilot.press("P")
            await wait_until(pilot, lambda: not isinstance(app.screen, ClusterOverview))
            await pilot.press("enter")
            await wait_until(pilot, lambda: app.operations.running_for(0) is not None)
            while not isinstance(app.screen, ClusterOverview):
                await pilot.press("escape")
                await pilot.pause()
            assert app.operations.running_for(0) is not None  # still provisioning
            # the second row is the same Azure cluster: it shows the running marker too
            await wait_until(pilot, lambda: cell_texts(app, "1")["marker"] == "▶")
            before = [row.refreshed_at for row in overview(app).rows]
            await pilot.press("down", "D")
            await pilot.pause(0.2)
            if isinstance(app.screen, ConfirmByName):
                await pilot.press(*"cluster1", "enter")
                await pilot.pause(0.2)
            # started while cluster1's provision was running
            started = [(op.index, op.kind) for op in app.operations.all()]
            try:
                assert started == [(0, "provision")], started
            finally:
                await wait_until(
                    pilot,
                    lambda: not any(op.running for op in app.operations.all()),
                    timeout=40,
                    what="the operations to end",
                )
            # the end of the operation refreshes both rows of the cluster
            await wait_until(
                pilot,
                lambda: all(
                    row.refreshed_at not in (None, was)
                    for row, was in zip(overview(app).rows, before, strict=True)
                ),
                what="both rows refreshed",
            )
    finally:
        close_app(app)
