"""A per-volume mutex between kompox-tui instances: a ``coordination.k8s.io/v1`` Lease.

Azure offers no conditional write on managed disks (no ETag, ``If-Match`` is ignored), so
two instances swapping one volume's disks can only be kept apart by something outside
Compute. The app's own cluster has the primitive leader election uses: a Lease object,
written with optimistic concurrency (every update carries the ``resourceVersion`` it
read; a stale one is a 409 ``Conflict``).

* **Where**: namespace ``kube-system`` (it exists in every cluster, is where the control
  plane's own leader-election Leases live, and an app namespace may not exist yet), name
  ``kompox-volume-<lvKey>-<hash>`` (the hash of resource group and volume key keeps two
  volumes apart even after the name is lower-cased for Kubernetes).
* **Holder**: ``kompox-tui@<host>/<pid>/<random>`` -- one identity per operation.
* **Acquire** (client-go's ``tryAcquireOrRenew``): absent -> create; no holder (released)
  -> take it; held by someone else -> wait. The other holder's lease counts as expired
  only after it has been *observed unchanged* for ``leaseDurationSeconds`` of our own
  clock (client-go's rule: the remote ``renewTime`` is not trusted across clock skew);
  then it is taken over and the caller is told whose change was interrupted.
* **Renew**: a daemon thread renews every third of the duration while the operation
  runs; :meth:`VolumeLease.check` tells the operation before each write whether the
  lease is still ours (a 409 on renew means someone took it over).
* **Release**: ``holderIdentity`` cleared, as client-go's ``ReleaseOnCancel`` does, so the
  next instance takes it at once.

Only what the Lease means is here; the disks are written by :mod:`.assign`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..errors import ConflictError, KompoxError, KubernetesError

NAMESPACE = "kube-system"
API = "/apis/coordination.k8s.io/v1"
#: Seconds a holder keeps the lease without renewing (client-go's default is 15).
DEFAULT_DURATION = 15.0


def lease_name(resource_group: str, lv_key: str) -> str:
    """The Lease name of one volume: DNS-1123, stable, unique per resource group + key."""
    digest = hashlib.sha256(f"{resource_group.lower()}/{lv_key}".encode()).hexdigest()[:10]
    clean = re.sub(r"[^a-z0-9-]+", "-", lv_key.lower()).strip("-")[:40] or "volume"
    return f"kompox-volume-{clean}-{digest}"


def new_identity() -> str:
    host = socket.gethostname() or "host"
    return f"kompox-tui@{host}/{os.getpid()}/{secrets.token_hex(4)}"


def micro_time(when: datetime | None = None) -> str:
    """A Kubernetes ``MicroTime`` (RFC 3339 with microseconds, UTC)."""
    return (when or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class Acquired:
    """How the lease was obtained: ``waited_for`` names a live holder we waited for,
    ``took_over_from`` one whose lease expired (it stopped mid-change)."""

    waited_for: str | None = None
    waited_s: float = 0.0
    took_over_from: str | None = None


class LeaseLost(ConflictError):
    """The lease was taken over by another instance while we held it."""


class VolumeLease:
    """One acquire/renew/release cycle of a volume's Lease through a ``KubeRest``."""

    def __init__(
        self,
        rest: Any,
        name: str,
        *,
        duration: float = DEFAULT_DURATION,
        identity: str | None = None,
        operation: str = "volume lease",
        annotations: dict[str, str] | None = None,
    ) -> None:
        self.rest = rest
        self.name = name
        self.duration = duration
        self.identity = identity or new_identity()
        self.operation = operation
        self.annotations = dict(annotations or {})
        self.path = f"{API}/namespaces/{NAMESPACE}/leases/{name}"
        self._rv: str | None = None
        self._transitions = 0
        self._acquire_time: str | None = None
        self._lock = threading.Lock()
        self._lost: str | None = None
        self._last_ok = 0.0
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    # --- wire ------------------------------------------------------------------------------

    def _body(self, holder: str | None, *, rv: str | None, duration: float) -> dict[str, Any]:
        now = micro_time()
        spec: dict[str, Any] = {
            "leaseDurationSeconds": max(1, round(duration)),
            "leaseTransitions": self._transitions,
            "renewTime": now,
            "acquireTime": self._acquire_time or now,
        }
        if holder:
            spec["holderIdentity"] = holder
        meta: dict[str, Any] = {
            "name": self.name,
            "namespace": NAMESPACE,
            "labels": {"app.kubernetes.io/managed-by": "kompox-tui"},
            "annotations": self.annotations,
        }
        if rv is not None:
            meta["resourceVersion"] = rv
        return {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": meta,
            "spec": spec,
        }

    def _request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """``(status, object)``; 404 and 409 are answers here, not errors."""
        try:
            return self.rest.request(method, path, body, operation=self.operation, ok_missing=True)
        except KubernetesError as exc:
            if exc.status == 409:
                return 409, None
            raise

    # --- acquire ---------------------------------------------------------------------------

    def acquire(
        self,
        remaining: Callable[[], float],
        on_wait: Callable[[str], None] | None = None,
        retry_period: float | None = None,
    ) -> Acquired:
        """Block until the lease is ours, or raise ConflictError when ``remaining()``
        (the operation's time left, raising once it is up) runs out first."""
        period = retry_period if retry_period is not None else max(0.05, self.duration / 7)
        started = time.monotonic()
        observed: tuple[str | None, str] | None = None  # (holder, resourceVersion) seen
        observed_at = 0.0
        waited_for: str | None = None
        while True:
            status, obj = self._request("GET", self.path)
            now = time.monotonic()
            if status == 404:
                self._transitions = 0
                self._acquire_time = micro_time()
                body = self._body(self.identity, rv=None, duration=self.duration)
                status, created = self._request(
                    "POST", f"{API}/namespaces/{NAMESPACE}/leases", body
                )
                if status in (200, 201) and isinstance(created, dict):
                    return self._won(created, waited_for, started, None)
                if status == 404:  # no Lease API, or no kube-system: nothing to hold
                    raise KubernetesError(
                        self.operation,
                        code="NotFound",
                        message=f"the cluster API serves no {API}/namespaces/{NAMESPACE}/leases",
                        status=404,
                    )
                self._check_time(remaining)
                continue  # 409: another instance created it first; read it
            meta = obj.get("metadata") or {}
            spec = obj.get("spec") or {}
            rv = str(meta.get("resourceVersion") or "")
            holder = spec.get("holderIdentity") or None
            took_over: str | None = None
            if holder and holder != self.identity:
                if observed != (holder, rv):
                    observed, observed_at = (holder, rv), now
                    if waited_for is None and on_wait is not None:
                        on_wait(holder)
                    waited_for = holder
                # client-go: expired only when unchanged for its duration on OUR clock
                held_for = float(spec.get("leaseDurationSeconds") or self.duration)
                if now - observed_at < held_for:
                    if remaining() <= period:
                        raise ConflictError(
                            f"volume is being changed by another kompox-tui ({holder}, "
                            f"lease {NAMESPACE}/{self.name} since "
                            f"{spec.get('acquireTime') or '?'})",
                            hint="try again when that change has finished",
                        )
                    time.sleep(period)
                    continue
                took_over = holder
            self._transitions = int(spec.get("leaseTransitions") or 0) + (
                1 if took_over or holder != self.identity else 0
            )
            self._acquire_time = micro_time()
            body = self._body(self.identity, rv=rv, duration=self.duration)
            status, updated = self._request("PUT", self.path, body)
            if status == 200 and isinstance(updated, dict):
                return self._won(updated, waited_for, started, took_over)
            # 409: someone wrote it between our read and our write; read again
            self._check_time(remaining)

    def _check_time(self, remaining: Callable[[], float]) -> None:
        if remaining() <= 0:
            raise ConflictError(
                f"could not take the volume's lease {NAMESPACE}/{self.name}: other instances "
                "kept writing it",
                hint="try again in a moment",
            )

    def _won(
        self, obj: dict[str, Any], waited_for: str | None, started: float, took_over: str | None
    ) -> Acquired:
        with self._lock:
            self._rv = str((obj.get("metadata") or {}).get("resourceVersion") or "")
            self._last_ok = time.monotonic()
            self._lost = None
        self._start_renewer()
        waited = time.monotonic() - started
        if took_over is not None:
            return Acquired(took_over_from=took_over, waited_s=waited)
        return Acquired(waited_for=waited_for, waited_s=waited if waited_for else 0.0)

    # --- renew -----------------------------------------------------------------------------

    def _start_renewer(self) -> None:
        self._stop.clear()
        self._renewer = threading.Thread(
            target=self._renew_loop, name=f"lease-{self.name}", daemon=True
        )
        self._renewer.start()

    def _renew_loop(self) -> None:
        while not self._stop.wait(self.duration / 3):
            try:
                self.renew()
            except KompoxError:
                continue  # unreachable for a moment: check() fails once the lease ran out

    def renew(self) -> None:
        with self._lock:
            if self._lost is not None or self._rv is None:
                return
            rv = self._rv
        status, obj = self._request(
            "PUT", self.path, self._body(self.identity, rv=rv, duration=self.duration)
        )
        with self._lock:
            if status == 200 and isinstance(obj, dict):
                self._rv = str((obj.get("metadata") or {}).get("resourceVersion") or "")
                self._last_ok = time.monotonic()
            elif status in (404, 409):
                self._lost = "another kompox-tui took the volume's lease over"

    def check(self) -> None:
        """Raise :class:`LeaseLost` unless the lease is still ours (call before a write)."""
        with self._lock:
            lost = self._lost
            if lost is None and time.monotonic() - self._last_ok >= self.duration:
                lost = f"the lease could not be renewed for {self.duration:g} s"
        if lost is not None:
            raise LeaseLost(
                f"stopped before the next write: {lost} (lease {NAMESPACE}/{self.name})",
                hint="refresh: another change of this volume may be running",
            )

    # --- release ---------------------------------------------------------------------------

    def release(self) -> None:
        """Stop renewing and clear the holder (best effort: an unreachable cluster lets the
        lease simply expire)."""
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join(self.duration)
        with self._lock:
            rv, lost = self._rv, self._lost
            self._rv = None
        if rv is None or lost is not None:
            return
        with contextlib.suppress(KompoxError):
            self._request("PUT", self.path, self._body(None, rv=rv, duration=1))
