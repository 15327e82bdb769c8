"""README's driver example runs as written: emulator in one process, the driver in another."""

from __future__ import annotations

import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml

README = Path(__file__).resolve().parents[2] / "README.md"


def test_driver_example_provisions_against_a_separate_emulator_process(tmp_path: Path) -> None:
    section = README.read_text(encoding="utf-8").split("## Use the driver from Python", 1)[1]
    code = re.findall(r"```python\n(.*?)```", section, re.S)[0]
    script = tmp_path / "provision.py"
    script.write_text(code, encoding="utf-8")
    config = tmp_path / "demo" / "kompoxops.yml"
    emulator = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kompox_tui",
            "emulator",
            "--speed",
            "1000",
            "--write-config",
            str(config),
        ],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while not config.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert config.exists(), "the emulator did not write its kompoxops.yml"
        identity_env = config.parent / "managed-identity.env"
        while not identity_env.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.2)

        def run_script() -> subprocess.CompletedProcess[str]:
            # As README says: the secret-free config's managed identity comes from the
            # env file the emulator wrote beside it.
            command = (
                f". {shlex.quote(str(identity_env))} && "
                f"{shlex.quote(sys.executable)} {shlex.quote(str(script))} "
                f"{shlex.quote(str(config))}"
            )
            return subprocess.run(
                ["bash", "-c", command],
                cwd=tmp_path,
                capture_output=True,
                text=True,
                timeout=60,
            )

        run = run_script()
        assert run.returncode == 0, run.stderr[-2000:]
        assert "cluster provision: done" in run.stdout
        assert "provisioned=True installed=True" in run.stdout
        kubeconfig = tmp_path / "demo" / "kubeconfig.yaml"
        assert kubeconfig.stat().st_mode & 0o777 == 0o600
        assert yaml.safe_load(kubeconfig.read_text())["kind"] == "Config"
        again = run_script()
        assert again.returncode == 0, again.stderr[-2000:]
        assert "already provisioned" in again.stdout
        assert " PUT " not in again.stdout
    finally:
        emulator.send_signal(signal.SIGINT)
        try:
            emulator.wait(timeout=10)
        except subprocess.TimeoutExpired:
            emulator.kill()
            emulator.wait()
