"""Core ``v1`` Events, as the controllers and the kubelet record them."""

from __future__ import annotations

import itertools
import time
from typing import TYPE_CHECKING, Any

from .kinds import EVENT, KubeError

if TYPE_CHECKING:
    from .store import ObjectStore


_SEQUENCE = itertools.count()


def record(
    st: ObjectStore,
    key: str,
    involved: dict[str, Any],
    etype: str,
    reason: str,
    message: str,
    component: str,
    host: str | None = None,
) -> None:
    """Store one Event about ``involved`` (in its namespace, ``default`` if cluster-scoped)."""
    meta = involved["metadata"]
    namespace = meta.get("namespace") or "default"
    stamp = st.ctx.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    source: dict[str, Any] = {"component": component}
    if host:
        source["host"] = host
    involved_ref: dict[str, Any] = {
        "kind": involved.get("kind"),
        "namespace": meta.get("namespace"),
        "name": meta["name"],
        "uid": meta.get("uid"),
        "apiVersion": involved.get("apiVersion"),
        "resourceVersion": meta.get("resourceVersion"),
    }
    if not meta.get("namespace"):
        del involved_ref["namespace"]
    body = {
        # As the recorder names them: the object's name and the time in hex nanoseconds
        # (so the names sort in the order the events happened).
        "metadata": {"name": f"{meta['name']}.{time.time_ns() + next(_SEQUENCE):x}"},
        "involvedObject": involved_ref,
        "reason": reason,
        "message": message,
        "source": source,
        "firstTimestamp": stamp,
        "lastTimestamp": stamp,
        "count": 1,
        "type": etype,
        "eventTime": None,
        "reportingComponent": component,
        "reportingInstance": host or "",
    }
    try:
        st.create(key, EVENT, namespace, body)
    except KubeError as exc:
        if exc.code != 404:  # the namespace went away meanwhile
            raise
