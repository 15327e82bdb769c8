"""Entra ID emulation: discovery, every auth method through real azure-identity code, token
errors, and the ARM bearer-token check (401 cases)."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests
from azure.core.credentials import AccessToken
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import (
    AzureCliCredential,
    AzureDeveloperCliCredential,
    CertificateCredential,
    ClientSecretCredential,
    ManagedIdentityCredential,
    WorkloadIdentityCredential,
)
from azure.mgmt.resource.resources import ResourceManagementClient
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from kompox_tui.emulator import Emulator
from kompox_tui.emulator.testing import authority_kwargs

ARM_SCOPE = "https://management.azure.com/.default"


def _arm_list(emu: Emulator, credential: Any) -> list[Any]:
    client = ResourceManagementClient(
        credential,
        emu.subscription_id,
        base_url=emu.arm_url,
        connection_verify=emu.ca_bundle,
        retry_total=0,
    )
    with client:
        return list(client.resource_groups.list())


def _claims(emu: Emulator, token: str) -> dict[str, Any]:
    return emu.identity.decode(token)


def _self_signed(tmp_path: Path, name: str = "client") -> tuple[Path, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM)
    path = tmp_path / f"{name}.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        + pem
    )
    return path, pem


# --- discovery ------------------------------------------------------------------------


def test_openid_configuration_uses_absolute_emulator_urls(emulator: Emulator) -> None:
    url = f"{emulator.authority_url}/{emulator.tenant_id}/v2.0/.well-known/openid-configuration"
    doc = requests.get(url, verify=emulator.ca_bundle, timeout=5).json()
    base = f"{emulator.authority_url}/{emulator.tenant_id}"
    assert doc["issuer"] == f"{base}/v2.0"
    assert doc["token_endpoint"] == f"{base}/oauth2/v2.0/token"
    assert doc["authorization_endpoint"] == f"{base}/oauth2/v2.0/authorize"
    keys = requests.get(doc["jwks_uri"], verify=emulator.ca_bundle, timeout=5).json()
    assert keys["keys"][0]["kty"] == "RSA"
    assert keys["keys"][0]["kid"] == emulator.identity.kid


def test_unknown_tenant_discovery_fails(emulator: Emulator) -> None:
    url = f"{emulator.authority_url}/not-my-tenant/v2.0/.well-known/openid-configuration"
    resp = requests.get(url, verify=emulator.ca_bundle, timeout=5)
    assert resp.status_code == 400
    assert "AADSTS90002" in resp.json()["error_description"]


def test_instance_discovery_points_at_the_emulator(emulator: Emulator) -> None:
    resp = requests.get(
        f"{emulator.authority_url}/common/discovery/instance",
        params={"api-version": "1.1", "authorization_endpoint": "x"},
        verify=emulator.ca_bundle,
        timeout=5,
    )
    assert resp.json()["tenant_discovery_endpoint"].startswith(emulator.authority_url)


# --- every auth method ------------------------------------------------------------------


def test_client_secret_credential_gets_an_arm_token(emulator: Emulator) -> None:
    cred = ClientSecretCredential(
        emulator.tenant_id,
        emulator.client_id,
        emulator.client_secret,
        **authority_kwargs(emulator),
    )
    token = cred.get_token(ARM_SCOPE)
    claims = _claims(emulator, token.token)
    assert claims["aud"] == "https://management.azure.com/"
    assert claims["tid"] == emulator.tenant_id
    assert claims["appid"] == emulator.client_id
    assert claims["exp"] == pytest.approx(token.expires_on, abs=5)
    assert token.expires_on > time.time() + 3000
    assert isinstance(_arm_list(emulator, cred), list)


def test_wrong_client_secret_is_rejected(emulator: Emulator) -> None:
    cred = ClientSecretCredential(
        emulator.tenant_id,
        emulator.client_id,
        "not-the-secret",
        **authority_kwargs(emulator),
    )
    with pytest.raises(ClientAuthenticationError, match="AADSTS7000215"):
        cred.get_token(ARM_SCOPE)


def test_unknown_client_and_unknown_tenant_are_rejected(emulator: Emulator) -> None:
    cred = ClientSecretCredential(
        emulator.tenant_id,
        "11111111-1111-1111-1111-111111111111",
        "x",
        **authority_kwargs(emulator),
    )
    with pytest.raises(ClientAuthenticationError, match="AADSTS700016"):
        cred.get_token(ARM_SCOPE)
    resp = requests.post(
        f"{emulator.authority_url}/other-tenant/oauth2/v2.0/token",
        data={"grant_type": "client_credentials", "client_id": emulator.client_id},
        verify=emulator.ca_bundle,
        timeout=5,
    )
    assert resp.status_code == 400
    assert resp.json()["error_codes"] == [90002]


def test_certificate_credential_signs_an_assertion_the_emulator_verifies(
    emulator: Emulator, tmp_path: Path
) -> None:
    path, pem = _self_signed(tmp_path)
    rec = emulator.add_principal(certificate_pem=pem)
    cred = CertificateCredential(
        emulator.tenant_id,
        rec["clientId"],
        str(path),
        **authority_kwargs(emulator),
    )
    token = cred.get_token(ARM_SCOPE)
    assert _claims(emulator, token.token)["appid"] == rec["clientId"]
    assert isinstance(_arm_list(emulator, cred), list)


def test_certificate_not_registered_on_the_app_is_rejected(
    emulator: Emulator, tmp_path: Path
) -> None:
    _, registered = _self_signed(tmp_path, "registered")
    other_path, _ = _self_signed(tmp_path, "other")
    rec = emulator.add_principal(certificate_pem=registered)
    cred = CertificateCredential(
        emulator.tenant_id,
        rec["clientId"],
        str(other_path),
        **authority_kwargs(emulator),
    )
    with pytest.raises(ClientAuthenticationError, match="AADSTS700027"):
        cred.get_token(ARM_SCOPE)


def test_assertion_with_forged_signature_is_rejected(emulator: Emulator, tmp_path: Path) -> None:
    _, pem = _self_signed(tmp_path, "real")
    rec = emulator.add_principal(certificate_pem=pem)
    cert = x509.load_pem_x509_certificate(pem)
    import base64
    import hashlib

    x5t = base64.urlsafe_b64encode(
        hashlib.sha1(cert.public_bytes(serialization.Encoding.DER)).digest()
    ).decode()
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token_url = f"{emulator.authority_url}/{emulator.tenant_id}/oauth2/v2.0/token"
    now = int(time.time())
    assertion = jwt.encode(
        {
            "aud": token_url,
            "iss": rec["clientId"],
            "sub": rec["clientId"],
            "exp": now + 600,
            "nbf": now,
            "jti": "x",
        },
        forger,
        algorithm="RS256",
        headers={"x5t": x5t},
    )
    resp = requests.post(
        token_url,
        data={
            "grant_type": "client_credentials",
            "client_id": rec["clientId"],
            "scope": ARM_SCOPE,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion,
        },
        verify=emulator.ca_bundle,
        timeout=5,
    )
    assert resp.status_code == 401
    assert resp.json()["error"] == "invalid_client"
    assert "invalid signature" in resp.json()["error_description"]


def test_workload_identity_credential_exchanges_a_federated_token(
    emulator: Emulator, tmp_path: Path
) -> None:
    subject = "system:serviceaccount:traefik:traefik"
    rec = emulator.add_principal(federated_subject=subject)
    token_file = tmp_path / "token"
    token_file.write_text(emulator.issue_federated_token(subject))
    cred = WorkloadIdentityCredential(
        tenant_id=emulator.tenant_id,
        client_id=rec["clientId"],
        token_file_path=str(token_file),
        **authority_kwargs(emulator),
    )
    token = cred.get_token(ARM_SCOPE)
    assert _claims(emulator, token.token)["appid"] == rec["clientId"]
    assert isinstance(_arm_list(emulator, cred), list)


def test_federated_token_with_another_subject_is_rejected(
    emulator: Emulator, tmp_path: Path
) -> None:
    rec = emulator.add_principal(federated_subject="system:serviceaccount:a:b")
    token_file = tmp_path / "token"
    token_file.write_text(emulator.issue_federated_token("system:serviceaccount:x:y"))
    cred = WorkloadIdentityCredential(
        tenant_id=emulator.tenant_id,
        client_id=rec["clientId"],
        token_file_path=str(token_file),
        **authority_kwargs(emulator),
    )
    with pytest.raises(ClientAuthenticationError, match="AADSTS70021"):
        cred.get_token(ARM_SCOPE)


def test_federated_token_not_signed_by_the_emulator_is_rejected(
    emulator: Emulator, tmp_path: Path
) -> None:
    subject = "system:serviceaccount:ns:forged"
    rec = emulator.add_principal(federated_subject=subject)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    forged = jwt.encode(
        {"sub": subject, "aud": ["api://AzureADTokenExchange"], "iss": "x", "exp": now + 600},
        other,
        algorithm="RS256",
        headers={"kid": emulator.identity.kid},
    )
    token_file = tmp_path / "token"
    token_file.write_text(forged)
    cred = WorkloadIdentityCredential(
        tenant_id=emulator.tenant_id,
        client_id=rec["clientId"],
        token_file_path=str(token_file),
        **authority_kwargs(emulator),
    )
    with pytest.raises(ClientAuthenticationError, match="AADSTS700211"):
        cred.get_token(ARM_SCOPE)


def test_managed_identity_credential_uses_the_app_service_endpoint(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in emulator.managed_identity_env.items():
        monkeypatch.setenv(key, value)
    cred = ManagedIdentityCredential(connection_verify=emulator.ca_bundle)
    token = cred.get_token(ARM_SCOPE)
    claims = _claims(emulator, token.token)
    assert claims["aud"] == "https://management.azure.com/"
    assert isinstance(_arm_list(emulator, cred), list)
    msi = [r for r in emulator.requests() if r["path"] == "/msi/token"]
    assert msi and "api-version=2019-08-01" in msi[-1]["query"]


def test_user_assigned_managed_identity_by_client_id(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in emulator.managed_identity_env.items():
        monkeypatch.setenv(key, value)
    rec = emulator.add_principal(managed=True)
    cred = ManagedIdentityCredential(
        client_id=rec["clientId"], connection_verify=emulator.ca_bundle
    )
    assert _claims(emulator, cred.get_token(ARM_SCOPE).token)["appid"] == rec["clientId"]
    unknown = ManagedIdentityCredential(
        client_id="22222222-2222-2222-2222-222222222222", connection_verify=emulator.ca_bundle
    )
    with pytest.raises(ClientAuthenticationError):
        unknown.get_token(ARM_SCOPE)


def test_managed_identity_endpoint_requires_the_identity_header(emulator: Emulator) -> None:
    url = emulator.managed_identity_env["IDENTITY_ENDPOINT"]
    params = {"resource": "https://management.azure.com", "api-version": "2019-08-01"}
    resp = requests.get(url, params=params, verify=emulator.ca_bundle, timeout=5)
    assert resp.status_code == 401
    resp = requests.get(
        url,
        params=params,
        headers={"X-IDENTITY-HEADER": "wrong"},
        verify=emulator.ca_bundle,
        timeout=5,
    )
    assert resp.status_code == 401


def test_azure_cli_credential_with_a_fake_az(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator.write_fake_cli(tmp_path, "az")
    monkeypatch.setenv("PATH", f"{tmp_path}:{__import__('os').environ['PATH']}")
    cred = AzureCliCredential()
    token = cred.get_token(ARM_SCOPE)
    assert abs(token.expires_on - _claims(emulator, token.token)["exp"]) <= 1
    assert isinstance(_arm_list(emulator, cred), list)


def test_azure_developer_cli_credential_with_a_fake_azd(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator.write_fake_cli(tmp_path, "azd")
    monkeypatch.setenv("PATH", f"{tmp_path}:{__import__('os').environ['PATH']}")
    cred = AzureDeveloperCliCredential()
    token = cred.get_token(ARM_SCOPE)
    assert abs(token.expires_on - _claims(emulator, token.token)["exp"]) <= 1
    assert isinstance(_arm_list(emulator, cred), list)


# --- ARM 401s ----------------------------------------------------------------------------


class StaticToken:
    """A TokenCredential handing out a fixed token (to present bad tokens to ARM)."""

    def __init__(self, token: str, expires_on: int | None = None) -> None:
        self.token = token
        self.expires_on = expires_on or int(time.time()) + 3600

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self.token, self.expires_on)


def _arm_error(emu: Emulator, token: str) -> ClientAuthenticationError:
    with pytest.raises(ClientAuthenticationError) as info:
        _arm_list(emu, StaticToken(token))
    assert info.value.status_code == 401
    return info.value


def test_arm_without_a_token_answers_authentication_failed(emulator: Emulator) -> None:
    resp = requests.get(
        f"{emulator.arm_url}/subscriptions/{emulator.subscription_id}/resourcegroups",
        params={"api-version": "2025-04-01"},
        verify=emulator.ca_bundle,
        timeout=5,
    )
    assert resp.status_code == 401
    assert resp.json()["error"]["code"] == "AuthenticationFailed"
    assert "WWW-Authenticate" not in resp.headers
    assert resp.headers["x-ms-request-id"]


def test_arm_rejects_a_forged_token(emulator: Emulator) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    forged = jwt.encode(
        {
            "aud": "https://management.azure.com/",
            "iss": emulator.identity.issuer,
            "exp": now + 600,
            "tid": emulator.tenant_id,
        },
        other,
        algorithm="RS256",
        headers={"kid": emulator.identity.kid},
    )
    err = _arm_error(emulator, forged)
    assert err.error is not None
    assert err.error.code == "InvalidAuthenticationToken"
    assert _arm_error(emulator, "not-a-jwt").error.code == "InvalidAuthenticationToken"  # type: ignore[union-attr]


def test_arm_rejects_a_token_for_another_audience(emulator: Emulator) -> None:
    token, _ = emulator.identity.issue_token(emulator.client_id, resource="https://vault.azure.net")
    err = _arm_error(emulator, token)
    assert err.error is not None
    assert err.error.code == "InvalidAuthenticationTokenAudience"
    assert "https://vault.azure.net" in str(err.error.message)


def test_arm_rejects_an_expired_token(emulator: Emulator) -> None:
    token, _ = emulator.identity.issue_token(
        emulator.client_id, issued_at=int(time.time()) - 7200, lifetime=3600
    )
    err = _arm_error(emulator, token)
    assert err.error is not None
    assert err.error.code == "ExpiredAuthenticationToken"
    assert "is earlier than current UTC time" in str(err.error.message)


def test_arm_accepts_the_emulator_arm_url_as_audience(emulator: Emulator) -> None:
    for aud in ("https://management.azure.com", emulator.arm_url, emulator.arm_url + "/"):
        token, _ = emulator.identity.issue_token(emulator.client_id, resource=aud)
        assert isinstance(_arm_list(emulator, StaticToken(token)), list)


def test_only_arm_paths_require_an_arm_token(emulator: Emulator) -> None:
    from kompox_tui.emulator.server import requires_arm_token

    assert requires_arm_token("/subscriptions/x/resourcegroups")
    assert requires_arm_token("/SUBSCRIPTIONS/x")
    assert requires_arm_token("/providers/Microsoft.Compute/operations")
    assert not requires_arm_token("/k8s/abc/api/v1/namespaces")
    assert not requires_arm_token(f"/{emulator.tenant_id}/oauth2/v2.0/token")
    assert not requires_arm_token("/msi/token")
    resp = requests.get(
        f"{emulator.authority_url}/{emulator.tenant_id}/discovery/v2.0/keys",
        verify=emulator.ca_bundle,
        timeout=5,
    )
    assert resp.status_code == 200


@pytest.mark.parametrize(
    "method",
    [
        "client_secret",
        "client_certificate",
        "workload_identity",
        "managed_identity",
        "azure_cli",
        "azure_developer_cli",
    ],
)
def test_every_auth_method_of_a_written_config_reaches_arm(
    method: str, emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The product's own credential builder, fed by ``write_config``, gets ARM tokens."""
    credentials = pytest.importorskip("kompox_tui.azure.credentials")
    if method == "managed_identity":
        for key, value in emulator.managed_identity_env.items():
            monkeypatch.setenv(key, value)
    if method in ("azure_cli", "azure_developer_cli"):
        bindir = tmp_path / "bin"
        bindir.mkdir()
        emulator.write_fake_cli(bindir, "az" if method == "azure_cli" else "azd")
        monkeypatch.setenv("PATH", f"{bindir}:{__import__('os').environ['PATH']}")
    path = emulator.write_config(tmp_path / "kompoxops.yml", auth_method=method)
    settings = __import__("yaml").safe_load(path.read_text())["provider"]["settings"]
    assert settings["AZURE_AUTH_METHOD"] == method
    for key in ("AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_FEDERATED_TOKEN_FILE"):
        if key in settings:
            assert Path(settings[key]).stat().st_mode & 0o777 == 0o600
    credential = credentials.build_credential(settings)
    assert isinstance(_arm_list(emulator, credential), list)
