"""Bad-config cases of issues 11 and 16 (hostile names, URLs, files, KOM documents).

Appended to ``test_config.MALFORMED``, so each one is checked by ``load_config`` (unit) and by
the real CLI against an emulator (``tests/reliability/test_bad_input.py``: exit 2, one line,
zero requests). Each case: id, a document factory or raw YAML text, message fragments.
"""

from __future__ import annotations

import copy
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

SUB = "00000000-0000-0000-0000-0000000000aa"
PASSWORD = "PASS-9f2c-never-shown"


def base() -> dict[str, Any]:
    return {
        "version": "v1",
        "service": {"name": "svc1"},
        "provider": {
            "name": "aks1",
            "driver": "aks",
            "settings": {
                "AZURE_SUBSCRIPTION_ID": SUB,
                "AZURE_LOCATION": "japaneast",
                "AZURE_AUTH_METHOD": "azure_cli",
            },
        },
        "cluster": {"name": "cluster1"},
        "app": {"name": "app1", "volumes": [{"name": "db", "size": "32Gi"}]},
    }


def doc(*edits: tuple[str, Any], workspace: bool = False) -> Callable[[], dict[str, Any]]:
    """A factory: the base document with dotted-path edits (``...`` deletes)."""

    def make() -> dict[str, Any]:
        data = copy.deepcopy(base())
        if workspace:
            del data["service"]
            data = {"version": "v1", "workspace": {"name": "ws1"}, **data}
        for path, value in edits:
            node: Any = data
            parts = path.split(".")
            for part in parts[:-1]:
                node = node[int(part)] if isinstance(node, list) else node[part]
            value = value() if callable(value) else value
            if value is ...:
                del node[parts[-1]]
            elif isinstance(node, list):
                node[int(parts[-1])] = value
            else:
                node[parts[-1]] = value
        return data

    return make


def fifo() -> str:
    """A FIFO nobody writes to: reading it would block forever."""
    path = Path(tempfile.mkdtemp(prefix="kompox-fifo-")) / "token"
    os.mkfifo(path)
    return str(path)


def big_pem() -> str:
    path = Path(tempfile.mkdtemp(prefix="kompox-big-")) / "ca.pem"
    path.write_bytes(b"-----BEGIN CERTIFICATE-----\n" + b"A" * (1024 * 1024) + b"\n")
    return str(path)


def settings(key: str) -> str:
    return f"provider.settings.{key}"


def auth(method: str, **extra: Any) -> list[tuple[str, Any]]:
    edits: list[tuple[str, Any]] = [(settings("AZURE_AUTH_METHOD"), method)]
    edits += [(settings(k), v) for k, v in extra.items()]
    return edits


# --- KOM documents --------------------------------------------------------------------

API = "apiVersion: ops.kompox.dev/v1alpha1\n"
PROVIDER_SPEC = (
    "spec:\n  driver: aks\n  settings:\n    AZURE_AUTH_METHOD: azure_cli\n"
    f"    AZURE_SUBSCRIPTION_ID: {SUB}\n    AZURE_LOCATION: japaneast\n"
)


def kdoc(kind: str, name: str, rid: str | None, spec: str = "") -> str:
    text = f"{API}kind: {kind}\nmetadata:\n  name: {name}\n"
    if rid is not None:
        text += f"  annotations:\n    ops.kompox.dev/id: {rid}\n"
    return text + spec


WS = kdoc("Workspace", "ws1", "/ws/ws1")
PRV = kdoc("Provider", "aks1", "/ws/ws1/prv/aks1", PROVIDER_SPEC)
CLS = kdoc("Cluster", "c1", "/ws/ws1/prv/aks1/cls/c1")
APP = kdoc("App", "a1", "/ws/ws1/prv/aks1/cls/c1/app/a1")


def kom(*docs: str) -> str:
    return "---\n".join(docs)


HOSTILE: list[tuple[str, Callable[[], Any] | str, list[str]]] = [
    # issue 16 item 5: names that end in a newline, block scalars
    (
        "service-name-newline",
        doc(("service.name", "db\n")),
        ["service.name", "'db\\n'", "not a valid name"],
    ),
    ("cluster-name-newline", doc(("cluster.name", "c1\n")), ["cluster.name", "not a valid name"]),
    (
        "volume-name-block-scalar",
        "version: v1\nprovider:\n  name: aks1\n  driver: aks\n  settings:\n"
        f"    AZURE_SUBSCRIPTION_ID: {SUB}\n    AZURE_LOCATION: japaneast\n"
        "    AZURE_AUTH_METHOD: azure_cli\ncluster: {name: c1}\napp:\n  name: a1\n"
        "  volumes:\n    - name: |\n        db\n      size: 1Gi\n",
        ["yml:13", "app.volumes[0].name", "'db\\n'", "not a valid name"],
    ),
    (
        "subscription-with-spaces",
        doc((settings("AZURE_SUBSCRIPTION_ID"), "0000 0000-0000-0000-0000-0000000000aa")),
        ["AZURE_SUBSCRIPTION_ID", "GUID"],
    ),
    (
        "subscription-guid-plus-text",
        doc((settings("AZURE_SUBSCRIPTION_ID"), f"{SUB}\nx")),
        ["AZURE_SUBSCRIPTION_ID", "GUID"],
    ),
    (
        "arm-endpoint-broken-ipv6",
        doc((settings("AZURE_RESOURCE_MANAGER_ENDPOINT"), "https://[::1")),
        ["AZURE_RESOURCE_MANAGER_ENDPOINT", "'https://[::1'", "not a valid URL"],
    ),
    (
        "arm-endpoint-bad-port",
        doc((settings("AZURE_RESOURCE_MANAGER_ENDPOINT"), "https://example.com:99999")),
        ["AZURE_RESOURCE_MANAGER_ENDPOINT", "not a valid URL"],
    ),
    # issue 16 item 7: a password in a URL is refused and never echoed
    (
        "authority-with-password",
        doc((settings("AZURE_AUTHORITY_HOST"), f"https://admin:{PASSWORD}@login.example")),
        ["AZURE_AUTHORITY_HOST", "'https://***@login.example'", "user name or password"],
    ),
    (
        "ca-bundle-dev-zero",
        doc((settings("AZURE_CA_BUNDLE"), "/dev/zero")),
        ["AZURE_CA_BUNDLE", "/dev/zero is not a regular file"],
    ),
    (
        "ca-bundle-too-big",
        doc((settings("AZURE_CA_BUNDLE"), big_pem)),
        ["AZURE_CA_BUNDLE", "at most 1048576 bytes"],
    ),
    (
        "certificate-dev-zero",
        doc(
            *auth(
                "client_certificate",
                AZURE_TENANT_ID="t1",
                AZURE_CLIENT_ID="c1",
                AZURE_CLIENT_CERTIFICATE_PATH="/dev/zero",
            )
        ),
        ["AZURE_CLIENT_CERTIFICATE_PATH", "/dev/zero is not a regular file"],
    ),
    (
        "token-file-fifo",
        doc(
            *auth(
                "workload_identity",
                AZURE_TENANT_ID="t1",
                AZURE_CLIENT_ID="c1",
                AZURE_FEDERATED_TOKEN_FILE=fifo,
            )
        ),
        ["AZURE_FEDERATED_TOKEN_FILE", "is not a regular file"],
    ),
    # issue 16 item 9: names Azure would refuse after we created things
    (
        "stack-name-too-long",
        doc(("service.name", "s" * 63), ("provider.name", "p" * 63), ("cluster.name", "c" * 63)),
        ["deployment stack", "198 characters", "at most 90"],
    ),
    (
        "deployment-name-too-long",
        doc(("cluster.settings", {"AZURE_RESOURCE_GROUP_NAME": "r" * 70}), workspace=True),
        ["cluster.settings.AZURE_RESOURCE_GROUP_NAME", "70 characters", "at most 64"],
    ),
    (
        "deployment-name-computed-too-long",
        doc(("cluster.name", "c" * 50), workspace=True),
        ["cluster.name", "subscription deployment 'k4x-", "72 characters", "at most 64"],
    ),
    # issue 11: what kompoxops refuses, and our own choices
    (
        "layout-setting-invalid",
        doc((settings("KOMPOX_TUI_LAYOUT"), "fancy")),
        ["provider.settings.KOMPOX_TUI_LAYOUT", "'fancy'", "guide, kompoxops"],
    ),
    (
        "volume-type-invalid",
        doc(("app.volumes.0.type", "nfs")),
        ["app.volumes[0].type", "'nfs'", 'must be "disk" or "files"'],
    ),
    (
        "kompoxops-volume-name-17",
        doc(("app.volumes.0.name", "v" * 17), workspace=True),
        ["app.volumes[0].name", "17 characters", "at most 16"],
    ),
    ("app-ingress-list", doc(("app.ingress", [{"name": "web"}])), ["app.ingress: is a list"]),
    (
        "ingress-rule-port-text",
        doc(("app.ingress", {"rules": [{"name": "web", "port": "http"}]})),
        ["app.ingress.rules[0].port", "'http'", "port number"],
    ),
    ("existing-number", doc(("cluster.existing", 1)), ["cluster.existing", "true or false"]),
    ("yaml-recursive-alias", "version: v1\nprovider: &x [*x]\n", ["an alias refers to itself"]),
    ("yaml-custom-tag", "version: !custom v1\n", ["unsupported tag !custom"]),
    # KOM documents (kompoxapp.yml): kompoxops's loader and validator rules
    (
        "kom-missing-id",
        kom(kdoc("Workspace", "ws1", None), PRV),
        ["yml:4", "Workspace ws1", 'missing required annotation "ops.kompox.dev/id"'],
    ),
    (
        "kom-id-name-mismatch",
        kom(WS, kdoc("Provider", "aks1", "/ws/ws1/prv/aks2", PROVIDER_SPEC)),
        ["Provider aks1", "does not match metadata.name 'aks1'"],
    ),
    (
        "kom-id-wrong-chain",
        kom(WS, kdoc("Cluster", "c1", "/ws/ws1/cls/c1")),
        ["Cluster c1", "expects 3 kind/name pairs"],
    ),
    ("kom-parent-missing", kom(WS, PRV, APP), ["App a1", "parent '/ws/ws1/prv/aks1/cls/c1'"]),
    ("kom-duplicate-id", kom(WS, PRV, CLS, CLS, APP), ["Cluster c1", "duplicate Resource ID"]),
    (
        "kom-missing-apiversion",
        kom(WS, "kind: Provider\nmetadata:\n  name: aks1\n"),
        ["document 2", "missing or invalid apiVersion"],
    ),
    ("kom-unsupported-kind", kom(WS, f"{API}kind: Thing\n"), ["unsupported kind: 'Thing'"]),
    (
        "kom-two-defaults",
        kom(kdoc("Defaults", "d1", None), kdoc("Defaults", "d2", None), WS),
        ["multiple Defaults documents"],
    ),
    (
        "kom-setting-mapping",
        kom(WS, PRV + "    AZURE_RESOURCE_PREFIX: {a: 1}\n", CLS, APP),
        ["Provider aks1: spec.settings.AZURE_RESOURCE_PREFIX", "is a mapping"],
    ),
    (
        "kom-compose-mapping",
        kom(WS, PRV, CLS, APP + "spec:\n  compose:\n    services: {}\n"),
        ["App a1: spec.compose", "expected the compose text"],
    ),
    (
        "kom-protection-invalid",
        kom(
            WS,
            PRV,
            kdoc(
                "Cluster",
                "c1",
                "/ws/ws1/prv/aks1/cls/c1",
                "spec:\n  protection:\n    provisioning: never\n",
            ),
            APP,
        ),
        ["Cluster c1: spec.protection.provisioning", "'never'", "cannotDelete"],
    ),
    ("kom-no-app", kom(WS, PRV, CLS), ["define no App"]),
    (
        "kom-box-named-app",
        kom(WS, PRV, CLS, APP, kdoc("Box", "app", "/ws/ws1/prv/aks1/cls/c1/app/a1/box/app")),
        ["Box app", 'metadata.name "app" is reserved'],
    ),
    (
        "kom-compose-box-with-command",
        kom(
            WS,
            PRV,
            CLS,
            APP,
            kdoc("Box", "api", "/ws/ws1/prv/aks1/cls/c1/app/a1/box/api", "spec:\n  command: [x]\n"),
        ),
        ["Box api", "Compose Box must not specify spec.command"],
    ),
]
