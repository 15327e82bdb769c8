"""FilterTable: keyed rows, in-place refresh, the `/` filter, big sets without stalls."""

from __future__ import annotations

import pytest
from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import Input

from kompox_tui.ui.widgets.filter_table import ColumnSpec, FilterTable, KeyedRow, cell_text

COLUMNS = (
    ColumnSpec("name", "name", 12),
    ColumnSpec("size", "size", 5, sort_key=lambda c: int(cell_text(c))),
    ColumnSpec("note", "note", 20),
)


def rows(*names: str) -> list[KeyedRow]:
    return [(f"/id/{n}", (n, str(len(n)), f"note {n}")) for n in names]


class TableApp(App[None]):
    def __init__(self, initial: list[KeyedRow] | None = None) -> None:
        super().__init__()
        self.initial = initial or []
        self.highlighted: list[str | None] = []
        self.loaded: list[int] = []

    def compose(self) -> ComposeResult:
        yield FilterTable(COLUMNS, id="t", empty_text="Nothing here.")

    def on_mount(self) -> None:
        table = self.query_one(FilterTable)
        table.set_rows(self.initial)
        table.focus()

    def on_filter_table_highlighted(self, message: FilterTable.Highlighted) -> None:
        self.highlighted.append(message.key)

    def on_filter_table_rows_loaded(self, message: FilterTable.RowsLoaded) -> None:
        self.loaded.append(message.shown)


def table_of(app: TableApp) -> FilterTable:
    return app.query_one(FilterTable)


async def test_rows_keep_the_order_given_and_carry_their_keys() -> None:
    app = TableApp(rows("alpha", "beta", "gamma"))
    async with app.run_test() as pilot:
        await pilot.pause()
        table = table_of(app)
        assert table.visible_keys == ["/id/alpha", "/id/beta", "/id/gamma"]
        assert table.selected_key == "/id/alpha"
        await pilot.press("down")
        assert table.selected_key == "/id/beta"
        assert app.highlighted[-1] == "/id/beta"


async def test_filter_keeps_rows_containing_the_text_case_insensitively() -> None:
    app = TableApp(rows("Alpha", "beta", "alphabet", "gamma"))
    async with app.run_test() as pilot:
        await pilot.pause()
        table = table_of(app)
        await pilot.press("slash", "A", "L", "P")
        await pilot.pause()
        assert table.filter_text == "ALP"
        assert table.visible_keys == ["/id/Alpha", "/id/alphabet"]
        await pilot.press("enter")  # keep the filter, back to the table
        assert not isinstance(app.focused, Input)
        assert table.visible_keys == ["/id/Alpha", "/id/alphabet"]
        await pilot.press("escape")
        await pilot.pause()
        assert table.filter_text == ""
        assert len(table.visible_keys) == 4


async def test_filter_matches_any_cell_not_only_the_first() -> None:
    app = TableApp(rows("a", "bb", "ccc"))
    async with app.run_test() as pilot:
        await pilot.pause()
        table = table_of(app)
        table.set_filter("note cc")
        await pilot.pause()
        assert table.visible_keys == ["/id/ccc"]


async def test_no_match_says_so_and_escape_brings_the_cursor_back() -> None:
    app = TableApp(rows("alpha", "beta", "gamma"))
    async with app.run_test() as pilot:
        await pilot.pause()
        table = table_of(app)
        await pilot.press("down", "down")
        await pilot.press("slash", "z", "z")
        await pilot.pause()
        assert table.visible_keys == []
        assert table.selected_key is None
        assert table.has_class("-empty")
        await pilot.press("escape")
        await pilot.pause()
        assert table.selected_key == "/id/gamma"


async def test_escape_without_a_filter_is_left_to_the_screen() -> None:
    app = TableApp(rows("a"))
    async with app.run_test() as pilot:
        await pilot.pause()
        table = table_of(app)
        assert table.check_action("clear_filter", ()) is False


def line_text(table: FilterTable, y: int) -> str:
    """What the table draws on its line ``y`` (0 is the header)."""
    return "".join(segment.text for segment in table.table.render_line(y))


async def test_refresh_with_changed_cells_updates_them_in_place() -> None:
    app = TableApp(rows("alpha", "beta", "gamma"))
    async with app.run_test() as pilot:
        await pilot.pause()
        table = table_of(app)
        await pilot.press("down")
        fresh = rows("alpha", "beta", "gamma")
        fresh[1] = ("/id/beta", ("beta", "4", Text("changed", style="red")))
        table.set_rows(fresh)
        await pilot.pause()
        assert table.table.get_cell("/id/beta", "note") == Text("changed", style="red")
        assert table.selected_key == "/id/beta" and table.table.cursor_row == 1
        assert "changed" in line_text(table, 2)
        assert "note gamma" in line_text(table, 3)


async def test_j_k_g_and_shift_g_move_the_cursor_as_in_k9s() -> None:
    app = TableApp(rows("a", "b", "c", "d"))
    async with app.run_test() as pilot:
        await pilot.pause()
        table = table_of(app)
        await pilot.press("j", "j")
        assert table.selected_key == "/id/c"
        await pilot.press("k")
        assert table.selected_key == "/id/b"
        await pilot.press("G")
        assert table.selected_key == "/id/d"
        await pilot.press("g")
        assert table.selected_key == "/id/a"


async def test_the_sorted_column_shows_its_direction_in_the_header() -> None:
    app = TableApp(rows("ccc", "a", "bb"))
    async with app.run_test() as pilot:
        await pilot.pause()
        table = table_of(app)
        assert "▲" not in line_text(table, 0) and "▼" not in line_text(table, 0)
        await pilot.click(FilterTable, offset=(16, 0))  # the "size" header
        await pilot.pause()
        assert table.visible_keys == ["/id/a", "/id/bb", "/id/ccc"]
        assert "si… ▲" in line_text(table, 0)  # a narrow column keeps its arrow
        await pilot.click(FilterTable, offset=(16, 0))
        await pilot.pause()
        assert table.visible_keys == ["/id/ccc", "/id/bb", "/id/a"]
        assert "si… ▼" in line_text(table, 0)
        await pilot.click(FilterTable, offset=(16, 0))
        await pilot.pause()
        assert table.visible_keys == ["/id/ccc", "/id/a", "/id/bb"]
        assert "▲" not in line_text(table, 0) and "▼" not in line_text(table, 0)


async def test_enter_and_a_click_on_the_cursor_row_select_it() -> None:
    selected: list[str] = []

    class SelectApp(TableApp):
        def on_filter_table_selected(self, message: FilterTable.Selected) -> None:
            selected.append(message.key)

    app = SelectApp(rows("a", "b", "c"))
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press("down", "enter")
        await pilot.pause()
        assert selected == ["/id/b"]
        await pilot.click(FilterTable, offset=(3, 3))  # row c: moves the cursor only
        await pilot.pause()
        assert table_of(app).selected_key == "/id/c" and selected == ["/id/b"]
        await pilot.click(FilterTable, offset=(3, 3))
        await pilot.pause()
        assert selected == ["/id/b", "/id/c"]


def test_no_module_of_the_product_touches_private_textual_api() -> None:
    import pathlib
    import re

    root = pathlib.Path(__file__).resolve().parents[2] / "kompox_tui"
    private = re.compile(
        r"textual\._|textual\.widgets\._|\._(row_locations|update_count|ordered_row_cache|"
        r"offset_cache|update_dimensions|require_update_dimensions|new_rows|updated_cells|"
        r"clear_caches|y_offsets|highlight_row|two_way_dict)\b"
    )
    offenders = [
        f"{path.relative_to(root)}:{number}"
        for path in root.rglob("*.py")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if private.search(line)
    ]
    assert offenders == []


async def test_cursor_stays_on_the_same_key_when_rows_are_added_above_and_removed() -> None:
    app = TableApp(rows("c", "d", "e", "f"))
    async with app.run_test() as pilot:
        await pilot.pause()
        table = table_of(app)
        await pilot.press("down", "down")  # e
        assert table.selected_key == "/id/e"
        table.set_rows(rows("a", "b", "c", "e", "f"))  # two new on top, d gone
        await pilot.pause()
        assert table.selected_key == "/id/e"
        assert table.table.cursor_row == 3
        assert table.visible_keys == ["/id/a", "/id/b", "/id/c", "/id/e", "/id/f"]


async def test_when_the_selected_row_disappears_the_cursor_stays_at_its_height() -> None:
    app = TableApp(rows("a", "b", "c"))
    async with app.run_test() as pilot:
        await pilot.pause()
        table = table_of(app)
        await pilot.press("down")
        table.set_rows(rows("a", "c"))
        await pilot.pause()
        assert table.selected_key == "/id/c"
        assert app.highlighted[-1] == "/id/c"


async def test_cursor_keeps_its_screen_position_when_rows_shift() -> None:
    names = [f"row{i:04d}" for i in range(200)]
    app = TableApp(rows(*names))
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        table = table_of(app)
        table.select_key("/id/row0100")
        await pilot.pause()
        offset_before = table.table.cursor_row - table.table.scroll_y
        table.set_rows(rows("new1", "new2", *names))
        await pilot.pause()
        assert table.selected_key == "/id/row0100"
        assert table.table.cursor_row - table.table.scroll_y == offset_before


async def test_header_click_sorts_and_cycles_back_to_the_given_order() -> None:
    app = TableApp(rows("ccc", "a", "bb"))
    async with app.run_test() as pilot:
        await pilot.pause()
        table = table_of(app)
        table.sort_by("size")
        await pilot.pause()
        assert table.visible_keys == ["/id/a", "/id/bb", "/id/ccc"]
        table.sort_by("size", reverse=True)
        assert table.visible_keys == ["/id/ccc", "/id/bb", "/id/a"]
        table.sort_by(None)
        assert table.visible_keys == ["/id/ccc", "/id/a", "/id/bb"]


async def test_duplicate_keys_are_refused() -> None:
    app = TableApp()
    async with app.run_test() as pilot:
        await pilot.pause()
        with pytest.raises(Exception, match="appears twice"):
            table_of(app).set_rows([("/id/x", ("x",)), ("/id/x", ("y",))])


@pytest.mark.parametrize("count", [10_000])
async def test_ten_thousand_rows_all_load_in_order_and_filter(count: int) -> None:
    # How fast (and how smoothly) is measured by bench/table.py, not asserted here.
    big = [
        (f"/subscriptions/x/disks/d{i}", (f"disk{i:08d}", str(i % 512), f"2026-01-01 #{i}"))
        for i in range(count)
    ]
    app = TableApp()
    async with app.run_test(size=(80, 30)) as pilot:
        await pilot.pause()
        table = table_of(app)
        table.set_rows(big)
        await table.wait_loaded()
        await pilot.pause()
        assert not table.rows_pending
        assert table.visible_keys == [key for key, _ in big]
        assert table.selected_key == "/subscriptions/x/disks/d0"
        await pilot.press("slash", *"disk00000999")
        await pilot.pause()
        assert table.visible_keys == ["/subscriptions/x/disks/d999"]


def test_cell_text_reads_rich_text_and_plain_values() -> None:
    assert cell_text(Text("★ x", style="green")) == "★ x"
    assert cell_text("plain") == "plain"
    assert cell_text(None) == ""


async def test_a_big_refresh_rewrites_only_the_changed_cell_and_keeps_the_cursor() -> None:
    big = [(f"/id/{i}", (f"disk{i:05d}", str(i % 512), "same")) for i in range(3000)]
    app = TableApp()
    async with app.run_test(size=(80, 30)) as pilot:
        table = table_of(app)
        table.set_rows(big)
        await table.wait_loaded()
        table.select_key("/id/1500")
        changed = list(big)
        changed[1500] = ("/id/1500", ("disk01500", "7", "changed"))
        table.set_rows(changed)
        await table.wait_loaded()
        await pilot.pause()
        assert table.table.get_row("/id/1500") == ["disk01500", "7", "changed"]
        assert table.table.get_row("/id/1499") == ["disk01499", str(1499 % 512), "same"]
        assert table.selected_key == "/id/1500"
        table.table.update_cell("/id/1499", "note", "edited")  # cells stay writable
        assert table.table.get_row("/id/1499")[2] == "edited"
