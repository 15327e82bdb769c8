"""What the overview asks before a cluster operation starts (``P``, ``D``, ``U``).

Each function shows its modal and, once the user agrees, starts the operation on the
app (which shows its progress). Cancelling starts nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...layouts import layout_for
from ...model import Config
from ..operations import OperationKind
from ..widgets.confirm import ConfirmByName, ProvisionOptions

if TYPE_CHECKING:
    from ..app import KompoxApp


def ask_provision(app: KompoxApp, index: int, config: Config) -> None:
    """Provision, with or without force (the layout says what force means)."""

    def chosen(force: bool | None) -> None:
        if force is not None:
            app.start_operation(index, "provision", force)

    name = config.cluster.name
    app.push_screen(ProvisionOptions(name, layout_for(config), config.cluster.existing), chosen)


def _confirm_by_name(
    app: KompoxApp,
    index: int,
    config: Config,
    kind: OperationKind,
    question: str,
    explanation: str,
    note: str,
) -> None:
    """A destructive operation: the user types the cluster's name to confirm."""
    name = config.cluster.name

    def confirmed(ok: bool | None) -> None:
        if ok:
            app.start_operation(index, kind)

    app.push_screen(
        ConfirmByName(
            question.format(name=name), explanation, name, note, confirm_label=kind.capitalize()
        ),
        confirmed,
    )


def ask_deprovision(app: KompoxApp, index: int, config: Config) -> None:
    # What goes is the layout's answer (a stack and what it manages, or kompoxops's
    # deployment, cluster resource group and Key Vault purge).
    _confirm_by_name(
        app,
        index,
        config,
        "deprovision",
        "Deprovision cluster {name}?",
        layout_for(config).deprovision_summary(),
        "Workloads on this cluster stop. This cannot be undone.",
    )


def ask_uninstall(app: KompoxApp, index: int, config: Config) -> None:
    _confirm_by_name(
        app,
        index,
        config,
        "uninstall",
        "Uninstall the ingress (Traefik) from cluster {name}?",
        "Removes Traefik and the ingress resources kompox installed in the cluster.",
        "The load balancer address is released; ingress traffic stops.",
    )
