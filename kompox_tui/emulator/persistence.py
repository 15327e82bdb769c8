"""What survives an emulator restart: the state file and the ids kept in a state directory.

The state file is the whole :class:`~.core.Store` as JSON (0600, replaced atomically),
written after every request that may have changed it; operations are not persisted, so
:func:`recover_transient_states` settles what a previous run left in flight. The state
directory keeps the subscription and tenant ids (``cloud.json``) so a config written
against one run names the same subscription and token issuer in the next.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from .core import EmulatorContext, Store


class StateFile:
    """The store's JSON file; :meth:`save` skips an unchanged store."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._last_saved: str | None = None
        self._saved_version = -1

    def load(self, store: Store) -> bool:
        """Load the file into ``store``; False when there is no file yet."""
        if not self.path.exists():
            return False
        try:
            data = json.loads(self.path.read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise ValueError(
                f"emulator state file {self.path} is not readable JSON ({exc}); fix or delete it"
            ) from None
        if not isinstance(data, dict):
            raise ValueError(f"emulator state file {self.path} is not a JSON object")
        store.load(data)
        return True

    def save(self, store: Store) -> None:
        with self._lock:
            # Reads settle LROs lazily and may change the store, so every request may
            # need a save -- but serialising an unchanged store on each GET is O(store).
            version = store.version
            if version == self._saved_version:
                return
            text = json.dumps(store.snapshot(), indent=1, sort_keys=True)
            self._saved_version = version
            if text == self._last_saved:
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(self.path.name + ".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.replace(tmp, self.path)
            self._last_saved = text


def recover_transient_states(ctx: EmulatorContext) -> None:
    """Operations are not persisted: settle what a previous run left in flight
    (Updating/Creating -> Succeeded, Deleting -> deleted)."""
    for key, value in ctx.store.items("arm"):
        if not isinstance(value, dict):
            continue
        props = value.get("properties")
        state = props.get("provisioningState") if isinstance(props, dict) else None
        if state in ("Updating", "Creating") and isinstance(props, dict):
            props["provisioningState"] = "Succeeded"
            ctx.store.put("arm", key, value)
        elif state == "Deleting":
            rtype = ctx.resource_type(str(value.get("type", "")))
            if rtype is not None:
                rtype.delete(ctx, str(value.get("id", key)))
            else:
                ctx.store.delete("arm", key)


def kept_ids(state_dir: Path) -> dict[str, str]:
    """The subscription and tenant ids kept in a state directory (so a config written
    against one run names the same subscription and token issuer in the next)."""
    try:
        data = json.loads((state_dir / "cloud.json").read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: str(v) for k, v in data.items() if k in ("subscriptionId", "tenantId") and v}


def keep_ids(state_dir: Path, subscription_id: str, tenant_id: str) -> None:
    state_dir.mkdir(parents=True, exist_ok=True)
    tmp = state_dir / "cloud.json.tmp"
    tmp.write_text(json.dumps({"subscriptionId": subscription_id, "tenantId": tenant_id}), "utf-8")
    os.replace(tmp, state_dir / "cloud.json")
