"""`?`: every key binding of the screen underneath, then the global ones."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Static

from ..widgets.filter_table import FilterTable, KeyedTable

#: System bindings that would only confuse a help list.
SKIPPED_ACTIONS = frozenset({"screen.copy_text", "copy_text", "screen.maximize", "screen.minimize"})


@dataclass(frozen=True)
class HelpEntry:
    keys: str
    description: str
    scope: str


class HelpScreen(ModalScreen[None]):
    """A modal table of key bindings; any of Esc, q or ? closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "close", "Close"),
    ]

    def __init__(self, title: str, entries: list[HelpEntry]) -> None:
        super().__init__()
        self.title_text = title
        self.entries = entries

    @classmethod
    def for_screen(cls, screen: Screen[object]) -> HelpScreen:
        """Collect the bindings active on ``screen`` (its widgets, itself, and the app)."""
        app = screen.app
        entries: list[HelpEntry] = []
        seen: set[tuple[str, str]] = set()
        groups: dict[str, list[tuple[str, Binding]]] = {}
        navigation: list[str] = []
        for key, active in screen.active_bindings.items():
            binding = active.binding
            node = active.node
            if isinstance(node, DataTable):
                # Cursor movement is the same in every table: one summary line.
                if binding.action.startswith(("cursor_", "scroll_", "page_")):
                    navigation.append(binding.key_display or app.get_key_display(binding))
                continue
            if not binding.description or binding.action in SKIPPED_ACTIONS:
                continue
            if isinstance(node, App):
                scope = "global"
            elif node is screen:
                scope = "this screen"
            else:
                is_table = isinstance(node, DataTable | FilterTable | KeyedTable)
                scope = "tables" if is_table else _human(node)
            groups.setdefault(binding.action + "|" + scope, []).append((key, binding))
        for ident, items in groups.items():
            _, scope = ident.split("|", 1)
            binding = items[0][1]
            keys = " ".join(sorted({b.key_display or app.get_key_display(b) for _, b in items}))
            if (keys, binding.description) in seen:
                continue
            seen.add((keys, binding.description))
            text = binding.description
            if binding.tooltip and binding.tooltip != binding.description:
                text = f"{binding.description} — {binding.tooltip}"
            entries.append(HelpEntry(keys, text, scope))
        if navigation:
            entries.append(HelpEntry("↑ ↓ pgup pgdn", "Move the cursor in a table", "tables"))
        title = f"Keys — {_human(screen)}"
        if screen.title and screen.title != app.title:
            title += f" ({screen.title})"
        order = {"this screen": 0, "global": 3, "tables": 2}
        entries.sort(key=lambda e: order.get(e.scope, 1))
        return cls(title, entries)

    def compose(self) -> ComposeResult:
        table = Table(box=None, expand=True, show_edge=False, pad_edge=False)
        table.add_column("Key", style="bold", no_wrap=True, min_width=10)
        table.add_column("Action", ratio=1)
        table.add_column("Where", style="dim", no_wrap=True)
        for entry in self.entries:
            table.add_row(entry.keys, entry.description, entry.scope)
        with VerticalScroll(id="help-body"):
            yield Static(Text(self.title_text, style="bold"), id="help-title")
            yield Static(table, id="help-table")
            yield Static(
                Text("Mouse: click rows, headers (sort) and footer keys. Esc closes.", style="dim"),
                id="help-foot",
            )

    def action_close(self) -> None:
        self.dismiss(None)


def _human(node: object) -> str:
    """``ClusterOverview`` -> ``Cluster overview``; ``CallLogScreen`` -> ``Call log``."""
    name = getattr(node, "HELP_NAME", None) or type(node).__name__.removesuffix("Screen")
    words = re.findall(r"[A-Z][a-z0-9]*|[a-z0-9]+", name) or [name]
    return " ".join([words[0], *(w.lower() for w in words[1:])])
