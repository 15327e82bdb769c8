"""`m`: every notification of this session, newest last (toasts vanish; this stays)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from ..widgets.key_bar import KeyBar
from ..widgets.title_bar import TitleBar

if TYPE_CHECKING:
    from ..app import KompoxApp, Notice

_SEVERITY_STYLE = {"information": "green", "warning": "yellow", "error": "bold red"}
_SEVERITY_WORD = {"information": "info", "warning": "warning", "error": "error"}


def notice_text(notices: list[Notice]) -> Text:
    """The history as one text: time, severity, title, then the message indented.

    Messages were made visible (control characters) when they were shown; they are
    appended as plain text, never parsed as markup.
    """
    text = Text()
    if not notices:
        text.append("No notifications yet.", style="dim")
        return text
    for notice in notices:
        text.append(f"{notice.time:%H:%M:%S} ", style="dim")
        severity = str(notice.severity)
        text.append(
            f"{_SEVERITY_WORD.get(severity, severity):<8}",
            style=_SEVERITY_STYLE.get(severity, ""),
        )
        text.append(notice.title or "(no title)", style="bold")
        text.append("\n")
        for line in notice.message.splitlines() or [""]:
            text.append(f"    {line}\n")
    text.rstrip()
    return text


class NotificationsScreen(Screen[None]):
    """The notification history (lazygit-style): what was said, when, how serious."""

    HELP_NAME = "Messages"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,b", "back", "Back"),
        Binding("end,G", "newest", "Newest", show=False, tooltip="Scroll to the newest"),
        Binding("home,g", "oldest", "Oldest", show=False, tooltip="Scroll to the oldest"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._shown = -1

    @property
    def kompox(self) -> KompoxApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield TitleBar()
        with VerticalScroll(id="notices-body"):
            yield Static("", id="notices")
        yield KeyBar()

    def on_mount(self) -> None:
        self.sub_title = "Messages"
        self._render_notices()
        self.set_interval(1.0, self._render_notices, name="notices")
        self.query_one("#notices-body").focus()

    def _render_notices(self) -> None:
        notices = self.kompox.notices.all()
        if len(notices) == self._shown:
            return
        self._shown = len(notices)
        self.query_one("#notices", Static).update(notice_text(notices))
        self.query_one("#notices-body", VerticalScroll).scroll_end(animate=False)

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_newest(self) -> None:
        self.query_one("#notices-body", VerticalScroll).scroll_end(animate=False)

    def action_oldest(self) -> None:
        self.query_one("#notices-body", VerticalScroll).scroll_home(animate=False)
