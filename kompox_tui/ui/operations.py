"""Long cluster operations (provision, deprovision, install, uninstall) and their logs.

An operation runs for minutes and must survive the user leaving its progress
screen, so it is owned by the app-wide :class:`OperationRegistry`, not by a
screen. Each runs in its own daemon thread: a Textual thread worker would run in
asyncio's default executor, which ``asyncio.run`` joins at exit, so quitting
during a provisioning would hang until Azure finished. The driver's progress
events are stored here (bounded) and the UI is told "something new" through a
coalescing callback; screens pull the lines they have not shown yet.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from ..azure.driver import AksDriver
from ..errors import AzureError, KompoxError
from ..layouts import layout_for
from ..model import ProgressEvent
from ..text import visible

OperationKind = Literal["provision", "deprovision", "install", "uninstall"]
#: One Azure cluster (see ``Layout.cluster_identity``); rows of one cluster share it.
ClusterKey = tuple[str, ...]
OperationState = Literal["running", "succeeded", "failed"]

#: How many log lines an operation keeps; older ones are dropped (and counted).
MAX_LINES = 5000

VERBS: dict[OperationKind, str] = {
    "provision": "Provisioning",
    "deprovision": "Deprovisioning",
    "install": "Installing ingress on",
    "uninstall": "Uninstalling ingress from",
}


def format_progress(event: ProgressEvent) -> str:
    """One log line for a progress event: elapsed, kind, message (and resource id).

    Messages, ids and outputs come from Azure: control characters are made visible
    here, so the screen, the saved log and every later copy receive printable text.
    """
    text = f"{event.elapsed_s:7.1f}s  {event.kind:<8} {visible(event.message)}"
    if event.resource_id and event.resource_id not in event.message:
        text += f"  [{visible(event.resource_id)}]"
    if event.kind == "output" and event.data:
        missing = {k: v for k, v in event.data.items() if str(v) not in event.message}
        if missing:
            text += "  " + ", ".join(f"{visible(k)}={visible(v)}" for k, v in missing.items())
    return text


@dataclass
class Operation:
    """One long operation on one cluster; thread-safe to read while it runs."""

    op_id: int
    index: int
    cluster: str
    kind: OperationKind
    force: bool
    started_at: datetime
    #: The Azure cluster it runs on: every overview row with this key shows it.
    cluster_key: ClusterKey = ()
    monotonic: Callable[[], float] = time.monotonic
    started_mono: float = -1.0
    finished_mono: float | None = None
    state: OperationState = "running"
    stack_state: str | None = None
    error: BaseException | None = None
    outputs: dict[str, str] = field(default_factory=dict)
    resources: list[str] = field(default_factory=list)
    _lines: deque[str] = field(default_factory=lambda: deque(maxlen=MAX_LINES))
    _total: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if self.started_mono < 0:
            self.started_mono = self.monotonic()

    @property
    def title(self) -> str:
        force = " (force)" if self.force else ""
        return f"{VERBS[self.kind]} {self.cluster}{force}"

    @property
    def running(self) -> bool:
        return self.state == "running"

    def elapsed(self, now_mono: float | None = None) -> float:
        end = self.finished_mono or (now_mono if now_mono is not None else self.monotonic())
        return max(0.0, end - self.started_mono)

    def add_line(self, line: str) -> None:
        with self._lock:
            self._lines.append(line)
            self._total += 1

    def add_event(self, event: ProgressEvent) -> None:
        with self._lock:
            if event.state:
                self.stack_state = event.state
            if event.kind == "resource" and event.resource_id:
                self.resources.append(event.resource_id)
            if event.kind == "output" and event.data:
                self.outputs.update(event.data)
            self._lines.append(format_progress(event))
            self._total += 1

    def lines_since(self, seen: int) -> tuple[list[str], int]:
        """The lines after the first ``seen`` ones (as many as are still kept), and the total."""
        with self._lock:
            missing = self._total - seen
            kept = list(self._lines)
            new = kept[-missing:] if 0 < missing <= len(kept) else (kept if missing > 0 else [])
            return new, self._total

    def all_lines(self) -> list[str]:
        with self._lock:
            return list(self._lines)

    def error_summary(self) -> list[str]:
        """The error in plain lines: code, message, failed resources, and what to do.

        Each line is one line of printable text (server text made visible).
        """
        err = self.error
        if err is None:
            return []
        if isinstance(err, AzureError):
            lines = [f"{err.operation} failed: {err.reason.value}", f"Code:    {err.code}"]
            if err.status and err.status >= 400:
                # A failed LRO ends with a 200 GET of the failed resource: not worth saying.
                lines.append(f"Status:  HTTP {err.status}")
            lines.append(f"Message: {err.azure_message or '(none)'}")
            for detail in err.details:
                lines.append(f"  - {detail}")
            if err.hint:
                lines.append(f"Next:    {err.hint}")
            return [visible(line) for line in lines]
        if isinstance(err, KompoxError):
            lines = [err.message]
            if err.hint:
                lines.append(f"Next:    {err.hint}")
            return [visible(line) for line in lines]
        return [
            visible(f"Unexpected {type(err).__name__}: {err}"),
            "Next:    see the call log (l)",
        ]

    def outcome(self) -> str:
        """The final state and why, for headers: ``failed · forbidden (RequestDisallowed…)``."""
        if self.running:
            return "running"
        err = self.error
        if self.state == "succeeded" or err is None:
            return self.state
        if isinstance(err, AzureError):
            return visible(f"failed · {err.reason.value} ({err.code})")
        if isinstance(err, KompoxError):
            return f"failed · {err.reason.value}"
        return f"failed · unexpected {type(err).__name__}"


class OperationRegistry:
    """Every operation started in this session, newest last; at most one running per cluster.

    "Cluster" is the Azure cluster, not the overview row: the apps of one KOM cluster are
    rows of their own, and an operation started from one of them is the running
    operation of all of them (a second provision or deprovision of the same cluster is
    refused while it runs).
    """

    def __init__(
        self,
        drivers: list[AksDriver],
        on_update: Callable[[Operation, bool], None],
        clock: Callable[[], datetime],
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._drivers = drivers
        self._monotonic = monotonic
        self._on_update = on_update
        self._clock = clock
        self._ops: list[Operation] = []
        self._running_by_cluster: dict[ClusterKey, Operation] = {}
        self._keys: dict[int, ClusterKey] = {}
        self._lock = threading.Lock()
        self._next_id = 1

    def all(self) -> list[Operation]:
        with self._lock:
            return list(self._ops)

    def get(self, op_id: int) -> Operation | None:
        with self._lock:
            return next((op for op in self._ops if op.op_id == op_id), None)

    def cluster_key(self, index: int) -> ClusterKey:
        """The Azure cluster of row ``index`` (its layout's cluster identity)."""
        # Cached: rows are only ever appended, and every render asks for every row.
        key = self._keys.get(index)
        if key is None:
            try:
                key = layout_for(self._drivers[index].config).cluster_identity()
            except (ValueError, TypeError):  # a config the layout cannot name: its row alone
                key = ("row", str(index))
            self._keys[index] = key
        return key

    def indexes_for(self, op: Operation) -> list[int]:
        """Every row of the cluster ``op`` runs on (the row it was started from first)."""
        others = [
            i
            for i in range(len(self._drivers))
            if i != op.index and self.cluster_key(i) == op.cluster_key
        ]
        return [op.index, *others]

    def running_for(self, index: int) -> Operation | None:
        key = self.cluster_key(index)
        with self._lock:
            return self._running_by_cluster.get(key)

    def latest_for(self, index: int) -> Operation | None:
        key = self.cluster_key(index)
        with self._lock:
            return next((op for op in reversed(self._ops) if op.cluster_key == key), None)

    def route_progress(self, index: int, event: ProgressEvent) -> None:
        """Called from the driver's thread: file the event under the cluster's running op
        when this row's driver is the one running it."""
        op = self.running_for(index)
        if op is not None and op.index == index:
            op.add_event(event)
            self._on_update(op, False)

    def start(self, index: int, kind: OperationKind, force: bool = False) -> Operation:
        """Start ``kind`` on cluster ``index`` in a daemon thread, or return the running one."""
        driver = self._drivers[index]
        key = self.cluster_key(index)
        with self._lock:
            running = self._running_by_cluster.get(key)
            if running is not None:
                return running
            op = Operation(
                op_id=self._next_id,
                index=index,
                cluster=driver.config.cluster.name,
                kind=kind,
                force=force,
                started_at=self._clock(),
                cluster_key=key,
                monotonic=self._monotonic,
            )
            self._next_id += 1
            self._ops.append(op)
            self._running_by_cluster[key] = op
        op.add_line(f"{op.started_at:%Y-%m-%d %H:%M:%S %Z}  {op.title}")
        thread = threading.Thread(
            target=self._run, args=(op, driver), name=f"kompox-op-{op.op_id}", daemon=True
        )
        thread.start()
        return op

    def _run(self, op: Operation, driver: AksDriver) -> None:
        calls: dict[OperationKind, Callable[[], None]] = {
            "provision": lambda: driver.cluster_provision(force=op.force),
            "deprovision": driver.cluster_deprovision,
            "install": driver.cluster_install,
            "uninstall": driver.cluster_uninstall,
        }
        try:
            calls[op.kind]()
        except BaseException as exc:  # shown to the user; the thread must never die silently
            op.error = exc
            op.state = "failed"
            for line in op.error_summary():
                op.add_line(f"ERROR    {line}")
        else:
            op.state = "succeeded"
        op.finished_mono = op.monotonic()
        op.add_line(f"{op.elapsed():7.1f}s  finished: {op.state}")
        with self._lock:
            if self._running_by_cluster.get(op.cluster_key) is op:
                del self._running_by_cluster[op.cluster_key]
        self._on_update(op, True)
