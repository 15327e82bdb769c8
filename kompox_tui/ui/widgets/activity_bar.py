"""A bold "still working" bar: a block that sweeps to and fro.

Textual's indeterminate ``ProgressBar`` draws a thin line (``━``) that is hard to
see, in a browser (``serve``) above all; this one moves a solid block over a
shaded track, so a running operation reads as running at a glance.
"""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

BLOCK = 6
"""Width of the moving block, in cells."""


class ActivityBar(Widget):
    """A sweeping block; ``display = False`` hides it (and stops its timer's repaints)."""

    DEFAULT_CSS = """
    ActivityBar {
        width: 30;
        height: 1;
        color: $warning;
        background: $foreground 12%;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self._step = 0

    def on_mount(self) -> None:
        self.set_interval(0.08, self._advance)

    def _advance(self) -> None:
        if self.display:
            self._step += 1
            self.refresh()

    def render(self) -> Text:
        width = max(self.size.width, BLOCK + 1)
        travel = width - BLOCK
        position = self._step % (2 * travel)
        start = position if position <= travel else 2 * travel - position
        return Text(" " * start + "█" * BLOCK + " " * (width - start - BLOCK))
