"""``kompox-tui --demo`` as a real process under a pseudo-terminal.

Starts the console entry point (``python -m kompox_tui``'s ``main``) with a pty as
its terminal, waits until the overview shows both demo clusters, presses ``q`` and
expects exit status 0 with the terminal restored (alternate screen left).
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

ANSI = re.compile(rb"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07|\x1b[()][0-9A-Za-z]|\x1b[=>]")


def _read_until(fd: int, buffer: bytearray, needles: list[bytes], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                return False
            if not chunk:
                return False
            buffer.extend(chunk)
        plain = ANSI.sub(b"", bytes(buffer))
        if all(n in plain for n in needles):
            return True
    return False


def test_demo_process_shows_the_overview_and_quits_with_q(tmp_path: Path) -> None:
    primary, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 140, 0, 0))
    env = {
        **os.environ,
        "TERM": "xterm-256color",
        "COLUMNS": "140",
        "LINES": "40",
        "HOME": str(tmp_path),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }
    env.pop("TEXTUAL", None)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from kompox_tui.cli import main; sys.exit(main())",
            "--demo",
        ],
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        env=env,
        close_fds=True,
        start_new_session=True,
    )
    os.close(secondary)
    output = bytearray()
    try:
        assert _read_until(primary, output, [b"prod", b"staging", b"Cluster"], 25), ANSI.sub(
            b"", bytes(output)
        )[-2000:].decode(errors="replace")
        os.write(primary, b"q")
        deadline = time.monotonic() + 15
        while proc.poll() is None and time.monotonic() < deadline:
            _read_until(primary, output, [b"\x00never"], 0.2)
        assert proc.poll() == 0, ANSI.sub(b"", bytes(output))[-2000:].decode(errors="replace")
        assert b"\x1b[?1049l" in output, "the alternate screen was not left"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(primary)
