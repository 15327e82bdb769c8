"""Find and load configuration the way kompoxops finds it (facts §1.1), plus ``-f``.

* ``-f FILE`` (repeatable): a kompoxops.yml, or a file of KOM documents (kompoxapp.yml).
* else ``KOMPOX_KOM_APP`` or ``./kompoxapp.yml`` if it exists; else ``KOMPOX_KOM_PATH``
  (``os.pathsep`` list of files and directories, scanned for ``.yml``/``.yaml``);
* else ``KOMPOX_DB_URL=file:PATH``; else ``./kompoxops.yml``.
KOM documents are pooled across files (a Workspace in one, its Apps in another); extra KOM
paths come from ``KOMPOX_KOM_PATH``, else ``Defaults.spec.komPath``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from urllib.parse import unquote, urlsplit

from kompox_tui.errors import ConfigError
from kompox_tui.model import LAYOUTS, Config

from .kom import KomSet, add_documents, build_configs, defaults_kom_paths
from .kompoxops_file import read_kompoxops_file
from .yamlsrc import Node, YMap, parse_documents, read_text_file, redact

DEFAULT_CONFIG_FILE = "kompoxops.yml"
DEFAULT_KOM_APP = "kompoxapp.yml"
DB_URL_ENV = "KOMPOX_DB_URL"
KOM_APP_ENV = "KOMPOX_KOM_APP"
KOM_PATH_ENV = "KOMPOX_KOM_PATH"

#: Directories kompoxops skips when it scans a KOM path (``kom_loader.go@v0.0.23``).
IGNORED_DIRS = frozenset(
    {".git", ".github", "node_modules", "vendor", ".direnv", ".venv", "dist", "build"}
)
MAX_KOM_FILES = 5000
MAX_KOM_DEPTH = 10

#: Azure limits on the provisioning object's name (azure-rest-api-specs: deploymentStacks
#: ``deploymentStackName`` maxLength 90; Microsoft.Resources deployments: 64).
NAME_LIMITS = {"stack": 90, "deployment": 64}


def _is_kom(docs: list[Node | None]) -> bool:
    """KOM documents carry apiVersion/kind; a kompoxops.yml never does (yaml.v3 would read
    only the first document of a multi-document kompoxops.yml, and so do we)."""
    return any(isinstance(d, YMap) and ("apiVersion" in d or "kind" in d) for d in docs)


def _check_layout(layout: str | None) -> str | None:
    if layout is not None and layout not in LAYOUTS:
        raise ConfigError(
            f"--layout {layout!r} is not a layout; expected one of " + ", ".join(LAYOUTS)
        )
    return layout or None


def check_names(config: Config, shown: str | None = None) -> Config:
    """Refuse what Azure would refuse later: a too-long stack or deployment name."""
    from kompox_tui.layouts import layout_for

    obj = layout_for(config).provisioning_object()
    limit = NAME_LIMITS[obj.kind]
    if len(obj.name) > limit:
        key = (
            "cluster.settings.AZURE_RESOURCE_GROUP_NAME"
            if config.cluster.settings.get("AZURE_RESOURCE_GROUP_NAME") and obj.kind == "deployment"
            else "cluster.name"
        )
        raise ConfigError(
            f"the {obj.description} would be {len(obj.name)} characters; Azure allows at most "
            f"{limit} in a {'deployment stack' if obj.kind == 'stack' else 'deployment'} name",
            file=shown or str(config.path),
            key=key,
            hint=(
                "use shorter service, provider and cluster names"
                if obj.kind == "stack"
                else "set a shorter cluster.settings.AZURE_RESOURCE_GROUP_NAME or "
                "AZURE_RESOURCE_PREFIX, or use shorter workspace, provider and cluster names"
            ),
        )
    return config


def load_config(path: str | os.PathLike[str], *, layout: str | None = None) -> Config:
    """Read one kompoxops.yml (or a KOM file with exactly one App)."""
    configs = load_configs([path], layout=layout, env={})
    if len(configs) != 1:
        raise ConfigError(
            f"defines {len(configs)} (cluster, app) pairs; expected one here", file=str(path)
        )
    return configs[0]


def load_configs(
    paths: Iterable[str | os.PathLike[str]],
    *,
    layout: str | None = None,
    env: Mapping[str, str] | None = None,
) -> list[Config]:
    """Load every file, in order; KOM files are pooled. The first problem raises ConfigError.

    ``layout`` (``--layout``) overrides every file's own choice. Each Config carries its
    load warnings (``Config.warnings``); :func:`all_warnings` collects them once.
    """
    override = _check_layout(layout)
    environ = os.environ if env is None else env
    configs: list[Config | None] = []
    kom = KomSet()
    kom_slot: int | None = None
    seen: set[Path] = set()
    for item in paths:
        path = Path(item)
        shown = str(item)
        text = read_text_file(path, shown)
        docs = parse_documents(text, shown)
        if not _is_kom(docs):
            configs.append(check_names(read_kompoxops_file(docs[0], path, shown, override), shown))
            continue
        real = Path(os.path.realpath(path))
        if real in seen:
            continue  # the same KOM file twice (or also under KOMPOX_KOM_PATH): read once
        seen.add(real)
        count = add_documents(kom, docs, path, shown, app_file=kom_slot is None)
        if count == 0 and kom.defaults is None:
            raise ConfigError(
                "has no Kompox documents (apiVersion: ops.kompox.dev/v1alpha1)", file=shown
            )
        if kom_slot is None:
            kom_slot = len(configs)
            configs.append(None)
            for extra in _extra_kom_files(kom, environ):
                real = Path(os.path.realpath(extra))
                if real in seen:
                    continue
                seen.add(real)
                extra_docs = parse_documents(read_text_file(extra, str(extra)), str(extra))
                add_documents(kom, extra_docs, extra, str(extra), app_file=False)
    result: list[Config] = []
    for index, config in enumerate(configs):
        if config is not None:
            result.append(config)
        elif index == kom_slot:
            result.extend(check_names(c) for c in build_configs(kom, override))
    return result


def all_warnings(configs: Sequence[Config]) -> list[str]:
    """Every distinct load warning of ``configs``, in order (to show once at start)."""
    seen: list[str] = []
    for config in configs:
        for text in getattr(config, "warnings", ()):
            if text not in seen:
                seen.append(text)
    return seen


def _extra_kom_files(kom: KomSet, environ: Mapping[str, str]) -> list[Path]:
    value = environ.get(KOM_PATH_ENV, "").strip()
    if value:
        entries = [p.strip() for p in value.split(os.pathsep) if p.strip()]
        return scan_kom_paths(entries, Path.cwd(), KOM_PATH_ENV)
    entries, base = defaults_kom_paths(kom)
    if entries and base is not None:
        return scan_kom_paths(entries, base, "Defaults.spec.komPath")
    return []


def scan_kom_paths(entries: Sequence[str], base: Path, source: str) -> list[Path]:
    """Files named, and ``.yml``/``.yaml`` files under directories named (sorted, deduped)."""
    files: list[Path] = []
    for entry in entries:
        if "://" in entry:
            raise ConfigError(f"{source}: URL not supported: {redact(entry)!r}")
        path = Path(os.path.expanduser(entry))
        path = path if path.is_absolute() else base / path
        if not path.exists():
            raise ConfigError(f"{source}: path does not exist: {str(path)!r}")
        if path.is_dir():
            files.extend(_scan_dir(path, 0, set(), source))
        elif path.suffix in (".yml", ".yaml"):
            files.append(path)
        else:
            raise ConfigError(f"{source}: file {str(path)!r} must have .yml or .yaml extension")
        if len(files) > MAX_KOM_FILES:
            raise ConfigError(f"{source}: maximum file count ({MAX_KOM_FILES}) exceeded")
    unique: list[Path] = []
    for file in files:
        if file not in unique:
            unique.append(file)
    return unique


def _scan_dir(directory: Path, depth: int, visited: set[Path], source: str) -> list[Path]:
    if depth > MAX_KOM_DEPTH:
        raise ConfigError(f"{source}: maximum directory depth ({MAX_KOM_DEPTH}) exceeded")
    real = Path(os.path.realpath(directory))
    if real in visited:
        return []
    visited.add(real)
    found: list[Path] = []
    try:
        entries = sorted(directory.iterdir())
    except OSError as exc:
        raise ConfigError(
            f"{source}: cannot read directory {str(directory)!r}: {exc.strerror}"
        ) from None
    for entry in entries:
        if entry.name in IGNORED_DIRS:
            continue
        if entry.is_dir():
            found.extend(_scan_dir(entry, depth + 1, visited, source))
        elif entry.suffix in (".yml", ".yaml") and entry.is_file():
            found.append(entry)
    return found


# --- discovery ----------------------------------------------------------------------------


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
        try:
            parsed = urlsplit(url)
        except ValueError:
            raise ConfigError(f"{DB_URL_ENV}={redact(url)} is not a valid file: URL") from None
        if parsed.netloc not in ("", "localhost"):
            raise ConfigError(
                f"{DB_URL_ENV}={redact(url)} names a remote host; expected a local file such as "
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
    """``-f`` files; else kompoxapp.yml / KOM paths; else ``KOMPOX_DB_URL``; else ./kompoxops.yml.

    ``-f`` paths are returned as given (missing ones are reported when loaded); the same
    file named twice is read once.
    """
    environ = os.environ if env is None else env
    base = Path(cwd) if cwd is not None else Path.cwd()

    def rel(name: str | os.PathLike[str]) -> Path:
        path = Path(name)
        return path if path.is_absolute() or cwd is None else base / path

    if cli_files:
        result: list[Path] = []
        seen: set[Path] = set()
        for item in cli_files:
            path = rel(item)
            key = Path(os.path.abspath(path))
            if key not in seen:
                seen.add(key)
                result.append(path)
        return result
    kom_app = environ.get(KOM_APP_ENV, "").strip()
    app_path = rel(os.path.expanduser(kom_app)) if kom_app else rel(DEFAULT_KOM_APP)
    if (base / app_path if not app_path.is_absolute() else app_path).is_file():
        return [app_path]
    kom_paths = environ.get(KOM_PATH_ENV, "").strip()
    if kom_paths:
        entries = [p.strip() for p in kom_paths.split(os.pathsep) if p.strip()]
        files = scan_kom_paths(entries, base, KOM_PATH_ENV)
        if files:
            return files
    db_url = environ.get(DB_URL_ENV, "").strip()
    if db_url:
        return [_path_from_db_url(db_url, base)]
    default = base / DEFAULT_CONFIG_FILE
    if default.is_file():
        return [default] if cwd is not None else [Path(DEFAULT_CONFIG_FILE)]
    raise ConfigError(
        f"no {DEFAULT_CONFIG_FILE} or {DEFAULT_KOM_APP} in {base}",
        hint=f"pass one with -f FILE, set {DB_URL_ENV}=file:PATH, or try `kompox-tui --demo`",
    )


def with_warnings(config: Config, warnings: Iterable[str]) -> Config:
    return replace(config, warnings=tuple(dict.fromkeys([*config.warnings, *warnings])))
