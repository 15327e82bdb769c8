"""A keyed table drawn with Textual's Line API: only the visible rows cost anything.

:class:`KeyedTable` is a ``ScrollView`` that renders one line at a time
(``render_line``, the pattern of Textual's ``checker04.py`` guide example). It
owns the row order (key → index), the cursor (by index, restored by key when the
rows change) and fixed column widths, so replacing 10,000 rows is building one
list and one dict -- nothing is measured, nothing is laid out per row. Only
public Textual API is used (issue 15).

The first line is the header and does not scroll vertically; rows below it do.
Cells are plain ``str`` or a styled rich ``Text``; a cell never holds markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.cells import cell_len, set_cell_size
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

Cell = str | Text
"""What a cell holds: plain text or a styled rich ``Text``."""

KeyedRow = tuple[str, Sequence[Cell]]
"""``(stable key, cells)``; the key is usually an Azure resource id."""

CELL_PADDING = 1
"""Blank columns on each side of a cell."""


def cell_text(cell: object) -> str:
    """The plain text of a cell, as the filter and the default sort see it."""
    if isinstance(cell, Text):
        return cell.plain
    return "" if cell is None else str(cell)


@dataclass(frozen=True)
class Column:
    """A column as the table draws it."""

    key: str
    label: str
    width: int


class DuplicateKey(ValueError):
    """Two rows were given the same key."""


class _TableMessage(Message):
    """What a :class:`KeyedTable` tells its parent: the table and a row or column key."""

    def __init__(self, table: KeyedTable, key: str | None) -> None:
        super().__init__()
        self.table = table
        self.key = key

    @property
    def control(self) -> KeyedTable:
        return self.table


class KeyedTable(ScrollView, can_focus=True):
    """Rows with stable keys, a row cursor, a fixed header; see the module docstring."""

    DEFAULT_CSS = """
    KeyedTable {
        height: 1fr;
        background: $surface;
        color: $foreground;
    }
    KeyedTable > .keyed-table--header {
        text-style: bold;
        background: $panel;
        color: $foreground;
    }
    KeyedTable > .keyed-table--sorted {
        text-style: bold underline;
        background: $panel;
        color: $accent;
    }
    KeyedTable > .keyed-table--cursor {
        background: $block-cursor-blurred-background;
        color: $block-cursor-blurred-foreground;
    }
    KeyedTable:focus > .keyed-table--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: bold;
    }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "keyed-table--header",
        "keyed-table--sorted",
        "keyed-table--cursor",
    }

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor_up", "Up", show=False),
        Binding("down,j", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home,g", "first", "First row", show=False),
        Binding("end,G", "last", "Last row", show=False),
        Binding("enter", "select", "Select", show=False),
    ]

    class RowHighlighted(_TableMessage):
        """The cursor moved to another row (``key`` None: the table is empty)."""

    class RowSelected(_TableMessage):
        """Enter, or a click on the row under the cursor (``key``: that row's)."""

    class HeaderSelected(_TableMessage):
        """A column header was clicked (``key``: the column's)."""

    def __init__(
        self,
        *,
        name: str | None = None,
        id: str | None = None,  # noqa: A002
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._columns: list[Column] = []
        self._keys: list[str] = []
        self._cells: list[tuple[Cell, ...]] = []
        self._index: dict[str, int] = {}
        self._cursor = 0
        self._sort: tuple[str, bool] | None = None
        self._line_cache: LRUCache[tuple[Any, ...], Strip] = LRUCache(1024)
        self._generation = 0

    # --- columns --------------------------------------------------------------------------

    def set_columns(self, columns: Sequence[Column]) -> None:
        """Replace the columns (rows are cleared: their cells belong to the old columns)."""
        self._columns = list(columns)
        self._keys, self._cells, self._index = [], [], {}
        self._cursor = 0
        self._changed()

    @property
    def column_keys(self) -> list[str]:
        return [c.key for c in self._columns]

    def set_sort_indicator(self, column_key: str | None, reverse: bool = False) -> None:
        """Show ▲ (ascending) or ▼ (descending) on the sorted column's header."""
        self._sort = (column_key, reverse) if column_key is not None else None
        self._changed(rows=False)

    # --- rows -----------------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self._keys)

    @property
    def keys_in_order(self) -> list[str]:
        """Row keys as displayed, top to bottom."""
        return list(self._keys)

    @property
    def cursor_row(self) -> int:
        return self._cursor

    @property
    def cursor_key(self) -> str | None:
        """The key of the row under the cursor, or None when the table is empty."""
        return self._keys[self._cursor] if self._keys else None

    def get_row(self, key: str) -> list[Cell]:
        return list(self._cells[self._index[key]])

    def get_cell(self, key: str, column_key: str) -> Cell:
        return self._cells[self._index[key]][self.column_keys.index(column_key)]

    def update_cell(self, key: str, column_key: str, value: Cell) -> None:
        index = self._index[key]
        cells = list(self._cells[index])
        cells[self.column_keys.index(column_key)] = value
        self._cells[index] = tuple(cells)
        self._line_cache.clear()
        self.refresh()

    def replace_rows(self, rows: Sequence[KeyedRow]) -> None:
        """Show exactly ``rows`` in this order; the cursor stays on the same key.

        When the key is gone, the cursor stays at the same height on its nearest
        neighbour; the row under the cursor keeps its place on screen.
        """
        width = len(self._columns)
        keys: list[str] = []
        cells: list[tuple[Cell, ...]] = []
        index: dict[str, int] = {}
        for position, (key, row) in enumerate(rows):
            if key in index:
                raise DuplicateKey(f"The row key {key!r} appears twice.")
            if len(row) > width:
                raise ValueError(f"Row {key!r} has more cells than the table has columns.")
            index[key] = position
            keys.append(key)
            cells.append(_padded(row, width))
        if keys == self._keys and cells == self._cells:
            return  # the usual refresh: nothing changed, nothing to draw
        old_key = self.cursor_key
        old_row = self._cursor
        screen_offset = old_row - round(self.scroll_y)
        same_order = keys == self._keys
        self._keys, self._cells, self._index = keys, cells, index
        if same_order:
            self._line_cache.clear()
            self.refresh()  # cells changed in place: nothing moves
            return
        self._changed()
        if not keys:
            self._cursor = 0
            self._post_highlight()
            return
        target = index.get(old_key) if old_key is not None else None
        if target is None:
            target = min(old_row, len(keys) - 1)
        self._cursor = target
        self.scroll_to(y=max(target - screen_offset, 0), animate=False, immediate=True)
        self._scroll_cursor_visible()
        self._post_highlight()

    def clear(self) -> None:
        self.replace_rows([])

    # --- cursor ---------------------------------------------------------------------------

    def move_cursor(self, row: int, *, scroll: bool = True) -> None:
        if not self._keys:
            return
        row = min(max(row, 0), len(self._keys) - 1)
        if row == self._cursor:
            if scroll:
                self._scroll_cursor_visible()
            return
        self._cursor = row
        if scroll:
            self._scroll_cursor_visible()
        self.refresh()
        self._post_highlight()

    def move_to_key(self, key: str, *, scroll: bool = True) -> bool:
        """Put the cursor on the row with ``key``; False when there is no such row."""
        index = self._index.get(key)
        if index is None:
            return False
        self.move_cursor(index, scroll=scroll)
        return True

    @property
    def _page(self) -> int:
        return max(self.scrollable_content_region.height - 1, 1)

    def _scroll_cursor_visible(self) -> None:
        page = self._page
        top = round(self.scroll_y)
        if self._cursor < top:
            self.scroll_to(y=self._cursor, animate=False, immediate=True)
        elif self._cursor >= top + page:
            self.scroll_to(y=self._cursor - page + 1, animate=False, immediate=True)

    def _post_highlight(self) -> None:
        self.post_message(self.RowHighlighted(self, self.cursor_key))

    def action_cursor_up(self) -> None:
        self.move_cursor(self._cursor - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(self._cursor + 1)

    def action_page_up(self) -> None:
        self.move_cursor(self._cursor - self._page)

    def action_page_down(self) -> None:
        self.move_cursor(self._cursor + self._page)

    def action_first(self) -> None:
        self.move_cursor(0)

    def action_last(self) -> None:
        self.move_cursor(len(self._keys) - 1)

    def action_select(self) -> None:
        key = self.cursor_key
        if key is not None:
            self.post_message(self.RowSelected(self, key))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        x = offset.x + round(self.scroll_x)
        if offset.y == 0:
            column = self._column_at(x)
            if column is not None:
                self.post_message(self.HeaderSelected(self, column.key))
            return
        row = offset.y - 1 + round(self.scroll_y)
        if not 0 <= row < len(self._keys):
            return
        if row == self._cursor:
            self.action_select()
        else:
            self.move_cursor(row)

    def _column_at(self, x: int) -> Column | None:
        start = 0
        for column in self._columns:
            end = start + column.width + 2 * CELL_PADDING
            if start <= x < end:
                return column
            start = end
        return None

    # --- drawing --------------------------------------------------------------------------

    def _changed(self, rows: bool = True) -> None:
        self._generation += 1
        self._line_cache.clear()
        width = sum(c.width + 2 * CELL_PADDING for c in self._columns)
        self.virtual_size = Size(width, len(self._keys) + 1)
        self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._line_cache.clear()

    def on_focus(self, event: events.Focus) -> None:
        self._line_cache.clear()
        self.refresh()

    def on_blur(self, event: events.Blur) -> None:
        self._line_cache.clear()
        self.refresh()

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        if y == 0:
            strip = self._header_strip()
        else:
            row = y - 1 + scroll_y
            if row >= len(self._keys):
                return Strip.blank(width, self.rich_style)
            strip = self._row_strip(row)
        return strip.crop(scroll_x, scroll_x + width).adjust_cell_length(width, self.rich_style)

    def _header_strip(self) -> Strip:
        cache_key = ("header", self._generation, self._sort)
        cached = self._line_cache.get(cache_key)
        if cached is not None:
            return cached
        header = self.get_component_rich_style("keyed-table--header")
        sorted_style = self.get_component_rich_style("keyed-table--sorted")
        segments: list[Segment] = []
        for column in self._columns:
            label = column.label
            style = header
            if self._sort is not None and self._sort[0] == column.key:
                # The arrow always shows: the label gives way when the column is narrow.
                room = max(column.width - 2, 0)
                if cell_len(label) > room:
                    label = set_cell_size(label, max(room - 1, 0)) + "…"
                label = f"{label} {'▼' if self._sort[1] else '▲'}"
                style = sorted_style
            segments.extend(_cell_segments(label, column.width, style, self.app.console))
        strip = Strip(segments)
        self._line_cache[cache_key] = strip
        return strip

    def _row_strip(self, row: int) -> Strip:
        cells = self._cells[row]
        is_cursor = row == self._cursor
        # Cells may be unhashable rich Text: the cache is emptied whenever a cell changes.
        cache_key = (row, is_cursor, self.has_focus, self._generation)
        cached = self._line_cache.get(cache_key)
        if cached is not None:
            return cached
        base = self.rich_style
        over = self.get_component_rich_style("keyed-table--cursor") if is_cursor else None
        if over is not None:
            base = base + over
        console = self.app.console
        segments: list[Segment] = []
        for column, cell in zip(self._columns, cells, strict=False):
            segments.extend(_cell_segments(cell, column.width, base, console, over))
        strip = Strip(segments)
        self._line_cache[cache_key] = strip
        return strip

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return sum(c.width + 2 * CELL_PADDING for c in self._columns)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._keys) + 1

    def scroll_to_row(self, row: int) -> None:
        """Scroll so that ``row`` is visible (the cursor does not move)."""
        self.scroll_to_region(Region(0, row + 1, 1, 1), animate=False, immediate=True)


def _cell_segments(
    cell: Cell, width: int, base: Style, console: Console, over: Style | None = None
) -> list[Segment]:
    """One cell as segments: padding, the text cut (…) or filled to ``width`` cells, padding.

    ``over`` (the cursor) is laid over the cell's own styles: its background wins, a
    red "Failed" stays red.
    """
    pad = Segment(" " * CELL_PADDING, base)
    if isinstance(cell, Text):
        text = cell.copy()
        if cell_len(text.plain) > width:
            text.truncate(max(width - 1, 0))
            text.append("…")
        segments: list[Segment] = [pad]
        for segment in text.render(console, end=""):
            style = base + segment.style if segment.style else base
            if over is not None:
                style = style + over
            segments.append(Segment(segment.text, style))
        used = cell_len(text.plain)
        if used < width:
            segments.append(Segment(" " * (width - used), base))
        segments.append(pad)
        return segments
    if cell_len(cell) > width:
        cell = set_cell_size(cell, max(width - 1, 0)) + "…"
    return [pad, Segment(set_cell_size(cell, width), base), pad]


def _padded(cells: Sequence[Cell], width: int) -> tuple[Cell, ...]:
    """``cells`` as a tuple of ``width`` cells (missing trailing cells are empty)."""
    if len(cells) == width:
        return cells if isinstance(cells, tuple) else tuple(cells)
    return (*cells, *[""] * (width - len(cells)))
