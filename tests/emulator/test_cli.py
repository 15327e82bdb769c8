"""``kompox-tui emulator`` as a separate process, answered from this process."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest
import yaml
from azure.core.exceptions import HttpResponseError
from azure.identity import ClientSecretCredential
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.resource.resources import ResourceManagementClient

from kompox_tui.emulator.cli import main as emulator_main


def _read_banner(stdout: IO[str], timeout: float = 20.0) -> dict[str, str]:
    info: dict[str, str] = {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = stdout.readline()
        if not line:
            break
        m = re.match(r"^([A-Za-z ]+):\s+(.*)$", line.strip())
        if m:
            info[m.group(1).strip()] = m.group(2).strip()
        if line.startswith("Press Ctrl-C"):
            return info
    raise AssertionError(f"emulator did not start; got {info}")


class Running:
    def __init__(self, proc: subprocess.Popen[str], info: dict[str, str]) -> None:
        self.proc = proc
        self.info = info


@pytest.fixture
def start_emulator(tmp_path: Path) -> Iterator[Any]:
    procs: list[subprocess.Popen[str]] = []

    def start(*args: str, module: str = "kompox_tui") -> Running:
        cmd = [sys.executable, "-m", module]
        if module == "kompox_tui":
            cmd.append("emulator")
        cmd.extend(args)
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        proc = subprocess.Popen(
            cmd,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        procs.append(proc)
        assert proc.stdout is not None
        return Running(proc, _read_banner(proc.stdout))

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)


def _clients(
    config_path: Path, **extra: Any
) -> tuple[ResourceManagementClient, ComputeManagementClient]:
    s = yaml.safe_load(config_path.read_text())["provider"]["settings"]
    cred = ClientSecretCredential(
        s["AZURE_TENANT_ID"],
        s["AZURE_CLIENT_ID"],
        s["AZURE_CLIENT_SECRET"],
        authority=s["AZURE_AUTHORITY_HOST"],
        connection_verify=s["AZURE_CA_BUNDLE"],
        disable_instance_discovery=True,
    )
    kw: dict[str, Any] = {
        "base_url": s["AZURE_RESOURCE_MANAGER_ENDPOINT"],
        "connection_verify": s["AZURE_CA_BUNDLE"],
        "polling_interval": 0.01,
        **extra,
    }
    sub = s["AZURE_SUBSCRIPTION_ID"]
    return ResourceManagementClient(cred, sub, **kw), ComputeManagementClient(cred, sub, **kw)


def _stop(run: Running) -> int:
    run.proc.send_signal(signal.SIGTERM)
    return run.proc.wait(10)


def test_kompox_tui_emulator_serves_another_process(start_emulator: Any, tmp_path: Path) -> None:
    config = tmp_path / "kompoxops.yml"
    state = tmp_path / "state.json"
    run = start_emulator("--speed", "1000", "--write-config", str(config), "--state", str(state))
    assert run.info["ARM URL"].startswith("https://127.0.0.1:")
    assert run.info["Authority URL"].startswith("https://127.0.0.1:")
    assert Path(run.info["CA bundle"]).is_file()
    assert run.info["Config written"] == str(config)
    resources, compute = _clients(config)
    resources.resource_groups.create_or_update("rg-app1", {"location": "japaneast"})
    compute.disks.begin_create_or_update(
        "rg-app1",
        "db-1",
        {
            "location": "japaneast",
            "sku": {"name": "Premium_LRS"},
            "properties": {"creationData": {"createOption": "Empty"}, "diskSizeGB": 32},
        },
    ).result()
    names = [d.name for d in compute.disks.list_by_resource_group("rg-app1")]
    assert names == ["db-1"]
    assert "rg-app1" in state.read_text()  # saved on mutation, before any stop
    assert _stop(run) == 0

    # Restart on the saved state: the disk is still there.
    run2 = start_emulator("--speed", "1000", "--write-config", str(config), "--state", str(state))
    _, compute2 = _clients(config)
    assert [d.name for d in compute2.disks.list_by_resource_group("rg-app1")] == ["db-1"]
    assert _stop(run2) == 0


def test_module_is_runnable_with_port_and_faults(start_emulator: Any, tmp_path: Path) -> None:
    config = tmp_path / "k.yml"
    run = start_emulator(
        "--speed",
        "1000",
        "--page-size",
        "1",
        "--faults",
        "GET:/resourcegroups$:429:count=1",
        "--write-config",
        str(config),
        module="kompox_tui.emulator.cli",
    )
    resources, _ = _clients(config, retry_total=0)
    for name in ("rg-a", "rg-b"):
        resources.resource_groups.create_or_update(name, {"location": "japaneast"})
    with pytest.raises(HttpResponseError) as info:  # the --faults rule: first list is 429
        list(resources.resource_groups.list())
    assert info.value.status_code == 429
    # --page-size 1: two pages
    assert sorted(g.name for g in resources.resource_groups.list()) == ["rg-a", "rg-b"]
    run.proc.send_signal(signal.SIGINT)
    assert run.proc.wait(10) == 0


def test_ctrl_c_stops_cleanly(start_emulator: Any) -> None:
    run = start_emulator("--speed", "1000")
    run.proc.send_signal(signal.SIGINT)
    assert run.proc.wait(10) == 0
    assert run.proc.stderr is not None
    assert "Traceback" not in run.proc.stderr.read()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--faults", "GET:/x:teapot"], "bad action"),
        (["--speed", "0"], "must be > 0"),
        (["--port", "70000"], "port must be"),
        (["--page-size", "0"], "must be >= 1"),
    ],
)
def test_bad_arguments_are_reported(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        emulator_main(args)
    assert info.value.code == 2
    assert message in capsys.readouterr().err


def test_corrupt_state_file_exits_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "state.json"
    state.write_text("[broken")
    assert emulator_main(["--state", str(state)]) == 2
    assert "state.json" in capsys.readouterr().err


def test_port_in_use_exits_with_a_message(
    emulator: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert emulator_main(["--port", str(emulator.port)]) == 1
    err = capsys.readouterr().err
    assert f"cannot listen on port {emulator.port}" in err
