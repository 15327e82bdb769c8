"""SVG snapshots of the volume browser and each of its modals (fixed data and clock)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot

try:
    from .volumes_fixed import D2, D3, D4, SIZE, FixedVolumeDriver, VolumeHost, settle
except ImportError:  # tests/ui is not a package: pytest put it on sys.path
    from volumes_fixed import D2, D3, D4, SIZE, FixedVolumeDriver, VolumeHost, settle

SnapCompare = Callable[..., bool]


def steps(*keys: str) -> Callable[[Pilot[Any]], Any]:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        if keys:
            await pilot.press(*keys)
        await settle(pilot)

    return run_before


def test_browser(snap_compare: SnapCompare) -> None:
    app = VolumeHost(FixedVolumeDriver())
    assert snap_compare(app, terminal_size=SIZE, run_before=steps())


def test_browser_inconsistent_volume_offers_repair(snap_compare: SnapCompare) -> None:
    app = VolumeHost(FixedVolumeDriver(inconsistent=True))
    assert snap_compare(app, terminal_size=SIZE, run_before=steps())


def test_browser_read_only(snap_compare: SnapCompare) -> None:
    app = VolumeHost(FixedVolumeDriver(read_only=True), read_only=True)
    assert snap_compare(app, terminal_size=SIZE, run_before=steps())


def test_browser_filtered(snap_compare: SnapCompare) -> None:
    app = VolumeHost(FixedVolumeDriver())
    assert snap_compare(app, terminal_size=SIZE, run_before=steps("slash", *"01JSNAP"))


def test_assign_modal_shows_from_and_to(snap_compare: SnapCompare) -> None:
    app = VolumeHost(FixedVolumeDriver())
    assert snap_compare(app, terminal_size=SIZE, run_before=steps("down", "down", "a"))


def test_repair_modal(snap_compare: SnapCompare) -> None:
    app = VolumeHost(FixedVolumeDriver(inconsistent=True))
    assert snap_compare(app, terminal_size=SIZE, run_before=steps("R"))


def test_create_disk_modal(snap_compare: SnapCompare) -> None:
    app = VolumeHost(FixedVolumeDriver())
    assert snap_compare(app, terminal_size=SIZE, run_before=steps("n"))


def test_snapshot_modal(snap_compare: SnapCompare) -> None:
    app = VolumeHost(FixedVolumeDriver())
    assert snap_compare(app, terminal_size=SIZE, run_before=steps("down", "down", "s"))


def test_restore_modal(snap_compare: SnapCompare) -> None:
    app = VolumeHost(FixedVolumeDriver())
    assert snap_compare(app, terminal_size=SIZE, run_before=steps("tab", "down", "r"))


def test_delete_disk_modal(snap_compare: SnapCompare) -> None:
    app = VolumeHost(FixedVolumeDriver())
    assert snap_compare(app, terminal_size=SIZE, run_before=steps("down", "down", "d", *D2[:10]))


def test_delete_assigned_disk_modal(snap_compare: SnapCompare) -> None:
    # A key typed last keeps the input's blinking cursor in one state for the picture.
    app = VolumeHost(FixedVolumeDriver())
    assert snap_compare(app, terminal_size=SIZE, run_before=steps("down", "d", *"01J"))


def test_force_delete_modal(snap_compare: SnapCompare) -> None:
    """Name typed, Enter without force: the dialog says to tick force (ctrl+f)."""
    app = VolumeHost(FixedVolumeDriver())
    assert snap_compare(app, terminal_size=SIZE, run_before=steps("down", "d", *D3, "enter"))


def test_force_delete_modal_ticked(snap_compare: SnapCompare) -> None:
    app = VolumeHost(FixedVolumeDriver())
    assert snap_compare(app, terminal_size=SIZE, run_before=steps("down", "d", *D3[-6:], "ctrl+f"))


def test_delete_snapshot_modal(snap_compare: SnapCompare) -> None:
    app = VolumeHost(FixedVolumeDriver())
    assert snap_compare(app, terminal_size=SIZE, run_before=steps("tab", "d", *"01J"))


def test_browser_drift_after_a_swap(snap_compare: SnapCompare) -> None:
    """The pod still mounts D4 while D3 is assigned: the volume shows drift."""
    app = VolumeHost(FixedVolumeDriver(mounted=D4))
    assert snap_compare(app, terminal_size=SIZE, run_before=steps())


def test_browser_snapshots_focused_shows_failed_and_copying(snap_compare: SnapCompare) -> None:
    app = VolumeHost(FixedVolumeDriver())
    assert snap_compare(app, terminal_size=SIZE, run_before=steps("tab"))


def test_browser_cluster_unreachable(snap_compare: SnapCompare) -> None:
    app = VolumeHost(FixedVolumeDriver(mounts_state="unreachable"))
    assert snap_compare(app, terminal_size=SIZE, run_before=steps())


def test_describe_disk(snap_compare: SnapCompare) -> None:
    app = VolumeHost(FixedVolumeDriver())
    assert snap_compare(app, terminal_size=SIZE, run_before=steps("down", "y"))


def test_browser_light_theme_shows_the_focused_table(snap_compare: SnapCompare) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        pilot.app.theme = "textual-light"
        await steps("tab")(pilot)

    app = VolumeHost(FixedVolumeDriver())
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
