"""Live progress of one long cluster operation; stays readable after it ends."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Log, Static

from ...text import visible
from ..operations import Operation
from ..widgets.activity_bar import ActivityBar
from ..widgets.key_bar import KeyBar
from ..widgets.title_bar import TitleBar

if TYPE_CHECKING:
    from ..app import KompoxApp

_IN_RG = re.compile(r"/subscriptions/[^/\s]+/resourceGroups/([^/\s]+)/providers/")
_RG = re.compile(r"/subscriptions/[^/\s]+/resourceGroups/([^/\s]+)")


def shorten_ids(line: str) -> str:
    """On screen, ``/subscriptions/S/resourceGroups/RG/providers/X`` reads ``RG/X``.

    The saved log keeps the full ids.
    """
    return _RG.sub(r"resourceGroups/\1", _IN_RG.sub(r"\1/", line))


#: Lines the on-screen log keeps (the operation itself keeps its own bounded copy).
LOG_LINES = 5000


def default_log_dir() -> Path:
    from platformdirs import user_log_path

    return user_log_path("kompox-tui", appauthor=False)


class OperationProgress(Screen[None]):
    """The log of one provision/deprovision/install/uninstall, with its outcome."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,b", "back", "Back"),
        Binding("s", "save", "Save log", tooltip="Save this log to a file"),
        Binding("end,G", "follow", "Follow", show=False, tooltip="Scroll to the newest line"),
    ]

    def __init__(self, operation: Operation) -> None:
        super().__init__()
        self.operation = operation
        self._seen = 0

    @property
    def kompox(self) -> KompoxApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield TitleBar()
        with Horizontal(id="progress-head"):
            yield Static("", id="progress-title")
            yield ActivityBar(id="spinner")
        yield Log(max_lines=LOG_LINES, id="progress-log", highlight=False)
        yield Static("", id="progress-result")
        yield KeyBar()

    def on_mount(self) -> None:
        self.sub_title = self.operation.title
        self.kompox.operation_signal.subscribe(self, self.operation_updated, immediate=True)
        self._sync()
        self.set_interval(0.5, self._tick, name="elapsed")
        self.query_one(Log).focus()

    def _tick(self) -> None:
        if self.operation.running:
            self._render_head()

    def operation_updated(self, op: Operation) -> None:
        """On the app's ``operation_signal``: any operation logged; only ours matters."""
        if op is self.operation:
            self._sync()

    def _sync(self) -> None:
        new, self._seen = self.operation.lines_since(self._seen)
        if new:
            self.query_one(Log).write_lines([shorten_ids(line) for line in new])
        self._render_head()
        self._render_result()

    def _render_head(self) -> None:
        op = self.operation
        text = Text()
        text.append(op.title, style="bold")
        style = {"running": "cyan", "succeeded": "bold green", "failed": "bold red"}[op.state]
        # Finished: the final state and Azure's reason; the last stack state seen while
        # polling ("validating") would contradict it.
        text.append(f"  {op.outcome()}", style=style)
        if op.running and op.stack_state:
            text.append(f" · stack {visible(op.stack_state)}", style="dim")
        text.append(f" · {op.elapsed():.0f} s", style="dim")
        if op.resources:
            count = len(op.resources)
            text.append(f" · {count} resource{'' if count == 1 else 's'}", style="dim")
        self.query_one("#progress-title", Static).update(text)
        spinner = self.query_one("#spinner", ActivityBar)
        spinner.display = op.running

    def _render_result(self) -> None:
        op = self.operation
        result = self.query_one("#progress-result", Static)
        result.remove_class("-failed", "-succeeded")
        if op.running:
            result.update(
                Text("Running… you can leave this screen (Esc); it keeps going.", style="dim")
            )
            return
        text = Text()
        if op.state == "failed":
            result.add_class("-failed")
            for i, line in enumerate(op.error_summary()):
                text.append(line + "\n", style="bold" if i == 0 else "")
        else:
            result.add_class("-succeeded")
            text.append(f"{op.title} succeeded in {op.elapsed():.0f} s.\n", style="bold")
            width = max((len(k) for k in op.outputs), default=0)
            for key, value in op.outputs.items():
                text.append(f"{visible(key):<{width}}  ", style="dim")
                text.append(f"{visible(value)}\n")
        text.rstrip()
        result.update(text)

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_follow(self) -> None:
        self.query_one(Log).scroll_end(animate=False)

    def action_save(self) -> None:
        op = self.operation
        directory = self.kompox.log_dir or default_log_dir()
        stamp = op.started_at.strftime("%Y%m%d-%H%M%S")
        path = directory / f"{op.kind}-{op.cluster}-{stamp}.log"
        try:
            directory.mkdir(parents=True, exist_ok=True)
            lines = op.all_lines()
            if not op.running:
                lines += ["", *op.error_summary()]
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        except OSError as exc:
            self.notify(f"Could not save the log to {path}: {exc}", severity="error")
            return
        self.notify(str(path), title="Log saved")
