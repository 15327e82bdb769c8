"""A keyed table with in-place refresh, sortable columns and a `/` text filter.

Every table in kompox-tui is a :class:`FilterTable`. Callers describe the columns
once (fixed widths: nothing is measured per row) and then hand over the whole
current row set with :meth:`FilterTable.set_rows` whenever they have fresh data.
The rows are drawn by :class:`~.keyed_table.KeyedTable` (Textual's Line API:
only visible rows are rendered), which keeps the cursor on the same key, at the
same height on screen, whatever moved.

``/`` opens the filter input: rows whose text contains the query
(case-insensitive) stay. ``Esc`` clears the filter. Clicking a header sorts by
that column (again: descending, a third time: the caller's order); the sorted
column shows ▲ or ▼. Selection changes are reported with one
:class:`FilterTable.Highlighted` message carrying the row key (``None`` when the
table is empty), de-duplicated.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Label

from ...text import visible
from .keyed_table import Cell, Column, KeyedRow, KeyedTable, cell_text

__all__ = ["Cell", "ColumnSpec", "FilterTable", "KeyedRow", "KeyedTable", "cell_text"]


@dataclass(frozen=True)
class ColumnSpec:
    """One column: key, header label, fixed width, optional sort key."""

    key: str
    label: str
    width: int
    sort_key: Callable[[Cell], Any] | None = None
    """Maps a cell to a comparable value; default: the cell's plain text."""


class FilterTable(Vertical):
    """A keyed table with a ``/`` filter; see the module docstring."""

    DEFAULT_CSS = """
    FilterTable {
        height: 1fr;
    }
    FilterTable > .filter-bar {
        height: 1;
        display: none;
    }
    FilterTable.-filtering > .filter-bar {
        display: block;
    }
    FilterTable > .filter-bar > .filter-prompt {
        width: auto;
        color: $accent;
        text-style: bold;
        padding: 0 1 0 0;
    }
    FilterTable > .filter-bar > Input {
        border: none;
        height: 1;
        width: 1fr;
        padding: 0;
        background: $boost;
    }
    FilterTable > .filter-bar > .filter-count {
        width: auto;
        color: $text-muted;
        padding: 0 0 0 1;
    }
    FilterTable > .empty-text {
        color: $text-muted;
        padding: 0 1;
        display: none;
    }
    FilterTable.-empty > .empty-text {
        display: block;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "open_filter", "Filter", tooltip="Show only rows containing a text"),
        Binding("escape", "clear_filter", "Clear filter", show=False),
    ]

    class Highlighted(Message):
        """The row under the cursor changed (``key`` is None when nothing is shown)."""

        def __init__(self, filter_table: FilterTable, key: str | None) -> None:
            super().__init__()
            self.filter_table = filter_table
            self.key = key

        @property
        def control(self) -> FilterTable:
            return self.filter_table

    class Selected(Message):
        """Enter (or a click on the highlighted row) chose the row with ``key``."""

        def __init__(self, filter_table: FilterTable, key: str) -> None:
            super().__init__()
            self.filter_table = filter_table
            self.key = key

        @property
        def control(self) -> FilterTable:
            return self.filter_table

    class RowsLoaded(Message):
        """The rows given to the last :meth:`set_rows` (or filter/sort) are on display."""

        def __init__(self, filter_table: FilterTable, shown: int, total: int) -> None:
            super().__init__()
            self.filter_table = filter_table
            self.shown = shown
            self.total = total

        @property
        def control(self) -> FilterTable:
            return self.filter_table

    def __init__(
        self,
        columns: Sequence[ColumnSpec],
        *,
        empty_text: str = "No rows.",
        name: str | None = None,
        id: str | None = None,  # noqa: A002
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._columns = list(columns)
        self._empty_text = empty_text
        self._all: list[KeyedRow] = []
        self._haystacks: dict[str, str] = {}
        self._filter = ""
        self._sort_column: str | None = None
        self._sort_reverse = False
        self._posted_key: str | None = None
        self._posted_once = False
        self._anchor_key: str | None = None
        """The last row the user was on; restored when a filter stops hiding it."""

    def compose(self) -> ComposeResult:
        table = KeyedTable()
        table.set_columns([Column(c.key, c.label, c.width) for c in self._columns])
        yield table
        yield Label(self._empty_text, classes="empty-text")
        with Horizontal(classes="filter-bar"):
            yield Label("/", classes="filter-prompt")
            yield Input(placeholder="filter rows (Enter: keep, Esc: clear)")
            yield Label("", classes="filter-count")

    def on_mount(self) -> None:
        self._show()

    # --- public API -----------------------------------------------------------------

    @property
    def table(self) -> KeyedTable:
        return self.query_one(KeyedTable)

    @property
    def selected_key(self) -> str | None:
        """The key of the highlighted row, or None."""
        return self.table.cursor_key

    @property
    def filter_text(self) -> str:
        return self._filter

    @property
    def visible_keys(self) -> list[str]:
        """Keys of the rows on display (after filtering and sorting), top to bottom."""
        return self.table.keys_in_order

    @property
    def all_keys(self) -> list[str]:
        """Keys of every row given to :meth:`set_rows`, in the caller's order."""
        return [key for key, _ in self._all]

    def cells(self, key: str) -> Sequence[Cell] | None:
        """The cells last given for ``key`` (filtered out or not)."""
        return next((cells for k, cells in self._all if k == key), None)

    def set_rows(self, rows: Iterable[KeyedRow]) -> None:
        """Replace the table's content with ``rows``, in place (see module docstring)."""
        self._all = [(key, tuple(cells)) for key, cells in rows]
        self._haystacks = {}
        if self.is_mounted:
            self._show()

    def set_columns(self, columns: Sequence[ColumnSpec], rows: Iterable[KeyedRow]) -> None:
        """Replace the columns (e.g. fewer on a narrow terminal) and the rows that fit them."""
        self._columns = list(columns)
        anchor = self.table.cursor_key
        table = self.table
        table.set_columns([Column(c.key, c.label, c.width) for c in self._columns])
        table.set_sort_indicator(self._sort_column, self._sort_reverse)
        self._anchor_key = anchor or self._anchor_key
        self.set_rows(rows)

    def select_key(self, key: str) -> bool:
        """Move the cursor to ``key``; False if that row is not shown."""
        return self.table.move_to_key(key)

    def set_filter(self, text: str) -> None:
        """Filter rows by ``text`` (case-insensitive substring); empty shows all."""
        self._filter = text
        input_ = self.query_one(Input)
        if input_.value != text:
            with input_.prevent(Input.Changed):
                input_.value = text
        self.set_class(bool(text) or input_.has_focus, "-filtering")
        self._show()

    def sort_by(self, column_key: str | None, reverse: bool = False) -> None:
        """Sort rows by a column (None: the caller's order)."""
        self._sort_column = column_key
        self._sort_reverse = reverse
        if self.is_mounted:
            self.table.set_sort_indicator(column_key, reverse)
        self._show()

    def focus(self, scroll_visible: bool = True) -> FilterTable:
        """Focus the table itself (the container is not focusable)."""
        self.table.focus(scroll_visible)
        return self

    # --- internals ----------------------------------------------------------------------

    @property
    def rows_pending(self) -> bool:
        """False: rows are on display as soon as :meth:`set_rows` returns (kept for callers
        written when big sets loaded in chunks)."""
        return False

    async def wait_loaded(self, timeout: float = 10.0) -> None:
        """Wait until the last :meth:`set_rows` is on display (one pass of the loop)."""
        await asyncio.sleep(0)

    def _haystack(self, key: str, cells: Sequence[Cell]) -> str:
        # Built on first use: most tables are never filtered.
        text = self._haystacks.get(key)
        if text is None:
            text = "\x1f".join(cell_text(cell) for cell in cells).casefold()
            self._haystacks[key] = text
        return text

    def _visible_rows(self) -> list[KeyedRow]:
        needle = self._filter.casefold()
        haystack = self._haystack
        rows = (
            [row for row in self._all if needle in haystack(row[0], row[1])]
            if needle
            else list(self._all)
        )
        if self._sort_column is not None:
            index = next(
                (i for i, c in enumerate(self._columns) if c.key == self._sort_column), None
            )
            if index is not None:
                spec = self._columns[index]
                sort_key = spec.sort_key or cell_text
                rows.sort(
                    key=lambda row: sort_key(row[1][index] if index < len(row[1]) else ""),
                    reverse=self._sort_reverse,
                )
        return rows

    def _show(self) -> None:
        anchor = self.table.cursor_key or self._anchor_key
        rows = self._visible_rows()
        self.table.replace_rows(rows)
        self._after_show(rows, anchor)

    def _after_show(self, rows: list[KeyedRow], anchor: str | None) -> None:
        table = self.table
        if anchor is not None and table.cursor_key != anchor:
            table.move_to_key(anchor)
        self.set_class(not rows, "-empty")
        empty = self.query_one(".empty-text", Label)
        if not rows:
            # Text, not markup: the filter is what the user typed ("[" included).
            empty.update(
                Text(
                    f"No rows match “{visible(self._filter)}”. Esc clears the filter."
                    if self._filter and self._all
                    else self._empty_text
                )
            )
        count = self.query_one(".filter-count", Label)
        count.update(f"{len(rows)}/{len(self._all)}")
        self._post_highlight()
        self.post_message(self.RowsLoaded(self, len(rows), len(self._all)))

    def _post_highlight(self) -> None:
        key = self.table.cursor_key
        if key is not None:
            self._anchor_key = key
        if key != self._posted_key or not self._posted_once:
            self._posted_key = key
            self._posted_once = True
            self.post_message(self.Highlighted(self, key))

    @on(KeyedTable.RowHighlighted)
    def _on_row_highlighted(self, event: KeyedTable.RowHighlighted) -> None:
        event.stop()
        self._post_highlight()

    @on(KeyedTable.RowSelected)
    def _on_row_selected(self, event: KeyedTable.RowSelected) -> None:
        event.stop()
        if event.key is not None:
            self.post_message(self.Selected(self, event.key))

    @on(KeyedTable.HeaderSelected)
    def _on_header_selected(self, event: KeyedTable.HeaderSelected) -> None:
        event.stop()
        column = event.key
        if column is None:
            return
        if self._sort_column == column:
            if self._sort_reverse:
                self.sort_by(None)
            else:
                self.sort_by(column, reverse=True)
        else:
            self.sort_by(column)

    @on(Input.Changed)
    def _on_filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._filter = event.value
        self._show()

    @on(Input.Submitted)
    def _on_filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.set_class(bool(self._filter), "-filtering")
        self.table.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "clear_filter":
            # Without an active filter, Esc falls through to the screen (e.g. "back").
            return bool(self._filter) or self.query_one(Input).has_focus
        return True

    def action_open_filter(self) -> None:
        """Show and focus the filter input."""
        self.add_class("-filtering")
        self.query_one(Input).focus()

    def action_clear_filter(self) -> None:
        """Clear the filter, hide the input and return to the table."""
        self.table.focus()
        self.set_filter("")
        self.remove_class("-filtering")
