"""The kompoxops layout against kompox-real-facts.md §2-§5, with its test vectors as literals.

V1 and V2 are confirmed against real kompoxops output (V2 catches fixed-width base36
padding); V3-V5 are computed in the facts file and pinned here as the same literals.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from kompox_tui.layouts import DiskSpec, ProvisioningObject, SnapshotSpec, get_layout, layout_for
from kompox_tui.layouts.kompoxops import (
    Hashes,
    KompoxopsLayout,
    base36,
    compact_id_time,
    new_compact_id,
    safe_truncate,
    short_hash,
)
from kompox_tui.model import (
    App,
    Cluster,
    Config,
    Deployment,
    Options,
    Provider,
    Service,
    Settings,
    Volume,
    Workspace,
)

DISK = "0tahnft3k9zq"
SNAP = "0tahnfu7b2mx"


def make_config(
    ws: str | None,
    prv: str,
    cls: str,
    app: str,
    vol: str = "default",
    *,
    provider_settings: dict[str, str] | None = None,
    cluster_settings: dict[str, str] | None = None,
    app_settings: dict[str, str] | None = None,
    size: str = "10Gi",
    options: dict[str, object] | None = None,
    zone: str = "",
    service: str | None = None,
    layout: str = "kompoxops",
) -> Config:
    return Config(
        path=Path("kompoxops.yml"),
        version="v1",
        service=Service(service) if service is not None else None,
        provider=Provider(
            prv,
            "aks",
            Settings({"AZURE_LOCATION": "JapanEast ", **(provider_settings or {})}),
        ),
        cluster=Cluster(cls, settings=Settings(cluster_settings or {})),
        app=App(
            app,
            volumes=(Volume(vol, size, 10, options=Options(options or {})),),
            settings=Settings(app_settings or {}),
            deployment=Deployment(zone=zone),
        ),
        workspace=Workspace(ws) if ws is not None else None,
        layout=layout,  # type: ignore[arg-type]
    )


# (ws, prv, cls, app, vol) -> ws/prv/cls/appID/instance hashes, prefix, cluster RG, app RG,
# disk, snapshot, namespace, volHASH, PV name -- facts §2.1, literally.
VECTORS = {
    "V1": (
        ("aks-e2e-gitea-20250925-060355", "aks1", "cluster1", "app1", "default"),
        ("4u0vv4", "50vf7y", "62mpgv", "13o40q", "2aopo7"),
        "k4x-50vf7y",
        "k4x-50vf7y_cls_cluster1_62mpgv",
        "k4x-50vf7y_app_app1_13o40q",
        "k4x-50vf7y_disk_default_0tahnft3k9zq_13o40q",
        "k4x-50vf7y_snap_default_0tahnfu7b2mx_13o40q",
        "k4x-50vf7y-app1-13o40q",
        "k4x-50vf7y-default-13o40q-1isy93",
    ),
    "V2": (
        ("ws1", "prv1", "cls1", "app1", "data"),
        ("4p79t1", "32kff1", "5pfy6x", "k9x84f", "bgewya"),
        "k4x-32kff1",
        "k4x-32kff1_cls_cls1_5pfy6x",
        "k4x-32kff1_app_app1_k9x84f",
        "k4x-32kff1_disk_data_0tahnft3k9zq_k9x84f",
        "k4x-32kff1_snap_data_0tahnfu7b2mx_k9x84f",
        "k4x-32kff1-app1-k9x84f",
        "k4x-32kff1-data-k9x84f-53t76k",
    ),
    "V3": (
        ("ops", "aks1", "cluster1", "app1", "default"),
        ("47sikq", "1nedct", "1l7263", "4d94cw", "5ymxt7"),
        "k4x-1nedct",
        "k4x-1nedct_cls_cluster1_1l7263",
        "k4x-1nedct_app_app1_4d94cw",
        "k4x-1nedct_disk_default_0tahnft3k9zq_4d94cw",
        "k4x-1nedct_snap_default_0tahnfu7b2mx_4d94cw",
        "k4x-1nedct-app1-4d94cw",
        "k4x-1nedct-default-4d94cw-1m0bfr",
    ),
    "V4": (
        ("", "aks1", "cluster1", "app1", "default"),
        ("5oaq0b", "3rlbjy", "fx54ms", "36si3d", "1xjrgu"),
        "k4x-3rlbjy",
        "k4x-3rlbjy_cls_cluster1_fx54ms",
        "k4x-3rlbjy_app_app1_36si3d",
        "k4x-3rlbjy_disk_default_0tahnft3k9zq_36si3d",
        "k4x-3rlbjy_snap_default_0tahnfu7b2mx_36si3d",
        "k4x-3rlbjy-app1-36si3d",
        "k4x-3rlbjy-default-36si3d-op9jbo",
    ),
}


@pytest.mark.parametrize("vector", sorted(VECTORS))
def test_hashes_match_the_facts_vectors(vector: str) -> None:
    (ws, prv, cls, app, _vol), hashes, *_ = VECTORS[vector]
    h = Hashes(ws, prv, cls, app)
    assert (h.workspace, h.provider, h.cluster, h.app_id, h.app_instance) == hashes


@pytest.mark.parametrize("vector", sorted(VECTORS))
def test_layout_names_match_the_facts_vectors(vector: str) -> None:
    (ws, prv, cls, app, vol), _h, prefix, cls_rg, app_rg, disk, snap, ns, pv = VECTORS[vector]
    layout = layout_for(make_config(ws, prv, cls, app, vol))
    assert isinstance(layout, KompoxopsLayout)
    assert layout.prefix == prefix
    assert layout.cluster_resource_group() == cls_rg
    assert layout.provisioning_object() == ProvisioningObject("deployment", cls_rg)
    assert layout.node_resource_group() == f"{cls_rg}_mc"
    assert layout.app_resource_group() == app_rg
    names = layout.volume_names(layout.config.app.volumes[0])
    assert names.resource_name("disk", DISK) == disk
    assert names.resource_name("snapshot", SNAP) == snap
    assert layout.app_namespace() == ns
    handle = (
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/"
        f"{app_rg}/providers/Microsoft.Compute/disks/{disk}"
    )
    assert layout.pv_name(vol, handle) == pv


def test_v2_needs_unpadded_base36() -> None:
    # sha256("ws1:prv1:app1") has 49 base36 digits: padding to 50 first gives "0k9x84".
    digest = base36(int.from_bytes(__import__("hashlib").sha256(b"ws1:prv1:app1").digest()))
    assert len(digest) == 49
    assert short_hash("ws1:prv1:app1") == "k9x84f"
    assert digest.rjust(50, "0")[:6] == "0k9x84"


def test_v5_prefix_override_and_truncation() -> None:
    config = make_config(
        "ops",
        "aks1",
        "cluster1",
        "app1",
        "postgres-primary",
        provider_settings={"AZURE_RESOURCE_PREFIX": " contoso-platform-prod-japaneast-x "},
    )
    layout = layout_for(config)
    assert isinstance(layout, KompoxopsLayout)
    assert layout.prefix == "contoso-platform-prod-japaneast-"
    assert layout.cluster_resource_group() == "contoso-platform-prod-japaneast-_cls_cluster1_1l7263"
    assert layout.app_resource_group() == "contoso-platform-prod-japaneast-_app_app1_4d94cw"
    names = layout.volume_names(config.app.volumes[0])
    disk = names.resource_name("disk", "restore-2026-02-15-a1b2c")
    assert disk == "contoso-platform-prod-japaneast-_disk_postgres-primary_restore-20_4d94cw"
    assert len(disk) == 72
    snap = names.resource_name("snapshot", "nightly-2026-02-15-x9y8z")
    assert snap == "contoso-platform-prod-japaneast-_snap_postgres-primary_nightly-20_4d94cw"
    # The namespace and PV names ignore the prefix.
    assert layout.app_namespace() == "k4x-1nedct-app1-4d94cw"


def test_v6_app_id_does_not_depend_on_the_cluster() -> None:
    one, two = Hashes("svc", "prv", "cls1", "app"), Hashes("svc", "prv", "cls2", "app")
    assert one.app_id == two.app_id == "2vcd40"
    assert (one.app_instance, two.app_instance) == ("6cdiau", "4e3ao9")
    assert (one.cluster, two.cluster) == ("5ivtjs", "6cbg0y")


def test_safe_truncate_keeps_the_hash() -> None:
    # adapters/drivers/provider/aks/naming_test.go@v0.0.23
    assert safe_truncate("a" * 70, "abc123") == "a" * 65 + "_abc123"
    assert safe_truncate("short", "abc123") == "short_abc123"
    with pytest.raises(ValueError):
        safe_truncate("x", "h" * 71)


def test_resource_group_overrides_are_taken_verbatim() -> None:
    layout = layout_for(
        make_config(
            "ws1",
            "prv1",
            "cls1",
            "app1",
            cluster_settings={"AZURE_RESOURCE_GROUP_NAME": "rg-cls"},
            app_settings={"AZURE_RESOURCE_GROUP_NAME": "rg-app"},
        )
    )
    assert layout.cluster_resource_group() == "rg-cls"
    assert layout.provisioning_object().name == "rg-cls"  # deployment = cluster RG
    assert layout.app_resource_group() == "rg-app"


def test_a_service_block_is_ignored_so_hashes_use_an_empty_workspace() -> None:
    # V4: a file that still says service: {name: ops} hashes with workspace "".
    layout = layout_for(make_config(None, "aks1", "cluster1", "app1", service="ops"))
    assert layout.cluster_resource_group() == "k4x-3rlbjy_cls_cluster1_fx54ms"


def test_tags_are_kompoxops_tags() -> None:
    layout = layout_for(make_config("ws1", "prv1", "cls1", "app1", "data"))
    app_tags = {
        "kompox-workspace-name": "ws1",
        "kompox-provider-name": "prv1",
        "kompox-app-name": "app1",
        "kompox-app-id-hash": "k9x84f",
        "managed-by": "kompox",
    }
    assert layout.cluster_tags() == {
        "kompox-workspace-name": "ws1",
        "kompox-provider-name": "prv1",
        "kompox-cluster-name": "cls1",
        "kompox-cluster-hash": "5pfy6x",
        "managed-by": "kompox",
    }
    assert layout.app_resource_group_tags() == app_tags
    names = layout.volume_names(layout.config.app.volumes[0])
    assert names.disk_tags(DISK, assigned=False, restored_from=SNAP) == {
        **app_tags,
        "kompox-volume": "data",
        "kompox-disk-name": DISK,
        "kompox-disk-assigned": "false",
    }
    assert names.snapshot_tags(SNAP, source_disk=DISK) == {
        **app_tags,
        "kompox-volume": "data",
        "kompox-snapshot-name": SNAP,
    }
    assert names.first_disk_assigned is False
    assert layout.kubeconfig_context() == "kompoxops-cls1"


def test_recognition_is_kompoxops_rule_for_disks_and_by_volume_for_snapshots() -> None:
    names = layout_for(make_config("ws1", "prv1", "cls1", "app1", "data")).volume_names(
        Volume("data", "1Gi", 1)
    )
    # Any resource name; only the volume tag and the name tag count.
    assert (
        names.recognise("disk", "whatever", {"kompox-volume": "data", "kompox-disk-name": "d1"})
        == "d1"
    )
    assert names.recognise("disk", "x", {"kompox-volume": "data", "kompox-disk-name": ""}) is None
    assert names.recognise("disk", "x", {"kompox-volume": "Data", "kompox-disk-name": "d1"}) is None
    assert names.recognise("disk", "x", {"kompox-disk-name": "d1"}) is None
    assert names.recognise("disk", "x", {}) is None
    snap_tags = {"kompox-volume": "data", "kompox-snapshot-name": "s1"}
    assert names.recognise("snapshot", "x", snap_tags) == "s1"
    # v0.0.23 would list another volume's snapshot here (a regression); we do not.
    other = {"kompox-volume": "logs", "kompox-snapshot-name": "s2"}
    assert names.recognise("snapshot", "x", other) is None
    assert names.recognise("snapshot", "x", {"kompox-volume": "data"}) is None


@pytest.mark.parametrize(
    ("size", "gib"),
    [("10Gi", 10), ("1536Mi", 1), ("10G", 9), ("1", 1), ("100Mi", 1), ("32Gi", 32)],
)
def test_disk_size_rounds_down_to_whole_gib_at_least_one(size: str, gib: int) -> None:
    config = make_config("ws1", "prv1", "cls1", "app1", "data", size=size)
    names = layout_for(config).volume_names(config.app.volumes[0])
    assert names.new_disk_spec().size_gib == gib


def test_disk_spec_reads_sku_iops_mbps_and_zone_as_kompoxops() -> None:
    config = make_config(
        "ws1",
        "prv1",
        "cls1",
        "app1",
        "data",
        options={"sku": "PremiumV2_LRS", "iops": 3000, "mbps": 125.0},
        zone=" 2 ",
    )
    names = layout_for(config).volume_names(config.app.volumes[0])
    assert names.new_disk_spec() == DiskSpec(
        sku="PremiumV2_LRS", size_gib=10, zone="2", iops=3000, mbps=125, location="japaneast"
    )
    assert names.restore_disk_spec(64) == names.new_disk_spec()  # sized from the volume
    assert names.snapshot_spec() == SnapshotSpec(sku=None, incremental=None, location="japaneast")


@pytest.mark.parametrize(
    "options",
    [{}, {"sku": "premium_lrs"}, {"sku": "Premium_SSD"}, {"sku": 3}, {"iops": "3000"}],
)
def test_unknown_sku_and_quoted_numbers_fall_back_as_kompoxops(options: dict[str, object]) -> None:
    config = make_config("ws1", "prv1", "cls1", "app1", "data", options=options)
    spec = layout_for(config).volume_names(config.app.volumes[0]).new_disk_spec()
    assert (spec.sku, spec.iops, spec.mbps, spec.zone) == ("Premium_LRS", None, None, None)


def test_compact_ids_encode_the_second_and_sort_by_time() -> None:
    assert compact_id_time(DISK) == datetime(2026, 2, 15, 6, 59, 53, tzinfo=UTC)
    made = new_compact_id(datetime(2026, 2, 15, 6, 59, 53, tzinfo=UTC).timestamp())
    assert len(made) == 12 and made.startswith("0tahnft")
    later = new_compact_id(datetime(2026, 2, 15, 7, 0, 0, tzinfo=UTC).timestamp())
    assert later > made
    assert compact_id_time("not-a-compact") is None


def test_parse_name_accepts_short_and_full_names_and_rejects_bad_ones() -> None:
    config = make_config("ws1", "prv1", "cls1", "app1", "data")
    names = layout_for(config).volume_names(config.app.volumes[0])
    assert names.parse_name("disk", f" {DISK} ") == DISK
    assert names.parse_name("disk", "k4x-32kff1_disk_data_0tahnft3k9zq_k9x84f") == DISK
    assert names.parse_name("snapshot", "k4x-32kff1_snap_data_0tahnfu7b2mx_k9x84f") == SNAP
    assert names.parse_name("disk", "x" * 25) is None
    assert names.parse_name("disk", "Bad_Name") is None
    assert names.parse_name("disk", "") is None


def test_volume_names_longer_than_16_are_a_problem() -> None:
    layout = layout_for(make_config("ws1", "prv1", "cls1", "app1"))
    assert layout.volume_problem(Volume("a" * 16, "1Gi", 1)) is None
    assert "16" in (layout.volume_problem(Volume("a" * 17, "1Gi", 1)) or "")
    assert layout.volume_problem(Volume("Bad", "1Gi", 1)) is not None


def test_get_layout_knows_both_and_refuses_others() -> None:
    assert get_layout("kompoxops") is KompoxopsLayout
    assert get_layout("guide").name == "guide"
    with pytest.raises(ValueError, match="unknown layout 'azd'"):
        get_layout("azd")
