"""A yes/no question as a modal: the answer comes back through ``push_screen_wait``."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class Ask(ModalScreen[bool]):
    """``title``, a body of plain text (never markup), and two buttons; focus on ``yes``.

    Enter answers the focused button, ``y``/``n`` answer directly, Escape is "no".
    """

    DEFAULT_CSS = """
    Ask { align: center middle; }
    Ask > Vertical { width: 80%; max-width: 90; height: auto; border: thick $warning;
                     background: $surface; padding: 1 2; }
    Ask .ask-title { text-style: bold; margin-bottom: 1; }
    Ask Horizontal { height: auto; margin-top: 1; align-horizontal: right; }
    Ask Button { margin-left: 2; }
    """

    BINDINGS = [
        Binding("escape,n", "answer(False)", "No"),
        Binding("y", "answer(True)", "Yes"),
    ]

    def __init__(self, title: str, body: str, yes: str = "Yes", no: str = "No") -> None:
        super().__init__()
        self._title = title
        self._body = body
        self._yes = yes
        self._no = no

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self._title), classes="ask-title")
            yield Static(Text(self._body))
            with Horizontal():
                yield Button(f"{self._no} (n)", id="no")
                yield Button(f"{self._yes} (y)", id="yes", variant="warning")

    def on_mount(self) -> None:
        self.query_one("#yes", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
