"""start: ``kompox-tui --demo`` from process start to first paint and to a full overview.

Each run starts ``python -m kompox_tui --demo`` under a pseudo-terminal (140x40) with a
private HOME, and reads the screen: first paint = the header ("kompox-tui") is drawn;
populated = every demo cluster's status is shown (prod "Succeeded", staging "absent").
The first run seeds the demo (its cache is then reused, as for a user's second start)
and is reported apart. Also: import time of ``kompox_tui.ui.app`` and of
``kompox_tui.azure.driver`` in a fresh interpreter. Targets (median): first paint
<= 0.6 s, populated <= 1.5 s.

Run: ``.venv/bin/python bench/start.py [--runs N]``
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import tempfile
import termios
import time

from _common import ROOT, machine, median, print_table, spread, verdict

ANSI = re.compile(rb"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-B]|\x1b[=>]|\x1b\][^\x07]*\x07")
PAINT_TARGET, POPULATED_TARGET = 0.6, 1.5
GOALS = {"paint": [b"kompox-tui"], "populated": [b"Succeeded", b"absent"]}


def one_run(home: str, timeout: float = 60.0) -> dict[str, float]:
    primary, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 140, 0, 0))
    env = {
        **os.environ,
        "TERM": "xterm-256color",
        "HOME": home,
        "XDG_STATE_HOME": home + "/state",
        "XDG_CONFIG_HOME": home + "/config",
        "XDG_CACHE_HOME": home + "/cache",
    }
    env.pop("KOMPOX_DB_URL", None)
    start = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kompox_tui", "--demo"],
        stdin=secondary, stdout=secondary, stderr=secondary, env=env, cwd=ROOT,
        start_new_session=True,
    )  # fmt: skip
    os.close(secondary)
    buffer = bytearray()
    marks: dict[str, float] = {}
    while len(marks) < len(GOALS) and time.monotonic() - start < timeout:
        ready, _, _ = select.select([primary], [], [], 0.005)
        if ready:
            try:
                buffer.extend(os.read(primary, 65536))
            except OSError:
                break
            plain = ANSI.sub(b"", bytes(buffer))
            for name, needles in GOALS.items():
                if name not in marks and all(n in plain for n in needles):
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
    if proc.poll() is None:
        proc.kill()
    proc.wait(5)
    os.close(primary)
    return {
        "paint": marks.get("paint", float("nan")),
        "populated": marks.get("populated", float("nan")),
        "quit": time.monotonic() - quit_start,
    }


def import_time(module: str) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return float(out.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        cold = one_run(home)
        runs = [one_run(home) for _ in range(args.runs)]
    paint = [r["paint"] for r in runs]
    populated = [r["populated"] for r in runs]
    imports = {m: [import_time(m) for _ in range(5)] for m in
               ("kompox_tui.ui.app", "kompox_tui.azure.driver")}  # fmt: skip
    print_table(
        f"start: kompox-tui --demo under a pty, median of {args.runs} warm starts",
        ["measure", "median", "spread", "target", "verdict"],
        [
            ["process start -> first paint", f"{median(paint):.2f} s", spread(paint, "s", 2),
             f"<= {PAINT_TARGET} s", verdict(median(paint), PAINT_TARGET)],
            ["process start -> overview populated", f"{median(populated):.2f} s",
             spread(populated, "s", 2), f"<= {POPULATED_TARGET} s",
             verdict(median(populated), POPULATED_TARGET)],
            ["first start ever (seeds the demo): first paint / populated",
             f"{cold['paint']:.2f} s / {cold['populated']:.2f} s", "", "", ""],
            *[[f"import {m}", f"{median(v) * 1000:.0f} ms", spread(v, "s", 3), "", ""]
              for m, v in imports.items()],
        ],
    )  # fmt: skip
    print(f"\nmachine: {machine()}")


if __name__ == "__main__":
    main()
