"""Label and field selectors (``?labelSelector=`` / ``?fieldSelector=``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .kinds import bad_request

Predicate = Callable[[dict[str, str]], bool]

_SET_REQ = re.compile(r"^\s*([A-Za-z0-9_./-]+)\s+(in|notin)\s*\(([^)]*)\)\s*$")
_EQ_REQ = re.compile(r"^\s*([A-Za-z0-9_./-]+)\s*(==|!=|=)\s*([A-Za-z0-9_.-]*)\s*$")
_KEY = re.compile(r"^\s*(!?)\s*([A-Za-z0-9_./-]+)\s*$")


def _split_requirements(selector: str) -> list[str]:
    parts: list[str] = []
    depth = 0
    current = ""
    for ch in selector:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return [p for p in parts if p.strip()]


@dataclass(frozen=True)
class _LabelRequirement:
    key: str
    op: str
    """``in``, ``notin``, ``=``, ``!=``, ``exists`` or ``!exists``."""
    values: frozenset[str] = frozenset()

    def __call__(self, labels: dict[str, str]) -> bool:
        value = labels.get(self.key)
        if self.op in ("in", "="):
            return value in self.values
        if self.op in ("notin", "!="):
            return value not in self.values
        if self.op == "exists":
            return self.key in labels
        return self.key not in labels


def parse_label_selector(selector: str) -> list[Predicate]:
    """Predicates for a label selector (``=``, ``==``, ``!=``, ``in``, ``notin``, ``key``,
    ``!key``); a 400 ``BadRequest`` when it does not parse."""
    predicates: list[Predicate] = []
    for req in _split_requirements(selector):
        if m := _SET_REQ.match(req):
            values = frozenset(v.strip() for v in m.group(3).split(",") if v.strip())
            predicates.append(_LabelRequirement(m.group(1), m.group(2), values))
        elif m := _EQ_REQ.match(req):
            op = "!=" if m.group(2) == "!=" else "="
            predicates.append(_LabelRequirement(m.group(1), op, frozenset([m.group(3)])))
        elif m := _KEY.match(req):
            op = "!exists" if m.group(1) else "exists"
            predicates.append(_LabelRequirement(m.group(2), op))
        else:
            raise bad_request(f"unable to parse requirement: {req.strip()!r}")
    return predicates


def field_value(obj: dict[str, Any], path: str) -> str:
    value: Any = obj
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True)
class _FieldRequirement:
    path: str
    negate: bool
    value: str

    def __call__(self, obj: dict[str, Any]) -> bool:
        return (field_value(obj, self.path) == self.value) != self.negate


FIELD_LABELS: dict[str, tuple[str, ...]] = {
    "Pod": (
        "spec.nodeName",
        "spec.restartPolicy",
        "spec.schedulerName",
        "spec.serviceAccountName",
        "spec.hostNetwork",
        "status.phase",
        "status.podIP",
        "status.nominatedNodeName",
    ),
    "Node": ("spec.unschedulable",),
    "Namespace": ("status.phase",),
    "Secret": ("type",),
    "ReplicaSet": ("status.replicas",),
    "Event": (
        "involvedObject.kind",
        "involvedObject.namespace",
        "involvedObject.name",
        "involvedObject.uid",
        "involvedObject.apiVersion",
        "involvedObject.resourceVersion",
        "involvedObject.fieldPath",
        "reason",
        "reportingComponent",
        "source",
        "type",
    ),
}
"""The field labels each kind supports beyond ``metadata.name`` and ``metadata.namespace``
(the API server's field label conversion functions); any other is a 400."""
_FIELD_PATHS = {"source": "source.component"}


def parse_field_selector(
    selector: str, kind: str | None = None
) -> list[Callable[[dict[str, Any]], bool]]:
    """Predicates on dotted object paths (``metadata.name=x``, ``status.phase!=Active``);
    with ``kind``, a label that kind does not support is a 400, as on the API server."""
    predicates: list[Callable[[dict[str, Any]], bool]] = []
    for req in _split_requirements(selector):
        m = re.match(r"^\s*([A-Za-z0-9_.]+)\s*(==|!=|=)\s*(.*?)\s*$", req)
        if not m:
            raise bad_request(f"invalid field selector: {req.strip()!r}")
        path, op, value = m.groups()
        allowed = ("metadata.name", "metadata.namespace", *FIELD_LABELS.get(kind or "", ()))
        if kind is not None and path not in allowed:
            raise bad_request(f"field label not supported: {path}")
        predicates.append(_FieldRequirement(_FIELD_PATHS.get(path, path), op == "!=", value))
    return predicates


def matches(obj: dict[str, Any], label_selector: str, field_selector: str) -> bool:
    """Whether an object passes both selectors."""
    labels = (obj.get("metadata") or {}).get("labels") or {}
    return all(p(labels) for p in parse_label_selector(label_selector)) and all(
        p(obj) for p in parse_field_selector(field_selector)
    )


def selector_of(match_labels: dict[str, str] | None) -> str:
    """The label selector text for ``matchLabels``."""
    return ",".join(f"{k}={v}" for k, v in (match_labels or {}).items())
