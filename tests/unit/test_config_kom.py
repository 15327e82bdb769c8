"""KOM documents (kompoxapp.yml) load as kompoxops v0.0.23 loads them; found as it finds them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kompox_tui.config import discover_config_paths, load_configs
from kompox_tui.errors import ConfigError

from .hostile_config_cases import APP, CLS, PRV, WS, kdoc, kom

CONFIGS = Path(__file__).parent / "configs"
APP1 = "/ws/aks-e2e-volume/prv/aks1/cls/cluster1/app/app1"
APP2 = "/ws/aks-e2e-volume/prv/aks1/cls/cluster1/app/app2"


def test_each_app_of_kompoxapp_yml_is_one_config() -> None:
    configs = load_configs([CONFIGS / "kompoxapp.yml"], env={})
    assert [c.kom_id for c in configs] == [APP1, APP2]
    for config in configs:
        assert config.layout == "kompoxops"
        assert config.workspace is not None and config.workspace.name == "aks-e2e-volume"
        assert config.hash_root == "aks-e2e-volume"
        assert (config.provider.name, config.cluster.name) == ("aks1", "cluster1")
        assert config.path == (CONFIGS / "kompoxapp.yml").resolve()
    assert [c.app.name for c in configs] == ["app1", "app2"]


def test_kom_values_pass_through_json_like_kompoxops() -> None:
    config = load_configs([CONFIGS / "kompoxapp.yml"], env={})[0]
    settings = config.cluster.settings
    assert settings["AZURE_AKS_SYSTEM_VM_DISK_SIZE_GB"] == "64"
    assert settings["AZURE_AKS_USER_VM_DISK_SIZE_GB"] == "1.5"  # a JSON number, re-printed
    assert settings["AZURE_AKS_SYSTEM_VM_ZONES"] == "true"  # YAML 1.1 'yes' is a boolean
    assert settings["AZURE_AKS_USER_VM_ZONES"] == ""
    vol1, vol2 = config.app.volumes
    assert dict(vol1.options) == {"sku": "Premium_LRS", "iops": 3000.0}
    assert type(vol1.options["iops"]) is float  # numeric options arrive as float64
    assert (vol2.size, vol2.size_gib) == ("10737418240", 10)  # a bare byte count


def test_kom_cluster_and_app_specs() -> None:
    config = load_configs([CONFIGS / "kompoxapp.yml"], env={})[0]
    protection = config.cluster.protection
    assert (protection.provisioning, protection.installation) == ("readOnly", "cannotDelete")
    assert config.cluster.ingress.cert_resolver == "staging"
    assert config.cluster.ingress.certificates[0].name == "example-cluster"
    assert config.app.compose == "services:\n  whoami:\n    image: traefik/whoami\n"
    assert config.app.deployment.zone == "1"
    assert [(r.name, r.port, r.hosts) for r in config.app.ingress.rules] == [
        ("main", 8080, ("whoami.example.com",))
    ]


def make_kom_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "kom"
    shutil.copytree(CONFIGS / "kom", folder)
    for ignored in ("node_modules", ".git", "vendor", "dist", "build"):
        (folder / ignored).mkdir(exist_ok=True)
        (folder / ignored / "broken.yml").write_text("kind: App\nmetadata: {name: x}\n")
    return folder


def test_kom_path_directories_are_scanned_recursively_skipping_vendor_dirs(
    tmp_path: Path,
) -> None:
    folder = make_kom_dir(tmp_path)
    files = discover_config_paths([], env={"KOMPOX_KOM_PATH": str(folder)}, cwd=tmp_path)
    assert sorted(p.name for p in files) == ["app1.yaml", "workspace.yml"]
    configs = load_configs(files, env={})
    assert [c.kom_id for c in configs] == ["/ws/ws1/prv/prv1/cls/cls1/app/app1"]
    assert configs[0].app.volumes[0].name == "data"


def test_kom_path_is_an_os_path_list_added_to_kompoxapp_yml(tmp_path: Path) -> None:
    folder = make_kom_dir(tmp_path)
    env = {"KOMPOX_KOM_PATH": f"{folder / 'workspace.yml'}:{folder / 'apps'}"}
    configs = load_configs([CONFIGS / "kompoxapp.yml"], env=env)
    assert [c.kom_id for c in configs] == [APP1, APP2, "/ws/ws1/prv/prv1/cls/cls1/app/app1"]


def test_defaults_kom_path_is_relative_to_kompoxapp_yml(tmp_path: Path) -> None:
    make_kom_dir(tmp_path)
    app = tmp_path / "kompoxapp.yml"
    app.write_text(kdoc("Defaults", "defaults", None, "spec:\n  komPath: [kom]\n"))
    configs = load_configs([app], env={})
    assert [c.app.name for c in configs] == ["app1"]
    # KOMPOX_KOM_PATH wins over Defaults.spec.komPath
    other = tmp_path / "other.yml"
    other.write_text(kom(WS, PRV, CLS, APP))
    configs = load_configs([app], env={"KOMPOX_KOM_PATH": str(other)})
    assert [c.kom_id for c in configs] == ["/ws/ws1/prv/aks1/cls/c1/app/a1"]


def test_discovery_prefers_kompoxapp_yml_over_db_url_and_kompoxops_yml(tmp_path: Path) -> None:
    shutil.copy(CONFIGS / "kompoxapp.yml", tmp_path / "kompoxapp.yml")
    shutil.copy(CONFIGS / "kompoxops-workspace.yml", tmp_path / "kompoxops.yml")
    env = {"KOMPOX_DB_URL": "file:kompoxops.yml"}
    assert discover_config_paths([], env=env, cwd=tmp_path) == [tmp_path / "kompoxapp.yml"]


def test_discovery_uses_kompox_kom_app(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.yml"
    shutil.copy(CONFIGS / "kompoxapp.yml", target)
    env = {"KOMPOX_KOM_APP": str(target)}
    assert discover_config_paths([], env=env, cwd=tmp_path) == [target]


def test_discovery_without_kom_falls_back_to_db_url(tmp_path: Path) -> None:
    env = {"KOMPOX_DB_URL": "file:x.yml", "KOMPOX_KOM_APP": str(tmp_path / "missing.yml")}
    assert discover_config_paths([], env=env, cwd=tmp_path) == [tmp_path / "x.yml"]


def test_kompoxops_yml_and_kompoxapp_yml_together_keep_the_order() -> None:
    configs = load_configs(
        [CONFIGS / "kompoxops-service-v006.yml", CONFIGS / "kompoxapp.yml"], env={}
    )
    assert [(c.layout, c.app.name) for c in configs] == [
        ("guide", "app1"),
        ("kompoxops", "app1"),
        ("kompoxops", "app2"),
    ]


def test_cluster_without_app_and_other_drivers_warn_and_have_no_row(tmp_path: Path) -> None:
    k3s = kdoc("Provider", "k3s1", "/ws/ws1/prv/k3s1", "spec:\n  driver: k3s\n")
    path = tmp_path / "kompoxapp.yml"
    path.write_text(
        kom(
            WS,
            PRV,
            CLS,
            APP,
            kdoc("Cluster", "c2", "/ws/ws1/prv/aks1/cls/c2"),
            k3s,
            kdoc("Cluster", "c3", "/ws/ws1/prv/k3s1/cls/c3"),
            kdoc("App", "a3", "/ws/ws1/prv/k3s1/cls/c3/app/a3"),
        )
    )
    (config,) = load_configs([path], env={})
    assert config.kom_id == "/ws/ws1/prv/aks1/cls/c1/app/a1"
    assert any("Cluster c2: no App" in w for w in config.warnings)
    assert any("driver 'k3s'" in w and "App a3" in w for w in config.warnings)


def test_layout_setting_in_a_kom_provider(tmp_path: Path) -> None:
    path = tmp_path / "kompoxapp.yml"
    path.write_text(kom(WS, PRV + "    KOMPOX_TUI_LAYOUT: guide\n", CLS, APP))
    (config,) = load_configs([path], env={})
    assert config.layout == "guide"
    (config,) = load_configs([path], env={}, layout="kompoxops")
    assert config.layout == "kompoxops"


def test_a_file_of_other_manifests_only_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "deploy.yml"
    path.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    with pytest.raises(ConfigError, match="no Kompox documents"):
        load_configs([path], env={})


def test_kom_path_entry_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    env = {"KOMPOX_KOM_PATH": str(tmp_path / "nope")}
    with pytest.raises(ConfigError, match="KOMPOX_KOM_PATH: path does not exist"):
        discover_config_paths([], env=env, cwd=tmp_path)


def test_the_same_kom_file_twice_is_read_once() -> None:
    path = CONFIGS / "kompoxapp.yml"
    configs = load_configs([path, CONFIGS / "kom" / ".." / "kompoxapp.yml"], env={})
    assert [c.kom_id for c in configs] == [APP1, APP2]


def test_kom_path_urls_are_refused_without_echoing_passwords(tmp_path: Path) -> None:
    url = "https://user:PASS-77@example.com/kom.yml"
    # KOMPOX_KOM_PATH is split on ':' as kompoxops splits it, so a URL is not a path there
    with pytest.raises(ConfigError, match="path does not exist") as info:
        discover_config_paths([], env={"KOMPOX_KOM_PATH": url}, cwd=tmp_path)
    assert "PASS-77" not in str(info.value)
    app = tmp_path / "kompoxapp.yml"
    app.write_text(kdoc("Defaults", "defaults", None, f"spec:\n  komPath: ['{url}']\n"))
    with pytest.raises(ConfigError, match="URL not supported") as info:
        load_configs([app], env={})
    assert "PASS-77" not in str(info.value)


def test_defaults_kom_path_naming_a_device_is_one_error(tmp_path: Path) -> None:
    link = tmp_path / "zero.yml"
    link.symlink_to("/dev/zero")
    app = tmp_path / "kompoxapp.yml"
    app.write_text(kdoc("Defaults", "defaults", None, "spec:\n  komPath: [zero.yml]\n"))
    with pytest.raises(ConfigError, match="not a regular file"):
        load_configs([app], env={})


def test_valid_boxes_are_accepted_and_add_no_row(tmp_path: Path) -> None:
    box = kdoc(
        "Box",
        "worker",
        "/ws/ws1/prv/aks1/cls/c1/app/a1/box/worker",
        "spec:\n  image: busybox\n  command: [sh]\n  args: [-c, sleep 1]\n",
    )
    path = tmp_path / "kompoxapp.yml"
    path.write_text(kom(WS, PRV, CLS, APP, box))
    assert [c.kom_id for c in load_configs([path], env={})] == ["/ws/ws1/prv/aks1/cls/c1/app/a1"]
