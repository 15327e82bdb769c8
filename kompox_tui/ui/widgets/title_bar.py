"""A one-line title bar: icon, then ``title — sub_title`` centred.

Replaces Textual's ``Header`` on our screens. ``Header`` updates its ``HeaderTitle``
child from an *async* watcher that runs later; when a screen is popped right after
it was pushed (Enter, Escape, Escape), that watcher can run after the child is gone
and raise ``NoMatches 'HeaderTitle'``, which ends the app. This bar has no children
and its watchers are synchronous: a title change only marks it for repaint.
"""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from ...text import visible


class TitleBar(Widget):
    """App title and screen sub-title, docked at the top."""

    DEFAULT_CSS = """
    TitleBar {
        dock: top;
        width: 100%;
        height: 1;
        background: $panel;
        color: $foreground;
    }
    """

    def __init__(self, icon: str = "☸") -> None:
        super().__init__()
        self.icon = icon

    def on_mount(self) -> None:
        # Bound methods: Textual drops these watchers when this widget closes.
        self.watch(self.app, "title", self._changed, init=False)
        self.watch(self.app, "sub_title", self._changed, init=False)
        self.watch(self.screen, "title", self._changed, init=False)
        self.watch(self.screen, "sub_title", self._changed, init=False)

    def _changed(self) -> None:
        self.refresh()

    def render(self) -> Text:
        screen = self.screen
        title = visible(screen.title or self.app.title)
        sub = visible(screen.sub_title or self.app.sub_title)
        line = Text(title, style="bold")
        if sub:
            line.append(" — ")
            line.append(sub, style="dim")
        width = self.size.width
        left = f" {self.icon} "
        pad = max(0, (width - line.cell_len) // 2 - len(left))
        text = Text(left)
        text.append(" " * pad)
        text.append_text(line)
        text.truncate(max(width, 1))
        return text
