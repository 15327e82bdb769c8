"""Derive the emulator's Kubernetes protobuf field table from the upstream ``.proto`` files.

Usage::

    python tools/gen_kube_proto_schema.py API_CHECKOUT APIMACHINERY_CHECKOUT [TAG]

with git checkouts of ``kubernetes/api`` and ``kubernetes/apimachinery`` (TAG defaults to
``v0.33.9``, Kubernetes 1.33). Writes ``kompox_tui/emulator/kube/proto_schema.json``:
``{message: {field number: [json name, type, label]}}`` for every message reachable from
the kinds the emulator serves, ``label`` being ``optional``, ``repeated`` or ``map``
(``type`` then ``key,value``). Field numbers never change between releases, so the table
decodes what any kubectl of 1.33 or later sends for those kinds.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

API_FILES = [
    "core/v1",
    "apps/v1",
    "rbac/v1",
    "networking/v1",
    "coordination/v1",
    "authorization/v1",
    "storage/v1",
]
MACHINERY_FILES = [
    "pkg/apis/meta/v1",
    "pkg/runtime",
    "pkg/util/intstr",
    "pkg/api/resource",
    "pkg/runtime/schema",
]
ROOTS = [
    "k8s.io.api.core.v1.Namespace",
    "k8s.io.api.core.v1.ConfigMap",
    "k8s.io.api.core.v1.Secret",
    "k8s.io.api.core.v1.Service",
    "k8s.io.api.core.v1.ServiceAccount",
    "k8s.io.api.core.v1.Pod",
    "k8s.io.api.core.v1.PersistentVolume",
    "k8s.io.api.core.v1.PersistentVolumeClaim",
    "k8s.io.api.core.v1.Event",
    "k8s.io.api.core.v1.Node",
    "k8s.io.api.apps.v1.Deployment",
    "k8s.io.api.apps.v1.StatefulSet",
    "k8s.io.api.apps.v1.DaemonSet",
    "k8s.io.api.apps.v1.ReplicaSet",
    "k8s.io.api.rbac.v1.Role",
    "k8s.io.api.rbac.v1.RoleBinding",
    "k8s.io.api.rbac.v1.ClusterRole",
    "k8s.io.api.rbac.v1.ClusterRoleBinding",
    "k8s.io.api.networking.v1.Ingress",
    "k8s.io.api.networking.v1.IngressClass",
    "k8s.io.api.coordination.v1.Lease",
    "k8s.io.api.storage.v1.StorageClass",
    "k8s.io.api.authorization.v1.SelfSubjectAccessReview",
    "k8s.io.api.authorization.v1.SelfSubjectRulesReview",
    "k8s.io.apimachinery.pkg.runtime.Unknown",
]
_SCALARS = {"string", "bytes", "bool", "int32", "int64", "uint32", "uint64", "double", "float"}
_FIELD = re.compile(r"^\s*(optional|repeated)\s+([\w.]+)\s+(\w+)\s*=\s*(\d+)")
_MAP = re.compile(r"^\s*map<\s*([\w.]+)\s*,\s*([\w.]+)\s*>\s+(\w+)\s*=\s*(\d+)")


def parse(text: str, messages: dict[str, dict[str, list[str]]]) -> None:
    package = re.search(r"^package\s+([\w.]+);", text, re.M)
    assert package
    pkg = package.group(1)
    current: str | None = None
    for line in text.splitlines():
        if line.strip().startswith("//"):
            continue
        if m := re.match(r"^message\s+(\w+)\s*\{", line):
            current = f"{pkg}.{m.group(1)}"
            messages[current] = {}
            continue
        if line.startswith("}"):
            current = None
            continue
        if current is None:
            continue
        if m := _MAP.match(line):
            key, value, name, num = m.groups()
            messages[current][num] = [name, f"{qualify(key, pkg)},{qualify(value, pkg)}", "map"]
        elif m := _FIELD.match(line):
            label, ftype, name, num = m.groups()
            messages[current][num] = [name, qualify(ftype, pkg), label]


def qualify(ftype: str, pkg: str) -> str:
    ftype = ftype.lstrip(".")
    if ftype in _SCALARS or "." in ftype:
        return ftype
    return f"{pkg}.{ftype}"


def main() -> None:
    api, machinery = Path(sys.argv[1]), Path(sys.argv[2])
    tag = sys.argv[3] if len(sys.argv) > 3 else "v0.33.9"
    messages: dict[str, dict[str, list[str]]] = {}
    for repo, dirs in ((api, API_FILES), (machinery, MACHINERY_FILES)):
        for d in dirs:
            text = subprocess.run(
                ["git", "-C", str(repo), "show", f"{tag}:{d}/generated.proto"],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            parse(text, messages)
    keep: dict[str, dict[str, list[str]]] = {}
    todo = list(ROOTS)
    while todo:
        name = todo.pop()
        if name in keep or name not in messages:
            continue
        keep[name] = messages[name]
        for _, ftype, _ in messages[name].values():
            todo += [t for t in ftype.split(",") if t not in _SCALARS]
    out = Path(__file__).resolve().parent.parent / "kompox_tui/emulator/kube/proto_schema.json"
    out.write_text(
        json.dumps(
            {
                "source": f"kubernetes/api and apimachinery {tag}",
                "messages": dict(sorted(keep.items())),
            },
            separators=(",", ":"),
        )
        + "\n"
    )
    print(f"{out}: {len(keep)} messages")


if __name__ == "__main__":
    main()
