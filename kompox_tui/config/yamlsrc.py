"""YAML as kompoxops's Go YAML library sees it: source text, lines, no surprises.

PyYAML's *composer* gives nodes with the scalar text exactly as written (``01``, ``1.50``,
``yes``), which is what gopkg.in/yaml.v3 stores into a ``map[string]string``. We never let
PyYAML *construct* values (its YAML 1.1 rules would turn ``yes`` into True and ``01`` into 1);
typed values are resolved here with yaml.v3's rules instead.

Also here: reading a file safely (regular files only, size-limited, never blocking on a FIFO
or ``/dev/zero``) and redacting ``user:password@`` in URLs.
"""

from __future__ import annotations

import math
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kompox_tui.errors import ConfigError

#: Config, certificate, CA bundle and token files larger than this are refused.
MAX_FILE_BYTES = 1024 * 1024
#: An alias-heavy file ("billion laughs") may not expand into more nodes than this.
MAX_NODES = 100_000
MAX_DEPTH = 64

_STD_TAG = "tag:yaml.org,2002:"
_ALLOWED_TAGS = {
    _STD_TAG + t
    for t in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp", "merge")
}
_NULLS = {"", "~", "null", "Null", "NULL"}
_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}
_YAML_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_INT = re.compile(r"[-+]?(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|[0-9]+)")
_TIMESTAMP = re.compile(r"\d{4}-\d\d?-\d\d?([Tt ].*)?")
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*:/*)([^/@\s]*)@")


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def redact(text: str) -> str:
    """``scheme://user:pass@host`` -> ``scheme://***@host`` anywhere in ``text``."""
    return _USERINFO.sub(r"\1***@", text)


def clean(text: str) -> str:
    """Redacted, with control characters escaped (``\x1b`` -> ``\\x1b``): file text that
    reaches a message (a key, a value) must never drive the terminal."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], redact(text))


# --- nodes --------------------------------------------------------------------------


@dataclass(frozen=True)
class Scalar:
    """One scalar: ``text`` is the source text (plain) or the content (quoted, block)."""

    text: str
    plain: bool
    line: int
    tag: str | None = None
    """An explicit standard tag (``!!str``...), else None."""

    @property
    def is_null(self) -> bool:
        if self.tag is not None:
            return self.tag == _STD_TAG + "null"
        return self.plain and self.text in _NULLS

    def value(self) -> Any:
        """The value yaml.v3 decodes into ``any``: None, bool, int, float or str."""
        if self.is_null:
            return None
        if self.tag == _STD_TAG + "str" or (self.tag is None and not self.plain):
            return self.text
        return _resolve_plain(self.text)


def _resolve_plain(text: str) -> Any:
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    if text in {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"}:
        return math.inf
    if text in {"-.inf", "-.Inf", "-.INF"}:
        return -math.inf
    if text in {".nan", ".NaN", ".NAN"}:
        return math.nan
    if _TIMESTAMP.fullmatch(text):
        return text  # yaml.v3 keeps timestamp-like text a string in an ``any``
    plain = text.replace("_", "")
    if _INT.fullmatch(plain):
        body = plain.lstrip("+-")
        sign = -1 if plain.startswith("-") else 1
        lower = body.lower()
        if lower.startswith(("0x", "0o", "0b")):
            return sign * int(body[2:], {"x": 16, "o": 8, "b": 2}[lower[1]])
        if len(body) > 1 and body.startswith("0") and all(c in "01234567" for c in body):
            return sign * int(body, 8)  # Go's ParseInt(s, 0, 64): a leading 0 is octal
        if not (len(body) > 1 and body.startswith("0")):
            return sign * int(body)
    if _YAML_FLOAT.fullmatch(plain):
        return float(plain)
    return text


class YMap(dict[str, "Node"]):
    """A mapping with string keys; remembers its own line and each key's line."""

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.key_lines: dict[str, int] = {}

    def key_line(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class YSeq(list["Node"]):
    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line


Node = Scalar | YMap | YSeq


def line_of(node: Node) -> int:
    return node.line


def kind_of(node: Node | None) -> str:
    if node is None:
        return "missing"
    if isinstance(node, YMap):
        return "a mapping"
    if isinstance(node, YSeq):
        return "a list"
    value = node.value()
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return "a string"


def to_python(node: Node, budget: list[int] | None = None) -> Any:
    """Plain Python data (for re-serialising ``compose``), with the node budget enforced."""
    budget = budget if budget is not None else [MAX_NODES]
    budget[0] -= 1
    if budget[0] < 0:
        raise ValueError("too many nodes")
    if isinstance(node, YMap):
        return {k: to_python(v, budget) for k, v in node.items()}
    if isinstance(node, YSeq):
        return [to_python(v, budget) for v in node]
    return node.value()


# --- composing ----------------------------------------------------------------------


class _Composer(yaml.SafeLoader):
    """SafeLoader's scanner/parser/composer; only ``compose`` is used, never ``construct``."""


class _Converter:
    def __init__(self, file: str, loader: _Composer) -> None:
        self.file = file
        self.loader = loader
        # Keyed by id(); the source node is kept too, so a freed node's id is never reused.
        self.done: dict[int, tuple[yaml.Node, Node]] = {}
        self.active: set[int] = set()
        self.count = 0

    def fail(self, message: str, line: int, key: str | None = None) -> ConfigError:
        return ConfigError(
            clean(message), file=self.file, line=line, key=clean(key) if key else None
        )

    def convert(self, node: yaml.Node, path: str, depth: int = 0) -> Node:
        ident = id(node)
        if ident in self.done:
            return self.done[ident][1]  # an alias: share the converted node
        line = node.start_mark.line + 1
        if ident in self.active:
            raise self.fail("not valid YAML: an alias refers to itself", line, path or None)
        if depth > MAX_DEPTH:
            raise self.fail("not valid YAML: nested too deeply", line, path or None)
        self.count += 1
        if self.count > MAX_NODES:
            raise self.fail("not valid YAML: too many nodes (alias expansion?)", line)
        written = not node.tag.startswith(_STD_TAG) or _explicit(self.loader, node)
        explicit = node.tag if written else None
        if explicit is not None and explicit not in _ALLOWED_TAGS:
            raise self.fail(f"not valid YAML: unsupported tag {node.tag}", line, path or None)
        self.active.add(ident)
        try:
            result: Node
            if isinstance(node, yaml.ScalarNode):
                result = Scalar(node.value, node.style is None, line, explicit)
            elif isinstance(node, yaml.SequenceNode):
                result = YSeq(line)
                for index, child in enumerate(node.value):
                    result.append(self.convert(child, f"{path}[{index}]", depth + 1))
            else:
                assert isinstance(node, yaml.MappingNode)
                result = self.mapping(node, path, depth)
        finally:
            self.active.discard(ident)
        self.done[ident] = (node, result)
        return result

    def mapping(self, node: yaml.MappingNode, path: str, depth: int) -> YMap:
        result = YMap(node.start_mark.line + 1)
        merges: list[yaml.Node] = []
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            if key_node.tag == _STD_TAG + "merge":
                merges.append(value_node)
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise self.fail("a mapping key must be a plain name, not a collection", key_line)
            key = key_node.value
            child_path = f"{path}.{key}" if path else key
            if key in result.key_lines:
                first = result.key_lines[key]
                raise self.fail(
                    f"duplicate key '{key}' (first on line {first}); a key may appear only once "
                    "in a mapping",
                    key_line,
                    child_path,
                )
            result.key_lines[key] = key_line
            result[key] = self.convert(value_node, child_path, depth + 1)
        # ``<<: *base`` (or a list of them): keys written here win, earlier merges win.
        for merge in merges:
            sources = merge.value if isinstance(merge, yaml.SequenceNode) else [merge]
            for source in sources:
                merged = self.convert(source, path, depth + 1)
                if not isinstance(merged, YMap):
                    raise self.fail(
                        "not valid YAML: '<<' must merge a mapping", source.start_mark.line + 1
                    )
                for key, value in merged.items():
                    if key not in result:
                        result[key] = value
                        result.key_lines[key] = merged.key_line(key)
        return result


def _explicit(loader: _Composer, node: yaml.Node) -> bool:
    """Whether a standard tag was written (``!!str 64``) rather than resolved by PyYAML."""
    if isinstance(node, yaml.ScalarNode):
        # PyYAML resolves plain scalars by its YAML 1.1 rules; a quoted scalar without a
        # written tag resolves to str. Only a tag that contradicts both is explicit.
        resolved = loader.resolve(yaml.ScalarNode, node.value, (True, False))
        if node.style is None:
            return node.tag != resolved
        return node.tag != _STD_TAG + "str"
    default = _STD_TAG + ("seq" if isinstance(node, yaml.SequenceNode) else "map")
    return node.tag != default


def _yaml_problem(exc: yaml.YAMLError) -> tuple[str, int | None]:
    """A short description and line of a YAML error, without echoing the file's content."""
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        parts = [p for p in (exc.context, exc.problem) if p]
        detail = ": ".join(parts) if parts else "invalid syntax"
        where = f" (column {mark.column + 1})" if mark is not None else ""
        return detail + where, (mark.line + 1) if mark is not None else None
    return type(exc).__name__, None


def parse_documents(text: str, file: str) -> list[Node | None]:
    """Every document of a YAML stream as nodes (None for an empty document)."""
    loader = _Composer(text)
    converter = _Converter(file, loader)
    documents: list[Node | None] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            documents.append(None if node is None else converter.convert(node, ""))
        if not documents:
            documents.append(None)
    except yaml.YAMLError as exc:
        detail, line = _yaml_problem(exc)
        raise ConfigError(f"not valid YAML: {detail}", file=file, line=line) from None
    except RecursionError:
        raise ConfigError("not valid YAML: nested too deeply", file=file) from None
    finally:
        loader.dispose()
    return documents


def iter_documents(documents: list[Node | None]) -> Iterator[tuple[int, Node | None]]:
    yield from enumerate(documents, start=1)


# --- files --------------------------------------------------------------------------


def read_limited(path: Path, what: str, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; OSError-free ConfigError-free.

    Raises ValueError with a one-line reason (the caller adds file/key). A FIFO, a device
    (``/dev/zero``) or a directory is refused *before* it is opened, so nothing blocks.
    """
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise ValueError(f"file not found: {path}") from None
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror}") from None
    if stat.S_ISDIR(info.st_mode):
        raise ValueError(f"is a directory, expected {what}: {path}")
    if not stat.S_ISREG(info.st_mode):
        raise ValueError(
            f"{path} is not a regular file (a device, FIFO or socket); expected {what}"
        )
    if info.st_size > limit:
        raise ValueError(f"{path} is {info.st_size} bytes; {what} may be at most {limit} bytes")
    try:
        # O_NONBLOCK: if the path was swapped for a FIFO after the stat, open() still returns.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise ValueError(f"{path} is not a regular file; expected {what}")
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"{path} is larger than {limit} bytes; {what} may not be")
    return data


def read_text_file(path: Path, shown: str, what: str = "a kompoxops.yml file") -> str:
    """A config file's text, or a one-line ConfigError (missing, not regular, too big, binary)."""
    try:
        data = read_limited(path, what)
    except ValueError as exc:
        message = str(exc)
        if message.startswith("file not found"):
            raise ConfigError(
                "file not found",
                file=shown,
                hint="pass the right path with -f FILE, or try `kompox-tui --demo`",
            ) from None
        if message.startswith("is a directory"):
            raise ConfigError(f"is a directory; expected {what}", file=shown) from None
        raise ConfigError(message, file=shown) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError("is not UTF-8 text; expected a YAML file", file=shown) from None
