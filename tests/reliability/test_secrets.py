"""Secrets never leak: a full scenario with recognisable credentials, then a search.

The emulator gets a principal with a recognisable client secret and another with a
certificate whose private key is encrypted with a recognisable password. A UI session
(Pilot) over both clusters -- plus a third whose secret is wrong -- provisions, installs,
saves progress logs, fetches and saves kubeconfigs, creates/assigns/snapshots/restores/
deletes disks, refreshes, opens the call log and the help, and shows the failed
authentication. Every surface the product writes is captured: screenshots of every
step, saved progress logs and every other file under the isolated HOME (except the
kubeconfigs the user asked to save), the app's call log, the drivers' events, every
exception message (with its cause chain), reprs, stdout/stderr and warnings logged.
Neither secret, nor the wrong secret, nor any bearer token issued during the scenario
(ARM tokens and the Kubernetes token) may appear anywhere in them.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from pathlib import Path
from typing import Any

import pytest
import yaml
from rel_helpers import RelDriver, tune, wait_until

from kompox_tui.azure.driver import AksDriver
from kompox_tui.config import load_config
from kompox_tui.emulator import Emulator
from kompox_tui.errors import AuthError, KompoxError
from kompox_tui.ui.app import KompoxApp
from kompox_tui.ui.screens.call_log import CallLogScreen
from kompox_tui.ui.screens.overview import ClusterOverview
from kompox_tui.ui.screens.progress import OperationProgress
from kompox_tui.ui.screens.volumes import VolumeBrowser
from kompox_tui.ui.widgets.confirm import ProvisionOptions

SIZE = (120, 40)


def make_certificate(password: str) -> bytes:
    """A self-signed certificate + private key encrypted with ``password`` (one PEM)."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kompox-secrets-test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(password.encode()),
    )
    return key_pem + cert.public_bytes(serialization.Encoding.PEM)


def fragments(value: str, size: int = 10) -> list[str]:
    """The value and each of its ``size``-character pieces, so a wrapped or truncated
    leak (a notification cut at the screen's edge) is still found."""
    pieces = [value[i : i + size] for i in range(0, len(value) - size + 1, size)]
    return [value, *pieces]


class Surfaces:
    """Everything the product wrote or showed, as named texts."""

    def __init__(self) -> None:
        self.texts: dict[str, str] = {}

    def add(self, name: str, text: object) -> None:
        key = name
        n = 1
        while key in self.texts:
            n += 1
            key = f"{name}#{n}"
        self.texts[key] = str(text)

    def error(self, name: str, exc: BaseException) -> None:
        chain: list[BaseException] = []
        current: BaseException | None = exc
        while current is not None and current not in chain:
            chain.append(current)
            current = current.__cause__ or current.__context__
        self.add(name, "\n".join(f"{type(e).__name__}: {e!s} {e!r}" for e in chain))

    def find(self, needles: dict[str, str]) -> list[str]:
        leaks = []
        for label, secret in needles.items():
            for piece in fragments(secret):
                for name, text in self.texts.items():
                    if piece in text:
                        leaks.append(f"{label} ({piece!r}) in {name}")
        return leaks


async def screenshot(pilot: Any, app: KompoxApp, surfaces: Surfaces, name: str) -> None:
    await pilot.pause(0.05)
    surfaces.add(f"screen:{name}", app.export_screenshot())


async def run_operation(pilot: Any, app: KompoxApp, surfaces: Surfaces, name: str) -> None:
    """On a progress screen: wait for the end, save the log, screenshot, go back."""
    await wait_until(pilot, lambda: isinstance(app.screen, OperationProgress), what=name)
    screen = app.screen
    assert isinstance(screen, OperationProgress)
    op = screen.operation
    await wait_until(pilot, lambda: not op.running, timeout=30, what=f"{name} to finish")
    assert op.state == "succeeded", op.error_summary()
    await pilot.press("s")  # save the progress log
    await screenshot(pilot, app, surfaces, name)
    await pilot.press("escape")
    await wait_until(pilot, lambda: isinstance(app.screen, ClusterOverview))


def overview(app: KompoxApp) -> ClusterOverview:
    return next(s for s in app.screen_stack if isinstance(s, ClusterOverview))


def refreshed(app: KompoxApp) -> bool:
    return all(r.refreshed_at is not None and not r.refreshing for r in overview(app).rows)


@pytest.fixture
def creds(rel_emu: Emulator, tmp_path: Path) -> dict[str, Any]:
    """Configs for: a client-secret principal, a certificate principal, a wrong secret."""
    secret = "kxSECRET-" + secrets.token_hex(16)
    password = "kxPASSWORD-" + secrets.token_hex(16)
    wrong = "kxWRONG-" + secrets.token_hex(16)
    secret_principal = rel_emu.add_principal(secret=secret, display_name="secrets-test")
    cert_pem = make_certificate(password)
    cert_principal = rel_emu.add_principal(certificate_pem=cert_pem, display_name="cert-test")
    configs = tmp_path / "configs"  # written by the test, not the product: not scanned
    cert_path = configs / "client.pem"
    cert_path.parent.mkdir(parents=True)
    cert_path.write_bytes(cert_pem)
    common: dict[str, Any] = {"volumes": (("db", "1Gi"),)}
    paths = [
        rel_emu.write_config(
            configs / "secret.yml",
            cluster="sec1",
            app="secapp",
            app_rg="rg-secapp",
            extra_provider_settings={
                "AZURE_CLIENT_ID": secret_principal["clientId"],
                "AZURE_CLIENT_SECRET": secret,
            },
            **common,
        ),
        rel_emu.write_config(
            configs / "cert.yml",
            cluster="cert1",
            app="certapp",
            app_rg="rg-certapp",
            auth_method="client_certificate",
            client_certificate_path=str(cert_path),
            extra_provider_settings={
                "AZURE_CLIENT_ID": cert_principal["clientId"],
                "AZURE_CLIENT_CERTIFICATE_PASSWORD": password,
            },
            **common,
        ),
        rel_emu.write_config(
            configs / "wrong.yml",
            cluster="wrong1",
            app="wrongapp",
            app_rg="rg-wrongapp",
            extra_provider_settings={
                "AZURE_CLIENT_ID": secret_principal["clientId"],
                "AZURE_CLIENT_SECRET": wrong,
            },
            **common,
        ),
    ]
    return {"secret": secret, "password": password, "wrong": wrong, "paths": paths}


async def test_no_secret_or_token_appears_in_anything_the_product_writes(
    rel_emu: Emulator,
    creds: dict[str, Any],
    isolated_home: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    surfaces = Surfaces()
    drivers: list[RelDriver] = []
    for path in creds["paths"]:
        events: list[Any] = []
        driver = RelDriver(load_config(path), events.append)
        driver.events = events
        tune(driver, polling=0.02)
        drivers.append(driver)
    good, cert, wrong = drivers
    log_dir = tmp_path / "home" / "logs"
    app = KompoxApp(list[AksDriver](drivers), start_paused=True, log_dir=log_dir)
    saved_kubeconfigs: list[Path] = []
    try:
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(pilot, lambda: refreshed(app), what="first refresh")
            await screenshot(pilot, app, surfaces, "overview-start")
            # the client-secret cluster through the UI: provision, install, save kubeconfig
            await pilot.press("P")
            await wait_until(pilot, lambda: isinstance(app.screen, ProvisionOptions))
            await pilot.click("#confirm")
            await run_operation(pilot, app, surfaces, "provision")
            await pilot.press("i")
            await run_operation(pilot, app, surfaces, "install")
            await pilot.press("k")  # save the kubeconfig (user asked: not scanned)
            await app.workers.wait_for_complete()
            # the certificate cluster through its driver (its events reach the app too)
            await asyncio.to_thread(cert.cluster_provision)
            await asyncio.to_thread(cert.cluster_install)
            await pilot.press("r")
            await wait_until(pilot, lambda: refreshed(app))
            await screenshot(pilot, app, surfaces, "overview-provisioned")
            await pilot.press("down", "k")  # the certificate cluster's kubeconfig
            await app.workers.wait_for_complete()
            # volume actions through the same drivers (their events reach the app)
            for driver in (good, cert):
                first = await asyncio.to_thread(driver.disk_create, "db")
                second = await asyncio.to_thread(driver.disk_create, "db")
                await asyncio.to_thread(driver.disk_assign, "db", second.name)
                snap = await asyncio.to_thread(driver.snapshot_create, "db")
                restored = await asyncio.to_thread(driver.snapshot_restore, "db", snap.name)
                await asyncio.to_thread(driver.disk_delete, "db", first.name)
                await asyncio.to_thread(driver.disk_delete, "db", restored.name)
                surfaces.add("health", await asyncio.to_thread(driver.volume_health, "db"))
                path = tmp_path / "user-kubeconfig" / f"{driver.config.cluster.name}.yaml"
                saved_kubeconfigs.append(await asyncio.to_thread(driver.write_kubeconfig, path))
            await pilot.press("enter")  # the volume browser of the certificate cluster
            await wait_until(pilot, lambda: isinstance(app.screen, VolumeBrowser))
            browser = app.screen
            assert isinstance(browser, VolumeBrowser)
            await wait_until(pilot, lambda: browser.state is not None, what="volumes")
            await screenshot(pilot, app, surfaces, "volumes")
            await pilot.press("escape")
            # the failed authentication, as the user sees it
            await pilot.press("down", "r")
            await wait_until(pilot, lambda: refreshed(app))
            await screenshot(pilot, app, surfaces, "overview-auth-failed")
            await pilot.press("l")
            await wait_until(pilot, lambda: isinstance(app.screen, CallLogScreen))
            await screenshot(pilot, app, surfaces, "call-log")
            await pilot.press("escape", "question_mark")
            await screenshot(pilot, app, surfaces, "help")
            await pilot.press("escape")
            await app.workers.wait_for_complete()
            surfaces.add("notifications", [n.message for n in app._notifications])
            call_log, _ = app.call_log.since(0)
            surfaces.add("app-call-log", call_log)
        # the failed authentication, through the driver: one typed AuthError
        with pytest.raises(AuthError) as info:
            wrong.disk_list("db")
        surfaces.error("auth-error", info.value)
        with pytest.raises(KompoxError) as info2:
            wrong.cluster_status()
        surfaces.error("status-auth-error", info2.value)
        # tokens issued during the scenario (ARM) and the cluster's Kubernetes token
        tokens: dict[str, str] = {}
        for label, driver in (("secret", good), ("cert", cert)):
            token = driver.clients.credential.get_token(driver.clients.scope).token
            tokens[f"ARM token ({label})"] = token
            tokens[f"ARM token signature ({label})"] = token.rsplit(".", 1)[-1]
            kubeconfig = yaml.safe_load(driver.cluster_kubeconfig())
            for user in kubeconfig.get("users") or []:
                kube_token = (user.get("user") or {}).get("token")
                if kube_token:
                    tokens[f"Kubernetes token ({label})"] = kube_token
        assert any(k.startswith("Kubernetes") for k in tokens), "no Kubernetes token found"
        for driver in drivers:
            surfaces.add(f"events:{driver.config.cluster.name}", driver.events)
            surfaces.add(f"repr:{driver.config.cluster.name}", repr(driver.config))
            surfaces.add(f"settings:{driver.config.cluster.name}", driver.config.provider)
    finally:
        for driver in drivers:
            driver.close()
    # every file the product wrote under HOME, except the kubeconfigs the user saved
    excluded = {p.resolve() for p in saved_kubeconfigs}
    written = [p for p in isolated_home.rglob("*") if p.is_file()]
    for path in written:
        if path.resolve() in excluded or "kubeconfig" in path.parts or path.name == "config":
            continue  # kubeconfigs saved (k) or merged (K, $KUBECONFIG) on request
        surfaces.add(
            f"file:{path.relative_to(isolated_home)}", path.read_bytes().decode(errors="replace")
        )
    assert any(name.startswith("file:logs/") for name in surfaces.texts), "no log saved"
    out = capsys.readouterr()
    surfaces.add("stdout", out.out)
    surfaces.add("stderr", out.err)
    surfaces.add("logging", caplog.text)
    needles = {
        "client secret": creds["secret"],
        "certificate password": creds["password"],
        "wrong client secret": creds["wrong"],
        **tokens,
    }
    probe = Surfaces()  # the search does find a secret where one is
    probe.add("config", Path(creds["paths"][0]).read_text())
    assert probe.find({"client secret": creds["secret"]})
    assert len([n for n in surfaces.texts if n.startswith("screen:")]) >= 8
    assert surfaces.find(needles) == []
    # the saved kubeconfig does hold the Kubernetes credential (the search would find it)
    assert any(
        tokens.get("Kubernetes token (secret)", "\0") in p.read_text() for p in saved_kubeconfigs
    )
