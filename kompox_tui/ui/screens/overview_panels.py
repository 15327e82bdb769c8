"""The overview's text panels: the refresh bar, the cluster detail, its problems.

Pure builders (configuration and state in, ``rich.text.Text`` out); the screen only
puts them into its ``Static`` widgets. Server text goes through ``visible``.
"""

from __future__ import annotations

from rich.text import Text

from ...layouts import layout_for
from ...model import Config
from ...text import visible, visible_lines
from ..operations import Operation
from .overview_columns import ClusterRow, failure_label


def refresh_bar_text(
    *,
    read_only: bool,
    starting_up: bool,
    startup_step: str,
    paused: bool,
    interval: float,
    countdown: float,
    running: int,
) -> Text:
    """The line above the table: mode, auto-refresh state, keys, running operations."""
    bar = Text()
    if read_only:
        bar.append(" READ-ONLY ", style="bold reverse yellow")
        bar.append("  ")
    if starting_up:
        bar.append("Preparing the demo", style="italic yellow")
        if startup_step:
            bar.append(f": {startup_step}…", style="italic yellow")
    elif paused:
        bar.append("Auto-refresh paused", style="bold yellow")
        bar.append(f" (every {interval:.0f} s when running)")
    else:
        bar.append(f"Auto-refresh every {interval:.0f} s")
        bar.append(f" · next in {max(countdown, 0):.0f} s", style="dim")
    pause = "p resume" if paused else "p pause"
    bar.append(f"   r now · {pause} · +/- interval", style="dim")
    if running:
        count = "1 operation" if running == 1 else f"{running} operations"
        bar.append(f"   ▶ {count} running", style="bold cyan")
    return bar


def detail_text(config: Config, row: ClusterRow, last_op: Operation | None) -> Text:
    """The selected cluster: names, file, provisioning object, ingress, last operation."""
    text = Text()
    text.append(f"{config.cluster.name}", style="bold")
    text.append(f"  app {config.app.name} · provider {config.provider.name}\n")
    text.append(f"{config.path}\n", style="dim")
    target = layout_for(config).provisioning_object()
    text.append("stack " if target.kind == "stack" else "deployment ", style="dim")
    text.append(visible(target.name))
    text.append(f" · layout {getattr(config, 'layout', 'guide')}\n", style="dim")
    st = row.status
    if st is not None:
        text.append(f"ingress namespace {visible(st.ingress_namespace)}", style="dim")
        if st.ingress_fqdn:
            text.append(f" · {visible(st.ingress_fqdn)}", style="dim")
        text.append("\n")
    if last_op is not None:
        style = {"running": "cyan", "succeeded": "green", "failed": "red"}[last_op.state]
        text.append("last operation ", style="dim")
        text.append(f"{last_op.title}: {last_op.state} ({last_op.elapsed():.0f} s)", style=style)
        text.append("  o opens it", style="dim")
    return text


def has_problems(row: ClusterRow) -> bool:
    """The last refresh failed, or the cluster reports problems."""
    return row.error is not None or bool(row.status and row.status.problems)


def problems_text(row: ClusterRow) -> Text:
    """Why the last refresh failed (and what to do), then the cluster's own problems."""
    st = row.status
    issues = Text()
    if row.error is not None:
        when = f" at {row.refreshed_at:%H:%M:%S}" if row.refreshed_at else ""
        issues.append(f"Refresh failed{when}: {failure_label(row.error)}\n", style="bold red")
        if row.loaded_at is not None:
            issues.append(f"The values shown are from {row.loaded_at:%H:%M:%S}.\n")
        issues.append(visible_lines(row.error.message) + "\n")
        if row.error.hint:
            issues.append(f"Next: {row.error.hint}\n", style="bold")
    if st is not None and st.problems:
        issues.append(f"Problems ({len(st.problems)})\n", style="bold red")
        for problem in st.problems:
            issues.append(f"• {visible(problem)}\n")
    if not issues:
        issues.append("No problems", style="green" if st else "dim")
    return issues
