"""Confirmation modals for destructive actions.

``ConfirmByName`` asks for the name of the thing about to be destroyed (the way
GitHub confirms a repository deletion): a wrong name does nothing, Escape cancels.
The typed name is the one gate: when the action also needs *force* (deleting the
disk the app uses), the same dialog carries a force tick box toggled with one key
(ctrl+f), and Enter confirms only with the name typed and force ticked. Where
sibling names are given, a unique suffix of at least four characters counts as
the name (ULIDs differ at the end). ``ConfirmForce`` is a stand-alone force step
for callers that want one. Every dismissal without confirming says that nothing
was done. All dismiss with ``True`` only when the user really confirmed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Static

if TYPE_CHECKING:
    from ...layouts import Layout

#: Shortest suffix accepted in place of a full name (same rule as the volume tables).
MIN_SUFFIX = 4

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
    height: auto;
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


class Tick(Checkbox):
    """A check box that reads the same in every theme: ``[ ]`` off, ``[x]`` on.

    Textual's checkbox draws ``▐X▌`` in both states and tells them apart by colour
    only, which in several themes looks ticked when it is not.
    """

    def render(self) -> Content:
        mark = Content.styled("[x]", "bold") if self.value else Content("[ ]")
        label = self.label.pad(1, 1).stylize_before(self.get_visual_style("toggle--label"))
        return Content.assemble(mark, label)


def suffix_matches(typed: str, name: str, others: Iterable[str]) -> bool:
    """``typed`` is ``name``, or a suffix of it of at least ``MIN_SUFFIX`` characters
    that none of ``others`` ends with."""
    if typed == name:
        return bool(typed)
    if len(typed) < MIN_SUFFIX or not name.endswith(typed):
        return False
    return not any(o != name and o.endswith(typed) for o in others)


class _DestructiveConfirm(ModalScreen[bool]):
    """What :class:`ConfirmByName` and :class:`ConfirmForce` share.

    Escape and the Cancel button dismiss with ``False`` and say that nothing was
    done; the button row holds Cancel and a disabled danger button (``#confirm``)
    that the subclass arms.
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    confirm_label: str
    title_text: str

    def _buttons(self) -> ComposeResult:
        with Horizontal(classes="confirm-buttons"):
            yield Button("Cancel (Esc)", id="cancel")
            yield Button(self.confirm_label, id="confirm", variant="error", disabled=True)

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    def action_cancel(self) -> None:
        self.app.notify(f"{self.title_text}: cancelled; nothing was done.", title="Cancelled")
        self.dismiss(False)


class ConfirmByName(_DestructiveConfirm):
    """Ask the user to type ``expected_name`` before a destructive action runs.

    ``others``: the sibling names; when given, a unique suffix of ``expected_name``
    counts as the name. ``force``: the label of a force tick box (ctrl+f) that must
    be ticked too. ``name_detail``: shown beside the name (e.g. its creation time).
    """

    DEFAULT_CSS = (
        _MODAL_CSS.replace("MODAL", "ConfirmByName")
        + """
    ConfirmByName .confirm-force { height: auto; margin-top: 1; }
    ConfirmByName .confirm-force Tick { border: none; padding: 0; background: $surface; }
    ConfirmByName .confirm-keys { color: $text-muted; }
    """
    )
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+f", "toggle_force", "Force", priority=True, show=False),
    ]

    def __init__(
        self,
        title: str,
        explanation: str,
        expected_name: str,
        danger_note: str | None = None,
        *,
        confirm_label: str = "Confirm",
        others: Iterable[str] | None = None,
        force: str | None = None,
        name_detail: str | None = None,
        suffix: int | None = None,
    ) -> None:
        super().__init__()
        self.title_text = title
        self.explanation = explanation
        self.expected_name = expected_name
        self.danger_note = danger_note
        self.confirm_label = confirm_label
        self.others: tuple[str, ...] | None = tuple(others) if others is not None else None
        self.force_label = force
        self.name_detail = name_detail
        self.suffix = suffix
        """How many trailing characters tell the name apart (emphasised)."""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, classes="confirm-title", markup=False)
            yield Static(self.explanation, markup=False)
            if self.danger_note:
                yield Static(self.danger_note, classes="confirm-danger", markup=False)
            if self.others is not None:
                yield Label(
                    f"Type the name (or its last {MIN_SUFFIX}+ characters, if unique) to confirm:",
                    markup=False,
                )
            else:
                yield Label("Type the name to confirm:", markup=False)
            yield Static(self._name_line(), classes="confirm-name", markup=False)
            yield Input(placeholder="type the name shown above", id="confirm-input")
            if self.force_label is not None:
                with Horizontal(classes="confirm-force"):
                    yield Tick(self.force_label, id="force")
                yield Label(
                    "ctrl+f ticks force; Enter confirms; Esc cancels", classes="confirm-keys"
                )
            yield Label("", id="confirm-feedback", classes="confirm-feedback", markup=False)
            yield from self._buttons()

    def _name_line(self) -> Text:
        name = self.expected_name
        if self.suffix is not None and 0 < self.suffix < len(name):
            cut = len(name) - max(self.suffix, MIN_SUFFIX)
            text = Text(name[:cut], style="dim")
            text.append(name[cut:], style="bold underline")
        else:
            text = Text(name)
        if self.name_detail:
            text.append(f"   {self.name_detail}", style="not bold")
        return text

    def on_mount(self) -> None:
        self.query_one("#confirm-input", Input).focus()

    def _name_ok(self, typed: str) -> bool:
        if self.others is None:
            return typed == self.expected_name
        return suffix_matches(typed.strip(), self.expected_name, self.others)

    def _force_ok(self) -> bool:
        if self.force_label is None:
            return True
        return self.query_one("#force", Tick).value

    def _arm(self) -> None:
        typed = self.query_one("#confirm-input", Input).value
        self.query_one("#confirm", Button).disabled = not (
            self._name_ok(typed) and self._force_ok()
        )

    @on(Input.Changed, "#confirm-input")
    def _typed(self, event: Input.Changed) -> None:
        self._arm()
        self.query_one("#confirm-feedback", Label).update("")

    @on(Checkbox.Changed, "#force")
    def _forced(self, event: Checkbox.Changed) -> None:
        self._arm()
        self.query_one("#confirm-feedback", Label).update("")

    def action_toggle_force(self) -> None:
        if self.force_label is not None:
            self.query_one("#force", Tick).toggle()

    def _try_confirm(self) -> None:
        typed = self.query_one("#confirm-input", Input).value
        feedback = self.query_one("#confirm-feedback", Label)
        if not self._name_ok(typed):
            feedback.update(
                "The name does not match (or the suffix is not unique); nothing was done."
            )
        elif not self._force_ok():
            feedback.update("Press ctrl+f to tick force first; nothing was done yet.")
        else:
            self.dismiss(True)

    @on(Input.Submitted, "#confirm-input")
    def _submitted(self, event: Input.Submitted) -> None:
        self._try_confirm()

    @on(Button.Pressed, "#confirm")
    def _confirm(self) -> None:
        self._try_confirm()


class ConfirmForce(_DestructiveConfirm):
    """A stand-alone, explicit confirmation for forcing a dangerous action.

    The action button stays disabled until the acknowledgement box is ticked
    (space, or ctrl+f from anywhere in the dialog).
    """

    DEFAULT_CSS = _MODAL_CSS.replace("MODAL", "ConfirmForce")
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+f", "toggle_force", "Force", priority=True, show=False),
    ]

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
            yield Label(self.title_text, classes="confirm-title", markup=False)
            yield Static(self.explanation, classes="confirm-danger", markup=False)
            yield Tick(self.acknowledgement, id="acknowledge")
            yield from self._buttons()

    def on_mount(self) -> None:
        self.query_one("#acknowledge", Tick).focus()

    def action_toggle_force(self) -> None:
        self.query_one("#acknowledge", Tick).toggle()

    @on(Checkbox.Changed, "#acknowledge")
    def _acknowledged(self, event: Checkbox.Changed) -> None:
        self.query_one("#confirm", Button).disabled = not event.value

    @on(Button.Pressed, "#confirm")
    def _confirm(self) -> None:
        if self.query_one("#acknowledge", Tick).value:
            self.dismiss(True)


class ProvisionOptions(ModalScreen[bool | None]):
    """Ask whether to provision with ``force``; dismisses the force flag, or None to cancel."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = _MODAL_CSS.replace("MODAL", "ProvisionOptions")

    def __init__(self, cluster_name: str, layout: Layout, existing: bool = False) -> None:
        super().__init__()
        self.cluster_name = cluster_name
        self.existing = existing
        # What provision makes is the layout's answer (a deployment stack or kompoxops's
        # subscription deployment), never a branch on the layout here.
        self.summary = layout.provision_summary()
        self.target_kind = layout.provisioning_object().kind

    def compose(self) -> ComposeResult:
        with Vertical(classes="-calm"):
            yield Label(f"Provision cluster {self.cluster_name}", classes="confirm-title")
            yield Static(
                f"{self.summary} This takes several minutes; progress opens in its own "
                "screen and keeps running if you leave it.",
                markup=False,
            )
            yield Tick(
                f"Force: redeploy even if the {self.target_kind} already exists",
                id="force",
                value=False,
            )
            with Horizontal(classes="confirm-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Provision", id="confirm", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#confirm", Button).focus()

    @on(Button.Pressed, "#confirm")
    def _confirm(self) -> None:
        self.dismiss(self.query_one("#force", Tick).value)

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
