"""Cluster operations on a kompoxops-made cluster, through the emulator over HTTPS.

The cluster of vector V2 (workspace ws1, provider prv1, cluster cls1; kompox-real-facts.md
§2.1): kompoxops provisions it as a plain subscription deployment named after the cluster
RG ``k4x-32kff1_cls_cls1_5pfy6x``. A deployment made behind the driver's back by the raw
DeploymentsMgmtClient must read provisioned; the driver's own provision / deprovision must
do what kompoxops does; and Traefik that Helm installed is never touched.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml
from azure.mgmt.resource.deployments import DeploymentsMgmtClient
from azure.mgmt.resource.deployments.models import Deployment
from recording_driver import RecordingDriver, fast_driver

from kompox_tui.config import load_config
from kompox_tui.emulator import Emulator
from kompox_tui.emulator.testing import ArmClients
from kompox_tui.model import Config

CLUSTER_RG = "k4x-32kff1_cls_cls1_5pfy6x"
CLUSTER_TAGS = {
    "kompox-workspace-name": "ws1",
    "kompox-provider-name": "prv1",
    "kompox-cluster-name": "cls1",
    "kompox-cluster-hash": "5pfy6x",
    "managed-by": "kompox",
}


def write_kompoxops_file(
    emu: Emulator, path: Path, *, cluster_settings: dict[str, Any] | None = None
) -> Config:
    """A real-shaped kompoxops.yml (``workspace:``, no RG settings, compose)."""
    emu.write_config(
        path, service=None, provider="prv1", cluster="cls1", app="app1", volumes=(("data", "10Gi"),)
    )
    doc = yaml.safe_load(path.read_text())
    doc["workspace"] = {"name": "ws1"}
    del doc["cluster"]["settings"]["AZURE_RESOURCE_GROUP_NAME"]
    del doc["app"]["settings"]["AZURE_RESOURCE_GROUP_NAME"]
    del doc["cluster"]["ingress"]
    doc["cluster"]["settings"].update(cluster_settings or {})
    doc["app"]["compose"] = "services:\n  app:\n    image: nginx\n"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    config = load_config(path)
    assert config.layout == "kompoxops"
    return config


def kompoxops_template() -> dict[str, Any]:
    text = (
        resources.files("kompox_tui.azure")
        .joinpath("templates", "kompoxops.json")
        .read_text(encoding="utf-8")
    )
    data: dict[str, Any] = json.loads(text)
    return data


@pytest.fixture
def estate(
    fresh_emulator: Emulator, tmp_path: Path
) -> Iterator[tuple[Emulator, ArmClients, DeploymentsMgmtClient]]:
    arm = ArmClients(fresh_emulator)
    dc = DeploymentsMgmtClient(
        arm.credential,
        fresh_emulator.subscription_id,
        base_url=fresh_emulator.arm_url,
        connection_verify=fresh_emulator.ca_bundle,
        polling_interval=0.01,
    )
    yield fresh_emulator, arm, dc
    dc.close()
    arm.close()


def deploy_as_kompoxops(dc: DeploymentsMgmtClient) -> dict[str, Any]:
    """What ``kompoxops cluster provision`` sends (facts §6.1), by the raw SDK."""
    parameters = {
        "environmentName": "cls1",
        "location": "japaneast",
        "resourceGroupName": CLUSTER_RG,
        "ingressServiceAccountName": "ingress-service-account",
        "ingressServiceAccountNamespace": "traefik",
        "tags": CLUSTER_TAGS,
    }
    body = {
        "location": "japaneast",
        "tags": CLUSTER_TAGS,
        "properties": {
            "mode": "Incremental",
            "template": kompoxops_template(),
            "parameters": {k: {"value": v} for k, v in parameters.items()},
        },
    }
    result = dc.deployments.begin_create_or_update_at_subscription_scope(
        CLUSTER_RG, Deployment(body)
    ).result()
    assert result.properties is not None and result.properties.outputs is not None
    return {k: v["value"] for k, v in result.properties.outputs.items()}


def kube_api(driver: RecordingDriver) -> Any:
    """A real kubernetes client on the cluster (admin kubeconfig from the driver)."""
    from kubernetes import config as kube_config

    return kube_config.new_client_from_config_dict(yaml.safe_load(driver.cluster_kubeconfig()))


def helm_traefik(api: Any) -> None:
    """Traefik as kompoxops's ``helm install traefik`` leaves it (labels/annotations)."""
    from kubernetes import client

    meta = {
        "labels": {
            "app.kubernetes.io/managed-by": "Helm",
            "app.kubernetes.io/name": "traefik",
            "app.kubernetes.io/instance": "traefik-traefik",
        },
        "annotations": {
            "meta.helm.sh/release-name": "traefik",
            "meta.helm.sh/release-namespace": "traefik",
        },
    }
    core = client.CoreV1Api(api)
    core.create_namespace(client.V1Namespace.model_validate({"metadata": {"name": "traefik"}}))
    core.create_namespaced_service(
        "traefik",
        client.V1Service.model_validate(
            {
                "metadata": {"name": "traefik", **meta},
                "spec": {
                    "type": "LoadBalancer",
                    "selector": {"app.kubernetes.io/name": "traefik"},
                    "ports": [{"name": "web", "port": 80, "targetPort": 8000}],
                },
            }
        ),
    )
    client.AppsV1Api(api).create_namespaced_deployment(
        "traefik",
        client.V1Deployment.model_validate(
            {
                "metadata": {"name": "traefik", **meta},
                "spec": {
                    "replicas": 1,
                    "selector": {"matchLabels": {"app.kubernetes.io/name": "traefik"}},
                    "template": {
                        "metadata": {"labels": {"app.kubernetes.io/name": "traefik"}},
                        "spec": {"containers": [{"name": "traefik", "image": "traefik:v3.5"}]},
                    },
                },
            }
        ),
    )


def test_a_deployment_made_by_kompoxops_reads_provisioned_with_its_outputs(
    estate: tuple[Emulator, ArmClients, DeploymentsMgmtClient], tmp_path: Path
) -> None:
    emu, _arm, dc = estate
    outputs = deploy_as_kompoxops(dc)
    driver = fast_driver(write_kompoxops_file(emu, tmp_path / "kompoxops.yml"))
    try:
        status = driver.cluster_status()
        assert status.provisioned is True
        assert status.installed is False  # no traefik Service yet
        assert status.provisioning_kind == "deployment"
        assert status.provisioning_name == CLUSTER_RG
        assert status.stack_state == "Succeeded"
        assert status.resource_group == CLUSTER_RG
        assert status.ingress_namespace == "traefik"
        shown = dict(status.outputs)
        assert shown["AZURE_AKS_CLUSTER_NAME"] == outputs["AZURE_AKS_CLUSTER_NAME"]
        assert shown["AZURE_INGRESS_SERVICE_ACCOUNT_NAME"] == "ingress-service-account"
        assert status.aks_state == "Succeeded"
        # no deployment stack was asked for
        assert not driver.calls_with("GET", "deploymentStacks")

        helm_traefik(kube_api(driver))
        status = driver.cluster_status()
        assert status.installed is True  # kompoxops: the traefik Service exists
        assert status.ingress_managed_by == "Helm"
        assert status.traefik_desired == 1
    finally:
        driver.close()


def test_helm_managed_traefik_is_left_untouched_by_install_and_uninstall(
    estate: tuple[Emulator, ArmClients, DeploymentsMgmtClient], tmp_path: Path
) -> None:
    emu, _arm, dc = estate
    deploy_as_kompoxops(dc)
    driver = fast_driver(write_kompoxops_file(emu, tmp_path / "kompoxops.yml"))
    try:
        api = kube_api(driver)
        helm_traefik(api)
        from kubernetes import client

        before = client.CoreV1Api(api).read_namespaced_service("traefik", "traefik")
        driver.events.clear()
        driver.cluster_install()
        driver.cluster_uninstall()
        writes = [
            c
            for c in driver.calls
            if c.method in ("POST", "PUT", "PATCH", "DELETE") and "/k8s/" in c.path
        ]
        assert writes == []
        done = [e.message for e in driver.progress if e.kind == "done"]
        assert done == [
            "nothing changed (Traefik is managed by Helm (release traefik))",
            "nothing changed (Traefik is managed by Helm (release traefik))",
        ]
        after = client.CoreV1Api(api).read_namespaced_service("traefik", "traefik")
        assert after.metadata and before.metadata
        assert after.metadata.resource_version == before.metadata.resource_version
        namespace = client.CoreV1Api(api).read_namespace("traefik")
        assert namespace.metadata and namespace.metadata.name == "traefik"
    finally:
        driver.close()


def test_provision_kubeconfig_and_deprovision_the_kompoxops_way(
    estate: tuple[Emulator, ArmClients, DeploymentsMgmtClient], tmp_path: Path
) -> None:
    emu, arm, dc = estate
    config = write_kompoxops_file(
        emu,
        tmp_path / "kompoxops.yml",
        # a present key is passed even when empty: no user pools
        cluster_settings={"AZURE_AKS_USER_VM_ZONES": "", "AZURE_AKS_SYSTEM_VM_DISK_SIZE_GB": 64},
    )
    driver = fast_driver(config)
    try:
        driver.cluster_provision()
        deployment = dc.deployments.get_at_subscription_scope(CLUSTER_RG)
        assert deployment.tags == CLUSTER_TAGS
        assert deployment.properties is not None
        params = deployment.properties.parameters
        assert params is not None and deployment.properties.outputs is not None
        assert params["aksUserVmZones"]["value"] == ""
        assert params["aksSystemVmDiskSizeGB"]["value"] == "64"
        assert "aksUserVmSize" not in params  # absent keys take the template default
        assert params["ingressServiceAccountName"]["value"] == "ingress-service-account"
        outputs = {k: v["value"] for k, v in deployment.properties.outputs.items()}
        aks = arm.containers.managed_clusters.get(CLUSTER_RG, outputs["AZURE_AKS_CLUSTER_NAME"])
        assert [(p.name, p.os_disk_size_gb) for p in aks.agent_pool_profiles] == [("npsystem", 64)]
        resources_seen = [e.message for e in driver.progress if e.kind == "resource"]
        assert any(
            m.startswith("created: ") and m.endswith(outputs["AZURE_AKS_CLUSTER_NAME"])
            for m in resources_seen
        )
        states = [e.state for e in driver.progress if e.kind == "state"]
        assert states[-1] == "Succeeded"

        # idempotent: a succeeded deployment is not sent again
        driver.events.clear()
        driver.cluster_provision()
        assert not driver.calls_with("PUT", "/deployments/")
        assert [e.message for e in driver.progress if e.kind == "done"] == ["already provisioned"]

        saved = driver.save_kubeconfig(tmp_path / "kubeconfig")
        doc = yaml.safe_load(saved.path.read_text())
        assert [c["name"] for c in doc["contexts"]] == ["kompoxops-cls1"]

        vault = next(
            r.name
            for r in arm.resources.resources.list_by_resource_group(CLUSTER_RG)
            if r.type == "Microsoft.KeyVault/vaults"
        )
        driver.events.clear()
        driver.cluster_deprovision()
        assert not dc.deployments.check_existence_at_subscription_scope(CLUSTER_RG)
        assert not arm.resources.resource_groups.check_existence(CLUSTER_RG)
        assert not arm.resources.resource_groups.check_existence(f"{CLUSTER_RG}_mc")
        purges = driver.calls_with("POST", f"/deletedVaults/{vault}/purge")
        assert len(purges) == 1 and purges[0].status == 202
        assert driver.cluster_status().provisioned is False
    finally:
        driver.close()


def test_status_names_the_other_layout_when_only_its_object_exists(
    estate: tuple[Emulator, ArmClients, DeploymentsMgmtClient], tmp_path: Path
) -> None:
    emu, _arm, dc = estate
    deploy_as_kompoxops(dc)
    path = tmp_path / "kompoxops.yml"
    write_kompoxops_file(emu, path)
    doc = yaml.safe_load(path.read_text())
    doc["provider"]["settings"]["KOMPOX_TUI_LAYOUT"] = "guide"
    doc["cluster"]["settings"]["AZURE_RESOURCE_GROUP_NAME"] = CLUSTER_RG
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    config = load_config(path)
    assert config.layout == "guide"
    driver = fast_driver(config)
    try:
        status = driver.cluster_status()
        assert status.provisioned is False
        assert status.other_layout == "kompoxops"
        assert status.problems == (
            "no deployment stack 'kompox_(nil)_prv1_cls1' found, but subscription deployment "
            f"'{CLUSTER_RG}' exists (the kompoxops layout's): open it with --layout kompoxops "
            "or the provider setting KOMPOX_TUI_LAYOUT: kompoxops",
        )
    finally:
        driver.close()


def test_install_where_nothing_is_there_then_uninstall(
    estate: tuple[Emulator, ArmClients, DeploymentsMgmtClient], tmp_path: Path
) -> None:
    emu, _arm, dc = estate
    deploy_as_kompoxops(dc)
    driver = fast_driver(write_kompoxops_file(emu, tmp_path / "kompoxops.yml"))
    try:
        driver.cluster_install()
        status = driver.cluster_status()
        assert status.installed is True
        assert status.ingress_managed_by == "kompox"
        from kubernetes import client

        api = kube_api(driver)
        sa = client.CoreV1Api(api).read_namespaced_service_account(
            "ingress-service-account", "traefik"
        )
        assert sa.metadata and sa.metadata.annotations
        assert (
            sa.metadata.annotations["azure.workload.identity/client-id"]
            == dict(status.outputs)["AZURE_INGRESS_SERVICE_ACCOUNT_CLIENT_ID"]
        )
        driver.cluster_uninstall()
        assert driver.cluster_status().installed is False
    finally:
        driver.close()


def test_install_refuses_a_service_account_other_than_the_provisioned_one(
    estate: tuple[Emulator, ArmClients, DeploymentsMgmtClient], tmp_path: Path
) -> None:
    from kompox_tui.errors import PreconditionError

    emu, _arm, dc = estate
    deploy_as_kompoxops(dc)
    path = tmp_path / "kompoxops.yml"
    write_kompoxops_file(emu, path)
    doc = yaml.safe_load(path.read_text())
    doc["cluster"]["ingress"] = {"namespace": "edge"}
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    driver = fast_driver(load_config(path))
    try:
        with pytest.raises(PreconditionError) as info:
            driver.cluster_install()
        assert "traefik/ingress-service-account" in str(info.value)
        assert "edge/ingress-service-account" in str(info.value)
        assert not [c for c in driver.calls if "/k8s/" in c.path]
    finally:
        driver.close()


def test_kom_protection_blocks_as_kompoxops_does(
    estate: tuple[Emulator, ArmClients, DeploymentsMgmtClient], tmp_path: Path
) -> None:
    from dataclasses import replace

    from kompox_tui.errors import PreconditionError
    from kompox_tui.model import Protection

    emu, _arm, dc = estate
    deploy_as_kompoxops(dc)
    config = write_kompoxops_file(emu, tmp_path / "kompoxops.yml")

    def protected(**levels: str) -> Config:
        return replace(config, cluster=replace(config.cluster, protection=Protection(**levels)))

    driver = fast_driver(protected(provisioning="cannotDelete", installation="cannotDelete"))
    try:
        for action in (driver.cluster_deprovision, driver.cluster_uninstall):
            with pytest.raises(PreconditionError) as info:
                action()
            assert "protection is 'cannotDelete'" in str(info.value)
        assert driver.calls == []  # refused before any call
        driver.cluster_provision(force=True)  # cannotDelete allows an update
    finally:
        driver.close()
    driver = fast_driver(protected(provisioning="readOnly"))
    try:
        with pytest.raises(PreconditionError) as info:
            driver.cluster_provision(force=True)
        assert "forbids this update" in str(info.value)
        assert not driver.calls_with("PUT", "/deployments/")
    finally:
        driver.close()
