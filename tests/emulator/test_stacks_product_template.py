"""The product's own ARM template (kompox_tui/azure/main.json) deploys through a stack."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kompox_tui.emulator import Emulator
from kompox_tui.emulator.testing import ArmClients

MAIN_JSON = Path(__file__).resolve().parents[2] / "kompox_tui" / "azure" / "main.json"


@pytest.mark.skipif(not MAIN_JSON.exists(), reason="the driver's main.json is not there yet")
def test_product_template_deploys_a_full_cluster_and_all_outputs(emulator: Emulator) -> None:
    template = json.loads(MAIN_JSON.read_text())
    arm = ArmClients(emulator)
    stacks, aks = arm.stacks, arm.containers
    try:
        body = {
            "location": "japaneast",
            "properties": {
                "template": template,
                "parameters": {
                    "environmentName": {"value": "product-template"},
                    "location": {"value": "japaneast"},
                },
                "actionOnUnmanage": {"resources": "detach", "resourceGroups": "detach"},
                "denySettings": {"mode": "none"},
            },
        }
        stack = stacks.deployment_stacks.begin_create_or_update_at_subscription(
            "product-template", body
        ).result()
        assert stack.properties is not None and stack.properties.outputs is not None
        assert stack.properties.provisioning_state == "succeeded"
        outputs = {k: v["value"] for k, v in stack.properties.outputs.items()}
        assert set(outputs) == set(template["outputs"])
        assert all(value not in ("", None) for value in outputs.values()), outputs
        cluster = aks.managed_clusters.get(
            outputs["AZURE_RESOURCE_GROUP_NAME"], outputs["AZURE_AKS_CLUSTER_NAME"]
        )
        assert cluster.power_state.code == "Running"
        assert cluster.oidc_issuer_profile.issuer_url == outputs["AZURE_AKS_OIDC_ISSUER_URL"]
        assert cluster.identity is not None
        assert cluster.identity.principal_id == outputs["AZURE_AKS_PRINCIPAL_ID"]
        assert stack.properties.resources is not None
        ids = [str(r.id) for r in stack.properties.resources]
        assert any(rid.endswith(f"/managedClusters/{cluster.name}") for rid in ids)
        stacks.deployment_stacks.begin_delete_at_subscription(
            "product-template",
            unmanage_action_resources="delete",
            unmanage_action_resource_groups="delete",
        ).result()
    finally:
        arm.close()
