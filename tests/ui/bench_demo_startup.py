"""Measure ``kompox-tui --demo`` start-up under a pseudo-terminal (not a pytest test).

Run: ``cd tests/ui && ../../.venv/bin/python bench_demo_startup.py [runs]``. Prints, per run, the
seconds from process start to the first paint (the header) and to the overview being
populated (the provisioned demo cluster's AKS state shown), then quits with ``q``.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import tempfile
import termios
import time

from test_demo_process import ANSI


def one_run(home: str) -> tuple[float, float, float]:
    primary, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 140, 0, 0))
    env = {
        **os.environ,
        "TERM": "xterm-256color",
        "HOME": home,
        "XDG_STATE_HOME": home + "/state",
        "XDG_CONFIG_HOME": home + "/config",
    }
    start = time.monotonic()
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
        start_new_session=True,
    )
    os.close(secondary)
    buffer = bytearray()
    marks: dict[str, float] = {}
    goals = {"paint": b"kompox-tui", "populated": b"Succeeded"}
    while len(marks) < len(goals) and time.monotonic() - start < 30:
        ready, _, _ = select.select([primary], [], [], 0.01)
        if ready:
            buffer.extend(os.read(primary, 65536))
            plain = ANSI.sub(b"", bytes(buffer))
            for name, needle in goals.items():
                if name not in marks and needle in plain:
                    marks[name] = time.monotonic() - start
    os.write(primary, b"q")
    quit_start = time.monotonic()
    while proc.poll() is None and time.monotonic() - quit_start < 20:
        ready, _, _ = select.select([primary], [], [], 0.05)
        if ready:
            try:
                os.read(primary, 65536)
            except OSError:
                break
    proc.wait(5)
    os.close(primary)
    return marks.get("paint", -1), marks.get("populated", -1), time.monotonic() - quit_start


if __name__ == "__main__":
    # One home for all runs: the first seeds the demo, the others start from its cache.
    home = tempfile.mkdtemp()
    for run in range(int(sys.argv[1]) if len(sys.argv) > 1 else 3):
        paint, populated, quit_s = one_run(home)
        print(
            f"{'seeded' if run == 0 else 'cached'}: first paint {paint:.2f} s · "
            f"overview populated {populated:.2f} s · quit {quit_s:.2f} s"
        )
