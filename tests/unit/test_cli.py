"""The command line: help text, exit codes, and one clear line for every user error."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from kompox_tui import __version__
from kompox_tui.cli import main
from kompox_tui.errors import AzureError, ConfigError
from kompox_tui.model import Config

SUB = "00000000-0000-0000-0000-0000000000aa"


def good_doc(cluster: str = "cluster1") -> dict[str, object]:
    return {
        "version": "v1",
        "service": {"name": "svc1"},
        "provider": {
            "name": "aks1",
            "driver": "aks",
            "settings": {
                "AZURE_SUBSCRIPTION_ID": SUB,
                "AZURE_LOCATION": "japaneast",
                "AZURE_AUTH_METHOD": "azure_cli",
            },
        },
        "cluster": {"name": cluster},
        "app": {"name": "app1", "volumes": [{"name": "db", "size": "1Gi"}]},
    }


def write(path: Path, doc: object) -> Path:
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def run_cli(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "KOMPOX_DB_URL"}
    environ.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "kompox_tui", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environ,
        timeout=60,
    )


def assert_one_clear_error(result: subprocess.CompletedProcess[str], code: int) -> str:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("kompox-tui: error: ")
    return lines[0]


# --- help ------------------------------------------------------------------------------


def test_help_lists_options_and_commands() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    for option in ("-f FILE, --file FILE", "--read-only", "--demo", "--version"):
        assert option in result.stdout
    for command in ("emulator", "serve"):
        assert command in result.stdout
    assert "KOMPOX_DB_URL=file:PATH" in result.stdout


def test_emulator_help_documents_its_options() -> None:
    result = run_cli("emulator", "--help")
    assert result.returncode == 0
    for option in ("--port", "--speed", "--faults", "--state", "--write-config", "--page-size"):
        assert option in result.stdout


def test_serve_help_mentions_the_web_browser() -> None:
    result = run_cli("serve", "--help")
    assert result.returncode == 0
    assert "web browser" in result.stdout and "textual-serve" in result.stdout


def test_version() -> None:
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"kompox-tui {__version__}"


def test_unknown_option_is_a_usage_error() -> None:
    assert main(["--no-such-option"]) == 2


# --- configuration errors (subprocess: exactly what a user sees) -------------------------


def test_broken_config_prints_one_error_and_exits_2(tmp_path: Path) -> None:
    doc = good_doc()
    doc["app"] = {"name": "app1", "volumes": [{"name": "db", "size": "1Gi"}, {"name": "x"}]}
    broken = write(tmp_path / "broken.yml", doc)
    result = run_cli("-f", str(broken))
    line = assert_one_clear_error(result, 2)
    assert str(broken) in line and "app.volumes[1].size" in line
    assert result.stdout == ""


def test_not_yaml_prints_one_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("version: v1\nprovider: [unclosed\n")
    line = assert_one_clear_error(run_cli("-f", str(broken)), 2)
    assert "not valid YAML" in line


def test_missing_file_prints_one_error(tmp_path: Path) -> None:
    line = assert_one_clear_error(run_cli("-f", str(tmp_path / "missing.yml")), 2)
    assert "missing.yml" in line and "file not found" in line


def test_no_config_anywhere_suggests_demo(tmp_path: Path) -> None:
    line = assert_one_clear_error(run_cli(cwd=tmp_path), 2)
    assert "no kompoxops.yml" in line and "--demo" in line


def test_unsupported_db_url_scheme(tmp_path: Path) -> None:
    result = run_cli(cwd=tmp_path, env={"KOMPOX_DB_URL": "sqlite:kompox.db"})
    line = assert_one_clear_error(result, 2)
    assert "KOMPOX_DB_URL" in line and "'sqlite:'" in line


def test_serve_with_a_broken_config_exits_2_before_serving(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("version: v1\nprovider: [not, a, mapping\n")
    result = run_cli("serve", "--port", str(_free_port()), "-f", str(broken))
    line = assert_one_clear_error(result, 2)
    assert "broken.yml" in line


def test_serve_without_a_config_says_how_to_get_one(tmp_path: Path) -> None:
    line = assert_one_clear_error(run_cli("serve", cwd=tmp_path), 2)
    assert "no kompoxops.yml" in line


def test_serve_help_says_other_addresses_expose_the_ui() -> None:
    result = run_cli("serve", "--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    assert "127.0.0.1" in text and "exposes it to anyone" in text
    assert "--public-url" in text


def test_serve_command_runs_the_same_ui_with_the_same_options(tmp_path: Path) -> None:
    from kompox_tui.ui.serve import app_command

    command = app_command([Path("a b.yml")], demo=False, read_only=True, python="/py")
    assert command == f"/py -m kompox_tui -f '{(Path.cwd() / 'a b.yml')}' --read-only"
    assert app_command([], demo=True, read_only=False, python="/py") == ("/py -m kompox_tui --demo")


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_answers_the_page_on_localhost_and_stops_on_sigterm(tmp_path: Path) -> None:
    import signal
    import time
    import urllib.request

    path = write(tmp_path / "kompoxops.yml", good_doc())
    port = _free_port()
    environ = {k: v for k, v in os.environ.items() if k != "KOMPOX_DB_URL"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "kompox_tui", "serve", "--port", str(port), "-f", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environ,
    )
    try:
        deadline = time.monotonic() + 20
        page = ""
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                    assert response.status == 200
                    page = response.read().decode("utf-8")
                    break
            except OSError:
                time.sleep(0.1)
        assert page, proc.stderr.read() if proc.stderr and proc.poll() is not None else "no answer"
        assert "kompox-tui" in page
        assert f"ws://127.0.0.1:{port}/ws" in page
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        out, err = proc.communicate()
        assert "Traceback" not in out + err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_serve_on_a_port_in_use_is_one_clear_error(tmp_path: Path) -> None:
    import socket

    path = write(tmp_path / "kompoxops.yml", good_doc())
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        result = run_cli("serve", "--port", str(port), "-f", str(path))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Serving" not in result.stdout  # no banner for a server that never started


# --- the main path, with a stand-in for the UI --------------------------------------------


class RecordingLauncher:
    def __init__(self, result: int = 0, error: BaseException | None = None) -> None:
        self.result = result
        self.error = error
        self.calls: list[tuple[list[Config], bool, bool]] = []

    def __call__(self, configs: list[Config], *, demo: bool, read_only: bool) -> int:
        self.calls.append((configs, demo, read_only))
        if self.error is not None:
            raise self.error
        return self.result


def test_configs_are_loaded_before_the_ui_starts(tmp_path: Path) -> None:
    first = write(tmp_path / "a.yml", good_doc("cluster1"))
    second = write(tmp_path / "b.yml", good_doc("cluster2"))
    launcher = RecordingLauncher()
    assert main(["-f", str(first), "-f", str(second), "--read-only"], launch=launcher) == 0
    [(configs, demo, read_only)] = launcher.calls
    assert [c.cluster.name for c in configs] == ["cluster1", "cluster2"]
    assert demo is False and read_only is True


def test_kompox_db_url_is_used_without_f(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path / "conf.yml", good_doc())
    monkeypatch.setenv("KOMPOX_DB_URL", f"file:{path}")
    launcher = RecordingLauncher()
    assert main([], launch=launcher) == 0
    assert launcher.calls[0][0][0].path == path.resolve()


def test_demo_skips_discovery(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no kompoxops.yml here: discovery would fail
    monkeypatch.delenv("KOMPOX_DB_URL", raising=False)
    launcher = RecordingLauncher()
    assert main(["--demo"], launch=launcher) == 0
    assert launcher.calls == [([], True, False)]


def test_demo_with_f_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    launcher = RecordingLauncher()
    assert main(["--demo", "-f", str(tmp_path / "x.yml")], launch=launcher) == 2
    assert "--demo cannot be combined with -f" in capsys.readouterr().err
    assert launcher.calls == []


def test_config_error_never_reaches_the_ui(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = good_doc()
    doc["provider"]["driver"] = "k3s"  # type: ignore[index]
    launcher = RecordingLauncher()
    assert main(["-f", str(write(tmp_path / "k.yml", doc))], launch=launcher) == 2
    assert launcher.calls == []
    assert "unsupported driver 'k3s'" in capsys.readouterr().err


def test_kompox_error_from_the_ui_is_one_line_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "k.yml", good_doc())
    launcher = RecordingLauncher(error=AzureError("provision", code="Conflict", message="busy"))
    assert main(["-f", str(path)], launch=launcher) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("kompox-tui: error: provision failed: (Conflict) busy — ")


def test_config_error_raised_later_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "k.yml", good_doc())
    launcher = RecordingLauncher(
        error=ConfigError("needs a resource group", key="cluster.settings")
    )
    assert main(["-f", str(path)], launch=launcher) == 2
    assert "cluster.settings: needs a resource group" in capsys.readouterr().err


def test_keyboard_interrupt_exits_130_quietly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "k.yml", good_doc())
    assert main(["-f", str(path)], launch=RecordingLauncher(error=KeyboardInterrupt())) == 130
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


def test_launcher_exit_status_is_returned(tmp_path: Path) -> None:
    path = write(tmp_path / "k.yml", good_doc())
    assert main(["-f", str(path)], launch=RecordingLauncher(result=3)) == 3


def test_options_before_a_sub_command_are_kept() -> None:
    from kompox_tui.cli import build_parser

    args = build_parser().parse_args(["-f", "a.yml", "--read-only", "serve"])
    assert (args.command, args.files, args.read_only, args.demo) == (
        "serve",
        ["a.yml"],
        True,
        False,
    )
    args = build_parser().parse_args(["serve", "-f", "b.yml", "--demo"])
    assert (args.files, args.demo) == (["b.yml"], True)


# --- layouts and load warnings (issue 11) -------------------------------------------------


def test_help_documents_layout_and_kom_discovery() -> None:
    result = run_cli("--help")
    assert "--layout {guide,kompoxops}" in result.stdout
    for name in ("kompoxapp.yml", "KOMPOX_KOM_PATH", "KOMPOX_KOM_APP", "KOMPOX_TUI_LAYOUT"):
        assert name in result.stdout


def test_unknown_layout_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("--layout", "fancy", "-f", str(write(tmp_path / "a.yml", good_doc())))
    assert result.returncode == 2
    assert "invalid choice: 'fancy'" in result.stderr


def test_layout_option_applies_to_every_file(tmp_path: Path) -> None:
    first = write(tmp_path / "a.yml", good_doc("cluster1"))
    second = write(tmp_path / "b.yml", good_doc("cluster2"))
    launcher = RecordingLauncher()
    assert (
        main(["-f", str(first), "-f", str(second), "--layout", "kompoxops"], launch=launcher) == 0
    )
    assert [c.layout for c in launcher.calls[0][0]] == ["kompoxops", "kompoxops"]


def test_near_miss_key_starts_and_warns_once_before_the_ui(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = good_doc()
    doc["app"] = {"name": "app1", "volume": [{"name": "db", "size": "1Gi"}]}
    path = write(tmp_path / "a.yml", doc)
    launcher = RecordingLauncher()
    assert (
        main(["-f", str(path), "-f", str(path), "-f", str(tmp_path / "./a.yml")], launch=launcher)
        == 0
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith(f"kompox-tui: warning: {path}:")
    assert "app.volume" in err[0] and "did you mean 'volumes'?" in err[0]
    # the UI gets the same warnings with the configs, to show them once
    [(configs, _demo, _ro)] = launcher.calls
    assert [w for c in configs for w in c.warnings] == [
        err[0].removeprefix("kompox-tui: warning: ")
    ]


def test_serve_passes_the_layout_on() -> None:
    from kompox_tui.ui.serve import app_command

    command = app_command([], demo=True, read_only=False, python="/py", layout="kompoxops")
    assert command == "/py -m kompox_tui --demo --layout kompoxops"


def test_a_kompoxapp_yml_in_the_current_directory_is_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    configs_dir = Path(__file__).parent / "configs"
    (tmp_path / "kompoxapp.yml").write_text((configs_dir / "kompoxapp.yml").read_text())
    monkeypatch.chdir(tmp_path)
    for key in ("KOMPOX_DB_URL", "KOMPOX_KOM_APP", "KOMPOX_KOM_PATH"):
        monkeypatch.delenv(key, raising=False)
    launcher = RecordingLauncher()
    assert main([], launch=launcher) == 0
    assert [c.app.name for c in launcher.calls[0][0]] == ["app1", "app2"]


def test_error_lines_never_carry_raw_control_characters(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hostile = tmp_path / "x\x1b]0;PWNED\x07\x1b[2J.yml"
    assert main(["-f", str(hostile)], launch=RecordingLauncher()) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x07" not in err
    assert "x\\x1b]0;PWNED\\x07\\x1b[2J.yml" in err and err.count("\n") == 1
