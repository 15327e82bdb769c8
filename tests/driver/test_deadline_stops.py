"""A timed-out operation really stops (issue 15 item 2): no thread left applying.

The old runner abandoned the operation in a daemon thread and raised at once; the
install then went on applying manifests after the user was told it had stopped.
Now the operation runs in the caller's thread under its Deadline, each Kubernetes
request gets the time that is left, and no request starts after the limit.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from kompox_tui.errors import OperationTimeout, Reason
from kompox_tui.model import Config


def test_a_timed_out_install_sends_nothing_after_it_reports_the_timeout(
    config_factory: Callable[..., Config],
    make_driver: Callable[..., Any],
    emulator: Any,
) -> None:
    suffix = uuid.uuid4().hex[:8]
    driver = make_driver(config_factory(cluster=f"c{suffix}", cluster_rg=f"rg-{suffix}"))
    driver.cluster_provision()
    driver.cluster_status()  # caches the admin kubeconfig: install goes to the cluster at once
    rule = emulator.add_fault("*", r"/k8s/", latency=0.4)
    try:
        driver._cluster_ops.install_timeout = 1.5
        started = time.monotonic()
        with pytest.raises(OperationTimeout) as caught:
            driver.cluster_install()
        raised = datetime.now(UTC)
        # The limit, one capped request and slack for a loaded machine.
        assert time.monotonic() - started < 1.5 + 3.0
        assert caught.value.reason is Reason.TIMEOUT
        assert "cluster install did not finish within 1.5 s" in str(caught.value)
        assert rule.hits > 0
        time.sleep(1.5)  # a leftover worker would go on sending requests now
        later = [c for c in driver.calls if c.time > raised]
        assert later == [], [(c.method, c.path) for c in later]
    finally:
        emulator.clear_faults()
