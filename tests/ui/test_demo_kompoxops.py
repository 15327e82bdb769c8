"""The demo's third cluster is made the kompoxops way (issue 11): a ``workspace:`` file
that opens in the kompoxops layout, a subscription deployment named after the cluster
RG, Traefik as Helm leaves it, CompactID disks and snapshots in the kompoxops app RG."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kompox_tui.azure.driver import AksDriver
from kompox_tui.demo import (
    DEMO_CLUSTERS,
    KOMPOXOPS_CLUSTER,
    KOMPOXOPS_DISK_AGES,
    KOMPOXOPS_SNAPSHOT_AGES,
    DemoEnvironment,
)
from kompox_tui.layouts import layout_for
from kompox_tui.layouts.kompoxops import compact_id_time


def test_the_third_demo_cluster_is_a_kompoxops_estate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("IDENTITY_ENDPOINT", "IDENTITY_HEADER", "KUBECONFIG"):
        monkeypatch.setenv(name, "unset")
    env = DemoEnvironment(tmp_path / "demo")
    try:
        configs = env.start_emulator()
        env.seed()
        assert [c.layout for c in configs] == ["guide", "guide", "kompoxops"]
        config = configs[KOMPOXOPS_CLUSTER]
        doc = yaml.safe_load(config.path.read_text())
        assert doc["workspace"] == {"name": DEMO_CLUSTERS[KOMPOXOPS_CLUSTER].workspace}
        assert "service" not in doc
        assert "AZURE_RESOURCE_GROUP_NAME" not in doc["cluster"]["settings"]
        layout = layout_for(config)
        driver = AksDriver(config)
        try:
            status = driver.cluster_status()
            assert status.provisioned and status.installed
            assert status.provisioning_kind == "deployment"
            assert status.provisioning_name == layout.cluster_resource_group()
            assert status.ingress_managed_by == "Helm"
            disks = driver.disk_list("data")
            snapshots = driver.snapshot_list("data")
        finally:
            driver.close()
        assert len(disks) == len(KOMPOXOPS_DISK_AGES)
        assert len(snapshots) == len(KOMPOXOPS_SNAPSHOT_AGES)
        assert sum(d.assigned for d in disks) == 1
        app_rg = layout.app_resource_group()
        names = layout.volume_names(config.app.volumes[0])
        for item in disks:
            assert item.azure_name == names.resource_name("disk", item.name)
            assert f"/resourceGroups/{app_rg}/" in item.resource_id
            assert compact_id_time(item.name) == item.created_at
        for snap in snapshots:
            assert snap.azure_name == names.resource_name("snapshot", snap.name)
            assert compact_id_time(snap.name) == snap.created_at
    finally:
        env.stop()
