"""The kept CA and server certificate (``certs.load_or_create``) and an Emulator with a
``state_dir``: reused across starts, re-issued only when needed."""

from __future__ import annotations

from pathlib import Path

from cryptography import x509

from kompox_tui.emulator import Emulator
from kompox_tui.emulator.certs import load_or_create


def test_second_start_reuses_ca_and_server_certificate(tmp_path: Path) -> None:
    first = load_or_create(tmp_path)
    server = first.cert_file.read_bytes()
    second = load_or_create(tmp_path)
    assert second.ca_bundle == first.ca_bundle
    assert second.ca_pem == first.ca_pem
    assert second.cert_file.read_bytes() == server
    assert (tmp_path / "ca-key.pem").stat().st_mode & 0o777 == 0o600
    assert first.key_file.stat().st_mode & 0o777 == 0o600


def test_missing_server_certificate_is_reissued_from_the_kept_ca(tmp_path: Path) -> None:
    first = load_or_create(tmp_path)
    first.cert_file.unlink()
    again = load_or_create(tmp_path)
    assert again.ca_pem == first.ca_pem  # clients keep trusting the same CA
    cert = x509.load_pem_x509_certificate(again.cert_file.read_bytes())
    cert.verify_directly_issued_by(x509.load_pem_x509_certificate(again.ca_pem))


def test_unreadable_ca_starts_over(tmp_path: Path) -> None:
    first = load_or_create(tmp_path)
    (tmp_path / "ca-key.pem").write_text("garbage")
    again = load_or_create(tmp_path)
    assert again.ca_pem != first.ca_pem
    cert = x509.load_pem_x509_certificate(again.cert_file.read_bytes())
    cert.verify_directly_issued_by(x509.load_pem_x509_certificate(again.ca_pem))


def test_emulators_on_one_state_dir_share_ca_ids_and_signing_key(tmp_path: Path) -> None:
    with Emulator(speed=1000, state_dir=tmp_path) as one:
        token, _ = one.issue_token()
        ca, sub, tenant = one.ca_bundle, one.subscription_id, one.tenant_id
        header = one.managed_identity_env["IDENTITY_HEADER"]
    with Emulator(speed=1000, state_dir=tmp_path) as two:
        assert (two.ca_bundle, two.subscription_id, two.tenant_id) == (ca, sub, tenant)
        assert two.managed_identity_env["IDENTITY_HEADER"] == header
        # a token signed before the restart still verifies (issuer differs only by port)
        assert two.identity.decode(token)["tid"] == tenant
