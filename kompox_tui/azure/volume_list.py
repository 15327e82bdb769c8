"""Listing one volume's disks or snapshots from raw JSON pages.

Lists page through ``list_by_resource_group``'s URL with the compute client's own
pipeline (``send_request``: same retry policy, ApiCallEvents, transport timeout) and read
the JSON pages directly -- the first request from the SDK's own request builder, then
``nextLink`` verbatim, as the generated pager does -- so no SDK model is built per item
(~0.4 ms each; with 10,000 items the worker held the GIL for seconds and stalled the UI).
A non-200 page is raised as the generated code raises it (``map_error``, then
``HttpResponseError`` with ``ARMErrorFormat``). Which items belong to the volume is
:mod:`.volume_records`' job.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceNotFoundError,
    ResourceNotModifiedError,
    map_error,
)
from azure.core.rest import HttpRequest
from azure.mgmt.core.exceptions import ARMErrorFormat

from .. import naming
from .deadline import Deadline
from .volume_errors import is_rg_missing
from .volume_records import (
    _R,
    DiskRecord,
    SnapshotRecord,
    VolumeContext,
    disk_from_item,
    snapshot_from_item,
    sort_newest_first,
)

if TYPE_CHECKING:
    from .clients import AzureClients

#: The generated ``list_by_resource_group``'s error map (compute 39).
_LIST_ERROR_MAP: dict[int, type[HttpResponseError]] = {
    401: ClientAuthenticationError,
    404: ResourceNotFoundError,
    409: ResourceExistsError,
    304: ResourceNotModifiedError,
}


def list_volume_items(
    clients: AzureClients,
    first_request: Callable[..., HttpRequest],
    parse: Callable[[Mapping[str, Any], VolumeContext], _R | None],
    ctx: VolumeContext,
    deadline: Deadline,
) -> list[_R] | None:
    """The volume's disks or snapshots (the SDK's ``first_request`` builder + its
    ``parse``), newest first; None when the resource group does not exist."""
    compute = clients.compute()
    request = first_request(
        resource_group_name=ctx.resource_group,
        subscription_id=compute._config.subscription_id,
    )
    timeout = deadline.remaining()
    found: list[_R] = []
    append = found.append
    key = ctx.names.volume_tag
    tag_volume = naming.TAG_VOLUME
    while True:
        response = compute.send_request(request, timeout=timeout)
        if response.status_code != 200:
            try:
                map_error(response.status_code, response, _LIST_ERROR_MAP)
                raise HttpResponseError(response=response, error_format=ARMErrorFormat)
            except ResourceNotFoundError as exc:
                if is_rg_missing(exc):
                    return None
                raise
        body = response.json()
        for item in body.get("value") or ():
            # Cheap pre-filter on the raw JSON (every layout tags the volume);
            # the layout's full recognition only for survivors.
            try:
                if item["tags"].get(tag_volume) != key:
                    continue
            except (KeyError, TypeError, AttributeError):
                continue
            record = parse(item, ctx)
            if record is not None:
                append(record)
        deadline.remaining()
        next_link = body.get("nextLink")
        if not next_link:
            return sort_newest_first(found)
        request = HttpRequest("GET", next_link)


def list_disks(
    clients: AzureClients, ctx: VolumeContext, deadline: Deadline
) -> list[DiskRecord] | None:
    """The volume's disks, newest first; None when the resource group does not exist."""
    from azure.mgmt.compute.operations._operations import (
        build_disks_list_by_resource_group_request,
    )

    return list_volume_items(
        clients, build_disks_list_by_resource_group_request, disk_from_item, ctx, deadline
    )


def list_snapshots(
    clients: AzureClients, ctx: VolumeContext, deadline: Deadline
) -> list[SnapshotRecord] | None:
    """The volume's snapshots, newest first; None when the resource group does not exist."""
    from azure.mgmt.compute.operations._operations import (
        build_snapshots_list_by_resource_group_request,
    )

    return list_volume_items(
        clients, build_snapshots_list_by_resource_group_request, snapshot_from_item, ctx, deadline
    )
