"""PATCH in all four content types, and field ownership (``metadata.managedFields``).

- ``application/merge-patch+json`` (RFC 7386), ``application/json-patch+json`` (RFC
  6902), ``application/strategic-merge-patch+json`` (see :mod:`.patches`);
- ``application/apply-patch+yaml``: server-side apply. ``fieldManager`` is required. The
  applied configuration is merged into the live object (lists with a merge key merge by
  key, other lists are atomic); fields this manager applied before and no longer applies
  are removed unless another manager also owns them. Applying a field another manager
  owns with a different value is a 409 ``Conflict`` listing every conflicting field,
  unless ``force=true``, which moves the ownership. An apply that changes nothing keeps
  the resourceVersion.

Every write records its manager in ``managedFields`` (``FieldsV1``, as the API server
does): ``Apply`` entries own exactly the applied fields; ``Update`` entries (create,
replace, the other patches) own the fields they set or changed.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import yaml

from ..core import Request, Response
from .kinds import Kind, KubeError, bad_request, details, invalid
from .patches import _list_merge_key, json_patch, merge_patch, strategic_merge_patch

if TYPE_CHECKING:
    from .store import ObjectStore

Path = tuple[str, ...]
_UNTRACKED_META = (
    "name",
    "namespace",
    "uid",
    "resourceVersion",
    "creationTimestamp",
    "generation",
    "managedFields",
    "deletionTimestamp",
    "selfLink",
)


# --- field sets ------------------------------------------------------------------------------


def fieldset(obj: Any, prefix: Path = (), field: str = "") -> set[Path]:
    """The leaf paths of an object in FieldsV1 tokens (``f:name``, ``k:{...}``)."""
    out: set[Path] = set()
    if isinstance(obj, dict):
        if not obj and prefix:
            out.add(prefix)
        for k, v in obj.items():
            if not prefix and k in ("apiVersion", "kind", "status"):
                continue
            if prefix == ("f:metadata",) and k in _UNTRACKED_META:
                continue
            out |= fieldset(v, (*prefix, f"f:{k}"), k)
        return out
    if isinstance(obj, list):
        key = _list_merge_key(field, obj)
        if key and obj and all(isinstance(i, dict) and key in i for i in obj):
            for item in obj:
                token = "k:" + json.dumps({key: item[key]}, separators=(",", ":"))
                out.add((*prefix, token, "."))
                out |= fieldset(item, (*prefix, token), "")
            return out
    out.add(prefix)
    return out


def to_fields_v1(paths: set[Path]) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for p in sorted(paths):
        node = root
        for token in p:
            node = node.setdefault(token, {})
    return root


def from_fields_v1(tree: Any, prefix: Path = ()) -> set[Path]:
    out: set[Path] = set()
    if not isinstance(tree, dict):
        return out
    if not tree and prefix:
        out.add(prefix)
    for token, sub in tree.items():
        out |= from_fields_v1(sub, (*prefix, token))
    return out


def _value_at(obj: Any, p: Path) -> Any:
    node = obj
    for token in p:
        if token == ".":
            return node
        if token.startswith("f:") and isinstance(node, dict):
            node = node.get(token[2:])
        elif token.startswith("k:") and isinstance(node, list):
            wanted = json.loads(token[2:])
            node = next(
                (
                    i
                    for i in node
                    if isinstance(i, dict) and all(i.get(k) == v for k, v in wanted.items())
                ),
                None,
            )
        else:
            return None
        if node is None:
            return None
    return node


def _remove_at(obj: Any, p: Path) -> None:
    if not p or p[-1] == ".":
        return
    parent = _value_at(obj, p[:-1])
    token = p[-1]
    if token.startswith("f:") and isinstance(parent, dict):
        parent.pop(token[2:], None)
    elif token.startswith("k:") and isinstance(parent, list):
        wanted = json.loads(token[2:])
        parent[:] = [
            i
            for i in parent
            if not (isinstance(i, dict) and all(i.get(k) == v for k, v in wanted.items()))
        ]


def _entries(obj: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        dict(e)
        for e in (obj.get("metadata") or {}).get("managedFields") or []
        if isinstance(e, dict)
    ]


def _stamp(objects: ObjectStore) -> str:
    return objects.ctx.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")


def _set_entry(
    entries: list[dict[str, Any]],
    manager: str,
    operation: str,
    api_version: str,
    paths: set[Path],
    stamp: str,
    subresource: str | None = None,
) -> list[dict[str, Any]]:
    kept = [
        e for e in entries if not (e.get("manager") == manager and e.get("operation") == operation)
    ]
    if paths:
        entry: dict[str, Any] = {
            "manager": manager,
            "operation": operation,
            "apiVersion": api_version,
            "time": stamp,
            "fieldsType": "FieldsV1",
            "fieldsV1": to_fields_v1(paths),
        }
        if subresource:
            entry["subresource"] = subresource
        kept.append(entry)
    return kept


def manager_of(req: Request, default: str = "unknown") -> str:
    manager = req.q("fieldManager")
    if manager:
        return manager
    agent = (req.header("user-agent") or "").split("/")[0].strip()
    return agent or default


def record_update(
    objects: ObjectStore, old: dict[str, Any] | None, new: dict[str, Any], manager: str, kind: Kind
) -> None:
    """Give ``manager`` (an ``Update``) the fields ``new`` sets or changes against ``old``."""
    new_paths = fieldset(new)
    if old is not None:
        new_paths = {p for p in new_paths if _value_at(old, p) != _value_at(new, p)}
        entries = _entries(old)
        if not new_paths:  # nothing written: ownership and its times stay as they were
            meta = new.setdefault("metadata", {})
            if entries:
                meta["managedFields"] = entries
            else:
                meta.pop("managedFields", None)
            return
    else:
        entries = []
    others = [
        e for e in entries if not (e.get("manager") == manager and e.get("operation") == "Update")
    ]
    mine = next(
        (e for e in entries if e.get("manager") == manager and e.get("operation") == "Update"), None
    )
    owned = from_fields_v1(mine.get("fieldsV1")) if mine else set()
    owned |= new_paths
    for entry in others:  # a changed field moves to the writer
        theirs = from_fields_v1(entry.get("fieldsV1")) - new_paths
        entry["fieldsV1"] = to_fields_v1(theirs)
    others = [e for e in others if e.get("fieldsV1")]
    live = fieldset(new)
    owned = {p for p in owned if p in live or p[-1:] == (".",)}
    managed = _set_entry(others, manager, "Update", kind.api_version, owned, _stamp(objects))
    meta = new.setdefault("metadata", {})
    if managed:
        meta["managedFields"] = managed
    else:
        meta.pop("managedFields", None)


# --- the PATCH verb ---------------------------------------------------------------------------


def _content_type(req: Request) -> str:
    return (req.header("content-type") or "").split(";")[0].strip().lower()


def patched(current: dict[str, Any], req: Request, kind: Kind, name: str) -> dict[str, Any]:
    """``current`` with a JSON, merge or strategic merge patch applied."""
    ctype = _content_type(req)
    try:
        patch = json.loads(req.body) if req.body else None
    except ValueError as exc:
        raise bad_request(f"the body of the request could not be decoded: {exc}") from None
    if patch is None:
        raise bad_request("the request body is empty")
    if ctype == "application/json-patch+json":
        result = json_patch(current, patch)
    elif ctype == "application/merge-patch+json":
        result = merge_patch(current, _object(patch))
    elif ctype == "application/strategic-merge-patch+json":
        result = strategic_merge_patch(current, _object(patch))
    else:
        raise KubeError(
            415,
            "UnsupportedMediaType",
            "the body of the request was in an unknown format - accepted media types include: "
            "application/json-patch+json, application/merge-patch+json, "
            f"application/apply-patch+yaml, application/strategic-merge-patch+json (got {ctype!r})",
        )
    if not isinstance(result, dict):
        raise bad_request("the patch did not produce an object")
    if (result.get("metadata") or {}).get("name") != name:
        raise invalid(kind, name, "metadata.name", "Invalid value", "field is immutable")
    patch_rv = (
        (patch.get("metadata") or {}).get("resourceVersion") if isinstance(patch, dict) else None
    )
    if patch_rv is None:
        # Only an explicit resourceVersion in the patch is a precondition.
        result["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
    return result


def _object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise bad_request("the body must be a JSON object")
    return value


def patch(
    objects: ObjectStore,
    key: str,
    kind: Kind,
    namespace: str | None,
    name: str,
    req: Request,
    *,
    dry_run: bool,
) -> Response:
    if _content_type(req) == "application/apply-patch+yaml":
        return _apply(objects, key, kind, namespace, name, req, dry_run=dry_run)
    current = objects.get(key, kind, namespace, name)
    result = patched(current, req, kind, name)
    if (req.q("fieldValidation") or "").lower() == "strict":
        from .openapi import validate_strict

        validate_strict(kind, result)
    record_update(objects, current, result, manager_of(req), kind)
    return Response(200, objects.replace(key, kind, namespace, name, result, dry_run=dry_run))


def _apply(
    objects: ObjectStore,
    key: str,
    kind: Kind,
    namespace: str | None,
    name: str,
    req: Request,
    *,
    dry_run: bool,
) -> Response:
    manager = req.q("fieldManager")
    if not manager:
        raise bad_request("PATCH, application/apply-patch+yaml requires fieldManager")
    try:
        applied = yaml.safe_load(req.body or b"")
    except yaml.YAMLError as exc:
        raise bad_request(f"error decoding YAML: {exc}") from None
    applied = _object(applied)
    meta = applied.get("metadata") or {}
    if meta.get("name") not in (None, name):
        raise bad_request("the name of the object does not match the name on the URL")
    meta["name"] = name
    applied["metadata"] = meta
    if (req.q("fieldValidation") or "").lower() == "strict":
        from .openapi import validate_strict

        validate_strict(kind, applied)
    paths = fieldset(applied)
    stamp = _stamp(objects)
    entry = objects.entry(key, kind, namespace, name)
    if entry is None:
        body = json.loads(json.dumps(applied))
        body["metadata"]["managedFields"] = _set_entry(
            [], manager, "Apply", kind.api_version, paths, stamp
        )
        return Response(201, objects.create(key, kind, namespace, body, dry_run=dry_run))
    current = objects.render(key, kind, entry)
    entries = _entries(current)
    force = (req.q("force") or "").lower() == "true"
    conflicts: list[tuple[str, str, Path]] = []
    for other in entries:
        if other.get("manager") == manager and other.get("operation") == "Apply":
            continue
        theirs = from_fields_v1(other.get("fieldsV1"))
        for p in sorted(paths & theirs):
            if p[-1] != "." and _value_at(current, p) != _value_at(applied, p):
                conflicts.append((str(other.get("manager")), str(other.get("apiVersion", "")), p))
    if conflicts and not force:
        raise _conflict_error(kind, name, conflicts)
    result = strategic_merge_patch(current, applied)
    mine = next(
        (e for e in entries if e.get("manager") == manager and e.get("operation") == "Apply"), None
    )
    before = from_fields_v1(mine.get("fieldsV1")) if mine else set()
    others_paths: set[Path] = set()
    for other in entries:
        if not (other.get("manager") == manager and other.get("operation") == "Apply"):
            others_paths |= from_fields_v1(other.get("fieldsV1"))
    for p in sorted(before - paths - others_paths, key=len, reverse=True):
        _remove_at(result, p)
    new_entries = []
    for other in entries:
        if other.get("manager") == manager and other.get("operation") == "Apply":
            continue
        theirs = from_fields_v1(other.get("fieldsV1"))
        if force:
            theirs -= {c[2] for c in conflicts}
        if theirs:
            new_entries.append({**other, "fieldsV1": to_fields_v1(theirs)})
    result["metadata"]["managedFields"] = _set_entry(
        new_entries,
        manager,
        "Apply",
        kind.api_version,
        paths,
        stamp if result != current or not mine else str(mine.get("time", stamp)),
    )
    if not meta.get("resourceVersion"):
        result["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
    return Response(200, objects.replace(key, kind, namespace, name, result, dry_run=dry_run))


def _field_text(p: Path) -> str:
    out = ""
    for token in p:
        if token.startswith("f:"):
            out += "." + token[2:]
        elif token.startswith("k:"):
            out += (
                "["
                + ",".join(f"{k}={json.dumps(v)}" for k, v in json.loads(token[2:]).items())
                + "]"
            )
    return out


def _conflict_error(kind: Kind, name: str, conflicts: list[tuple[str, str, Path]]) -> KubeError:
    causes = [
        {
            "reason": "FieldManagerConflict",
            "message": f'conflict with "{manager}" using {api_version}',
            "field": _field_text(p),
        }
        for manager, api_version, p in conflicts
    ]
    if len(causes) == 1:
        summary = f"Apply failed with 1 conflict: {causes[0]['message']}: {causes[0]['field']}"
    else:
        lines = "\n".join(f"- {c['message']}: {c['field']}" for c in causes)
        summary = f"Apply failed with {len(causes)} conflicts: {lines}"
    return KubeError(409, "Conflict", summary, {**details(kind, name), "causes": causes})
