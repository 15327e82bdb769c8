"""Which ``api-version`` ARM accepts for each resource type, and ARM's 400 for any other.

Real ARM routes a request to a resource provider only if the provider registered the
request's ``api-version`` for the addressed resource type; otherwise it answers 400 before
the provider sees the request:

- ARM's own types (``Microsoft.Resources``: resource groups, subscriptions, tenants,
  ``resources``, providers, deployments, operation results) answer
  ``InvalidApiVersionParameter`` "The api-version 'X' is invalid. The supported versions are
  'newest,...,oldest'." (azure-cli #28057, azure-sdk-for-net #3160).
- Resource-provider types answer ``NoRegisteredProviderFound`` "No registered resource
  provider found for location 'L' and API version 'X' for type 'T'. The supported
  api-versions are 'oldest, ..., newest'. The supported locations are '...'." (azure-cli
  #28496, #23985, azure-resource-manager-schemas #33).

The same check applies to every resource a template deployment declares (its
``apiVersion``), see :func:`check_template`.

Registering a type is one call, at import time of the module that serves it::

    api_versions.register("Microsoft.KeyVault/vaults", KEYVAULT_VERSIONS)

A child type or a provider operation is registered with its full type path
(``Microsoft.Compute/locations/DiskOperations``); the request check derives that path from
the URL (:func:`type_of_path`). Types nobody registered are not checked.

The version lists come from Azure/azure-rest-api-specs (the ``stable``/``preview`` folders
and readme tags of each provider) and from the API versions our pinned SDKs send (the SDKs
are generated from those specs); docs/emulator-fidelity.md names the sources.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from .core import ArmError, Request

_lock = threading.Lock()
_versions: dict[str, tuple[str, ...]] = {}
"""Lower-cased full type (``microsoft.compute/disks``) -> versions, oldest first."""
_arm_owned: set[str] = set()
"""Types ARM itself serves (their error is ``InvalidApiVersionParameter``)."""
_display: dict[str, str] = {}
"""Lower-cased type -> the type as registered (for messages and README)."""

SUPPORTED_LOCATIONS = (
    "eastus, eastus2, westus, centralus, northcentralus, southcentralus, northeurope, "
    "westeurope, eastasia, southeastasia, japaneast, japanwest, australiaeast, "
    "australiasoutheast, australiacentral, brazilsouth, southindia, centralindia, westindia, "
    "canadacentral, canadaeast, westus2, westcentralus, uksouth, ukwest, koreacentral, "
    "koreasouth, francecentral, southafricanorth, uaenorth, switzerlandnorth, "
    "germanywestcentral, norwayeast, westus3, jioindiawest, swedencentral, qatarcentral, "
    "polandcentral, italynorth, israelcentral, spaincentral, mexicocentral"
)
"""The locations a NoRegisteredProviderFound message lists (the emulator serves them all)."""


def register(type_name: str, versions: Iterable[str], *, arm_owned: bool = False) -> None:
    """Register the api-versions of one resource type (adds to any already registered).

    ``arm_owned``: the type is served by ARM itself (``Microsoft.Resources`` core types),
    so a wrong version is ``InvalidApiVersionParameter`` rather than
    ``NoRegisteredProviderFound``.
    """
    key = type_name.lower()
    with _lock:
        merged = set(_versions.get(key, ())) | {v for v in versions if v}
        _versions[key] = tuple(sorted(merged))
        _display.setdefault(key, type_name)
        if arm_owned:
            _arm_owned.add(key)


def versions_for(type_name: str) -> tuple[str, ...] | None:
    """The registered versions of ``type_name`` (oldest first), or None if unregistered."""
    with _lock:
        return _versions.get(type_name.lower())


def registered_types() -> dict[str, tuple[str, ...]]:
    """Every registered type (as registered) -> its versions, for docs and tests."""
    with _lock:
        return {_display[k]: v for k, v in sorted(_versions.items())}


def check(type_name: str, api_version: str, location: str | None = None) -> None:
    """Raise ARM's 400 unless ``api_version`` is registered for ``type_name``.

    Unregistered types pass (the module serving them has not registered yet).
    """
    key = type_name.lower()
    with _lock:
        known = _versions.get(key)
        arm_owned = key in _arm_owned
    if known is None or api_version in known:
        return
    # ARM compares api-versions case-insensitively ("2025-01-01-Preview" works).
    if api_version.lower() in {v.lower() for v in known}:
        return
    raise unsupported(type_name, api_version, location, known, arm_owned=arm_owned)


def unsupported(
    type_name: str,
    api_version: str,
    location: str | None,
    known: tuple[str, ...],
    *,
    arm_owned: bool,
) -> ArmError:
    if arm_owned:
        return ArmError(
            400,
            "InvalidApiVersionParameter",
            f"The api-version '{api_version}' is invalid. The supported versions are "
            f"'{','.join(reversed(known))}'.",
        )
    short = type_name.split("/", 1)[1] if "/" in type_name else type_name
    loc = (location or "").replace(" ", "").lower() or "global"
    return ArmError(
        400,
        "NoRegisteredProviderFound",
        f"No registered resource provider found for location '{loc}' and API version "
        f"'{api_version}' for type '{short}'. The supported api-versions are "
        f"'{', '.join(known)}'. The supported locations are '{SUPPORTED_LOCATIONS}'.",
    )


# --- which type a URL addresses -------------------------------------------------------------

_RESOURCES = "Microsoft.Resources"


def type_of_path(method: str, path: str) -> str | None:
    """The ARM resource type (``Namespace/type[/child]``) a request URL addresses.

    ``/subscriptions/S/resourceGroups/R/providers/Microsoft.Compute/disks/d1`` ->
    ``Microsoft.Compute/disks``; ``.../locations/japaneast/DiskOperations/ID`` ->
    ``Microsoft.Compute/locations/DiskOperations``; a POST action
    (``.../managedClusters/c1/listClusterAdminCredential``) -> the resource's own type.
    ARM's own paths map to ``Microsoft.Resources/...`` (``resourceGroups``,
    ``subscriptions``, ``tenants``, ``resources``, ``providers``, ``operationresults``,
    ``locations``). None for paths outside ARM.
    """
    segs = [s for s in path.split("/") if s]
    low = [s.lower() for s in segs]
    if not low:
        return None
    if "providers" in low:
        i = len(low) - 1 - low[::-1].index("providers")
        rest = segs[i + 1 :]
        if not rest:
            return f"{_RESOURCES}/providers"
        if len(rest) == 1 or (len(rest) == 2 and method.upper() == "POST"):
            return f"{_RESOURCES}/providers"  # a namespace, or .../{namespace}/register
        namespace, parts = rest[0], rest[1:]
        if len(parts) > 1 and len(parts) % 2 == 1 and method.upper() == "POST":
            parts = parts[:-1]  # an action on a resource
        return "/".join([namespace, *parts[0::2]])
    if low[0] == "tenants":
        return f"{_RESOURCES}/tenants"
    if low[0] != "subscriptions":
        return None
    if len(low) <= 2:
        return f"{_RESOURCES}/subscriptions"
    third = low[2]
    if third == "resourcegroups":
        if len(low) >= 5 and low[4] == "resources":
            return f"{_RESOURCES}/resources"
        if len(low) >= 5 and low[4] == "deployments":  # the SDK's RG deployment operations
            return f"{_RESOURCES}/deployments"
        return f"{_RESOURCES}/resourceGroups"
    if third in ("resources", "operationresults", "locations", "tagnames"):
        return {
            "resources": f"{_RESOURCES}/resources",
            "operationresults": f"{_RESOURCES}/operationresults",
            "locations": f"{_RESOURCES}/subscriptions/locations",
            "tagnames": f"{_RESOURCES}/tags",
        }[third]
    return None


def check_request(req: Request, location: str | None = None) -> None:
    """ARM's api-version check for one request (the server calls it before routing)."""
    rtype = type_of_path(req.method, req.path)
    if rtype is None:
        return
    check(rtype, req.q("api-version") or "", location)


def check_template(template: Any, location: str | None) -> None:
    """ARM's preflight check of a template: every declared resource's literal ``apiVersion``
    must be registered for its type (nested deployments' inline templates included).
    Expression-valued versions are checked when the resource is created."""
    if not isinstance(template, dict):
        return
    resources = template.get("resources") or []
    items = resources.values() if isinstance(resources, dict) else resources
    for decl in items:
        if not isinstance(decl, dict) or decl.get("existing"):
            continue
        rtype, version = decl.get("type"), decl.get("apiVersion")
        loc = decl.get("location")
        where = loc if isinstance(loc, str) and not loc.startswith("[") else location
        if isinstance(rtype, str) and isinstance(version, str) and not version.startswith("["):
            check(rtype, version, where)
        if isinstance(rtype, str) and rtype.lower() == "microsoft.resources/deployments":
            props = decl.get("properties")
            if isinstance(props, dict):
                check_template(props.get("template"), location)


# --- the versions of the types the emulator serves --------------------------------------------

RESOURCES_VERSIONS = (
    # specs Microsoft.Resources/stable/<v>/resources.json (azure-mgmt-resource 24 folders,
    # readme tag package-resources-2020-08, find_files on 2023-07-01 and 2024-03-01).
    "2016-02-01",
    "2016-09-01",
    "2017-05-10",
    "2018-02-01",
    "2018-05-01",
    "2019-03-01",
    "2019-05-01",
    "2019-05-10",
    "2019-07-01",
    "2019-08-01",
    "2019-10-01",
    "2020-06-01",
    "2020-08-01",
    "2020-10-01",
    "2021-01-01",
    "2021-04-01",
    "2022-09-01",
    "2023-07-01",
    "2024-03-01",
    "2024-07-01",
    "2024-11-01",
    "2025-03-01",
    "2025-04-01",
)
SUBSCRIPTIONS_VERSIONS = (
    # specs Microsoft.Resources/stable/<v>/subscriptions.json (azure-mgmt-resource 24).
    "2016-06-01",
    "2018-06-01",
    "2019-06-01",
    "2019-11-01",
    "2021-01-01",
    "2022-12-01",
)
DEPLOYMENT_STACKS_VERSIONS = ("2022-08-01-preview", "2024-03-01", "2025-07-01")
"""specs Microsoft.Resources/deploymentStacks (the SDK's own validator lists exactly these)."""
DISK_RP_VERSIONS = (
    # specs Microsoft.Compute/DiskRP/{stable,preview}/<v>/disk.json; 2026-03-02 is what
    # azure-mgmt-compute 39 sends (generated from the specs after the stored snapshot).
    "2016-04-30-preview",
    "2017-03-30",
    "2018-04-01",
    "2018-06-01",
    "2018-09-30",
    "2019-03-01",
    "2019-07-01",
    "2019-11-01",
    "2020-05-01",
    "2020-06-30",
    "2020-09-30",
    "2020-12-01",
    "2021-04-01",
    "2021-08-01",
    "2021-12-01",
    "2022-03-02",
    "2022-07-02",
    "2023-01-02",
    "2023-04-02",
    "2023-10-02",
    "2024-03-02",
    "2025-01-02",
    "2026-03-02",
)
AKS_VERSIONS = (
    # specs Microsoft.ContainerService/aks/{stable,preview}/<v>/managedClusters.json (readme
    # tags to 2024-01, then find_files per version); 2026-06-01 (azure-mgmt-containerservice
    # 41.6, az 2.x) and 2026-08-01 (41.8, pinned) come from the SDKs.
    "2017-08-31",
    "2018-03-31",
    "2019-02-01",
    "2019-04-01",
    "2019-06-01",
    "2019-08-01",
    "2019-10-01",
    "2019-11-01",
    "2020-01-01",
    "2020-02-01",
    "2020-03-01",
    "2020-04-01",
    "2020-06-01",
    "2020-07-01",
    "2020-09-01",
    "2020-11-01",
    "2020-12-01",
    "2021-02-01",
    "2021-03-01",
    "2021-05-01",
    "2021-07-01",
    "2021-08-01",
    "2021-09-01",
    "2021-10-01",
    "2021-11-01-preview",
    "2022-01-01",
    "2022-01-02-preview",
    "2022-02-01",
    "2022-02-02-preview",
    "2022-03-01",
    "2022-03-02-preview",
    "2022-04-01",
    "2022-04-02-preview",
    "2022-05-02-preview",
    "2022-06-01",
    "2022-06-02-preview",
    "2022-07-01",
    "2022-07-02-preview",
    "2022-08-02-preview",
    "2022-08-03-preview",
    "2022-09-01",
    "2022-09-02-preview",
    "2022-10-02-preview",
    "2022-11-01",
    "2022-11-02-preview",
    "2023-01-01",
    "2023-01-02-preview",
    "2023-02-01",
    "2023-02-02-preview",
    "2023-03-01",
    "2023-03-02-preview",
    "2023-04-01",
    "2023-04-02-preview",
    "2023-05-01",
    "2023-05-02-preview",
    "2023-06-01",
    "2023-06-02-preview",
    "2023-07-01",
    "2023-07-02-preview",
    "2023-08-01",
    "2023-08-02-preview",
    "2023-09-01",
    "2023-09-02-preview",
    "2023-10-01",
    "2023-10-02-preview",
    "2023-11-01",
    "2023-11-02-preview",
    "2024-01-01",
    "2024-02-01",
    "2024-05-01",
    "2024-07-01",
    "2024-08-01",
    "2024-09-01",
    "2024-10-01",
    "2025-01-01",
    "2025-02-01",
    "2025-03-01",
    "2025-04-01",
    "2025-05-01",
    "2025-06-01",
    "2025-07-01",
    "2025-08-01",
    "2025-09-01",
    "2025-10-01",
    "2026-06-01",
    "2026-08-01",
)

MANAGED_IDENTITY_VERSIONS = (
    # specs msi/resource-manager/Microsoft.ManagedIdentity/ManagedIdentity/readme.md tags
    "2015-08-31-preview",
    "2018-11-30",
    "2021-09-30-preview",
    "2022-01-31-preview",
    "2023-01-31",
    "2023-07-31-preview",
    "2024-11-30",
    "2025-01-31-preview",
    "2025-05-31-preview",
    "2026-05-31",
)

for _t in ("resourceGroups", "resources", "providers", "deployments", "operationresults", "tags"):
    register(f"{_RESOURCES}/{_t}", RESOURCES_VERSIONS, arm_owned=True)
# A deleted stack's Location (/subscriptions/S/operationresults/ID) carries the stack's version.
register(f"{_RESOURCES}/operationresults", DEPLOYMENT_STACKS_VERSIONS, arm_owned=True)
for _t in ("subscriptions", "tenants", "subscriptions/locations"):
    register(f"{_RESOURCES}/{_t}", SUBSCRIPTIONS_VERSIONS, arm_owned=True)
for _t in ("deploymentStacks", "locations/deploymentStackOperationStatus"):
    register(f"{_RESOURCES}/{_t}", DEPLOYMENT_STACKS_VERSIONS)
for _t in ("disks", "snapshots", "locations/DiskOperations"):
    register(f"Microsoft.Compute/{_t}", DISK_RP_VERSIONS)
for _t in ("managedClusters", "managedClusters/agentPools", "locations/operations"):
    register(f"Microsoft.ContainerService/{_t}", AKS_VERSIONS)
register("Microsoft.ContainerService/locations/operationresults", AKS_VERSIONS)
register("Microsoft.ManagedIdentity/userAssignedIdentities", MANAGED_IDENTITY_VERSIONS)
# federated credentials exist from 2022-01-31-preview on
register(
    "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials",
    MANAGED_IDENTITY_VERSIONS[3:],
)
