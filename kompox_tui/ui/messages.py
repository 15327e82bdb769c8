"""Messages worker threads post to the UI.

Workers never touch widgets: they post one of these (``post_message`` is
thread-safe) and the event loop applies it. Messages that only say "something new
is waiting" coalesce through ``can_replace`` so an event flood (a stack deploying
sixty resources, a burst of API calls) becomes one repaint, not sixty.
"""

from __future__ import annotations

from datetime import datetime

from textual.message import Message

from ..errors import KompoxError
from ..model import ClusterStatus


class ClusterStatusLoaded(Message):
    """A cluster's status arrived."""

    def __init__(self, index: int, status: ClusterStatus, at: datetime) -> None:
        super().__init__()
        self.index = index
        self.status = status
        self.at = at


class ClusterStatusFailed(Message):
    """Reading a cluster's status failed; ``error`` is the typed error (its ``reason``
    says why, ``str(error)`` is the user-ready message with control characters shown)."""

    def __init__(self, index: int, error: KompoxError, at: datetime) -> None:
        super().__init__()
        self.index = index
        self.error = error
        self.at = at


class OperationUpdated(Message):
    """A long operation has new log lines or changed state (coalesced per operation)."""

    def __init__(self, op_id: int, finished: bool = False) -> None:
        super().__init__()
        self.op_id = op_id
        self.finished = finished

    def can_replace(self, message: Message) -> bool:
        return (
            isinstance(message, OperationUpdated)
            and message.op_id == self.op_id
            and not message.finished
        )


class ApiCallsLogged(Message):
    """New entries are waiting in the call log (coalesced)."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, ApiCallsLogged)


class StartupFinished(Message):
    """The app's start-up task (e.g. seeding the demo) ended; ``error`` is set if it failed."""

    def __init__(self, error: KompoxError | None = None) -> None:
        super().__init__()
        self.error = error


class StartupStep(Message):
    """What the start-up task is doing now, e.g. "provisioning prod" (coalesced)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, StartupStep)
