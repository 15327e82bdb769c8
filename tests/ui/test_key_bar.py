"""The footer never cuts a key: whole items, help and quit always, the rest by priority."""

from __future__ import annotations

import pytest
from ui_fakes import PROVISIONED, StaticDriver, make_config

from kompox_tui.ui.app import KompoxApp
from kompox_tui.ui.widgets.key_bar import KeyBar, KeyItem, choose

ITEMS = [
    KeyItem("/", "Filter", "open_filter", True),
    KeyItem("r", "Refresh", "refresh_now", True),
    KeyItem("v", "Volumes", "volumes", True),
    KeyItem("P", "Provision", "provision", True),
    KeyItem("U", "Uninstall", "uninstall", True),
    KeyItem("q", "Quit", "quit", True),
    KeyItem("?", "Help", "help", True),
]


def test_help_and_quit_are_always_chosen_and_priority_decides_the_rest() -> None:
    chosen = choose(ITEMS, ("volumes", "refresh_now"), width=40)
    assert [i.action for i in choose(ITEMS, ("volumes", "refresh_now"), width=30)] == [
        "volumes",
        "quit",
        "help",
    ]
    assert [i.action for i in chosen] == ["refresh_now", "volumes", "quit", "help"]
    assert [i.action for i in choose(ITEMS, (), width=200)] == [i.action for i in ITEMS]
    assert [i.action for i in choose(ITEMS, (), width=5)] == ["quit", "help"]


@pytest.mark.parametrize("width", [80, 100, 120])
@pytest.mark.parametrize("keys", [[], ["l"], ["m"], ["question_mark"]])
async def test_every_footer_item_is_whole_at_narrow_widths(width: int, keys: list[str]) -> None:
    app = KompoxApp([StaticDriver(make_config("prod"), PROVISIONED)], start_paused=True)
    async with app.run_test(size=(width, 24)) as pilot:
        await pilot.pause()
        await pilot.press(*keys)
        await pilot.pause()
        bars = app.screen.query(KeyBar)
        if not bars:  # help is a modal over the overview: its footer is the overview's
            bars = app.screen_stack[-2].query(KeyBar)
        text = bars.first().render().plain
        assert len(text) <= width
        assert "? Help" in text and "q Quit" in text
        # No stray letters: the text is made of whole "key description" items.
        items = [i for i in text.split("  ") if i.strip()]
        assert all(" " in i.strip() for i in items), text


async def test_the_activity_bar_moves_a_solid_block_while_shown() -> None:
    from textual.app import App, ComposeResult

    from kompox_tui.ui.widgets.activity_bar import BLOCK, ActivityBar

    class BarApp(App[None]):
        def compose(self) -> ComposeResult:
            yield ActivityBar(id="bar")

    app = BarApp()
    async with app.run_test(size=(40, 3)) as pilot:
        bar = app.query_one(ActivityBar)
        first = bar.render().plain
        await pilot.pause(0.3)
        later = bar.render().plain
        assert "█" * BLOCK in first and "█" * BLOCK in later
        assert first != later  # it moved
        bar.display = False
        await pilot.pause(0.2)
        hidden = bar.render().plain
        await pilot.pause(0.2)
        assert bar.render().plain == hidden  # no repaint work while hidden
