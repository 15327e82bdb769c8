"""AZURE_AUTH_METHOD -> azure-identity credential; secrets never leak into reprs, errors or logs."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pytest
from azure import identity
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from kompox_tui.azure.credentials import (
    KompoxCredential,
    _scrub,
    authority_host,
    build_credential,
    is_well_known_authority,
)
from kompox_tui.emulator import Emulator
from kompox_tui.errors import AuthError, ConfigError, Reason

TENANT = "00000000-0000-0000-0000-000000000001"
CLIENT = "11111111-2222-3333-4444-555555555555"
SECRET = "Cl1entS3cret-MUST-NOT-LEAK-9d2b"
CERT_PASSWORD = "CertPassw0rd-MUST-NOT-LEAK-41aa"
SCOPE = "https://management.azure.com/.default"
FAKE_TOKEN = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ0ZXN0In0.c2lnbmF0dXJl"
AZURE_LOGGERS = ("azure", "msal", "urllib3")


# --- certificate files -----------------------------------------------------------------


def _self_signed(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kompox-test-client")])
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("certs")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = _self_signed(key)
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    pkcs8 = serialization.PrivateFormat.PKCS8
    files = {
        "pem": key.private_bytes(serialization.Encoding.PEM, pkcs8, serialization.NoEncryption())
        + cert_pem,
        "pem_encrypted": key.private_bytes(
            serialization.Encoding.PEM,
            pkcs8,
            serialization.BestAvailableEncryption(CERT_PASSWORD.encode()),
        )
        + cert_pem,
        "pfx": pkcs12.serialize_key_and_certificates(
            b"client",
            key,
            cert,
            None,
            serialization.BestAvailableEncryption(CERT_PASSWORD.encode()),
        ),
        "pfx_plain": pkcs12.serialize_key_and_certificates(
            b"client", key, cert, None, serialization.NoEncryption()
        ),
        "cert_only": cert_pem,
        "garbage": b"\x00\x01 this is not a certificate at all",
    }
    ec_key = ec.generate_private_key(ec.SECP256R1())
    files["ec_pem"] = ec_key.private_bytes(
        serialization.Encoding.PEM, pkcs8, serialization.NoEncryption()
    ) + _self_signed(ec_key).public_bytes(serialization.Encoding.PEM)
    paths = {}
    for name, data in files.items():
        path = directory / f"{name}.{'pfx' if name.startswith('pfx') else 'pem'}"
        path.write_bytes(data)
        paths[name] = path
    return paths


@pytest.fixture
def token_file(tmp_path: Path) -> Path:
    path = tmp_path / "token"
    path.write_text("federated-token-file-content")
    return path


def settings_for(method: str, **extra: str) -> dict[str, str]:
    base = {
        "AZURE_SUBSCRIPTION_ID": "00000000-0000-0000-0000-0000000000aa",
        "AZURE_LOCATION": "japaneast",
        "AZURE_AUTH_METHOD": method,
    }
    base.update(extra)
    return base


def secret_settings(**extra: str) -> dict[str, str]:
    values = {
        "AZURE_TENANT_ID": TENANT,
        "AZURE_CLIENT_ID": CLIENT,
        "AZURE_CLIENT_SECRET": SECRET,
    }
    values.update(extra)
    return settings_for("client_secret", **values)


def cert_settings(path: Path, password: str | None = CERT_PASSWORD, **extra: str) -> dict[str, str]:
    values = {
        "AZURE_TENANT_ID": TENANT,
        "AZURE_CLIENT_ID": CLIENT,
        "AZURE_CLIENT_CERTIFICATE_PATH": str(path),
    }
    if password is not None:
        values["AZURE_CLIENT_CERTIFICATE_PASSWORD"] = password
    values.update(extra)
    return settings_for("client_certificate", **values)


# --- each method builds ------------------------------------------------------------------


def test_client_secret_builds_client_secret_credential() -> None:
    credential = build_credential(secret_settings())
    assert isinstance(credential, KompoxCredential)
    assert isinstance(credential.inner, identity.ClientSecretCredential)
    assert credential.method == "client_secret" and credential.client_id == CLIENT


@pytest.mark.parametrize(
    ("name", "password"),
    [("pem", None), ("pem_encrypted", CERT_PASSWORD), ("pfx", CERT_PASSWORD), ("pfx_plain", None)],
    ids=["pem", "pem-encrypted", "pfx-with-password", "pfx-without-password"],
)
def test_client_certificate_builds_from_pem_and_pfx(
    certs: dict[str, Path], name: str, password: str | None
) -> None:
    credential = build_credential(cert_settings(certs[name], password))
    assert isinstance(credential.inner, identity.CertificateCredential)
    assert credential.method == "client_certificate"


def test_managed_identity_builds_with_and_without_client_id() -> None:
    system = build_credential(settings_for("managed_identity"))
    user = build_credential(settings_for("managed_identity", AZURE_CLIENT_ID=CLIENT))
    assert isinstance(system.inner, identity.ManagedIdentityCredential)
    assert isinstance(user.inner, identity.ManagedIdentityCredential)
    assert system.client_id is None and user.client_id == CLIENT


def test_workload_identity_builds_with_token_file(token_file: Path) -> None:
    credential = build_credential(
        settings_for(
            "workload_identity",
            AZURE_TENANT_ID=TENANT,
            AZURE_CLIENT_ID=CLIENT,
            AZURE_FEDERATED_TOKEN_FILE=str(token_file),
        )
    )
    assert isinstance(credential.inner, identity.WorkloadIdentityCredential)


def test_azure_cli_and_developer_cli_build() -> None:
    cli = build_credential(settings_for("azure_cli"))
    azd = build_credential(settings_for("azure_developer_cli", AZURE_TENANT_ID=TENANT))
    assert isinstance(cli.inner, identity.AzureCliCredential)
    assert isinstance(azd.inner, identity.AzureDeveloperCliCredential)


# --- settings problems -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "missing"),
    [
        ("client_secret", "AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET"),
        ("client_certificate", "AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_CERTIFICATE_PATH"),
        ("workload_identity", "AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_FEDERATED_TOKEN_FILE"),
    ],
)
def test_missing_method_settings_are_named_in_one_message(method: str, missing: str) -> None:
    with pytest.raises(ConfigError) as info:
        build_credential(settings_for(method), source="cluster1 provider.settings")
    message = str(info.value)
    assert f"AZURE_AUTH_METHOD {method} needs" in message
    assert f"missing: {missing}" in message
    assert "cluster1 provider.settings" in message


def test_unknown_method_is_reported_verbatim() -> None:
    with pytest.raises(ConfigError) as info:
        build_credential(settings_for("kerberos"))
    assert "unsupported AZURE_AUTH_METHOD: kerberos" in str(info.value)


def test_missing_method_lists_the_choices() -> None:
    with pytest.raises(ConfigError) as info:
        build_credential({"AZURE_LOCATION": "x"})
    assert "AZURE_AUTH_METHOD" in str(info.value) and "azure_developer_cli" in str(info.value)


def test_authority_must_be_https() -> None:
    with pytest.raises(ConfigError, match="AZURE_AUTHORITY_HOST"):
        build_credential(secret_settings(AZURE_AUTHORITY_HOST="http://login.example"))


def test_missing_ca_bundle_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        build_credential(secret_settings(AZURE_CA_BUNDLE=str(tmp_path / "ca.pem")))
    assert "AZURE_CA_BUNDLE" in str(info.value) and "not found" in str(info.value)


def test_missing_federated_token_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="federated token file not found"):
        build_credential(
            settings_for(
                "workload_identity",
                AZURE_TENANT_ID=TENANT,
                AZURE_CLIENT_ID=CLIENT,
                AZURE_FEDERATED_TOKEN_FILE=str(tmp_path / "nope"),
            )
        )


def test_invalid_tenant_is_an_auth_error_naming_the_method() -> None:
    with pytest.raises(AuthError) as info:
        build_credential(secret_settings(AZURE_TENANT_ID="bad tenant!"))
    assert "client_secret" in str(info.value)
    assert SECRET not in str(info.value)


@pytest.mark.parametrize(
    ("name", "password", "problem"),
    [
        ("pem_encrypted", None, "encrypted but AZURE_CLIENT_CERTIFICATE_PASSWORD is not set"),
        ("pem_encrypted", "wrong-password-xyz", "password is wrong"),
        ("pem", CERT_PASSWORD, "private key is not encrypted"),
        ("pfx", "wrong-password-xyz", "wrong or missing AZURE_CLIENT_CERTIFICATE_PASSWORD"),
        ("pfx", None, "wrong or missing AZURE_CLIENT_CERTIFICATE_PASSWORD"),
        ("garbage", None, "not a PEM file"),
        ("cert_only", None, "no readable private key"),
        ("ec_pem", None, "must be an RSA key"),
    ],
    ids=[
        "pem-encrypted-no-password",
        "pem-wrong-password",
        "pem-unneeded-password",
        "pfx-wrong-password",
        "pfx-no-password",
        "garbage",
        "certificate-without-key",
        "ec-key",
    ],
)
def test_bad_certificate_names_path_and_problem_but_not_password(
    certs: dict[str, Path], name: str, password: str | None, problem: str
) -> None:
    with pytest.raises(AuthError) as info:
        build_credential(cert_settings(certs[name], password))
    message = str(info.value)
    assert str(certs[name]) in message
    assert problem in message
    assert CERT_PASSWORD not in message
    assert "wrong-password-xyz" not in message


def test_unreadable_certificate(certs: dict[str, Path], tmp_path: Path) -> None:
    directory = tmp_path / "cert.pem"
    directory.mkdir()
    with pytest.raises(ConfigError, match=r"client certificate .* is not a regular file"):
        build_credential(cert_settings(directory, None))


# --- authority and CA bundle ---------------------------------------------------------------


def test_authority_host_helper() -> None:
    assert authority_host({}) is None
    assert authority_host({"AZURE_AUTHORITY_HOST": "https://login.example/ "}) == (
        "https://login.example"
    )
    assert is_well_known_authority(None)
    assert is_well_known_authority("https://login.microsoftonline.us")
    assert is_well_known_authority("login.chinacloudapi.cn")
    assert not is_well_known_authority("https://127.0.0.1:8443")


# --- a custom authority (the emulator's Entra ID) ------------------------------------------


def _new_requests(emulator: Emulator, since: int) -> list[str]:
    return [f"{r['method']} {r['path']}" for r in emulator.requests()[since:]]


def test_custom_authority_gets_a_token_without_instance_discovery(emulator: Emulator) -> None:
    settings = secret_settings(
        AZURE_TENANT_ID=emulator.tenant_id,
        AZURE_CLIENT_ID=emulator.client_id,
        AZURE_CLIENT_SECRET=emulator.client_secret,
        AZURE_AUTHORITY_HOST=emulator.authority_url,
        AZURE_CA_BUNDLE=emulator.ca_bundle,
    )
    since = len(emulator.requests())
    with build_credential(settings, retry_total=0) as credential:
        token = credential.get_token(SCOPE)
        info = credential.get_token_info(SCOPE)
    assert token.token and info.token
    seen = _new_requests(emulator, since)
    assert f"POST /{emulator.tenant_id}/oauth2/v2.0/token" in seen
    # instance discovery would have gone to login.microsoftonline.com and failed offline.
    assert not any("instance" in r for r in seen)


def test_certificate_credential_gets_a_token_from_the_custom_authority(
    emulator: Emulator, certs: dict[str, Path]
) -> None:
    emulator.add_principal(CLIENT, certificate_pem=certs["cert_only"].read_bytes())
    settings = cert_settings(
        certs["pfx"],
        AZURE_TENANT_ID=emulator.tenant_id,
        AZURE_AUTHORITY_HOST=emulator.authority_url,
        AZURE_CA_BUNDLE=emulator.ca_bundle,
    )
    assert build_credential(settings, retry_total=0).get_token(SCOPE).token


def test_workload_identity_gets_a_token_from_the_custom_authority(
    emulator: Emulator, tmp_path: Path
) -> None:
    settings = settings_for(
        "workload_identity",
        AZURE_TENANT_ID=emulator.tenant_id,
        AZURE_CLIENT_ID=CLIENT,
        AZURE_FEDERATED_TOKEN_FILE=str(
            emulator.write_federated_token(tmp_path / "token", client_id=CLIENT)
        ),
        AZURE_AUTHORITY_HOST=emulator.authority_url,
        AZURE_CA_BUNDLE=emulator.ca_bundle,
    )
    assert build_credential(settings, retry_total=0).get_token(SCOPE).token


def test_without_the_ca_bundle_tls_verification_fails(emulator: Emulator) -> None:
    settings = secret_settings(
        AZURE_TENANT_ID=emulator.tenant_id,
        AZURE_CLIENT_ID=emulator.client_id,
        AZURE_CLIENT_SECRET=emulator.client_secret,
        AZURE_AUTHORITY_HOST=emulator.authority_url,
    )
    with pytest.raises(AuthError) as info:
        build_credential(settings, retry_total=0).get_token(SCOPE)
    assert info.value.reason is Reason.TLS
    assert "AZURE_CA_BUNDLE" in str(info.value)


def test_rejected_secret_becomes_auth_error_without_secret(
    emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    settings = secret_settings(
        AZURE_TENANT_ID=emulator.tenant_id,
        AZURE_CLIENT_ID=emulator.client_id,
        AZURE_AUTHORITY_HOST=emulator.authority_url,
        AZURE_CA_BUNDLE=emulator.ca_bundle,
    )
    with caplog.at_level(logging.DEBUG):
        for name in AZURE_LOGGERS:
            logging.getLogger(name).setLevel(logging.DEBUG)
        with pytest.raises(AuthError) as info:
            build_credential(settings, retry_total=0).get_token(SCOPE)
    message = str(info.value)
    assert "AZURE_AUTH_METHOD client_secret could not get a token" in message
    assert "AADSTS7000215" in message
    assert SECRET not in message
    assert SECRET not in caplog.text
    assert "Traceback" not in message


# --- secrets never leak --------------------------------------------------------------------


def _secret_cases(certs: dict[str, Path]) -> list[tuple[dict[str, str], str]]:
    return [
        (secret_settings(), SECRET),
        (cert_settings(certs["pem_encrypted"]), CERT_PASSWORD),
        (cert_settings(certs["pfx"]), CERT_PASSWORD),
    ]


def test_repr_and_str_never_show_secrets(certs: dict[str, Path]) -> None:
    for settings, secret in _secret_cases(certs):
        credential = build_credential(settings)
        assert secret not in repr(credential)
        assert secret not in str(credential)
        assert repr(credential).startswith("KompoxCredential(method=")
        assert CLIENT in repr(credential)


def test_failed_token_requests_never_show_or_log_secrets(
    certs: dict[str, Path], caplog: pytest.LogCaptureFixture
) -> None:
    # Port 9 on 127.0.0.1 refuses connections: each method fails fast, offline.
    closed = {"AZURE_AUTHORITY_HOST": "https://127.0.0.1:9"}
    for settings, secret in _secret_cases(certs):
        settings.update(closed)
        with caplog.at_level(logging.DEBUG):
            for name in AZURE_LOGGERS:
                logging.getLogger(name).setLevel(logging.DEBUG)
            credential = build_credential(settings, retry_total=0)
            with pytest.raises(AuthError) as info:
                credential.get_token(SCOPE)
        assert secret not in str(info.value)
        assert secret not in repr(info.value)
        assert "could not get a token at https://127.0.0.1:9" in str(info.value)
        assert secret not in caplog.text
        assert caplog.text  # the azure loggers did log at DEBUG
        caplog.clear()


def test_scrub_removes_secrets_and_tokens() -> None:
    text = (
        f"failed with secret {SECRET}\n access_token={FAKE_TOKEN} "
        "Authorization: Bearer abc.def.ghi client_secret=zzz"
    )
    cleaned = _scrub(text, (SECRET,))
    assert SECRET not in cleaned
    assert FAKE_TOKEN not in cleaned
    assert "abc.def.ghi" not in cleaned and "zzz" not in cleaned
    assert "\n" not in cleaned
    assert len(_scrub("x" * 1000, ())) <= 400


def test_azure_cli_missing_says_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no `az` anywhere
    with pytest.raises(AuthError) as info:
        build_credential(settings_for("azure_cli")).get_token(SCOPE)
    message = str(info.value)
    assert "AZURE_AUTH_METHOD azure_cli could not get a token" in message
    assert "az login" in message


@pytest.mark.parametrize(
    "authority",
    ["https://admin:hunter2pass@login.example", "https://[::1", "http://login.example"],
)
def test_a_bad_authority_host_is_refused_without_showing_a_password(authority: str) -> None:
    with pytest.raises(ConfigError, match="AZURE_AUTHORITY_HOST") as info:
        build_credential(secret_settings(AZURE_AUTHORITY_HOST=authority))
    assert "hunter2pass" not in str(info.value)


def test_a_ca_bundle_that_is_a_device_is_refused_without_reading_it() -> None:
    with pytest.raises(ConfigError, match="not a regular file"):
        build_credential(secret_settings(AZURE_CA_BUNDLE="/dev/zero"))
