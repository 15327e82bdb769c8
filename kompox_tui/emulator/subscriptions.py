"""ARM's own read endpoints that real clients (``az``) need besides resources:

- ``GET /metadata/endpoints?api-version=2022-09-01`` (no token): the cloud's endpoints as
  ``az cloud register --endpoint-resource-manager`` reads them (one cloud object; 2019-05-01
  and 2020-06-01 answer a list of clouds, azure-cli ``core/cloud.py``).
- ``GET /subscriptions``, ``GET /subscriptions/{id}``, ``GET /tenants``,
  ``GET /subscriptions/{id}/locations`` (``az login --service-principal`` lists
  subscriptions and tenants; specs ``subscriptions.json``).
- ``GET /subscriptions/{s}/resources`` and ``.../resourceGroups/{rg}/resources`` with
  ``$filter`` (``tagName eq 'k' [and tagValue eq 'v']``, ``resourceType eq 'NS/type'``,
  ``name eq 'n'``): the generic resource list (``GenericResourceExpanded``), paged.
- ``GET /subscriptions/{s}/providers`` and ``/subscriptions/{s}/providers/{namespace}``
  (``Provider`` with ``resourceTypes[].apiVersions`` from :mod:`.api_versions`), and
  ``POST .../providers/{namespace}/register`` (everything is registered already).
"""

from __future__ import annotations

import re
from typing import Any

from . import api_versions
from .common import check_subscription, paged, paged_store, require_rg
from .core import ArmError, EmulatorContext, Request, Response

METADATA_VERSIONS = ("2015-01-01", "2019-05-01", "2020-06-01", "2022-09-01")
_LOCATIONS = [s.strip() for s in api_versions.SUPPORTED_LOCATIONS.split(",")]


def cloud_metadata(ctx: EmulatorContext) -> dict[str, Any]:
    """The ``/metadata/endpoints`` cloud object (2022-09-01 shape) for this emulator: ARM and
    the Entra ID authority are the emulator; audiences as public Azure's."""
    base = ctx.base_url
    return {
        "name": "KompoxEmulator",
        "portal": base,
        "resourceManager": base + "/",
        "authentication": {
            "loginEndpoint": base,
            "audiences": ["https://management.core.windows.net/", "https://management.azure.com/"],
            "tenant": "common",
            "identityProvider": "AAD",
        },
        "graph": "https://graph.windows.net/",
        "graphAudience": "https://graph.windows.net/",
        "microsoftGraphResourceId": "https://graph.microsoft.com/",
        "activeDirectoryDataLake": "https://datalake.azure.net/",
        "batch": "https://batch.core.windows.net/",
        "gallery": "https://gallery.azure.com/",
        "media": "https://rest.media.azure.net",
        "sqlManagement": "https://management.core.windows.net:8443/",
        "vmImageAliasDoc": (
            "https://raw.githubusercontent.com/Azure/azure-rest-api-specs/main/arm-compute/"
            "quickstart-templates/aliases.json"
        ),
        "suffixes": {
            "acrLoginServer": "azurecr.io",
            "keyVaultDns": "vault.azure.net",
            "storage": "core.windows.net",
            "sqlServerHostname": "database.windows.net",
            "azureDataLakeStoreFileSystem": "azuredatalakestore.net",
            "azureDataLakeAnalyticsCatalogAndJob": "azuredatalakeanalytics.net",
            "mhsmDns": "managedhsm.azure.net",
        },
    }


def _subscription(ctx: EmulatorContext) -> dict[str, Any]:
    return {
        "id": f"/subscriptions/{ctx.subscription_id}",
        "authorizationSource": "RoleBased",
        "managedByTenants": [],
        "subscriptionId": ctx.subscription_id,
        "tenantId": ctx.tenant_id,
        "displayName": "Emulated subscription",
        "state": "Enabled",
        "subscriptionPolicies": {
            "locationPlacementId": "Public_2014-09-01",
            "quotaId": "PayAsYouGo_2014-09-01",
            "spendingLimit": "Off",
        },
    }


def _provider(namespace: str) -> dict[str, Any] | None:
    """The ``Provider`` for a namespace from the registered types (None if unknown)."""
    prefix = namespace.lower() + "/"
    types = []
    for rtype, versions in api_versions.registered_types().items():
        if not rtype.lower().startswith(prefix):
            continue
        types.append(
            {
                "resourceType": rtype.split("/", 1)[1],
                "locations": [loc.title() for loc in _LOCATIONS],
                "apiVersions": list(reversed(versions)),
                "capabilities": "None",
            }
        )
    if not types:
        return None
    name = next(k for k in api_versions.registered_types() if k.lower().startswith(prefix))
    return {
        "namespace": name.split("/", 1)[0],
        "registrationState": "Registered",
        "registrationPolicy": "RegistrationRequired",
        "resourceTypes": types,
    }


def _filter(flt: str) -> Any:
    """A predicate for ARM's ``$filter`` on resource lists."""
    checks = []
    name = re.search(r"tagName\s+eq\s+'([^']*)'", flt, re.IGNORECASE)
    value = re.search(r"tagValue\s+eq\s+'([^']*)'", flt, re.IGNORECASE)
    rtype = re.search(r"resourceType\s+eq\s+'([^']*)'", flt, re.IGNORECASE)
    rname = re.search(r"(?<![A-Za-z])name\s+eq\s+'([^']*)'", flt, re.IGNORECASE)
    group = re.search(r"resourceGroup\s+eq\s+'([^']*)'", flt, re.IGNORECASE)
    if flt.strip() and not (name or rtype or rname or group):
        raise ArmError(
            400,
            "InvalidFilterInQueryString",
            f"Invalid $filter '{flt}' specified in the query string.",
        )
    if name:
        key = name.group(1).lower()

        def tag_ok(item: dict[str, Any]) -> bool:
            tags = {k.lower(): v for k, v in (item.get("tags") or {}).items()}
            return key in tags and (value is None or tags[key] == value.group(1))

        checks.append(tag_ok)
    if rtype:
        want = rtype.group(1).lower()
        checks.append(lambda item: str(item.get("type", "")).lower() == want)
    if group:  # az resource list -g: "resourceGroup eq 'rg'" at subscription scope
        want_rg = f"/resourcegroups/{group.group(1).lower()}/"
        checks.append(lambda item: want_rg in str(item.get("id", "")).lower())
    if rname:
        want_name = rname.group(1).lower()
        checks.append(lambda item: str(item.get("name", "")).lower() == want_name)
    return lambda item: all(c(item) for c in checks)


def _generic(item: dict[str, Any]) -> dict[str, Any]:
    """``GenericResourceExpanded``: the envelope without ``properties``."""
    keys = ("id", "name", "type", "location", "tags", "sku", "kind", "managedBy", "zones")
    return {k: item[k] for k in keys if k in item and item[k] is not None}


def register(ctx: EmulatorContext) -> None:
    def metadata(req: Request, p: dict[str, str]) -> Response:
        version = req.q("api-version") or ""
        if version not in METADATA_VERSIONS:
            raise ArmError(
                400,
                "InvalidApiVersionParameter",
                f"The api-version '{version}' is invalid. The supported versions are "
                f"'{','.join(reversed(METADATA_VERSIONS))}'.",
            )
        cloud = cloud_metadata(ctx)
        if version == "2022-09-01":
            return Response(200, cloud)
        if version == "2015-01-01":
            return Response(
                200,
                {
                    "galleryEndpoint": cloud["gallery"],
                    "graphEndpoint": cloud["graph"],
                    "portalEndpoint": cloud["portal"],
                    "authentication": cloud["authentication"],
                },
            )
        return Response(200, [cloud])

    def list_subscriptions(req: Request, p: dict[str, str]) -> Response:
        return Response(
            200, {"value": [_subscription(ctx)], "count": {"type": "Total", "value": 1}}
        )

    def get_subscription(req: Request, p: dict[str, str]) -> Response:
        check_subscription(ctx, p["sub"])
        return Response(200, _subscription(ctx))

    def list_tenants(req: Request, p: dict[str, str]) -> Response:
        tenant = {
            "id": f"/tenants/{ctx.tenant_id}",
            "tenantId": ctx.tenant_id,
            "tenantCategory": "Home",
            "displayName": "Emulated tenant",
            "defaultDomain": "emulator.onmicrosoft.com",
            "domains": ["emulator.onmicrosoft.com"],
            "tenantType": "AAD",
        }
        return Response(200, {"value": [tenant]})

    def list_locations(req: Request, p: dict[str, str]) -> Response:
        check_subscription(ctx, p["sub"])
        items = [
            {
                "id": f"/subscriptions/{ctx.subscription_id}/locations/{loc}",
                "name": loc,
                "displayName": loc,
                "regionalDisplayName": loc,
                "type": "Region",
                "metadata": {"regionType": "Physical", "regionCategory": "Recommended"},
            }
            for loc in _LOCATIONS
        ]
        return Response(200, {"value": items})

    def list_resources(req: Request, p: dict[str, str]) -> Response:
        check_subscription(ctx, p["sub"])
        flt = _filter(req.q("$filter") or "")
        if "rg" in p:
            require_rg(ctx, p["rg"])
            prefix = f"/subscriptions/{ctx.subscription_id}/resourceGroups/{p['rg']}/providers/"
        else:
            prefix = f"/subscriptions/{ctx.subscription_id}/resourceGroups/"

        def wanted(key: str, value: Any) -> bool:
            if not isinstance(value, dict) or "/providers/" not in key:
                return False
            # top-level resources only (NS/type/name), not child resources
            tail = key.split("/providers/", 1)[1]
            return tail.count("/") == 2 and bool(flt(value))

        response = paged_store(ctx, req, prefix, wanted)
        if isinstance(response.body, dict):
            response.body["value"] = [_generic(v) for v in response.body.get("value") or []]
        return response

    def list_providers(req: Request, p: dict[str, str]) -> Response:
        check_subscription(ctx, p["sub"])
        namespaces = sorted({t.split("/", 1)[0] for t in api_versions.registered_types()})
        items = []
        for ns in namespaces:
            prov = _provider(ns)
            if prov is not None:
                prov["id"] = f"/subscriptions/{ctx.subscription_id}/providers/{prov['namespace']}"
                items.append(prov)
        return paged(ctx, req, items)

    def get_provider(req: Request, p: dict[str, str]) -> Response:
        check_subscription(ctx, p["sub"])
        prov = _provider(p["ns"])
        if prov is None:
            raise ArmError(
                404, "InvalidResourceNamespace", f"The resource namespace '{p['ns']}' is invalid."
            )
        prov["id"] = f"/subscriptions/{ctx.subscription_id}/providers/{prov['namespace']}"
        return Response(200, prov)

    ctx.router.add("GET", "/metadata/endpoints", metadata)
    ctx.router.add("GET", "/subscriptions", list_subscriptions)
    ctx.router.add("GET", "/subscriptions/{sub}", get_subscription)
    ctx.router.add("GET", "/tenants", list_tenants)
    ctx.router.add("GET", "/subscriptions/{sub}/locations", list_locations)
    ctx.router.add("GET", "/subscriptions/{sub}/resources", list_resources)
    ctx.router.add("GET", "/subscriptions/{sub}/resourceGroups/{rg}/resources", list_resources)
    ctx.router.add("GET", "/subscriptions/{sub}/providers", list_providers)
    ctx.router.add("GET", "/subscriptions/{sub}/providers/{ns}", get_provider)
    ctx.router.add("POST", "/subscriptions/{sub}/providers/{ns}/register", get_provider)
