"""The full ARM document of one disk or snapshot, for the describe view.

One GET through the compute client's pipeline (same retry policy, ApiCallEvents
and timeout as the lists) and the wire JSON as Azure sent it: the describe view
shows what Azure says, not our model of it. Called only when the user asks.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import KompoxError, NotFoundError
from .clients import AzureClients
from .errors_map import map_error

_ID = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/"
    r"Microsoft\.Compute/(?P<type>disks|snapshots)/(?P<name>[^/]+)$",
    re.IGNORECASE,
)

#: Seconds one describe GET may take (the lists use the same order of magnitude).
TIMEOUT = 30.0


def resource_json(clients: AzureClients, resource_id: str) -> dict[str, Any]:
    """GET the disk or snapshot ``resource_id``; raises the project's typed errors."""
    operation = "describe"
    match = _ID.match(resource_id)
    if match is None:
        raise NotFoundError(
            f"{operation}: {resource_id!r} is not a managed disk or snapshot id",
            hint="describe works on the rows of the Disks and Snapshots tables",
        )
    from azure.core.exceptions import HttpResponseError
    from azure.mgmt.compute.operations._operations import (
        build_disks_get_request,
        build_snapshots_get_request,
    )

    compute = clients.compute()
    if match["type"].lower() == "disks":
        request = build_disks_get_request(
            resource_group_name=match["rg"], disk_name=match["name"], subscription_id=match["sub"]
        )
    else:
        request = build_snapshots_get_request(
            resource_group_name=match["rg"],
            snapshot_name=match["name"],
            subscription_id=match["sub"],
        )
    try:
        response = compute.send_request(request, timeout=TIMEOUT)
        if response.status_code != 200:
            raise HttpResponseError(response=response)
        body = response.json()
    except KompoxError:
        raise
    except Exception as exc:
        raise map_error(operation, exc, endpoint=clients.endpoint) from None
    return body if isinstance(body, dict) else {"value": body}


def provisioning_json(clients: AzureClients, kind: str, name: str) -> dict[str, Any]:
    """GET the cluster's deployment stack or subscription deployment, as Azure sent it."""
    operation = "describe"

    def wire(pipeline_response: Any, _deserialized: Any, _headers: Any) -> Any:
        # ``cls`` is the SDK's public hook for the raw response: the describe view shows
        # Azure's JSON, not the SDK's model of it.
        return pipeline_response.http_response.json()

    body: Any
    try:
        if kind == "stack":
            body = clients.stacks().deployment_stacks.get_at_subscription(
                name, cls=wire, timeout=TIMEOUT
            )
        else:
            body = clients.deployments().deployments.get_at_subscription_scope(
                name, cls=wire, timeout=TIMEOUT
            )
    except KompoxError:
        raise
    except Exception as exc:
        raise map_error(operation, exc, endpoint=clients.endpoint) from None
    return body if isinstance(body, dict) else {"value": body}
