"""One time limit per driver operation, enforced where the work happens.

A :class:`Deadline` is the SPEC §4/§5 limit of one operation (a status refresh,
an install, a disk list). Entering it (``with deadline:``) makes it the current
deadline of this thread's context; everything below then keeps to it without
being handed the object:

- each ARM HTTP attempt gets connection/read timeouts no longer than what is
  left, and is not sent once it has run out (``clients.py``' per-attempt policy),
- retry waits (``Retry-After`` included) never sleep past it: a wait that would
  is cut short with an :class:`OperationTimeout` saying the server throttled,
- each Kubernetes request gets ``_request_timeout`` from it.

So a timed-out operation stops in the thread that runs it, between two steps,
instead of being abandoned in a daemon thread that keeps applying changes.
Deadlines nest: an inner one never outlives the outer one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextvars import ContextVar, Token
from typing import TypeVar

from ..errors import OperationTimeout, Reason

T = TypeVar("T")

_CURRENT: ContextVar[Deadline | None] = ContextVar("kompox_deadline", default=None)


def _fmt(seconds: float) -> str:
    if seconds >= 60 and seconds % 60 == 0:
        return f"{int(seconds // 60)} min"
    return f"{seconds:g} s"


class Deadline:
    """The time limit of one operation."""

    def __init__(
        self,
        operation: str,
        seconds: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        parent: Deadline | None = None,
    ) -> None:
        self.operation = operation
        self.seconds = seconds
        self._clock = clock
        self.end = clock() + seconds
        self._parent = parent
        self._tokens: list[Token[Deadline | None]] = []

    # --- reading ------------------------------------------------------------------------

    def _binding(self) -> Deadline:
        """The deadline of this chain that ends first (it names the timeout)."""
        if self._parent is None:
            return self
        outer = self._parent._binding()
        return outer if outer.end < self.end else self

    def left(self) -> float:
        """Seconds left (≤ 0 once expired), bounded by any enclosing deadline."""
        return self._binding().end - self._clock()

    def remaining(self) -> float:
        """Seconds left; raises :class:`OperationTimeout` once none are."""
        left = self.left()
        if left <= 0:
            raise self.expired()
        return left

    def check(self) -> None:
        """Raise :class:`OperationTimeout` if the limit has passed (call between steps)."""
        self.remaining()

    def expired(
        self, cause: str | None = None, *, reason: Reason | None = None
    ) -> OperationTimeout:
        """The error for this deadline running out, with what was being waited for."""
        binding = self._binding()
        limit = _fmt(round(binding.seconds, 1))
        if binding.operation:
            text = f"{binding.operation} did not finish within {limit} (SPEC §5 limit)"
        else:  # a per-call limit outside any named operation
            text = f"stopped at the {limit} time limit"
        if cause:
            text += f": {cause}"
        return OperationTimeout(text, reason=reason)

    def bound_wait(self, wait: float, *, status: int | None = None, retry_after: bool) -> float:
        """``wait`` if it ends before the deadline, else raise a timeout naming why we waited.

        A server's ``Retry-After`` may ask for longer than the operation has left;
        sleeping it out would only end in a timeout later, so it ends now.
        """
        left = self.left()
        if wait < left:
            return max(wait, 0.0)
        cause, reason = _wait_cause(wait, left, status, retry_after)
        raise self.expired(cause, reason=reason)

    # --- the current deadline --------------------------------------------------------------

    def __enter__(self) -> Deadline:
        current = _CURRENT.get()
        if self._parent is None and current is not None and current is not self:
            self._parent = current
        self._tokens.append(_CURRENT.set(self))
        return self

    def __exit__(self, *exc: object) -> None:
        _CURRENT.reset(self._tokens.pop())


def _wait_cause(
    wait: float, left: float, status: int | None, retry_after: bool
) -> tuple[str, Reason]:
    left_text = f"{max(left, 0.0):.1f} s"
    if status == 429:
        asked = f"Retry-After {wait:g} s" if retry_after else f"backoff {wait:.1f} s"
        return (
            f"the server is throttling requests (HTTP 429, {asked}) and only {left_text} "
            "of the limit were left",
            Reason.THROTTLED,
        )
    what = f"HTTP {status}" if status else "a failed attempt"
    how = f"asked to retry after {wait:g} s" if retry_after else f"backoff {wait:.1f} s"
    return f"{what}, {how}, with only {left_text} of the limit left", Reason.TIMEOUT


def current() -> Deadline | None:
    """The innermost deadline entered in this context, if any."""
    return _CURRENT.get()


def run_within(operation: str, seconds: float, fn: Callable[[], T]) -> T:
    """Run ``fn`` in this thread under a new deadline (see the module docstring)."""
    with Deadline(operation, seconds):
        return fn()


def cap_timeout(timeout: float | None) -> float | None:
    """``timeout`` shortened to what the current deadline leaves (raises once expired)."""
    deadline = _CURRENT.get()
    if deadline is None:
        return timeout
    left = deadline.remaining()
    return left if timeout is None else min(timeout, left)


def sleep_within(wait: float, *, status: int | None = None, retry_after: bool = False) -> None:
    """Sleep ``wait`` seconds unless that passes the current deadline (then raise)."""
    deadline = _CURRENT.get()
    if deadline is not None:
        wait = deadline.bound_wait(wait, status=status, retry_after=retry_after)
    if wait > 0:
        time.sleep(wait)
