"""The footer: the keys that fit, most important first, never a cut-off item.

Textual's ``Footer`` lays every shown binding out in one row and cuts whatever does
not fit -- at 80 columns the overview lost Uninstall, Quit, Help and Call log and
showed a stray "Q". This bar measures instead: it always shows ``?`` (help, which
lists every key) and ``q`` (quit), then adds the screen's bindings in the order of
its ``FOOTER_PRIORITY`` (then declaration order) while whole items fit, and the
command palette key when there is room. Every key stays reachable through ``?``
and the palette; the bar only chooses what to advertise.

Clicking an item runs its action (screen and app actions; a widget's own keys such
as a table's ``/`` are shown but run by key only).
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual.app import App
from textual.screen import Screen
from textual.widget import Widget

#: Shown on every screen, at the right end, before anything optional.
ALWAYS = ("help", "quit")
GAP = "  "


@dataclass(frozen=True)
class KeyItem:
    key: str
    description: str
    action: str
    enabled: bool


def choose(items: list[KeyItem], priority: tuple[str, ...], width: int) -> list[KeyItem]:
    """The items to show in ``width`` cells: ALWAYS ones, then by priority, in order.

    Pure (unit-tested): returns items in their original order, each whole.
    """

    def cost(item: KeyItem) -> int:
        return len(item.key) + 1 + len(item.description) + len(GAP)

    rank = {action: i for i, action in enumerate(priority)}
    must = [i for i in items if i.action in ALWAYS]
    rest = [i for i in items if i.action not in ALWAYS]
    order = {item.action: n for n, item in enumerate(rest)}
    rest.sort(key=lambda i: rank.get(i.action, len(rank) + order[i.action]))
    chosen = list(must)
    used = sum(cost(i) for i in chosen)
    for item in rest:
        if used + cost(item) <= width:
            chosen.append(item)
            used += cost(item)
    return [i for i in items if i in chosen]


class KeyBar(Widget):
    """Docked at the bottom; re-renders when the screen's bindings change."""

    COMPONENT_CLASSES = {"key-bar--key", "key-bar--description"}

    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        width: 100%;
        height: 1;
        background: $footer-background;
        .key-bar--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        .key-bar--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
    }
    """

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, _screen: Screen[object]) -> None:
        self.refresh()

    def _items(self) -> tuple[list[KeyItem], dict[str, str]]:
        """Shown bindings (one per action) and each action's click target."""
        screen = self.screen
        items: list[KeyItem] = []
        targets: dict[str, str] = {}
        seen: set[str] = set()
        for active in screen.active_bindings.values():
            binding = active.binding
            if not binding.show or binding.action in seen or binding.action == "command_palette":
                continue
            seen.add(binding.action)
            key = binding.key_display or self.app.get_key_display(binding)
            items.append(KeyItem(key, binding.description, binding.action, active.enabled))
            if isinstance(active.node, App):
                targets[binding.action] = f"app.{binding.action}"
            elif active.node is screen:
                targets[binding.action] = f"screen.{binding.action}"
        return items, targets

    def render(self) -> Text:
        items, targets = self._items()
        width = self.size.width
        palette_binding = self.screen.active_bindings.get(self.app.COMMAND_PALETTE_BINDING)
        palette_key = self.app.get_key_display(palette_binding.binding) if palette_binding else "^p"
        palette = f"{palette_key} palette"
        room = width - 1
        with_palette = room - len(palette) - len(GAP) >= sum(
            len(i.key) + 1 + len(i.description) + len(GAP) for i in items if i.action in ALWAYS
        )
        if with_palette and self.app.ENABLE_COMMAND_PALETTE:
            room -= len(palette) + len(GAP)
        priority = tuple(getattr(self.screen, "FOOTER_PRIORITY", ()))
        key_style = self.get_component_rich_style("key-bar--key")
        description_style = self.get_component_rich_style("key-bar--description")
        text = Text(" ")
        for item in choose(items, priority, room):
            click = targets.get(item.action)
            meta = Style(meta={"@click": click}) if click else Style()
            dim = Style(dim=True) if not item.enabled else Style()
            text.append(item.key, key_style + meta + dim)
            text.append(" " + item.description, description_style + meta + dim)
            text.append(GAP)
        if with_palette and self.app.ENABLE_COMMAND_PALETTE:
            pad = max(0, width - text.cell_len - len(palette))
            text.append(" " * pad)
            text.append(palette, description_style + Style(meta={"@click": "app.command_palette"}))
        text.truncate(max(width, 1))
        return text
