"""Patches: RFC 7386 merge patch, RFC 6902 JSON patch (the ``jsonpatch`` library) and
strategic merge patch for the fields of the served kinds.

Strategic merge knows the merge keys of the lists the kinds here use
(containers/initContainers/env/volumes/imagePullSecrets by ``name``, volumeMounts by
``mountPath``, container ports by ``containerPort``, Service ports by ``port``,
conditions by ``type``, ownerReferences by ``uid``; ``finalizers`` is a set) and the
``$patch``, ``$retainKeys`` and ``$deleteFromPrimitiveList`` directives; any other list is
replaced, as with a merge patch.
"""

from __future__ import annotations

import copy
from typing import Any

import jsonpatch
import jsonpointer

from .kinds import KubeError, bad_request

JSON = Any


def merge_patch(target: JSON, patch: JSON) -> JSON:
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


_MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "volumes": "name",
    "imagePullSecrets": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "conditions": "type",
    "ownerReferences": "uid",
    "hostAliases": "ip",
}
_SET_LISTS = ("finalizers",)


def _list_merge_key(field: str, items: list[Any]) -> str | None:
    if field == "ports":
        dicts = [i for i in items if isinstance(i, dict)]
        return "containerPort" if any("containerPort" in i for i in dicts) else "port"
    return _MERGE_KEYS.get(field)


def _strip_directives(value: JSON) -> JSON:
    if isinstance(value, dict):
        return {k: _strip_directives(v) for k, v in value.items() if not k.startswith("$")}
    if isinstance(value, list):
        return [_strip_directives(v) for v in value]
    return value


def _merge_list(field: str, original: Any, patch: list[Any]) -> list[Any]:
    if any(isinstance(i, dict) and i.get("$patch") == "replace" for i in patch):
        return [
            _strip_directives(i)
            for i in patch
            if not (isinstance(i, dict) and i.get("$patch") == "replace")
        ]
    orig = list(original) if isinstance(original, list) else []
    if field in _SET_LISTS:
        return orig + [v for v in patch if v not in orig]
    key = _list_merge_key(field, orig + patch)
    if key is None or not all(isinstance(i, dict) for i in orig + patch):
        return [_strip_directives(i) for i in patch]
    result = [copy.deepcopy(i) for i in orig]
    for item in patch:
        index = next(
            (n for n, existing in enumerate(result) if existing.get(key) == item.get(key)), None
        )
        if item.get("$patch") == "delete":
            if index is not None:
                del result[index]
        elif index is None:
            result.append(_strip_directives(item))
        else:
            result[index] = strategic_merge_patch(result[index], item)
    return result


def strategic_merge_patch(target: JSON, patch: JSON) -> JSON:
    """Strategic merge patch for the fields of the kinds served here (see module doc)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if patch.get("$patch") == "replace":
        return _strip_directives(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if key.startswith("$"):
            continue
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict):
            if value.get("$patch") == "delete":
                result.pop(key, None)
            else:
                result[key] = strategic_merge_patch(result.get(key), value)
        elif isinstance(value, list):
            result[key] = _merge_list(key, result.get(key), value)
        else:
            result[key] = value
    for key, value in patch.items():
        prefix = "$deleteFromPrimitiveList/"
        if key.startswith(prefix) and isinstance(value, list):
            name = key[len(prefix) :]
            if isinstance(result.get(name), list):
                result[name] = [v for v in result[name] if v not in value]
    retain = patch.get("$retainKeys")
    if isinstance(retain, list):
        result = {k: v for k, v in result.items() if k in retain}
    return result


def json_patch(doc: JSON, ops: JSON) -> JSON:
    """RFC 6902 JSON patch (add, remove, replace, move, copy, test).

    A patch that cannot be applied is a 422, as the API server answers it.
    """
    if not isinstance(ops, list):
        raise bad_request("json patch must be a list of operations")
    try:
        patch = jsonpatch.JsonPatch(ops)
        return patch.apply(copy.deepcopy(doc))
    except jsonpatch.InvalidJsonPatch as exc:
        raise bad_request(f"invalid json patch: {exc}") from None
    except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException) as exc:
        raise KubeError(422, "Invalid", str(exc)) from None
    except (TypeError, ValueError, KeyError, IndexError) as exc:
        raise bad_request(f"invalid json patch: {exc}") from None
