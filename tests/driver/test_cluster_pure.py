"""Pure helpers of the cluster side: stack outputs and kubeconfig merging."""

from __future__ import annotations

from typing import Any

import pytest

from kompox_tui.azure.cluster import stack_outputs
from kompox_tui.azure.kubeconfig import KubeconfigConflict, merge_kubeconfig
from kompox_tui.errors import AzureError


def test_stack_output_keys_are_read_case_insensitively() -> None:
    stack = {
        "properties": {
            "outputs": {
                "azure_resource_group_name": {"type": "String", "value": "rg-1"},
                "Azure_AKS_Cluster_Name": {"type": "String", "value": "aks-1"},
                "AZURE_TENANT_ID": "flat-value",
                "EMPTY": {"type": "String", "value": None},
            }
        }
    }
    assert stack_outputs(stack) == {
        "AZURE_RESOURCE_GROUP_NAME": "rg-1",
        "AZURE_AKS_CLUSTER_NAME": "aks-1",
        "AZURE_TENANT_ID": "flat-value",
        "EMPTY": "",
    }
    assert stack_outputs({}) == {}


def _kubeconfig(name: str, server: str, token: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": name,
        "clusters": [{"name": name, "cluster": {"server": server}}],
        "users": [{"name": f"{name}-admin", "user": {"token": token}}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": f"{name}-admin"}}],
    }


def test_merge_adds_the_context_under_the_kompoxops_name_and_keeps_the_others() -> None:
    existing = _kubeconfig("other", "https://other", "t-other")
    merged = merge_kubeconfig(
        existing, _kubeconfig("aks", "https://aks", "t1"), "kompoxops-c1", set_current=False
    )
    assert [c["name"] for c in merged["contexts"]] == ["other", "kompoxops-c1"]
    assert merged["contexts"][1]["context"] == {"cluster": "kompoxops-c1", "user": "kompoxops-c1"}
    assert merged["clusters"][1] == {"name": "kompoxops-c1", "cluster": {"server": "https://aks"}}
    assert merged["users"][1] == {"name": "kompoxops-c1", "user": {"token": "t1"}}
    assert merged["current-context"] == "other"  # kept when the caller asks to keep it
    assert existing["contexts"] == [
        {"name": "other", "context": {"cluster": "other", "user": "other-admin"}}
    ]


def test_merge_switches_the_current_context_by_default_as_az_aks_get_credentials() -> None:
    existing = _kubeconfig("other", "https://other", "t-other")
    merged = merge_kubeconfig(existing, _kubeconfig("aks", "https://aks", "t1"), "kompoxops-c1")
    assert merged["current-context"] == "kompoxops-c1"
    assert existing["current-context"] == "other"


def test_merge_again_of_the_same_server_replaces_in_place() -> None:
    first = merge_kubeconfig(None, _kubeconfig("aks", "https://same", "t1"), "kompoxops-c1")
    assert first["current-context"] == "kompoxops-c1"
    again = merge_kubeconfig(first, _kubeconfig("aks", "https://same", "t2"), "kompoxops-c1")
    assert len(again["contexts"]) == len(again["clusters"]) == len(again["users"]) == 1
    assert again["users"][0]["user"]["token"] == "t2"


def test_merge_refuses_a_same_named_context_of_another_server_unless_overwrite() -> None:
    first = merge_kubeconfig(None, _kubeconfig("aks", "https://old", "t1"), "kompoxops-c1")
    with pytest.raises(KubeconfigConflict) as info:
        merge_kubeconfig(first, _kubeconfig("aks", "https://new", "t2"), "kompoxops-c1")
    assert "https://old" in str(info.value) and "nothing was written" in str(info.value)
    assert "t2" not in str(info.value)
    again = merge_kubeconfig(
        first, _kubeconfig("aks", "https://new", "t2"), "kompoxops-c1", overwrite=True
    )
    assert again["clusters"][0]["cluster"]["server"] == "https://new"


def test_a_kubeconfig_without_a_usable_context_is_a_clear_error() -> None:
    empty = {"apiVersion": "v1", "kind": "Config", "contexts": []}
    with pytest.raises(AzureError, match="no context"):
        merge_kubeconfig(None, empty, "kompoxops-c1")
    dangling = _kubeconfig("aks", "https://aks", "t1")
    dangling["users"] = []
    with pytest.raises(AzureError, match="missing cluster or user") as info:
        merge_kubeconfig(None, dangling, "kompoxops-c1")
    assert "t1" not in str(info.value)
