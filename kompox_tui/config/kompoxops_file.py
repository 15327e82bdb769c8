"""One ``kompoxops.yml`` (``config/kompoxopscfg/types.go@v0.0.23`` plus the guide's ``service:``).

Top-level keys: ``version``, ``workspace`` (kompoxops >= v0.0.7), ``service`` (the guide and
kompoxops <= v0.0.6), ``provider``, ``cluster``, ``app``. Unknown keys are ignored, as kompoxops
ignores them; one a single edit away from a known key is a warning.
"""

from __future__ import annotations

from pathlib import Path

from kompox_tui import naming
from kompox_tui.model import Config, LayoutName, Provider, Service, Workspace

from .fields import DNS_LABEL_EXPECTED, Reader, shown
from .provider import (
    KNOWN_SETTINGS,
    LAYOUT_SETTING,
    REQUIRED_PROVIDER_SETTINGS,
    check_provider_settings,
    layout_from_settings,
)
from .sections import read_app, read_cluster
from .yamlsrc import Node, YMap, kind_of

SUPPORTED_VERSION = "v1"
TOP_KEYS = ("version", "workspace", "service", "provider", "cluster", "app")


def read_kompoxops_file(
    node: Node | None, path: Path, shown_path: str, layout_override: str | None
) -> Config:
    reader = Reader(shown_path, path.resolve().parent)
    if node is None:
        raise reader.fail(
            None,
            "the file is empty; expected a kompoxops.yml mapping with version, provider, "
            "cluster and app",
        )
    if not isinstance(node, YMap):
        raise reader.fail(
            None,
            f"the top level is {kind_of(node)}; expected a mapping with version, provider, "
            "cluster and app",
            node.line,
        )
    doc = node
    reader.check_keys(doc, "", TOP_KEYS)
    version = read_version(reader, doc)
    workspace_name = read_named(reader, doc, "workspace")
    service_name = read_named(reader, doc, "service")
    workspace = Workspace(workspace_name) if workspace_name is not None else None
    service = Service(service_name) if service_name is not None else None
    provider, setting_layout = read_provider(reader, doc)
    shape: LayoutName = "kompoxops" if "workspace" in doc else "guide"
    layout: LayoutName = shape
    if layout_override:
        layout = layout_override  # type: ignore[assignment]
    elif setting_layout:
        layout = setting_layout  # type: ignore[assignment]
    if layout == "kompoxops" and workspace is None and service is not None:
        reader.warn(
            "service",
            "kompoxops v0.0.7 and later ignore 'service:' and hash with an empty workspace "
            "name; rename it to 'workspace:' if this file is for kompoxops >= v0.0.7",
            doc.key_line("service"),
        )
    if layout == "guide" and workspace is not None and service is None:
        reader.warn(
            "workspace",
            f"the guide layout names resources after 'service:', which this file does not "
            f"have; workspace '{workspace.name}' is not used (names use '(nil)'); use "
            "--layout kompoxops to name them as kompoxops does",
            doc.key_line("workspace"),
        )
    cluster_node = reader.mapping(
        doc, "cluster", "cluster", required=True, expected="a mapping with name and settings"
    )
    assert cluster_node is not None
    cluster = read_cluster(
        reader, reader.name(cluster_node, "name", "cluster.name"), cluster_node, "cluster", layout
    )
    app_node = reader.mapping(
        doc, "app", "app", required=True, expected="a mapping with name, volumes and settings"
    )
    assert app_node is not None
    app = read_app(reader, reader.name(app_node, "name", "app.name"), app_node, "app", layout)
    return Config(
        path=path.resolve(),
        version=version,
        service=service,
        provider=provider,
        cluster=cluster,
        app=app,
        workspace=workspace,
        layout=layout,
        warnings=tuple(reader.warnings),
    )


def read_version(reader: Reader, doc: YMap) -> str:
    """``version`` is never a gate (kompoxops never checks it): anything but v1 warns."""
    value = reader.string(doc, "version", "version", expected="v1")
    if value is None:
        reader.warn("version", f"missing; kompox-tui reads 'version: {SUPPORTED_VERSION}' files")
        return ""
    if value.strip() != SUPPORTED_VERSION:
        reader.warn(
            "version",
            f"{shown(value)} is not '{SUPPORTED_VERSION}'; the file is read as version "
            f"{SUPPORTED_VERSION}",
            reader.where(doc, "version"),
        )
    return value.strip()


def read_named(reader: Reader, doc: YMap, key: str) -> str | None:
    """``workspace.name`` / ``service.name``; None when the block is absent or null."""
    node = reader.mapping(doc, key, key, expected="a mapping with a name")
    if node is None:
        return None
    reader.check_keys(node, key, ("name",))
    return reader.name(node, "name", f"{key}.name")


def read_provider(reader: Reader, doc: YMap) -> tuple[Provider, str]:
    node = reader.mapping(
        doc,
        "provider",
        "provider",
        required=True,
        expected="a mapping with name, driver: aks and settings",
    )
    assert node is not None
    reader.check_keys(node, "provider", ("name", "driver", "settings"))
    name = reader.name(node, "name", "provider.name")
    driver = reader.string(node, "driver", "provider.driver", required=True, expected="driver: aks")
    if driver != naming.DRIVER_ID:
        raise reader.fail(
            "provider.driver",
            f"unsupported driver {shown(driver or '')}; kompox-tui supports only "
            f"'{naming.DRIVER_ID}'",
            reader.where(node, "driver"),
        )
    if (
        reader.mapping(
            node, "settings", "provider.settings", expected="a mapping of setting names to values"
        )
        is None
    ):
        raise reader.fail(
            "provider.settings",
            "missing; expected a mapping with " + ", ".join(REQUIRED_PROVIDER_SETTINGS),
            node.line,
        )
    settings, snode = reader.settings(node, "settings", "provider.settings", known=KNOWN_SETTINGS)
    layout = layout_from_settings(reader, settings, snode, "provider.settings")
    settings = check_provider_settings(reader, settings, snode, "provider.settings")
    return Provider(name=name, driver=driver, settings=settings), layout


__all__ = ["DNS_LABEL_EXPECTED", "LAYOUT_SETTING", "SUPPORTED_VERSION", "read_kompoxops_file"]
