"""Read ``kompoxops.yml`` (schema v1, SPEC §1) into the frozen types of :mod:`kompox_tui.model`.

Every problem raises :class:`~kompox_tui.errors.ConfigError` naming the file, the YAML
line, the key path (``app.volumes[1].size``), the offending value (never a secret) and
what is expected. Nothing here touches the network.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import yaml
from yaml.constructor import ConstructorError

from kompox_tui import naming
from kompox_tui.errors import ConfigError
from kompox_tui.model import (
    SECRET_SETTING_KEYS,
    App,
    Cluster,
    Config,
    Ingress,
    Provider,
    Service,
    Settings,
    Volume,
)

__all__ = [
    "AUTH_METHODS",
    "DEFAULT_CONFIG_FILE",
    "SUPPORTED_VERSION",
    "discover_config_paths",
    "load_config",
    "load_configs",
    "parse_size_gib",
    "resource_group_problem",
]

SUPPORTED_VERSION = "v1"
DEFAULT_CONFIG_FILE = "kompoxops.yml"
DB_URL_ENV = "KOMPOX_DB_URL"

#: SPEC §3: the settings each AZURE_AUTH_METHOD needs besides the three base keys.
AUTH_METHODS: dict[str, tuple[str, ...]] = {
    "client_secret": ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"),
    "client_certificate": ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_CERTIFICATE_PATH"),
    "managed_identity": (),
    "workload_identity": ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_FEDERATED_TOKEN_FILE"),
    "azure_cli": (),
    "azure_developer_cli": (),
}

REQUIRED_PROVIDER_SETTINGS = ("AZURE_SUBSCRIPTION_ID", "AZURE_LOCATION", "AZURE_AUTH_METHOD")

#: Provider settings holding file paths: relative paths are resolved against the file's directory.
PATH_SETTINGS = ("AZURE_CA_BUNDLE", "AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_FEDERATED_TOKEN_FILE")

SYSTEM_POOL_PRESETS = ("CostOptimised", "Standard", "HighSpec")

#: Premium SSD (Premium_LRS, what disk create uses) is at most 32 TiB - 1 GiB.
MAX_DISK_GIB = 32767

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_TENANT = re.compile(r"^[0-9A-Za-z.-]+$")
_LOCATION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ]*$")
_K8S_VERSION = re.compile(r"^\d+\.\d+(\.\d+)?$")
_RESOURCE_GROUP = re.compile(r"^[-\w.()]{1,90}$")
_DNS1123_SUBDOMAIN = re.compile(
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
)

_DNS_LABEL_EXPECTED = (
    "a DNS-1123 label: 1-63 characters of lower-case letters, digits and '-', "
    "starting and ending with a letter or digit"
)


# --- sizes ------------------------------------------------------------------------

_QUANTITY = re.compile(
    r"^(?P<sign>[+-]?)(?P<number>\d+(?:\.\d*)?|\.\d+)"
    r"(?:(?P<binary>Ki|Mi|Gi|Ti|Pi|Ei)|[eE](?P<exp>[+-]?\d+)|(?P<decimal>[mkMGTPE]?))$"
)
_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {
    "m": Fraction(1, 1000),
    "": Fraction(1),
    "k": Fraction(10**3),
    "M": Fraction(10**6),
    "G": Fraction(10**9),
    "T": Fraction(10**12),
    "P": Fraction(10**15),
    "E": Fraction(10**18),
}
_GIB = 2**30
_SIZE_EXPECTED = (
    "expected a positive Kubernetes quantity such as 32Gi, 1Ti, 500Mi, 10G or a number of bytes"
)


def parse_size_gib(text: str) -> int:
    """A Kubernetes quantity (``32Gi``, ``10G``, ``1e9``, plain bytes) in whole GiB, rounded up.

    The result is at least 1. Raises ValueError with a readable reason for anything that is
    not a positive quantity.
    """
    value = text.strip()
    match = _QUANTITY.match(value)
    if not match:
        raise ValueError(f"'{text}' is not a quantity; {_SIZE_EXPECTED}")
    if match["sign"] == "-":
        raise ValueError(f"'{text}' is negative; {_SIZE_EXPECTED}")
    number = Fraction(match["number"])
    if match["binary"]:
        size = number * _BINARY[match["binary"]]
    elif match["exp"] is not None:
        exponent = int(match["exp"])
        if abs(exponent) > 30:
            raise ValueError(f"'{text}' has an exponent out of range; {_SIZE_EXPECTED}")
        size = number * Fraction(10) ** exponent
    else:
        size = number * _DECIMAL[match["decimal"] or ""]
    if size <= 0:
        raise ValueError(f"'{text}' is zero; {_SIZE_EXPECTED}")
    return max(1, math.ceil(size / _GIB))


def resource_group_problem(name: str) -> str | None:
    """Why ``name`` is not a valid Azure resource group name, or None if it is."""
    if not _RESOURCE_GROUP.match(name):
        return (
            "expected an Azure resource group name: 1-90 letters, digits, '_', '-', '.', '(' or ')'"
        )
    if name.endswith("."):
        return "an Azure resource group name cannot end with '.'"
    return None


# --- YAML with line numbers -----------------------------------------------------------


class _Map(dict[Any, Any]):
    """A YAML mapping that remembers where it and each of its keys and values start."""

    line: int | None = None
    key_lines: dict[Any, int]
    value_lines: dict[Any, int]
    raw: dict[Any, str]

    def __init__(self, data: Mapping[Any, Any] | None = None, *, line: int | None = None) -> None:
        super().__init__(data or {})
        self.line = line
        self.key_lines, self.value_lines, self.raw = {}, {}, {}


class _Seq(list[Any]):
    """A YAML sequence that remembers where it and each item start."""

    line: int | None = None
    item_lines: list[int]


class _LineLoader(yaml.SafeLoader):
    """A SafeLoader whose mappings and sequences carry 1-based line numbers."""


def _construct_map(loader: _LineLoader, node: yaml.MappingNode) -> Any:
    data = _Map(line=node.start_mark.line + 1)
    yield data
    # Duplicate keys written in this mapping are errors (PyYAML would silently keep the last);
    # keys that come in through a ``<<`` merge may be overridden, as YAML intends.
    written: set[str] = set()
    for key_node, _ in node.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
            if key_node.value in written:
                raise ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"found duplicate key '{key_node.value}'",
                    key_node.start_mark,
                )
            written.add(key_node.value)
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError as exc:
            raise ConstructorError(
                "while constructing a mapping",
                node.start_mark,
                "found an unhashable key",
                key_node.start_mark,
            ) from exc
        data[key] = loader.construct_object(value_node, deep=True)
        data.key_lines[key] = key_node.start_mark.line + 1
        data.value_lines[key] = value_node.start_mark.line + 1
        if isinstance(value_node, yaml.ScalarNode):
            data.raw[key] = value_node.value


def _construct_seq(loader: _LineLoader, node: yaml.SequenceNode) -> Any:
    data = _Seq()
    data.line = node.start_mark.line + 1
    data.item_lines = [child.start_mark.line + 1 for child in node.value]
    yield data
    data.extend(loader.construct_object(child, deep=True) for child in node.value)


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)


# --- the loader ---------------------------------------------------------------------


def _is_secret_key(key: str) -> bool:
    upper = key.upper()
    return key in SECRET_SETTING_KEYS or "SECRET" in upper or "PASSWORD" in upper


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    return f"a {type(value).__name__}"


class _Reader:
    """Walks one parsed file and turns every problem into a ConfigError with location."""

    def __init__(self, path: Path, shown: str) -> None:
        self.path = path
        self.file = shown
        self.base_dir = path.resolve().parent

    # -- errors -----------------------------------------------------------------

    def fail(
        self, key: str | None, message: str, line: int | None = None, hint: str | None = None
    ) -> ConfigError:
        return ConfigError(message, file=self.file, key=key, line=line, hint=hint)

    def show(self, parent: Mapping[Any, Any], key: Any, secret: bool = False) -> str:
        """The value as written in the file, quoted, or ``(hidden)`` for secrets."""
        if secret:
            return "value hidden"
        raw = parent.raw.get(key) if isinstance(parent, _Map) else None
        value = parent.get(key)
        if raw is None:
            if isinstance(value, (dict, list)):
                return _type_name(value)
            raw = str(value)
        if len(raw) > 80:
            raw = raw[:77] + "..."
        return f"'{raw}'"

    def describe(self, parent: Mapping[Any, Any], key: Any, secret: bool = False) -> str:
        """``a number ('42')`` — the type of a value and, for scalars, the value as written."""
        value = parent.get(key)
        if isinstance(value, (dict, list)):
            return _type_name(value)
        return f"{_type_name(value)} ({self.show(parent, key, secret)})"

    @staticmethod
    def line_of(parent: Any, key: Any = None) -> int | None:
        if key is not None and isinstance(parent, _Map) and key in parent.value_lines:
            return parent.value_lines[key]
        return getattr(parent, "line", None)

    # -- typed getters ------------------------------------------------------------

    def _typed(
        self,
        parent: Mapping[Any, Any],
        key: str,
        path: str,
        kind: type,
        *,
        required: bool,
        expected: str,
    ) -> Any:
        """``parent[key]`` if it is a ``kind``; None when absent/null and not required."""
        if key not in parent or parent[key] is None:
            if required:
                raise self.fail(path, f"missing; expected {expected}", self.line_of(parent))
            return None
        value = parent[key]
        if not isinstance(value, kind):
            raise self.fail(
                path,
                f"is {self.describe(parent, key)}; expected {expected}",
                self.line_of(parent, key),
            )
        return value

    def mapping(
        self, parent: Mapping[Any, Any], key: str, path: str, *, required: bool, expected: str
    ) -> _Map | None:
        value = self._typed(parent, key, path, dict, required=required, expected=expected)
        if value is not None and not isinstance(value, _Map):
            value = _Map(value)  # an anchor/merge may give a plain dict
        return value

    def string(
        self, parent: Mapping[Any, Any], key: str, path: str, *, required: bool, expected: str
    ) -> str | None:
        value = self._typed(parent, key, path, str, required=required, expected=expected)
        if value is None:
            return None
        if required and not value.strip():
            raise self.fail(path, f"is empty; expected {expected}", self.line_of(parent, key))
        return value

    def name(self, parent: Mapping[Any, Any], key: str, path: str) -> str:
        value = self.string(parent, key, path, required=True, expected=_DNS_LABEL_EXPECTED)
        assert value is not None
        if not naming.is_dns1123_label(value):
            raise self.fail(
                path,
                f"{self.show(parent, key)} is not a valid name; expected {_DNS_LABEL_EXPECTED}",
                self.line_of(parent, key),
            )
        return value

    def settings(self, parent: Mapping[Any, Any], path: str) -> tuple[Settings, _Map]:
        node = self.mapping(
            parent, "settings", path, required=False, expected="a mapping of string keys to strings"
        )
        if node is None:
            return Settings(), _Map(line=self.line_of(parent))
        data: dict[str, str] = {}
        for key, value in node.items():
            if not isinstance(key, str):
                raise self.fail(
                    path,
                    f"has a key {key!r} that is {_type_name(key)}; setting names are strings "
                    "such as AZURE_LOCATION",
                    node.key_lines.get(key, node.line),
                )
            secret = _is_secret_key(key)
            if not isinstance(value, str):
                if value is None:
                    problem = "has no value (null); expected a string"
                else:
                    problem = f"is {self.describe(node, key, secret)}; settings must be strings"
                    if not isinstance(value, (dict, list)):
                        problem += " — put the value in quotes"
                raise self.fail(f"{path}.{key}", problem, self.line_of(node, key))
            data[key] = value
        return Settings(data), node

    # -- sections ---------------------------------------------------------------------

    def read(self, doc: Any) -> Config:
        if doc is None:
            raise self.fail(
                None,
                "the file is empty; expected a kompoxops.yml mapping with version, provider, "
                "cluster and app",
            )
        if not isinstance(doc, dict):
            raise self.fail(
                None,
                f"the top level is {_type_name(doc)}; expected a mapping with version, provider, "
                "cluster and app",
                getattr(doc, "line", 1),
            )
        version = self.read_version(doc)
        service = self.read_service(doc)
        provider = self.read_provider(doc)
        cluster = self.read_cluster(doc)
        app = self.read_app(doc, service, provider)
        return Config(
            path=self.path.resolve(),
            version=version,
            service=service,
            provider=provider,
            cluster=cluster,
            app=app,
        )

    def read_version(self, doc: Mapping[Any, Any]) -> str:
        expected = f"version: {SUPPORTED_VERSION}"
        if "version" not in doc or doc["version"] is None:
            raise self.fail("version", f"missing; expected '{expected}'", self.line_of(doc))
        if doc["version"] != SUPPORTED_VERSION:
            raise self.fail(
                "version",
                f"unsupported version {self.show(doc, 'version')}; expected '{expected}'",
                self.line_of(doc, "version"),
            )
        return SUPPORTED_VERSION

    def read_service(self, doc: Mapping[Any, Any]) -> Service | None:
        node = self.mapping(
            doc, "service", "service", required=False, expected="a mapping with a name"
        )
        if node is None:
            return None
        return Service(name=self.name(node, "name", "service.name"))

    def read_provider(self, doc: Mapping[Any, Any]) -> Provider:
        node = self.mapping(
            doc,
            "provider",
            "provider",
            required=True,
            expected="a mapping with name, driver: aks and settings",
        )
        assert node is not None
        name = self.name(node, "name", "provider.name")
        driver = self.string(
            node, "driver", "provider.driver", required=True, expected="driver: aks"
        )
        if driver != naming.DRIVER_ID:
            raise self.fail(
                "provider.driver",
                f"unsupported driver {self.show(node, 'driver')}; kompox-tui supports only "
                f"'{naming.DRIVER_ID}'",
                self.line_of(node, "driver"),
            )
        if "settings" not in node or node["settings"] is None:
            raise self.fail(
                "provider.settings",
                "missing; expected a mapping with " + ", ".join(REQUIRED_PROVIDER_SETTINGS),
                self.line_of(node),
            )
        settings, snode = self.settings(node, "provider.settings")
        settings = self.check_provider_settings(settings, snode)
        return Provider(name=name, driver=driver, settings=settings)

    def check_provider_settings(self, settings: Settings, node: _Map) -> Settings:
        path = "provider.settings"

        def present(key: str) -> bool:
            return bool(settings.get(key, "").strip())

        def bad(key: str, problem: str) -> ConfigError:
            shown = self.show(node, key, _is_secret_key(key))
            return self.fail(f"{path}.{key}", f"{shown} {problem}", self.line_of(node, key))

        missing = [k for k in REQUIRED_PROVIDER_SETTINGS if not present(k)]
        if missing:
            raise self.fail(
                path,
                "missing required setting"
                + ("s " if len(missing) > 1 else " ")
                + ", ".join(missing),
                self.line_of(node),
                hint="AZURE_AUTH_METHOD is one of " + ", ".join(AUTH_METHODS),
            )
        if not _GUID.match(settings["AZURE_SUBSCRIPTION_ID"].strip()):
            raise bad(
                "AZURE_SUBSCRIPTION_ID",
                "is not a subscription ID; expected a GUID like "
                "00000000-0000-0000-0000-000000000000",
            )
        if not _LOCATION.match(settings["AZURE_LOCATION"].strip()):
            raise bad("AZURE_LOCATION", "is not an Azure region; expected a name like japaneast")
        method = settings["AZURE_AUTH_METHOD"].strip()
        if method not in AUTH_METHODS:
            raise self.fail(
                f"{path}.AZURE_AUTH_METHOD",
                f"unsupported AZURE_AUTH_METHOD: {method}; expected one of "
                + ", ".join(AUTH_METHODS),
                self.line_of(node, "AZURE_AUTH_METHOD"),
            )
        needed = [k for k in AUTH_METHODS[method] if not present(k)]
        if needed:
            raise self.fail(
                path,
                f"AZURE_AUTH_METHOD {method} needs "
                + ", ".join(AUTH_METHODS[method])
                + "; missing: "
                + ", ".join(needed),
                self.line_of(node),
            )
        if present("AZURE_TENANT_ID") and not _TENANT.match(settings["AZURE_TENANT_ID"].strip()):
            raise bad(
                "AZURE_TENANT_ID",
                "is not a tenant ID; expected a GUID or a domain such as contoso.onmicrosoft.com",
            )
        for key in ("AZURE_RESOURCE_MANAGER_ENDPOINT", "AZURE_AUTHORITY_HOST"):
            if present(key):
                url = urlparse(settings[key].strip())
                if url.scheme != "https" or not url.hostname:
                    raise bad(
                        key, "is not an https URL; expected e.g. https://management.azure.com"
                    )
        updated = dict(settings)
        for key in PATH_SETTINGS:
            if not present(key):
                continue
            resolved = self.resolve_path(settings[key].strip())
            # Only files the chosen method reads are checked; leftovers are kept as written.
            if key == "AZURE_CA_BUNDLE":
                self.check_pem_bundle(resolved, f"{path}.{key}", self.line_of(node, key))
            elif key in AUTH_METHODS[method]:
                self.check_readable(resolved, f"{path}.{key}", self.line_of(node, key))
            updated[key] = str(resolved)
        return Settings(updated)

    def resolve_path(self, value: str) -> Path:
        candidate = Path(os.path.expanduser(value))
        if not candidate.is_absolute():
            candidate = self.base_dir / candidate
        return Path(os.path.normpath(candidate))

    def check_readable(self, path: Path, key: str, line: int | None) -> bytes:
        try:
            with path.open("rb") as handle:
                return handle.read()
        except FileNotFoundError:
            raise self.fail(key, f"file not found: {path}", line) from None
        except IsADirectoryError:
            raise self.fail(key, f"is a directory, expected a file: {path}", line) from None
        except OSError as exc:
            raise self.fail(key, f"cannot read {path}: {exc.strerror}", line) from None

    def check_pem_bundle(self, path: Path, key: str, line: int | None) -> None:
        data = self.check_readable(path, key, line)
        if b"-----BEGIN CERTIFICATE-----" not in data:
            raise self.fail(
                key,
                f"{path} is not a PEM CA bundle; expected one or more "
                "'-----BEGIN CERTIFICATE-----' blocks",
                line,
            )

    def read_cluster(self, doc: Mapping[Any, Any]) -> Cluster:
        node = self.mapping(
            doc, "cluster", "cluster", required=True, expected="a mapping with name and settings"
        )
        assert node is not None
        name = self.name(node, "name", "cluster.name")
        existing = node.get("existing", False)
        if existing is None:
            existing = False
        if not isinstance(existing, bool):
            raise self.fail(
                "cluster.existing",
                f"is {self.describe(node, 'existing')}; expected true or false",
                self.line_of(node, "existing"),
            )
        ingress = self.read_ingress(node)
        settings, snode = self.settings(node, "cluster.settings")
        self.check_resource_group(settings, snode, "cluster.settings")
        version = settings.get("AZURE_AKS_KUBERNETES_VERSION", "").strip()
        if version and not _K8S_VERSION.match(version):
            raise self.fail(
                "cluster.settings.AZURE_AKS_KUBERNETES_VERSION",
                f"{self.show(snode, 'AZURE_AKS_KUBERNETES_VERSION')} is not a Kubernetes version; "
                "expected e.g. 1.33 or 1.33.2",
                self.line_of(snode, "AZURE_AKS_KUBERNETES_VERSION"),
            )
        pool = settings.get("AZURE_AKS_SYSTEM_POOL", "").strip()
        if pool and pool.lower() not in {p.lower() for p in SYSTEM_POOL_PRESETS}:
            raise self.fail(
                "cluster.settings.AZURE_AKS_SYSTEM_POOL",
                f"unknown preset {self.show(snode, 'AZURE_AKS_SYSTEM_POOL')}; expected one of "
                + ", ".join(SYSTEM_POOL_PRESETS),
                self.line_of(snode, "AZURE_AKS_SYSTEM_POOL"),
            )
        return Cluster(name=name, existing=existing, ingress=ingress, settings=settings)

    def read_ingress(self, cluster: Mapping[Any, Any]) -> Ingress:
        node = self.mapping(
            cluster,
            "ingress",
            "cluster.ingress",
            required=False,
            expected="a mapping with namespace, serviceAccount, domain, certEmail",
        )
        if node is None:
            return Ingress()
        # SPEC §4: the namespace is used only when it is a string; anything else means default.
        namespace = node.get("namespace")
        if not isinstance(namespace, str) or not namespace.strip():
            namespace = None
        elif not naming.is_dns1123_label(namespace):
            raise self.fail(
                "cluster.ingress.namespace",
                f"{self.show(node, 'namespace')} is not a Kubernetes namespace name; "
                f"expected {_DNS_LABEL_EXPECTED}",
                self.line_of(node, "namespace"),
            )
        account = self.string(
            node,
            "serviceAccount",
            "cluster.ingress.serviceAccount",
            required=False,
            expected="a Kubernetes service account name such as traefik",
        )
        if account is not None and not account.strip():
            account = None
        if account is not None and (len(account) > 253 or not _DNS1123_SUBDOMAIN.match(account)):
            raise self.fail(
                "cluster.ingress.serviceAccount",
                f"{self.show(node, 'serviceAccount')} is not a Kubernetes service account name; "
                "expected lower-case letters, digits, '-' and '.'",
                self.line_of(node, "serviceAccount"),
            )
        domain = self.string(
            node, "domain", "cluster.ingress.domain", required=False, expected="a DNS domain"
        )
        email = self.string(
            node,
            "certEmail",
            "cluster.ingress.certEmail",
            required=False,
            expected="an e-mail address",
        )
        return Ingress(
            namespace=namespace,
            service_account=account,
            domain=(domain or "").strip() or None,
            cert_email=(email or "").strip() or None,
        )

    def check_resource_group(self, settings: Settings, node: _Map, path: str) -> None:
        key = "AZURE_RESOURCE_GROUP_NAME"
        value = settings.get(key)
        if value is None or value == "":
            return
        problem = resource_group_problem(value)
        if problem:
            raise self.fail(
                f"{path}.{key}", f"{self.show(node, key)}: {problem}", self.line_of(node, key)
            )

    def read_app(self, doc: Mapping[Any, Any], service: Service | None, provider: Provider) -> App:
        node = self.mapping(
            doc, "app", "app", required=True, expected="a mapping with name, volumes and settings"
        )
        assert node is not None
        name = self.name(node, "name", "app.name")
        volumes = self.read_volumes(node)
        settings, snode = self.settings(node, "app.settings")
        self.check_resource_group(settings, snode, "app.settings")
        return App(name=name, volumes=volumes, settings=settings)

    def read_volumes(self, app: Mapping[Any, Any]) -> tuple[Volume, ...]:
        items = app.get("volumes")
        if items is None:
            return ()
        if not isinstance(items, list):
            raise self.fail(
                "app.volumes",
                f"is {self.describe(app, 'volumes')}; expected a list of {{name, size}} mappings",
                self.line_of(app, "volumes"),
            )
        item_lines = getattr(items, "item_lines", [])
        seen: dict[str, int] = {}
        volumes: list[Volume] = []
        for index, item in enumerate(items):
            path = f"app.volumes[{index}]"
            line = item_lines[index] if index < len(item_lines) else None
            if not isinstance(item, dict):
                raise self.fail(
                    path,
                    f"is {_type_name(item)}; expected a mapping like {{name: db, size: 32Gi}}",
                    line,
                )
            name = self.name(item, "name", f"{path}.name")
            problem = naming.azure_name_problem(name)
            if problem:
                raise self.fail(
                    f"{path}.name",
                    f"{self.show(item, 'name')}: {problem}",
                    self.line_of(item, "name"),
                )
            if name in seen:
                raise self.fail(
                    f"{path}.name",
                    f"duplicate volume name '{name}' (also app.volumes[{seen[name]}]); "
                    "volume names must be unique",
                    self.line_of(item, "name"),
                )
            seen[name] = index
            volumes.append(self.read_volume_size(item, name, path))
        return tuple(volumes)

    def read_volume_size(self, item: Mapping[Any, Any], name: str, path: str) -> Volume:
        key = f"{path}.size"
        line = self.line_of(item, "size")
        if "size" not in item or item["size"] is None:
            raise self.fail(key, f"missing; {_SIZE_EXPECTED}", self.line_of(item))
        value = item["size"]
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise self.fail(key, f"is {self.describe(item, 'size')}; {_SIZE_EXPECTED}", line)
        raw = item.raw.get("size") if isinstance(item, _Map) else None
        text = raw if raw is not None else str(value)
        try:
            gib = parse_size_gib(text)
        except ValueError as exc:
            raise self.fail(key, str(exc), line) from None
        if gib > MAX_DISK_GIB:
            raise self.fail(
                key,
                f"'{text}' is {gib} GiB; an Azure Premium SSD disk is at most {MAX_DISK_GIB} GiB",
                line,
            )
        return Volume(name=name, size=text, size_gib=gib)


def _yaml_problem(exc: yaml.YAMLError) -> tuple[str, int | None]:
    """A short description and line of a YAML error, without echoing the file's content."""
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        parts = [p for p in (exc.context, exc.problem) if p]
        detail = ": ".join(parts) if parts else "invalid syntax"
        where = f" (column {mark.column + 1})" if mark is not None else ""
        return detail + where, (mark.line + 1) if mark is not None else None
    return type(exc).__name__, None


def load_config(path: str | os.PathLike[str]) -> Config:
    """Read one kompoxops.yml; any problem raises ConfigError naming file, line and key."""
    file_path = Path(path)
    shown = str(path)
    reader = _Reader(file_path, shown)
    try:
        text = file_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            "file not found",
            file=shown,
            hint="pass the right path with -f FILE, or try `kompox-tui --demo`",
        ) from None
    except IsADirectoryError:
        raise ConfigError("is a directory; expected a kompoxops.yml file", file=shown) from None
    except UnicodeDecodeError:
        raise ConfigError("is not UTF-8 text; expected a YAML file", file=shown) from None
    except OSError as exc:
        raise ConfigError(f"cannot read the file: {exc.strerror}", file=shown) from None
    try:
        doc = yaml.load(text, Loader=_LineLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        detail, line = _yaml_problem(exc)
        raise ConfigError(f"not valid YAML: {detail}", file=shown, line=line) from None
    except RecursionError:
        raise ConfigError("not valid YAML: nested too deeply", file=shown) from None
    return reader.read(doc)


def load_configs(paths: Iterable[str | os.PathLike[str]]) -> list[Config]:
    """Load several files (one cluster each), in order; the first problem raises ConfigError."""
    return [load_config(p) for p in paths]


def _path_from_db_url(url: str, cwd: Path) -> Path:
    scheme, sep, rest = url.partition(":")
    if not sep or len(scheme) < 2:  # no scheme (or a Windows drive letter): not a URL
        raise ConfigError(
            f"{DB_URL_ENV} must be a file: URL such as file:kompoxops.yml",
            hint="unset it, or pass the file with -f FILE",
        )
    if scheme.lower() != "file":
        # Only the scheme is echoed: a database URL may carry a password.
        raise ConfigError(
            f"{DB_URL_ENV} uses the '{scheme}:' scheme, which kompox-tui does not support; "
            "only file:PATH URLs (a kompoxops.yml) are read",
            hint="set KOMPOX_DB_URL=file:PATH or pass the file with -f FILE",
        )
    if rest.startswith("//"):
        parsed = urlparse(url)
        if parsed.netloc not in ("", "localhost"):
            raise ConfigError(
                f"{DB_URL_ENV}={url} names a remote host; expected a local file such as "
                "file:///path/to/kompoxops.yml"
            )
        rest = unquote(parsed.path)
    if not rest:
        raise ConfigError(f"{DB_URL_ENV}=file: has no path; expected file:PATH")
    candidate = Path(os.path.expanduser(rest))
    return candidate if candidate.is_absolute() else cwd / candidate


def discover_config_paths(
    cli_files: Sequence[str | os.PathLike[str]],
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
) -> list[Path]:
    """SPEC §1: ``-f`` files (repeatable), else ``KOMPOX_DB_URL=file:PATH``, else ./kompoxops.yml.

    ``-f`` paths are returned as given (missing ones are reported by :func:`load_config`);
    the same file named twice is read once.
    """
    environ = os.environ if env is None else env
    base = Path(cwd) if cwd is not None else Path.cwd()
    if cli_files:
        result: list[Path] = []
        seen: set[Path] = set()
        for item in cli_files:
            path = Path(item)
            if not path.is_absolute() and cwd is not None:
                path = base / path
            key = Path(os.path.abspath(path))
            if key not in seen:
                seen.add(key)
                result.append(path)
        return result
    db_url = environ.get(DB_URL_ENV, "").strip()
    if db_url:
        return [_path_from_db_url(db_url, base)]
    default = base / DEFAULT_CONFIG_FILE
    if default.is_file():
        return [default] if cwd is not None else [Path(DEFAULT_CONFIG_FILE)]
    raise ConfigError(
        f"no {DEFAULT_CONFIG_FILE} in {base}",
        hint=f"pass one with -f FILE, set {DB_URL_ENV}=file:PATH, or try `kompox-tui --demo`",
    )
