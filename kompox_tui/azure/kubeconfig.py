"""Kubeconfig files: save one, or merge it into the user's (as kubectl and az do).

Rules (issues 14 and 16):

- The context, its cluster and its user all take one name (``kompoxops-<cluster>``,
  the layout's choice), so nothing else in the user's file is touched.
- A merge switches ``current-context`` to the merged context by default, as
  ``az aks get-credentials`` does, and reports which context was current before, so
  the UI can say it. ``set_current=False`` keeps the user's current context.
- A context of the same name that points at *another* API server is never
  overwritten silently: :class:`KubeconfigConflict` says so, and the caller asks
  before calling again with ``overwrite=True``. The same server is refreshed in place
  (new credentials of the same cluster).
- The file is written through a symlink (the link stays a link), atomically, with
  mode 0600, and comments in the user's file survive (ruamel.yaml round trip).
- While merging, ``<file>.lock`` is held, created exclusively -- the lock kubectl
  (client-go ``clientcmd``) takes -- so two merges, ours or kubectl's, never lose
  each other's contexts.
- Only regular files up to :data:`MAX_KUBECONFIG_BYTES` are read.
"""

from __future__ import annotations

import contextlib
import copy
import io
import os
import stat
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import AzureError, ConfigError, ConflictError
from ..private_files import write_private

MAX_KUBECONFIG_BYTES = 16 * 1024 * 1024
LOCK_WAIT_SECONDS = 10.0


class KubeconfigConflict(ConflictError):
    """A context of the same name already points at another API server."""

    def __init__(self, path: Path, context: str, old_server: str, new_server: str) -> None:
        self.path = path
        self.context = context
        self.old_server = old_server
        self.new_server = new_server
        super().__init__(
            f"{path}: context {context} already points at {old_server or '(no server)'}, "
            f"not at this cluster's {new_server or '(no server)'}; nothing was written",
            hint="confirm the overwrite, or save the kubeconfig to another file",
        )


@dataclass(frozen=True)
class KubeconfigSaved:
    """What a save or merge wrote, for the message the user reads."""

    path: Path
    context: str
    merged: bool
    #: ``current-context`` of the file after the write.
    current_context: str | None
    #: ``current-context`` of the file before the write (None: no file or none set).
    previous_context: str | None
    #: True when an existing context of the same name was replaced.
    replaced: bool


def merge_target() -> Path:
    """The file ``kubectl config`` would write: the first KUBECONFIG entry, else ~/.kube/config."""
    env = os.environ.get("KUBECONFIG", "")
    for part in env.split(os.pathsep):
        if part.strip():
            return Path(part.strip()).expanduser()
    return Path.home() / ".kube" / "config"


def _named(entries: Any) -> list[Any]:
    return [e for e in (entries or []) if isinstance(e, Mapping) and "name" in e]


def _server_of(doc: Mapping[str, Any] | None, context: str) -> str | None:
    """The API server of context ``context`` in ``doc`` (None: no such context)."""
    if not doc:
        return None
    ctx = next((c for c in _named(doc.get("contexts")) if c["name"] == context), None)
    if ctx is None:
        return None
    cluster_name = (ctx.get("context") or {}).get("cluster")
    cluster = next((c for c in _named(doc.get("clusters")) if c["name"] == cluster_name), None)
    if cluster is None:
        return ""
    return str((cluster.get("cluster") or {}).get("server") or "")


def _extract(new: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The context, cluster and user entries of ``new``'s current (or first) context."""
    if not isinstance(new, Mapping):
        raise AzureError("cluster kubeconfig", code="InvalidKubeconfig", message="not a mapping")
    contexts = _named(new.get("contexts"))
    wanted = new.get("current-context")
    chosen = next((c for c in contexts if c["name"] == wanted), contexts[0] if contexts else None)
    if chosen is None:
        raise AzureError(
            "cluster kubeconfig", code="InvalidKubeconfig", message="the kubeconfig has no context"
        )
    ctx = dict(chosen.get("context") or {})
    cluster = next(
        (c for c in _named(new.get("clusters")) if c["name"] == ctx.get("cluster")), None
    )
    user = next((u for u in _named(new.get("users")) if u["name"] == ctx.get("user")), None)
    if cluster is None or user is None:
        raise AzureError(
            "cluster kubeconfig",
            code="InvalidKubeconfig",
            message="the kubeconfig context refers to a missing cluster or user",
        )
    return ctx, dict(cluster.get("cluster") or {}), dict(user.get("user") or {})


def merge_kubeconfig(
    existing: Mapping[str, Any] | None,
    new: Mapping[str, Any],
    context: str,
    *,
    set_current: bool = True,
    overwrite: bool = False,
    path: Path | None = None,
) -> dict[str, Any]:
    """Add or replace context ``context`` (and its cluster and user) in a copy of ``existing``.

    Raises :class:`KubeconfigConflict` when ``existing`` already has ``context``
    pointing at another server, unless ``overwrite``.
    """
    ctx, cluster, user = _extract(new)
    old_server = _server_of(existing, context)
    new_server = str(cluster.get("server") or "")
    if old_server is not None and old_server != new_server and not overwrite:
        raise KubeconfigConflict(path or Path("kubeconfig"), context, old_server, new_server)
    ctx["cluster"] = context
    ctx["user"] = context
    # A deep copy keeps ruamel's comments and leaves the caller's document untouched.
    result: Any = copy.deepcopy(existing) if existing else {}
    result.setdefault("apiVersion", "v1")
    result.setdefault("kind", "Config")
    result.setdefault("preferences", {})

    def upsert(key: str, entry: dict[str, Any]) -> None:
        items = result.get(key)
        if not isinstance(items, list):
            items = []
            result[key] = items
        for i, item in enumerate(items):
            if isinstance(item, Mapping) and item.get("name") == context:
                items[i] = entry  # in place: the user's order is kept
                return
        items.append(entry)

    upsert("clusters", {"name": context, "cluster": cluster})
    upsert("users", {"name": context, "user": user})
    upsert("contexts", {"name": context, "context": ctx})
    if set_current or not result.get("current-context"):
        result["current-context"] = context
    return result


# --- files ----------------------------------------------------------------------------


def _yaml() -> Any:
    from ruamel.yaml import YAML

    rt = YAML(typ="rt")
    rt.preserve_quotes = True
    rt.default_flow_style = False
    return rt


def read_kubeconfig(path: Path) -> Any:
    """The document in ``path`` (None when the file does not exist or is empty)."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(f"cannot read the kubeconfig: {exc.strerror}", file=str(path)) from None
    if not stat.S_ISREG(info.st_mode):
        raise ConfigError(
            "is not a regular file", file=str(path), hint="point KUBECONFIG at a kubeconfig file"
        )
    if info.st_size > MAX_KUBECONFIG_BYTES:
        raise ConfigError(
            f"is larger than {MAX_KUBECONFIG_BYTES // (1024 * 1024)} MiB; not a kubeconfig",
            file=str(path),
        )
    from ruamel.yaml.error import YAMLError

    try:
        data = _yaml().load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, YAMLError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(
            f"cannot read the existing kubeconfig: {first}",
            file=str(path),
            hint="fix or move the file, or write to another path",
        ) from None
    if data is None:
        return None
    if not isinstance(data, Mapping):
        raise ConfigError("is not a kubeconfig (not a mapping)", file=str(path))
    return data


@contextlib.contextmanager
def file_lock(path: Path, wait: float = LOCK_WAIT_SECONDS) -> Iterator[None]:
    """Hold ``<path>.lock``, created exclusively -- the lock kubectl takes on kubeconfigs."""
    lock = path.with_name(path.name + ".lock")
    lock.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    give_up = time.monotonic() + wait
    while True:
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            break
        except FileExistsError:
            if time.monotonic() >= give_up:
                raise ConflictError(
                    f"{path}: another program is changing it (lock file {lock} exists)",
                    hint=f"try again in a moment; if no kubectl is running, remove {lock}",
                ) from None
            time.sleep(0.05)
    try:
        os.close(fd)
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(lock)


def _dump(doc: Any) -> bytes:
    out = io.StringIO()
    _yaml().dump(doc, out)
    return out.getvalue().encode("utf-8")


def save_kubeconfig(
    new: Mapping[str, Any],
    context: str,
    target: Path,
    *,
    merge: bool,
    set_current: bool = True,
    overwrite: bool = False,
) -> KubeconfigSaved:
    """Write ``new`` (renamed to ``context``) to ``target``, merged or alone.

    Without ``merge`` the file holds only this context; an existing file whose context
    of the same name points at another server is refused like a merge would be.
    """
    shown = target.expanduser()
    real = Path(os.path.realpath(shown))  # write through a symlink, never replace it
    with file_lock(real):
        existing = read_kubeconfig(real)
        previous = str(existing.get("current-context") or "") or None if existing else None
        replaced = _server_of(existing, context) is not None
        if merge:
            doc = merge_kubeconfig(
                existing, new, context, set_current=set_current, overwrite=overwrite, path=shown
            )
        else:
            # Refuse to replace another cluster's file, then write this context alone.
            merge_kubeconfig(existing, new, context, overwrite=overwrite, path=shown)
            doc = merge_kubeconfig(None, new, context)
        write_private(real, _dump(doc))
    current = str(doc.get("current-context") or "") or None
    return KubeconfigSaved(
        path=shown,
        context=context,
        merged=merge,
        current_context=current,
        previous_context=previous,
        replaced=replaced,
    )
