"""The volume browser over the real driver, the real SDKs and the emulator.

What the screen sends is checked on the emulator's request log, what it changed
through the driver: assign leaves exactly one assigned disk; a wrong typed name
sends no DELETE; the assigned disk needs force; restore shows lineage; read-only
mode sends no mutating request at all.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input

from kompox_tui.azure.driver import AksDriver
from kompox_tui.emulator import Emulator
from kompox_tui.ui.screens.volume_modals import ConfirmAction
from kompox_tui.ui.screens.volumes import VolumeBrowser
from kompox_tui.ui.widgets.confirm import ConfirmByName
from kompox_tui.ui.widgets.filter_table import FilterTable

try:
    from .volumes_fixed import SIZE, VolumeHost, settle
except ImportError:  # tests/ui is not a package: pytest put it on sys.path
    from volumes_fixed import SIZE, VolumeHost, settle

MUTATING = {"PUT", "PATCH", "POST", "DELETE"}
VOLUMES = (("db", "1Gi"), ("logs", "1Gi"))


def local_now() -> datetime:
    return datetime.now().astimezone()


def app_requests(emu: Emulator, driver: AksDriver, since: int = 0) -> list[dict[str, Any]]:
    """Requests (after the first ``since``) that touched this app's resource group."""
    rg = f"/resourcegroups/{driver.config.app.settings['AZURE_RESOURCE_GROUP_NAME']}".lower()
    return [r for r in emu.requests()[since:] if rg in str(r["path"]).lower()]


def browser(app: VolumeHost) -> VolumeBrowser:
    screen = app.screen_stack[1]
    assert isinstance(screen, VolumeBrowser)
    return screen


async def type_name(pilot: Pilot[Any], text: str) -> None:
    pilot.app.screen.query_one("#confirm-input", Input).value = text
    await pilot.pause()


async def test_assign_leaves_exactly_one_assigned_disk(
    ui_driver: Callable[..., AksDriver],
) -> None:
    driver = ui_driver(volumes=VOLUMES)
    first = driver.disk_create("db")
    second = driver.disk_create("db")
    assert first.assigned and not second.assigned
    app = VolumeHost(driver, clock=local_now)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = browser(app)
        assert screen.selected_disk() == second  # newest first: the new disk is on top
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmAction)
        await pilot.press("enter")
        await settle(pilot)
        assigned = [d.name for d in driver.disk_list("db") if d.assigned]
        assert assigned == [second.name]
        cells = screen.query_one("#disks", FilterTable).cells(second.resource_id)
        assert cells is not None and str(cells[0]) == "★"


async def test_wrong_typed_name_sends_no_delete(
    emulator: Emulator, ui_driver: Callable[..., AksDriver]
) -> None:
    driver = ui_driver(volumes=VOLUMES)
    driver.disk_create("db")
    spare = driver.disk_create("db")
    app = VolumeHost(driver, clock=local_now)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        start = len(emulator.requests())
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmByName)
        # One character off (a fixed "X" would match the 1 in 32 names that end in X).
        wrong = spare.name[:-1] + ("Y" if spare.name.endswith("X") else "X")
        await type_name(pilot, wrong)
        await pilot.press("enter", "escape")
        await settle(pilot)
        deletes = [r for r in app_requests(emulator, driver, start) if r["method"] == "DELETE"]
        assert deletes == []
        assert spare.name in [d.name for d in driver.disk_list("db")]


async def test_deleting_the_assigned_disk_needs_force(
    emulator: Emulator, ui_driver: Callable[..., AksDriver]
) -> None:
    driver = ui_driver(volumes=VOLUMES)
    assigned = driver.disk_create("db")
    app = VolumeHost(driver, clock=local_now)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        start = len(emulator.requests())
        await pilot.press("d")
        await pilot.pause()
        await type_name(pilot, assigned.name)
        await pilot.press("enter")  # the name alone is not enough for the assigned disk
        await pilot.pause()
        assert isinstance(app.screen, ConfirmByName)
        assert [r for r in app_requests(emulator, driver, start) if r["method"] == "DELETE"] == []
        await pilot.press("ctrl+f", "enter")
        await settle(pilot)
        assert driver.disk_list("db") == []
        deletes = [r for r in app_requests(emulator, driver, start) if r["method"] == "DELETE"]
        assert len(deletes) == 1


async def test_restore_creates_an_unassigned_disk_and_shows_its_lineage(
    ui_driver: Callable[..., AksDriver],
) -> None:
    driver = ui_driver(volumes=VOLUMES)
    disk = driver.disk_create("db")
    snap = driver.snapshot_create("db")
    app = VolumeHost(driver, clock=local_now)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("tab", "r")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmAction)
        await pilot.press("enter")
        await settle(pilot)
        restored = [d for d in driver.disk_list("db") if d.name != disk.name]
        assert len(restored) == 1 and not restored[0].assigned
        assert restored[0].source == snap.name
        cells = browser(app).query_one("#disks", FilterTable).cells(restored[0].resource_id)
        assert cells is not None and str(cells[9]) == snap.name
        assert isinstance(app.screen, ConfirmAction)  # the offer to assign it
        await pilot.press("escape")
        await settle(pilot)
        assert [d.name for d in driver.disk_list("db") if d.assigned] == [disk.name]


async def test_read_only_sends_no_mutating_request(
    emulator: Emulator, ui_driver: Callable[..., AksDriver]
) -> None:
    driver = ui_driver(volumes=VOLUMES, read_only=True)
    writer = AksDriver(driver.config)
    try:
        writer.disk_create("db")
        writer.disk_create("db")
        writer.snapshot_create("db")
    finally:
        writer.close()
    start = len(emulator.requests())
    app = VolumeHost(driver, read_only=True, clock=local_now)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "a", "n", "s", "d", "R", "tab", "r", "d", "s", "f5")
        await settle(pilot)
        assert isinstance(app.screen, VolumeBrowser)
    sent = app_requests(emulator, driver, start)
    assert sent, "the browser should have listed disks and snapshots"
    assert [r for r in sent if r["method"] in MUTATING] == []


async def test_one_refresh_costs_one_disk_list_and_one_snapshot_list(
    emulator: Emulator, ui_driver: Callable[..., AksDriver]
) -> None:
    driver = ui_driver(volumes=VOLUMES)
    driver.disk_create("db")
    app = VolumeHost(driver, clock=local_now)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        start = len(emulator.requests())
        await pilot.press("f5")
        await settle(pilot)
        sent = app_requests(emulator, driver, start)
        assert [r["method"] for r in sent] == ["GET", "GET"]
        assert sorted("snapshots" in str(r["path"]) for r in sent) == [False, True]


def _set_assigned_in_store(emu: Emulator, resource_id: str, assigned: bool) -> None:
    """Make an inconsistent volume the driver itself never would (an interrupted assign)."""
    from kompox_tui import naming

    store = emu.ctx.store
    with store.lock:
        record = store.get("arm", resource_id.lower())
        assert record is not None, resource_id
        record.setdefault("tags", {})[naming.TAG_DISK_ASSIGNED] = str(assigned).lower()
        store.put("arm", resource_id.lower(), record)


async def test_inconsistent_volume_is_marked_and_repaired_with_one_key(
    emulator: Emulator, ui_driver: Callable[..., AksDriver]
) -> None:
    driver = ui_driver(volumes=VOLUMES)
    older = driver.disk_create("db")
    newer = driver.disk_create("db")
    _set_assigned_in_store(emulator, newer.resource_id, True)  # two assigned now
    assert driver.volume_health("db").state == "inconsistent"
    app = VolumeHost(driver, clock=local_now)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = browser(app)
        volumes = screen.query_one("#volumes", FilterTable)
        health = volumes.cells("db")
        assert health is not None and str(health[0]).startswith("✖")
        assert screen.check_action("repair", ()) is True
        await pilot.press("R")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmAction)
        await pilot.press("enter")
        await settle(pilot)
        assert [d.name for d in driver.disk_list("db") if d.assigned] == [newer.name]
        assert older.name not in [d.name for d in driver.disk_list("db") if d.assigned]
        assert screen.check_action("repair", ()) is False
        health = volumes.cells("db")
        assert health is not None and str(health[0]) == "✔ ok"


def _mount_in_cluster(driver: AksDriver, disk_id: str) -> str:
    """A PV of ``disk_id``, its claim and a pod using it, as ``app deploy`` makes them."""
    import uuid

    import yaml
    from kubernetes import client
    from kubernetes import config as kube_config

    configuration = client.Configuration()
    kube_config.load_kube_config_from_dict(
        yaml.safe_load(driver.cluster_kubeconfig()),
        client_configuration=configuration,
        persist_config=False,
    )
    namespace = f"k4x-{uuid.uuid4().hex[:6]}-app"
    with client.ApiClient(configuration) as api:
        core = client.CoreV1Api(api)
        core.create_namespace(client.V1Namespace.model_validate({"metadata": {"name": namespace}}))
        pv = f"k4x-{uuid.uuid4().hex[:6]}-db"
        spec = {"accessModes": ["ReadWriteOnce"], "storageClassName": "managed-csi"}
        core.create_persistent_volume(
            client.V1PersistentVolume.model_validate(
                {
                    "metadata": {"name": pv},
                    "spec": {
                        **spec,
                        "capacity": {"storage": "1024Mi"},
                        "csi": {"driver": "disk.csi.azure.com", "volumeHandle": disk_id},
                    },
                }
            )
        )
        core.create_namespaced_persistent_volume_claim(
            namespace,
            client.V1PersistentVolumeClaim.model_validate(
                {
                    "metadata": {"name": pv},
                    "spec": {
                        **spec,
                        "volumeName": pv,
                        "resources": {"requests": {"storage": "1024Mi"}},
                    },
                }
            ),
        )
        core.create_namespaced_pod(
            namespace,
            client.V1Pod.model_validate(
                {
                    "metadata": {"name": "web-0"},
                    "spec": {
                        "containers": [{"name": "app", "image": "nginx:1.27"}],
                        "volumes": [{"name": "db", "persistentVolumeClaim": {"claimName": pv}}],
                    },
                }
            ),
        )
    return namespace


async def test_mounted_disk_is_attached_refused_for_delete_and_drifts_after_a_swap(
    emulator: Emulator, ui_driver: Callable[..., AksDriver]
) -> None:
    import time

    driver = ui_driver(volumes=VOLUMES)
    driver.cluster_provision()
    first = driver.disk_create("db")  # assigned
    second = driver.disk_create("db")
    _mount_in_cluster(driver, first.resource_id)
    deadline = time.monotonic() + 15
    while not next(d for d in driver.disk_list("db") if d.name == first.name).attached:
        assert time.monotonic() < deadline, "the emulator never attached the mounted disk"
        time.sleep(0.2)
    app = VolumeHost(driver, clock=local_now)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = browser(app)
        disks = screen.query_one("#disks", FilterTable)
        row = [str(c) for c in disks.cells(first.resource_id) or ()]
        assert row[4] == "Attached" and row[8].startswith("aks-")
        line = str(screen.query_one("#mounts").render())
        assert f"assigned {first.name} · mounted {first.name} by web-0 on aks-" in line
        # Delete the attached disk: refused before any DELETE, with Azure's reason.
        disks.select_key(first.resource_id)
        start = len(emulator.requests())
        await pilot.press("d")
        await pilot.pause()
        await type_name(pilot, first.name)
        await pilot.press("ctrl+f", "enter")
        await settle(pilot)
        assert [r for r in app_requests(emulator, driver, start) if r["method"] == "DELETE"] == []
        errors = [n.message for n in app._notifications if n.severity == "error"]
        assert errors and "OperationNotAllowed" in errors[-1]
        # The swap: the tag moves, the pod keeps the old disk -> drift.
        disks.select_key(second.resource_id)
        await pilot.press("a")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        line = str(screen.query_one("#mounts").render())
        assert f"assigned {second.name} · mounted {first.name} by web-0" in line
        assert "drift" in line
