"""KOM documents (``kompoxapp.yml``; ``config/crd/ops/v1alpha1/{loader,fqn,validator}.go@v0.0.23``).

Multi-document YAML. Documents whose ``apiVersion`` is not ``ops.kompox.dev/v1alpha1`` are
skipped; one without ``apiVersion`` or ``kind`` is an error. Every kind but ``Defaults`` needs
the annotation ``ops.kompox.dev/id`` = ``/ws/<ws>[/prv/<p>[/cls/<c>[/app/<a>]]]`` whose last
name is ``metadata.name`` and whose parent is defined. Each App is one Config (one row).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from kompox_tui import naming
from kompox_tui.errors import ConfigError
from kompox_tui.model import Config, LayoutName, Provider, Workspace

from .fields import Reader, is_dns_label, kom_value, shown
from .provider import KNOWN_SETTINGS, check_provider_settings, layout_from_settings
from .sections import read_app, read_cluster
from .yamlsrc import Node, Scalar, YMap, kind_of

API_VERSION = "ops.kompox.dev/v1alpha1"
ID_ANNOTATION = "ops.kompox.dev/id"
KINDS = ("Workspace", "Provider", "Cluster", "App", "Box", "Defaults")
_SHORT = {"ws": "Workspace", "prv": "Provider", "cls": "Cluster", "app": "App", "box": "Box"}
_CHAIN = {"Workspace": 1, "Provider": 2, "Cluster": 3, "App": 4, "Box": 5}
_ORDER = ("ws", "prv", "cls", "app", "box")


@dataclass
class Document:
    kind: str
    name: str
    fqn: str
    node: YMap
    file: str
    path: Path
    index: int


@dataclass
class KomSet:
    documents: list[Document] = field(default_factory=list)
    defaults: Document | None = None
    warnings: list[str] = field(default_factory=list)


def parse_resource_id(value: str, kind: str, name: str) -> str | None:
    """Why ``value`` is not a valid Resource ID for ``kind``/``name`` (kompoxops's texts)."""
    if not value.startswith("/"):
        return f"Resource ID must start with '/': {value!r}"
    segments = value[1:].split("/")
    if len(segments) % 2:
        return f"Resource ID must have kind/name pairs: {value!r}"
    pairs = list(zip(segments[0::2], segments[1::2], strict=True))
    for short, segment in pairs:
        if short not in _SHORT:
            return f"unknown kind shortname {short!r} in Resource ID {value!r}"
        if not is_dns_label(segment):
            return f"invalid name {segment!r} in Resource ID {value!r}: not a DNS-1123 label"
    actual = _SHORT[pairs[-1][0]]
    if actual != kind:
        return f"Resource ID kind {actual!r} does not match expected kind {kind!r}"
    if pairs[-1][1] != name:
        return f"Resource ID name {pairs[-1][1]!r} does not match metadata.name {name!r}"
    if len(pairs) != _CHAIN[kind] or [p[0] for p in pairs] != list(_ORDER[: len(pairs)]):
        return (
            f"kind {kind} expects {_CHAIN[kind]} kind/name pairs in order ws/prv/cls/app/box, "
            f"got {value!r}"
        )
    return None


def add_documents(
    kom: KomSet, docs: list[Node | None], path: Path, shown_path: str, *, app_file: bool
) -> int:
    """Add the Kompox documents of one file; returns how many there were."""
    reader = Reader(shown_path, path.parent, kom=True)
    count = 0
    for index, node in enumerate(docs, start=1):
        where = f"document {index}"
        if node is None or (isinstance(node, YMap) and not node):
            continue
        if not isinstance(node, YMap):
            raise reader.fail(where, f"is {kind_of(node)}; expected a mapping", node.line)
        api = node.get("apiVersion")
        if not isinstance(api, Scalar) or api.is_null:
            raise reader.fail(where, "missing or invalid apiVersion", node.line)
        kind_node = node.get("kind")
        if not isinstance(kind_node, Scalar) or kind_node.is_null:
            raise reader.fail(where, "missing or invalid kind", node.line)
        if api.text != API_VERSION:
            continue  # kompoxops skips other documents silently
        kind = kind_node.text
        if kind not in KINDS:
            raise reader.fail(where, f"unsupported kind: {shown(kind)}", kind_node.line)
        meta = node.get("metadata")
        if not isinstance(meta, YMap):
            raise reader.fail(f"{where} ({kind})", "missing or invalid metadata", node.line)
        name_node = meta.get("name")
        # The loader reads metadata.name as a JSON string: a number or boolean is no name.
        name = ""
        if isinstance(name_node, Scalar) and isinstance(kom_value(name_node), str):
            name = name_node.text
        if not name:
            raise reader.fail(f"{where} ({kind})", "missing or invalid metadata.name", meta.line)
        label = f"{kind} {name}"
        if kind == "Defaults":
            if not app_file:
                continue  # Defaults are read only from kompoxapp.yml
            if kom.defaults is not None:
                raise reader.fail(
                    label,
                    f"multiple Defaults documents found in {shown_path}; only one is allowed",
                    node.line,
                )
            kom.defaults = Document(kind, name, "", node, shown_path, path, index)
            continue
        annotations = meta.get("annotations")
        id_node = annotations.get(ID_ANNOTATION) if isinstance(annotations, YMap) else None
        if not isinstance(id_node, Scalar) or id_node.is_null:
            raise reader.fail(
                f"{label}: metadata.annotations",
                f'missing required annotation "{ID_ANNOTATION}"',
                meta.line,
            )
        problem = parse_resource_id(id_node.text, kind, name)
        if problem:
            raise reader.fail(
                f"{label}: metadata.annotations.{ID_ANNOTATION}", problem, id_node.line
            )
        kom.documents.append(Document(kind, name, id_node.text, node, shown_path, path, index))
        count += 1
    return count


def _box_problem(doc: Document) -> str | None:
    """kompoxops's ``validateBox`` (validator.go@v0.0.23): it refuses the whole set."""
    if doc.name == "app":
        return 'metadata.name "app" is reserved and cannot be used for Box'
    spec = doc.node.get("spec")
    spec = spec if isinstance(spec, YMap) else YMap(doc.node.line)
    component = spec.get("component")
    if isinstance(component, Scalar) and component.text and component.text != doc.name:
        return f"spec.component {component.text!r} must match metadata.name {doc.name!r}"
    image = spec.get("image")
    standalone = isinstance(image, Scalar) and bool(image.text) and not image.is_null
    if "ingress" in spec:
        what = "Standalone Box" if standalone else "Compose Box"
        return f"{what} must not specify spec.ingress"
    if not standalone:
        for key in ("command", "args"):
            if spec.get(key):
                return f"Compose Box must not specify spec.{key}"
    return None


def _parent(fqn: str) -> str:
    return fqn.rsplit("/", 2)[0]


def build_configs(kom: KomSet, layout_override: str | None) -> list[Config]:
    """Validate the document set (duplicates, parents) and make one Config per App."""
    by_fqn: dict[str, Document] = {}
    for doc in sorted(kom.documents, key=lambda d: _CHAIN[d.kind]):
        fail = Reader(doc.file, doc.path.parent, kom=True).fail
        label = f"{doc.kind} {doc.name}"
        if doc.fqn in by_fqn:
            first = by_fqn[doc.fqn]
            raise fail(
                label,
                f"duplicate Resource ID {doc.fqn!r}, already defined at {first.file} "
                f"(document {first.index})",
                doc.node.line,
            )
        if doc.kind != "Workspace" and _parent(doc.fqn) not in by_fqn:
            raise fail(label, f"parent {_parent(doc.fqn)!r} does not exist", doc.node.line)
        if doc.kind == "Box":
            problem = _box_problem(doc)
            if problem:
                raise fail(label, problem, doc.node.line)
        by_fqn[doc.fqn] = doc
    configs: list[Config] = []
    apps = [d for d in kom.documents if d.kind == "App"]
    used_clusters = {_parent(a.fqn) for a in apps}
    warnings = list(kom.warnings)
    for doc in kom.documents:
        if doc.kind == "Cluster" and doc.fqn not in used_clusters:
            warnings.append(
                f"{doc.file}:{doc.node.line}: Cluster {doc.name}: no App is defined on this "
                "cluster, so it has no row (kompox-tui shows (cluster, app) pairs)"
            )
    for app_doc in apps:
        cluster_doc = by_fqn[_parent(app_doc.fqn)]
        provider_doc = by_fqn[_parent(cluster_doc.fqn)]
        workspace_doc = by_fqn[_parent(provider_doc.fqn)]
        config = _config(
            workspace_doc, provider_doc, cluster_doc, app_doc, layout_override, warnings
        )
        if config is not None:
            configs.append(config)
    # Warnings about the whole set (skipped clusters and apps) go with every row.
    configs = [replace(c, warnings=tuple(dict.fromkeys([*warnings, *c.warnings]))) for c in configs]
    if not configs:
        raise ConfigError(
            "the KOM documents define no App on an aks provider, so there is nothing to show",
            file=kom.documents[0].file if kom.documents else None,
            hint="add an App document (kind: App) under a Cluster of a Provider with driver: aks",
        )
    return configs


def _spec(reader: Reader, doc: Document) -> YMap:
    label = f"{doc.kind} {doc.name}"
    reader.check_keys(doc.node, label, ("apiVersion", "kind", "metadata", "spec", "status"))
    spec = reader.mapping(doc.node, "spec", f"{label}: spec", expected="a mapping")
    return spec if spec is not None else YMap(doc.node.line)


def _config(
    ws: Document,
    prv: Document,
    cls: Document,
    app: Document,
    layout_override: str | None,
    shared_warnings: list[str],
) -> Config | None:
    preader = Reader(prv.file, prv.path.parent, kom=True)
    pspec = _spec(preader, prv)
    plabel = f"Provider {prv.name}: spec"
    driver = preader.string(pspec, "driver", f"{plabel}.driver", expected="driver: aks") or ""
    if driver != naming.DRIVER_ID:
        shared_warnings.append(
            f"{app.file}:{app.node.line}: App {app.name}: provider {prv.name} uses driver "
            f"{shown(driver)}; kompox-tui supports only '{naming.DRIVER_ID}', so it has no row"
        )
        return None
    preader.check_keys(pspec, plabel, ("driver", "settings"))
    settings, snode = preader.settings(
        pspec, "settings", f"{plabel}.settings", known=KNOWN_SETTINGS
    )
    setting_layout = layout_from_settings(preader, settings, snode, f"{plabel}.settings")
    settings = check_provider_settings(preader, settings, snode, f"{plabel}.settings")
    layout: LayoutName = "kompoxops"
    if layout_override:
        layout = layout_override  # type: ignore[assignment]
    elif setting_layout:
        layout = setting_layout  # type: ignore[assignment]
    creader = Reader(cls.file, cls.path.parent, kom=True)
    cluster = read_cluster(
        creader, cls.name, _spec(creader, cls), f"Cluster {cls.name}: spec", layout, kom=True
    )
    areader = Reader(app.file, app.path.parent, kom=True)
    app_model = read_app(
        areader, app.name, _spec(areader, app), f"App {app.name}: spec", layout, kom=True
    )
    warnings: list[str] = []
    for text in [*preader.warnings, *creader.warnings, *areader.warnings]:
        if text not in warnings:
            warnings.append(text)
    return Config(
        path=app.path.resolve(),
        version=API_VERSION,
        service=None,
        provider=Provider(name=prv.name, driver=driver, settings=settings),
        cluster=cluster,
        app=app_model,
        workspace=Workspace(name=ws.name),
        layout=layout,
        warnings=tuple(warnings),
        kom_id=app.fqn,
    )


def defaults_kom_paths(kom: KomSet) -> tuple[list[str], Path | None]:
    """``Defaults.spec.komPath`` entries and the directory they are relative to."""
    if kom.defaults is None:
        return [], None
    doc = kom.defaults
    reader = Reader(doc.file, doc.path.parent, kom=True)
    spec = reader.mapping(doc.node, "spec", f"Defaults {doc.name}: spec", expected="a mapping")
    if spec is None:
        return [], None
    reader.check_keys(spec, f"Defaults {doc.name}: spec", ("komPath", "appId"))
    paths = reader.strings(spec, "komPath", f"Defaults {doc.name}: spec.komPath", expected="a path")
    for value in paths:
        if "://" in value:
            raise reader.fail(
                f"Defaults {doc.name}: spec.komPath",
                f"URL not supported: {shown(value)}",
                spec.line,
            )
    return list(paths), doc.path.resolve().parent
