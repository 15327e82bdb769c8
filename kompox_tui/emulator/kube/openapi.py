"""OpenAPI for the served kinds, derived from the Kubernetes 1.33 schemas that the
``kubernetes-validate`` package ships (never written by hand here).

- ``/openapi/v3``: the discovery root (``{"paths": {"api/v1": {"serverRelativeURL": ...}}}``)
  and one OpenAPI 3.0 document per group-version, with the operations of every served
  resource -- their PATCH declares the ``fieldValidation`` query parameter, which is how
  ``kubectl apply`` decides to validate on the server (``fieldValidation=Strict``) -- and
  the schemas they reference, each top-level kind carrying
  ``x-kubernetes-group-version-kind`` (``kubectl explain`` finds kinds by it).
- ``/openapi/v2``: Swagger 2.0 as JSON to clients that accept JSON; to a client that
  accepts only the protobuf encoding (client-go's ``OpenAPISchema``) it is 406
  ``NotAcceptable``, as from a server without that encoding.
- :func:`validate_strict`: ``fieldValidation=Strict`` -- unknown fields are a 400 with the
  API server's ``strict decoding error`` message.

Conversion from JSON Schema: nullable type lists become their single type;
``IntOrString`` becomes ``type: string, format: int-or-string,
x-kubernetes-int-or-string: true`` and ``Quantity`` ``type: string``, as in the real
documents.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
from pathlib import Path
from typing import Any

from ..core import Request, Response
from .discovery import group_versions
from .kinds import KINDS, Kind, KubeError, bad_request, page_not_found

SCHEMA_VERSION = "v1.33.0-local"
_INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
_QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
_GROUP_PACKAGES = {
    "": "core",
    "apps": "apps",
    "rbac.authorization.k8s.io": "rbac",
    "networking.k8s.io": "networking",
    "coordination.k8s.io": "coordination",
    "storage.k8s.io": "storage",
    "authorization.k8s.io": "authorization",
}


@functools.cache
def _json_schema_defs() -> dict[str, Any]:
    import kubernetes_validate

    base = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema" / SCHEMA_VERSION
    with open(base / "_definitions.json", encoding="utf-8") as fh:
        defs: dict[str, Any] = json.load(fh)["$defs"]
    return defs


def _convert(node: Any, ref_prefix: str) -> Any:
    if isinstance(node, list):
        return [_convert(n, ref_prefix) for n in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for k, v in node.items():
        if k == "$ref" and isinstance(v, str):
            out[k] = ref_prefix + v.rsplit("/", 1)[-1]
        elif k == "type" and isinstance(v, list):
            types = [t for t in v if t != "null"]
            out[k] = types[0] if types else "object"
        else:
            out[k] = _convert(v, ref_prefix)
    return out


@functools.cache
def _schemas(ref_prefix: str) -> dict[str, Any]:
    out = {}
    for name, schema in _json_schema_defs().items():
        if name == _INT_OR_STRING:
            out[name] = {
                "type": "string",
                "format": "int-or-string",
                "x-kubernetes-int-or-string": True,
            }
        elif name == _QUANTITY:
            out[name] = {
                "type": "string",
                "description": "Quantity is a fixed-point representation of a number.",
            }
        else:
            out[name] = _convert(schema, ref_prefix)
    return out


def definition_name(kind: Kind) -> str:
    group = _GROUP_PACKAGES.get(kind.group, kind.group.split(".")[0])
    return f"io.k8s.api.{group}.{kind.version}.{kind.kind}"


def _closure(names: list[str], schemas: dict[str, Any], ref_prefix: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in found or name not in schemas:
            continue
        found[name] = schemas[name]
        text = json.dumps(schemas[name])
        start = 0
        while (i := text.find(ref_prefix, start)) >= 0:
            end = text.index('"', i)
            todo.append(text[i + len(ref_prefix) : end])
            start = end
    return found


def _gv_path(group: str, version: str) -> str:
    return f"api/{version}" if not group else f"apis/{group}/{version}"


def _parameters(names: list[str]) -> list[dict[str, Any]]:
    return [
        {"name": n, "in": "query", "schema": {"type": "string", "uniqueItems": True}} for n in names
    ]


def _operation(kind: Kind, action: str, ref: str, names: list[str]) -> dict[str, Any]:
    op: dict[str, Any] = {
        "description": f"{action} {kind.kind}",
        "operationId": f"{action}{kind.kind}",
        "parameters": _parameters(names),
        "responses": {
            "200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": ref}}}}
        },
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": {
            "group": kind.group,
            "version": kind.version,
            "kind": kind.kind,
        },
    }
    if action in ("post", "put", "patch"):
        op["requestBody"] = {"content": {"*/*": {"schema": {"$ref": ref}}}}
    return op


def _paths(kind: Kind, ref_prefix: str) -> dict[str, Any]:
    ref = ref_prefix + definition_name(kind)
    base = "/" + _gv_path(kind.group, kind.version)
    scope = f"{base}/namespaces/{{namespace}}" if kind.namespaced else base
    write = ["dryRun", "fieldManager", "fieldValidation", "pretty"]
    paths: dict[str, Any] = {}
    collection: dict[str, Any] = {"post": _operation(kind, "post", ref, write)}
    if "list" in kind.verbs:
        collection["get"] = _operation(
            kind,
            "list",
            ref,
            [
                "labelSelector",
                "fieldSelector",
                "limit",
                "continue",
                "watch",
                "timeoutSeconds",
                "resourceVersion",
            ],
        )
        collection["delete"] = _operation(
            kind, "deletecollection", ref, ["labelSelector", "fieldSelector", "dryRun"]
        )
    paths[f"{scope}/{kind.plural}"] = collection
    if "get" in kind.verbs:
        paths[f"{scope}/{kind.plural}/{{name}}"] = {
            "get": _operation(kind, "get", ref, ["pretty"]),
            "put": _operation(kind, "put", ref, write),
            "patch": _operation(kind, "patch", ref, [*write, "force"]),
            "delete": _operation(
                kind, "delete", ref, ["dryRun", "gracePeriodSeconds", "propagationPolicy"]
            ),
        }
    return paths


@functools.cache
def v3_document(group: str, version: str) -> dict[str, Any]:
    prefix = "#/components/schemas/"
    kinds = [k for k in KINDS if k.group == group and k.version == version]
    if not kinds:
        raise page_not_found()
    schemas = _schemas(prefix)
    names = [definition_name(k) for k in kinds]
    names += [n + "List" for n in names]
    names += [
        "io.k8s.apimachinery.pkg.apis.meta.v1.Status",
        "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions",
    ]
    paths: dict[str, Any] = {}
    for k in kinds:
        paths.update(_paths(k, prefix))
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.33.2"},
        "paths": paths,
        "components": {"schemas": _closure(names, schemas, prefix)},
    }


@functools.cache
def v2_document() -> dict[str, Any]:
    prefix = "#/definitions/"
    schemas = _schemas(prefix)
    names = [definition_name(k) for k in KINDS]
    names += [n + "List" for n in names]
    paths: dict[str, Any] = {}
    for k in KINDS:
        for p, ops in _paths(k, prefix).items():
            paths[p] = {
                method: {
                    **{
                        f: v
                        for f, v in op.items()
                        if f not in ("requestBody", "responses", "parameters")
                    },
                    "parameters": [
                        {"name": p_["name"], "in": "query", "type": "string", "uniqueItems": True}
                        for p_ in op["parameters"]
                    ],
                    "responses": {
                        "200": {
                            "description": "OK",
                            "schema": {"$ref": prefix + definition_name(k)},
                        }
                    },
                }
                for method, op in ops.items()
            }
    return {
        "swagger": "2.0",
        "info": {"title": "Kubernetes", "version": "v1.33.2"},
        "paths": paths,
        "definitions": _closure(names, schemas, prefix),
    }


def _hash(doc: dict[str, Any]) -> str:
    return hashlib.sha512(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:128].upper()


def serve(segs: list[str], req: Request) -> Response:
    """``/openapi/v2``, ``/openapi/v3`` and ``/openapi/v3/<group-version path>``."""
    if segs == ["v3"]:
        root = {}
        for group, version in group_versions():
            gv = _gv_path(group, version)
            root[gv] = {
                "serverRelativeURL": f"/openapi/v3/{gv}?hash={_hash(v3_document(group, version))}"
            }
        return Response(200, {"paths": root}, content_type="application/json")
    if len(segs) >= 3 and segs[0] == "v3":
        tail = segs[1:]
        if tail[0] == "api" and len(tail) == 2:
            doc = v3_document("", tail[1])
        elif tail[0] == "apis" and len(tail) == 3:
            doc = v3_document(tail[1], tail[2])
        else:
            raise page_not_found()
        return Response(200, doc, content_type="application/json")
    if segs == ["v2"]:
        accept = (req.header("accept") or "*/*").lower()
        if "json" not in accept and "*/*" not in accept:
            raise KubeError(
                406,
                "NotAcceptable",
                f"only the following media types are accepted: application/json (got {accept!r})",
            )
        return Response(200, v2_document(), content_type="application/json")
    raise page_not_found()


# --- strict field validation --------------------------------------------------------------


def _unknown_fields(
    value: Any, schema: dict[str, Any], where: str, defs: dict[str, Any], out: list[str]
) -> None:
    while "$ref" in schema:
        schema = defs.get(schema["$ref"].rsplit("/", 1)[-1], {})
    if schema.get("x-kubernetes-preserve-unknown-fields"):
        return
    if isinstance(value, dict):
        props = schema.get("properties")
        extra = schema.get("additionalProperties")
        for k, v in value.items():
            field = f"{where}.{k}" if where else k
            if props is not None and k in props:
                _unknown_fields(v, props[k], field, defs, out)
            elif isinstance(extra, dict):
                _unknown_fields(v, extra, field, defs, out)
            elif props is not None and extra is None:
                out.append(field)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for n, item in enumerate(value):
            _unknown_fields(item, schema["items"], f"{where}[{n}]", defs, out)


def validate_strict(kind: Kind, body: dict[str, Any]) -> None:
    """Refuse unknown fields as ``fieldValidation=Strict`` does (400 ``BadRequest``)."""
    defs = _schemas("#/components/schemas/")
    schema = defs.get(definition_name(kind))
    if schema is None:
        return
    unknown: list[str] = []
    _unknown_fields(copy.deepcopy(body), schema, "", defs, unknown)
    if unknown:
        listed = ", ".join(f'unknown field "{f}"' for f in unknown)
        raise bad_request(
            f'{kind.kind} in version "{kind.version}" cannot be handled as a {kind.kind}: '
            f"strict decoding error: {listed}"
        )
