"""Long-running operation bookkeeping (plain tests of ``core.Operations``)."""

from __future__ import annotations

from kompox_tui.emulator.core import ArmError, Clock, Operations


def test_operation_finishes_after_its_duration_and_runs_finish_once() -> None:
    ops = Operations(Clock(speed=1000.0))
    calls: list[str] = []
    op = ops.start(0.0, lambda: calls.append("done"))
    ops.settle_all()
    ops.settle_all()
    found = ops.get(op.id)
    assert found is not None and found.status == "Succeeded"
    assert calls == ["done"]


def test_failed_operation_runs_on_error_not_finish() -> None:
    ops = Operations(Clock(speed=1000.0))
    seen: list[str] = []
    op = ops.start(
        0.0,
        lambda: seen.append("finish"),
        ArmError(409, "X", "y"),
        on_error=lambda e: seen.append(e.code),
    )
    assert ops.get(op.id) is not None
    assert op.status == "Failed" and seen == ["X"]


def test_finished_operations_stay_pollable_until_many_newer_ones_finished() -> None:
    ops = Operations(Clock(speed=1000.0))
    ops.DONE_KEPT = 2
    first, second, third = (ops.start(0.0) for _ in range(3))
    running = ops.start(float("inf"))
    ops.settle_all()
    assert ops.get(first.id) is None  # forgotten: two newer operations finished since
    assert ops.get(second.id) is not None and ops.get(third.id) is not None
    assert ops.get(running.id) is not None and not running.done
