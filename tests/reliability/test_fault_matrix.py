"""Faults x operations: every driver operation under every kind of fault.

For each of the 14 driver operations and each fault the emulator can inject on the
request that operation depends on -- 429 with Retry-After, 500, 503 and a dropped
connection (once: "transient", and on every attempt: "persistent"), a call slower than
the operation's (scaled) time limit, and an LRO that ends ``Failed`` -- the operation
either succeeds (after azure-core's retries) or raises exactly one typed
:mod:`kompox_tui.errors` error whose message names the operation, the Azure code and
what to do. Afterwards, with the faults gone, the state is one the UI can show: status
and listings answer, at most one disk is assigned, and re-running the operation
converges.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from rel_helpers import RelDriver, tune, unique

from kompox_tui.azure.driver import AksDriver
from kompox_tui.azure.ingress import KubeRest
from kompox_tui.config import load_config
from kompox_tui.emulator import Emulator
from kompox_tui.errors import AzureError, KompoxError, OperationTimeout
from kompox_tui.model import DriverEvent

#: The (scaled) time limit used for the "slow" faults, and the injected latency.
SCALED_TIMEOUT = 0.15
SLOW_LATENCY = 0.45
LRO_CODE = "InjectedLroFailure"


STATUS_CODES = {429: "TooManyRequests", 500: "InternalServerError", 503: "ServiceUnavailable"}


@dataclass(frozen=True)
class Fault:
    kind: str  # "429" | "500" | "503" | "drop" | "slow" | "lro"
    persistent: bool = False

    @property
    def id(self) -> str:
        if self.kind in ("slow", "lro"):
            return self.kind
        return f"{self.kind}-{'persistent' if self.persistent else 'once'}"

    def add(self, emu: Emulator, method: str, path: str) -> Any:
        count = None if self.persistent else 1
        if self.kind == "drop":
            return emu.add_fault(method, path, drop=True, count=count)
        if self.kind == "slow":
            return emu.add_fault(method, path, latency=SLOW_LATENCY, count=1)
        if self.kind == "lro":
            return emu.add_fault(
                method, path, lro_error=(LRO_CODE, "injected: the operation failed"), count=1
            )
        status = int(self.kind)
        retry_after = 0.01 if status in (429, 503) else None
        return emu.add_fault(method, path, status=status, count=count, retry_after=retry_after)


FAULTS = [
    Fault("429"),  # once: azure-core retries it (honouring Retry-After) and succeeds
    Fault("drop"),  # once: retried for idempotent methods, else one typed error
    *(Fault(k, persistent=True) for k in ("429", "500", "503", "drop")),
    Fault("slow"),
    Fault("lro"),
]


@dataclass
class Env:
    emu: Emulator
    driver: RelDriver
    make: Callable[[], RelDriver]
    disks: list[str] = field(default_factory=list)
    snapshots: list[str] = field(default_factory=list)

    @property
    def rg(self) -> str:
        return re.escape(self.driver.config.app.settings["AZURE_RESOURCE_GROUP_NAME"])

    @property
    def stack(self) -> str:
        return re.escape(self.driver._cluster_ops.stack_name)

    def compute(self, kind: str, item: bool) -> str:
        base = f"/resourceGroups/{self.rg}/providers/Microsoft.Compute/{kind}"
        return base + ("/" if item else "$")


@dataclass(frozen=True)
class Op:
    name: str
    label: str
    method: str
    path: Callable[[Env], str]
    setup: str  # none | cluster | installed | shared | disks | snapshots
    lro: bool
    run: Callable[[Env], Any]
    mutates: bool = True


def _stack(env: Env) -> str:
    return f"/deploymentStacks/{env.stack}$"


OPS = [
    Op("cluster_provision", "cluster provision", "PUT", _stack, "none", True,
       lambda e: e.driver.cluster_provision()),
    Op("cluster_deprovision", "cluster deprovision", "DELETE", _stack, "cluster", True,
       lambda e: e.driver.cluster_deprovision()),
    Op("cluster_status", "cluster status", "GET", _stack, "shared", False,
       lambda e: e.driver.cluster_status(), mutates=False),
    Op("cluster_install", "cluster install", "*", lambda e: "^/k8s/", "shared", False,
       lambda e: e.driver.cluster_install()),
    Op("cluster_uninstall", "cluster uninstall", "*", lambda e: "^/k8s/", "installed", False,
       lambda e: e.driver.cluster_uninstall()),
    Op("cluster_kubeconfig", "cluster kubeconfig", "POST",
       lambda e: "/listClusterAdminCredential", "shared", False,
       lambda e: e.driver.cluster_kubeconfig(), mutates=False),
    Op("disk_list", "disk list", "GET", lambda e: e.compute("disks", False), "disks", False,
       lambda e: e.driver.disk_list("db"), mutates=False),
    Op("disk_create", "disk create", "PUT", lambda e: e.compute("disks", True), "disks", True,
       lambda e: e.driver.disk_create("db")),
    Op("disk_assign", "disk assign", "PATCH", lambda e: e.compute("disks", True), "disks", True,
       lambda e: e.driver.disk_assign("db", e.disks[1])),
    Op("disk_delete", "disk delete", "DELETE", lambda e: e.compute("disks", True), "disks",
       True, lambda e: e.driver.disk_delete("db", e.disks[1])),
    Op("snapshot_list", "snapshot list", "GET", lambda e: e.compute("snapshots", False),
       "snapshots", False, lambda e: e.driver.snapshot_list("db"), mutates=False),
    Op("snapshot_create", "snapshot create", "PUT", lambda e: e.compute("snapshots", True),
       "disks", True, lambda e: e.driver.snapshot_create("db")),
    Op("snapshot_delete", "snapshot delete", "DELETE", lambda e: e.compute("snapshots", True),
       "snapshots", True, lambda e: e.driver.snapshot_delete("db", e.snapshots[0])),
    Op("snapshot_restore", "snapshot restore", "PUT", lambda e: e.compute("disks", True),
       "snapshots", True, lambda e: e.driver.snapshot_restore("db", e.snapshots[0])),
]  # fmt: skip


CASES = [
    pytest.param(op, fault, id=f"{op.name}-{fault.id}")
    for op in OPS
    for fault in FAULTS
    if fault.kind != "lro" or op.lro
]


# --- fixtures ---------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def fast_kube_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """KubeRest's own backoff, scaled for the test emulator (like the SDK's backoff)."""
    monkeypatch.setattr(KubeRest, "backoff", 0.01)
    monkeypatch.setattr(KubeRest, "max_wait", 0.05)


@pytest.fixture(scope="module")
def shared_cluster(rel_emu: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A provisioned cluster with Traefik installed, for the operations that only read
    it (status, kubeconfig) or are idempotent (install)."""
    name = unique("shared")
    path = rel_emu.write_config(
        tmp_path_factory.mktemp("shared") / "kompoxops.yml", cluster=name, app=name
    )
    driver = AksDriver(load_config(path))
    tune(driver)
    try:
        driver.cluster_provision()
        driver.cluster_install()
    finally:
        driver.close()
    return path


@pytest.fixture
def env_factory(
    rel_emu: Emulator, rel_driver: Callable[..., RelDriver], shared_cluster: Path
) -> Iterator[Callable[[Op], Env]]:
    def build(op: Op) -> Env:
        if op.setup == "shared":

            def make() -> RelDriver:
                events: list[Any] = []
                d = RelDriver(load_config(shared_cluster), events.append)
                d.events = events
                tune(d)
                return d

            first = make()
            first.cluster_status()  # warm: token and connection, as the UI's first refresh
        else:
            first = rel_driver(rel_emu)

            def make() -> RelDriver:
                events: list[DriverEvent] = []
                d = RelDriver(first.config, events.append)
                d.events = events
                tune(d)
                return d

        env = Env(rel_emu, first, make)
        d = env.driver
        if op.setup in ("cluster", "installed"):
            d.cluster_provision()
        if op.setup == "installed":
            d.cluster_install()
        if op.setup in ("disks", "snapshots"):
            env.disks = [d.disk_create("db").name, d.disk_create("db").name]
        if op.setup == "snapshots":
            env.snapshots = [d.snapshot_create("db").name]
        return env

    yield build
    rel_emu.clear_faults()


# --- checks -----------------------------------------------------------------------------


def check_error(err: BaseException, op: Op, fault: Fault) -> None:
    """One typed error naming the operation, the Azure code and what to do."""
    assert isinstance(err, KompoxError), f"untyped {type(err).__name__}: {err}"
    assert not isinstance(err, BaseExceptionGroup)
    text = str(err)
    assert op.label in text, f"operation {op.label!r} not named in {text!r}"
    assert "Traceback" not in text
    if fault.kind == "slow":
        assert isinstance(err, OperationTimeout), f"{type(err).__name__}: {text}"
    elif fault.kind == "lro":
        assert isinstance(err, AzureError), f"{type(err).__name__}: {text}"
        assert LRO_CODE in text, f"Azure code {LRO_CODE} not in {text!r}"
    elif fault.kind == "drop":
        assert isinstance(err, AzureError), f"{type(err).__name__}: {text}"
        assert err.code and err.code != "Unknown", text
    else:
        assert isinstance(err, AzureError), f"{type(err).__name__}: {text}"
        code = STATUS_CODES[int(fault.kind)]
        named = code in text or re.search(rf"\bHTTP {fault.kind}\b", text) is not None
        assert named, f"neither {code} nor HTTP {fault.kind} in {text!r}"
    assert err.hint, f"no 'what to do' hint in {text!r}"


def check_state(env: Env, op: Op, succeeded: bool) -> None:
    """With the faults gone: listings answer and are consistent; re-running converges.

    The same driver is used, as the UI keeps using its driver after an error."""
    d = env.driver
    if True:
        if op.name.startswith("cluster_"):
            status = d.cluster_status()
            if succeeded and op.name == "cluster_provision":
                assert status.provisioned, status
            if succeeded and op.name == "cluster_deprovision":
                assert not status.provisioned, status
            if succeeded and op.name == "cluster_install":
                assert status.installed, status
            if op.mutates:
                op.run(Env(env.emu, d, env.make, env.disks, env.snapshots))
                status = d.cluster_status()
                expected = {
                    "cluster_provision": ("provisioned", True),
                    "cluster_deprovision": ("provisioned", False),
                    "cluster_install": ("installed", True),
                    "cluster_uninstall": ("installed", False),
                }[op.name]
                assert getattr(status, expected[0]) is expected[1], status
            return
        disks = d.disk_list("db")
        snapshots = d.snapshot_list("db")
        assert len({x.name for x in disks}) == len(disks)
        assert len({x.name for x in snapshots}) == len(snapshots)
        health = d.volume_health("db")
        assert health.assigned <= 1, health
        if op.name == "disk_assign":
            d.disk_assign("db", env.disks[1])
            assert [x.name for x in d.disk_list("db") if x.assigned] == [env.disks[1]]
        elif op.name == "disk_delete":
            d.disk_delete("db", env.disks[1])
            assert env.disks[1] not in {x.name for x in d.disk_list("db")}
        elif op.name == "snapshot_delete":
            d.snapshot_delete("db", env.snapshots[0])
            assert env.snapshots[0] not in {x.name for x in d.snapshot_list("db")}
        elif op.mutates:
            before = len(disks) + len(snapshots)
            op.run(Env(env.emu, d, env.make, env.disks, env.snapshots))
            after = len(d.disk_list("db")) + len(d.snapshot_list("db"))
            assert after == before + 1
        if env.disks:
            assert d.volume_health("db").assigned == 1


def run_with_fault(env: Env, op: Op, fault: Fault) -> tuple[BaseException | None, Any]:
    """Run ``op`` with ``fault`` on its request (scaled time limits for "slow"); the
    error it raised (None on success) and the fault rule. Faults and limits are reset."""
    cops = env.driver._cluster_ops
    vops = env.driver._volume_ops
    attrs = [f"{a}_timeout" for a in ("provision", "deprovision", "status", "kubeconfig")]
    attrs += ["install_timeout", "uninstall_timeout"]
    saved = ({a: getattr(cops, a) for a in attrs}, dict(vops.timeouts))
    if fault.kind == "slow":
        for attr in attrs:
            setattr(cops, attr, SCALED_TIMEOUT)
        vops.timeouts = {key: SCALED_TIMEOUT for key in vops.timeouts}
    rule = fault.add(env.emu, op.method, op.path(env))
    error: BaseException | None = None
    try:
        op.run(env)
    except BaseException as exc:
        error = exc
    finally:
        env.emu.clear_faults()
        for attr, value in saved[0].items():
            setattr(cops, attr, value)
        vops.timeouts = saved[1]
    if fault.kind == "slow":
        time.sleep(SLOW_LATENCY)  # let the delayed request land before looking
    if op.name in ("cluster_provision", "cluster_deprovision"):
        wait_stack_terminal(env.driver)
    return error, rule


def wait_stack_terminal(driver: AksDriver, timeout: float = 10.0) -> None:
    """A timed-out provision leaves the stack deploying on Azure: wait until it settles
    (as the user would, watching the status) before looking at the final state."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = (driver.cluster_status().stack_state or "").lower()
        if state in ("", "succeeded", "failed", "canceled", "deletefailed"):
            return
        time.sleep(0.05)


@pytest.mark.parametrize(("op", "fault"), CASES)
def test_operation_under_fault_succeeds_or_raises_one_typed_error(
    env_factory: Callable[[Op], Env], op: Op, fault: Fault
) -> None:
    env = env_factory(op)
    error, rule = run_with_fault(env, op, fault)
    # A scaled limit may expire before the slow call is reached on a loaded machine (disk
    # assign and delete first try the cluster's Lease: a stack GET on a fresh client).
    timed_out_first = fault.kind == "slow" and isinstance(error, OperationTimeout)
    assert rule.hits >= 1 or timed_out_first, f"the fault never fired on {op.method} {op.path(env)}"
    if error is not None:
        check_error(error, op, fault)
    else:
        assert not fault.persistent and fault.kind not in ("slow", "lro"), (
            f"{op.name} succeeded although every attempt failed ({fault.id})"
        )
    check_state(env, op, succeeded=error is None)


HINT_CASES = [
    pytest.param(op, Fault(kind, persistent=kind != "lro"), id=f"{op.name}-{kind}")
    for op in OPS
    if op.name in ("disk_list", "disk_create", "cluster_status", "cluster_provision")
    for kind in ("429", "500", "503", "drop", "lro")
    if (kind != "lro" or op.lro) and (kind != "drop" or not op.name.startswith("cluster_"))
]


@pytest.mark.parametrize(("op", "fault"), HINT_CASES)
def test_azure_failures_say_what_to_do(
    env_factory: Callable[[Op], Env], op: Op, fault: Fault
) -> None:
    env = env_factory(op)
    error, _rule = run_with_fault(env, op, fault)
    assert isinstance(error, AzureError), error
    assert error.hint, f"no 'what to do' in {error}"
