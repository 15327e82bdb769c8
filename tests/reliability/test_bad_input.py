"""Bad input: every malformed kompoxops.yml through the real CLI, as a subprocess.

The cases are the foundation's (``tests/unit/test_config.py::MALFORMED``), each written
with its provider endpoints pointing at a running emulator (when the document has a
settings mapping to put them in). ``python -m kompox_tui -f FILE`` must exit 2 with one
clear ``kompox-tui: error:`` line on stderr naming the file, print no traceback, and send
zero requests to the emulator.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml

from kompox_tui.emulator import Emulator

TESTS = Path(__file__).resolve().parent.parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from unit.test_config import MALFORMED  # noqa: E402  (the foundation's case table)

ROOT = TESTS.parent
Case = tuple[str, Callable[[], Any] | str, list[str]]


def point_at(doc: Any, emu: Emulator) -> Any:
    """Add the emulator's endpoints to provider.settings, never overriding what the case
    set (or removed on purpose: the base document has none of these keys)."""
    provider = doc.get("provider") if isinstance(doc, dict) else None
    settings = provider.get("settings") if isinstance(provider, dict) else None
    if isinstance(settings, dict):
        settings.setdefault("AZURE_RESOURCE_MANAGER_ENDPOINT", emu.arm_url)
        settings.setdefault("AZURE_AUTHORITY_HOST", emu.authority_url)
        settings.setdefault("AZURE_CA_BUNDLE", emu.ca_bundle)
    return doc


def run_cli(path: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_STATE_HOME": str(home / "state"),
        "KOMPOX_DB_URL": "",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("KOMPOX_DB_URL")
    return subprocess.run(
        [sys.executable, "-m", "kompox_tui", "-f", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=path.parent,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture(scope="module")
def results(
    rel_emu: Emulator, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, tuple[Path, subprocess.CompletedProcess[str]]]:
    """Run every case (four at a time) and keep the emulator's request log unchanged."""
    base = tmp_path_factory.mktemp("bad-input")
    home = base / "home"
    home.mkdir()
    jobs: dict[str, Path] = {}
    for case_id, doc, _fragments in MALFORMED:
        folder = base / case_id
        folder.mkdir()
        path = folder / "kompoxops.yml"
        if isinstance(doc, str):
            path.write_text(doc, encoding="utf-8")
        else:
            text = yaml.safe_dump(point_at(doc(), rel_emu), sort_keys=False)
            path.write_text(text, encoding="utf-8")
        jobs[case_id] = path
    before = len(rel_emu.requests())
    with ThreadPoolExecutor(max_workers=4) as pool:
        done = dict(zip(jobs, pool.map(lambda p: run_cli(p, home), jobs.values()), strict=True))
    assert rel_emu.requests()[before:] == [], "a malformed config reached the emulator"
    return {case_id: (jobs[case_id], done[case_id]) for case_id in jobs}


def test_there_are_at_least_thirty_cases() -> None:
    assert len(MALFORMED) >= 30


@pytest.mark.parametrize(
    ("case_id", "fragments"), [pytest.param(c, f, id=c) for c, _doc, f in MALFORMED]
)
def test_malformed_config_exits_2_with_one_clear_line_and_no_request(
    results: dict[str, tuple[Path, subprocess.CompletedProcess[str]]],
    case_id: str,
    fragments: list[str],
) -> None:
    path, proc = results[case_id]
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith("kompox-tui: error: ")
    assert str(path) in lines[0] or path.name in lines[0]
    for fragment in fragments:
        assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"
    assert proc.stdout == ""


# --- issue 16 item 5/7: files that are not files, and URLs with passwords ---------------


def run_env(args: list[str], cwd: Path, home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "HOME": str(home), "PYTHONPATH": str(ROOT), **env}
    for key in ("KOMPOX_DB_URL", "KOMPOX_KOM_APP", "KOMPOX_KOM_PATH"):
        if key not in env:
            environ.pop(key, None)
    return subprocess.run(
        [sys.executable, "-m", "kompox_tui", *args],
        capture_output=True,
        text=True,
        timeout=30,  # a FIFO that blocked the loader would hit this
        env=environ,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
    )


def one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith("kompox-tui: error: ")
    return lines[0]


def test_a_fifo_as_the_config_file_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "kompoxops.yml"
    os.mkfifo(fifo)
    line = one_error_line(run_env(["-f", str(fifo)], tmp_path, tmp_path))
    assert str(fifo) in line and "not a regular file" in line


def test_dev_zero_as_the_config_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    line = one_error_line(run_env(["-f", "/dev/zero"], tmp_path, tmp_path))
    assert "/dev/zero" in line and "not a regular file" in line


def test_a_huge_config_file_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "kompoxops.yml"
    big.write_bytes(b"# " + b"x" * (2 * 1024 * 1024) + b"\n")
    line = one_error_line(run_env(["-f", str(big)], tmp_path, tmp_path))
    assert "at most 1048576 bytes" in line


@pytest.mark.parametrize(
    "url", ["file://admin:PASS-4d1e@host/x.yml", "postgres://admin:PASS-4d1e@db/kompox"]
)
def test_a_password_in_kompox_db_url_is_never_echoed(tmp_path: Path, url: str) -> None:
    line = one_error_line(run_env([], tmp_path, tmp_path, KOMPOX_DB_URL=url))
    assert "PASS-4d1e" not in line and "KOMPOX_DB_URL" in line


def test_a_fifo_in_kompox_kom_path_is_not_read(tmp_path: Path) -> None:
    folder = tmp_path / "kom"
    folder.mkdir()
    os.mkfifo(folder / "pipe.yml")
    proc = run_env([], tmp_path, tmp_path, KOMPOX_KOM_PATH=str(folder))
    # The scan lists regular .yml files only; with none found, discovery moves on.
    line = one_error_line(proc)
    assert "no kompoxops.yml" in line
