"""Describe: one resource (or a few) in full, as YAML, the way ``kubectl get -o yaml``
shows it -- a disk, a snapshot, a PersistentVolume, its claim, a pod; later the
overview's stack or deployment.

Server text is data: the YAML is shown as plain text (never markup) with control
characters made visible, and values that look like secrets are redacted before
anything reaches the screen or the clipboard. ``c`` copies the (redacted) YAML.
Documents are either given or fetched by a loader in a thread (one GET).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

import yaml
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import ScrollableContainer
from textual.screen import Screen
from textual.widgets import Label, Static
from textual.worker import get_current_worker

from ...errors import KompoxError
from ...text import visible
from ..widgets.key_bar import KeyBar
from ..widgets.title_bar import TitleBar

REDACTED = "<redacted>"

#: Keys whose string values are secrets wherever they appear (ARM or Kubernetes).
_SECRET_KEY = re.compile(
    r"(password|passwd|secret|token|credential|connectionstring|accesskey|apikey|"
    r"api[-_]key|private[-_]?key|sas(uri|url|token)?$|^key$|clientkey)",
    re.IGNORECASE,
)
#: Fields dropped as noise (kubectl hides managedFields too).
_DROP = frozenset({"managedFields"})


def redact(value: Any) -> Any:
    """A copy of ``value`` with secret-looking values replaced by ``<redacted>``.

    Keys that name a secret lose their value; Kubernetes ``env`` entries whose
    ``name`` names a secret lose their ``value``; ``data`` of a Secret is redacted
    entirely.
    """
    if isinstance(value, Mapping):
        kind = value.get("kind")
        out: dict[str, Any] = {}
        for key, item in value.items():
            name = str(key)
            if name in _DROP:
                continue
            if kind == "Secret" and name in ("data", "stringData") and isinstance(item, Mapping):
                out[name] = {k: REDACTED for k in item}
            elif (
                _SECRET_KEY.search(name)
                and isinstance(item, (str, bytes, int, float))
                and not isinstance(item, bool)
            ) or (
                name == "value"
                and isinstance(value.get("name"), str)
                and _SECRET_KEY.search(value["name"])
            ):
                out[name] = REDACTED
            else:
                out[name] = redact(item)
        return out
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def to_yaml(documents: Sequence[Mapping[str, Any]]) -> str:
    """The documents, redacted, as one YAML stream (``---`` between them)."""
    parts = [
        yaml.safe_dump(
            redact(doc),
            sort_keys=False,
            allow_unicode=True,
            default_flow_style=False,
            width=1_000_000,  # ids stay on one line; the view scrolls sideways
        )
        for doc in documents
    ]
    return "---\n".join(parts)


Loader = Callable[[], list[Mapping[str, Any]]]


class DescribeScreen(Screen[None]):
    """The full resource as YAML: scroll with the arrows/PgUp/PgDn, ``c`` copies."""

    DEFAULT_CSS = """
    DescribeScreen #describe-title { text-style: bold; padding: 0 1; background: $boost; }
    DescribeScreen #describe-body { padding: 0 1; width: auto; }
    DescribeScreen #describe-note { color: $text-muted; padding: 0 1; height: auto; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "back", "Back"),
        Binding("c", "copy", "Copy YAML"),
        Binding("j", "scroll(1)", "Down", show=False),
        Binding("k", "scroll(-1)", "Up", show=False),
        Binding("g", "top", "Top", show=False),
        Binding("G", "bottom", "Bottom", show=False),
    ]

    def __init__(
        self,
        title: str,
        documents: Sequence[Mapping[str, Any]] | None = None,
        *,
        loader: Loader | None = None,
        note: str | None = None,
    ) -> None:
        super().__init__()
        self.title_text = title
        self.documents: list[Mapping[str, Any]] | None = (
            list(documents) if documents is not None else None
        )
        self.loader = loader
        self.note = note
        self.yaml_text = ""
        self.error: str | None = None

    def compose(self) -> ComposeResult:
        yield TitleBar()
        yield Label(visible(self.title_text), id="describe-title", markup=False)
        if self.note:
            yield Static(visible(self.note), id="describe-note", markup=False)
        with ScrollableContainer(id="describe-scroll"):
            yield Static("loading…", id="describe-body", markup=False)
        yield KeyBar()

    def on_mount(self) -> None:
        self.sub_title = "describe"
        if self.documents is not None:
            self._show(self.documents)
        elif self.loader is not None:
            self._load()
        self.query_one("#describe-scroll", ScrollableContainer).focus()

    @work(thread=True, exit_on_error=False, group="describe", description="read the resource")
    def _load(self) -> None:
        assert self.loader is not None
        try:
            documents = self.loader()
        except KompoxError as exc:
            if not get_current_worker().is_cancelled:
                self.app.call_from_thread(self._failed, str(exc))
            return
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show, documents)

    def _show(self, documents: Sequence[Mapping[str, Any]]) -> None:
        self.documents = list(documents)
        self.yaml_text = visible(to_yaml(self.documents), keep_newlines=True)
        self.query_one("#describe-body", Static).update(Text(self.yaml_text, no_wrap=True))

    def _failed(self, error: str) -> None:
        self.error = error
        self.query_one("#describe-body", Static).update(
            Text(f"Could not read the resource: {visible(error)}", style="red")
        )

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_copy(self) -> None:
        if not self.yaml_text:
            self.notify("Nothing to copy yet.", severity="warning")
            return
        self.app.copy_to_clipboard(self.yaml_text)
        lines = self.yaml_text.count("\n")
        self.notify(f"Copied {lines} lines of YAML (secrets redacted).", title="Copied")

    def action_scroll(self, lines: int) -> None:
        scroll = self.query_one("#describe-scroll", ScrollableContainer)
        scroll.scroll_relative(y=lines, animate=False)

    def action_top(self) -> None:
        self.query_one("#describe-scroll", ScrollableContainer).scroll_home(animate=False)

    def action_bottom(self) -> None:
        self.query_one("#describe-scroll", ScrollableContainer).scroll_end(animate=False)
