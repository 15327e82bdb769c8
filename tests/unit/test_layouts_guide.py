"""The guide layout answers exactly what SPEC §2 and naming.py always did."""

from __future__ import annotations

from pathlib import Path

from kompox_tui.layouts import DiskSpec, ProvisioningObject, SnapshotSpec, layout_for
from kompox_tui.layouts.guide import GuideLayout
from kompox_tui.model import App, Cluster, Config, Provider, Service, Settings, Volume

ULID = "01ARZ3NDEKTSV4RRFFQ69G5FAV"


def make_config(service: str | None = "svc1") -> Config:
    return Config(
        path=Path("kompoxops.yml"),
        version="v1",
        service=Service(service) if service is not None else None,
        provider=Provider("aks1", "aks", Settings({"AZURE_LOCATION": "japaneast"})),
        cluster=Cluster("cluster1", settings=Settings({"AZURE_RESOURCE_GROUP_NAME": " rg-c "})),
        app=App(
            "app1",
            volumes=(Volume("db", "32Gi", 32),),
            settings=Settings({"AZURE_RESOURCE_GROUP_NAME": "rg-app"}),
        ),
    )


def test_a_config_without_layout_choice_gets_the_guide() -> None:
    layout = layout_for(make_config())
    assert isinstance(layout, GuideLayout)
    assert layout.provisioning_object() == ProvisioningObject("stack", "kompox_svc1_aks1_cluster1")
    assert layout.provisioning_object().description == (
        "deployment stack 'kompox_svc1_aks1_cluster1'"
    )
    assert layout.cluster_resource_group() == "rg-c"
    assert layout.app_resource_group() == "rg-app"
    assert layout.cluster_tags() == {
        "kompox-cluster": "svc1/aks1/cluster1",
        "managed-by": "kompox",
    }
    assert layout.kubeconfig_context() == "kompoxops-cluster1"
    assert layout.ensure_app_rg_on_create is False
    assert layout.grants_cluster_role_on_app_rg is False


def test_no_service_hashes_as_nil() -> None:
    layout = layout_for(make_config(None))
    assert layout.provisioning_object().name == "kompox_(nil)_aks1_cluster1"
    names = layout.volume_names(Volume("db", "32Gi", 32))
    # sha1("(nil):aks1:app1") starts 4e468a (tests/unit/test_naming.py)
    assert names.resource_name("disk", ULID) == f"db-4e468a-{ULID}"


def test_guide_volume_names_are_lvkey_ulid_with_spec_tags() -> None:
    layout = layout_for(make_config())
    names = layout.volume_names(Volume("db", "32Gi", 32))
    lv = names.volume_tag
    assert lv == "db-97634f"  # sha1("svc1:aks1:app1")
    assert names.resource_name("disk", ULID) == f"{lv}-{ULID}"
    assert names.resource_name("snapshot", ULID) == f"{lv}-{ULID}"
    assert names.parse_name("disk", ULID.lower()) == ULID
    assert names.parse_name("disk", f"{lv}-{ULID}") == ULID
    assert names.parse_name("disk", "0tahnft3k9zq") is None
    assert names.recognise("disk", f"{lv}-{ULID}", {"kompox-volume": lv}) == ULID
    assert names.recognise("disk", f"{lv}-{ULID}", {"kompox-volume": "db"}) is None
    assert names.recognise("disk", f"other-{ULID}", {"kompox-volume": lv}) is None
    assert names.disk_tags(ULID, assigned=True, restored_from="S") == {
        "kompox-volume": lv,
        "kompox-disk-name": ULID,
        "kompox-disk-assigned": "true",
        "managed-by": "kompox",
        "kompox-snapshot-name": "S",
    }
    assert names.snapshot_tags(ULID, source_disk="D") == {
        "kompox-volume": lv,
        "kompox-snapshot-name": ULID,
        "kompox-disk-name": "D",
        "managed-by": "kompox",
    }
    assert names.first_disk_assigned is True
    assert names.new_disk_spec() == DiskSpec(sku="Premium_LRS", size_gib=32)
    assert names.restore_disk_spec(64) == DiskSpec(sku="Premium_LRS", size_gib=64)
    assert names.restore_disk_spec(8) == DiskSpec(sku="Premium_LRS", size_gib=32)
    assert names.snapshot_spec() == SnapshotSpec(sku="Standard_LRS", incremental=True)
    assert len(names.new_name()) == 26
