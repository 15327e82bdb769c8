"""Helpers shared by the ARM resource modules: ids, subscription checks, paging,
LRO headers, conditional headers (If-Match for resources that have an ETag) and
resource-group lookups.

Other emulator modules (stacks) may use these too; they only depend on ``core``.
"""

from __future__ import annotations

import base64
import binascii
import copy
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode

from .core import (
    ArmError,
    EmulatorContext,
    Operation,
    Request,
    Response,
    injected_lro_error,
    rg_not_found,
)

ARM_NS = "arm"


def check_subscription(ctx: EmulatorContext, sub: str) -> None:
    if sub.lower() != ctx.subscription_id.lower():
        raise ArmError(404, "SubscriptionNotFound", f"The subscription '{sub}' could not be found.")


def rg_id(ctx: EmulatorContext, rg: str) -> str:
    return f"/subscriptions/{ctx.subscription_id}/resourceGroups/{rg}"


def get_rg(ctx: EmulatorContext, rg: str) -> dict[str, Any] | None:
    value = ctx.store.get(ARM_NS, rg_id(ctx, rg))
    return value if isinstance(value, dict) else None


def require_rg(ctx: EmulatorContext, rg: str, *, for_write: bool = False) -> dict[str, Any]:
    """The resource group record; 404 ResourceGroupNotFound when absent (or being deleted,
    for writes: 409 like Azure)."""
    found = get_rg(ctx, rg)
    if found is None:
        raise rg_not_found(rg)
    if for_write and found.get("properties", {}).get("provisioningState") == "Deleting":
        raise ArmError(
            409,
            "ResourceGroupBeingDeleted",
            f"The resource group '{found['name']}' is in deprovisioning state and cannot "
            "perform this operation.",
        )
    return found


def provider_id(ctx: EmulatorContext, rg: str, namespace: str, kind: str, name: str) -> str:
    return f"{rg_id(ctx, rg)}/providers/{namespace}/{kind}/{name}"


def api_version(req: Request) -> str:
    return req.q("api-version") or ""


def q(value: str) -> str:
    return quote(value, safe="")


# --- ETags (managed clusters: their eTag lives in the resource) --------------------------


def _strip(tag: str) -> str:
    tag = tag.strip()
    if tag.startswith("W/"):
        tag = tag[2:]
    return tag.strip('"')


def check_preconditions(
    req: Request, current_etag: str | None, exists: bool, *, method: str
) -> None:
    """Honour ``If-Match`` / ``If-None-Match`` (RPC "ETags for Resources").

    - If-Match on a missing resource: PUT -> 412; PATCH/DELETE -> the caller's 404.
    - If-Match mismatch -> 412 PreconditionFailed.
    - If-None-Match: * on an existing resource -> 412.
    """
    if_match = req.header("if-match")
    if if_match is not None and if_match.strip():
        if not exists:
            if method == "PUT":
                raise precondition_failed()
            return
        wanted = [_strip(t) for t in if_match.split(",")]
        if "*" not in wanted and (current_etag is None or current_etag not in wanted):
            raise precondition_failed()
    if_none = req.header("if-none-match")
    if if_none is not None and if_none.strip() and exists:
        wanted = [_strip(t) for t in if_none.split(",")]
        if "*" in wanted or (current_etag is not None and current_etag in wanted):
            raise precondition_failed()


def precondition_failed() -> ArmError:
    return ArmError(
        412,
        "PreconditionFailed",
        "The condition specified using HTTP conditional header(s) is not met.",
    )


# --- paging ----------------------------------------------------------------------------


def paged(ctx: EmulatorContext, req: Request, items: list[dict[str, Any]]) -> Response:
    """One page of ``items`` with an absolute ``nextLink`` carrying ``api-version``."""
    try:
        start = int(req.q("$skiptoken") or 0)
    except ValueError:
        raise ArmError(400, "InvalidParameter", "The $skiptoken is invalid.") from None
    size = max(1, ctx.page_size)
    page = items[start : start + size]
    body: dict[str, Any] = {"value": page}
    if start + size < len(items):
        body["nextLink"] = _next_link(req, str(start + size))
    return Response(200, body)


def _next_link(req: Request, token: str) -> str:
    params = {k: v for k, v in req.query.items() if k.lower() != "$skiptoken"}
    params["$skiptoken"] = token
    return f"{req.base_url}{quote(req.path)}?{urlencode(params, safe='$')}"


def paged_store(
    ctx: EmulatorContext,
    req: Request,
    prefix: str,
    where: Callable[[str, Any], bool],
) -> Response:
    """One page of the ARM resources under ``prefix`` that ``where(key, value)`` accepts.

    The ``$skiptoken`` is the (base64url) key of the previous page's last item, so a page
    costs a binary search plus the keys it walks, and only its own items are copied;
    resources created or deleted between pages do not shift later pages.
    """
    token = req.q("$skiptoken")
    after: str | None = None
    if token:
        try:
            padded = token + "=" * (-len(token) % 4)
            after = base64.b64decode(padded, altchars=b"-_", validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise ArmError(400, "InvalidParameter", "The $skiptoken is invalid.") from None
    page, more = ctx.store.page(
        ARM_NS, prefix, limit=max(1, ctx.page_size), after=after, where=where
    )
    body: dict[str, Any] = {"value": [value for _, value in page]}
    if more and page:
        last = base64.urlsafe_b64encode(page[-1][0].encode("utf-8")).decode("ascii")
        body["nextLink"] = _next_link(req, last.rstrip("="))
    return Response(200, body)


def of_type(type_name: str) -> Callable[[str, Any], bool]:
    """A ``paged_store`` filter: stored resources of one ARM type."""
    want = type_name.lower()
    return lambda _key, value: (
        isinstance(value, dict) and str(value.get("type", "")).lower() == want
    )


# --- LROs ------------------------------------------------------------------------------


def retry_after(ctx: EmulatorContext, *, initial: bool = False) -> str:
    """``Retry-After`` for one emulated second: ``1`` at speed 1, ``0.001`` at speed 1000.

    Never 0 (the SDK would fall back to its 30 s polling interval). On the *initial*
    response of an LRO it is always a whole number (>= 1): the generated SDK code
    deserializes that header as ``int`` (compute 39 fails on ``0.001``); the poller makes
    its first poll immediately anyway and later sleeps for the poll responses' value,
    which is speed-scaled and may be fractional (azure-core parses it as a float).
    """
    wall = ctx.clock.wall_seconds(1.0)
    if initial or wall >= 1:
        return str(max(1, round(wall)))
    return f"{max(wall, 0.001):.3f}".rstrip("0").rstrip(".")


def start_lro(
    ctx: EmulatorContext,
    req: Request,
    *,
    duration: float,
    namespace: str,
    location: str,
    kind: str = "operations",
    result_kind: str | None = None,
    monitor_style: bool = False,
    finish: Callable[[], None] | None = None,
    on_error: Callable[[ArmError], None] | None = None,
    resource_id: str | None = None,
) -> tuple[Operation, dict[str, str]]:
    """Start an LRO (with any fault-injected error) and return its polling headers.

    ``Azure-AsyncOperation``: ``<base>/subscriptions/S/providers/<ns>/locations/<loc>/<kind>/<id>``;
    ``Location``: the same URL with ``&monitor=true`` (``monitor_style``, the Compute way) or
    ``.../<result_kind>/<id>`` (the AKS way, ``operationresults``).
    """
    op = ctx.operations.start(
        duration,
        finish,
        injected_lro_error(req),
        resource_id=resource_id,
        on_error=on_error,
    )
    av = q(api_version(req))
    base = f"{req.base_url}/subscriptions/{ctx.subscription_id}/providers/{namespace}"
    base += f"/locations/{location}"
    async_url = f"{base}/{kind}/{op.id}?api-version={av}"
    if monitor_style:
        location_url = async_url + "&monitor=true"
    else:
        location_url = f"{base}/{result_kind or 'operationresults'}/{op.id}?api-version={av}"
    headers = {
        "Azure-AsyncOperation": async_url,
        "Location": location_url,
        "Retry-After": retry_after(ctx, initial=True),
    }
    return op, headers


def set_provisioning_state(ctx: EmulatorContext, resource_id: str, state: str) -> None:
    """Set ``properties.provisioningState`` of a stored ARM resource (if it still exists)."""
    with ctx.store.lock:
        cur = ctx.store.get(ARM_NS, resource_id)
        if isinstance(cur, dict):
            cur.setdefault("properties", {})["provisioningState"] = state
            ctx.store.put(ARM_NS, resource_id, cur)


def failed_write(
    ctx: EmulatorContext, resource_id: str, previous: dict[str, Any] | None
) -> Callable[[ArmError], None]:
    """``on_error`` of a PUT/PATCH LRO: the write is not applied.

    An update that ends ``Failed`` leaves the resource as it was before the request (its
    tags, sku and properties), with ``provisioningState`` ``Failed`` -- the state of the
    last operation, as ARM resource providers report it. A resource that the failed PUT
    was creating stays, ``Failed``, as Azure leaves a failed create.
    """
    before = copy.deepcopy(previous)

    def failed(_err: ArmError) -> None:
        with ctx.store.lock:
            cur = ctx.store.get(ARM_NS, resource_id)
            if not isinstance(cur, dict):
                return
            restored = copy.deepcopy(before) if before is not None else cur
            restored.setdefault("properties", {})["provisioningState"] = "Failed"
            ctx.store.put(ARM_NS, resource_id, restored)

    return failed


def operation_result_location(ctx: EmulatorContext, req: Request, op: Operation) -> str:
    """``<base>/subscriptions/S/operationresults/<id>?api-version=...`` (RG / stack delete)."""
    return (
        f"{req.base_url}/subscriptions/{ctx.subscription_id}/operationresults/{op.id}"
        f"?api-version={q(api_version(req))}"
    )


def operation_result_response(ctx: EmulatorContext, req: Request, op: Operation) -> Response:
    """The 202 of an LRO polled through ``Location`` only (resource-group and stack
    deletion): ``Location: .../operationresults/<id>`` + ``Retry-After``, no body."""
    return Response(
        202,
        None,
        {
            "Location": operation_result_location(ctx, req, op),
            "Retry-After": retry_after(ctx, initial=True),
        },
    )


def replace_tags(resource: dict[str, Any], tags: Any) -> None:
    """``tags`` replace the resource's tag map; empty or null tags remove it."""
    if tags:
        resource["tags"] = dict(tags)
    else:
        resource.pop("tags", None)


def top_level_children(ctx: EmulatorContext, scope_id: str) -> list[tuple[str, dict[str, Any]]]:
    """Resources directly under ``scope_id/providers/...`` (not their child resources)."""
    prefix = scope_id.lower() + "/providers/"
    out = []
    for key, value in ctx.store.items(ARM_NS, prefix):
        rest = key[len(prefix) :]
        if rest.count("/") == 2:  # Namespace/type/name
            out.append((key, value))
    return out


def resource_type_of(resource_id: str) -> str:
    """``/subscriptions/s/resourceGroups/r/providers/NS/type/name[/sub/name]``
    -> ``NS/type[/sub]``."""
    low = resource_id.split("/providers/")[-1].split("/")
    if len(low) < 3:
        return ""
    parts = [low[0], *low[1::2]]
    return "/".join(parts)
