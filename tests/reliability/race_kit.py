"""Racing driver calls in separate processes, cheaply: a fork server ("zygote").

Spawning a Python process that imports the Azure SDKs and the kubernetes client takes
seconds on a loaded machine; a race test needs two fresh processes per round (one of them
possibly SIGKILLed). So one zygote process imports everything once and forks a child per
child. A child builds its own :class:`AksDriver` from a kompoxops.yml (its own token,
connections and lease identity -- a separate kompox-tui instance), warms up, writes
``<id>.ready``, waits for its job in ``<id>.go``, runs that one driver call and writes
``<id>.json`` (ok, error type and message, notes, wall-clock start/end). Children are
forked one round ahead, so their warm-up overlaps the previous round. Run as
``python race_kit.py CONFIG WORKDIR LEASE_SECONDS``; it reads one JSON spec per stdin
line and answers ``<id> <pid>``.

Used by tests/reliability/test_assign_race.py and bench/race.py.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


# --- the zygote (runs in its own process) ----------------------------------------------


def _child(config: str, workdir: Path, lease: float, spec: dict[str, Any]) -> None:
    from kompox_tui.azure.driver import AksDriver
    from kompox_tui.config import load_config
    from kompox_tui.errors import KompoxError

    marks = [time.monotonic()]
    driver = AksDriver(load_config(spec.get("config") or config))
    clients = driver.clients
    clients.polling_interval = 0.01
    clients.retry_backoff_factor = 0.01
    clients.retry_backoff_max = 0.05
    ops = driver._volume_ops
    ops.polling_interval = 0.01
    ops.lease_duration = lease
    ops.lease_retry = 0.02
    result: dict[str, Any] = {"id": spec["id"], "ok": False}
    try:
        marks.append(time.monotonic())
        driver.disk_list(spec.get("volume", "db"))  # warm: token, connection
        marks.append(time.monotonic())
        if ops.lease_kube is not None:
            with contextlib.suppress(KompoxError):
                ops.lease_kube("warm-up")  # warm: stack, kubeconfig, kubernetes client
    except KompoxError as exc:
        result["warm_error"] = str(exc)
    marks.append(time.monotonic())
    result["warm"] = [round(b - a, 3) for a, b in itertools.pairwise(marks)]
    (workdir / f"{spec['id']}.ready").touch()
    go = workdir / f"{spec['id']}.go"
    while not go.exists():
        time.sleep(0.001)
    job = json.loads(go.read_text())
    result["job"] = job
    result["t0"] = time.time()
    try:
        if job["op"] == "assign":
            outcome = driver.disk_assign(job.get("volume", "db"), job["disk"])
            result["notes"] = list(outcome.notes)
        elif job["op"] == "delete":
            driver.disk_delete(job.get("volume", "db"), job["disk"], force=bool(job.get("force")))
        result["ok"] = True
    except KompoxError as exc:
        result["error"] = type(exc).__name__
        result["message"] = str(exc)
    result["t1"] = time.time()
    tmp = workdir / f"{spec['id']}.tmp"
    tmp.write_text(json.dumps(result))
    tmp.rename(workdir / f"{spec['id']}.json")


def _warm_up(config: str) -> None:
    """One throwaway driver call in the zygote, so every module imported lazily on the
    way (MSAL, TLS setup, kubeconfig loading) is imported once; then no thread and no
    connection is left for the forks to inherit."""
    import threading

    from kompox_tui.azure.driver import AksDriver
    from kompox_tui.config import load_config
    from kompox_tui.errors import KompoxError

    driver = AksDriver(load_config(config))
    try:
        driver.disk_list("db")
        lease_kube = driver._volume_ops.lease_kube
        if lease_kube is not None:
            lease_kube("warm-up")
    except KompoxError:
        pass
    driver.close()
    for thread in threading.enumerate():
        if thread is not threading.main_thread():
            thread.join(5)


def zygote_main(config: str, workdir: str, lease: float) -> None:
    # Imported once here, inherited by every fork.
    import azure.identity
    import azure.mgmt.compute
    import azure.mgmt.containerservice
    import azure.mgmt.resource.deploymentstacks  # noqa: F401
    import kubernetes.client  # noqa: F401

    import kompox_tui.azure.assign
    import kompox_tui.azure.cluster
    import kompox_tui.azure.driver  # noqa: F401

    _warm_up(config)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped automatically
    print("ready", flush=True)
    for line in sys.stdin:
        spec = json.loads(line)
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            code = 0
            try:
                _child(config, Path(workdir), lease, spec)
            except BaseException:  # a crash is a result too: the parent sees no .json
                code = 1
            os._exit(code)
        print(f"{spec['id']} {pid}", flush=True)


# --- the parent's side -----------------------------------------------------------------


@dataclass
class Child:
    id: str
    pid: int
    config: str
    job: dict[str, Any] | None = None


class Zygote:
    """One fork server; children warm up as soon as they are forked (see :meth:`take`)."""

    def __init__(self, config: Path, workdir: Path, lease: float = 1.0) -> None:
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "race_kit.py"), str(config), str(workdir), str(lease)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if line != "ready":
            raise RuntimeError(f"race zygote did not start: {line!r}")
        self._count = 0
        self._spare: dict[str, list[Child]] = {}
        self.children: list[Child] = []

    def spawn(self, config: Path | str) -> Child:
        """Fork a fresh instance for ``config``; it warms up in the background."""
        self._count += 1
        spec = {"id": f"c{self._count}", "config": str(config)}
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(spec) + "\n")
        self.proc.stdin.flush()
        child_id, pid = self.proc.stdout.readline().split()
        assert child_id == spec["id"]
        child = Child(child_id, int(pid), str(config))
        self.children.append(child)
        return child

    def take(self, config: Path | str, count: int = 2) -> list[Child]:
        """``count`` warm instances for ``config``; as many replacements are forked at
        once, so they warm up while this round runs."""
        key = str(config)
        spare = self._spare.setdefault(key, [])
        while len(spare) < count:
            spare.append(self.spawn(key))
        taken, spare[:] = spare[:count], spare[count:]
        spare.extend(self.spawn(key) for _ in range(count))
        self.wait_ready(taken)
        return taken

    def wait_ready(self, children: list[Child], timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        for child in children:
            path = self.workdir / f"{child.id}.ready"
            while not path.exists():
                if time.monotonic() > deadline or not _alive(child.pid):
                    raise RuntimeError(f"race child {child.id} never got ready")
                time.sleep(0.005)

    def go(self, pairs: list[tuple[Child, dict[str, Any]]]) -> None:
        """Hand each child its job; they start within a millisecond of each other."""
        for child, job in pairs:
            child.job = job
            tmp = self.workdir / f"{child.id}.gotmp"
            tmp.write_text(json.dumps(job))
            tmp.rename(self.workdir / f"{child.id}.go")

    def result(self, child: Child, timeout: float = 90.0) -> dict[str, Any] | None:
        """The child's result, or None when it died without one (killed)."""
        path = self.workdir / f"{child.id}.json"
        deadline = time.monotonic() + timeout
        while not path.exists():
            if not _alive(child.pid):
                time.sleep(0.01)
                return json.loads(path.read_text()) if path.exists() else None
            if time.monotonic() > deadline:
                raise RuntimeError(f"race child {child.id} did not finish")
            time.sleep(0.005)
        data: dict[str, Any] = json.loads(path.read_text())
        return data

    def close(self) -> None:
        for child in self.children:  # spare instances still waiting for a job
            if not (self.workdir / f"{child.id}.json").exists():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child.pid, signal.SIGKILL)
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still answers kill(0); the zygote reaps with SIG_IGN, so this is rare.
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().split(") ", 1)[1][:1] != "Z"
    except (OSError, IndexError):
        return False


def overlapped(a: dict[str, Any] | None, b: dict[str, Any] | None) -> bool:
    """Did the two calls run at the same time (their start-end intervals intersect)?"""
    if not a or not b or "t0" not in a or "t0" not in b:
        return False
    return bool(a["t0"] < b["t1"] and b["t0"] < a["t1"])


if __name__ == "__main__":
    zygote_main(sys.argv[1], sys.argv[2], float(sys.argv[3]))
