"""Creating a volume's disks and snapshots: new disk, restore from a snapshot, snapshot of
a disk; the app resource group and the cluster identity's Contributor grant they may need.

Functions over a :class:`~kompox_tui.azure.volumes.VolumeOps` (its clients, layout, limits
and progress events); ``VolumeOps`` keeps thin delegations.

* **Create** sends ``If-None-Match: *`` so an existing disk of the same name is never
  overwritten (Azure answers 412; some servers 409). Both are a
  :class:`~kompox_tui.errors.ConflictError`, except for one case: azure-core retries a
  PUT after a dropped connection or a 5xx, and when the server had in fact applied the
  first attempt the retry meets our own disk. The name holds a ULID generated for this
  call, so the existing resource is read back and adopted only if it is exactly the
  resource we asked for (same kompox tags, SKU and source); anything else is a conflict
  and the name is never retried. (A per-call ``raw_request_hook`` could tell retries
  apart, but the shared clients replace azure-core's CustomHookPolicy, so the option
  would reach the transport; the comparison needs no pipeline cooperation.)
"""

from __future__ import annotations

import time
import uuid
from dataclasses import replace
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from azure.core.exceptions import AzureError as SdkAzureError
from azure.core.exceptions import HttpResponseError
from azure.core.rest import HttpRequest
from azure.mgmt.core.exceptions import ARMErrorFormat

from .. import naming
from ..errors import AzureError, ConfigError, ConflictError, NotFoundError, PreconditionError
from ..layouts import DiskSpec
from ..model import VolumeDisk, VolumeSnapshot
from .deadline import Deadline
from .volume_errors import error_code, is_conflict, is_precondition_failed, to_kompox_error
from .volume_records import (
    DiskRecord,
    VolumeContext,
    _raw,
    _user_ulid,
    disk_from_item,
    snapshot_from_item,
)

if TYPE_CHECKING:
    from .volumes import VolumeOps

#: Built-in Contributor role (the same UUID in every tenant).
CONTRIBUTOR_ROLE_ID = "b24988ac-6180-42a0-ab88-20f7382dd24c"
#: The deployment output holding the AKS cluster's system-assigned identity.
OUTPUT_CLUSTER_PRINCIPAL_ID = "AZURE_AKS_CLUSTER_PRINCIPAL_ID"
DEPLOYMENTS_API_VERSION = "2024-03-01"
ROLE_ASSIGNMENTS_API_VERSION = "2022-04-01"


def ensure_resource_group(ops: VolumeOps, ctx: VolumeContext, deadline: Deadline) -> str:
    """Create (or update) the app RG with the layout's tags; its ARM id."""
    location = ctx.location
    if not location:
        raise ConfigError(
            "creating the resource group needs a location",
            file=str(ops.config.path),
            key="provider.settings.AZURE_LOCATION",
        )
    group = ops.clients.resources().resource_groups.create_or_update(
        ctx.resource_group,
        {"location": location, "tags": ops.layout.app_resource_group_tags()},
        timeout=deadline.remaining(),
    )
    rg_id = _raw(group).get("id") if group is not None else None
    if isinstance(rg_id, str) and rg_id:
        return rg_id
    sub = ops.clients.compute()._config.subscription_id
    return f"/subscriptions/{sub}/resourceGroups/{ctx.resource_group}"


def prepare_app_rg(
    ops: VolumeOps,
    op: str,
    ctx: VolumeContext,
    deadline: Deadline,
    started: float,
    *,
    missing: bool,
) -> None:
    """Before a disk or snapshot create: the guide creates the app RG only when it is
    missing; a layout with ``ensure_app_rg_on_create`` (kompoxops) creates-or-updates
    it every time and grants the cluster's identity Contributor on it."""
    if not (missing or ops.layout.ensure_app_rg_on_create):
        return
    rg_id = ensure_resource_group(ops, ctx, deadline)
    if missing:
        ops._info(op, f"created resource group {ctx.resource_group}", started)
    if ops.layout.grants_cluster_role_on_app_rg:
        grant_cluster_contributor(ops, op, ctx, rg_id, deadline, started)


def cluster_principal_id(ops: VolumeOps, deadline: Deadline) -> str | None:
    """``AZURE_AKS_CLUSTER_PRINCIPAL_ID`` from the cluster's subscription deployment
    outputs (keys read upper-cased, as kompoxops does); None when not readable."""
    target = ops.layout.provisioning_object()
    if target.kind != "deployment":
        return None
    resources = ops.clients.resources()
    sub = ops.clients.compute()._config.subscription_id
    request = HttpRequest(
        "GET",
        f"/subscriptions/{sub}/providers/Microsoft.Resources/deployments/"
        f"{quote(target.name, safe='')}",
        params={"api-version": DEPLOYMENTS_API_VERSION},
    )
    try:
        response = resources.send_request(request, timeout=deadline.remaining())
        if response.status_code != 200:
            return None
        outputs = (response.json().get("properties") or {}).get("outputs") or {}
        values = {str(k).upper(): v.get("value") for k, v in outputs.items() if isinstance(v, dict)}
    except (SdkAzureError, ValueError, AttributeError, TypeError):
        return None  # kompoxops skips the grant when the outputs cannot be read
    principal = values.get(OUTPUT_CLUSTER_PRINCIPAL_ID)
    return principal.strip() if isinstance(principal, str) and principal.strip() else None


def grant_cluster_contributor(
    ops: VolumeOps, op: str, ctx: VolumeContext, rg_id: str, deadline: Deadline, started: float
) -> None:
    """Contributor on the app RG for the AKS cluster's system identity (kompoxops's
    ``ensureAzureRole``: a random assignment name, principalType ServicePrincipal; 409 /
    ``RoleAssignmentExists`` counts as success). Without readable deployment outputs
    the grant is skipped, as kompoxops skips it -- but said, not silent."""
    principal = cluster_principal_id(ops, deadline)
    if principal is None:
        ops._info(
            op,
            f"cluster deployment '{ops.layout.provisioning_object().name}' has no readable "
            f"{OUTPUT_CLUSTER_PRINCIPAL_ID} output: Contributor on {ctx.resource_group} "
            "not granted to the cluster identity",
            started,
        )
        return
    sub = ops.clients.compute()._config.subscription_id
    body = {
        "properties": {
            "roleDefinitionId": f"/subscriptions/{sub}/providers/"
            f"Microsoft.Authorization/roleDefinitions/{CONTRIBUTOR_ROLE_ID}",
            "principalId": principal,
            "principalType": "ServicePrincipal",
        }
    }
    request = HttpRequest(
        "PUT",
        f"{rg_id}/providers/Microsoft.Authorization/roleAssignments/{uuid.uuid4()}",
        params={"api-version": ROLE_ASSIGNMENTS_API_VERSION},
        json=body,
    )
    response = ops.clients.resources().send_request(request, timeout=deadline.remaining())
    if response.status_code in (200, 201):
        ops._info(op, f"granted Contributor on {ctx.resource_group} to the cluster", started)
        return
    error = HttpResponseError(response=response, error_format=ARMErrorFormat)
    if response.status_code == 409 or error_code(error) == "RoleAssignmentExists":
        return
    raise error


def put_new(
    ops: VolumeOps,
    operations: Any,
    ctx: VolumeContext,
    azure_name: str,
    body: dict[str, Any],
    deadline: Deadline,
    what: str,
) -> Any:
    """PUT a new disk or snapshot (``If-None-Match: *``, which real Compute ignores)
    and wait for it.

    A 409/412 is Azure's own refusal, quoted as Azure gave it, with one exception: the
    name was generated for this call, so if a resource of that name now exists, the
    only realistic owner is this very call (azure-core retried the PUT after the server
    had accepted the first attempt). It is adopted only if it is exactly what we asked
    for (kompox tags, SKU, source); a foreign one is a ConflictError that says so and
    quotes Azure's reason, and the name is never retried. No name clash is *guessed*:
    without a resource of that name the error is Azure's (e.g. an unusable source).
    """
    try:
        poller = operations.begin_create_or_update(
            ctx.resource_group,
            azure_name,
            body,
            headers={"If-None-Match": "*"},
            **ops._lro_kwargs(),
        )
    except HttpResponseError as exc:
        if not (is_conflict(exc) or is_precondition_failed(exc)):
            raise
        existing = ops._get_or_none(operations, ctx, azure_name, deadline)
        if existing is None:
            raise  # Azure's reason, not ours to reinterpret
        if _same_resource(existing, body):
            return wait_provisioned(ops, operations, ctx, azure_name, deadline)
        azure = to_kompox_error(f"{what} create", exc)
        reason = azure.azure_message if isinstance(azure, AzureError) else azure.message
        raise ConflictError(
            f"cannot create {what} '{azure_name}' in resource group "
            f"'{ctx.resource_group}': another resource with that name already exists "
            f"and was not changed (Azure: {error_code(exc) or exc.status_code}: {reason})",
            hint="refresh the list; the next create picks a new name",
        ) from exc
    return ops._wait(poller, deadline)


def wait_provisioned(
    ops: VolumeOps, operations: Any, ctx: VolumeContext, azure_name: str, deadline: Deadline
) -> Any:
    delay = 0.05
    while True:
        existing = operations.get(ctx.resource_group, azure_name, timeout=deadline.remaining())
        state = str((existing.get("properties") or {}).get("provisioningState") or "")
        if state.lower() in ("succeeded", ""):
            return existing
        if state.lower() in ("failed", "canceled"):
            raise AzureError(
                f"create {azure_name}",
                code=state,
                message=f"provisioningState is {state}",
            )
        time.sleep(min(delay, deadline.remaining()))
        delay = min(delay * 2, ops.polling_interval or 2.0)


def create_disk(
    ops: VolumeOps,
    operation: str,
    ctx: VolumeContext,
    azure_name: str,
    body: dict[str, Any],
    deadline: Deadline,
) -> DiskRecord:
    """PUT a new disk (see ``_put_new``) and read it back as a record of the volume."""
    result = put_new(ops, ops.clients.compute().disks, ctx, azure_name, body, deadline, "disk")
    record = disk_from_item(result, ctx)
    if record is None:
        raise AzureError(operation, code="UnexpectedResponse", message="no disk in the response")
    return record


def disk_create(ops: VolumeOps, volume: str) -> VolumeDisk:
    op = "disk create"
    ctx, deadline, started = ops._begin(op, volume, write=True)

    def run() -> VolumeDisk:
        existing = ops._list_disks(ctx, deadline)
        prepare_app_rg(ops, op, ctx, deadline, started, missing=existing is None)
        first = not existing and ctx.names.first_disk_assigned
        ulid = ops._new_name(ctx)
        azure_name = ctx.names.resource_name("disk", ulid)
        body = _disk_body(
            ctx.names.new_disk_spec(),
            ctx.location,
            ctx.names.disk_tags(ulid, assigned=first),
            {"createOption": "Empty"},
        )
        record = create_disk(ops, op, ctx, azure_name, body, deadline)
        ops._info(op, f"created disk {ulid} ({azure_name})", started)
        disk = record.disk
        if first:
            # Two first-disk creates can race; settle on one assigned disk.
            winner = ops._settle(ctx, deadline, disk.name)
            if winner is not None and winner != disk.name:
                disk = _replace_assigned(disk, False)
        return disk

    return ops._run(op, run, deadline)


def snapshot_restore(ops: VolumeOps, volume: str, snap_name: str) -> VolumeDisk:
    op = "snapshot restore"
    ctx, deadline, started = ops._begin(op, volume, write=True)
    snap_name = _user_ulid(snap_name, "snapshot", ctx)

    def run() -> VolumeDisk:
        snaps = ops._list_snapshots(ctx, deadline) or []
        snap = next((s for s in snaps if s.snapshot.name == snap_name), None)
        if snap is None:
            raise NotFoundError(
                f"snapshot '{snap_name}' of volume '{ctx.volume.name}' not found in "
                f"resource group '{ctx.resource_group}'",
                hint="refresh the snapshot list",
            )
        _refuse_unusable_snapshot(snap.snapshot)
        prepare_app_rg(ops, op, ctx, deadline, started, missing=False)
        ulid = ops._new_name(ctx)
        azure_name = ctx.names.resource_name("disk", ulid)
        body = _disk_body(
            ctx.names.restore_disk_spec(snap.snapshot.size_gib),
            snap.location or ctx.location,
            ctx.names.disk_tags(ulid, assigned=False, restored_from=snap.snapshot.name),
            {"createOption": "Copy", "sourceResourceId": snap.snapshot.resource_id},
        )
        record = create_disk(ops, op, ctx, azure_name, body, deadline)
        ops._info(op, f"restored snapshot {snap_name} into disk {ulid}", started)
        return record.disk

    return ops._run(op, run, deadline)


def snapshot_create(ops: VolumeOps, volume: str, disk_name: str | None = None) -> VolumeSnapshot:
    op = "snapshot create"
    ctx, deadline, started = ops._begin(op, volume, write=True)
    if disk_name is not None:
        disk_name = _user_ulid(disk_name, "disk", ctx)

    def run() -> VolumeSnapshot:
        disks = ops._list_disks(ctx, deadline) or []
        if disk_name is None:
            assigned = [d for d in disks if d.disk.assigned]
            if not assigned:
                raise PreconditionError(
                    f"volume '{ctx.volume.name}' has no assigned disk to snapshot",
                    hint="choose a disk explicitly, or assign one first",
                )
            if len(assigned) > 1:
                names = ", ".join(d.disk.name for d in assigned)
                raise PreconditionError(
                    f"volume '{ctx.volume.name}' has {len(assigned)} assigned disks "
                    f"({names}); cannot tell which one to snapshot",
                    hint="choose a disk explicitly, or repair the volume with assign",
                )
            source = assigned[0]
        else:
            found = next((d for d in disks if d.disk.name == disk_name), None)
            if found is None:
                raise NotFoundError(
                    f"disk '{disk_name}' of volume '{ctx.volume.name}' not found in "
                    f"resource group '{ctx.resource_group}'",
                    hint="refresh the disk list",
                )
            source = found
        prepare_app_rg(ops, op, ctx, deadline, started, missing=False)
        ulid = ops._new_name(ctx)
        azure_name = ctx.names.resource_name("snapshot", ulid)
        spec = ctx.names.snapshot_spec()
        props: dict[str, Any] = {
            "creationData": {
                "createOption": "Copy",
                "sourceResourceId": source.disk.resource_id,
            },
        }
        if spec.incremental is not None:
            props["incremental"] = spec.incremental
        body: dict[str, Any] = {
            "location": spec.location or source.location or ctx.location,
            "tags": ctx.names.snapshot_tags(ulid, source_disk=source.disk.name),
            "properties": props,
        }
        if spec.sku is not None:
            body["sku"] = {"name": spec.sku}
        compute = ops.clients.compute()
        result = put_new(ops, compute.snapshots, ctx, azure_name, body, deadline, "snapshot")
        record = snapshot_from_item(result, ctx)
        if record is None:
            raise AzureError(op, code="UnexpectedResponse", message="no snapshot in the response")
        ops._info(op, f"snapshot {ulid} of disk {source.disk.name} created", started)
        return record.snapshot

    return ops._run(op, run, deadline)


# --- body builders and checks (pure) ------------------------------------------------------


def _replace_assigned(disk: VolumeDisk, assigned: bool) -> VolumeDisk:
    return replace(disk, assigned=assigned)


def _same_resource(existing: Any, body: dict[str, Any]) -> bool:
    """True when ``existing`` is exactly the disk or snapshot ``body`` asks for (its kompox
    tags except the assigned flag, its SKU when one was sent, its creation source)."""
    tags = existing.get("tags") or {}
    want_tags = body["tags"]
    if any(tags.get(k) != v for k, v in want_tags.items() if k != naming.TAG_DISK_ASSIGNED):
        return False
    sku = (existing.get("sku") or {}).get("name")
    want_sku = (body.get("sku") or {}).get("name")
    if want_sku is not None and sku != want_sku:
        return False
    have = (existing.get("properties") or {}).get("creationData") or {}
    want = body["properties"]["creationData"]
    return bool(
        have.get("createOption") == want.get("createOption")
        and (have.get("sourceResourceId") or "").lower()
        == (want.get("sourceResourceId") or "").lower()
    )


def _disk_body(
    spec: DiskSpec, location: str, tags: dict[str, str], creation: dict[str, Any]
) -> dict[str, Any]:
    """The PUT body of a new disk from the layout's spec (size 0: Azure takes the
    source's size)."""
    props: dict[str, Any] = {"creationData": creation}
    if spec.size_gib > 0:
        props["diskSizeGB"] = spec.size_gib
    if spec.iops is not None:
        props["diskIOPSReadWrite"] = spec.iops
    if spec.mbps is not None:
        props["diskMBpsReadWrite"] = spec.mbps
    body: dict[str, Any] = {
        "location": spec.location or location,
        "tags": tags,
        "sku": {"name": spec.sku},
        "properties": props,
    }
    if spec.zone:
        body["zones"] = [spec.zone]
    return body


def _refuse_unusable_snapshot(snap: VolumeSnapshot) -> None:
    """Refuse, before any call, a restore that Azure would refuse, with Azure's reason: the
    source snapshot failed or is still being provisioned, or it is not yet usable as a
    copy source (``snapshotAccessState`` Pending: an Ultra / Premium SSD v2 snapshot whose
    background copy is below 100 %). Other incremental snapshots are instant access:
    Azure copies from them while their background copy runs, so they are not refused."""
    if snap.failed:
        raise PreconditionError(
            f"snapshot '{snap.name}' failed (provisioningState Failed): Azure cannot create "
            "a disk from a snapshot that holds no data",
            hint="delete it and take a new snapshot of the disk",
        )
    state = snap.provisioning_state or "Succeeded"
    if state.lower() != "succeeded":
        raise PreconditionError(
            f"snapshot '{snap.name}' is still being provisioned (provisioningState {state}): "
            "Azure refuses it as a copy source until it has succeeded",
            hint="wait until the list shows it Succeeded, then restore",
        )
    if snap.copying and (snap.access_state or "").lower() == "pending":
        raise PreconditionError(
            f"snapshot '{snap.name}' cannot be used to create a disk until its background "
            f"copy completes (completionPercent {snap.completion_percent:g} %, "
            "snapshotAccessState Pending)",
            hint="wait until the list shows 100 %, then restore",
        )
