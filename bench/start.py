"""start: ``kompox-tui --demo`` from process start to first paint and to a full overview.

Each run starts ``python -m kompox_tui --demo`` under a pseudo-terminal (140x40) with a
private HOME, and reads the screen: first paint = the header ("kompox-tui") is drawn;
populated = every demo cluster's status is shown (prod "Succeeded", staging "absent").
The first run seeds the demo (its cache is then reused, as for a user's second start)
and is reported apart. Targets (median of the warm starts, issue 15): first paint
<= 0.5 s, populated <= 1.2 s.

Besides wall time, which on a shared machine mostly measures the load, each mark also
reports the CPU seconds the UI process had used by then (``/proc/PID/stat``), and the
demo emulator process's CPU at "populated": these barely depend on the load and show
what is on the critical path on an idle machine.

Bytecode: the runs get a private ``PYTHONPYCACHEPREFIX`` and never
``PYTHONDONTWRITEBYTECODE`` (set in some development shells), so warm starts use
compiled bytecode as an installed wheel does; the first run compiles it.

``--imports`` prints the ``python -X importtime`` breakdown instead: the UI entry up to
the first paint, and what the first status refresh adds on top of it.

Run: ``.venv/bin/python bench/start.py [--runs N] [--imports]``
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
PAINT_TARGET, POPULATED_TARGET = 0.5, 1.2
GOALS = {"paint": [b"kompox-tui"], "populated": [b"Succeeded", b"absent"]}


def _cpu_seconds(pid: int) -> float:
    """utime + stime of a process so far (Linux), NaN when unavailable."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def _children_cpu(pid: int) -> float:
    """CPU seconds of the direct children of ``pid`` (the demo's emulator process)."""
    total = 0.0
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as fh:
                total += sum(_cpu_seconds(int(c)) for c in fh.read().split())
    except OSError:
        return float("nan")
    return total


def child_env(home: str) -> dict[str, str]:
    env = {
        **os.environ,
        "TERM": "xterm-256color",
        "HOME": home,
        "XDG_STATE_HOME": home + "/state",
        "XDG_CONFIG_HOME": home + "/config",
        "XDG_CACHE_HOME": home + "/cache",
        "PYTHONPYCACHEPREFIX": home + "/pycache",
    }
    env.pop("KOMPOX_DB_URL", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def one_run(home: str, timeout: float = 60.0) -> dict[str, float]:
    primary, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 140, 0, 0))
    env = child_env(home)
    start = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kompox_tui", "--demo"],
        stdin=secondary, stdout=secondary, stderr=secondary, env=env, cwd=ROOT,
        start_new_session=True,
    )  # fmt: skip
    os.close(secondary)
    buffer = bytearray()
    marks: dict[str, float] = {}
    cpu: dict[str, float] = {}
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
                    cpu[name] = _cpu_seconds(proc.pid)
                    if name == "populated":
                        cpu["emulator"] = _children_cpu(proc.pid)
    if len(marks) < len(GOALS) and os.environ.get("BENCH_START_DUMP"):
        # Diagnose a start that never got there: the last screen, without escapes.
        with open(os.environ["BENCH_START_DUMP"], "ab") as fh:
            fh.write(ANSI.sub(b"", bytes(buffer))[-6000:] + b"\n----\n")
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
        "paint_cpu": cpu.get("paint", float("nan")),
        "populated_cpu": cpu.get("populated", float("nan")),
        "emulator_cpu": cpu.get("emulator", float("nan")),
    }


def import_time(module: str, env: dict[str, str]) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT,
        env=env,
    )  # fmt: skip
    return float(out.stdout.strip())


#: What the UI process imports before its first paint, and what the first status refresh
#: adds (``warm_imports`` is exactly the status path's import list).
UI_ENTRY = (
    "import kompox_tui.cli, kompox_tui.ui.launch, kompox_tui.ui.app, kompox_tui.ui.screens.overview"
)
STATUS_PATH = "import kompox_tui.azure.cluster_status as s; s.warm_imports()"
IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)([\w.]+)")


def import_breakdown(env: dict[str, str], runs: int) -> None:
    """``-X importtime``: median cumulative ms of the top-level imports of each phase."""
    phases = {"UI entry (before the first paint)": (UI_ENTRY, ""),
              "status path (added by the first refresh)": (STATUS_PATH, UI_ENTRY)}  # fmt: skip
    for title, (code, before) in phases.items():
        samples: dict[str, list[float]] = {}
        totals: list[float] = []
        for _ in range(runs):
            # Modules ``before`` imports are loaded first and left out of the breakdown.
            script = f"{before}\nimport sys; sys.stderr.write('MARK\\n')\n{code}"
            err = subprocess.run(
                [sys.executable, "-X", "importtime", "-c", script],
                capture_output=True, text=True, check=True, cwd=ROOT, env=env,
            ).stderr  # fmt: skip
            tail = err.split("MARK\n", 1)[1]
            total = 0.0
            for match in IMPORT_LINE.finditer(tail):
                depth = len(match.group(3)) // 2
                ms = int(match.group(2)) / 1000
                if depth <= 1:  # top level, and what each top-level import pulls in
                    samples.setdefault("  " * depth + match.group(4), []).append(ms)
                if depth == 0:
                    total += ms
            totals.append(total)
        rows = sorted(
            ((median(v), name) for name, v in samples.items() if median(v) >= 8), reverse=True
        )
        print_table(
            f"import breakdown: {title}, median of {runs} fresh interpreters",
            ["top-level import", "cumulative ms"],
            [*[[name, f"{ms:.0f}"] for ms, name in rows[:16]],
             ["(all top-level imports)", f"{median(totals):.0f}"]],
        )  # fmt: skip
    print(f"\nmachine: {machine()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--imports", action="store_true", help="the import breakdown only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        env = child_env(home)
        if args.imports:
            import_time("kompox_tui.ui.app", env)  # compiles the bytecode once
            import_breakdown(env, args.runs)
            return
        cold = one_run(home)
        runs = [one_run(home) for _ in range(args.runs)]
        imports = {m: [import_time(m, env) for _ in range(5)] for m in
                   ("kompox_tui.ui.app", "kompox_tui.azure.driver")}  # fmt: skip
    # A start that never got there (60 s) is reported, not averaged in.
    failed = sum(1 for r in runs if r["populated"] != r["populated"])
    runs = [r for r in runs if r["populated"] == r["populated"]] or runs
    paint = [r["paint"] for r in runs]
    populated = [r["populated"] for r in runs]

    def cpu(key: str) -> str:
        values = [r[key] for r in runs]
        return f"{median(values):.2f} s" if values else "n/a"

    print_table(
        f"start: kompox-tui --demo under a pty, median of {args.runs} warm starts",
        ["measure", "median", "spread", "UI process CPU", "target", "verdict"],
        [
            ["process start -> first paint", f"{median(paint):.2f} s", spread(paint, "s", 2),
             cpu("paint_cpu"), f"<= {PAINT_TARGET} s", verdict(median(paint), PAINT_TARGET)],
            ["process start -> overview populated", f"{median(populated):.2f} s",
             spread(populated, "s", 2), cpu("populated_cpu"), f"<= {POPULATED_TARGET} s",
             verdict(median(populated), POPULATED_TARGET)],
            ["demo emulator process CPU at populated", cpu("emulator_cpu"), "", "", "", ""],
            ["first start ever (seeds the demo): first paint / populated",
             f"{cold['paint']:.2f} s / {cold['populated']:.2f} s", "", "", "", ""],
            *[[f"import {m}", f"{median(v) * 1000:.0f} ms", spread(v, "s", 3), "", "", ""]
              for m, v in imports.items()],
        ],
    )  # fmt: skip
    if failed:
        print(f"\n{failed} of {args.runs} warm starts never showed the populated overview")
    print(f"\nmachine: {machine()}")


if __name__ == "__main__":
    main()
