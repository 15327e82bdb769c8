"""Big volumes: rows are built off the event loop and still show every disk and snapshot."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from rich.text import Text

from kompox_tui.ui.screens.volumes import (
    ROWS_ON_LOOP,
    VolumeBrowser,
    VolumeRows,
    disk_rows,
    snapshot_rows,
)
from kompox_tui.ui.widgets.filter_table import FilterTable

try:
    from .volumes_fixed import NOW, SIZE, FixedVolumeDriver, VolumeHost, _disk, _snap, settle
except ImportError:  # tests/ui is not a package: pytest put it on sys.path
    from volumes_fixed import NOW, SIZE, FixedVolumeDriver, VolumeHost, _disk, _snap, settle

COUNT = ROWS_ON_LOOP  # disks, and as many snapshots: twice the on-loop limit


def ulid(prefix: str, i: int) -> str:
    return f"01J{prefix}{i:020d}"[:26]


class BigVolumeDriver(FixedVolumeDriver):
    def __init__(self) -> None:
        super().__init__()
        disks = [_disk(ulid("D", i), 1 + i, i == 3) for i in range(COUNT)]
        self.disks["db"] = disks
        self.snaps["db"] = [_snap(ulid("S", i), 2 + i, disks[i % 7].name) for i in range(COUNT)]


def test_unstyled_cells_are_plain_text_and_styled_ones_rich_text() -> None:
    plain = _disk(ulid("D", 1), 3, False)
    assigned = replace(_disk(ulid("D", 2), 5, True), source="01JSNAPGONE000000000000000")
    rows = dict(disk_rows([plain, assigned], [], NOW))
    marker, name, created, age, _state, size, sku, _zone, _node, source = rows[plain.resource_id]
    assert isinstance(name, Text) and name.plain == plain.name
    assert (created, age, sku) == ("2026-11-23 00:00", "3h ago", "Premium_LRS")
    assert isinstance(size, Text) and size.justify == "right" and size.plain == "32"
    assert isinstance(marker, Text) and marker.plain == "·"
    assert isinstance(created, str) and isinstance(age, str)  # plain where unstyled
    marker, name, *_, source = rows[assigned.resource_id]
    assert isinstance(name, Text) and all("green" in str(s.style) for s in name.spans)
    assert isinstance(source, Text) and source.plain.endswith("✗")  # the snapshot is gone


def test_rows_built_ahead_are_the_rows_the_screen_would_build() -> None:
    driver = BigVolumeDriver()
    disks, snaps = driver.disks["db"], driver.snaps["db"]
    rows = VolumeRows.build(disks, snaps, NOW)
    assert rows.disk_rows == disk_rows(disks, snaps, NOW)
    assert rows.snapshot_rows == snapshot_rows(snaps, disks, NOW)


async def test_a_big_volume_shows_every_row_and_its_ages_move_on() -> None:
    now = [NOW]
    app = VolumeHost(BigVolumeDriver(), clock=lambda: now[0])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, VolumeBrowser)
        disks = screen.query_one("#disks", FilterTable)
        snaps = screen.query_one("#snapshots", FilterTable)
        await disks.wait_loaded()
        await snaps.wait_loaded()
        assert len(disks.visible_keys) == COUNT and len(snaps.visible_keys) == COUNT
        first = disks.visible_keys[0]
        assert str((disks.cells(first) or ())[3]) == "1h ago"
        assert str(disks.table.get_row(first)[3]) == "1h ago"

        now[0] = NOW + timedelta(days=2)
        screen._render_all()  # what the 30 s age ticker does
        await settle(pilot)
        await disks.wait_loaded()
        assert str((disks.cells(first) or ())[3]) == "2d ago"
        assert str(disks.table.get_row(first)[3]) == "2d ago"
        assert len(disks.visible_keys) == COUNT
