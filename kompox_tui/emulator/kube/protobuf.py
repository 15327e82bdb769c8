"""Kubernetes protobuf request bodies (placeholder until the decoder lands)."""

from __future__ import annotations

from typing import Any

from .kinds import Kind, KubeError


def decode(body: bytes, kind: Kind) -> dict[str, Any]:
    raise KubeError(
        415,
        "UnsupportedMediaType",
        "the emulated Kubernetes API cannot read application/vnd.kubernetes.protobuf bodies",
    )
