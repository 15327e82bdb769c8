"""Retry-After never outlasts the operation's deadline (issue 16 item 4), over HTTPS."""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING

import pytest

from kompox_tui.errors import OperationTimeout, Reason

if TYPE_CHECKING:
    from volumes_fixtures import VolEnv

pytest_plugins = ["volumes_fixtures"]


def test_persistent_429_with_long_retry_after_ends_at_the_deadline_as_throttled(
    vol_env: VolEnv,
) -> None:
    env = vol_env
    env.driver.disk_create("db")
    env.ops.timeouts["disk list"] = 5.0
    list_path = f"/resourceGroups/{re.escape(env.rg)}/providers/Microsoft.Compute/disks$"
    rule = env.emu.add_fault("GET", list_path, status=429, retry_after=40)
    started = time.monotonic()
    with pytest.raises(OperationTimeout) as caught:
        env.driver.disk_list("db")
    elapsed = time.monotonic() - started
    assert rule.hits >= 1
    # The server asked for 40 s; the limit is 5 s: waiting it out could only end in a
    # timeout, so the call ends before the limit instead of 35 s after it.
    assert elapsed < 5.5, elapsed
    error = caught.value
    assert error.reason is Reason.THROTTLED
    assert "429" in str(error) and "Retry-After 40 s" in str(error)
    assert "disk list did not finish within 5 s" in str(error)


def test_short_retry_after_inside_the_deadline_is_still_honoured(vol_env: VolEnv) -> None:
    env = vol_env
    env.driver.disk_create("db")
    env.ops.timeouts["disk list"] = 5.0
    list_path = f"/resourceGroups/{re.escape(env.rg)}/providers/Microsoft.Compute/disks$"
    rule = env.emu.add_fault("GET", list_path, status=429, retry_after=0.3, count=1)
    started = time.monotonic()
    disks = env.driver.disk_list("db")
    assert rule.hits == 1 and len(disks) == 1
    assert time.monotonic() - started >= 0.3
