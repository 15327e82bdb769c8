"""SPEC §4 / §5 numbers the driver must use: time limits and the disk size on the wire."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kompox_tui.azure.cluster import ClusterOps
from kompox_tui.azure.volumes import DEFAULT_TIMEOUTS

if TYPE_CHECKING:
    from volumes_fixtures import VolEnv

pytest_plugins = ["volumes_fixtures"]

MINUTE = 60.0


def test_cluster_time_limits_are_the_spec_ones() -> None:
    assert ClusterOps.provision_timeout == 30 * MINUTE
    assert ClusterOps.deprovision_timeout == 30 * MINUTE
    assert ClusterOps.status_timeout == 5 * MINUTE
    assert ClusterOps.kubeconfig_timeout == 2 * MINUTE
    assert ClusterOps.install_timeout == 10 * MINUTE
    assert ClusterOps.uninstall_timeout == 10 * MINUTE


def test_volume_time_limits_are_the_spec_ones() -> None:
    spec = {
        "disk list": 1,
        "disk create": 2,
        "disk assign": 1,
        "disk delete": 2,
        "snapshot list": 1,
        "snapshot create": 3,
        "snapshot delete": 2,
        "snapshot restore": 3,
    }
    assert {op: DEFAULT_TIMEOUTS[op] for op in spec} == {
        op: minutes * MINUTE for op, minutes in spec.items()
    }


def test_a_new_disk_is_empty_premium_and_the_volume_size_rounded_up_to_whole_gib(
    vol_env_factory: Any,
) -> None:
    env: VolEnv = vol_env_factory(volumes=(("db", "1500Mi"),))
    disk = env.driver.disk_create("db")
    raw = env.arm.compute.disks.get(env.rg, disk.azure_name)
    assert raw["sku"]["name"] == "Premium_LRS"
    assert raw["properties"]["creationData"]["createOption"] == "Empty"
    assert raw["properties"]["diskSizeGB"] == 2
    assert disk.size_gib == 2
