"""Small confirmation modals private to the volume browser.

Typed-name confirmations for deletes live in ``ui/widgets/confirm.py``; these are
the one-key confirmations for the non-destructive (or reversible) volume actions:
create a disk, take a snapshot, restore, and the assign/repair swap, which shows
*from* -> *to* so the operator sees exactly what changes before pressing Enter.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static


class ConfirmAction(ModalScreen[bool]):
    """``title``, a body of lines, and [Cancel] [confirm_label]; Enter confirms, Esc cancels."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("enter", "confirm", "Confirm", priority=True),
    ]

    DEFAULT_CSS = """
    ConfirmAction {
        align: center middle;
    }
    ConfirmAction > Vertical {
        width: 84;
        max-width: 95%;
        height: auto;
        border: thick $primary;
        background: $surface;
        padding: 1 2;
    }
    ConfirmAction .confirm-title {
        text-style: bold;
        width: 100%;
        margin-bottom: 1;
    }
    ConfirmAction .confirm-body {
        width: 100%;
    }
    ConfirmAction .confirm-note {
        color: $text-muted;
        margin-top: 1;
    }
    ConfirmAction .confirm-buttons {
        height: auto;
        align-horizontal: right;
        margin-top: 1;
    }
    ConfirmAction .confirm-buttons Button {
        margin-left: 2;
    }
    """

    def __init__(
        self,
        title: str,
        body: Sequence[Text | str],
        *,
        confirm_label: str = "Confirm",
        cancel_label: str = "Cancel",
        note: str | None = None,
    ) -> None:
        super().__init__()
        self.title_text = title
        self.body = list(body)
        self.confirm_label = confirm_label
        self.cancel_label = cancel_label
        self.note = note

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, classes="confirm-title", markup=False)
            for line in self.body:
                yield Static(line, classes="confirm-body", markup=False)
            if self.note:
                yield Static(self.note, classes="confirm-note", markup=False)
            with Horizontal(classes="confirm-buttons"):
                yield Button(f"{self.cancel_label} (Esc)", id="cancel")
                yield Button(f"{self.confirm_label} (Enter)", id="confirm", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#confirm", Button).focus()

    @on(Button.Pressed, "#confirm")
    def _confirm_pressed(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    def action_confirm(self) -> None:
        # Enter on a focused Cancel button means Cancel, never Confirm.
        if self.focused is not None and self.focused.id == "cancel":
            self.action_cancel()
            return
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.app.notify(f"{self.title_text}: cancelled; nothing was done.", title="Cancelled")
        self.dismiss(False)
