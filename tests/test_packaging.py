"""The built wheel carries what an installed kompox-tui needs: styles, template, script."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("dist")
    command = [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(ROOT)]
    if importlib.util.find_spec("hatchling") is not None:
        # The backend is already here: no download of an isolated build environment.
        command.insert(4, "--no-isolation")
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    [built] = out.glob("kompox_tui-*.whl")
    return zipfile.ZipFile(built)


def test_every_tcss_file_is_inside_the_wheel(wheel: zipfile.ZipFile) -> None:
    styles = sorted(p.name for p in (ROOT / "styles").glob("*.tcss"))
    assert styles, "styles/ holds no .tcss file"
    names = set(wheel.namelist())
    for name in styles:
        assert f"kompox_tui/styles/{name}" in names


def test_arm_template_is_inside_the_wheel(wheel: zipfile.ZipFile) -> None:
    if not (ROOT / "kompox_tui" / "azure" / "main.json").exists():
        pytest.skip("kompox_tui/azure/main.json is not written yet (drv-cluster)")
    assert "kompox_tui/azure/main.json" in wheel.namelist()


def test_wheel_declares_the_console_script(wheel: zipfile.ZipFile) -> None:
    [entry_points] = [n for n in wheel.namelist() if n.endswith(".dist-info/entry_points.txt")]
    text = wheel.read(entry_points).decode()
    assert "kompox-tui = kompox_tui.cli:main" in text


def test_wheel_holds_the_package_and_no_tests(wheel: zipfile.ZipFile) -> None:
    names = wheel.namelist()
    for module in (
        "__main__.py",
        "cli.py",
        "config/__init__.py",
        "azure/credentials.py",
        "ui/serve_templates/app_index.html",
        "emulator/arm/README.md",
        "azure/templates/kompoxops.json",
    ):
        assert f"kompox_tui/{module}" in names
    assert not any(n.startswith("tests/") for n in names)
