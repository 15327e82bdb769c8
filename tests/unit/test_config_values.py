"""How single values load (yaml.v3's rules), and the warnings a file can produce."""

from __future__ import annotations

from pathlib import Path

import pytest

from kompox_tui.config import all_warnings, load_config, load_configs, redact
from kompox_tui.config.fields import one_edit
from kompox_tui.errors import ConfigError

SUB = "00000000-0000-0000-0000-0000000000aa"
HEAD = (
    "version: v1\nworkspace:\n  name: ws1\nprovider:\n  name: aks1\n  driver: aks\n"
    f"  settings:\n    AZURE_SUBSCRIPTION_ID: {SUB}\n    AZURE_LOCATION: japaneast\n"
    "    AZURE_AUTH_METHOD: azure_cli\n"
)
TAIL = "app:\n  name: app1\n"


def load(tmp_path: Path, text: str, name: str = "kompoxops.yml"):  # type: ignore[no-untyped-def]
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load_config(path)


@pytest.mark.parametrize(
    ("written", "loaded"),
    [
        ("64", "64"),
        ("1", "1"),
        ("01", "01"),
        ("1.50", "1.50"),
        ("1e3", "1e3"),
        ("0x1F", "0x1F"),
        ("true", "true"),
        ("True", "True"),
        ("yes", "yes"),
        ("off", "off"),
        ("2026-01-01", "2026-01-01"),
        ("'64'", "64"),
        ('"a: b"', "a: b"),
        ("", ""),
        ("~", ""),
        ("null", ""),
        ("'null'", "null"),
        ("!!str 64", "64"),
        ("a b  c", "a b  c"),
    ],
)
def test_a_setting_keeps_the_scalar_source_text(tmp_path: Path, written: str, loaded: str) -> None:
    text = HEAD + f"cluster:\n  name: c1\n  settings:\n    X: {written}\n" + TAIL
    settings = load(tmp_path, text).cluster.settings
    assert "X" in settings and settings["X"] == loaded


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("3000", 3000),
        ("3000.0", 3000.0),
        ('"3000"', "3000"),
        ("true", True),
        ("yes", "yes"),  # yaml.v3 is YAML 1.2 for untyped values: 'yes' stays text
        ("2026-01-01", "2026-01-01"),
        ("~", None),
        ("0o17", 15),
    ],
)
def test_volume_options_are_typed_as_yaml_v3_types_them(
    tmp_path: Path, written: str, value: object
) -> None:
    text = (
        HEAD
        + "cluster: {name: c1}\n"
        + TAIL
        + f"  volumes:\n    - name: db\n      size: 1Gi\n      options:\n        iops: {written}\n"
    )
    option = load(tmp_path, text).app.volumes[0].options["iops"]
    assert option == value and type(option) is type(value)


@pytest.mark.parametrize(
    ("written", "existing"),
    [
        ("true", True),
        ("y", True),
        ("Yes", True),
        ("ON", True),
        ("no", False),
        ("off", False),
        ("N", False),
        ("", False),
        ("false", False),
    ],
)
def test_existing_takes_yaml_1_1_bool_words(tmp_path: Path, written: str, existing: bool) -> None:
    text = HEAD + f"cluster:\n  name: c1\n  existing: {written}\n" + TAIL
    assert load(tmp_path, text).cluster.existing is existing


@pytest.mark.parametrize(
    ("a", "b", "near"),
    [
        ("volume", "volumes", True),
        ("AZURE_SUBSCRIPTON_ID", "AZURE_SUBSCRIPTION_ID", True),
        ("AZURE_LOCATOIN", "AZURE_LOCATION", True),  # a transposition
        ("Volumes", "volumes", True),
        ("volumes", "volumes", False),
        ("vol", "volumes", False),
        ("AZURE_SUBSCRIPTON_IDS", "AZURE_SUBSCRIPTION_ID", False),
    ],
)
def test_one_edit(a: str, b: str, near: bool) -> None:
    assert one_edit(a, b) is near and one_edit(b, a) is near


def test_near_miss_keys_warn_naming_both_with_file_and_line(tmp_path: Path) -> None:
    text = HEAD.replace(
        "AZURE_LOCATION: japaneast", "AZURE_LOCATION: japaneast\n    AZURE_SUBSCRIPTON_ID: x"
    )
    text += "cluster:\n  name: c1\n  ingres: {}\n" + TAIL + "  volume:\n    - name: db\n"
    config = load(tmp_path, text)
    path = tmp_path / "kompoxops.yml"
    assert config.warnings == (
        f"{path}:10: provider.settings.AZURE_SUBSCRIPTON_ID: unknown key "
        "'AZURE_SUBSCRIPTON_ID' is ignored; did you mean 'AZURE_SUBSCRIPTION_ID'?",
        f"{path}:14: cluster.ingres: unknown key 'ingres' is ignored; did you mean 'ingress'?",
        f"{path}:17: app.volume: unknown key 'volume' is ignored; did you mean 'volumes'?",
    )
    assert config.app.volumes == ()


def test_unknown_keys_far_from_any_known_key_are_ignored_quietly(tmp_path: Path) -> None:
    text = HEAD + "cluster:\n  name: c1\n  labels: {a: b}\n" + TAIL + "extra: 1\n"
    assert load(tmp_path, text).warnings == ()


@pytest.mark.parametrize(
    ("size", "suggestion"), [("32", " — did you mean 32Gi?"), ("500Mi", ""), ("1e6", "")]
)
def test_sizes_under_one_gib_warn(tmp_path: Path, size: str, suggestion: str) -> None:
    text = (
        HEAD + "cluster: {name: c1}\n" + TAIL + f"  volumes:\n    - name: db\n      size: {size}\n"
    )
    config = load(tmp_path, text)
    (warning,) = config.warnings
    assert f":16: app.volumes[0].size: size: {size} means " in warning
    assert "less than 1 GiB; the disk will be 1 GiB" in warning
    assert warning.endswith(suggestion or "1 GiB")
    assert config.app.volumes[0].size == size  # the Kubernetes meaning is kept


@pytest.mark.parametrize(
    ("line", "fragment"),
    [("version: v2\n", "'v2' is not 'v1'"), ("version: 1\n", "'1' is not 'v1'"), ("", "missing")],
)
def test_version_is_not_a_gate(tmp_path: Path, line: str, fragment: str) -> None:
    text = HEAD.replace("version: v1\n", line) + "cluster: {name: c1}\n" + TAIL
    config = load(tmp_path, text)
    assert config.app.name == "app1"
    assert any(fragment in w for w in config.warnings)


def test_all_warnings_lists_each_warning_once(tmp_path: Path) -> None:
    text = HEAD + "cluster: {name: c1}\n" + TAIL + "  volume: []\n"
    (tmp_path / "a.yml").write_text(text)
    configs = load_configs([tmp_path / "a.yml", tmp_path / "a.yml"], env={})
    assert len(configs) == 2
    assert len(all_warnings(configs)) == 1


def test_alias_bombs_are_refused_quickly(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    text = (
        HEAD
        + "cluster: {name: c1}\n"
        + TAIL
        + "  compose:\n"
        + "".join(f"    {line}\n" for line in lines)
    )
    with pytest.raises(ConfigError, match="too large"):
        load(tmp_path, text)


def test_merge_keys_written_keys_win(tmp_path: Path) -> None:
    text = (
        HEAD
        + "cluster:\n  name: c1\n  settings: &s\n    A: 1\n    B: 2\n"
        + TAIL
        + "  settings:\n    <<: *s\n    B: 3\n"
    )
    assert dict(load(tmp_path, text).app.settings) == {"A": "1", "B": "3"}


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("file://admin:PASS@host/x.yml", "file://***@host/x.yml"),
        (
            "see https://u:p@login.example/t and http://a@b",
            "see https://***@login.example/t and http://***@b",
        ),
        ("no url here: a@b", "no url here: a@b"),
    ],
)
def test_redact_hides_url_userinfo(text: str, shown: str) -> None:
    assert redact(text) == shown


def test_validated_provider_settings_are_trimmed_before_use(tmp_path: Path) -> None:
    text = HEAD.replace(f"AZURE_SUBSCRIPTION_ID: {SUB}", f"AZURE_SUBSCRIPTION_ID: '  {SUB} '")
    settings = load(tmp_path, text + "cluster: {name: c1}\n" + TAIL).provider.settings
    assert settings["AZURE_SUBSCRIPTION_ID"] == SUB


def test_workspace_file_forced_to_the_guide_layout_warns(tmp_path: Path) -> None:
    path = tmp_path / "kompoxops.yml"
    path.write_text(HEAD + "cluster: {name: c1}\n" + TAIL)
    config = load_config(path, layout="guide")
    assert config.hash_root == "(nil)"
    assert any("workspace 'ws1' is not used" in w for w in config.warnings)


def test_a_multi_document_kompoxops_yml_is_read_from_its_first_document(tmp_path: Path) -> None:
    config = load(tmp_path, HEAD + "cluster: {name: c1}\n" + TAIL + "---\nnot: read\n")
    assert config.layout == "kompoxops" and config.app.name == "app1"


def test_control_characters_in_keys_never_reach_a_message_raw(tmp_path: Path) -> None:
    text = HEAD.replace(
        "AZURE_LOCATION: japaneast", 'AZURE_LOCATION: japaneast\n    "AZURE_LOCATIO\\e": x'
    )
    config = load(tmp_path, text + "cluster: {name: c1}\n" + TAIL)
    (warning,) = config.warnings
    assert "\x1b" not in warning and "AZURE_LOCATIO\\x1b" in warning
    with pytest.raises(ConfigError) as info:
        load(tmp_path, 'a: 1\n"\\e]0;PWNED\\a": 1\n"\\e]0;PWNED\\a": 2\n')
    assert "\x1b" not in str(info.value) and "\x07" not in str(info.value)
    assert "duplicate key '\\x1b]0;PWNED\\x07'" in str(info.value)


def test_deep_nesting_is_one_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="nested too deeply"):
        load(tmp_path, "[" * 5000 + "]" * 5000)
