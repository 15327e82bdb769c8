"""Discovery documents: ``/version``, ``/api``, ``/apis`` and the resource lists."""

from __future__ import annotations

import hashlib
from typing import Any

from .kinds import GROUPS, KINDS, SCALABLE, page_not_found


def version_info(version: str) -> dict[str, Any]:
    major, minor, _ = version.split(".")
    return {
        "major": major,
        "minor": minor,
        "emulationMajor": major,
        "emulationMinor": minor,
        "gitVersion": f"v{version}",
        "gitCommit": hashlib.sha1(version.encode()).hexdigest(),
        "gitTreeState": "clean",
        "buildDate": "2025-06-17T18:29:01Z",
        "goVersion": "go1.24.4",
        "compiler": "gc",
        "platform": "linux/amd64",
    }


def api_groups() -> list[dict[str, Any]]:
    groups = []
    for group in GROUPS:
        versions = sorted({k.version for k in KINDS if k.group == group})
        entries = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
        groups.append({"name": group, "versions": entries, "preferredVersion": entries[0]})
    return groups


def group_versions() -> list[tuple[str, str]]:
    """Every served (group, version), the core group first."""
    seen: list[tuple[str, str]] = []
    for k in KINDS:
        if (k.group, k.version) not in seen:
            seen.append((k.group, k.version))
    return sorted(seen, key=lambda gv: (gv[0] != "", gv))


def resource_list(group: str, version: str) -> dict[str, Any]:
    kinds = [k for k in KINDS if k.group == group and k.version == version]
    if not kinds:
        raise page_not_found()
    resources: list[dict[str, Any]] = []
    for k in kinds:
        entry: dict[str, Any] = {
            "name": k.plural,
            "singularName": k.singular,
            "namespaced": k.namespaced,
            "kind": k.kind,
            "verbs": list(k.verbs),
        }
        if k.short_names:
            entry["shortNames"] = list(k.short_names)
        if k.categories:
            entry["categories"] = list(k.categories)
        resources.append(entry)
        if k.kind in SCALABLE:
            resources.append(
                {
                    "name": f"{k.plural}/scale",
                    "singularName": "",
                    "namespaced": True,
                    "group": "autoscaling",
                    "version": "v1",
                    "kind": "Scale",
                    "verbs": ["get", "patch", "update"],
                }
            )
        if k.status_subresource:
            resources.append(
                {
                    "name": f"{k.plural}/status",
                    "singularName": "",
                    "namespaced": k.namespaced,
                    "kind": k.kind,
                    "verbs": ["get", "patch", "update"],
                }
            )
        if k.kind == "Pod":
            resources.append(
                {
                    "name": "pods/log",
                    "singularName": "",
                    "namespaced": True,
                    "kind": "Pod",
                    "verbs": ["get"],
                }
            )
            resources.append(
                {
                    "name": "pods/eviction",
                    "singularName": "",
                    "namespaced": True,
                    "group": "policy",
                    "version": "v1",
                    "kind": "Eviction",
                    "verbs": ["create"],
                }
            )
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group}/{version}" if group else version,
        "resources": resources,
    }


def discovery(segs: list[str], version: str) -> Any | None:
    """The discovery document a path names, or None when it is not a discovery path."""
    if segs == ["version"]:
        return version_info(version)
    if segs == ["api"]:
        return {
            "kind": "APIVersions",
            "versions": ["v1"],
            "serverAddressByClientCIDRs": [
                {"clientCIDR": "0.0.0.0/0", "serverAddress": "10.0.0.1:443"}
            ],
        }
    if segs == ["api", "v1"]:
        return resource_list("", "v1")
    if segs == ["apis"]:
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": api_groups()}
    if len(segs) == 2 and segs[0] == "apis":
        group = next((g for g in api_groups() if g["name"] == segs[1]), None)
        if group is None:
            raise page_not_found()
        return {"kind": "APIGroup", "apiVersion": "v1", **group}
    if len(segs) == 3 and segs[0] == "apis":
        return resource_list(segs[1], segs[2])
    return None
