"""Server text made safe to show: control characters become visible.

Anything that comes from a server (Azure names, tags, error messages, template
outputs, Kubernetes fields) may hold terminal control sequences. Written raw to
a terminal, ``\\x1b]0;TITLE\\x07`` sets the window title and ``\\x1b[2J`` clears
the screen; anyone who can tag a resource in the app's resource group could do
that. :func:`visible` is applied where rows, messages and log lines are built,
so every later surface (tables, panels, toasts, logs, saved files) receives
only printable text.

Pure: no Textual, no I/O.
"""

from __future__ import annotations

__all__ = ["visible", "visible_lines"]

#: Unicode format characters that reorder or hide text (Trojan Source, CVE-2021-42574):
#: shown as ``\\uXXXX`` so a name cannot pretend to be another.
_HIDDEN_FORMAT = (
    frozenset(
        (0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x2028, 0x2029, 0xFEFF),
    )
    | frozenset(range(0x202A, 0x202F))
    | frozenset(range(0x2066, 0x206A))
)


def _build_table(keep_newlines: bool) -> dict[int, str]:
    table: dict[int, str] = {}
    for code in range(0x20):
        # U+2400..U+241F are the "control pictures" of C0: ␀ ␁ … ␛ … ␟.
        table[code] = chr(0x2400 + code)
    table[0x7F] = "\u2421"  # ␡
    for code in range(0x80, 0xA0):
        # C1 controls have no pictures; 0x9B (CSI) alone starts an escape sequence.
        table[code] = f"\\x{code:02x}"
    for code in _HIDDEN_FORMAT:
        table[code] = f"\\u{code:04x}"
    if keep_newlines:
        del table[0x0A]
    return table


_ONE_LINE = _build_table(keep_newlines=False)
_MULTI_LINE = _build_table(keep_newlines=True)


def visible(text: object, *, keep_newlines: bool = False) -> str:
    """``text`` as a string whose control characters are shown, not obeyed.

    ``\\x1b`` becomes ``␛``, other C0 controls their control pictures (``\\n`` →
    ``␊`` unless ``keep_newlines``), DEL ``␡``, C1 controls ``\\x9b``-style escapes
    and bidirectional/zero-width format characters ``\\u202e``-style escapes.
    ``\\r\\n`` is kept as a newline when ``keep_newlines``. ``None`` becomes ``""``.
    Printable text (including ``[`` and ``]``) is unchanged.
    """
    if text is None:
        return ""
    s = text if isinstance(text, str) else str(text)
    if s.isprintable():
        # Fast path: isprintable() is False for every character the table maps.
        return s
    if keep_newlines:
        s = s.replace("\r\n", "\n")
        return s.translate(_MULTI_LINE)
    return s.translate(_ONE_LINE)


def visible_lines(text: object) -> str:
    """:func:`visible` for multi-line text (messages, logs): newlines are kept."""
    return visible(text, keep_newlines=True)
