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
from azure.mgmt.compute.models import Disk
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
        # the default --state-dir is under XDG_STATE_HOME: keep it inside the test
        env = dict(os.environ, PYTHONUNBUFFERED="1", XDG_STATE_HOME=str(tmp_path / "xdg"))
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
    run = start_emulator(
        "--speed", "1000", "--write-config", str(config), "--with-secret", "--state", str(state)
    )
    assert run.info["ARM URL"].startswith("https://127.0.0.1:")
    assert run.info["Authority URL"].startswith("https://127.0.0.1:")
    assert Path(run.info["CA bundle"]).is_file()
    assert run.info["Config written"] == f"{config} (with the client secret)"
    resources, compute = _clients(config)
    resources.resource_groups.create_or_update("rg-app1", {"location": "japaneast"})
    compute.disks.begin_create_or_update(
        "rg-app1",
        "db-1",
        Disk(
            {
                "location": "japaneast",
                "sku": {"name": "Premium_LRS"},
                "properties": {"creationData": {"createOption": "Empty"}, "diskSizeGB": 32},
            }
        ),
    ).result()
    names = [d.name for d in compute.disks.list_by_resource_group("rg-app1")]
    assert names == ["db-1"]
    assert "rg-app1" in state.read_text()  # saved on mutation, before any stop
    assert _stop(run) == 0

    # Restart on the saved state: the disk is still there.
    run2 = start_emulator(
        "--speed", "1000", "--write-config", str(config), "--with-secret", "--state", str(state)
    )
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
        "--with-secret",
        module="kompox_tui.emulator.cli",
    )
    resources, _ = _clients(config, retry_total=0)
    for name in ("rg-a", "rg-b"):
        resources.resource_groups.create_or_update(name, {"location": "japaneast"})
    with pytest.raises(HttpResponseError) as info:  # the --faults rule: first list is 429
        list(resources.resource_groups.list())
    assert info.value.status_code == 429
    # --page-size 1: two pages
    assert sorted(str(g.name) for g in resources.resource_groups.list()) == ["rg-a", "rg-b"]
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


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _msi_token(env_file: Path, ca_bundle: str) -> str:
    import requests

    env = dict(
        line.removeprefix("export ").split("=", 1)
        for line in env_file.read_text().splitlines()
        if line.strip()
    )
    resp = requests.get(
        env["IDENTITY_ENDPOINT"].strip("'"),
        params={"resource": "https://management.azure.com/", "api-version": "2019-08-01"},
        headers={"X-IDENTITY-HEADER": env["IDENTITY_HEADER"].strip("'")},
        verify=ca_bundle,
        timeout=10,
    )
    resp.raise_for_status()
    return str(resp.json()["access_token"])


def test_write_config_is_secret_free_and_a_restart_keeps_ca_and_tokens(
    start_emulator: Any, tmp_path: Path
) -> None:
    """Issue 14.12: the config names managed identity (no secret); a restart on the same
    port reuses the kept CA (same path, same bytes), so the config, a token a client holds
    and its IDENTITY_HEADER keep working."""
    import requests

    config = tmp_path / "demo" / "kompoxops.yml"
    port = str(_free_port())
    run = start_emulator("--speed", "1000", "--port", port, "--write-config", str(config))
    text = config.read_text()
    settings = yaml.safe_load(text)["provider"]["settings"]
    assert settings["AZURE_AUTH_METHOD"] == "managed_identity"
    assert "AZURE_CLIENT_SECRET" not in settings
    env_file = config.parent / "managed-identity.env"
    assert run.info["Identity env"].startswith(str(env_file))
    assert env_file.stat().st_mode & 0o777 == 0o600
    ca = settings["AZURE_CA_BUNDLE"]
    ca_bytes = Path(ca).read_bytes()
    token = _msi_token(env_file, ca)
    url = f"{settings['AZURE_RESOURCE_MANAGER_ENDPOINT']}/subscriptions?api-version=2022-12-01"
    auth = {"Authorization": f"Bearer {token}"}
    assert requests.get(url, headers=auth, verify=ca, timeout=10).status_code == 200
    assert _stop(run) == 0

    run2 = start_emulator("--speed", "1000", "--port", port)
    assert run2.info["CA bundle"] == ca
    assert Path(ca).read_bytes() == ca_bytes
    assert requests.get(url, headers=auth, verify=ca, timeout=10).status_code == 200
    assert _msi_token(env_file, ca)
    assert _stop(run2) == 0
