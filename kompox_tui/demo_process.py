"""``kompox-tui --demo``'s emulator in a process of its own (issue 15.5, start-up time).

In one process the emulator's import and start, and then every request it answers,
compete for the GIL with the UI drawing its first frames and with the first status
refresh importing the Azure SDKs. So ``--demo`` starts this module as a child process
(``python -m kompox_tui.demo_process STATE_DIR``) before it imports Textual: the child
runs :class:`~.demo.DemoEnvironment` unchanged -- the emulator, the cached or freshly
seeded state, the kompoxops.yml files -- on the second core, while the UI process
imports Textual, paints, and imports the SDK modules the first refresh needs
(:func:`~.azure.cluster_status.warm_imports`).

:class:`DemoProcess` is the UI side, with the interface ``ui/launch.py`` uses of
``DemoEnvironment`` (``start_emulator``, ``seed``, ``stop``, ``kubeconfig_dir``).

The protocol: the child writes one JSON object per line on its stdout --
``{"event": "configs", "paths": [...], "env": {...}, "kubeconfig": ...}`` once the
emulator serves and the files are written; ``{"event": "step", "text": ...}`` while it
seeds; ``{"event": "ready", ...}`` when seeded; ``{"event": "error", "message": ...}``
instead when something fails. ``env`` holds the managed-identity endpoint and header;
they travel over the pipe only (never a file, as in the one-process demo). The child
serves until its stdin reaches end of file: when the UI quits, crashes or is killed,
the pipe closes and the emulator stops with it.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from .errors import KompoxError
from .model import Config

#: The emulator process's niceness (see :func:`serve`).
NICE = 10
#: How long the UI waits for the child's next line (a cold seeding takes a few seconds).
LINE_TIMEOUT = 120.0


class DemoProcess:
    """The demo emulator in a child process, seen from the UI process."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.configs: list[Config] = []
        self.from_cache = False
        self.seed_seconds: float | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None

    @property
    def kubeconfig_dir(self) -> Path:
        """Where ``k`` saves a demo cluster's kubeconfig (not the user's ~/.config)."""
        return self.state_dir / "kubeconfig.d"

    def spawn(self) -> None:
        """Start the child now (it works while this process imports the UI)."""
        if self._proc is not None:
            return
        package_root = str(Path(__file__).resolve().parent.parent)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (package_root, env.get("PYTHONPATH", "")) if p
        )
        # Its diagnostics go to an unnamed private file, read only to explain a failure
        # (a pipe nobody reads could fill up and stall the emulator).
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "kompox_tui.demo_process", str(self.state_dir)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=env,
            close_fds=True,
            # Unbuffered: a line already read into a buffer would be invisible to the
            # select() in _readline, which would then wait for nothing.
            bufsize=0,
        )

    def start_emulator(self) -> list[Config]:
        """Wait until the child's emulator serves; load the kompoxops.yml files it wrote."""
        from .azure.cluster_status import warm_imports
        from .config import load_configs

        self.spawn()
        # While the child starts: import what the first status refresh needs, so the
        # refresh does not wait for them once the clusters are there.
        with contextlib.suppress(Exception):  # only a head start: the refresh imports anyway
            warm_imports()
        message = self._expect("configs")
        # Managed identity: the configs name no secret; the endpoint and its header live
        # in the environment of the two processes only, set before any credential.
        os.environ.update({str(k): str(v) for k, v in dict(message["env"]).items()})
        # "Merge kubeconfig" in the demo must never touch the user's real ~/.kube/config.
        os.environ["KUBECONFIG"] = str(message["kubeconfig"])
        self.configs = load_configs([Path(p) for p in message["paths"]])
        return self.configs

    def seed(self, on_step: Callable[[str], None] | None = None) -> None:
        """Wait until the child has seeded (at once when it loaded the cached seed)."""
        step = on_step or (lambda _text: None)
        while True:
            message = self._next()
            if message.get("event") == "step":
                step(str(message.get("text", "")))
            elif message.get("event") == "ready":
                self.from_cache = bool(message.get("from_cache"))
                seconds = message.get("seed_seconds")
                self.seed_seconds = float(seconds) if seconds is not None else None
                return
            else:
                raise self._unexpected(message)

    def stop(self) -> None:
        """Close the child's stdin (it stops its emulator and exits); kill it if it hangs."""
        proc, self._proc = self._proc, None
        if proc is not None:
            with contextlib.suppress(OSError):
                if proc.stdin is not None:
                    proc.stdin.close()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
            if proc.stdout is not None:
                proc.stdout.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    # --- reading the child -------------------------------------------------------------

    def _expect(self, event: str) -> dict[str, Any]:
        message = self._next()
        if message.get("event") != event:
            raise self._unexpected(message)
        return message

    def _next(self) -> dict[str, Any]:
        proc = self._proc
        if proc is None or proc.stdout is None:
            raise KompoxError("the demo emulator is not running")
        line = _readline(proc.stdout, LINE_TIMEOUT)
        if line is None:
            raise KompoxError(
                f"the demo emulator gave no sign of life for {LINE_TIMEOUT:.0f} s",
                hint="run kompox-tui --demo again",
            )
        if not line:
            status = proc.wait(timeout=5)
            raise KompoxError(
                f"the demo emulator exited (status {status}) before it was ready"
                + self._diagnostics(),
                hint="run kompox-tui --demo again; delete the demo directory "
                f"{self.state_dir} if it keeps failing",
            )
        try:
            message = json.loads(line)
        except ValueError:
            message = None
        if not isinstance(message, dict):
            raise KompoxError("the demo emulator wrote something that is not its protocol")
        return message

    def _unexpected(self, message: dict[str, Any]) -> KompoxError:
        if message.get("event") == "error":
            return KompoxError(str(message.get("message") or "the demo emulator failed"))
        return KompoxError(f"the demo emulator sent an unexpected {message.get('event')!r}")

    def _diagnostics(self) -> str:
        """The last line the child wrote to stderr (a traceback's last line), if any."""
        if self._stderr is None:
            return ""
        with contextlib.suppress(OSError):
            self._stderr.seek(0)
            lines = self._stderr.read().decode("utf-8", "replace").strip().splitlines()
            if lines:
                return f": {lines[-1][:300]}"
        return ""


def _readline(stream: IO[bytes], timeout: float) -> bytes | None:
    """One line, b"" at end of file, None when nothing came within ``timeout``."""
    import selectors

    if os.name == "nt":  # select() takes sockets only there: wait without a limit
        return stream.readline()
    with selectors.DefaultSelector() as selector:
        selector.register(stream, selectors.EVENT_READ)
        if not selector.select(timeout):
            return None
    return stream.readline()


# --- the child -------------------------------------------------------------------------


def serve(state_dir: Path) -> int:
    """The child's main: start the demo, report on stdout, serve until stdin closes."""
    import signal

    from .demo import DemoEnvironment

    # The UI comes first: on a busy machine the emulator must not slow its first paint
    # (on an idle one the emulator has a core of its own and the priority changes nothing).
    with contextlib.suppress(OSError, AttributeError):
        os.nice(NICE)
    # The protocol owns the real stdout; anything else printed goes to stderr.
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)
    # Ctrl+C in the terminal is the UI's to handle; the emulator ends when the UI does.
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def send(**message: Any) -> None:
        channel.write(json.dumps(message) + "\n")
        channel.flush()

    env = DemoEnvironment(state_dir)
    try:
        configs = env.start_emulator()
        emulator = env.emulator
        assert emulator is not None
        send(
            event="configs",
            paths=[str(c.path) for c in configs],
            env=emulator.managed_identity_env,
            kubeconfig=os.environ["KUBECONFIG"],
        )
        env.seed(lambda text: send(event="step", text=text))
        send(event="ready", from_cache=env.from_cache, seed_seconds=env.seed_seconds)
    except KompoxError as exc:
        send(event="error", message=str(exc))
    except OSError as exc:  # e.g. the state directory cannot be written
        where = f": {exc.filename}" if exc.filename else ""
        reason = exc.strerror or str(exc)
        send(event="error", message=f"cannot start the demo emulator ({reason}{where})")
    except Exception as exc:  # reported to the UI, which shows it; never a traceback there
        send(event="error", message=f"unexpected {type(exc).__name__}: {exc}")
    try:
        sys.stdin.buffer.read()  # until the UI closes the pipe (or goes away)
    finally:
        env.stop()
    return 0


if __name__ == "__main__":
    sys.exit(serve(Path(sys.argv[1])))
