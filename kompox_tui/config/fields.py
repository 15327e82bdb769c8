"""Typed reads from YAML nodes, with kompoxops's value rules and our error/warning format.

Two value modes:
* kompoxops.yml (gopkg.in/yaml.v3 into typed structs): a scalar read into a string or a
  string map keeps its exact source text (``01`` -> ``"01"``), null gives ``""``.
* KOM documents (YAML -> JSON -> struct, sigs.k8s.io/yaml): YAML 1.1 values pass through
  JSON, so ``1.50`` -> ``"1.5"``, ``yes`` -> ``"true"``, and numeric options are floats.

Every problem is a ConfigError ``file:line: key.path: what; expected``; every warning is one
line of the same shape, kept on the Reader and returned with the config.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from kompox_tui.errors import ConfigError
from kompox_tui.model import SECRET_SETTING_KEYS, Options, Settings

from .yamlsrc import Node, Scalar, YMap, YSeq, clean, kind_of, redact, to_python

DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
DNS_LABEL_EXPECTED = (
    "a DNS-1123 label: 1-63 characters of lower-case letters, digits and '-', "
    "starting and ending with a letter or digit"
)

_YAML11 = yaml.SafeLoader("")  # only its resolver and scalar constructors are used
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def is_dns_label(value: str) -> bool:
    # fullmatch, not ``$``: "db\n" (a ``|`` block scalar) is not a label.
    return len(value) <= 63 and DNS_LABEL.fullmatch(value) is not None


def is_secret_key(key: str) -> bool:
    upper = key.upper()
    return key in SECRET_SETTING_KEYS or "SECRET" in upper or "PASSWORD" in upper


def one_edit(a: str, b: str) -> bool:
    """Levenshtein distance exactly 1, or one transposition of neighbours."""
    if a == b:
        return False
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diff = [i for i in range(la) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        i = diff[0]
        return len(diff) == 2 and diff[1] == i + 1 and a[i] == b[i + 1] and a[i + 1] == b[i]
    short, long_ = (a, b) if la < lb else (b, a)
    i = 0
    while i < len(short) and short[i] == long_[i]:
        i += 1
    return short[i:] == long_[i + 1 :]


def shown(text: str, limit: int = 80) -> str:
    """A value for a message: quoted, control characters escaped, URL passwords hidden."""
    text = _CONTROL.sub(lambda m: repr(m.group())[1:-1], redact(text))
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return f"'{text}'"


def kom_text(scalar: Scalar) -> str:
    """What a scalar becomes in a KOM string field after the YAML -> JSON round trip."""
    if not scalar.plain and scalar.tag is None:
        return scalar.text
    tag = scalar.tag or _YAML11.resolve(yaml.ScalarNode, scalar.text, (True, False))
    node = yaml.ScalarNode(tag, scalar.text)
    try:
        if tag.endswith(":null"):
            return ""
        if tag.endswith(":bool"):
            return "true" if _YAML11.construct_yaml_bool(node) else "false"
        if tag.endswith(":int"):
            return str(_YAML11.construct_yaml_int(node))
        if tag.endswith(":float"):
            value = _YAML11.construct_yaml_float(node)
            if value == value and abs(value) < 1e21 and value.is_integer():
                return str(int(value))
            return repr(value)
    except (ValueError, OverflowError):
        pass
    return scalar.text


def kom_value(scalar: Scalar) -> Any:
    """A scalar in a KOM ``map[string]any``: JSON types, numbers as float64."""
    if not scalar.plain and scalar.tag is None:
        return scalar.text
    text = kom_text(scalar)
    tag = scalar.tag or _YAML11.resolve(yaml.ScalarNode, scalar.text, (True, False))
    if tag.endswith(":null"):
        return None
    if tag.endswith(":bool"):
        return text == "true"
    if tag.endswith((":int", ":float")):
        try:
            return float(text)
        except ValueError:
            return text
    return text


class Reader:
    """Reads one document; ``prefix`` is put before every key path (KOM: ``App app1: ``)."""

    def __init__(self, file: str, base_dir: Path, *, kom: bool = False) -> None:
        self.file = file
        self.base_dir = base_dir
        self.kom = kom
        self.warnings: list[str] = []

    # -- messages --------------------------------------------------------------------------

    def fail(
        self, key: str | None, message: str, line: int | None = None, hint: str | None = None
    ) -> ConfigError:
        return ConfigError(
            clean(message), file=self.file, key=clean(key) if key else None, line=line, hint=hint
        )

    def warn(self, key: str | None, message: str, line: int | None = None) -> None:
        where = self.file if line is None else f"{self.file}:{line}"
        text = clean(f"{where}: {key}: {message}" if key else f"{where}: {message}")
        if text not in self.warnings:
            self.warnings.append(text)

    def check_keys(self, node: YMap, path: str, known: Iterable[str]) -> None:
        """Unknown keys are ignored (as kompoxops does); one edit from a known key warns."""
        known = tuple(known)
        for key in node:
            if key in known:
                continue
            near = next((k for k in known if one_edit(key, k)), None)
            if near is not None:
                where = f"{path}.{key}" if path else key
                self.warn(
                    where,
                    f"unknown key '{key}' is ignored; did you mean '{near}'?",
                    node.key_line(key),
                )

    # -- scalars -----------------------------------------------------------------------------

    def text(self, scalar: Scalar) -> str:
        """A scalar read into a Go ``string``: source text (file) or JSON text (KOM)."""
        if self.kom:
            return kom_text(scalar)
        return "" if scalar.is_null else scalar.text

    def where(self, parent: YMap, key: str) -> int:
        node = parent.get(key)
        return node.line if node is not None else parent.line

    def mapping(
        self, parent: YMap, key: str, path: str, *, required: bool = False, expected: str
    ) -> YMap | None:
        node = parent.get(key)
        if node is None or (isinstance(node, Scalar) and node.is_null):
            if required:
                raise self.fail(path, f"missing; expected {expected}", parent.line)
            return None
        if not isinstance(node, YMap):
            raise self.fail(path, f"is {self.describe(node)}; expected {expected}", node.line)
        return node

    def sequence(self, parent: YMap, key: str, path: str, *, expected: str) -> YSeq | None:
        node = parent.get(key)
        if node is None or (isinstance(node, Scalar) and node.is_null):
            return None
        if not isinstance(node, YSeq):
            raise self.fail(path, f"is {self.describe(node)}; expected {expected}", node.line)
        return node

    def describe(self, node: Node, secret: bool = False) -> str:
        if isinstance(node, Scalar):
            value = "value hidden" if secret else shown(node.text)
            return f"{kind_of(node)} ({value})"
        return kind_of(node)

    def string(
        self, parent: YMap, key: str, path: str, *, required: bool = False, expected: str
    ) -> str | None:
        """None when absent; a scalar's text; a collection is an error."""
        node = parent.get(key)
        if node is None:
            if required:
                raise self.fail(path, f"missing; expected {expected}", parent.line)
            return None
        if not isinstance(node, Scalar):
            raise self.fail(path, f"is {kind_of(node)}; expected {expected}", node.line)
        value = self.text(node)
        if required and not value.strip():
            raise self.fail(path, f"is empty; expected {expected}", node.line)
        return value

    def name(self, parent: YMap, key: str, path: str, *, max_length: int = 63) -> str:
        value = self.string(parent, key, path, required=True, expected=DNS_LABEL_EXPECTED)
        assert value is not None
        if not is_dns_label(value):
            raise self.fail(
                path,
                f"{shown(value)} is not a valid name; expected {DNS_LABEL_EXPECTED}",
                self.where(parent, key),
            )
        if len(value) > max_length:
            raise self.fail(
                path,
                f"{shown(value)} is {len(value)} characters; at most {max_length} are allowed",
                self.where(parent, key),
            )
        return value

    def boolean(self, parent: YMap, key: str, path: str) -> bool:
        """yaml.v3 into a Go bool: true/false, plus the YAML 1.1 words y/yes/on/n/no/off."""
        node = parent.get(key)
        if node is None or (isinstance(node, Scalar) and node.is_null):
            return False
        if isinstance(node, Scalar):
            value = kom_value(node) if self.kom else node.value()
            if isinstance(value, bool):
                return value
            if not self.kom and isinstance(value, str):
                if value in {"y", "Y", "yes", "Yes", "YES", "on", "On", "ON"}:
                    return True
                if value in {"n", "N", "no", "No", "NO", "off", "Off", "OFF"}:
                    return False
        raise self.fail(path, f"is {self.describe(node)}; expected true or false", node.line)

    def integer(self, parent: YMap, key: str, path: str, *, expected: str) -> int | None:
        node = parent.get(key)
        if node is None or (isinstance(node, Scalar) and node.is_null):
            return None
        value = node.value() if isinstance(node, Scalar) else None
        if self.kom and isinstance(node, Scalar):
            value = kom_value(node)
            if isinstance(value, float) and value.is_integer():
                value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(path, f"is {self.describe(node)}; expected {expected}", node.line)
        return value

    def strings(self, parent: YMap, key: str, path: str, *, expected: str) -> tuple[str, ...]:
        items = self.sequence(parent, key, path, expected=expected)
        result: list[str] = []
        for index, item in enumerate(items or ()):
            if not isinstance(item, Scalar):
                raise self.fail(
                    f"{path}[{index}]", f"is {kind_of(item)}; expected {expected}", item.line
                )
            result.append(self.text(item))
        return tuple(result)

    # -- maps ------------------------------------------------------------------------------

    def settings(
        self, parent: YMap, key: str, path: str, *, known: Iterable[str] = ()
    ) -> tuple[Settings, YMap | None]:
        """A ``map[string]string``: any scalar as text, null as ``""`` (key present)."""
        node = self.mapping(parent, key, path, expected="a mapping of setting names to values")
        if node is None:
            return Settings(), None
        data: dict[str, str] = {}
        for name, value in node.items():
            if not isinstance(value, Scalar):
                raise self.fail(
                    f"{path}.{name}",
                    f"is {kind_of(value)}; a setting value must be a single value "
                    "(text, a number, true/false or empty)",
                    value.line,
                )
            data[name] = self.text(value)
        self.check_keys(node, path, known)
        return Settings(data), node

    def options(self, parent: YMap, key: str, path: str) -> Options:
        """A ``map[string]any``: int/float/bool/str/None as yaml.v3 (or JSON, for KOM) types."""
        node = self.mapping(parent, key, path, expected="a mapping such as {sku: Premium_LRS}")
        if node is None:
            return Options()
        data: dict[str, object] = {}
        for name, value in node.items():
            if isinstance(value, Scalar):
                data[name] = kom_value(value) if self.kom else value.value()
            else:
                try:
                    data[name] = to_python(value)
                except ValueError:
                    raise self.fail(f"{path}.{name}", "is too large", value.line) from None
        return Options(data)
