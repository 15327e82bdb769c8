"""Managed disks and snapshots (``Microsoft.Compute/disks``, ``Microsoft.Compute/snapshots``).

Wire behaviour (see shared/reference/arm-wire-facts.md):

- PUT: 202 (a create or an update, as the Compute RP answers) with
  ``Azure-AsyncOperation: .../providers/Microsoft.Compute/locations/{loc}/DiskOperations/{id}``,
  ``Location`` = the same URL with ``&monitor=true``, ``Retry-After``; the body echoes the
  request with ``id``, ``name`` and ``provisioningState`` ``Updating`` (the spec examples'
  202); the stored resource is ``Updating`` until the operation completes (a few emulated
  seconds), then ``Succeeded``. GET answers the location normalised (``japaneast``).
- Attachment: :func:`set_disk_attachment` (called by the Kubernetes emulator) sets
  ``managedBy`` / ``diskState``. An attached disk cannot be deleted (409
  ``OperationNotAllowed`` "Disk X is attached to VM Y.") or resized (409
  ``OperationNotAllowed`` "Cannot resize disk X while it is attached to running VM Y. ...").
- Incremental snapshots report ``completionPercent`` rising to 100 over emulated time;
  those of Ultra / Premium SSD v2 disks are ``snapshotAccessState`` ``Pending`` (unusable
  as a copy source) until then.
- PATCH: like PUT (202 + headers); ``tags`` in the body *replaces* the tag map.
- An LRO that ends ``Failed`` (fault injection) leaves an existing resource as it was
  before the PUT/PATCH, ``provisioningState`` ``Failed``.
- DELETE: 202 + both headers (204 when already absent).
- GET, list by resource group and by subscription (paged, ``nextLink`` carries
  ``api-version`` because compute GETs it verbatim).
- ``createOption``: ``Empty`` (needs ``diskSizeGB``) or ``Copy`` (``sourceResourceId`` must
  exist, else 404 ``NotFound`` "Resource <name> is not found." as Azure answers).
- No ETag: the ``Disk`` and ``Snapshot`` models of the REST specs (``DiskRP/.../disk.json``,
  ``snapshot.json``) have no ``etag`` and their operations take no ``If-Match`` /
  ``If-None-Match``, so the emulator sends no ``ETag`` header and ignores those headers,
  as real Compute does.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from .common import (
    ARM_NS,
    check_subscription,
    failed_write,
    of_type,
    paged_store,
    provider_id,
    require_rg,
    set_provisioning_state,
    start_lro,
)
from .core import ArmError, EmulatorContext, Request, Response, Store, iso, not_found

NAMESPACE = "Microsoft.Compute"
PROVISION_SECONDS = {"disks": 3.0, "snapshots": 5.0}
UPDATE_SECONDS = 1.0
DELETE_SECONDS = 2.0

DISK_SKUS = {
    "Standard_LRS": "Standard",
    "Premium_LRS": "Premium",
    "StandardSSD_LRS": "StandardSSD",
    "UltraSSD_LRS": "Ultra",
    "Premium_ZRS": "Premium",
    "StandardSSD_ZRS": "StandardSSD",
    "PremiumV2_LRS": "PremiumV2",
}
SNAPSHOT_SKUS = {"Standard_LRS": "Standard", "Premium_LRS": "Premium", "Standard_ZRS": "Standard"}

# Premium SSD performance tiers: (max size GiB, tier, IOPS, MBps).
_PREMIUM_TIERS = [
    (4, "P1", 120, 25),
    (8, "P2", 120, 25),
    (16, "P3", 120, 25),
    (32, "P4", 120, 25),
    (64, "P6", 240, 50),
    (128, "P10", 500, 100),
    (256, "P15", 1100, 125),
    (512, "P20", 2300, 150),
    (1024, "P30", 5000, 200),
    (2048, "P40", 7500, 250),
    (4096, "P50", 7500, 250),
    (8192, "P60", 16000, 500),
    (16384, "P70", 18000, 750),
    (32767, "P80", 20000, 900),
]
GIB = 1024**3


def _perf(sku: str, size_gb: int) -> dict[str, Any]:
    if sku.startswith("Premium") and sku != "PremiumV2_LRS":
        for limit, tier, iops, mbps in _PREMIUM_TIERS:
            if size_gb <= limit:
                return {"diskIOPSReadWrite": iops, "diskMBpsReadWrite": mbps, "tier": tier}
        return {"diskIOPSReadWrite": 20000, "diskMBpsReadWrite": 900, "tier": "P80"}
    if sku.startswith("StandardSSD"):
        return {"diskIOPSReadWrite": 500, "diskMBpsReadWrite": 60}
    return {"diskIOPSReadWrite": 500, "diskMBpsReadWrite": 60}


SLOW_COPY_SKUS = ("UltraSSD_LRS", "PremiumV2_LRS")
"""Disks whose snapshots are not instant access: unusable until the background copy ends."""
COPY_SECONDS_PER_GIB = 0.5
"""Emulated duration of an incremental snapshot's background copy, per GiB of disk size."""
COPY_SECONDS_MIN = 10.0


def normalize_location(location: str) -> str:
    """``Japan East`` -> ``japaneast``: ARM answers GETs with the normalised name."""
    return location.replace(" ", "").lower()


def copy_duration(size_gb: int) -> float:
    """Emulated seconds the background copy of an incremental snapshot takes."""
    return max(COPY_SECONDS_MIN, COPY_SECONDS_PER_GIB * size_gb)


def live_copy_state(ctx: EmulatorContext, resource: dict[str, Any]) -> dict[str, Any]:
    """Fill ``completionPercent`` (and end ``snapshotAccessState`` Pending) from emulated
    time since ``timeCreated``, so the copy progresses across restarts too. Returns the
    resource (changed in place)."""
    props = resource.get("properties")
    if not isinstance(props, dict) or "completionPercent" not in props:
        return resource
    if float(props["completionPercent"]) >= 100.0:
        return resource
    try:
        created = datetime.fromisoformat(str(props["timeCreated"]))
    except (KeyError, ValueError):
        return resource
    elapsed = (ctx.clock.now() - created).total_seconds() * ctx.clock.speed
    duration = copy_duration(int(props.get("diskSizeGB") or 1))
    percent = min(100.0, max(0.0, 100.0 * elapsed / duration))
    props["completionPercent"] = round(percent, 1)
    if percent >= 100.0 and props.get("snapshotAccessState") == "Pending":
        props["snapshotAccessState"] = "Available"
    return resource


def _live_page(ctx: EmulatorContext, response: Response) -> Response:
    body = response.body
    if isinstance(body, dict):
        for item in body.get("value") or []:
            if isinstance(item, dict):
                live_copy_state(ctx, item)
    return response


def accepted_body(resource: dict[str, Any], request: Any) -> dict[str, Any]:
    """The first 202 body of a disk/snapshot write, as the spec examples show it
    (``Disk_Create_Empty.json``, ``Snapshot_Create_InstantAccessSnapshot.json``): the
    request echoed with ``id``, ``name`` and ``properties.provisioningState`` ``Updating``
    -- not the full resource (no ``type``, ``uniqueId``, ``timeCreated`` ...). A PATCH
    (no PUT body) echoes the stored resource's location and what it sent."""
    body: dict[str, Any] = {"id": resource["id"], "name": resource["name"]}
    sent = request if isinstance(request, dict) else {}
    body["location"] = sent.get("location") or resource["location"]
    for key in ("tags", "sku", "zones"):
        if key in sent:
            body[key] = sent[key]
    props = dict(sent.get("properties") or {})
    props["provisioningState"] = "Updating"
    body["properties"] = props
    return body


def set_disk_attachment(store: Store, disk_id: str, managed_by: str | None) -> bool:
    """Attach (``managed_by`` = the VM or scale-set instance id, e.g.
    ``/subscriptions/S/resourceGroups/MC_rg_c_loc/providers/Microsoft.Compute/
    virtualMachineScaleSets/aks-system-12345678-vmss/virtualMachines/0``) or detach
    (``None``) a managed disk: sets ``managedBy``, ``properties.diskState``
    (``Attached`` / ``Unattached``) and ``properties.LastOwnershipUpdateTime`` (capital L,
    as the spec spells it), as Compute reports them. Called by the Kubernetes emulator when
    a pod mounting the disk's PV is scheduled onto a node or deleted. Returns False when
    no such disk exists.
    """
    with store.lock:
        disk = store.get(ARM_NS, disk_id)
        if not isinstance(disk, dict) or str(disk.get("type", "")).lower() != (
            f"{NAMESPACE}/disks".lower()
        ):
            return False
        props = disk.setdefault("properties", {})
        state = "Attached" if managed_by else "Unattached"
        if disk.get("managedBy") == managed_by and props.get("diskState") == state:
            return True
        disk["managedBy"] = managed_by
        props["diskState"] = state
        props["LastOwnershipUpdateTime"] = iso(datetime.now(UTC))
        store.put(ARM_NS, disk_id, disk)
        return True


def _invalid(message: str, target: str | None = None) -> ArmError:
    return ArmError(400, "InvalidParameter", message, target=target)


class DiskLikeType:
    """Disks or snapshots: REST handlers and the ResourceType used by RG deletion."""

    def __init__(self, kind: str) -> None:
        self.kind = kind  # "disks" | "snapshots"
        self.type_name = f"{NAMESPACE}/{kind}"
        self.skus = DISK_SKUS if kind == "disks" else SNAPSHOT_SKUS

    # --- ResourceType -------------------------------------------------------------

    def create(
        self, ctx: EmulatorContext, resource_id: str, body: dict[str, Any], api_version: str
    ) -> dict[str, Any]:
        parts = resource_id.strip("/").split("/")
        rg, name = parts[3], parts[-1]
        with ctx.store.lock:
            require_rg(ctx, rg, for_write=True)
            rid = provider_id(ctx, rg, NAMESPACE, self.kind, name)
            existing = ctx.store.get(ARM_NS, rid)
            resource = self._build(ctx, rg, name, body, existing)
            resource["properties"]["provisioningState"] = "Succeeded"
            ctx.store.put(ARM_NS, rid, resource)
            return resource

    def delete(self, ctx: EmulatorContext, resource_id: str) -> None:
        ctx.store.delete(ARM_NS, resource_id)

    # --- building resources -------------------------------------------------------

    def _source(self, ctx: EmulatorContext, source_id: str) -> dict[str, Any]:
        src = ctx.store.get(ARM_NS, source_id) if source_id else None
        low = source_id.lower()
        if (
            not isinstance(src, dict)
            or f"/providers/{NAMESPACE.lower()}/" not in low
            or src.get("type", "").lower()
            not in (f"{NAMESPACE}/disks".lower(), f"{NAMESPACE}/snapshots".lower())
        ):
            name = source_id.rstrip("/").split("/")[-1] if source_id else ""
            raise ArmError(404, "NotFound", f"Resource {name} is not found.")
        live_copy_state(ctx, src)
        if (
            src["properties"].get("snapshotAccessState") == "Pending"
            and float(src["properties"].get("completionPercent", 100.0)) < 100.0
        ):
            raise ArmError(
                409,
                "OperationNotAllowed",
                f"Snapshot {src['name']} cannot be used to create a disk or snapshot until its "
                f"background copy completes (completionPercent "
                f"{src['properties']['completionPercent']:.1f}). Retry when completionPercent "
                "is 100.",
            )
        if src["properties"].get("provisioningState") not in ("Succeeded", None):
            raise ArmError(
                409,
                "Conflict",
                f"The source resource '{src['name']}' is still being provisioned "
                f"(provisioningState '{src['properties'].get('provisioningState')}').",
            )
        return src

    def _build(
        self,
        ctx: EmulatorContext,
        rg: str,
        name: str,
        body: dict[str, Any],
        existing: dict[str, Any] | None,
    ) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise ArmError(400, "InvalidRequestContent", "The request content was invalid.")
        props_in = body.get("properties") or {}
        location = body.get("location")
        if not location:
            if existing is None:
                raise ArmError(
                    400,
                    "LocationRequired",
                    "The location property is required for this definition.",
                )
            location = existing["location"]
        location = normalize_location(str(location))
        if existing is not None and location != normalize_location(existing["location"]):
            raise ArmError(
                409,
                "Conflict",
                f"Changing property 'location' is not allowed for existing "
                f"{self.kind[:-1]} '{name}'.",
            )
        sku_name = (body.get("sku") or {}).get("name") or (
            existing["sku"]["name"] if existing else "Standard_LRS"
        )
        if sku_name not in self.skus:
            raise _invalid(
                f"The value '{sku_name}' of parameter 'sku.name' is not valid. Allowed values: "
                + ", ".join(self.skus),
                "sku.name",
            )
        creation_in = props_in.get("creationData") or {}
        if existing is not None:
            creation = existing["properties"]["creationData"]
            size_gb = props_in.get("diskSizeGB") or existing["properties"]["diskSizeGB"]
            if (
                self.kind == "disks"
                and existing.get("managedBy")
                and int(size_gb) != int(existing["properties"]["diskSizeGB"])
            ):
                raise ArmError(
                    409,
                    "OperationNotAllowed",
                    f"Cannot resize disk {existing['name']} while it is attached to running VM "
                    f"{existing['managedBy']}. Resizing a disk of an Azure Virtual Machine "
                    "requires the virtual machine to be deallocated. Please stop your VM and "
                    "retry the operation.",
                )
            if int(size_gb) < int(existing["properties"]["diskSizeGB"]):
                raise ArmError(
                    409,
                    "BadRequest",
                    f"Disk size cannot be reduced from {existing['properties']['diskSizeGB']} "
                    f"GB to {size_gb} GB.",
                )
            source: dict[str, Any] | None = None
        else:
            option = creation_in.get("createOption")
            if not option:
                raise _invalid(
                    "Required parameter 'creationData.createOption' is missing (null).",
                    "creationData.createOption",
                )
            allowed = ("Empty", "Copy") if self.kind == "disks" else ("Copy",)
            if option.lower() not in [a.lower() for a in allowed]:
                raise _invalid(
                    f"The value '{option}' of parameter 'creationData.createOption' is not "
                    f"supported by the emulator for {self.kind}. Supported: " + ", ".join(allowed),
                    "creationData.createOption",
                )
            option = next(a for a in allowed if a.lower() == option.lower())
            source = None
            creation = {"createOption": option}
            if option == "Copy":
                source_id = creation_in.get("sourceResourceId") or ""
                if not source_id:
                    raise _invalid(
                        "Required parameter 'creationData.sourceResourceId' is missing (null).",
                        "creationData.sourceResourceId",
                    )
                source = self._source(ctx, source_id)
                creation["sourceResourceId"] = source["id"]
                creation["sourceUniqueId"] = source["properties"]["uniqueId"]
            size_gb = props_in.get("diskSizeGB")
            if size_gb is None and source is not None:
                size_gb = source["properties"]["diskSizeGB"]
            if size_gb is None:
                raise _invalid("Required parameter 'diskSizeGB' is missing (null).", "diskSizeGB")
        try:
            size_gb = int(size_gb)
        except (TypeError, ValueError):
            raise _invalid(
                f"The value '{size_gb}' of parameter 'diskSizeGB' is not valid.", "diskSizeGB"
            ) from None
        if size_gb < 1 or size_gb > 65536:
            raise _invalid(
                f"The value '{size_gb}' of parameter 'diskSizeGB' is out of range. The value "
                "must be between '1' and '65536', inclusive.",
                "diskSizeGB",
            )
        if source is not None and size_gb < int(source["properties"]["diskSizeGB"]):
            raise _invalid(
                f"Disk size {size_gb} GB is smaller than the size of the source "
                f"{source['properties']['diskSizeGB']} GB.",
                "diskSizeGB",
            )

        rid = provider_id(ctx, rg, NAMESPACE, self.kind, name)
        props: dict[str, Any] = {}
        if existing is not None:
            props.update(existing["properties"])
            rid = existing["id"]
            name = existing["name"]
        props["creationData"] = creation
        props["diskSizeGB"] = size_gb
        props["diskSizeBytes"] = size_gb * GIB
        props.setdefault("uniqueId", str(uuid.uuid4()))
        props.setdefault("timeCreated", iso(ctx.clock.now()))
        props.setdefault("diskState", "Unattached")
        props.setdefault("encryption", {"type": "EncryptionAtRestWithPlatformKey"})
        props.setdefault("networkAccessPolicy", "AllowAll")
        props.setdefault("publicNetworkAccess", "Enabled")
        if self.kind == "disks":
            props.pop("tier", None)
            props.update(_perf(sku_name, size_gb))
            if sku_name in SLOW_COPY_SKUS:
                # Ultra and Premium SSD v2 take the provisioned IOPS/MBps from the request.
                for key in ("diskIOPSReadWrite", "diskMBpsReadWrite"):
                    value = props_in.get(key)
                    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                        props[key] = value
        else:
            incremental = bool(
                props_in.get("incremental", existing["properties"].get("incremental"))
                if existing
                else props_in.get("incremental", False)
            )
            props["incremental"] = incremental
            if incremental and existing is None:
                # The background copy (learn.microsoft.com disks-instant-access-snapshots):
                # every incremental snapshot reports completionPercent rising to 100; only
                # snapshots of Ultra / Premium SSD v2 disks are unusable ("Pending") until then.
                props["completionPercent"] = 0.0
                source_sku = (source or {}).get("sku", {}).get("name", "")
                if source_sku in SLOW_COPY_SKUS:
                    props["snapshotAccessState"] = "Pending"
            if incremental and "incrementalSnapshotFamilyId" not in props:
                family = None
                if source is not None:
                    family = source["properties"].get("incrementalSnapshotFamilyId")
                    if family is None:
                        family = str(
                            uuid.uuid5(uuid.NAMESPACE_URL, source["properties"]["uniqueId"])
                        )
                props["incrementalSnapshotFamilyId"] = family or str(uuid.uuid4())
        resource: dict[str, Any] = {
            "id": rid,
            "name": name,
            "type": self.type_name,
            "location": location,
        }
        tags = body.get("tags") if "tags" in body else (existing or {}).get("tags")
        if tags:
            resource["tags"] = dict(tags)
        zones = body.get("zones") or (existing or {}).get("zones")
        if zones:
            resource["zones"] = list(zones)
        resource["sku"] = {"name": sku_name, "tier": self.skus[sku_name]}
        if self.kind == "disks":
            resource["managedBy"] = (existing or {}).get("managedBy")
        resource["properties"] = props
        return resource

    # --- REST ---------------------------------------------------------------------

    def _rid(self, ctx: EmulatorContext, p: dict[str, str]) -> str:
        return provider_id(ctx, p["rg"], NAMESPACE, self.kind, p["name"])

    def _location(self, ctx: EmulatorContext, resource: dict[str, Any]) -> str:
        return str(resource.get("location") or ctx.location).replace(" ", "").lower()

    def _validate_name(self, name: str) -> None:
        if not (1 <= len(name) <= 80) or not all(c.isalnum() or c in "_.-" for c in name):
            raise ArmError(
                400,
                "InvalidResourceName",
                f"Resource name {name} is invalid. The name can be up to 80 characters long. "
                "It must begin with a word character, and it must end with a word character "
                "or with '_'. The name may contain word characters or '.', '-', '_'.",
            )

    def put(self, ctx: EmulatorContext, req: Request, p: dict[str, str]) -> Response:
        check_subscription(ctx, p["sub"])
        self._validate_name(p["name"])
        body = req.json() or {}
        return self._write(ctx, req, p, "PUT", lambda _existing: body)

    def patch(self, ctx: EmulatorContext, req: Request, p: dict[str, str]) -> Response:
        check_subscription(ctx, p["sub"])
        body = req.json() or {}
        if not isinstance(body, dict):
            raise ArmError(400, "InvalidRequestContent", "The request content was invalid.")

        def merged(existing: dict[str, Any] | None) -> dict[str, Any]:
            if existing is None:
                raise not_found(self.type_name, p["name"], p["rg"])
            out: dict[str, Any] = {"location": existing["location"]}
            out["tags"] = body["tags"] if "tags" in body else existing.get("tags")
            if body.get("sku"):
                out["sku"] = body["sku"]
            out["properties"] = body.get("properties") or {}
            return out

        return self._write(ctx, req, p, "PATCH", merged)

    def _write(
        self,
        ctx: EmulatorContext,
        req: Request,
        p: dict[str, str],
        method: str,
        body_for: Callable[[dict[str, Any] | None], Any],
    ) -> Response:
        """PUT/PATCH: store the resource ``Updating`` and start the LRO that finishes it.

        ``body_for(existing)`` is the PUT-shaped body to build from. An LRO that ends
        Failed (fault injection) does not leave the write applied (``failed_write``).
        """
        with ctx.store.lock:
            require_rg(ctx, p["rg"], for_write=True)
            rid = self._rid(ctx, p)
            existing = ctx.store.get(ARM_NS, rid)
            resource = self._build(ctx, p["rg"], p["name"], body_for(existing), existing)
            resource["properties"]["provisioningState"] = "Updating"
            rid = resource["id"]
            ctx.store.put(ARM_NS, rid, resource)
            echo = accepted_body(resource, body_for(existing))
        _, headers = start_lro(
            ctx,
            req,
            duration=PROVISION_SECONDS[self.kind] if existing is None else UPDATE_SECONDS,
            namespace=NAMESPACE,
            location=self._location(ctx, resource),
            kind="DiskOperations",
            monitor_style=True,
            finish=lambda: set_provisioning_state(ctx, rid, "Succeeded"),
            on_error=failed_write(ctx, rid, existing),
            resource_id=rid,
        )
        return Response(202, echo, headers)

    def get(self, ctx: EmulatorContext, req: Request, p: dict[str, str]) -> Response:
        check_subscription(ctx, p["sub"])
        require_rg(ctx, p["rg"])
        rid = self._rid(ctx, p)
        resource = ctx.store.get(ARM_NS, rid)
        if not isinstance(resource, dict):
            raise not_found(self.type_name, p["name"], p["rg"])
        return Response(200, live_copy_state(ctx, resource))

    def delete_route(self, ctx: EmulatorContext, req: Request, p: dict[str, str]) -> Response:
        check_subscription(ctx, p["sub"])
        with ctx.store.lock:
            require_rg(ctx, p["rg"], for_write=True)
            rid = self._rid(ctx, p)
            existing = ctx.store.get(ARM_NS, rid)
            if existing is None:
                return Response(204)
            if existing.get("managedBy"):
                raise ArmError(
                    409,
                    "OperationNotAllowed",
                    f"Disk {existing['name']} is attached to VM {existing['managedBy']}.",
                )
            rid = existing["id"]
            location = self._location(ctx, existing)

        def finish() -> None:
            self.delete(ctx, rid)

        _, headers = start_lro(
            ctx,
            req,
            duration=DELETE_SECONDS,
            namespace=NAMESPACE,
            location=location,
            kind="DiskOperations",
            monitor_style=True,
            finish=finish,
            resource_id=rid,
        )
        return Response(202, None, headers)

    def list_rg(self, ctx: EmulatorContext, req: Request, p: dict[str, str]) -> Response:
        check_subscription(ctx, p["sub"])
        require_rg(ctx, p["rg"])
        prefix = provider_id(ctx, p["rg"], NAMESPACE, self.kind, "")
        return _live_page(ctx, paged_store(ctx, req, prefix, of_type(self.type_name)))

    def list_sub(self, ctx: EmulatorContext, req: Request, p: dict[str, str]) -> Response:
        check_subscription(ctx, p["sub"])
        prefix = f"/subscriptions/{ctx.subscription_id}/resourceGroups/"
        return _live_page(ctx, paged_store(ctx, req, prefix, of_type(self.type_name)))


def register(ctx: EmulatorContext) -> None:
    for kind in ("disks", "snapshots"):
        impl = DiskLikeType(kind)
        ctx.resource_types[impl.type_name.lower()] = impl
        one = f"/subscriptions/{{sub}}/resourceGroups/{{rg}}/providers/{NAMESPACE}/{kind}/{{name}}"
        many_rg = f"/subscriptions/{{sub}}/resourceGroups/{{rg}}/providers/{NAMESPACE}/{kind}"
        many_sub = f"/subscriptions/{{sub}}/providers/{NAMESPACE}/{kind}"

        def bind(fn: Any) -> Any:
            return lambda req, p: fn(ctx, req, p)

        ctx.router.add("PUT", one, bind(impl.put))
        ctx.router.add("PATCH", one, bind(impl.patch))
        ctx.router.add("GET", one, bind(impl.get))
        ctx.router.add("DELETE", one, bind(impl.delete_route))
        ctx.router.add("GET", many_rg, bind(impl.list_rg))
        ctx.router.add("GET", many_sub, bind(impl.list_sub))
