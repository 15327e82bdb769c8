"""Key Vault vaults (``Microsoft.KeyVault/vaults``) with soft delete and purge.

Routes:

- ``PUT .../resourceGroups/{rg}/providers/Microsoft.KeyVault/vaults/{name}``: 201 (200 on
  update) with the vault ``Succeeded``. A vault name is global: while a soft-deleted vault
  of that name exists, a create is 409 ``ConflictError`` ("Exist soft deleted vault with the
  same name.") unless ``properties.createMode`` is ``recover``, which brings it back.
  A name used by a live vault in another resource group is 409 ``VaultAlreadyExists``.
- ``GET`` (404 ``ResourceNotFound``), list by resource group (paged), ``DELETE`` (200; 204
  when absent). Deleting a vault -- directly or with its resource group -- soft-deletes it
  (``enableSoftDelete`` defaults to true since 2020): it becomes a deleted vault of its
  location for ``softDeleteRetentionInDays`` (default 90).
- ``GET /subscriptions/{s}/providers/Microsoft.KeyVault/deletedVaults`` (paged),
  ``GET .../locations/{loc}/deletedVaults/{name}`` (404 when absent),
  ``POST .../locations/{loc}/deletedVaults/{name}/purge``: 202 + ``Location``
  (``.../locations/{loc}/operationResults/{id}``) + ``Retry-After``; the name is free once
  the operation ends. A vault with ``enablePurgeProtection`` cannot be purged (409
  ``ConflictError``).

Shapes: specs ``keyvault/resource-manager/Microsoft.KeyVault/stable/*/examples``
(``getDeletedVault.json``, ``purgeDeletedVault.json``: 200/202), azure-mgmt-keyvault 14.1.0
(create 200/201, delete 200/204, purge 200/202). The ``ConflictError`` text is the one
users report (MicrosoftDocs/azure-docs #50228).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from . import api_versions
from .common import (
    ARM_NS,
    check_subscription,
    paged,
    paged_store,
    provider_id,
    require_rg,
    retry_after,
)
from .core import ArmError, EmulatorContext, Request, Response, iso, not_found
from .operations_routes import location_status_handler

NAMESPACE = "Microsoft.KeyVault"
TYPE = f"{NAMESPACE}/vaults"
DELETED_TYPE = f"{NAMESPACE}/deletedVaults"
DELETED_NS = "kv_deleted"
"""Soft-deleted vaults, keyed by lower-cased vault name (names are global)."""
PURGE_SECONDS = 3.0
VERSIONS = (
    "2015-06-01",
    "2016-10-01",
    "2018-02-14",
    "2018-02-14-preview",
    "2019-09-01",
    "2020-04-01-preview",
    "2021-04-01-preview",
    "2021-06-01-preview",
    "2021-10-01",
    "2021-11-01-preview",
    "2022-02-01-preview",
    "2022-07-01",
    "2022-11-01",
    "2023-02-01",
    "2023-07-01",
    "2023-08-01-preview",
    "2024-04-01-preview",
    "2024-11-01",
    "2024-12-01-preview",
    "2025-05-01",
    "2026-05-15",
)
for _t in ("vaults", "deletedVaults", "locations/deletedVaults", "locations/operationResults"):
    api_versions.register(f"{NAMESPACE}/{_t}", VERSIONS)


def _live_vault(ctx: EmulatorContext, name: str) -> dict[str, Any] | None:
    """A live vault called ``name`` in any resource group of the subscription."""
    want = name.lower()
    for _key, value in ctx.store.items(ARM_NS, f"/subscriptions/{ctx.subscription_id}/"):
        if (
            isinstance(value, dict)
            and str(value.get("type", "")).lower() == TYPE.lower()
            and str(value.get("name", "")).lower() == want
        ):
            return value
    return None


class VaultType:
    """``Microsoft.KeyVault/vaults`` for REST and template deployments."""

    def create(
        self, ctx: EmulatorContext, resource_id: str, body: dict[str, Any], api_version: str
    ) -> dict[str, Any]:
        parts = resource_id.strip("/").split("/")
        rg, name = parts[3], parts[-1]
        if not isinstance(body, dict):
            raise ArmError(400, "InvalidRequestContent", "The request content was invalid.")
        props_in = dict(body.get("properties") or {})
        with ctx.store.lock:
            require_rg(ctx, rg, for_write=True)
            rid = provider_id(ctx, rg, NAMESPACE, "vaults", name)
            existing = ctx.store.get(ARM_NS, rid)
            deleted = ctx.store.get(DELETED_NS, name)
            recover = str(props_in.get("createMode", "")).lower() == "recover"
            if existing is None:
                other = _live_vault(ctx, name)
                if other is not None:
                    raise ArmError(
                        409,
                        "VaultAlreadyExists",
                        f"The vault name '{name}' is already in use. Vault names are globally "
                        "unique so it is possible that the name is already taken.",
                    )
                if deleted is not None and not recover:
                    raise ArmError(
                        409, "ConflictError", "Exist soft deleted vault with the same name."
                    )
                if deleted is None and recover:
                    raise ArmError(
                        404,
                        "ResourceNotFound",
                        f"No deleted vault named '{name}' exists to recover.",
                    )
            base = (deleted or {}).get("vault") if recover else existing
            old = (base or {}).get("properties") or {}
            location = body.get("location") or (base or {}).get("location") or ctx.location
            props: dict[str, Any] = dict(old)
            props.update({k: v for k, v in props_in.items() if k != "createMode"})
            props.setdefault("tenantId", ctx.tenant_id)
            props.setdefault("sku", {"family": "A", "name": "standard"})
            props.setdefault("accessPolicies", [])
            props.setdefault("enableSoftDelete", True)
            props.setdefault("softDeleteRetentionInDays", 90)
            props.setdefault("enableRbacAuthorization", False)
            props["vaultUri"] = f"https://{name.lower()}.vault.azure.net/"
            props["provisioningState"] = "Succeeded"
            vault: dict[str, Any] = {
                "id": rid,
                "name": name,
                "type": TYPE,
                "location": location,
                "properties": props,
            }
            tags = body.get("tags") if "tags" in body else (base or {}).get("tags")
            if tags:
                vault["tags"] = dict(tags)
            now = iso(ctx.clock.now())
            created = ((base or {}).get("systemData") or {}).get("createdAt", now)
            vault["systemData"] = {"createdAt": created, "lastModifiedAt": now}
            ctx.store.put(ARM_NS, rid, vault)
            if recover:
                ctx.store.delete(DELETED_NS, name)
            return vault

    def delete(self, ctx: EmulatorContext, resource_id: str) -> None:
        """Remove the vault; with soft delete on (the default) keep it as a deleted vault."""
        with ctx.store.lock:
            vault = ctx.store.get(ARM_NS, resource_id)
            ctx.store.delete(ARM_NS, resource_id)
            ctx.store.delete_prefix(ARM_NS, resource_id.rstrip("/") + "/")
            if not isinstance(vault, dict):
                return
            props = vault.get("properties") or {}
            if props.get("enableSoftDelete") is False:
                return
            now = ctx.clock.now()
            days = int(props.get("softDeleteRetentionInDays") or 90)
            location = str(vault.get("location") or ctx.location).replace(" ", "").lower()
            name = str(vault["name"])
            record = {
                "id": (
                    f"/subscriptions/{ctx.subscription_id}/providers/{NAMESPACE}/locations/"
                    f"{location}/deletedVaults/{name}"
                ),
                "name": name,
                "type": DELETED_TYPE,
                "properties": {
                    "vaultId": vault["id"],
                    "location": location,
                    "tags": dict(vault.get("tags") or {}),
                    "deletionDate": iso(now),
                    "scheduledPurgeDate": iso(now + timedelta(days=days)),
                    "purgeProtectionEnabled": bool(props.get("enablePurgeProtection", False)),
                },
                "vault": vault,
            }
            ctx.store.put(DELETED_NS, name, record)


def _public(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k != "vault"}


def register(ctx: EmulatorContext) -> VaultType:
    impl = VaultType()
    ctx.resource_types[TYPE.lower()] = impl
    many_rg = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.KeyVault/vaults"
    one = many_rg + "/{name}"
    deleted_base = "/subscriptions/{sub}/providers/Microsoft.KeyVault"

    def rid_of(p: dict[str, str]) -> str:
        return provider_id(ctx, p["rg"], NAMESPACE, "vaults", p["name"])

    def put(req: Request, p: dict[str, str]) -> Response:
        check_subscription(ctx, p["sub"])
        existed = ctx.store.get(ARM_NS, rid_of(p)) is not None
        vault = impl.create(ctx, rid_of(p), req.json() or {}, req.q("api-version") or "")
        return Response(200 if existed else 201, vault)

    def get(req: Request, p: dict[str, str]) -> Response:
        check_subscription(ctx, p["sub"])
        require_rg(ctx, p["rg"])
        vault = ctx.store.get(ARM_NS, rid_of(p))
        if not isinstance(vault, dict):
            raise not_found(TYPE, p["name"], p["rg"])
        return Response(200, vault)

    def delete(req: Request, p: dict[str, str]) -> Response:
        check_subscription(ctx, p["sub"])
        require_rg(ctx, p["rg"])
        if ctx.store.get(ARM_NS, rid_of(p)) is None:
            return Response(204)
        impl.delete(ctx, rid_of(p))
        return Response(200)

    def list_rg(req: Request, p: dict[str, str]) -> Response:
        check_subscription(ctx, p["sub"])
        require_rg(ctx, p["rg"])
        prefix = f"/subscriptions/{ctx.subscription_id}/resourceGroups/{p['rg']}/providers/"
        prefix += f"{TYPE}/"

        def wanted(key: str, value: Any) -> bool:
            return "/" not in key[len(prefix) :] and isinstance(value, dict)

        return paged_store(ctx, req, prefix, wanted)

    def deleted_record(p: dict[str, str]) -> dict[str, Any]:
        record = ctx.store.get(DELETED_NS, p["name"])
        loc = p["loc"].replace(" ", "").lower()
        if not isinstance(record, dict) or record["properties"]["location"] != loc:
            raise ArmError(
                404,
                "ResourceNotFound",
                f"The Resource '{DELETED_TYPE}/{p['name']}' under resource group '<null>' was "
                "not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
            )
        return record

    def list_deleted(req: Request, p: dict[str, str]) -> Response:
        check_subscription(ctx, p["sub"])
        items = [_public(v) for _, v in ctx.store.items(DELETED_NS)]
        return paged(ctx, req, items)

    def get_deleted(req: Request, p: dict[str, str]) -> Response:
        check_subscription(ctx, p["sub"])
        return Response(200, _public(deleted_record(p)))

    def purge(req: Request, p: dict[str, str]) -> Response:
        check_subscription(ctx, p["sub"])
        record = deleted_record(p)
        if record["properties"].get("purgeProtectionEnabled"):
            raise ArmError(
                409,
                "ConflictError",
                f"Operation 'PurgeDeletedVault' is not allowed for vault '{p['name']}' because "
                "purge protection is enabled.",
            )
        name = p["name"]

        def finish() -> None:
            ctx.store.delete(DELETED_NS, name)

        from .core import injected_lro_error

        op = ctx.operations.start(PURGE_SECONDS, finish, injected_lro_error(req))
        loc = p["loc"].replace(" ", "").lower()
        location = (
            f"{req.base_url}/subscriptions/{ctx.subscription_id}/providers/{NAMESPACE}/"
            f"locations/{loc}/operationResults/{op.id}?api-version={req.q('api-version') or ''}"
        )
        headers = {"Location": location, "Retry-After": retry_after(ctx, initial=True)}
        return Response(202, None, headers)

    ctx.router.add("PUT", one, put)
    ctx.router.add("GET", one, get)
    ctx.router.add("DELETE", one, delete)
    ctx.router.add("GET", many_rg, list_rg)
    ctx.router.add("GET", deleted_base + "/deletedVaults", list_deleted)
    ctx.router.add("GET", deleted_base + "/locations/{loc}/deletedVaults/{name}", get_deleted)
    ctx.router.add("POST", deleted_base + "/locations/{loc}/deletedVaults/{name}/purge", purge)
    ctx.router.add(
        "GET",
        deleted_base + "/locations/{loc}/operationResults/{id}",
        location_status_handler(ctx),
    )
    return impl
