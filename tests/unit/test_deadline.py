"""Deadline: one time limit per operation, nested limits, bounded waits."""

from __future__ import annotations

import threading

import pytest

from kompox_tui.azure.deadline import Deadline, cap_timeout, current, run_within, sleep_within
from kompox_tui.errors import OperationTimeout, Reason


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_remaining_raises_once_expired_naming_operation_and_limit() -> None:
    clock = Clock()
    deadline = Deadline("disk list", 5.0, clock=clock)
    assert deadline.remaining() == 5.0
    clock.now += 5.0
    with pytest.raises(OperationTimeout, match=r"disk list did not finish within 5 s") as caught:
        deadline.remaining()
    assert caught.value.reason is Reason.TIMEOUT


def test_a_nested_deadline_never_outlives_the_outer_one() -> None:
    clock = Clock()
    with Deadline("cluster status", 2.0, clock=clock) as outer:
        inner = Deadline("the request", 60.0, clock=clock, parent=outer)
        assert inner.left() == 2.0
        clock.now += 2.5
        with pytest.raises(OperationTimeout, match="cluster status did not finish within 2 s"):
            inner.remaining()


def test_a_wait_longer_than_what_is_left_ends_now_as_throttled() -> None:
    clock = Clock()
    deadline = Deadline("disk list", 5.0, clock=clock)
    assert deadline.bound_wait(1.0, status=429, retry_after=True) == 1.0
    with pytest.raises(OperationTimeout) as caught:
        deadline.bound_wait(40.0, status=429, retry_after=True)
    assert caught.value.reason is Reason.THROTTLED
    assert "HTTP 429, Retry-After 40 s" in str(caught.value)
    with pytest.raises(OperationTimeout) as other:
        deadline.bound_wait(40.0, status=503, retry_after=True)
    assert other.value.reason is Reason.TIMEOUT and "HTTP 503" in str(other.value)


def test_current_deadline_is_scoped_to_the_with_block_and_the_thread() -> None:
    seen: list[object] = []
    with Deadline("cluster install", 60.0) as deadline:
        assert current() is deadline
        thread = threading.Thread(target=lambda: seen.append(current()))
        thread.start()
        thread.join()
    assert current() is None
    assert seen == [None]


def test_run_within_caps_request_timeouts_and_sleeps() -> None:
    def body() -> float | None:
        return cap_timeout(30.0)

    capped = run_within("cluster kubeconfig", 1.0, body)
    assert capped is not None and capped <= 1.0
    assert cap_timeout(30.0) == 30.0  # outside any deadline: unchanged
    with pytest.raises(OperationTimeout) as caught:
        run_within("cluster install", 0.5, lambda: sleep_within(40.0, status=429, retry_after=True))
    assert caught.value.reason is Reason.THROTTLED
