"""The Textual application: one factory for the CLI, the demo and the tests.

``KompoxApp(drivers, read_only=...)`` gets its drivers from outside (like
harlequin's adapter), so tests build it over emulator-backed drivers and the CLI
over real ones. Importing this module is cheap: the Azure SDKs and the kubernetes
client load inside the first worker that talks to a cluster.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path

from textual import on
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.signal import Signal
from textual.theme import Theme
from textual.worker import Worker, WorkerState

from ..azure.driver import AksDriver
from ..errors import KompoxError
from ..model import ApiCallEvent, DriverEvent, ProgressEvent
from ..text import visible, visible_lines
from .messages import ApiCallsLogged, OperationUpdated, StartupFinished, StartupStep
from .operations import Operation, OperationKind, OperationRegistry
from .settings import load_settings, save_settings

#: Bindings left out of the command palette (they move a cursor or copy selected text).
_MOVEMENT = ("cursor_", "scroll_", "page_")
_PALETTE_NOISE = frozenset({"screen.copy_text", "copy_text", "screen.maximize", "screen.minimize"})

#: How many API calls the call log keeps.
CALL_LOG_SIZE = 5000
#: How many notifications the history (key ``m``) keeps.
NOTICE_HISTORY_SIZE = 500
#: Exit status after ctrl+c, as a shell reports a process ended by SIGINT (128 + 2).
EXIT_INTERRUPTED = 130


def styles_dir() -> Path:
    """``kompox_tui/styles`` inside an installed wheel, else the checkout's top-level ``styles``."""
    here = Path(__file__).resolve()
    for candidate in (here.parents[1] / "styles", here.parents[2] / "styles"):
        if (candidate / "app.tcss").is_file():
            return candidate
    return here.parents[2] / "styles"


def stylesheets() -> list[str | Path]:
    """``app.tcss`` first, then every other sheet (e.g. ``volumes.tcss``) in name order."""
    base = styles_dir()
    others = sorted(p for p in base.glob("*.tcss") if p.name != "app.tcss")
    return [base / "app.tcss", *others]


def local_now() -> datetime:
    return datetime.now().astimezone()


@dataclass(frozen=True)
class CallLogEntry:
    cluster: str
    event: ApiCallEvent


class CallLog:
    """Every API call every driver made, bounded; appended from driver threads."""

    def __init__(self, size: int = CALL_LOG_SIZE) -> None:
        self._entries: deque[CallLogEntry] = deque(maxlen=size)
        self._total = 0
        self._lock = threading.Lock()

    def append(self, entry: CallLogEntry) -> None:
        with self._lock:
            self._entries.append(entry)
            self._total += 1

    def since(self, seen: int) -> tuple[list[CallLogEntry], int]:
        """Entries after the first ``seen`` (as many as are still kept), and the total."""
        with self._lock:
            missing = self._total - seen
            kept = list(self._entries)
            new = kept[-missing:] if 0 < missing <= len(kept) else (kept if missing > 0 else [])
            return new, self._total

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


@dataclass(frozen=True)
class Notice:
    """One notification as it was shown (the history screen lists them)."""

    time: datetime
    severity: SeverityLevel
    title: str
    message: str


class NoticeHistory:
    """Every notification shown in this session, bounded; appended from any thread."""

    def __init__(self, size: int = NOTICE_HISTORY_SIZE) -> None:
        self._notices: deque[Notice] = deque(maxlen=size)
        self._lock = threading.Lock()

    def append(self, notice: Notice) -> None:
        with self._lock:
            self._notices.append(notice)

    def all(self) -> list[Notice]:
        with self._lock:
            return list(self._notices)

    def __len__(self) -> int:
        with self._lock:
            return len(self._notices)


class KompoxApp(App[int]):
    """kompox-tui: clusters, their provisioning, and their volumes."""

    TITLE = "kompox-tui"
    CSS_PATH = stylesheets()  # type: ignore[assignment]
    ENABLE_COMMAND_PALETTE = True

    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("l", "toggle_call_log", "Call log"),
        Binding("m", "notifications", "Messages", show=False, tooltip="Every notification so far"),
        # Textual shows "press ctrl+q to quit"; README promises ctrl+c quits (status 130).
        Binding(
            "ctrl+c", "interrupt", "Quit now", show=False, priority=True, tooltip="exit status 130"
        ),
    ]

    def __init__(
        self,
        drivers: list[AksDriver],
        *,
        read_only: bool = False,
        clock: Callable[[], datetime] = local_now,
        monotonic: Callable[[], float] = time.monotonic,
        refresh_interval: float = 10.0,
        start_paused: bool = False,
        startup: Callable[[KompoxApp], None] | None = None,
        startup_label: str = "prepare the demo",
        log_dir: Path | None = None,
        subtitle: str | None = None,
        settings_path: Path | None = None,
    ) -> None:
        super().__init__()
        #: Where the chosen theme is remembered (None: not remembered, e.g. in tests).
        self.settings_path = settings_path
        self.notices = NoticeHistory()
        self.read_only = read_only
        self.clock = clock
        self.refresh_interval = refresh_interval
        self.start_paused = start_paused
        self.log_dir = log_dir
        #: Where ``k`` saves kubeconfigs; None = the driver's default (platformdirs
        #: config dir). The demo points it into its own directory.
        self.kubeconfig_dir: Path | None = None
        self.call_log = CallLog()
        self._startup = startup
        self._startup_label = startup_label
        self.starting_up = startup is not None
        self.sub_title = subtitle or ("read-only" if read_only else "")
        self.startup_step = ""
        self._quit_armed = False
        # App -> screen broadcasts. Screens subscribe in on_mount; a screen that goes
        # away drops out by itself, so the app never needs to know which screens care.
        # Screens subscribe with immediate=True: their state changes inside the app's
        # handler, e.g. the overview has a row for every driver before any other message
        # (a status result, a tick) can reach it.
        #: Clusters were added after start (the demo's, once its emulator is up).
        self.drivers_added_signal: Signal[None] = Signal(self, "drivers-added")
        #: The start-up task says what it is doing now (``startup_step``).
        self.startup_step_signal: Signal[str] = Signal(self, "startup-step")
        #: The start-up task ended (``starting_up`` is False again).
        self.startup_finished_signal: Signal[None] = Signal(self, "startup-finished")
        #: New entries in ``call_log`` (coalesced: one publish for a burst of calls).
        self.calls_logged_signal: Signal[None] = Signal(self, "calls-logged")
        #: A long operation logged a line or finished.
        self.operation_signal: Signal[Operation] = Signal(self, "operation-updated")
        self.drivers: list[AksDriver] = []
        self.operations = OperationRegistry(self.drivers, self._operation_changed, clock, monotonic)
        self.add_drivers(drivers)

    # --- notifications: plain text, remembered ------------------------------------------

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Show a toast and remember it in the history (``m``). Thread-safe.

        Never markup, whatever the caller asks (``Widget.notify`` passes
        ``markup=True``): messages carry server text -- an ARM message with ``[/]``
        would raise MarkupError, a Gatekeeper ``[constraint]`` would vanish -- and
        control characters in them are shown, not sent to the terminal.
        """
        del markup
        shown_title = visible(title)
        shown = visible_lines(message)
        self.notices.append(Notice(self.clock(), severity, shown_title, shown))
        super().notify(shown, title=shown_title, severity=severity, timeout=timeout, markup=False)

    def _notify_config_warnings(self) -> None:
        """Config load warnings (near-miss keys, tiny sizes...), once, as one notification."""
        lines: list[str] = []
        for driver in self.drivers:
            for warning in getattr(driver.config, "warnings", ()) or ():
                if warning not in lines:
                    lines.append(warning)
        if lines:
            self.notify(
                "\n".join(lines),
                title=f"Config warning{'s' if len(lines) > 1 else ''} ({len(lines)})",
                severity="warning",
                timeout=15,
            )

    # --- theme: remembered between runs -------------------------------------------------

    def _restore_theme(self) -> None:
        if self.settings_path is not None:
            name = load_settings(self.settings_path).get("theme")
            if isinstance(name, str) and name in self.available_themes:
                self.theme = name
            self.theme_changed_signal.subscribe(self, self._remember_theme)

    def _remember_theme(self, theme: Theme) -> None:
        if self.settings_path is not None:
            save_settings(self.settings_path, {"theme": theme.name})

    def add_drivers(self, drivers: list[AksDriver]) -> None:
        """Add clusters (the demo adds its own once the emulator is up); event loop only."""
        for driver in drivers:
            driver.add_listener(partial(self._driver_event, len(self.drivers)))
            self.drivers.append(driver)
        if self.is_running:
            self.drivers_added_signal.publish(None)

    def report_startup_step(self, text: str) -> None:
        """Thread-safe: say what the start-up task is doing (shown on the overview)."""
        self.post_message(StartupStep(text))

    @on(StartupStep)
    def _startup_step(self, message: StartupStep) -> None:
        self.startup_step = message.text
        self.startup_step_signal.publish(message.text)

    # --- start-up -----------------------------------------------------------------------

    def on_mount(self) -> None:
        from .screens.overview import ClusterOverview

        self._restore_theme()
        self.push_screen(ClusterOverview())
        self._notify_config_warnings()
        if self._startup is not None:
            # After the first paint, so the start-up work never delays it. A daemon
            # thread, not a worker: quitting must not wait for the seeding (asyncio
            # joins its default executor, where thread workers run, at exit).
            self.call_after_refresh(self._start_startup_thread)

    def _start_startup_thread(self) -> None:
        threading.Thread(target=self._run_startup, name="kompox-startup", daemon=True).start()

    def _run_startup(self) -> None:
        assert self._startup is not None
        try:
            self._startup(self)
        except KompoxError as exc:
            self.post_message(StartupFinished(exc))
        except Exception as exc:
            error = KompoxError(f"unexpected {type(exc).__name__}: {exc}")
            self.post_message(StartupFinished(error))
        else:
            self.post_message(StartupFinished())
        # (post_message is thread-safe; if the app already quit the message is dropped.)

    @on(StartupFinished)
    def _startup_finished(self, message: StartupFinished) -> None:
        self.starting_up = False
        if message.error is not None:
            self.notify(
                f"Could not {self._startup_label}: {message.error}",
                title="Start-up failed",
                severity="error",
                timeout=15,
            )
        self.startup_finished_signal.publish(None)

    # --- driver events (called from worker threads) ------------------------------------

    def _driver_event(self, index: int, event: DriverEvent) -> None:
        if isinstance(event, ApiCallEvent):
            self.call_log.append(CallLogEntry(self.drivers[index].config.cluster.name, event))
            self._post_safely(ApiCallsLogged())
        elif isinstance(event, ProgressEvent):
            op = self.operations.running_for(index)
            if op is not None and op.index == index:
                self.operations.route_progress(index, event)
            else:
                self._remember_progress(index, event)

    def _remember_progress(self, index: int, event: ProgressEvent) -> None:
        """Progress of a driver call outside a cluster operation (a volume action from
        the browser): kept in the message history (``m``), so what the driver said --
        e.g. that a role grant was skipped -- is never lost. The screen that started the
        call toasts its own result; repeating every step as a toast would be noise."""
        cluster = self.drivers[index].config.cluster.name
        severity: SeverityLevel = "error" if event.kind == "error" else "information"
        self.notices.append(
            Notice(
                self.clock(),
                severity,
                visible(f"{cluster}: {event.operation}"),
                visible_lines(event.message),
            )
        )

    def _operation_changed(self, op: Operation, finished: bool) -> None:
        self._post_safely(OperationUpdated(op.op_id, finished))

    def _post_safely(self, message: ApiCallsLogged | OperationUpdated) -> None:
        # Events can arrive while the app is shutting down; dropping them then is fine.
        if self.is_running:
            self.post_message(message)

    @on(ApiCallsLogged)
    def _calls_logged(self) -> None:
        self.calls_logged_signal.publish(None)

    @on(OperationUpdated)
    def _operation_updated(self, message: OperationUpdated) -> None:
        op = self.operations.get(message.op_id)
        if op is None:
            return
        from .screens.progress import OperationProgress

        self.operation_signal.publish(op)
        watching = isinstance(self.screen, OperationProgress) and self.screen.operation is op
        if message.finished and not watching:
            if op.state == "succeeded":
                self.notify(f"{op.title} succeeded in {op.elapsed():.0f} s.", title="Done")
            else:
                summary = op.error_summary()
                self.notify(
                    "\n".join(summary[:3]) + "\nPress o on the cluster to see the full log.",
                    title=f"{op.title} failed",
                    severity="error",
                    timeout=15,
                )

    # --- operations -------------------------------------------------------------------

    def start_operation(self, index: int, kind: OperationKind, force: bool = False) -> None:
        """Start (or re-open, if one is running) a long operation and show its progress."""
        from .screens.progress import OperationProgress

        running = self.operations.running_for(index)
        if running is not None:
            self.notify(
                f"{running.title} is still running; showing it.",
                title="Busy",
                severity="warning",
            )
            self.push_screen(OperationProgress(running))
            return
        op = self.operations.start(index, kind, force)
        self.push_screen(OperationProgress(op))

    # --- worker errors: one handler for every screen ----------------------------------

    @on(Worker.StateChanged)
    def worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Turn a failed worker into a notification saying what failed and what to do.

        ``Worker.StateChanged`` does not bubble, so screens forward theirs here
        (``@on(Worker.StateChanged)`` -> ``self.app.worker_state_changed(event)``).
        """
        if event.state != WorkerState.ERROR:
            return
        worker = event.worker
        error = worker.error
        what = worker.description or worker.name or "finish a background task"
        if isinstance(error, KompoxError):
            text = f"Could not {what}: {error}"  # (notify shows it as plain text)
        else:
            text = (
                f"Could not {what}: unexpected {type(error).__name__}: {error}. "
                "See the call log (l) for the requests made."
            )
        self.notify(text, title="Error", severity="error", timeout=12)

    # --- global actions ---------------------------------------------------------------

    async def action_quit(self) -> None:
        """Quit; with operations still running, only on the second press (they go on in Azure)."""
        running = [op for op in self.operations.all() if op.running]
        if running and not self._quit_armed:
            self._quit_armed = True
            self.set_timer(5, self._disarm_quit)
            names = ", ".join(op.title for op in running)
            after = (
                "Quitting the demo stops its emulator, and the operation with it"
                if getattr(self, "demo", None) is not None
                else "Azure finishes it without kompox-tui"
            )
            self.notify(
                f"{names} still running. {after}; press q again to quit now.",
                title="Operation running",
                severity="warning",
            )
            return
        self.exit()

    def _disarm_quit(self) -> None:
        self._quit_armed = False

    def action_interrupt(self) -> None:
        """ctrl+c: quit at once with exit status 130, as an interrupted command does."""
        self.exit(return_code=EXIT_INTERRUPTED)

    def action_notifications(self) -> None:
        from .screens.notifications import NotificationsScreen

        if isinstance(self.screen, NotificationsScreen):
            self.pop_screen()
            return
        self.push_screen(NotificationsScreen())

    def action_help(self) -> None:
        from .screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            self.pop_screen()
            return
        self.push_screen(HelpScreen.for_screen(self.screen))

    def action_toggle_call_log(self) -> None:
        from .screens.call_log import CallLogScreen

        if isinstance(self.screen, CallLogScreen):
            self.pop_screen()
            return
        self.push_screen(CallLogScreen())

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Textual's commands, then every action of the current screen with a description."""
        yield from super().get_system_commands(screen)
        seen: set[str] = set()
        for active in screen.active_bindings.values():
            binding = active.binding
            if not binding.description or not active.enabled:
                continue
            if binding.action in seen or active.node is self:
                continue
            if binding.action in _PALETTE_NOISE or binding.action.startswith(_MOVEMENT):
                continue  # cursor keys and text selection: not commands anyone searches for
            seen.add(binding.action)
            key = binding.key_display or self.get_key_display(binding)
            yield SystemCommand(
                binding.description,
                f"{binding.tooltip or binding.description} (key: {key})",
                partial(self.run_action, binding.action, active.node),
            )
        yield SystemCommand(
            "Call log", "Every API call the driver made (key: l)", self.action_toggle_call_log
        )
        yield SystemCommand(
            "Messages", "Every notification of this session (key: m)", self.action_notifications
        )
        yield SystemCommand("Help", "Every key binding of this screen (key: ?)", self.action_help)
