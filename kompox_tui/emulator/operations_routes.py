"""Operation status routes the SDK polls.

- ``GET /subscriptions/S/providers/Microsoft.Compute/locations/{loc}/DiskOperations/{id}``:
  Azure-AsyncOperation body (200, ``status`` InProgress/Succeeded/Failed + ``error``).
  With ``monitor=true`` (the ``Location`` URL): 202 without body while running, then 200
  with the resource (after PUT/PATCH) or 200 without body (after DELETE); a failed
  operation answers its error status and ARM error body.
- ``GET /subscriptions/S/providers/Microsoft.ContainerService/locations/{loc}/operations/{id}``
  (async body) and ``.../operationresults/{id}`` (Location semantics).
- ``GET /subscriptions/S/operationresults/{id}`` (resource-group and stack deletion
  ``Location``): 202 + ``Location`` + ``Retry-After`` while running, 200 when done.

Every running response carries ``Retry-After`` (one emulated second).
"""

from __future__ import annotations

from .common import ARM_NS, check_subscription, retry_after
from .core import ArmError, EmulatorContext, Handler, Operation, Request, Response


def _op(ctx: EmulatorContext, op_id: str) -> Operation:
    op = ctx.operations.get(op_id)
    if op is None:
        raise ArmError(404, "OperationNotFound", f"The operation '{op_id}' could not be found.")
    return op


def _location_response(ctx: EmulatorContext, req: Request, op: Operation) -> Response:
    if not op.done:
        url = f"{req.base_url}{req.path}"
        if req.query:
            from urllib.parse import urlencode

            url += "?" + urlencode(req.query)
        return Response(202, None, {"Location": url, "Retry-After": retry_after(ctx)})
    if op.status == "Failed" and op.error is not None:
        err = op.error
        status = err.status if err.status >= 400 else 500
        return Response(status, {"error": err.error_body()})
    if op.resource_id:
        resource = ctx.store.get(ARM_NS, op.resource_id)
        if isinstance(resource, dict):
            from .compute import live_copy_state  # the snapshot copy progresses on reads

            return Response(200, live_copy_state(ctx, resource))
    return Response(200, None)


def async_status_handler(ctx: EmulatorContext) -> Handler:
    """A route handler answering an ``Azure-AsyncOperation`` URL ending in ``/{id}``
    (``{sub}`` and ``{id}`` route parameters) from ``ctx.operations``; with
    ``monitor=true`` it answers with ``Location`` semantics. Other modules (stacks) can
    register it for their own operation URL shapes."""

    def handler(req: Request, p: dict[str, str]) -> Response:
        check_subscription(ctx, p["sub"])
        op = _op(ctx, p["id"])
        if (req.q("monitor") or "").lower() == "true":
            return _location_response(ctx, req, op)
        body = ctx.operations.status_body(op)
        body["id"] = req.path
        headers = {} if op.done else {"Retry-After": retry_after(ctx)}
        return Response(200, body, headers)

    return handler


def location_status_handler(ctx: EmulatorContext) -> Handler:
    """A route handler for a ``Location`` monitor URL ending in ``/{id}``: 202 (no body,
    ``Location`` + ``Retry-After``) while running; 200 with the resource (or empty) when
    done; the error status and ARM error body when failed."""

    def handler(req: Request, p: dict[str, str]) -> Response:
        check_subscription(ctx, p["sub"])
        return _location_response(ctx, req, _op(ctx, p["id"]))

    return handler


def register(ctx: EmulatorContext) -> None:
    async_status = async_status_handler(ctx)
    location_status = location_status_handler(ctx)

    ctx.router.add(
        "GET",
        "/subscriptions/{sub}/providers/Microsoft.Compute/locations/{loc}/DiskOperations/{id}",
        async_status,
    )
    ctx.router.add(
        "GET",
        "/subscriptions/{sub}/providers/Microsoft.ContainerService/locations/{loc}/operations/{id}",
        async_status,
    )
    ctx.router.add(
        "GET",
        "/subscriptions/{sub}/providers/Microsoft.ContainerService/locations/{loc}/operationresults/{id}",
        location_status,
    )
    ctx.router.add("GET", "/subscriptions/{sub}/operationresults/{id}", location_status)
