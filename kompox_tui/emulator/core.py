"""The emulator's shared core: request/response types, routing, clock, state and LROs.

Every emulator module (resource groups, compute, AKS, stacks, Kubernetes, identity)
plugs into one :class:`EmulatorContext` through a ``register(ctx)`` function that adds
routes to ``ctx.router`` and, where other modules need to create its resources (the
stack deployer does), a :class:`ResourceType` to ``ctx.resource_types``.

Nothing here knows about HTTP servers or TLS; ``server.py`` adapts WSGI to
:class:`Request`/:class:`Response`.
"""

from __future__ import annotations

import bisect
import copy
import json
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

JSON = Any


# --- requests and responses -------------------------------------------------------


@dataclass
class Request:
    method: str
    """Upper-case HTTP method."""
    path: str
    """URL path, percent-decoded, without the query string."""
    query: dict[str, str]
    """First value of each query parameter, keys as sent."""
    headers: dict[str, str]
    """Header names lower-cased."""
    body: bytes
    base_url: str
    """``https://127.0.0.1:<port>`` — for absolute URLs in headers and nextLinks."""
    extras: dict[str, Any] = field(default_factory=dict)
    """Per-request data set by the server, e.g. ``lro_error`` from fault injection."""

    def q(self, name: str) -> str | None:
        """Case-insensitive query parameter lookup."""
        lname = name.lower()
        for key, value in self.query.items():
            if key.lower() == lname:
                return value
        return None

    def json(self) -> JSON:
        """The body as JSON; an ARM 400 ``InvalidRequestContent`` if it is not JSON."""
        if not self.body:
            return None
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise ArmError(
                400, "InvalidRequestContent", f"The request content was invalid: {exc}"
            ) from None

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class Response:
    status: int
    body: JSON | bytes | None = None
    """JSON-serialisable value, raw bytes, or None for an empty body."""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json; charset=utf-8"

    def encoded(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body).encode("utf-8")


class ArmError(Exception):
    """An ARM error response: ``{"error": {"code", "message", "details"}}``."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        target: str | None = None,
    ) -> None:
        super().__init__(f"({code}) {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details or []
        self.headers = headers or {}
        self.target = target

    def error_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.target:
            body["target"] = self.target
        if self.details:
            body["details"] = self.details
        return body

    def to_response(self) -> Response:
        return Response(self.status, {"error": self.error_body()}, dict(self.headers))


def injected_lro_error(req: Request) -> ArmError | None:
    """The error a fault rule wants this request's LRO to end with, if any.

    Every handler that starts an LRO passes this as ``Operations.start(error=...)``.
    """
    value = req.extras.get("lro_error")
    return value if isinstance(value, ArmError) else None


def not_found(resource_type: str, name: str, resource_group: str) -> ArmError:
    """The exact ARM ``ResourceNotFound`` error."""
    return ArmError(
        404,
        "ResourceNotFound",
        f"The Resource '{resource_type}/{name}' under resource group '{resource_group}' "
        "was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
    )


def rg_not_found(resource_group: str) -> ArmError:
    return ArmError(
        404, "ResourceGroupNotFound", f"Resource group '{resource_group}' could not be found."
    )


# --- routing ----------------------------------------------------------------------

Handler = Callable[[Request, dict[str, str]], Response]


@dataclass
class _Route:
    methods: frozenset[str]
    regex: re.Pattern[str]
    handler: Handler
    pattern: str


class Router:
    """Case-insensitive path routing.

    Patterns look like ``/subscriptions/{sub}/resourceGroups/{rg}``: ``{name}`` matches
    one path segment, ``{name*}`` the rest of the path (possibly empty). Parameters
    are returned as written in the request. Routes added later win over earlier ones
    only if earlier ones do not match; add specific routes before catch-alls.
    """

    def __init__(self) -> None:
        self._routes: list[_Route] = []

    def add(self, methods: str | Iterable[str], pattern: str, handler: Handler) -> None:
        if isinstance(methods, str):
            methods = [methods]
        regex = ""
        for part in re.split(r"(\{[A-Za-z_][A-Za-z0-9_]*\*?\})", pattern):
            if part.startswith("{") and part.endswith("}"):
                name = part[1:-1]
                if name.endswith("*"):
                    regex += f"(?P<{name[:-1]}>.*)"
                else:
                    regex += f"(?P<{name}>[^/]+)"
            else:
                regex += re.escape(part)
        self._routes.append(
            _Route(
                frozenset(m.upper() for m in methods),
                re.compile(f"^{regex}/?$", re.IGNORECASE),
                handler,
                pattern,
            )
        )

    def match(self, method: str, path: str) -> tuple[Handler, dict[str, str]] | None:
        """The handler and parameters for a request; raises 405 if only the method differs."""
        path_matched = False
        for route in self._routes:
            m = route.regex.match(path)
            if not m:
                continue
            path_matched = True
            if method.upper() in route.methods:
                return route.handler, m.groupdict()
        if path_matched:
            raise ArmError(
                405, "MethodNotAllowed", f"The requested method '{method}' is not allowed."
            )
        return None


# --- emulated time ----------------------------------------------------------------


class Clock:
    """Emulated time. ``speed`` multiplies it: at speed 1000 an emulated 20 s takes 20 ms.

    Wall-clock timestamps (``now``) stay real so ``timeCreated`` values are truthful;
    only durations (LRO progress, readiness delays) are scaled.
    """

    def __init__(self, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError("speed must be > 0")
        self.speed = speed
        self._t0 = time.monotonic()

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        """Emulated seconds since the emulator started."""
        return (time.monotonic() - self._t0) * self.speed

    def sleep(self, emulated_seconds: float) -> None:
        if emulated_seconds > 0:
            time.sleep(emulated_seconds / self.speed)

    def wall_seconds(self, emulated_seconds: float) -> float:
        return emulated_seconds / self.speed


def iso(dt: datetime) -> str:
    """ARM timestamp with microseconds, e.g. ``2025-01-01T04:41:35.079872+00:00``."""
    return dt.astimezone(UTC).isoformat(timespec="microseconds")


# --- state ------------------------------------------------------------------------


class Store:
    """Thread-safe namespaced key/value state, JSON-persistable.

    Namespaces in use: ``arm`` (ARM resources keyed by lower-cased resource id),
    ``k8s`` (Kubernetes objects), ``ops`` (long-running operations), ``identity``
    (registered principals). Values are JSON-compatible dicts; ``get`` returns deep
    copies so callers never mutate state without ``put``.

    Each namespace keeps a sorted key index, so a prefix lookup (``items``, ``page``)
    costs a binary search plus the keys under the prefix, and ``page`` deep-copies only
    the values it returns.
    """

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._data: dict[str, dict[str, Any]] = {}
        self._index: dict[str, list[str]] = {}
        """Sorted keys per namespace, built on first use and kept up to date."""
        self.version = 0
        """Bumped by every change, so a persister can skip saving an unchanged store."""

    def _keys(self, ns: str) -> list[str]:
        keys = self._index.get(ns)
        if keys is None:
            keys = self._index[ns] = sorted(self._data.get(ns, {}))
        return keys

    def _keys_under(self, ns: str, lp: str, after: str | None = None) -> Iterator[str]:
        """Keys starting with ``lp`` (and greater than ``after``), in order. Hold the lock."""
        keys = self._keys(ns)
        i = bisect.bisect_left(keys, lp)
        if after is not None and after >= lp:
            i = bisect.bisect_right(keys, after)
        while i < len(keys) and keys[i].startswith(lp):
            yield keys[i]
            i += 1

    def get(self, ns: str, key: str) -> Any | None:
        with self.lock:
            value = self._data.get(ns, {}).get(key.lower())
            return copy.deepcopy(value)

    def put(self, ns: str, key: str, value: Any) -> None:
        lk = key.lower()
        with self.lock:
            bucket = self._data.setdefault(ns, {})
            if lk not in bucket and ns in self._index:
                bisect.insort(self._index[ns], lk)
            bucket[lk] = copy.deepcopy(value)
            self.version += 1

    def delete(self, ns: str, key: str) -> bool:
        lk = key.lower()
        with self.lock:
            if self._data.get(ns, {}).pop(lk, None) is None:
                return False
            self.version += 1
            keys = self._index.get(ns)
            if keys is not None:
                i = bisect.bisect_left(keys, lk)
                if i < len(keys) and keys[i] == lk:
                    del keys[i]
            return True

    def items(self, ns: str, prefix: str = "") -> list[tuple[str, Any]]:
        """Deep copies of every (key, value) whose key starts with ``prefix`` (case-insensitive),
        sorted by key."""
        with self.lock:
            bucket = self._data.get(ns, {})
            return [(k, copy.deepcopy(bucket[k])) for k in self._keys_under(ns, prefix.lower())]

    def page(
        self,
        ns: str,
        prefix: str,
        *,
        limit: int,
        after: str | None = None,
        where: Callable[[str, Any], bool] | None = None,
    ) -> tuple[list[tuple[str, Any]], bool]:
        """One page of a prefix listing: up to ``limit`` deep-copied (key, value) pairs whose
        key starts with ``prefix`` and sorts after ``after`` (a key from the previous page),
        keeping those ``where(key, value)`` accepts (it must not mutate the value), and
        whether more follow. Only the returned values are copied."""
        out: list[tuple[str, Any]] = []
        with self.lock:
            bucket = self._data.get(ns, {})
            after_key = after.lower() if after is not None else None
            for key in self._keys_under(ns, prefix.lower(), after_key):
                value = bucket[key]
                if where is not None and not where(key, value):
                    continue
                if len(out) == limit:
                    return out, True
                out.append((key, copy.deepcopy(value)))
        return out, False

    def delete_prefix(self, ns: str, prefix: str) -> list[str]:
        lp = prefix.lower()
        with self.lock:
            bucket = self._data.get(ns, {})
            gone = list(self._keys_under(ns, lp))
            for k in gone:
                del bucket[k]
            self._index.pop(ns, None)
            if gone:
                self.version += 1
            return gone

    def snapshot(self) -> dict[str, dict[str, Any]]:
        with self.lock:
            return copy.deepcopy(self._data)

    def load(self, data: dict[str, dict[str, Any]]) -> None:
        with self.lock:
            self._data = copy.deepcopy(data)
            self._index = {}
            self.version += 1


# --- resource types (so the stack deployer can create anything) --------------------


class ResourceType(Protocol):
    """How one ARM resource type is created and deleted outside its own REST routes.

    The stack deployer calls ``create`` for every resource a template declares;
    ``create`` stores the resource and returns its full JSON (with ``properties``),
    which ``reference()`` then reads. ``delete`` removes it (and anything it owns).
    """

    def create(
        self, ctx: EmulatorContext, resource_id: str, body: dict[str, Any], api_version: str
    ) -> dict[str, Any]: ...

    def delete(self, ctx: EmulatorContext, resource_id: str) -> None: ...


# --- long-running operations ----------------------------------------------------------


@dataclass
class Operation:
    """An LRO whose status URL the SDK polls. Finishes after ``duration`` emulated seconds."""

    id: str
    started: float
    duration: float
    start_time: str
    finish: Callable[[], None] | None = None
    """Runs once when the operation completes successfully (e.g. flips provisioningState)."""
    error: ArmError | None = None
    """When set, the operation ends Failed with this error."""
    done: bool = False
    status: str = "InProgress"
    end_time: str | None = None
    resource_id: str | None = None
    """The resource the operation acts on (a ``Location`` monitor returns it when done)."""
    on_error: Callable[[ArmError], None] | None = None
    """Runs once when the operation ends Failed (e.g. sets provisioningState Failed)."""


class Operations:
    """Tracks LROs. Completion is evaluated lazily when polled (and by ``settle_all``).

    ``settle_all`` (run before every ARM request) only walks the running operations;
    finished ones stay pollable until ``DONE_KEPT`` newer ones have finished.
    """

    DONE_KEPT = 10_000

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.RLock()
        self._ops: dict[str, Operation] = {}
        self._running: dict[str, Operation] = {}
        self._finished: deque[str] = deque()

    def start(
        self,
        duration: float,
        finish: Callable[[], None] | None = None,
        error: ArmError | None = None,
        *,
        resource_id: str | None = None,
        on_error: Callable[[ArmError], None] | None = None,
    ) -> Operation:
        op = Operation(
            id=str(uuid.uuid4()),
            started=self._clock.monotonic(),
            duration=duration,
            start_time=iso(self._clock.now()),
            finish=finish,
            error=error,
            resource_id=resource_id,
            on_error=on_error,
        )
        with self._lock:
            self._ops[op.id] = op
            self._running[op.id] = op
        return op

    def get(self, op_id: str) -> Operation | None:
        with self._lock:
            op = self._ops.get(op_id.lower()) or self._ops.get(op_id)
            if op is not None:
                self._advance(op)
            return op

    def settle_all(self) -> None:
        """Complete every operation that is due (used before reads of LRO-backed state)."""
        with self._lock:
            for op in list(self._running.values()):
                self._advance(op)

    def _advance(self, op: Operation) -> None:
        if op.done or self._clock.monotonic() - op.started < op.duration:
            return
        op.done = True
        op.end_time = iso(self._clock.now())
        self._running.pop(op.id, None)
        self._finished.append(op.id)
        while len(self._finished) > self.DONE_KEPT:
            self._ops.pop(self._finished.popleft(), None)
        if op.error is None and op.finish is not None:
            try:
                op.finish()
            except ArmError as exc:
                op.error = exc
        if op.error is not None:
            op.status = "Failed"
            if op.on_error is not None:
                op.on_error(op.error)
            return
        op.status = "Succeeded"

    def status_body(self, op: Operation) -> dict[str, Any]:
        """The Azure-AsyncOperation body (name, status, startTime, endTime, error)."""
        body: dict[str, Any] = {"name": op.id, "status": op.status, "startTime": op.start_time}
        if op.end_time:
            body["endTime"] = op.end_time
        if op.status == "Failed" and op.error is not None:
            body["error"] = op.error.error_body()
        return body


REQUEST_LOG_LIMIT = 100_000
"""How many requests ``EmulatorContext.request_log`` keeps (the oldest are forgotten)."""


# --- the context every module registers into -------------------------------------------


@dataclass
class EmulatorContext:
    router: Router
    store: Store
    clock: Clock
    operations: Operations
    subscription_id: str
    tenant_id: str
    location: str = "japaneast"
    page_size: int = 100
    base_url: str = ""
    """``https://127.0.0.1:<port>``, set once the server is bound."""
    ca_pem: bytes = b""
    """The emulator CA certificate (PEM), trusted by clients; set by the server."""
    resource_types: dict[str, ResourceType] = field(default_factory=dict)
    """Lower-cased ARM type (``microsoft.compute/disks``) -> how to create/delete it."""
    services: dict[str, Any] = field(default_factory=dict)
    """Module singletons other modules may need (``identity``, ``kube``, ``faults``)."""
    request_log: deque[dict[str, Any]] = field(
        default_factory=lambda: deque(maxlen=REQUEST_LOG_LIMIT)
    )
    """The requests the server answered, newest last: method, path, status, query (tests
    assert on it). Bounded, so a long-running emulator does not grow without limit."""
    request_log_lock: threading.Lock = field(default_factory=threading.Lock)

    def resource_type(self, type_name: str) -> ResourceType | None:
        return self.resource_types.get(type_name.lower())

    def log_request(self, method: str, path: str, status: int, query: str = "") -> None:
        with self.request_log_lock:
            self.request_log.append(
                {"method": method, "path": path, "status": status, "query": query}
            )

    def requests(self) -> Iterator[dict[str, Any]]:
        with self.request_log_lock:
            return iter(list(self.request_log))
