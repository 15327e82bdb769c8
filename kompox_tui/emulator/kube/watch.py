"""Watches, streamed as the API server streams them.

``GET ...?watch=true`` answers 200 at once and then writes one JSON event per line
(``ADDED``/``MODIFIED``/``DELETED``) as changes happen -- including status that changes
with emulated time, such as pods becoming ready -- until ``timeoutSeconds`` pass (the
API server's default when it is absent: :data:`DEFAULT_TIMEOUT_SECONDS`), the client
goes away, or the emulator stops. Without ``resourceVersion`` (or with ``0``) every
current object comes first as ``ADDED``; with one, the objects created (``ADDED``) or
changed (``MODIFIED``) after it come first. With ``Accept: ...;as=Table``
(``kubectl get -w``) each event's object is a one-row ``meta.k8s.io/v1`` Table.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..core import EmulatorContext, Request, Response
from .kinds import POD, Kind
from .tables import table

if TYPE_CHECKING:
    from .store import ObjectStore

DEFAULT_TIMEOUT_SECONDS = 1800.0
POLL_SECONDS = 0.1


@dataclass
class StreamingResponse(Response):
    """A response whose body is written chunk by chunk as ``stream`` yields it."""

    stream: Iterator[bytes] | None = None


def stream(
    objects: ObjectStore,
    key: str,
    kind: Kind,
    namespace: str | None,
    req: Request,
    ctx: EmulatorContext,
) -> Response:
    since = req.q("resourceVersion") or ""
    timeout = DEFAULT_TIMEOUT_SECONDS
    requested = req.q("timeoutSeconds")
    if requested and requested.isdigit():
        timeout = float(requested)
    labels = req.q("labelSelector") or ""
    fields = req.q("fieldSelector") or ""
    as_table = "as=table" in (req.header("accept") or "").lower().replace(" ", "")
    objects.select(key, kind, namespace, labels, fields)  # a bad selector fails before 200

    def snapshot() -> dict[str, dict[str, Any]]:
        with ctx.store.lock:
            return dict(objects.select(key, kind, namespace, labels, fields))

    def encode(etype: str, obj: dict[str, Any]) -> bytes:
        obj.setdefault("kind", kind.kind)
        obj.setdefault("apiVersion", kind.api_version)
        if as_table:
            meta = {"resourceVersion": obj["metadata"].get("resourceVersion", "")}
            obj = table(kind, [obj], meta, ctx.clock.now())
        return json.dumps({"type": etype, "object": obj}).encode() + b"\n"

    def events() -> Iterator[bytes]:
        deadline = time.monotonic() + timeout
        seen = snapshot()
        first = []
        for obj in seen.values():
            rv = obj["metadata"].get("resourceVersion", "0")
            if not since or since == "0":
                first.append(encode("ADDED", obj))
            elif since.isdigit() and int(rv) > int(since):
                meta = obj["metadata"]
                entry = objects.entry(key, kind, meta.get("namespace"), meta["name"]) or {}
                created = str(entry.get("createdRv") or "0")
                added = created.isdigit() and int(created) > int(since)
                first.append(encode("ADDED" if added else "MODIFIED", obj))
        yield b"".join(first)
        while time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
            now = snapshot()
            out = []
            for store_key, obj in now.items():
                if store_key not in seen:
                    out.append(encode("ADDED", obj))
                elif obj != seen[store_key]:
                    out.append(encode("MODIFIED", obj))
            for store_key, obj in seen.items():
                if store_key not in now:
                    out.append(encode("DELETED", obj))
            seen = now
            yield b"".join(out)  # an empty chunk lets the server notice a closed client

    return StreamingResponse(200, None, content_type="application/json", stream=events())


def follow(
    objects: ObjectStore, key: str, namespace: str, name: str, text: bytes, ctx: EmulatorContext
) -> Response:
    """``logs -f``: the lines so far, then the stream stays open (the emulated container
    writes nothing more) until the pod is deleted, the client goes away or the emulator
    stops."""

    def lines() -> Iterator[bytes]:
        yield text
        while True:
            time.sleep(POLL_SECONDS)
            with ctx.store.lock:
                if objects.entry(key, POD, namespace, name) is None:
                    return
            yield b""

    return StreamingResponse(200, None, content_type="text/plain", stream=lines())
