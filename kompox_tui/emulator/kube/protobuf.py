"""Kubernetes protobuf request bodies (``application/vnd.kubernetes.protobuf``).

``kubectl create <kind>`` (namespace, configmap, secret, deployment, ...) and
``kubectl auth can-i`` build typed objects and send them in protobuf, and client-go has
no fallback: only a 415 for a CBOR body makes it retry in JSON, a 415 for protobuf is
final. So the server reads them: the ``k8s\\x00`` envelope (a ``runtime.Unknown`` with
``typeMeta`` and ``raw``), then the object by the field table in ``proto_schema.json``,
derived from the upstream ``generated.proto`` files by ``tools/gen_kube_proto_schema.py``.

The result is the object's JSON form: the special types become what their JSON
marshallers write (``Time`` an RFC 3339 string, ``IntOrString`` an int or a string,
``Quantity`` its string, ``FieldsV1``/``RawExtension`` their JSON), and the zero values
Go's protobuf encoder writes for every non-pointer field (empty strings, lists, maps,
zero times) are dropped, as ``omitempty`` drops them from JSON.
"""

from __future__ import annotations

import base64
import functools
import json
import struct
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .kinds import Kind, bad_request
from .openapi import definition_name

MAGIC = b"k8s\x00"
_META = "k8s.io.apimachinery.pkg.apis.meta.v1."
_SPECIAL = {
    _META + "Time",
    _META + "MicroTime",
    _META + "Duration",
    _META + "FieldsV1",
    "k8s.io.apimachinery.pkg.util.intstr.IntOrString",
    "k8s.io.apimachinery.pkg.api.resource.Quantity",
    "k8s.io.apimachinery.pkg.runtime.RawExtension",
}


@functools.cache
def _messages() -> dict[str, dict[str, list[str]]]:
    text = (Path(__file__).parent / "proto_schema.json").read_text(encoding="utf-8")
    messages: dict[str, dict[str, list[str]]] = json.loads(text)["messages"]
    return messages


def _varint(data: bytes, i: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        if i >= len(data):
            raise ValueError("truncated varint")
        b = data[i]
        i += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, i
        shift += 7


def _fields(data: bytes) -> list[tuple[int, int, Any]]:
    """(field number, wire type, raw value) for each field of one message."""
    out = []
    i = 0
    while i < len(data):
        tag, i = _varint(data, i)
        num, wire = tag >> 3, tag & 7
        value: Any
        if wire == 0:
            value, i = _varint(data, i)
        elif wire == 1:
            value, i = data[i : i + 8], i + 8
        elif wire == 2:
            length, i = _varint(data, i)
            value, i = data[i : i + length], i + length
        elif wire == 5:
            value, i = data[i : i + 4], i + 4
        else:
            raise ValueError(f"unsupported wire type {wire}")
        out.append((num, wire, value))
    return out


def _signed(value: int, bits: int) -> int:
    return value - (1 << bits) if value >= 1 << (bits - 1) else value


def _scalar(ftype: str, wire: int, value: Any) -> Any:
    if ftype == "string":
        return bytes(value).decode("utf-8")
    if ftype == "bytes":
        return base64.b64encode(bytes(value)).decode()
    if ftype == "bool":
        return bool(value)
    if ftype in ("int32", "int64"):
        return _signed(value, 64)
    if ftype in ("uint32", "uint64"):
        return value
    if ftype == "double":
        return struct.unpack("<d", value)[0]
    if ftype == "float":
        return struct.unpack("<f", value)[0]
    raise ValueError(f"unknown scalar {ftype}")


def _packed(ftype: str, data: bytes) -> list[Any]:
    values = []
    i = 0
    while i < len(data):
        v, i = _varint(data, i)
        values.append(_scalar(ftype, 0, v))
    return values


def _special(name: str, data: bytes) -> Any:
    fields = {num: value for num, _, value in _fields(data)}
    short = name.rsplit(".", 1)[-1]
    if short in ("Time", "MicroTime"):
        seconds = _signed(fields.get(1, 0), 64)
        nanos = fields.get(2, 0)
        if not seconds and not nanos:
            return None
        dt = datetime.fromtimestamp(seconds + nanos / 1e9, UTC)
        if short == "Time":
            return dt.strftime("%Y-%m-%dT%H:%M:%SZ")
        return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if short == "Duration":
        return f"{_signed(fields.get(1, 0), 64) / 1e9:g}s"
    if short == "IntOrString":
        if fields.get(1, 0) == 1:
            return bytes(fields.get(3, b"")).decode()
        return _signed(fields.get(2, 0), 64)
    if short == "Quantity":
        return bytes(fields.get(1, b"")).decode()
    raw = bytes(fields.get(1, b""))  # FieldsV1, RawExtension
    return json.loads(raw) if raw else None


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _message(name: str, data: bytes) -> Any:
    if name in _SPECIAL:
        return _special(name, data)
    table = _messages().get(name)
    if table is None:
        raise ValueError(f"no field table for {name}")
    out: dict[str, Any] = {}
    for num, wire, value in _fields(data):
        spec = table.get(str(num))
        if spec is None:
            continue  # a field newer than the table: ignored, as an old server would
        fname, ftype, label = spec
        if label == "map":
            ktype, vtype = ftype.split(",")
            entry = {n: v for n, _, v in _fields(value)}
            k = _scalar(ktype, 2, entry.get(1, b""))
            raw = entry.get(2, b"")
            v = _scalar(vtype, 2, raw) if vtype in _SCALAR_TYPES else _message(vtype, raw)
            out.setdefault(fname, {})[k] = v
        elif ftype in _SCALAR_TYPES:
            if label == "repeated" and wire == 2 and ftype not in ("string", "bytes"):
                out.setdefault(fname, []).extend(_packed(ftype, value))
            elif label == "repeated":
                out.setdefault(fname, []).append(_scalar(ftype, wire, value))
            else:
                out[fname] = _scalar(ftype, wire, value)
        elif label == "repeated":
            out.setdefault(fname, []).append(_message(ftype, value))
        else:
            out[fname] = _message(ftype, value)
    return {k: v for k, v in out.items() if not _empty(v)}


_SCALAR_TYPES = {"string", "bytes", "bool", "int32", "int64", "uint32", "uint64", "double", "float"}


def decode(body: bytes, kind: Kind) -> dict[str, Any]:
    """The JSON form of a protobuf-encoded ``kind`` object."""
    if not body.startswith(MAGIC):
        raise bad_request("the protobuf body does not start with the Kubernetes magic number")
    try:
        envelope = {num: value for num, _, value in _fields(body[len(MAGIC) :])}
        type_meta = {num: value for num, _, value in _fields(envelope.get(1, b""))}
        api_version = bytes(type_meta.get(1, b"")).decode()
        kind_name = bytes(type_meta.get(2, b"")).decode()
        obj = _message(_proto_name(kind), bytes(envelope.get(2, b"")))
    except (ValueError, UnicodeDecodeError, struct.error, json.JSONDecodeError) as exc:
        raise bad_request(f"the protobuf body could not be decoded: {exc}") from None
    if not isinstance(obj, dict):
        raise bad_request("the protobuf body is not an object")
    obj["apiVersion"] = api_version or kind.api_version
    obj["kind"] = kind_name or kind.kind
    return obj


def _proto_name(kind: Kind) -> str:
    """``io.k8s.api.core.v1.Namespace`` (OpenAPI) -> ``k8s.io.api.core.v1.Namespace``."""
    return "k8s.io." + definition_name(kind).removeprefix("io.k8s.")
