"""ClusterOps end to end on the emulator: real SDKs, real kubernetes client, real TLS."""

from __future__ import annotations

import os
import stat
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from recording_driver import RecordingDriver

from kompox_tui.errors import (
    AuthError,
    AzureError,
    ConfigError,
    NotFoundError,
    OperationTimeout,
)
from kompox_tui.model import Config

STACKS = "/providers/Microsoft.Resources/deploymentStacks/"


def _names() -> tuple[str, str]:
    suffix = uuid.uuid4().hex[:8]
    return f"c{suffix}", f"rg-{suffix}"


@pytest.fixture
def cluster_config(config_factory: Callable[..., Config]) -> Callable[..., Config]:
    def make(**kw: Any) -> Config:
        name, rg = _names()
        kw.setdefault("cluster", name)
        kw.setdefault("cluster_rg", rg)
        return config_factory(**kw)

    return make


@pytest.fixture
def provisioned(
    cluster_config: Callable[..., Config], make_driver: Callable[..., RecordingDriver]
) -> RecordingDriver:
    driver = make_driver(cluster_config())
    driver.cluster_provision()
    driver.events.clear()
    return driver


# --- provision ------------------------------------------------------------------------


def test_full_lifecycle(
    cluster_config: Callable[..., Config], make_driver: Callable[..., RecordingDriver]
) -> None:
    driver = make_driver(cluster_config())

    driver.cluster_provision()
    status = driver.cluster_status()
    assert status.provisioned and not status.installed
    assert status.stack_state == "succeeded"
    assert status.aks_state == "Succeeded"
    assert status.power_state == "Running"
    assert status.kubernetes_version and status.kubernetes_version.startswith("1.33")
    assert status.resource_group == driver.config.cluster.settings["AZURE_RESOURCE_GROUP_NAME"]

    driver.cluster_install()
    status = driver.cluster_status()
    assert status.installed
    assert status.traefik_desired == 1 and status.traefik_ready == 1
    assert status.ingress_ip
    assert status.problems == ()

    before = len(driver.calls)
    driver.cluster_install()
    writes = [e for e in driver.calls[before:] if e.method in ("POST", "PUT", "PATCH", "DELETE")]
    # a re-install is server-side applies only (one per object but the existing namespace),
    # and they change nothing
    assert {e.method for e in writes} == {"PATCH"} and len(writes) == 6
    done = [e for e in driver.progress if e.operation == "cluster install" and e.kind == "done"]
    assert "0 created, 0 updated, 7 unchanged" in done[-1].message

    driver.cluster_uninstall()
    status = driver.cluster_status()
    assert status.provisioned and not status.installed

    driver.cluster_deprovision()
    status = driver.cluster_status()
    assert not status.provisioned and not status.installed
    assert status.stack_state is None


def test_provision_passes_the_spec_parameters_and_settings(
    emulator: Any,
    cluster_config: Callable[..., Config],
    make_driver: Callable[..., RecordingDriver],
) -> None:
    config = cluster_config(
        ingress_namespace="edge",
        ingress_service_account="edge-sa",
        extra_cluster_settings={
            "AZURE_AKS_KUBERNETES_VERSION": "1.32",
            "AZURE_AKS_SYSTEM_POOL": "Standard",
        },
    )
    driver = make_driver(config)
    driver.cluster_provision()
    stack = driver.clients.stacks().deployment_stacks.get_at_subscription(
        driver._cluster_ops.stack_name
    )
    assert stack.name == f"kompox_svc1_aks1_{config.cluster.name}"
    assert stack.tags == {
        "kompox-cluster": f"svc1/aks1/{config.cluster.name}",
        "managed-by": "kompox",
    }
    props = stack.as_dict()["properties"]
    assert props["actionOnUnmanage"] == {
        "resources": "detach",
        "resourceGroups": "detach",
        "managementGroups": "detach",
    }
    assert props["denySettings"]["mode"] == "none"
    params = {k: v["value"] for k, v in props["parameters"].items()}
    assert params["environmentName"] == config.cluster.name
    assert params["resourceGroupName"] == config.cluster.settings["AZURE_RESOURCE_GROUP_NAME"]
    assert params["kubernetesVersion"] == "1.32"
    assert params["systemPoolPreset"] == "Standard"
    assert params["ingressNamespace"] == "edge"
    assert params["ingressServiceAccount"] == "edge-sa"
    outputs = {k.upper(): v["value"] for k, v in props["outputs"].items()}
    assert outputs["AZURE_INGRESS_SERVICE_ACCOUNT_NAMESPACE"] == "edge"
    status = driver.cluster_status()
    assert status.kubernetes_version and status.kubernetes_version.startswith("1.32")
    # Every created resource that takes tags carries the cluster tags.
    rg = config.cluster.settings["AZURE_RESOURCE_GROUP_NAME"]
    aks = driver.clients.containers().managed_clusters.get(rg, outputs["AZURE_AKS_CLUSTER_NAME"])
    assert aks.tags == stack.tags
    group = driver.clients.resources().resource_groups.get(rg)
    assert group.tags == stack.tags


def test_provision_is_idempotent_without_a_put(provisioned: RecordingDriver) -> None:
    provisioned.cluster_provision()
    assert provisioned.calls_with("PUT", STACKS) == []
    assert [e.method for e in provisioned.calls] == ["GET"]
    kinds = [e.kind for e in provisioned.progress]
    assert kinds[-1] == "done" and "already provisioned" in provisioned.progress[-1].message


def test_force_redeploys_with_a_put(provisioned: RecordingDriver) -> None:
    provisioned.cluster_provision(force=True)
    assert len(provisioned.calls_with("PUT", STACKS)) == 1
    assert provisioned.progress[-1].kind == "done"


def test_progress_events_arrive_in_order(
    cluster_config: Callable[..., Config], make_driver: Callable[..., RecordingDriver]
) -> None:
    driver = make_driver(cluster_config())
    driver.cluster_provision()
    events = [e for e in driver.progress if e.operation == "cluster provision"]
    kinds = [e.kind for e in events]
    assert kinds[0] == "info"
    assert kinds[-1] == "done"
    assert "state" in kinds and "resource" in kinds and "output" in kinds
    # states, resources before outputs, outputs before done
    assert max(i for i, k in enumerate(kinds) if k in ("state", "resource")) < kinds.index("output")
    assert [e.elapsed_s for e in events] == sorted(e.elapsed_s for e in events)
    resources = [e.resource_id for e in events if e.kind == "resource"]
    assert len(resources) == len(set(resources)) >= 10
    rg = driver.config.cluster.settings["AZURE_RESOURCE_GROUP_NAME"]
    assert resources[0] is not None and resources[0].endswith(f"/resourceGroups/{rg}")
    assert any("managedClusters" in (r or "") for r in resources)
    states = [e.state for e in events if e.kind == "state"]
    assert states[-1] == "succeeded"


def _provision_failing_with(
    emulator: Any, driver: RecordingDriver, code: str, message: str
) -> AzureError:
    """Provision once with the stack LRO failing as ``(code) message``; the error raised."""
    emulator.add_fault(
        "PUT", STACKS + driver._cluster_ops.stack_name, lro_error=(code, message), count=1
    )
    try:
        with pytest.raises(AzureError) as info:
            driver.cluster_provision()
    finally:
        emulator.clear_faults()
    return info.value


def test_stack_failure_surfaces_code_and_message(
    emulator: Any,
    cluster_config: Callable[..., Config],
    make_driver: Callable[..., RecordingDriver],
) -> None:
    driver = make_driver(cluster_config())
    error = _provision_failing_with(
        emulator,
        driver,
        "QuotaExceeded",
        "Operation could not be completed as it results in exceeding",
    )
    assert error.code == "QuotaExceeded"
    assert "exceeding" in error.azure_message
    assert "QuotaExceeded" in str(error)
    # The failed resources are named; the root cause is the headline, not repeated below.
    rg = driver.config.cluster.settings["AZURE_RESOURCE_GROUP_NAME"]
    failed = [d for d in error.details if d.startswith("failed resource ")]
    assert failed and any(f"/resourceGroups/{rg}" in d for d in failed)
    assert f"({error.code}) {error.azure_message}" not in error.details
    assert driver.progress[-1].kind == "error"


def test_missing_resource_group_setting_fails_before_any_call(
    cluster_config: Callable[..., Config], make_driver: Callable[..., RecordingDriver]
) -> None:
    import dataclasses

    from kompox_tui.model import Settings

    config = cluster_config()
    settings = {
        k: v for k, v in config.cluster.settings.items() if k != "AZURE_RESOURCE_GROUP_NAME"
    }
    config = dataclasses.replace(
        config, cluster=dataclasses.replace(config.cluster, settings=Settings(settings))
    )
    driver = make_driver(config)
    with pytest.raises(ConfigError) as info:
        driver.cluster_provision()
    assert "cluster.settings.AZURE_RESOURCE_GROUP_NAME" in str(info.value)
    assert str(config.path) in str(info.value)
    assert driver.events == []


def test_bad_system_pool_fails_before_any_call(
    cluster_config: Callable[..., Config], make_driver: Callable[..., RecordingDriver]
) -> None:
    import dataclasses

    from kompox_tui.model import Settings

    # load_config already rejects the value; the driver checks again for configs built
    # in code (and must do so before any call).
    config = cluster_config()
    settings = {**config.cluster.settings, "AZURE_AKS_SYSTEM_POOL": "Huge"}
    config = dataclasses.replace(
        config, cluster=dataclasses.replace(config.cluster, settings=Settings(settings))
    )
    driver = make_driver(config)
    with pytest.raises(ConfigError) as info:
        driver.cluster_provision()
    assert driver.events == []
    assert "AZURE_AKS_SYSTEM_POOL" in str(info.value) and "HighSpec" in str(info.value)


def test_provision_timeout_names_the_operation(
    emulator: Any,
    cluster_config: Callable[..., Config],
    make_driver: Callable[..., RecordingDriver],
) -> None:
    driver = make_driver(cluster_config())
    driver._cluster_ops.provision_timeout = 0.2
    emulator.add_fault("GET", r"/deploymentStackOperationStatus/|/operationresults/", latency=0.3)
    try:
        with pytest.raises(OperationTimeout) as info:
            driver.cluster_provision()
    finally:
        emulator.clear_faults()
    assert "cluster provision" in str(info.value)


def test_status_timeout_names_the_operation(
    emulator: Any,
    cluster_config: Callable[..., Config],
    make_driver: Callable[..., RecordingDriver],
) -> None:
    driver = make_driver(cluster_config())
    driver._cluster_ops.status_timeout = 0.1
    emulator.add_fault("GET", STACKS, latency=0.5)
    try:
        with pytest.raises(OperationTimeout) as info:
            driver.cluster_status()
    finally:
        emulator.clear_faults()
    assert "cluster status" in str(info.value)


# --- deprovision ---------------------------------------------------------------------


def test_deprovision_of_an_absent_stack_succeeds_without_delete(
    cluster_config: Callable[..., Config], make_driver: Callable[..., RecordingDriver]
) -> None:
    driver = make_driver(cluster_config())
    driver.cluster_deprovision()
    assert [e.method for e in driver.calls] == ["GET"]
    assert driver.progress[-1].kind == "done"


def test_deprovision_deletes_resources_and_groups(
    emulator: Any, provisioned: RecordingDriver
) -> None:
    rg = provisioned.config.cluster.settings["AZURE_RESOURCE_GROUP_NAME"]
    provisioned.cluster_deprovision()
    assert len(provisioned.calls_with("DELETE", STACKS)) == 1
    deletes = [
        r
        for r in emulator.requests()
        if r["method"] == "DELETE"
        and STACKS.lower() in r["path"].lower()
        and provisioned._cluster_ops.stack_name in r["path"]
    ]
    raw = deletes[-1].get("query") or {}
    if isinstance(raw, str):
        from urllib.parse import parse_qsl

        raw = dict(parse_qsl(raw.lstrip("?")))
    query = {k.lower(): v for k, v in raw.items()}
    assert query.get("unmanageaction.resources") == "delete"
    assert query.get("unmanageaction.resourcegroups") == "delete"
    assert not provisioned.clients.resources().resource_groups.check_existence(rg)
    assert provisioned.progress[-1].kind == "done"
    deleted = [e.resource_id for e in provisioned.progress if e.message.startswith("deleted: ")]
    assert deleted and deleted[-1] is not None and deleted[-1].endswith(f"/resourceGroups/{rg}")


# --- status --------------------------------------------------------------------------


def test_status_costs_at_most_four_calls(provisioned: RecordingDriver) -> None:
    provisioned.cluster_install()
    provisioned.cluster_status()  # warms the kubeconfig cache
    provisioned.events.clear()
    status = provisioned.cluster_status()
    assert status.installed
    assert len(provisioned.calls) <= 4
    provisioned.cluster_uninstall()
    provisioned.events.clear()
    status = provisioned.cluster_status()
    assert not status.installed
    assert len(provisioned.calls) <= 4


def test_status_of_an_unprovisioned_cluster(
    cluster_config: Callable[..., Config], make_driver: Callable[..., RecordingDriver]
) -> None:
    config = cluster_config()
    driver = make_driver(config)
    status = driver.cluster_status()
    assert not status.provisioned and not status.installed
    assert status.ingress_namespace == "traefik"
    assert status.resource_group == config.cluster.settings["AZURE_RESOURCE_GROUP_NAME"]
    assert status.other_layout is None and status.problems == ()
    # the stack GET, then one existence check for the kompoxops layout's deployment
    assert [c.method for c in driver.calls] == ["GET", "HEAD"]
    assert "/deployments/" in driver.calls[1].path


def test_status_kubernetes_failure_is_a_problem_not_an_error(
    emulator: Any, provisioned: RecordingDriver
) -> None:
    emulator.add_fault("*", r"^/k8s/", status=503, count=100)
    try:
        status = provisioned.cluster_status()
    finally:
        emulator.clear_faults()
    assert status.provisioned and not status.installed
    assert status.problems and "cannot check the ingress" in status.problems[0]


def test_default_namespace_is_judged_by_the_traefik_deployment(
    cluster_config: Callable[..., Config], make_driver: Callable[..., RecordingDriver]
) -> None:
    driver = make_driver(cluster_config(ingress_namespace=None))
    assert driver.config.cluster.ingress.effective_namespace == "default"
    driver.cluster_provision()
    status = driver.cluster_status()
    assert status.ingress_namespace == "default" and not status.installed
    driver.cluster_install()
    assert driver.cluster_status().installed
    driver.cluster_uninstall()
    status = driver.cluster_status()
    assert not status.installed
    # The default namespace itself is never deleted.
    deletes = [e.path for e in driver.calls if e.method == "DELETE"]
    assert not any(p.endswith("/api/v1/namespaces/default") for p in deletes)


def test_kubeconfig_is_refetched_after_a_401(emulator: Any, provisioned: RecordingDriver) -> None:
    provisioned.cluster_install()
    provisioned.cluster_status()
    rule = emulator.add_fault("GET", r"^/k8s/.*/deployments/traefik$", status=401, count=1)
    try:
        status = provisioned.cluster_status()
    finally:
        emulator.clear_faults()
    assert rule.hits == 1
    assert status.installed
    assert len(provisioned.calls_with("POST", "listClusterAdminCredential")) == 2


# --- install / uninstall -----------------------------------------------------------------


def test_install_annotates_the_service_account_from_stack_outputs(
    provisioned: RecordingDriver,
) -> None:
    from kubernetes import client as k8s

    provisioned.cluster_install()
    stack = provisioned.clients.stacks().deployment_stacks.get_at_subscription(
        provisioned._cluster_ops.stack_name
    )
    outputs = {k.upper(): v["value"] for k, v in stack.as_dict()["properties"]["outputs"].items()}
    api = provisioned.clients.kube(provisioned.cluster_kubeconfig())
    sa = k8s.CoreV1Api(api).read_namespaced_service_account("traefik", "traefik")
    assert sa.metadata is not None
    annotations = sa.metadata.annotations
    assert annotations is not None
    assert (
        annotations["azure.workload.identity/client-id"]
        == outputs["AZURE_INGRESS_SERVICE_ACCOUNT_CLIENT_ID"]
    )
    assert annotations["azure.workload.identity/tenant-id"] == outputs["AZURE_TENANT_ID"]
    svc = k8s.CoreV1Api(api).read_namespaced_service("traefik", "traefik")
    assert svc.spec is not None
    assert svc.spec.type == "LoadBalancer" and svc.spec.external_traffic_policy == "Local"


def test_install_on_an_unprovisioned_cluster_is_a_clear_error(
    cluster_config: Callable[..., Config], make_driver: Callable[..., RecordingDriver]
) -> None:
    driver = make_driver(cluster_config())
    with pytest.raises(NotFoundError) as info:
        driver.cluster_install()
    assert "not provisioned" in str(info.value)


# --- kubeconfig ------------------------------------------------------------------------


def test_kubeconfig_bytes(provisioned: RecordingDriver) -> None:
    data = provisioned.cluster_kubeconfig()
    doc = yaml.safe_load(data)
    assert doc["kind"] == "Config" and doc["clusters"][0]["cluster"]["server"].startswith(
        "https://127.0.0.1"
    )


def test_kubeconfig_of_an_unprovisioned_cluster_is_not_found(
    cluster_config: Callable[..., Config], make_driver: Callable[..., RecordingDriver]
) -> None:
    with pytest.raises(NotFoundError):
        make_driver(cluster_config()).cluster_kubeconfig()


def test_write_kubeconfig_is_private(provisioned: RecordingDriver, tmp_path: Path) -> None:
    target = provisioned.write_kubeconfig(tmp_path / "out" / "kc.yaml")
    assert target == tmp_path / "out" / "kc.yaml"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    doc = yaml.safe_load(target.read_text())
    assert doc["current-context"] == f"kompoxops-{provisioned.config.cluster.name}"


def test_write_kubeconfig_merges_without_clobbering(
    provisioned: RecordingDriver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    existing = tmp_path / "config"
    other = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "other",
        "clusters": [{"name": "other", "cluster": {"server": "https://other.example"}}],
        "users": [{"name": "other", "user": {"token": "other-token"}}],
        "contexts": [{"name": "other", "context": {"cluster": "other", "user": "other"}}],
    }
    existing.write_text(yaml.safe_dump(other))
    monkeypatch.setenv("KUBECONFIG", os.pathsep.join([str(existing), str(tmp_path / "second")]))
    target = provisioned.write_kubeconfig(merge=True)
    assert target == existing
    assert stat.S_IMODE(existing.stat().st_mode) == 0o600
    doc = yaml.safe_load(existing.read_text())
    name = f"kompoxops-{provisioned.config.cluster.name}"
    assert doc["current-context"] == name  # switched, as az aks get-credentials does
    assert {c["name"] for c in doc["contexts"]} == {"other", name}
    assert {c["name"] for c in doc["clusters"]} == {"other", name}
    assert {u["name"]: u["user"] for u in doc["users"]}["other"] == {"token": "other-token"}
    # Merging again updates in place instead of duplicating.
    provisioned.write_kubeconfig(merge=True)
    again = yaml.safe_load(existing.read_text())
    assert len(again["contexts"]) == 2 and len(again["users"]) == 2


# --- authentication methods ----------------------------------------------------------


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
def test_each_auth_method_provisions_through_its_real_credential(
    method: str,
    emulator: Any,
    cluster_config: Callable[..., Config],
    make_driver: Callable[..., RecordingDriver],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # client_certificate / workload_identity: write_config registers a fresh certificate /
    # federated subject on the emulator's principal and writes the PEM / token file.
    kw: dict[str, Any] = {"auth_method": method}
    if method == "managed_identity":
        for key, value in emulator.managed_identity_env.items():
            monkeypatch.setenv(key, value)
    elif method in ("azure_cli", "azure_developer_cli"):
        bin_dir = tmp_path / "bin"
        bin_dir.mkdir()
        emulator.write_fake_cli(bin_dir, "az" if method == "azure_cli" else "azd")
        monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    driver = make_driver(cluster_config(**kw))
    driver.cluster_provision()
    assert driver.cluster_status().provisioned
    assert driver.progress[-1].kind != "error"
    text = repr(driver.events)
    assert "eyJ" not in text and emulator.client_secret not in text


def test_bad_client_secret_is_an_auth_error(
    emulator: Any,
    cluster_config: Callable[..., Config],
    make_driver: Callable[..., RecordingDriver],
) -> None:
    config = cluster_config(extra_provider_settings={"AZURE_CLIENT_SECRET": "wrong-secret"})
    driver = make_driver(config)
    with pytest.raises(AuthError) as info:
        driver.cluster_status()
    assert "wrong-secret" not in str(info.value)


def test_write_kubeconfig_default_path_is_under_the_user_config_dir(
    provisioned: RecordingDriver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    target = provisioned.write_kubeconfig()
    assert str(target).startswith(str(tmp_path / "xdg"))
    assert target.name == f"aks1-{provisioned.config.cluster.name}.yaml"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_existing_cluster_is_not_provisioned_or_deleted(
    cluster_config: Callable[..., Config], make_driver: Callable[..., RecordingDriver]
) -> None:
    driver = make_driver(cluster_config(existing=True))
    driver.cluster_provision()
    driver.cluster_deprovision()
    assert driver.calls == []
    assert [e.kind for e in driver.progress].count("done") == 2
    assert driver.cluster_status().existing


def test_unreachable_endpoint_names_the_host(
    config_factory: Callable[..., Config], make_driver: Callable[..., RecordingDriver]
) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = config_factory(
        extra_provider_settings={"AZURE_RESOURCE_MANAGER_ENDPOINT": f"https://127.0.0.1:{port}"}
    )
    driver = make_driver(config)
    driver.clients.retry_total = 0
    with pytest.raises(AzureError) as info:
        driver.cluster_status()
    assert f"cannot reach 127.0.0.1:{port}" in str(info.value)


# --- audit additions ------------------------------------------------------------------


def test_default_parameters_are_exactly_the_spec_ones(
    cluster_config: Callable[..., Config], make_driver: Callable[..., RecordingDriver]
) -> None:
    config = cluster_config(ingress_service_account=None)
    ops = make_driver(config)._cluster_ops
    rg = config.cluster.settings["AZURE_RESOURCE_GROUP_NAME"]
    body = ops.stack_body(rg)
    tags = {"kompox-cluster": f"svc1/aks1/{config.cluster.name}", "managed-by": "kompox"}
    assert body["location"] == config.provider.settings["AZURE_LOCATION"]
    assert body["tags"] == tags
    assert {k: v["value"] for k, v in body["properties"]["parameters"].items()} == {
        "environmentName": config.cluster.name,
        "location": config.provider.settings["AZURE_LOCATION"],
        "resourceGroupName": rg,
        "kubernetesVersion": "1.33",
        "systemPoolPreset": "CostOptimised",
        "tags": tags,
        "ingressNamespace": "traefik",
        "ingressServiceAccount": "traefik",
    }
    assert body["properties"]["actionOnUnmanage"] == {
        "resources": "detach",
        "resourceGroups": "detach",
        "managementGroups": "detach",
    }
    assert body["properties"]["denySettings"] == {"mode": "none"}


def test_a_failed_stack_is_redeployed_without_force(
    emulator: Any,
    cluster_config: Callable[..., Config],
    make_driver: Callable[..., RecordingDriver],
) -> None:
    driver = make_driver(cluster_config())
    _provision_failing_with(emulator, driver, "QuotaExceeded", "quota")
    driver.events.clear()
    driver.cluster_provision()
    assert len(driver.calls_with("PUT", STACKS)) == 1
    assert driver.progress[-1].kind == "done"
    assert driver.cluster_status().provisioned


@pytest.mark.parametrize("namespace", ["kube-system", "kube-public"])
def test_uninstall_never_deletes_a_system_namespace(
    namespace: str,
    cluster_config: Callable[..., Config],
    make_driver: Callable[..., RecordingDriver],
) -> None:
    driver = make_driver(cluster_config(ingress_namespace=namespace))
    driver.cluster_provision()
    driver.cluster_install()
    assert driver.cluster_status().installed
    driver.events.clear()
    driver.cluster_uninstall()
    deletes = [e.path for e in driver.calls if e.method == "DELETE"]
    assert any(p.endswith(f"/namespaces/{namespace}/deployments/traefik") for p in deletes)
    assert not any(p.endswith(f"/api/v1/namespaces/{namespace}") for p in deletes)
    assert not driver.cluster_status().installed
