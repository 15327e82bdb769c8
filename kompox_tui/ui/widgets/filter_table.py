"""A DataTable with stable row keys, in-place refresh and a `/` text filter.

Every table in kompox-tui is a :class:`FilterTable`. Callers describe the columns
once (fixed widths: nothing is measured per row) and then hand over the whole
current row set with :meth:`FilterTable.set_rows` whenever they have fresh data.
The table works out what changed:

* same rows in the same order -> only the changed cells are rewritten
  (``update_cell``), nothing moves;
* rows added, removed or reordered -> the row index is rebuilt in one O(n) pass
  and the cursor is put back on the row with the same key, at the same height
  on screen (it never jumps to the top).

``/`` opens the filter input: rows whose text contains the query
(case-insensitive) stay. ``Esc`` clears the filter. Selection changes are
reported with one :class:`FilterTable.Highlighted` message carrying the row key
(``None`` when the table is empty), de-duplicated.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Iterator, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual._two_way_dict import TwoWayDict
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.coordinate import Coordinate
from textual.message import Message
from textual.widgets import DataTable, Input, Label
from textual.widgets._data_table import ColumnKey, DuplicateKey, Row, RowKey

Cell = str | Text
"""What a cell holds: plain text or a styled rich ``Text``."""

KeyedRow = tuple[str, Sequence[Cell]]
"""``(stable key, cells)``; the key is usually an Azure resource id."""


def cell_text(cell: object) -> str:
    """The plain text of a cell, as the filter and the default sort see it."""
    if isinstance(cell, Text):
        return cell.plain
    return "" if cell is None else str(cell)


class RowCells(MutableMapping[ColumnKey, Cell]):
    """One row's cells as DataTable wants them (a mapping by column key), backed by the
    cells tuple the caller gave: building it costs no hashing per cell, and comparing
    two rows is one tuple comparison."""

    __slots__ = ("_index", "cells")

    def __init__(self, index: dict[ColumnKey, int], cells: tuple[Cell, ...]) -> None:
        self._index = index
        self.cells = cells

    def __getitem__(self, key: ColumnKey) -> Cell:
        return self.cells[self._index[key]]

    def __setitem__(self, key: ColumnKey, value: Cell) -> None:
        position = self._index[key]
        cells = list(self.cells)
        cells[position] = value
        self.cells = tuple(cells)

    def __delitem__(self, key: ColumnKey) -> None:
        raise TypeError("a KeyedDataTable changes its columns with clear(columns=True) only")

    def __iter__(self) -> Iterator[ColumnKey]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)


@dataclass(frozen=True)
class ColumnSpec:
    """One column: key, header label, fixed width, optional sort key."""

    key: str
    label: str
    width: int
    sort_key: Callable[[Cell], Any] | None = None
    """Maps a cell to a comparable value; default: the cell's plain text."""


class KeyedDataTable(DataTable[Cell]):
    """A DataTable that can swap its whole row set in one pass, keeping the cursor.

    Textual's ``add_row`` costs a reactive round-trip per row and the idle
    handler measures every new cell even for fixed-width columns; for thousands
    of rows that stalls the event loop for seconds. :meth:`replace_rows`
    rebuilds the same internal structures ``add_row``/``sort`` maintain, in one
    pass. It relies on DataTable internals of the pinned Textual version (8.2.8);
    ``tests/ui/test_filter_table.py`` pins the behaviour.
    """

    DEFAULT_CSS = """
    KeyedDataTable {
        height: 1fr;
    }
    """

    def __init__(
        self,
        *,
        name: str | None = None,
        id: str | None = None,  # noqa: A002
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes, cursor_type="row", zebra_stripes=False)
        self._keys: list[str] = []

    def clear(self, columns: bool = False) -> KeyedDataTable:
        """Remove every row (and the columns too, with ``columns=True``)."""
        self._keys = []
        super().clear(columns)
        return self

    @property
    def keys_in_order(self) -> list[str]:
        """Row keys as displayed, top to bottom."""
        return list(self._keys)

    @property
    def cursor_key(self) -> str | None:
        """The key of the row under the cursor, or None when the table is empty."""
        if not self._keys:
            return None
        row = min(max(self.cursor_row, 0), len(self._keys) - 1)
        return self._keys[row]

    def move_to_key(self, key: str, *, scroll: bool = True) -> bool:
        """Put the cursor on the row with ``key``; False when there is no such row."""
        index = self._row_locations.get(RowKey(key))
        if index is None:
            return False
        self.move_cursor(row=index, scroll=scroll)
        return True

    def replace_rows(self, rows: Sequence[KeyedRow]) -> None:
        """Show exactly ``rows`` in this order; the cursor stays on the same key."""
        new_keys = [key for key, _ in rows]
        if new_keys == self._keys:
            self._apply_cell_changes(self._changed_cells(rows))
            return
        self._apply(self._prepare(rows, new_keys))

    async def replace_rows_chunked(self, rows: Sequence[KeyedRow], chunk: int = 250) -> None:
        """:meth:`replace_rows` for big sets: prepares ``chunk`` rows at a time, yielding
        to the event loop whenever a slice of work reaches :data:`SLICE_SECONDS`, then
        swaps the new rows in at once."""
        new_keys = [key for key, _ in rows]
        clock = time.perf_counter
        deadline = clock() + SLICE_SECONDS
        if new_keys == self._keys:
            changes: list[tuple[str, ColumnKey, Cell]] = []
            for start in range(0, len(rows), chunk):
                changes += self._changed_cells(rows[start : start + chunk])
                if clock() >= deadline:
                    await asyncio.sleep(0)
                    deadline = clock() + SLICE_SECONDS
            self._apply_cell_changes(changes)
            return
        prepared = _Prepared(new_keys)
        for start in range(0, len(rows), chunk):
            self._prepare_into(prepared, rows[start : start + chunk], start)
            if clock() >= deadline:
                await asyncio.sleep(0)
                deadline = clock() + SLICE_SECONDS
        self._apply(prepared)

    def _changed_cells(self, rows: Sequence[KeyedRow]) -> list[tuple[str, ColumnKey, Cell]]:
        column_keys = [column.key for column in self.ordered_columns]
        changes: list[tuple[str, ColumnKey, Cell]] = []
        data = self._data
        for key, cells in rows:
            current = data[RowKey(key)]
            if isinstance(current, RowCells) and current.cells == _padded(cells, len(column_keys)):
                continue  # the usual case on a refresh: nothing in the row changed
            for column_key, cell in zip(column_keys, cells, strict=False):
                if current.get(column_key) != cell:
                    changes.append((key, column_key, cell))
        return changes

    def _seed_row_caches(self, ordered: list[Row], offsets: list[tuple[RowKey, int]]) -> None:
        """Hand DataTable the row order and y offsets we already know (all rows are one
        line high), instead of letting it rebuild them with a lookup per row."""
        self._ordered_row_cache[(len(ordered), self._update_count)] = ordered
        self._offset_cache[self._update_count] = offsets

    def _apply_cell_changes(self, changes: list[tuple[str, ColumnKey, Cell]]) -> None:
        if not changes:
            return
        # Cell changes do not move rows: keep the row-order caches across them.
        ordered = self.ordered_rows
        offsets = self._y_offsets
        if len(changes) <= _UPDATE_CELL_LIMIT:
            for key, column_key, cell in changes:
                self.update_cell(key, column_key, cell)
        else:
            # What update_cell does, once for the whole batch instead of once per cell.
            for key, column_key, cell in changes:
                self._data[RowKey(key)][column_key] = cell
            self._update_count += 1
            self._clear_caches()
            self.refresh()
        self._seed_row_caches(ordered, offsets)

    def _prepare(self, rows: Sequence[KeyedRow], new_keys: list[str]) -> _Prepared:
        prepared = _Prepared(new_keys)
        self._prepare_into(prepared, rows, 0)
        return prepared

    def _prepare_into(self, prepared: _Prepared, rows: Sequence[KeyedRow], start: int) -> None:
        column_index = {column.key: i for i, column in enumerate(self.ordered_columns)}
        width = len(column_index)
        locations, data, metas = prepared.locations, prepared.data, prepared.metas
        reverse, ordered, offsets = prepared.reverse, prepared.ordered, prepared.offsets
        for index, (key, cells) in enumerate(rows, start):
            row_key = RowKey(key)
            if row_key in locations:
                raise DuplicateKey(f"The row key {key!r} appears twice.")
            if len(cells) > width:
                raise ValueError(f"Row {key!r} has more cells than the table has columns.")
            locations[row_key] = index
            data[row_key] = RowCells(column_index, _padded(cells, width))
            meta = Row(row_key, 1)
            metas[row_key] = meta
            reverse[index] = row_key
            ordered.append(meta)
            offsets.append((row_key, 0))

    def _apply(self, prepared: _Prepared) -> None:
        old_key = self.cursor_key
        old_row = self.cursor_row
        screen_offset = old_row - round(self.scroll_y)
        new_keys = prepared.keys
        locations = prepared.locations

        # RowCells quack like the dicts DataTable keeps (get, [], []=, iteration).
        self._data = prepared.data  # type: ignore[assignment]
        self.rows = prepared.metas
        row_locations: TwoWayDict[RowKey, int] = TwoWayDict({})
        row_locations._forward = locations
        row_locations._reverse = prepared.reverse
        self._row_locations = row_locations
        self._keys = new_keys
        self._new_rows.clear()
        self._updated_cells.clear()
        self._clear_caches()
        self._update_count += 1
        self._seed_row_caches(prepared.ordered, prepared.offsets)
        # Only auto-width columns need their cells measured; fixed ones never do.
        needs_measure = any(column.auto_width for column in self.columns.values())
        self._update_dimensions(locations.keys() if needs_measure else ())
        self._require_update_dimensions = False

        if not new_keys:
            self.cursor_coordinate = Coordinate(0, 0)
            self.refresh()
            return
        target = locations.get(RowKey(old_key)) if old_key is not None else None
        if target is None:
            # The row is gone: stay at the same height, on its nearest neighbour.
            target = min(old_row, len(new_keys) - 1)
        self.scroll_to(y=max(target - screen_offset, 0), animate=False, immediate=True)
        moved = self.cursor_coordinate.row != target
        self.move_cursor(row=target, scroll=True)
        if not moved and self.show_cursor:
            # Same index, possibly another row: tell listeners what is under the cursor.
            self._highlight_row(target)
        self.refresh()


@dataclass
class _Prepared:
    """The row index of a table, built off to the side and swapped in at once."""

    keys: list[str]
    locations: dict[RowKey, int] = field(default_factory=dict)
    reverse: dict[int, RowKey] = field(default_factory=dict)
    data: dict[RowKey, MutableMapping[ColumnKey, Cell]] = field(default_factory=dict)
    metas: dict[RowKey, Row] = field(default_factory=dict)
    ordered: list[Row] = field(default_factory=list)
    offsets: list[tuple[RowKey, int]] = field(default_factory=list)


def _padded(cells: Sequence[Cell], width: int) -> tuple[Cell, ...]:
    """``cells`` as a tuple of ``width`` cells (missing trailing cells are empty)."""
    if len(cells) == width:
        return cells if isinstance(cells, tuple) else tuple(cells)
    return (*cells, *[""] * (width - len(cells)))


_UPDATE_CELL_LIMIT = 64
"""Above this many changed cells, rewrite them in one batch (one repaint)."""

SLICE_SECONDS = 0.008
"""A chunked load gives the event loop back after about this much work (keys, timers and
repaints stay responsive; fewer, longer slices finish the load sooner)."""

SYNC_ROW_LIMIT = 1500
"""Row sets up to this size are applied at once; bigger ones in chunks."""


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
        self._loading = False

    def compose(self) -> ComposeResult:
        table = KeyedDataTable()
        for column in self._columns:
            table.add_column(column.label, width=column.width, key=column.key)
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
    def table(self) -> KeyedDataTable:
        return self.query_one(KeyedDataTable)

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
        table.clear(columns=True)
        for column in self._columns:
            table.add_column(column.label, width=column.width, key=column.key)
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
        self._show()

    def focus(self, scroll_visible: bool = True) -> FilterTable:
        """Focus the table itself (the container is not focusable)."""
        self.table.focus(scroll_visible)
        return self

    # --- internals ----------------------------------------------------------------------

    @property
    def rows_pending(self) -> bool:
        """True while a large row set is still being prepared (chunked)."""
        return self._loading

    async def wait_loaded(self, timeout: float = 10.0) -> None:
        """Wait until the last :meth:`set_rows` (or filter/sort) is on display."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._loading and loop.time() < deadline:
            await asyncio.sleep(0.002)

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
        self.workers.cancel_group(self, "filter-table-load")
        anchor = self.table.cursor_key or self._anchor_key
        rows = self._visible_rows()
        if len(rows) > SYNC_ROW_LIMIT:
            self._loading = True
            self.run_worker(
                self._show_chunked(rows, anchor),
                group="filter-table-load",
                exclusive=True,
                description="loading table rows",
            )
            return
        self.table.replace_rows(rows)
        self._after_show(rows, anchor)

    async def _show_chunked(self, rows: list[KeyedRow], anchor: str | None) -> None:
        await self.table.replace_rows_chunked(rows)
        if self.is_attached:  # the screen may have been closed while the rows loaded
            self._after_show(rows, anchor)

    def _after_show(self, rows: list[KeyedRow], anchor: str | None) -> None:
        self._loading = False
        table = self.table
        if anchor is not None and table.cursor_key != anchor:
            table.move_to_key(anchor)
        self.set_class(not rows, "-empty")
        empty = self.query_one(".empty-text", Label)
        if not rows:
            empty.update(
                f"No rows match “{self._filter}”. Esc clears the filter."
                if self._filter and self._all
                else self._empty_text
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

    @on(DataTable.RowHighlighted)
    def _on_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._post_highlight()

    @on(DataTable.RowSelected)
    def _on_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        key = self.table.cursor_key
        if key is not None:
            self.post_message(self.Selected(self, key))

    @on(DataTable.HeaderSelected)
    def _on_header_selected(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        column = str(event.column_key.value)
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
