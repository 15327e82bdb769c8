"""`?`: every key binding of the screen underneath, then the global ones."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static


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
        for key, active in screen.active_bindings.items():
            binding = active.binding
            if not binding.description:
                continue
            node = active.node
            scope = "global" if isinstance(node, App) else type(node).__name__
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
        entries.append(HelpEntry("ctrl+p", "Command palette (themes, every action)", "global"))
        screen_name = screen.title or type(screen).__name__
        title = f"Keys — {type(screen).__name__}"
        if screen_name and screen_name != type(screen).__name__:
            title += f" ({screen_name})"
        local = [e for e in entries if e.scope != "global"]
        global_ = [e for e in entries if e.scope == "global"]
        return cls(title, local + global_)

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
