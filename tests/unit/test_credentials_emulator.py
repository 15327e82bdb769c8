"""kompoxops.yml -> load_config -> build_credential -> an ARM call the emulator accepts.

One test per AZURE_AUTH_METHOD, all with the real azure-identity code over real TLS.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
from azure.mgmt.resource.resources import ResourceManagementClient

from kompox_tui.azure.credentials import KompoxCredential, build_credential
from kompox_tui.config import load_config
from kompox_tui.emulator import Emulator
from kompox_tui.errors import AuthError
from kompox_tui.model import Config

ARM_SCOPE = "https://management.azure.com/.default"


def credential_for(config: Config) -> KompoxCredential:
    return build_credential(config.provider.settings, retry_total=0)


def assert_arm_accepts(emulator: Emulator, credential: KompoxCredential) -> None:
    client = ResourceManagementClient(
        credential,
        emulator.subscription_id,
        base_url=emulator.arm_url,
        credential_scopes=[ARM_SCOPE],
        connection_verify=emulator.ca_bundle,
        retry_total=0,
    )
    with client:
        groups = list(client.resource_groups.list())
    assert isinstance(groups, list)


def test_client_secret_from_config(emulator: Emulator, tmp_path: Path) -> None:
    config = load_config(emulator.write_config(tmp_path))
    credential = credential_for(config)
    assert_arm_accepts(emulator, credential)
    assert emulator.client_secret not in repr(credential)


def test_client_certificate_from_config(emulator: Emulator, tmp_path: Path) -> None:
    password = "unit-cert-password-do-not-leak"
    emulator.write_client_certificate(tmp_path / "client.pem", password=password)
    path = emulator.write_config(
        tmp_path,
        auth_method="client_certificate",
        client_certificate_path="client.pem",  # relative to the config file
        extra_provider_settings={"AZURE_CLIENT_CERTIFICATE_PASSWORD": password},
    )
    credential = credential_for(load_config(path))
    assert_arm_accepts(emulator, credential)
    assert password not in repr(credential)


def test_workload_identity_from_config(emulator: Emulator, tmp_path: Path) -> None:
    subject = "system:serviceaccount:unit:kompox"
    token_file = emulator.write_federated_token(tmp_path / "token", subject=subject)
    path = emulator.write_config(
        tmp_path, auth_method="workload_identity", federated_token_file=str(token_file)
    )
    assert_arm_accepts(emulator, credential_for(load_config(path)))


def test_managed_identity_from_config(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in emulator.managed_identity_env.items():
        monkeypatch.setenv(name, value)
    path = emulator.write_config(tmp_path, auth_method="managed_identity")
    assert_arm_accepts(emulator, credential_for(load_config(path)))


@pytest.mark.parametrize(("method", "tool"), [("azure_cli", "az"), ("azure_developer_cli", "azd")])
def test_developer_cli_methods_from_config(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, method: str, tool: str
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    emulator.write_fake_cli(bin_dir, kind=tool)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    path = emulator.write_config(tmp_path, auth_method=method)
    assert_arm_accepts(emulator, credential_for(load_config(path)))


def test_wrong_secret_is_an_auth_error_without_the_secret(
    emulator: Emulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "Wrong-Secret-Value-That-Must-Not-Leak-0042"
    path = emulator.write_config(tmp_path, extra_provider_settings={"AZURE_CLIENT_SECRET": wrong})
    credential = credential_for(load_config(path))
    with caplog.at_level(logging.DEBUG):
        for name in ("azure", "msal", "urllib3"):
            logging.getLogger(name).setLevel(logging.DEBUG)
        with pytest.raises(AuthError) as info:
            credential.get_token(ARM_SCOPE)
    message = str(info.value)
    assert "AZURE_AUTH_METHOD client_secret could not get a token" in message
    assert emulator.authority_url in message
    assert wrong not in message
    assert wrong not in caplog.text
