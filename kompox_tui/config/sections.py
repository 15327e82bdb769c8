"""The cluster and app sections, shared by kompoxops.yml and KOM documents.

The layout decides only what differs between the conventions: how long a volume name may
be, how a size is rounded, and what ``cluster.ingress.namespace`` means when it is not text.
"""

from __future__ import annotations

import math
import re

import yaml

from kompox_tui import naming, quantity
from kompox_tui.model import (
    App,
    AppIngress,
    AppIngressRule,
    Cluster,
    Deployment,
    Ingress,
    IngressCertificate,
    LayoutName,
    Protection,
    Settings,
    Volume,
)

from .fields import DNS_LABEL_EXPECTED, Reader, is_dns_label, shown
from .provider import KNOWN_SETTINGS
from .yamlsrc import Scalar, YMap, to_python

CLUSTER_KEYS = ("name", "existing", "ingress", "settings")
KOM_CLUSTER_KEYS = ("existing", "ingress", "protection", "settings")
INGRESS_KEYS = (
    "namespace",
    "controller",
    "serviceAccount",
    "domain",
    "certResolver",
    "certEmail",
    "certificates",
)
APP_KEYS = ("name", "compose", "ingress", "volumes", "deployment", "resources", "settings")
KOM_APP_KEYS = (
    "compose",
    "ingress",
    "volumes",
    "deployment",
    "networkPolicy",
    "resources",
    "settings",
)
VOLUME_KEYS = ("name", "size", "type", "options")
DEPLOYMENT_KEYS = ("pool", "zone")
PROTECTION_LEVELS = ("none", "cannotDelete", "readOnly")

SYSTEM_POOL_PRESETS = ("CostOptimised", "Standard", "HighSpec")
#: Premium SSD (Premium_LRS, what the guide's disk create uses) is at most 32 TiB - 1 GiB.
MAX_DISK_GIB = 32767
#: The largest Azure managed disk (Ultra / Premium SSD v2), for the kompoxops layout.
MAX_ANY_DISK_GIB = 65536
#: kompoxops v0.0.23 ``internal/naming/validation.go``: volume names are at most 16 long.
KOMPOXOPS_VOLUME_NAME_MAX = 16

_K8S_VERSION = re.compile(r"\d+\.\d+(\.\d+)?")
_RESOURCE_GROUP = re.compile(r"[-\w.()]{1,90}")
_DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")


def resource_group_problem(name: str) -> str | None:
    """Why ``name`` is not a valid Azure resource group name, or None if it is."""
    if not _RESOURCE_GROUP.fullmatch(name):
        return (
            "expected an Azure resource group name: 1-90 letters, digits, '_', '-', '.', '(' or ')'"
        )
    if name.endswith("."):
        return "an Azure resource group name cannot end with '.'"
    return None


def check_resource_group(reader: Reader, settings: Settings, node: YMap | None, path: str) -> None:
    key = "AZURE_RESOURCE_GROUP_NAME"
    value = settings.get(key, "")
    if not value:
        return
    problem = resource_group_problem(value)
    if problem:
        line = node.key_line(key) if node is not None else None
        raise reader.fail(f"{path}.{key}", f"{shown(value)}: {problem}", line)


# --- cluster ----------------------------------------------------------------------------


def read_cluster(
    reader: Reader, name: str, node: YMap, path: str, layout: LayoutName, *, kom: bool = False
) -> Cluster:
    """``path`` is the prefix of the body's keys: ``cluster`` or ``Cluster c1: spec``."""
    reader.check_keys(node, path, KOM_CLUSTER_KEYS if kom else CLUSTER_KEYS)
    existing = reader.boolean(node, "existing", f"{path}.existing")
    ingress = read_ingress(reader, node, f"{path}.ingress", layout)
    settings, snode = reader.settings(node, "settings", f"{path}.settings", known=KNOWN_SETTINGS)
    check_resource_group(reader, settings, snode, f"{path}.settings")
    version = settings.get("AZURE_AKS_KUBERNETES_VERSION", "").strip()
    if version and not _K8S_VERSION.fullmatch(version):
        raise reader.fail(
            f"{path}.settings.AZURE_AKS_KUBERNETES_VERSION",
            f"{shown(version)} is not a Kubernetes version; expected e.g. 1.33 or 1.33.2",
            snode.key_line("AZURE_AKS_KUBERNETES_VERSION") if snode else None,
        )
    pool = settings.get("AZURE_AKS_SYSTEM_POOL", "").strip()
    if pool and pool.lower() not in {p.lower() for p in SYSTEM_POOL_PRESETS}:
        raise reader.fail(
            f"{path}.settings.AZURE_AKS_SYSTEM_POOL",
            f"unknown preset {shown(pool)}; expected one of " + ", ".join(SYSTEM_POOL_PRESETS),
            snode.key_line("AZURE_AKS_SYSTEM_POOL") if snode else None,
        )
    protection = Protection()
    if kom:
        protection = read_protection(reader, node, f"{path}.protection")
    return Cluster(
        name=name, existing=existing, ingress=ingress, settings=settings, protection=protection
    )


def read_protection(reader: Reader, parent: YMap, path: str) -> Protection:
    node = reader.mapping(parent, "protection", path, expected="{provisioning, installation}")
    if node is None:
        return Protection()
    reader.check_keys(node, path, ("provisioning", "installation"))
    levels: dict[str, str] = {}
    for key in ("provisioning", "installation"):
        value = reader.string(node, key, f"{path}.{key}", expected="none") or "none"
        if value not in PROTECTION_LEVELS:
            raise reader.fail(
                f"{path}.{key}",
                f"{shown(value)} is not a protection level; expected one of "
                + ", ".join(PROTECTION_LEVELS),
                reader.where(node, key),
            )
        levels[key] = value
    return Protection(**levels)


def read_ingress(reader: Reader, parent: YMap, path: str, layout: LayoutName) -> Ingress:
    node = reader.mapping(
        parent, "ingress", path, expected="a mapping with namespace, serviceAccount, domain"
    )
    if node is None:
        return Ingress()
    reader.check_keys(node, path, INGRESS_KEYS)
    raw = node.get("namespace")
    namespace: str | None
    if layout == "guide":
        # SPEC §4: the namespace is used only when it is text; anything else means default.
        value = raw.value() if isinstance(raw, Scalar) else None
        namespace = value.strip() if isinstance(value, str) and value.strip() else None
    else:
        namespace = (
            reader.string(node, "namespace", f"{path}.namespace", expected="a name") or ""
        ).strip() or None
    if namespace is not None and not is_dns_label(namespace):
        raise reader.fail(
            f"{path}.namespace",
            f"{shown(namespace)} is not a Kubernetes namespace name; expected {DNS_LABEL_EXPECTED}",
            reader.where(node, "namespace"),
        )
    account = reader.string(
        node, "serviceAccount", f"{path}.serviceAccount", expected="a service account name"
    )
    account = (account or "").strip() or None
    if account is not None and (len(account) > 253 or not _DNS1123_SUBDOMAIN.fullmatch(account)):
        raise reader.fail(
            f"{path}.serviceAccount",
            f"{shown(account)} is not a Kubernetes service account name; "
            "expected lower-case letters, digits, '-' and '.'",
            reader.where(node, "serviceAccount"),
        )

    def text(key: str, expected: str) -> str | None:
        return (reader.string(node, key, f"{path}.{key}", expected=expected) or "").strip() or None

    certificates: list[IngressCertificate] = []
    items = reader.sequence(node, "certificates", f"{path}.certificates", expected="a list")
    for index, item in enumerate(items or ()):
        where = f"{path}.certificates[{index}]"
        if not isinstance(item, YMap):
            raise reader.fail(where, "expected a mapping {name, source}", item.line)
        reader.check_keys(item, where, ("name", "source"))
        certificates.append(
            IngressCertificate(
                name=reader.string(item, "name", f"{where}.name", expected="a name") or "",
                source=reader.string(item, "source", f"{where}.source", expected="a URL") or "",
            )
        )
    return Ingress(
        namespace=namespace,
        service_account=account,
        domain=text("domain", "a DNS domain"),
        cert_email=text("certEmail", "an e-mail address"),
        controller=text("controller", "a controller name"),
        cert_resolver=text("certResolver", "a resolver name"),
        certificates=tuple(certificates),
    )


# --- app -------------------------------------------------------------------------------


def read_app(
    reader: Reader, name: str, node: YMap, path: str, layout: LayoutName, *, kom: bool = False
) -> App:
    reader.check_keys(node, path, KOM_APP_KEYS if kom else APP_KEYS)
    volumes = read_volumes(reader, node, f"{path}.volumes", layout)
    settings, snode = reader.settings(node, "settings", f"{path}.settings", known=KNOWN_SETTINGS)
    check_resource_group(reader, settings, snode, f"{path}.settings")
    resources, _ = reader.settings(node, "resources", f"{path}.resources")
    return App(
        name=name,
        volumes=volumes,
        settings=settings,
        compose=read_compose(reader, node, f"{path}.compose", kom=kom),
        ingress=read_app_ingress(reader, node, f"{path}.ingress"),
        deployment=read_deployment(reader, node, f"{path}.deployment"),
        resources=resources,
    )


def read_compose(reader: Reader, parent: YMap, path: str, *, kom: bool) -> str:
    node = parent.get("compose")
    if node is None:
        return ""
    if isinstance(node, Scalar):
        return reader.text(node)
    if kom:
        raise reader.fail(path, "is a mapping or list; expected the compose text", node.line)
    try:  # kompoxops re-serialises a compose mapping to YAML
        return yaml.safe_dump(to_python(node), sort_keys=False, allow_unicode=True)
    except ValueError:
        raise reader.fail(path, "is too large", node.line) from None


def read_app_ingress(reader: Reader, parent: YMap, path: str) -> AppIngress:
    node = reader.mapping(parent, "ingress", path, expected="a mapping with certResolver, rules")
    if node is None:
        return AppIngress()
    reader.check_keys(node, path, ("certResolver", "rules"))
    rules: list[AppIngressRule] = []
    items = reader.sequence(
        node, "rules", f"{path}.rules", expected="a list of {name, port, hosts}"
    )
    for index, item in enumerate(items or ()):
        where = f"{path}.rules[{index}]"
        if not isinstance(item, YMap):
            raise reader.fail(where, "expected a mapping {name, port, hosts}", item.line)
        reader.check_keys(item, where, ("name", "port", "hosts"))
        port = reader.integer(item, "port", f"{where}.port", expected="a port number") or 0
        if not 0 <= port <= 65535:
            raise reader.fail(
                f"{where}.port", f"{port} is not a port number", reader.where(item, "port")
            )
        rules.append(
            AppIngressRule(
                name=reader.string(item, "name", f"{where}.name", expected="a name") or "",
                port=port,
                hosts=reader.strings(item, "hosts", f"{where}.hosts", expected="a host name"),
            )
        )
    resolver = reader.string(node, "certResolver", f"{path}.certResolver", expected="a name")
    return AppIngress(cert_resolver=(resolver or "").strip() or None, rules=tuple(rules))


def read_deployment(reader: Reader, parent: YMap, path: str) -> Deployment:
    node = reader.mapping(parent, "deployment", path, expected="a mapping with pool, zone")
    if node is None:
        return Deployment()
    reader.check_keys(node, path, DEPLOYMENT_KEYS)
    pool = reader.string(node, "pool", f"{path}.pool", expected="a node pool name") or ""
    zone = reader.string(node, "zone", f"{path}.zone", expected="a zone such as 1") or ""
    return Deployment(pool=pool.strip(), zone=zone.strip())


def read_volumes(reader: Reader, app: YMap, path: str, layout: LayoutName) -> tuple[Volume, ...]:
    items = reader.sequence(app, "volumes", path, expected="a list of {name, size} mappings")
    seen: dict[str, int] = {}
    volumes: list[Volume] = []
    for index, item in enumerate(items or ()):
        where = f"{path}[{index}]"
        if not isinstance(item, YMap):
            raise reader.fail(
                where,
                f"is {reader.describe(item)}; expected a mapping like {{name: db, size: 32Gi}}",
                item.line,
            )
        reader.check_keys(item, where, VOLUME_KEYS)
        name = reader.name(item, "name", f"{where}.name")
        if layout == "kompoxops" and len(name) > KOMPOXOPS_VOLUME_NAME_MAX:
            raise reader.fail(
                f"{where}.name",
                f"{shown(name)} is {len(name)} characters; kompoxops allows at most "
                f"{KOMPOXOPS_VOLUME_NAME_MAX} in a volume name",
                reader.where(item, "name"),
            )
        if layout == "guide":
            problem = naming.azure_name_problem(name)
            if problem:
                raise reader.fail(
                    f"{where}.name", f"{shown(name)}: {problem}", reader.where(item, "name")
                )
        if name in seen:
            raise reader.fail(
                f"{where}.name",
                f"duplicate volume name '{name}' (also {path}[{seen[name]}]); "
                "volume names must be unique",
                reader.where(item, "name"),
            )
        seen[name] = index
        volumes.append(read_volume(reader, item, name, where, layout))
    return tuple(volumes)


def read_volume(reader: Reader, item: YMap, name: str, path: str, layout: LayoutName) -> Volume:
    key = f"{path}.size"
    node = item.get("size")
    if node is None or (isinstance(node, Scalar) and node.is_null):
        raise reader.fail(key, f"missing; {quantity.SIZE_EXPECTED}", item.line)
    if not isinstance(node, Scalar):
        raise reader.fail(key, f"is {reader.describe(node)}; {quantity.SIZE_EXPECTED}", node.line)
    text = node.text.strip()
    if reader.kom and node.plain:
        value = reader.text(node)
        # KOM: a bare number is a byte count (JSON float64, truncated to int64)
        try:
            text = str(int(float(value)))
        except ValueError:
            text = value
    try:
        exact = quantity.parse_exact(text)
    except ValueError as exc:
        raise reader.fail(key, str(exc), node.line) from None
    gib = max(1, math.ceil(exact / quantity.GIB))
    limit = MAX_DISK_GIB if layout == "guide" else MAX_ANY_DISK_GIB
    if gib > limit:
        raise reader.fail(
            key,
            f"'{text}' is {gib} GiB; an Azure managed disk here is at most {limit} GiB",
            node.line,
        )
    if exact < quantity.GIB:
        hint = f" — did you mean {text}Gi?" if text.isdigit() else ""
        reader.warn(
            key,
            f"size: {text} means {math.ceil(exact)} bytes (a Kubernetes quantity), less than "
            f"1 GiB; the disk will be 1 GiB{hint}",
            node.line,
        )
    kind = reader.string(item, "type", f"{path}.type", expected="disk or files") or ""
    if kind not in ("", "disk", "files"):
        raise reader.fail(
            f"{path}.type",
            f'invalid type {shown(kind)}, must be "disk" or "files"',
            reader.where(item, "type"),
        )
    if kind == "files":
        reader.warn(
            f"{path}.type",
            "type: files (an Azure Files share) is not managed by kompox-tui; "
            "the volume browser shows managed disks only",
            reader.where(item, "type"),
        )
    return Volume(
        name=name,
        size=text,
        size_gib=gib,
        type=kind or "disk",
        options=reader.options(item, "options", f"{path}.options"),
    )
