"""``w`` / ``K`` on the overview: save or merge a cluster's admin kubeconfig, asking first
where it matters (issue 14.7). Straight-line async code with ``push_screen_wait``; the
overview runs it in an exclusive ``@work`` worker."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from ...azure.driver import AksDriver
from ...errors import KompoxError
from ...text import visible
from ..widgets.ask import Ask

if TYPE_CHECKING:
    from ..app import KompoxApp


async def kubeconfig_flow(app: KompoxApp, driver: AksDriver, merge: bool) -> None:
    """Save (or merge) the admin kubeconfig of ``driver``'s cluster and say where it went.

    In --read-only the admin credential is fetched only after the user agrees; a
    context of the same name pointing at another server is replaced only after the
    user agrees; the toast says which context is current afterwards.
    """
    from ...azure.kubeconfig import KubeconfigConflict

    config = driver.config
    name = config.cluster.name
    if app.read_only:
        agreed = await app.push_screen_wait(
            Ask(
                f"Fetch the admin credential of cluster {name}?",
                "kompox-tui is read-only, and this changes nothing in Azure, but it "
                "asks AKS for the cluster-admin kubeconfig (listClusterAdminCredential) "
                "and writes it to a file (mode 0600). Anyone who can read that file "
                "has full control of the cluster.",
                yes="Fetch admin credential",
                no="Cancel",
            )
        )
        if not agreed:
            app.notify("Kubeconfig: cancelled; nothing was fetched or written.")
            return
    target: Path | None = None
    folder = app.kubeconfig_dir
    if folder is not None and not merge:
        target = folder / f"{config.provider.name}-{config.cluster.name}.yaml"
    overwrite = False
    while True:
        try:
            saved = await asyncio.to_thread(
                driver.save_kubeconfig, target, merge=merge, overwrite=overwrite
            )
            break
        except KubeconfigConflict as conflict:
            replace = await app.push_screen_wait(
                Ask(
                    f"Replace context {conflict.context}?",
                    f"{conflict.path} already has context {conflict.context}, pointing "
                    f"at {conflict.old_server or '(no server)'}. This cluster ({name}) "
                    f"is at {conflict.new_server}. Replacing it drops the old entry.",
                    yes="Replace",
                    no="Keep the old one",
                )
            )
            if not replace:
                app.notify(f"Kubeconfig: {conflict.path} was left unchanged.")
                return
            overwrite = True
        except KompoxError as exc:
            verb = "merge" if merge else "save"
            app.notify(
                visible(f"Could not {verb} the kubeconfig of cluster {name}: {exc}"),
                title="Kubeconfig",
                severity="error",
                markup=False,
            )
            return
    if saved.merged:
        was = (
            f" (was {saved.previous_context})"
            if saved.previous_context and saved.previous_context != saved.current_context
            else ""
        )
        message = (
            f"Merged into {saved.path}: context {saved.context}; current context is "
            f"now {saved.current_context}{was}. It is an admin credential."
        )
    else:
        message = (
            f"Saved to {saved.path}: context {saved.context} (mode 0600). "
            "It is an admin credential."
        )
    app.notify(visible(message), title="Kubeconfig", markup=False)
