"""kompoxops.yml loading: every malformed file gives one clear ConfigError; good files load."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from kompox_tui.config import (
    discover_config_paths,
    load_config,
    load_configs,
    parse_size_gib,
)
from kompox_tui.errors import ConfigError

from .hostile_config_cases import HOSTILE, PASSWORD

SUB = "00000000-0000-0000-0000-0000000000aa"
SECRET = "S3cr3t-Value-Never-Shown-7f3a"

FAKE_PEM = "-----BEGIN CERTIFICATE-----\nMIIBfakefakefake\n-----END CERTIFICATE-----\n"


def base_doc() -> dict[str, Any]:
    return {
        "version": "v1",
        "service": {"name": "svc1"},
        "provider": {
            "name": "aks1",
            "driver": "aks",
            "settings": {
                "AZURE_SUBSCRIPTION_ID": SUB,
                "AZURE_LOCATION": "japaneast",
                "AZURE_AUTH_METHOD": "azure_cli",
            },
        },
        "cluster": {
            "name": "cluster1",
            "existing": False,
            "ingress": {"namespace": "traefik", "serviceAccount": "traefik"},
            "settings": {"AZURE_RESOURCE_GROUP_NAME": "rg-cluster1"},
        },
        "app": {
            "name": "app1",
            "volumes": [{"name": "db", "size": "32Gi"}, {"name": "files", "size": "1Ti"}],
            "settings": {"AZURE_RESOURCE_GROUP_NAME": "rg-app1"},
        },
    }


def write(tmp_path: Path, doc: Any, name: str = "kompoxops.yml") -> Path:
    path = tmp_path / name
    text = doc if isinstance(doc, str) else yaml.safe_dump(doc, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


def edit(fn: Callable[[dict[str, Any]], None]) -> Callable[[], dict[str, Any]]:
    def make() -> dict[str, Any]:
        doc = copy.deepcopy(base_doc())
        fn(doc)
        return doc

    return make


def psettings(doc: dict[str, Any]) -> dict[str, Any]:
    settings: dict[str, Any] = doc["provider"]["settings"]
    return settings


def set_auth(method: str, **extra: Any) -> Callable[[dict[str, Any]], None]:
    def fn(doc: dict[str, Any]) -> None:
        psettings(doc)["AZURE_AUTH_METHOD"] = method
        psettings(doc).update(extra)

    return fn


def set_at(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """Set a dotted path (list indices as numbers); value ``...`` deletes the key."""

    def fn(doc: dict[str, Any]) -> None:
        parts = path.split(".")
        node: Any = doc
        for part in parts[:-1]:
            node = node[int(part)] if isinstance(node, list) else node[part]
        last = parts[-1]
        if value is ...:
            del node[last]
        elif isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value

    return fn


def drop_settings(*keys: str) -> Callable[[dict[str, Any]], None]:
    def fn(doc: dict[str, Any]) -> None:
        for key in keys:
            del psettings(doc)[key]

    return fn


def long_volume(doc: dict[str, Any]) -> None:
    doc["app"]["volumes"] = [{"name": "v" * 47, "size": "1Gi"}]


def dup_volumes(doc: dict[str, Any]) -> None:
    doc["app"]["volumes"] = [
        {"name": "db", "size": "1Gi"},
        {"name": "logs", "size": "1Gi"},
        {"name": "db", "size": "2Gi"},
    ]


# Each case: id, document (dict factory or raw YAML text), fragments the message must contain.
MALFORMED: list[tuple[str, Callable[[], Any] | str, list[str]]] = [
    ("empty-file", "", ["file is empty", "version, provider"]),
    ("top-level-list", "- a\n- b\n", ["top level is a list", "expected a mapping"]),
    ("top-level-scalar", "hello\n", ["top level is a string"]),
    ("yaml-syntax", "version: v1\nprovider: [aks\n", ["not valid YAML", "yml:"]),
    ("yaml-tab", "version: v1\n\tprovider: x\n", ["not valid YAML", "yml:2"]),
    (
        "yaml-duplicate-key",
        "version: v1\nversion: v1\n",
        ["yml:2: version:", "duplicate key 'version'", "first on line 1"],
    ),
    ("yaml-python-tag", "version: !!python/object:os.system x\n", ["not valid YAML"]),
    (
        "yaml-duplicate-nested-key",
        "version: v1\nprovider:\n  name: a\n  settings:\n    X: 1\n    X: 2\n",
        ["yml:6: provider.settings.X:", "duplicate key 'X'"],
    ),
    (
        "service-without-name",
        edit(set_at("service", {"other": 1})),
        ["service.name: missing", "DNS-1123"],
    ),
    (
        "service-name-not-dns",
        edit(set_at("service.name", "Svc_1")),
        ["service.name", "'Svc_1'", "DNS-1123 label"],
    ),
    ("service-is-list", edit(set_at("service", ["svc1"])), ["service: is a list", "mapping"]),
    ("provider-missing", edit(set_at("provider", ...)), ["provider: missing", "driver: aks"]),
    ("provider-name-empty", edit(set_at("provider.name", "")), ["provider.name: is empty"]),
    (
        "provider-name-too-long",
        edit(set_at("provider.name", "a" * 64)),
        ["provider.name", "1-63 characters"],
    ),
    (
        "provider-name-mapping",
        edit(set_at("provider.name", {"a": 1})),
        ["provider.name: is a mapping", "DNS-1123"],
    ),
    (
        "driver-unknown",
        edit(set_at("provider.driver", "k3s")),
        ["provider.driver", "unsupported driver 'k3s'", "only 'aks'"],
    ),
    ("driver-missing", edit(set_at("provider.driver", ...)), ["provider.driver: missing"]),
    (
        "provider-settings-missing",
        edit(set_at("provider.settings", ...)),
        ["provider.settings: missing", "AZURE_SUBSCRIPTION_ID, AZURE_LOCATION, AZURE_AUTH_METHOD"],
    ),
    (
        "provider-settings-list",
        edit(set_at("provider.settings", ["AZURE_LOCATION=japaneast"])),
        ["provider.settings: is a list", "mapping of setting names to values"],
    ),
    (
        "setting-mapping",
        edit(set_at("provider.settings.AZURE_LOCATION", {"a": "b"})),
        ["provider.settings.AZURE_LOCATION", "is a mapping", "must be a single value"],
    ),
    (
        "setting-list",
        edit(set_at("cluster.settings.AZURE_AKS_USER_VM_ZONES", [1, 2])),
        ["cluster.settings.AZURE_AKS_USER_VM_ZONES", "is a list"],
    ),
    (
        "required-settings-missing",
        edit(drop_settings("AZURE_SUBSCRIPTION_ID", "AZURE_LOCATION")),
        ["provider.settings", "missing required settings AZURE_SUBSCRIPTION_ID, AZURE_LOCATION"],
    ),
    (
        "auth-method-missing",
        edit(drop_settings("AZURE_AUTH_METHOD")),
        ["missing required setting AZURE_AUTH_METHOD", "client_secret"],
    ),
    (
        "subscription-not-guid",
        edit(set_at("provider.settings.AZURE_SUBSCRIPTION_ID", "my-sub")),
        ["provider.settings.AZURE_SUBSCRIPTION_ID", "'my-sub'", "GUID"],
    ),
    (
        "location-bad",
        edit(set_at("provider.settings.AZURE_LOCATION", "japan/east")),
        ["provider.settings.AZURE_LOCATION", "'japan/east'", "japaneast"],
    ),
    (
        "auth-method-unknown",
        edit(set_auth("password")),
        ["provider.settings.AZURE_AUTH_METHOD", "unsupported AZURE_AUTH_METHOD: password"],
    ),
    (
        "client-secret-missing-keys",
        edit(set_auth("client_secret", AZURE_CLIENT_ID="c1")),
        [
            "provider.settings",
            "AZURE_AUTH_METHOD client_secret needs",
            "missing: AZURE_TENANT_ID, AZURE_CLIENT_SECRET",
        ],
    ),
    (
        "client-certificate-missing-keys",
        edit(set_auth("client_certificate", AZURE_TENANT_ID="t1", AZURE_CLIENT_ID="c1")),
        ["client_certificate", "missing: AZURE_CLIENT_CERTIFICATE_PATH"],
    ),
    (
        "workload-identity-missing-keys",
        edit(set_auth("workload_identity")),
        [
            "workload_identity",
            "missing: AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_FEDERATED_TOKEN_FILE",
        ],
    ),
    (
        "client-certificate-file-missing",
        edit(
            set_auth(
                "client_certificate",
                AZURE_TENANT_ID="t1",
                AZURE_CLIENT_ID="c1",
                AZURE_CLIENT_CERTIFICATE_PATH="certs/nope.pem",
            )
        ),
        ["provider.settings.AZURE_CLIENT_CERTIFICATE_PATH", "file not found", "nope.pem"],
    ),
    (
        "federated-token-file-missing",
        edit(
            set_auth(
                "workload_identity",
                AZURE_TENANT_ID="t1",
                AZURE_CLIENT_ID="c1",
                AZURE_FEDERATED_TOKEN_FILE="/nonexistent/token",
            )
        ),
        ["AZURE_FEDERATED_TOKEN_FILE", "file not found: /nonexistent/token"],
    ),
    (
        "tenant-bad",
        edit(
            set_auth(
                "client_secret",
                AZURE_TENANT_ID="bad tenant!",
                AZURE_CLIENT_ID="c",
                AZURE_CLIENT_SECRET="s",
            )
        ),
        ["provider.settings.AZURE_TENANT_ID", "'bad tenant!'", "GUID or a domain"],
    ),
    (
        "authority-http",
        edit(set_at("provider.settings.AZURE_AUTHORITY_HOST", "http://login.example")),
        ["provider.settings.AZURE_AUTHORITY_HOST", "'http://login.example'", "https URL"],
    ),
    (
        "arm-endpoint-not-url",
        edit(set_at("provider.settings.AZURE_RESOURCE_MANAGER_ENDPOINT", "management")),
        ["AZURE_RESOURCE_MANAGER_ENDPOINT", "'management'", "https URL"],
    ),
    (
        "ca-bundle-missing",
        edit(set_at("provider.settings.AZURE_CA_BUNDLE", "missing-ca.pem")),
        ["provider.settings.AZURE_CA_BUNDLE", "file not found", "missing-ca.pem"],
    ),
    ("cluster-missing", edit(set_at("cluster", ...)), ["cluster: missing"]),
    (
        "cluster-name-upper",
        edit(set_at("cluster.name", "Cluster1")),
        ["cluster.name", "'Cluster1'", "lower-case"],
    ),
    (
        "cluster-existing-string",
        edit(set_at("cluster.existing", "maybe")),
        ["cluster.existing", "'maybe'", "true or false"],
    ),
    (
        "cluster-ingress-list",
        edit(set_at("cluster.ingress", ["traefik"])),
        ["cluster.ingress: is a list", "namespace"],
    ),
    (
        "ingress-namespace-invalid",
        edit(set_at("cluster.ingress.namespace", "Traefik_NS")),
        ["cluster.ingress.namespace", "'Traefik_NS'", "namespace name"],
    ),
    (
        "ingress-service-account-invalid",
        edit(set_at("cluster.ingress.serviceAccount", "Traefik SA")),
        ["cluster.ingress.serviceAccount", "'Traefik SA'"],
    ),
    (
        "cluster-rg-trailing-dot",
        edit(set_at("cluster.settings.AZURE_RESOURCE_GROUP_NAME", "rg-cluster.")),
        ["cluster.settings.AZURE_RESOURCE_GROUP_NAME", "'rg-cluster.'", "cannot end with '.'"],
    ),
    (
        "cluster-rg-bad-chars",
        edit(set_at("cluster.settings.AZURE_RESOURCE_GROUP_NAME", "rg/cluster")),
        ["cluster.settings.AZURE_RESOURCE_GROUP_NAME", "'rg/cluster'", "1-90"],
    ),
    (
        "k8s-version-bad",
        edit(set_at("cluster.settings.AZURE_AKS_KUBERNETES_VERSION", "latest")),
        ["cluster.settings.AZURE_AKS_KUBERNETES_VERSION", "'latest'", "1.33"],
    ),
    (
        "system-pool-bad",
        edit(set_at("cluster.settings.AZURE_AKS_SYSTEM_POOL", "Huge")),
        ["AZURE_AKS_SYSTEM_POOL", "'Huge'", "CostOptimised, Standard, HighSpec"],
    ),
    ("app-missing", edit(set_at("app", ...)), ["app: missing"]),
    ("app-name-missing", edit(set_at("app.name", ...)), ["app.name: missing"]),
    (
        "app-rg-too-long",
        edit(set_at("app.settings.AZURE_RESOURCE_GROUP_NAME", "r" * 91)),
        ["app.settings.AZURE_RESOURCE_GROUP_NAME", "1-90"],
    ),
    (
        "volumes-mapping",
        edit(set_at("app.volumes", {"db": "32Gi"})),
        ["app.volumes: is a mapping", "list of {name, size}"],
    ),
    (
        "volume-item-string",
        edit(set_at("app.volumes", ["db"])),
        ["app.volumes[0]: is a string", "{name: db, size: 32Gi}"],
    ),
    (
        "volume-size-abc",
        edit(set_at("app.volumes.1.size", "abc")),
        ["app.volumes[1].size", "'abc' is not a quantity", "32Gi"],
    ),
    (
        "volume-size-negative",
        edit(set_at("app.volumes.1.size", "-1Gi")),
        ["app.volumes[1].size", "'-1Gi' is negative"],
    ),
    ("volume-size-zero", edit(set_at("app.volumes.0.size", "0")), ["app.volumes[0].size", "zero"]),
    (
        "volume-size-two-dots",
        edit(set_at("app.volumes.1.size", "1.5.3Gi")),
        ["app.volumes[1].size", "'1.5.3Gi' is not a quantity"],
    ),
    (
        "volume-size-missing",
        edit(set_at("app.volumes.0.size", ...)),
        ["app.volumes[0].size: missing"],
    ),
    (
        "volume-size-bool",
        edit(set_at("app.volumes.0.size", True)),
        ["app.volumes[0].size", "'true' is not a quantity"],
    ),
    (
        "volume-size-too-big",
        edit(set_at("app.volumes.0.size", "64Ti")),
        ["app.volumes[0].size", "65536 GiB", "at most 32767 GiB"],
    ),
    (
        "volume-duplicate",
        edit(dup_volumes),
        ["app.volumes[2].name", "duplicate volume name 'db'", "app.volumes[0]"],
    ),
    (
        "volume-name-too-long",
        edit(long_volume),
        ["app.volumes[0].name", "would be 81 characters", "at most 46"],
    ),
    (
        "volume-name-not-dns",
        edit(set_at("app.volumes.0.name", "DB_1")),
        ["app.volumes[0].name", "'DB_1'", "DNS-1123"],
    ),
    (
        "volume-name-missing",
        edit(set_at("app.volumes.0.name", ...)),
        ["app.volumes[0].name: missing"],
    ),
]
MALFORMED += HOSTILE  # issues 11 and 16: hostile names, URLs, files, KOM documents


@pytest.mark.parametrize(
    ("doc", "fragments"),
    [pytest.param(doc, frags, id=case_id) for case_id, doc, frags in MALFORMED],
)
def test_malformed_config_names_file_key_and_expectation(
    tmp_path: Path, doc: Callable[[], Any] | str, fragments: list[str]
) -> None:
    path = write(tmp_path, doc if isinstance(doc, str) else doc(), name="broken.yml")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    assert "Traceback" not in message
    assert "\n" not in message.strip()
    assert PASSWORD not in message
    assert info.value.file == str(path)


def test_at_least_thirty_malformed_cases() -> None:
    assert len(MALFORMED) >= 30


def test_error_carries_key_path_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, edit(set_at("app.volumes.1.size", "abc"))())
    with pytest.raises(ConfigError) as info:
        load_config(path)
    text = path.read_text().splitlines()
    assert info.value.key == "app.volumes[1].size"
    assert info.value.line is not None
    assert "abc" in text[info.value.line - 1]
    assert f"{path}:{info.value.line}: app.volumes[1].size:" in str(info.value)


def test_missing_file_suggests_f_and_demo(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yml"
    with pytest.raises(ConfigError) as info:
        load_config(missing)
    message = str(info.value)
    assert str(missing) in message and "file not found" in message
    assert "-f FILE" in message and "--demo" in message


def test_directory_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is a directory"):
        load_config(tmp_path)


def test_binary_file_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "bin.yml"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(path)


def test_secret_setting_of_wrong_type_never_shows_its_value(tmp_path: Path) -> None:
    text = (
        "version: v1\nprovider:\n  name: aks1\n  driver: aks\n  settings:\n"
        "    AZURE_CLIENT_SECRET: [987654321012]\n"
    )
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert "provider.settings.AZURE_CLIENT_SECRET" in message
    assert "987654321012" not in message


def test_yaml_syntax_error_does_not_echo_the_line_with_a_secret(tmp_path: Path) -> None:
    text = f"version: v1\nprovider:\n  settings:\n    AZURE_CLIENT_SECRET: {SECRET}: [unclosed\n"
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert "not valid YAML" in str(info.value)
    assert SECRET not in str(info.value)


def test_missing_per_method_settings_never_show_present_secret(tmp_path: Path) -> None:
    doc = base_doc()
    set_auth("client_secret", AZURE_CLIENT_SECRET=SECRET)(doc)
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, doc))
    assert "missing: AZURE_TENANT_ID, AZURE_CLIENT_ID" in str(info.value)
    assert SECRET not in str(info.value)


def test_ca_bundle_that_is_not_pem(tmp_path: Path) -> None:
    (tmp_path / "ca.txt").write_text("not a certificate")
    doc = base_doc()
    psettings(doc)["AZURE_CA_BUNDLE"] = "ca.txt"
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, doc))
    assert "AZURE_CA_BUNDLE" in str(info.value)
    assert "is not a PEM CA bundle" in str(info.value)


def test_db_url_with_unsupported_scheme_hides_credentials(tmp_path: Path) -> None:
    env = {"KOMPOX_DB_URL": "postgres://admin:hunter2@db.example/kompox"}
    with pytest.raises(ConfigError) as info:
        discover_config_paths([], env=env, cwd=tmp_path)
    message = str(info.value)
    assert "'postgres:' scheme" in message and "file:PATH" in message
    assert "hunter2" not in message


def test_db_url_sqlite_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="'sqlite:' scheme"):
        discover_config_paths([], env={"KOMPOX_DB_URL": "sqlite:kompox.db"}, cwd=tmp_path)


# --- good files ---------------------------------------------------------------------------


def test_full_config_loads_into_the_model(tmp_path: Path) -> None:
    path = write(tmp_path, base_doc())
    config = load_config(path)
    assert config.path == path.resolve()
    assert config.version == "v1"
    assert config.service is not None and config.service.name == "svc1"
    assert config.service_name == "svc1"
    assert config.provider.name == "aks1" and config.provider.driver == "aks"
    assert config.provider.settings["AZURE_SUBSCRIPTION_ID"] == SUB
    assert config.provider.settings["AZURE_AUTH_METHOD"] == "azure_cli"
    assert config.cluster.name == "cluster1" and config.cluster.existing is False
    assert config.cluster.ingress.effective_namespace == "traefik"
    assert config.cluster.ingress.effective_service_account == "traefik"
    assert config.cluster.settings["AZURE_RESOURCE_GROUP_NAME"] == "rg-cluster1"
    assert config.app.name == "app1"
    assert [(v.name, v.size, v.size_gib) for v in config.app.volumes] == [
        ("db", "32Gi", 32),
        ("files", "1Ti", 1024),
    ]
    assert config.app.settings["AZURE_RESOURCE_GROUP_NAME"] == "rg-app1"


def test_minimal_config_gets_defaults_and_nil_service(tmp_path: Path) -> None:
    doc = base_doc()
    del doc["service"]
    doc["cluster"] = {"name": "c1"}
    doc["app"] = {"name": "a1"}
    config = load_config(write(tmp_path, doc))
    assert config.service is None
    assert config.service_name == "(nil)"
    assert config.cluster.existing is False
    assert config.cluster.ingress.namespace is None
    assert config.cluster.ingress.effective_namespace == "default"
    assert config.cluster.ingress.effective_service_account == "traefik"
    assert dict(config.cluster.settings) == {}
    assert config.app.volumes == ()
    assert dict(config.app.settings) == {}


def test_null_service_is_nil(tmp_path: Path) -> None:
    doc = base_doc()
    doc["service"] = None
    assert load_config(write(tmp_path, doc)).service_name == "(nil)"


@pytest.mark.parametrize("namespace", [123, None, ["traefik"], {"a": 1}, True, ""])
def test_non_string_ingress_namespace_means_default(tmp_path: Path, namespace: Any) -> None:
    doc = base_doc()
    doc["cluster"]["ingress"]["namespace"] = namespace
    ingress = load_config(write(tmp_path, doc)).cluster.ingress
    assert ingress.namespace is None
    assert ingress.effective_namespace == "default"


def test_resource_groups_are_optional_at_load_time(tmp_path: Path) -> None:
    doc = base_doc()
    del doc["cluster"]["settings"]
    del doc["app"]["settings"]
    config = load_config(write(tmp_path, doc))
    assert "AZURE_RESOURCE_GROUP_NAME" not in config.cluster.settings
    assert "AZURE_RESOURCE_GROUP_NAME" not in config.app.settings


def test_valid_resource_group_with_parentheses_and_dots(tmp_path: Path) -> None:
    doc = base_doc()
    doc["app"]["settings"]["AZURE_RESOURCE_GROUP_NAME"] = "rg_(app).v1"
    config = load_config(write(tmp_path, doc))
    assert config.app.settings["AZURE_RESOURCE_GROUP_NAME"] == "rg_(app).v1"


def test_optional_cluster_settings_accepted(tmp_path: Path) -> None:
    doc = base_doc()
    doc["cluster"]["settings"].update(
        {"AZURE_AKS_KUBERNETES_VERSION": "1.33.2", "AZURE_AKS_SYSTEM_POOL": "HighSpec"}
    )
    settings = load_config(write(tmp_path, doc)).cluster.settings
    assert settings["AZURE_AKS_KUBERNETES_VERSION"] == "1.33.2"
    assert settings["AZURE_AKS_SYSTEM_POOL"] == "HighSpec"


def test_relative_paths_are_resolved_against_the_config_directory(tmp_path: Path) -> None:
    conf_dir = tmp_path / "conf"
    (conf_dir / "certs").mkdir(parents=True)
    (conf_dir / "certs" / "ca.pem").write_text(FAKE_PEM)
    (conf_dir / "certs" / "client.pem").write_text(FAKE_PEM)
    doc = base_doc()
    set_auth(
        "client_certificate",
        AZURE_TENANT_ID="contoso.onmicrosoft.com",
        AZURE_CLIENT_ID="c1",
        AZURE_CLIENT_CERTIFICATE_PATH="certs/client.pem",
        AZURE_CA_BUNDLE="./certs/ca.pem",
        AZURE_AUTHORITY_HOST="https://login.example.test",
        AZURE_RESOURCE_MANAGER_ENDPOINT="https://127.0.0.1:8443",
    )(doc)
    settings = load_config(write(conf_dir, doc)).provider.settings
    assert settings["AZURE_CLIENT_CERTIFICATE_PATH"] == str(conf_dir / "certs" / "client.pem")
    assert settings["AZURE_CA_BUNDLE"] == str(conf_dir / "certs" / "ca.pem")
    assert Path(settings["AZURE_CA_BUNDLE"]).is_absolute()


def test_settings_repr_hides_the_client_secret(tmp_path: Path) -> None:
    doc = base_doc()
    set_auth(
        "client_secret", AZURE_TENANT_ID="t1", AZURE_CLIENT_ID="c1", AZURE_CLIENT_SECRET=SECRET
    )(doc)
    config = load_config(write(tmp_path, doc))
    assert config.provider.settings["AZURE_CLIENT_SECRET"] == SECRET
    assert SECRET not in repr(config)


def test_unknown_kompox_keys_are_tolerated(tmp_path: Path) -> None:
    doc = base_doc()
    doc["app"]["compose"] = "file:compose.yml"
    doc["app"]["ingress"] = {"rules": [{"name": "web", "port": 80}]}
    doc["cluster"]["ingress"]["certificates"] = [{"name": "a", "source": "https://x"}]
    doc["provider"]["settings"]["AZURE_RESOURCE_GROUP_BASE_NAME"] = "base"
    config = load_config(write(tmp_path, doc))
    assert config.app.name == "app1"


def test_yaml_anchors_and_merge_keys_work(tmp_path: Path) -> None:
    text = (
        "version: v1\n"
        "provider:\n  name: aks1\n  driver: aks\n  settings: &common\n"
        f"    AZURE_SUBSCRIPTION_ID: {SUB}\n    AZURE_LOCATION: japaneast\n"
        "    AZURE_AUTH_METHOD: azure_cli\n"
        "cluster: {name: c1}\n"
        "app:\n  name: a1\n  settings:\n    <<: *common\n    AZURE_LOCATION: westus\n"
    )
    config = load_config(write(tmp_path, text))
    assert config.app.settings["AZURE_LOCATION"] == "westus"
    assert config.app.settings["AZURE_SUBSCRIPTION_ID"] == SUB


def test_numeric_size_is_read_as_written(tmp_path: Path) -> None:
    doc = base_doc()
    doc["app"]["volumes"] = [{"name": "db", "size": 10737418240}, {"name": "x", "size": "1e9"}]
    volumes = load_config(write(tmp_path, doc)).app.volumes
    assert (volumes[0].size, volumes[0].size_gib) == ("10737418240", 10)
    assert (volumes[1].size, volumes[1].size_gib) == ("1e9", 1)


def test_longest_valid_volume_name_is_accepted(tmp_path: Path) -> None:
    doc = base_doc()
    doc["app"]["volumes"] = [{"name": "v" * 46, "size": "1Gi"}]
    assert load_config(write(tmp_path, doc)).app.volumes[0].name == "v" * 46


def test_load_configs_keeps_order(tmp_path: Path) -> None:
    first = base_doc()
    second = base_doc()
    second["cluster"]["name"] = "cluster2"
    paths = [write(tmp_path, first, "a.yml"), write(tmp_path, second, "b.yml")]
    assert [c.cluster.name for c in load_configs(paths)] == ["cluster1", "cluster2"]


def test_load_configs_reports_the_broken_file(tmp_path: Path) -> None:
    bad = base_doc()
    bad["provider"]["driver"] = "k3s"
    paths = [write(tmp_path, base_doc(), "a.yml"), write(tmp_path, bad, "b.yml")]
    with pytest.raises(ConfigError) as info:
        load_configs(paths)
    assert "b.yml" in str(info.value) and "a.yml" not in str(info.value)


# --- discovery ---------------------------------------------------------------------------


def test_discovery_prefers_cli_files_in_order(tmp_path: Path) -> None:
    env = {"KOMPOX_DB_URL": "file:other.yml"}
    (tmp_path / "kompoxops.yml").write_text("x")
    found = discover_config_paths(["b.yml", "a.yml", "b.yml"], env=env, cwd=tmp_path)
    assert found == [tmp_path / "b.yml", tmp_path / "a.yml"]


def test_discovery_keeps_absolute_cli_paths(tmp_path: Path) -> None:
    target = tmp_path / "abs.yml"
    assert discover_config_paths([str(target)], env={}, cwd="/") == [target]


def test_discovery_uses_kompox_db_url_file(tmp_path: Path) -> None:
    (tmp_path / "kompoxops.yml").write_text("x")
    found = discover_config_paths([], env={"KOMPOX_DB_URL": "file:conf/k.yml"}, cwd=tmp_path)
    assert found == [tmp_path / "conf" / "k.yml"]


def test_discovery_accepts_file_url_with_slashes(tmp_path: Path) -> None:
    url = f"file://{tmp_path}/k%20x.yml"
    assert discover_config_paths([], env={"KOMPOX_DB_URL": url}, cwd="/") == [tmp_path / "k x.yml"]


def test_discovery_falls_back_to_kompoxops_yml_in_cwd(tmp_path: Path) -> None:
    (tmp_path / "kompoxops.yml").write_text("x")
    assert discover_config_paths([], env={"KOMPOX_DB_URL": ""}, cwd=tmp_path) == [
        tmp_path / "kompoxops.yml"
    ]


def test_discovery_with_nothing_found_suggests_f_and_demo(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        discover_config_paths([], env={}, cwd=tmp_path)
    message = str(info.value)
    assert "no kompoxops.yml" in message and str(tmp_path) in message
    assert "-f FILE" in message and "kompox-tui --demo" in message


def test_discovery_reads_os_environ_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KOMPOX_DB_URL", "file:from-env.yml")
    assert discover_config_paths([], cwd=tmp_path) == [tmp_path / "from-env.yml"]


# --- sizes -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "gib"),
    [
        ("32Gi", 32),
        ("1Ti", 1024),
        ("500Mi", 1),
        ("1024Mi", 1),
        ("1025Mi", 2),
        ("2049Mi", 3),
        ("10G", 10),  # 10e9 bytes = 9.31 GiB -> 10
        ("1G", 1),
        ("2G", 2),  # 1.86 GiB -> 2
        ("1e9", 1),
        ("1E10", 10),
        ("1073741824", 1),
        ("1073741825", 2),
        ("1", 1),
        ("1.5Gi", 2),
        ("0.5Gi", 1),
        (".5Ti", 512),
        ("100k", 1),
        ("1Pi", 1024 * 1024),
        ("+8Gi", 8),
        (" 4Gi ", 4),
        ("500m", 1),
    ],
)
def test_parse_size_rounds_up_to_whole_gib(text: str, gib: int) -> None:
    assert parse_size_gib(text) == gib


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("abc", "not a quantity"),
        ("-1Gi", "negative"),
        ("0", "zero"),
        ("0Gi", "zero"),
        ("-0", "negative"),
        ("1.5.3Gi", "not a quantity"),
        ("", "not a quantity"),
        ("Gi", "not a quantity"),
        ("5 Gi", "not a quantity"),
        ("5gi", "not a quantity"),
        ("5GiB", "not a quantity"),
        ("1e999", "out of range"),
    ],
)
def test_parse_size_rejects_bad_quantities(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_size_gib(text)
