"""Real-shaped kompoxops.yml files load to the values kompoxops v0.0.23 would read.

The fixtures in ``configs/`` have the shapes of kompoxops's own examples: ``workspace:``,
unquoted numbers, empty values, volume options, ``deployment.zone``, a compose mapping.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from kompox_tui.config import load_config
from kompox_tui.errors import ConfigError
from kompox_tui.layouts import layout_for
from kompox_tui.model import Settings

CONFIGS = Path(__file__).parent / "configs"
SUB = "00000000-0000-0000-0000-0000000000aa"


def test_workspace_file_is_the_kompoxops_layout_with_its_workspace() -> None:
    config = load_config(CONFIGS / "kompoxops-workspace.yml")
    assert config.layout == "kompoxops"
    assert config.workspace is not None and config.workspace.name == "ops"
    assert config.service is None
    assert config.hash_root == "ops"
    assert config.warnings == ()


def test_settings_keep_each_scalar_as_its_source_text() -> None:
    settings = load_config(CONFIGS / "kompoxops-workspace.yml").cluster.settings
    assert settings["AZURE_AKS_SYSTEM_VM_DISK_SIZE_GB"] == "64"
    assert settings["AZURE_AKS_SYSTEM_VM_ZONES"] == "1"
    assert settings["AZURE_AKS_USER_VM_DISK_SIZE_GB"] == "01"
    assert settings["EXAMPLE_RATIO"] == "1.50"
    assert settings["EXAMPLE_FLAG"] == "yes"
    assert settings["EXAMPLE_DATE"] == "2026-01-01"
    assert settings["EXAMPLE_QUOTED"] == "64"


def test_empty_tilde_and_null_settings_are_present_and_empty() -> None:
    config = load_config(CONFIGS / "kompoxops-workspace.yml")
    cluster = config.cluster.settings
    # Key presence matters: an empty AZURE_AKS_USER_VM_ZONES means zero user pools.
    assert "AZURE_AKS_USER_VM_ZONES" in cluster and cluster["AZURE_AKS_USER_VM_ZONES"] == ""
    assert cluster["AZURE_AKS_DNS_ZONE_RESOURCE_IDS"] == ""
    assert cluster["AZURE_AKS_CONTAINER_REGISTRY_RESOURCE_IDS"] == ""
    assert config.provider.settings["AZURE_RESOURCE_PREFIX"] == ""
    assert dict(config.app.settings) == {"AZURE_RESOURCE_GROUP_NAME": ""}


def test_cluster_keys_kompoxops_defines() -> None:
    cluster = load_config(CONFIGS / "kompoxops-workspace.yml").cluster
    assert cluster.existing is False  # existing: no (a YAML 1.1 word yaml.v3 takes for bool)
    ingress = cluster.ingress
    assert (ingress.namespace, ingress.controller) == ("traefik", "traefik")
    assert (ingress.cert_resolver, ingress.cert_email) == ("staging", "admin@example.com")
    assert ingress.domain == "cluster1.aks1.example.com"
    assert [(c.name, c.source) for c in ingress.certificates] == [
        ("wildcard", "https://kv-example.vault.azure.net/secrets/wildcard")
    ]


def test_app_keys_kompoxops_defines() -> None:
    app = load_config(CONFIGS / "kompoxops-workspace.yml").app
    assert yaml.safe_load(app.compose) == {
        "services": {
            "app": {
                "image": "gitea/gitea:1.24",
                "ports": ["3000:3000"],
                "volumes": ["default:/data"],
            }
        }
    }
    assert app.ingress.cert_resolver == "production"
    assert [(r.name, r.port, r.hosts) for r in app.ingress.rules] == [
        ("main", 3000, ("gitea.example.com",)),
        ("ssh", 22, ()),
    ]
    assert (app.deployment.pool, app.deployment.zone) == ("user", "1")
    assert dict(app.resources) == {"cpu": "500m", "memory": "1Gi"}


def test_volume_options_keep_yaml_types_and_empty_type_is_disk() -> None:
    default, logs = load_config(CONFIGS / "kompoxops-workspace.yml").app.volumes
    assert dict(default.options) == {
        "sku": "PremiumV2_LRS",
        "iops": 3000,
        "mbps": 125.5,
        "bursting": True,
        "tier": "3000",
    }
    assert type(default.options["iops"]) is int
    assert type(default.options["tier"]) is str
    assert (default.type, default.size, default.size_bytes) == ("disk", "32Gi", 32 * 2**30)
    assert (logs.type, logs.size, logs.size_bytes) == ("disk", "10G", 10**10)


def test_service_file_keeps_the_guide_layout() -> None:
    config = load_config(CONFIGS / "kompoxops-service-v006.yml")
    assert config.layout == "guide"
    assert config.service is not None and config.service.name == "ops"
    assert config.hash_root == "ops" and config.workspace_name == ""
    assert config.app.compose == "file:compose.yml"


@pytest.mark.parametrize(
    ("override", "expected"), [("guide", "guide"), ("kompoxops", "kompoxops"), (None, "kompoxops")]
)
def test_layout_override_beats_the_shape(override: str | None, expected: str) -> None:
    config = load_config(CONFIGS / "kompoxops-workspace.yml", layout=override)
    assert config.layout == expected


def test_layout_setting_beats_the_shape_and_override_beats_the_setting(tmp_path: Path) -> None:
    text = (CONFIGS / "kompoxops-service-v006.yml").read_text()
    text = text.replace(
        "AZURE_LOCATION: japaneast", "AZURE_LOCATION: japaneast\n    KOMPOX_TUI_LAYOUT: kompoxops"
    )
    path = tmp_path / "kompoxops.yml"
    path.write_text(text)
    config = load_config(path)
    assert config.layout == "kompoxops"
    # kompoxops >= v0.0.7 ignores service:, so it hashes with an empty workspace (V4)
    assert config.hash_root == ""
    assert any("ignore 'service:'" in w for w in config.warnings)
    assert load_config(path, layout="guide").layout == "guide"


def test_an_invalid_layout_override_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="not a layout"):
        load_config(CONFIGS / "kompoxops-workspace.yml", layout="fancy")


def test_kompoxops_volume_name_limit_is_16(tmp_path: Path) -> None:
    text = (CONFIGS / "kompoxops-workspace.yml").read_text()
    path = tmp_path / "kompoxops.yml"
    path.write_text(text.replace("- name: logs", "- name: " + "l" * 16))
    assert load_config(path).app.volumes[1].name == "l" * 16


def test_long_workspace_names_still_fit_a_deployment_name() -> None:
    config = load_config(CONFIGS / "kompoxops-workspace.yml")
    obj = layout_for(config).provisioning_object()
    assert obj.kind == "deployment" and len(obj.name) <= 64


def test_the_workspace_reaches_every_hash_facts_vector_v3() -> None:
    layout = layout_for(load_config(CONFIGS / "kompoxops-workspace.yml"))
    assert layout.provisioning_object().name == "k4x-1nedct_cls_cluster1_1l7263"
    assert layout.app_resource_group() == "k4x-1nedct_app_app1_4d94cw"


def test_a_service_file_read_the_kompoxops_way_hashes_an_empty_workspace_v4() -> None:
    config = load_config(CONFIGS / "kompoxops-service-v006.yml", layout="kompoxops")
    assert config.workspace_name == ""
    assert layout_for(config).app_resource_group() == "rg-app1"  # the explicit setting wins
    # without the explicit cluster RG, the deployment is named from the empty workspace (V4)
    bare = load_config(CONFIGS / "kompoxops-service-v006.yml", layout="kompoxops")
    settings = {k: v for k, v in bare.cluster.settings.items() if k != "AZURE_RESOURCE_GROUP_NAME"}
    bare = replace(bare, cluster=replace(bare.cluster, settings=Settings(settings)))
    assert layout_for(bare).provisioning_object().name == "k4x-3rlbjy_cls_cluster1_fx54ms"
