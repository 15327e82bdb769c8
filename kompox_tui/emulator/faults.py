"""Fault injection: latency, throttling, server errors, dropped connections, failed LROs.

A fault *rule* matches requests by HTTP method and a path regular expression (searched,
case-insensitive, against the URL path without the query), and then fires according to
``count`` (the first N matches), ``nth`` (only the Nth match) and ``probability``.
Rules are evaluated in order for each request; latency rules and ``lro-fail`` rules let
evaluation continue, a status, ``drop`` or ``drop-after`` rule ends it.

Python API (per test)::

    handle = emu.add_fault("PATCH", r"/disks/", status=429, count=2)
    handle = emu.add_fault("*", r"/snapshots/", lro_error=("QuotaExceeded", "..."))
    handle = emu.add_fault("PUT", r"/disks/", drop_after=True, count=1)
    handle.hits  # how many times it fired
    emu.clear_faults()

CLI / string syntax (``kompox-tui emulator --faults SPEC``): rules separated by ``;``, each
``METHOD:PATH:ACTION[:OPTION...]`` (``:`` or ``,`` separate the options):

- ``METHOD``: ``*``, ``GET``, or several joined with ``|`` (``PUT|PATCH``).
- ``PATH``: a regular expression searched in the path; ``*`` matches everything.
  (It may not contain ``:``, ``;`` or ``,``.)
- ``ACTION``:

  * ``429`` / ``500`` / ``503`` (any 4xx/5xx status): an ARM error response
    (429 ``TooManyRequests`` and 503 ``ServiceUnavailable`` carry ``Retry-After``);
  * ``drop``: the connection is closed without any response; the request is not applied;
  * ``drop-after``: the request is applied (the resource written, the LRO started), then
    the connection is closed without a response -- the client cannot tell this from
    ``drop``, so it tests retrying a PUT/PATCH/DELETE the server already applied
    (azure-core retries PUT/DELETE/GET on a dropped connection, not POST/PATCH);
  * ``latency=SECONDS`` or ``latency=MIN-MAX`` (uniform jitter): wall-clock delay;
  * ``lro-fail``: the long-running operation this request starts ends ``Failed``.

- ``OPTION``: ``count=N`` (first N matches only), ``nth=N`` (only the Nth match),
  ``p=0.25`` (probability), ``retry-after=SECONDS`` (429/503; default one emulated
  second, i.e. ``0.001`` at speed 1000 -- azure-core accepts fractions; on ``/k8s/``
  paths it is rounded up to whole seconds because urllib3 rejects fractions),
  ``code=Code`` and ``message=Text`` (error code/message for status and ``lro-fail``).

Pod failures (the Kubernetes side): ``POD:PATTERN:REASON`` makes every pod whose
``<namespace>/<name>`` or container image matches ``PATTERN`` fail with ``REASON`` --
``ImagePullBackOff`` (the pod stays Pending, its container waiting) or
``CrashLoopBackOff`` (Running, never ready, restarts counting up); workloads' readiness
follows. Python API: ``emu.faults.add_pod_failure("traefik", "CrashLoopBackOff")``.

Examples::

    PATCH:/disks/:429:count=2
    *:*:latency=0.05-0.2
    PUT:/snapshots/:lro-fail:code=QuotaExceeded
    GET:/resourcegroups/:drop:nth=3
    PATCH:/disks/:drop-after:count=1
    *:/providers/Microsoft.Compute/:503:p=0.1;*:*:latency=0.01
"""

from __future__ import annotations

import random
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from .core import ArmError

_STATUS_DEFAULTS: dict[int, tuple[str, str]] = {
    400: ("BadRequest", "The request is invalid."),
    408: ("RequestTimeout", "The request timed out."),
    409: ("Conflict", "The request conflicts with the current state of the resource."),
    429: ("TooManyRequests", "The request is being throttled."),
    500: (
        "InternalServerError",
        "Encountered internal server error. Please try again.",
    ),
    502: ("BadGateway", "The gateway did not receive a response from the service."),
    503: (
        "ServiceUnavailable",
        "The server is currently unable to handle the request. Please retry your request.",
    ),
    504: ("GatewayTimeout", "The gateway did not receive a response within the specified time."),
}


class FaultSpecError(ValueError):
    """A ``--faults`` string that cannot be parsed."""


@dataclass
class FaultRule:
    """One rule. ``hits`` counts how often it fired, ``matches`` how often it matched."""

    methods: frozenset[str]
    path: re.Pattern[str]
    action: str
    """``status``, ``drop``, ``drop-after``, ``latency`` or ``lro-fail``."""
    status: int = 0
    latency: tuple[float, float] = (0.0, 0.0)
    count: int | None = None
    nth: int | None = None
    probability: float = 1.0
    retry_after: float | None = None
    code: str | None = None
    message: str | None = None
    hits: int = 0
    matches: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def matches_request(self, method: str, path: str) -> bool:
        return ("*" in self.methods or method.upper() in self.methods) and bool(
            self.path.search(path)
        )

    def should_fire(self, rng: random.Random) -> bool:
        with self._lock:
            self.matches += 1
            n = self.matches
            if self.count is not None and n > self.count:
                return False
            if self.nth is not None and n != self.nth:
                return False
            if self.probability < 1.0 and rng.random() >= self.probability:
                return False
            self.hits += 1
            return True

    def error(self, retry_after_default: float) -> ArmError:
        code, message = _STATUS_DEFAULTS.get(self.status, ("ServiceError", "Injected fault."))
        headers: dict[str, str] = {}
        if self.status in (429, 503) or self.retry_after is not None:
            value = self.retry_after if self.retry_after is not None else retry_after_default
            headers["Retry-After"] = _fmt_seconds(value)
        return ArmError(self.status, self.code or code, self.message or message, headers=headers)

    def lro_error(self) -> ArmError:
        return ArmError(
            self.status or 500,
            self.code or "InternalOperationError",
            self.message or "The operation failed because of an internal error.",
        )

    def delay(self, rng: random.Random) -> float:
        lo, hi = self.latency
        return lo if hi <= lo else rng.uniform(lo, hi)


def _fmt_seconds(value: float) -> str:
    if value >= 1 and float(value).is_integer():
        return str(int(value))
    return f"{max(value, 0.001):.3f}".rstrip("0").rstrip(".")


POD_FAILURE_REASONS = ("ImagePullBackOff", "CrashLoopBackOff")


@dataclass(frozen=True)
class PodFailure:
    """A pod-failure rule: pods matching ``pattern`` fail with ``reason``."""

    pattern: re.Pattern[str]
    reason: str


@dataclass
class Decision:
    """What the server must do for one request after the rules ran."""

    delay: float = 0.0
    error: ArmError | None = None
    drop: bool = False
    """Close the connection before handling the request."""
    drop_after: bool = False
    """Handle the request, then close the connection without sending the response."""
    lro_error: ArmError | None = None
    fired: list[FaultRule] = field(default_factory=list)


class Faults:
    """The rule list of one emulator. Thread-safe."""

    def __init__(self, *, seed: int | None = None) -> None:
        self._rules: list[FaultRule] = []
        self._pod_failures: list[PodFailure] = []
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self.global_latency: tuple[float, float] = (0.0, 0.0)

    def add(
        self,
        method: str = "*",
        path: str = "*",
        *,
        status: int | None = None,
        drop: bool = False,
        drop_after: bool = False,
        latency: float | tuple[float, float] | None = None,
        lro_error: ArmError | tuple[str, str] | str | bool | None = None,
        count: int | None = None,
        nth: int | None = None,
        probability: float = 1.0,
        retry_after: float | None = None,
        code: str | None = None,
        message: str | None = None,
    ) -> FaultRule:
        """Add a rule (exactly one of ``status``, ``drop``, ``drop_after``, ``latency``,
        ``lro_error``)."""
        chosen = [
            status is not None,
            drop,
            drop_after,
            latency is not None,
            lro_error not in (None, False),
        ]
        if sum(chosen) != 1:
            raise ValueError(
                "a fault needs exactly one of status, drop, drop_after, latency, lro_error"
            )
        methods = frozenset(m.strip().upper() for m in method.split("|") if m.strip()) or {"*"}
        regex = re.compile(".*" if path in ("*", "") else path, re.IGNORECASE)
        rule = FaultRule(
            methods=frozenset(methods),
            path=regex,
            action="status",
            count=count,
            nth=nth,
            probability=probability,
            retry_after=retry_after,
            code=code,
            message=message,
        )
        if status is not None:
            if not 400 <= status <= 599:
                raise ValueError(f"fault status must be 4xx/5xx, not {status}")
            rule.status = status
        elif drop:
            rule.action = "drop"
        elif drop_after:
            rule.action = "drop-after"
        elif latency is not None:
            rule.action = "latency"
            rule.latency = latency if isinstance(latency, tuple) else (latency, latency)
        else:
            rule.action = "lro-fail"
            if isinstance(lro_error, ArmError):
                rule.code, rule.message, rule.status = (
                    lro_error.code,
                    lro_error.message,
                    lro_error.status,
                )
            elif isinstance(lro_error, tuple):
                rule.code, rule.message = lro_error
            elif isinstance(lro_error, str):
                rule.code = lro_error
        with self._lock:
            self._rules.append(rule)
        return rule

    def add_spec(self, spec: str) -> list[FaultRule]:
        """Parse a ``--faults`` string (see the module docstring) and add its rules."""
        rules = []
        for raw in spec.split(";"):
            pod = pod_rule(raw)
            if pod is not None:
                self.add_pod_failure(*pod)
        for kwargs in parse_spec(spec):
            rules.append(self.add(**kwargs))
        return rules

    def add_pod_failure(self, pattern: str, reason: str = "CrashLoopBackOff") -> PodFailure:
        """Make matching pods fail with ``reason`` (see "Pod failures" above)."""
        if reason not in POD_FAILURE_REASONS:
            raise FaultSpecError(
                f"bad pod failure {reason!r}: expected one of {', '.join(POD_FAILURE_REASONS)}"
            )
        try:
            regex = re.compile(".*" if pattern in ("*", "") else pattern, re.IGNORECASE)
        except re.error as exc:
            raise FaultSpecError(f"bad pod pattern {pattern!r}: {exc}") from None
        failure = PodFailure(regex, reason)
        with self._lock:
            self._pod_failures.append(failure)
        return failure

    def pod_failure(self, namespace: str, name: str, images: list[str]) -> PodFailure | None:
        """The failure a pod suffers now, if a pod-failure rule matches it."""
        with self._lock:
            failures = list(self._pod_failures)
        for failure in failures:
            if failure.pattern.search(f"{namespace}/{name}") or any(
                failure.pattern.search(image) for image in images
            ):
                return failure
        return None

    def remove_pod_failure(self, failure: PodFailure) -> None:
        with self._lock:
            if failure in self._pod_failures:
                self._pod_failures.remove(failure)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
            self._pod_failures.clear()

    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def evaluate(self, method: str, path: str, retry_after_default: float) -> Decision:
        decision = Decision()
        lo, hi = self.global_latency
        if hi > 0:
            decision.delay += lo if hi <= lo else self._rng.uniform(lo, hi)
        for rule in self.rules():
            if not rule.matches_request(method, path) or not rule.should_fire(self._rng):
                continue
            decision.fired.append(rule)
            if rule.action == "latency":
                decision.delay += rule.delay(self._rng)
            elif rule.action == "lro-fail":
                decision.lro_error = rule.lro_error()
            elif rule.action == "drop":
                decision.drop = True
                break
            elif rule.action == "drop-after":
                decision.drop_after = True
                break
            else:
                decision.error = rule.error(retry_after_default)
                break
        return decision

    @staticmethod
    def sleep(seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


def _parse_latency(value: str) -> tuple[float, float]:
    m = re.fullmatch(r"\s*([0-9.]+)\s*(?:-\s*([0-9.]+)\s*)?", value)
    if not m:
        raise FaultSpecError(f"bad latency {value!r}: expected SECONDS or MIN-MAX")
    lo = float(m.group(1))
    hi = float(m.group(2)) if m.group(2) else lo
    if hi < lo:
        raise FaultSpecError(f"bad latency {value!r}: MIN must not exceed MAX")
    return lo, hi


def pod_rule(text: str) -> tuple[str, str] | None:
    """``POD:PATTERN:REASON`` -> (pattern, reason), checked; None for a request rule."""
    text = text.strip()
    if not text.upper().startswith("POD:"):
        return None
    _, pattern, reason = [*text.split(":", 2), "", ""][:3]
    reason = reason.strip() or "CrashLoopBackOff"
    if reason not in POD_FAILURE_REASONS:
        raise FaultSpecError(
            f"bad pod failure {reason!r} in {text!r}: expected one of "
            f"{', '.join(POD_FAILURE_REASONS)}"
        )
    try:
        re.compile(pattern)
    except re.error as exc:
        raise FaultSpecError(f"bad pod pattern {pattern!r} in {text!r}: {exc}") from None
    return pattern, reason


def parse_spec(spec: str) -> list[dict[str, Any]]:
    """``METHOD:PATH:ACTION[:OPT...]`` rules joined by ``;`` -> keyword arguments for ``add``
    (``POD:`` rules are checked and left to :meth:`Faults.add_spec`)."""
    out: list[dict[str, Any]] = []
    for raw in spec.split(";"):
        text = raw.strip()
        if not text or pod_rule(text) is not None:
            continue
        parts = [p for p in re.split(r"[:,]", text)]
        if len(parts) < 3:
            raise FaultSpecError(
                f"bad fault rule {text!r}: expected METHOD:PATH:ACTION[:OPTION...]"
            )
        method, path, action, *opts = (p.strip() for p in parts)
        kwargs: dict[str, Any] = {"method": method or "*", "path": path or "*"}
        try:
            re.compile(kwargs["path"] if kwargs["path"] != "*" else ".*")
        except re.error as exc:
            raise FaultSpecError(f"bad path pattern {path!r} in {text!r}: {exc}") from None
        low = action.lower()
        if low.isdigit():
            status = int(low)
            if not 400 <= status <= 599:
                raise FaultSpecError(f"bad status {action!r} in {text!r}: expected 400-599")
            kwargs["status"] = status
        elif low == "drop":
            kwargs["drop"] = True
        elif low in ("drop-after", "drop_after"):
            kwargs["drop_after"] = True
        elif low.startswith("latency="):
            kwargs["latency"] = _parse_latency(action.split("=", 1)[1])
        elif low in ("lro-fail", "lrofail", "lro_fail"):
            kwargs["lro_error"] = True
        else:
            raise FaultSpecError(
                f"bad action {action!r} in {text!r}: expected a status (429, 500, 503...), "
                "drop, drop-after, latency=SECONDS[-MAX] or lro-fail"
            )
        for opt in opts:
            if not opt:
                continue
            key, sep, value = opt.partition("=")
            key = key.strip().lower()
            if not sep:
                raise FaultSpecError(f"bad option {opt!r} in {text!r}: expected KEY=VALUE")
            try:
                if key == "count":
                    kwargs["count"] = int(value)
                elif key == "nth":
                    kwargs["nth"] = int(value)
                elif key in ("p", "probability"):
                    kwargs["probability"] = float(value)
                    if not 0.0 <= kwargs["probability"] <= 1.0:
                        raise ValueError
                elif key in ("retry-after", "retry_after"):
                    kwargs["retry_after"] = float(value)
                elif key == "code":
                    kwargs["code"] = value
                elif key == "message":
                    kwargs["message"] = value
                elif key == "latency" and "latency" not in kwargs:
                    raise FaultSpecError(f"latency is an action, not an option, in {text!r}")
                else:
                    raise FaultSpecError(f"unknown option {key!r} in {text!r}")
            except ValueError as exc:
                if isinstance(exc, FaultSpecError):
                    raise
                raise FaultSpecError(f"bad value for {key!r} in {text!r}: {value!r}") from None
        out.append(kwargs)
    return out
