"""Resource ids and the deterministic identifiers of ``uniqueString`` and ``guid``.

``uniqueString(a, b, ...)``: SHA-256 of the arguments joined with ``-`` (UTF-8); the
first 64 bits are written as 13 characters of the alphabet
``abcdefghijklmnopqrstuvwxyz234567`` (5 bits each, most significant first, 65 bits
with a leading zero bit). Same shape as Azure's (13 lower-case base32 characters),
stable across runs and processes, but not bit-identical to Azure's MurmurHash64.
``guid(a, b, ...)``: ``uuid5(11fb06fb-712d-4ddd-98c7-e71bbd588830, "a-b-...")``.
"""

from __future__ import annotations

import hashlib
import re
import uuid

from .interface import RESOURCE_GROUPS_TYPE

GUID_NAMESPACE = uuid.UUID("11fb06fb-712d-4ddd-98c7-e71bbd588830")
_B32 = "abcdefghijklmnopqrstuvwxyz234567"


def unique_string(*parts: str) -> str:
    """Deterministic 13-character id (see the module docstring)."""
    digest = hashlib.sha256("-".join(parts).encode("utf-8")).digest()
    number = int.from_bytes(digest[:8], "big")
    return "".join(_B32[(number >> (5 * (12 - i))) & 31] for i in range(13))


def deterministic_guid(*parts: str) -> str:
    """The ``guid(...)`` value of ``parts`` (see the module docstring)."""
    return str(uuid.uuid5(GUID_NAMESPACE, "-".join(parts)))


def interleave(types: list[str], names: list[str]) -> str:
    """``a/n1/b/n2`` from types ``[a, b]`` and names ``[n1, n2]``."""
    return "/".join(f"{t}/{n}" for t, n in zip(types, names, strict=True))


def normalize_id(resource_id: str) -> str:
    """Lower-cased id for comparisons; ``.../providers/Microsoft.Resources/resourceGroups/x``
    is the same as ``.../resourceGroups/x``."""
    rid = resource_id.rstrip("/").lower()
    return re.sub(
        r"^(/subscriptions/[^/]+)/providers/microsoft\.resources/resourcegroups/",
        r"\1/resourcegroups/",
        rid,
    )


def parse_resource_id(resource_id: str) -> tuple[str | None, str | None, str, str]:
    """``(subscription, resource_group, type, name)`` of a resource id.

    The type is the namespace after the last ``/providers/`` plus its type segments
    (``Microsoft.ContainerRegistry/registries/scopeMaps``) and the name the matching
    name segments joined with ``/`` (``reg/sm``). A resource group id has type
    ``Microsoft.Resources/resourceGroups``.
    """
    parts = [p for p in resource_id.split("/") if p]
    sub = rg = None
    if len(parts) >= 2 and parts[0].lower() == "subscriptions":
        sub = parts[1]
    if len(parts) >= 4 and parts[2].lower() == "resourcegroups":
        rg = parts[3]
    lowered = [p.lower() for p in parts]
    if "providers" not in lowered:
        if rg is not None and len(parts) == 4:
            return sub, rg, RESOURCE_GROUPS_TYPE, rg
        if sub is not None and len(parts) == 2:
            return sub, None, "Microsoft.Resources/subscriptions", sub
        raise ValueError(f"not a resource id: {resource_id}")
    last = len(lowered) - 1 - lowered[::-1].index("providers")
    rest = parts[last + 1 :]
    if len(rest) < 3:
        raise ValueError(f"not a resource id: {resource_id}")
    namespace, segs = rest[0], rest[1:]
    types = segs[0::2]
    names = segs[1::2]
    return sub, rg, "/".join([namespace, *types]), "/".join(names)
