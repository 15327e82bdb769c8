"""visible(): server text shown with its control characters visible, never obeyed."""

from __future__ import annotations

import pytest

from kompox_tui.text import visible, visible_lines

#: The tag value from issue 16: set the title, clear the screen, recolour.
TITLE_ATTACK = "\x1b]0;PWNED-TITLE\x07\x1b[2J\x1b[31m"


def test_escape_sequences_are_shown_not_obeyed() -> None:
    shown = visible(f"db{TITLE_ATTACK}")
    assert shown == "db␛]0;PWNED-TITLE␇␛[2J␛[31m"
    assert "\x1b" not in shown and "\x07" not in shown


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x00", "␀"),
        ("\t", "␉"),
        ("a\nb", "a␊b"),
        ("a\rb", "a␍b"),
        ("\x7f", "␡"),
        ("\x9b31m", "\\x9b31m"),  # C1 CSI: one byte starts a sequence on some terminals
        ("\x85", "\\x85"),
        ("abc\u202egpj.exe", "abc\\u202egpj.exe"),  # right-to-left override
        ("ad\u200bmin", "ad\\u200bmin"),  # zero-width space
    ],
)
def test_each_control_class_has_a_visible_form(raw: str, shown: str) -> None:
    assert visible(raw) == shown


def test_every_c0_c1_control_is_replaced() -> None:
    controls = "".join(chr(c) for c in [*range(0x20), 0x7F, *range(0x80, 0xA0)])
    out = visible(controls)
    assert all(ch.isprintable() for ch in out)


@pytest.mark.parametrize(
    "plain",
    ["", "disk-01M8SCP05ZFB", "[/]", "[azurepolicy-disk-tags-deny-7f3e]", "ünïcødé 日本", "a b"],
)
def test_printable_text_is_unchanged(plain: str) -> None:
    assert visible(plain) == plain


def test_multi_line_text_keeps_newlines_but_not_other_controls() -> None:
    assert visible_lines("line1\r\nline2\n\x1b[2J") == "line1\nline2\n␛[2J"


def test_none_and_non_strings() -> None:
    assert visible(None) == ""
    assert visible(42) == "42"
