"""Confirmation modals for destructive actions.

``ConfirmByName`` asks for the exact name of the thing about to be destroyed (the
way GitHub confirms a repository deletion): a wrong name does nothing, Escape
cancels. ``ConfirmForce`` is the second, explicit step for the dangerous variant
(deleting the assigned disk): the user has to tick a box before the button arms.
Both dismiss with ``True`` only when the user really confirmed.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Static

_MODAL_CSS = """
MODAL {
    align: center middle;
}
MODAL > Vertical {
    width: 76;
    max-width: 95%;
    height: auto;
    border: thick $error;
    background: $surface;
    padding: 1 2;
}
MODAL > Vertical.-calm {
    border: thick $primary;
}
.confirm-title {
    text-style: bold;
    width: 100%;
    margin-bottom: 1;
}
.confirm-danger {
    color: $text-error;
    text-style: bold;
    margin-bottom: 1;
}
.confirm-name {
    text-style: bold;
    color: $text-warning;
}
.confirm-feedback {
    color: $text-error;
    height: 1;
}
.confirm-buttons {
    height: auto;
    align-horizontal: right;
    margin-top: 1;
}
.confirm-buttons Button {
    margin-left: 2;
}
"""


class _DestructiveConfirm(ModalScreen[bool]):
    """What :class:`ConfirmByName` and :class:`ConfirmForce` share.

    Escape and the Cancel button dismiss with ``False``; the button row holds Cancel
    and a disabled danger button (``#confirm``) that the subclass arms.
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    confirm_label: str

    def _buttons(self) -> ComposeResult:
        with Horizontal(classes="confirm-buttons"):
            yield Button("Cancel", id="cancel")
            yield Button(self.confirm_label, id="confirm", variant="error", disabled=True)

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.dismiss(False)

    def action_cancel(self) -> None:
        self.dismiss(False)


class ConfirmByName(_DestructiveConfirm):
    """Ask the user to type ``expected_name`` before a destructive action runs."""

    DEFAULT_CSS = _MODAL_CSS.replace("MODAL", "ConfirmByName")

    def __init__(
        self,
        title: str,
        explanation: str,
        expected_name: str,
        danger_note: str | None = None,
        *,
        confirm_label: str = "Confirm",
    ) -> None:
        super().__init__()
        self.title_text = title
        self.explanation = explanation
        self.expected_name = expected_name
        self.danger_note = danger_note
        self.confirm_label = confirm_label

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, classes="confirm-title")
            yield Static(self.explanation, markup=False)
            if self.danger_note:
                yield Static(self.danger_note, classes="confirm-danger", markup=False)
            yield Label("Type the name to confirm:")
            yield Static(self.expected_name, classes="confirm-name", markup=False)
            yield Input(placeholder="type the name shown above", id="confirm-input")
            yield Label("", id="confirm-feedback", classes="confirm-feedback")
            yield from self._buttons()

    def on_mount(self) -> None:
        self.query_one("#confirm-input", Input).focus()

    @on(Input.Changed, "#confirm-input")
    def _typed(self, event: Input.Changed) -> None:
        matches = event.value == self.expected_name
        self.query_one("#confirm", Button).disabled = not matches
        self.query_one("#confirm-feedback", Label).update("")

    @on(Input.Submitted, "#confirm-input")
    def _submitted(self, event: Input.Submitted) -> None:
        if event.value == self.expected_name:
            self.dismiss(True)
        else:
            self.query_one("#confirm-feedback", Label).update(
                "The name does not match; nothing was done."
            )

    @on(Button.Pressed, "#confirm")
    def _confirm(self) -> None:
        if self.query_one("#confirm-input", Input).value == self.expected_name:
            self.dismiss(True)


class ConfirmForce(_DestructiveConfirm):
    """The second, explicit confirmation for forcing a dangerous action.

    Shown after :class:`ConfirmByName` when the target is in use (e.g. the assigned
    disk). The action button stays disabled until the acknowledgement box is ticked.
    """

    DEFAULT_CSS = _MODAL_CSS.replace("MODAL", "ConfirmForce")

    def __init__(
        self,
        title: str,
        explanation: str,
        acknowledgement: str = "I understand; force it",
        *,
        confirm_label: str = "Force",
    ) -> None:
        super().__init__()
        self.title_text = title
        self.explanation = explanation
        self.acknowledgement = acknowledgement
        self.confirm_label = confirm_label

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, classes="confirm-title")
            yield Static(self.explanation, classes="confirm-danger", markup=False)
            yield Checkbox(self.acknowledgement, id="acknowledge")
            yield from self._buttons()

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    @on(Checkbox.Changed, "#acknowledge")
    def _acknowledged(self, event: Checkbox.Changed) -> None:
        self.query_one("#confirm", Button).disabled = not event.value

    @on(Button.Pressed, "#confirm")
    def _confirm(self) -> None:
        if self.query_one("#acknowledge", Checkbox).value:
            self.dismiss(True)


class ProvisionOptions(ModalScreen[bool | None]):
    """Ask whether to provision with ``force``; dismisses the force flag, or None to cancel."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = _MODAL_CSS.replace("MODAL", "ProvisionOptions")

    def __init__(self, cluster_name: str, existing: bool = False) -> None:
        super().__init__()
        self.cluster_name = cluster_name
        self.existing = existing

    def compose(self) -> ComposeResult:
        with Vertical(classes="-calm"):
            yield Label(f"Provision cluster {self.cluster_name}", classes="confirm-title")
            yield Static(
                "Deploys the cluster's Deployment Stack (AKS, identity, Key Vault, "
                "monitoring). This takes several minutes; progress opens in its own "
                "screen and keeps running if you leave it.",
                markup=False,
            )
            yield Checkbox(
                "Force: redeploy even if the stack already exists", id="force", value=False
            )
            with Horizontal(classes="confirm-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Provision", id="confirm", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#confirm", Button).focus()

    @on(Button.Pressed, "#confirm")
    def _confirm(self) -> None:
        self.dismiss(self.query_one("#force", Checkbox).value)

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
