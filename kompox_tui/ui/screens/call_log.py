"""`l`: every API call every driver made, newest at the bottom, filterable."""

from __future__ import annotations

import re
from datetime import tzinfo
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Static

from ...text import visible
from ..widgets.filter_table import ColumnSpec, FilterTable, KeyedRow
from ..widgets.key_bar import KeyBar
from ..widgets.title_bar import TitleBar

if TYPE_CHECKING:
    from ..app import CallLogEntry, KompoxApp

#: Subscription ids are shortened on screen (``c`` copies the full path).
_SUBSCRIPTION = re.compile(r"/subscriptions/([0-9a-fA-F]{8})-[0-9a-fA-F-]{27}")

#: Rows the table shows; the app's call log keeps more.
MAX_ROWS = 2000

FIXED_COLUMNS = [
    ColumnSpec("time", "Time", 12),
    ColumnSpec("cluster", "Cluster", 10),
    ColumnSpec("method", "Method", 6),
    ColumnSpec("status", "Status", 6),
    ColumnSpec("ms", "ms", 5, sort_key=lambda c: float(str(c) or 0)),
]


def columns_for(width: int) -> list[ColumnSpec]:
    """The fixed columns plus a path column that fills the rest of the terminal."""
    used = sum(c.width + 2 for c in FIXED_COLUMNS) + 4
    return [*FIXED_COLUMNS, ColumnSpec("path", "Path", max(40, width - used))]


def _status_text(entry: CallLogEntry) -> Text:
    status = entry.event.status
    if status is None:
        return Text("ERR", style="bold red")
    if status < 300:
        style = "green"
    elif status < 400:
        style = "cyan"
    elif status < 500:
        style = "yellow"
    else:
        style = "bold red"
    return Text(str(status), style=style)


def entry_row(number: int, entry: CallLogEntry, tz: tzinfo | None = None) -> KeyedRow:
    event = entry.event
    # Paths hold server-chosen names (nextLink pages, resource names): shown, not obeyed.
    path = _SUBSCRIPTION.sub(lambda m: f"/subscriptions/{m.group(1)}…", visible(event.path))
    if event.error:
        path = f"{path}  ({visible(event.error)})"
    return (
        str(number),
        (
            event.time.astimezone(tz).strftime("%H:%M:%S.%f")[:12],
            entry.cluster,
            event.method,
            _status_text(entry),
            f"{event.duration_ms:.0f}",
            path,
        ),
    )


class CallLogScreen(Screen[None]):
    """The API call log: time, cluster, method, status, duration, path (never secrets)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,b", "back", "Back"),
        Binding("f", "follow", "Follow", tooltip="Keep the cursor on the newest call"),
        Binding("c", "copy_path", "Copy path", tooltip="Copy the selected call's full path"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[KeyedRow] = []
        self._paths: dict[str, str] = {}
        self._seen = 0
        self.following = True

    @property
    def kompox(self) -> KompoxApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield TitleBar()
        yield Static("", id="call-log-summary")
        yield FilterTable(
            columns_for(self.app.size.width), id="calls", empty_text="No API calls yet."
        )
        yield Static("", id="call-detail")
        yield KeyBar()

    def on_mount(self) -> None:
        self.sub_title = "API call log"
        self.kompox.calls_logged_signal.subscribe(self, self.calls_logged, immediate=True)
        self.calls_logged()
        self.query_one(FilterTable).focus()

    def calls_logged(self, _signal: None = None) -> None:
        """Show the calls logged since the last look (the app's ``calls_logged_signal``)."""
        new, total = self.kompox.call_log.since(self._seen)
        start = total - len(new)
        self._seen = total
        if new:
            tz = self.kompox.clock().tzinfo
            for i, e in enumerate(new):
                self._paths[str(start + i)] = e.event.path
            self._rows.extend(entry_row(start + i, e, tz) for i, e in enumerate(new))
            for key, _ in self._rows[:-MAX_ROWS]:
                self._paths.pop(key, None)
            del self._rows[:-MAX_ROWS]
            table = self.query_one(FilterTable)
            table.set_rows(self._rows)
            if self.following and table.visible_keys:
                table.select_key(table.visible_keys[-1])
        errors = sum(
            1 for _, cells in self._rows if isinstance(cells[3], Text) and cells[3].style != "green"
        )
        summary = Text(f"{total} calls", style="bold")
        summary.append(f" · showing the last {len(self._rows)}", style="dim")
        if errors:
            summary.append(f" · {errors} non-2xx", style="yellow")
        summary.append(" · follow on" if self.following else " · follow off (f)", style="dim")
        self.query_one("#call-log-summary", Static).update(summary)

    @on(FilterTable.Highlighted, "#calls")
    def _highlighted(self, message: FilterTable.Highlighted) -> None:
        """Show the selected call's full path (the table cell may be cut)."""
        path = self._paths.get(message.key) if message.key is not None else None
        self.query_one("#call-detail", Static).update(Text(visible(path), style="dim"))

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_follow(self) -> None:
        """Toggle keeping the cursor on the newest call."""
        self.following = not self.following
        table = self.query_one(FilterTable)
        if self.following and table.visible_keys:
            table.select_key(table.visible_keys[-1])
        self.calls_logged()

    def action_copy_path(self) -> None:
        """Copy the highlighted call's full path (query strings are never logged)."""
        key = self.query_one(FilterTable).selected_key
        path = self._paths.get(key) if key is not None else None
        if path is None:
            self.notify("No call selected.", severity="warning")
            return
        self.app.copy_to_clipboard(path)
        self.notify(path, title="Copied path")
