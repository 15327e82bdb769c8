"""The volume browser's row builders and the intent-versus-reality line, as pure functions."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.text import Text

from kompox_tui.azure.mounts import ClusterMounts, PodUse, PvMount
from kompox_tui.model import VolumeDisk, VolumeSnapshot
from kompox_tui.ui.screens.volumes.history import AssignHistory
from kompox_tui.ui.screens.volumes.rows import (
    DISK_COLUMNS,
    SNAPSHOT_COLUMNS,
    disk_rows,
    emphasised,
    mount_view,
    snapshot_rows,
    unique_suffix_lengths,
)
from kompox_tui.ui.widgets.confirm import suffix_matches

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
RG = "/subscriptions/s/resourceGroups/rg-app/providers/Microsoft.Compute"
NODE = "aks-system-12345678-vmss000000"


def disk(name: str, assigned: bool = False, **kw: object) -> VolumeDisk:
    return VolumeDisk(
        name=name,
        azure_name=f"db-{name}",
        volume="db",
        size_gib=32,
        assigned=assigned,
        created_at=NOW - timedelta(hours=1),
        resource_id=f"{RG}/disks/db-{name}",
        **kw,  # type: ignore[arg-type]
    )


def snap(name: str, **kw: object) -> VolumeSnapshot:
    return VolumeSnapshot(
        name=name,
        azure_name=f"db-{name}",
        volume="db",
        size_gib=32,
        source_disk="A",
        created_at=NOW - timedelta(hours=2),
        resource_id=f"{RG}/snapshots/db-{name}",
        **kw,  # type: ignore[arg-type]
    )


def cell(row: tuple[str, object], column: str, columns: tuple[object, ...]) -> object:
    keys = [c.key for c in columns]  # type: ignore[attr-defined]
    return row[1][keys.index(column)]  # type: ignore[index]


def test_unique_suffix_is_the_shortest_tail_no_other_name_has() -> None:
    lengths = unique_suffix_lengths(
        ["01M8SCP05ZFB0000000000AAAA", "01M8SCP05Z210000000000BAAA", "01M8SCP05Z21XXXXXXXXXXXXXC"]
    )
    assert lengths["01M8SCP05ZFB0000000000AAAA"] == 4  # ...AAAA vs ...BAAA share AAA
    assert lengths["01M8SCP05Z210000000000BAAA"] == 4
    assert lengths["01M8SCP05Z21XXXXXXXXXXXXXC"] == 1


def test_typed_suffix_must_be_unique_and_at_least_four_characters() -> None:
    names = ["01JAAAA0001", "01JBBBB9001"]
    assert suffix_matches("01JAAAA0001", names[0], names)
    assert suffix_matches("A0001", names[0], names)
    assert not suffix_matches("001", names[0], names)  # too short
    assert not suffix_matches("9001", names[0], names)  # another name's suffix
    assert not suffix_matches("", names[0], names)


def test_emphasis_makes_the_distinguishing_tail_bold() -> None:
    text = emphasised("01M8SCP05ZFB0000000000AAAA", 6)
    assert text.plain == "01M8SCP05ZFB0000000000AAAA"
    bold = [text.plain[s.start : s.end] for s in text.spans if "bold" in str(s.style)]
    assert bold == ["00AAAA"]


def test_failed_updating_and_attached_disks_read_differently() -> None:
    rows = dict(
        disk_rows(
            [
                disk("F", provisioning_state="Failed", disk_state="Unattached"),
                disk("U", provisioning_state="Updating", disk_state="Attached"),
                disk(
                    "T",
                    True,
                    provisioning_state="Succeeded",
                    disk_state="Attached",
                    managed_by="/subscriptions/s/.../virtualMachines/0",
                    node=NODE,
                    zone="1",
                ),
                disk("N", provisioning_state="Succeeded", disk_state="Unattached"),
            ],
            [],
            NOW,
        )
    )
    state = {k.rsplit("-", 1)[1]: str(v[4]) for k, v in rows.items()}
    assert state == {"F": "Failed", "U": "Updating", "T": "Attached", "N": "Unattached"}
    attached = rows[f"{RG}/disks/db-T"]
    assert str(attached[8]) == NODE and str(attached[7]) == "1"
    failed_style = rows[f"{RG}/disks/db-F"][4]
    assert isinstance(failed_style, Text) and "red" in str(failed_style.style)
    assert len(attached) == len(DISK_COLUMNS)


def test_snapshot_state_says_failed_copying_with_percent_or_ready() -> None:
    rows = snapshot_rows(
        [
            snap("F", provisioning_state="Failed", incremental=True),
            snap("C", provisioning_state="Succeeded", incremental=True, completion_percent=42.5),
            snap("R", provisioning_state="Succeeded", incremental=False, completion_percent=100),
        ],
        [disk("A", True)],
        NOW,
    )
    by = {k.rsplit("-", 1)[1]: v for k, v in rows}
    assert [str(cell((k, v), "state", SNAPSHOT_COLUMNS)) for k, v in rows] == [
        "Failed",
        "copying 42%",
        "ready",
    ]
    assert str(by["C"][4]) == "incr" and str(by["R"][4]) == "full"


def test_previously_assigned_disk_carries_the_back_marker() -> None:
    rows = dict(disk_rows([disk("B", True), disk("A")], [], NOW, previous="A"))
    assert str(rows[f"{RG}/disks/db-A"][0]) == "↶"
    assert str(rows[f"{RG}/disks/db-B"][0]) == "★"


def _mount(target: VolumeDisk, pods: tuple[PodUse, ...]) -> ClusterMounts:
    pv = PvMount("pv-1", target.resource_id.upper(), "Bound", "ns", "pv-1", "Bound", pods)
    return ClusterMounts("ok", mounts=(pv,))


def test_intent_and_reality_agree_when_the_pod_mounts_the_assigned_disk() -> None:
    a, b = disk("A"), disk("B", True)
    view = mount_view([b, a], _mount(b, (PodUse("ns", "web-0", NODE, "Running", "pv-1"),)), "guide")
    assert view.verdict == "ok"
    assert view.line.plain == f"assigned B · mounted B by web-0 on {NODE}"
    assert view.advice is None


def test_drift_when_the_pod_still_mounts_the_old_disk_and_what_it_takes() -> None:
    a, b = disk("A"), disk("B", True)
    mounts = _mount(a, (PodUse("ns", "web-0", NODE, "Running", "pv-1"),))
    view = mount_view([b, a], mounts, "kompoxops")
    assert view.verdict == "drift"
    assert view.line.plain.startswith(f"assigned B · mounted A by web-0 on {NODE}")
    assert view.advice is not None and "kompoxops app deploy" in view.advice
    guide = mount_view([b, a], mounts, "guide")
    assert guide.advice is not None and "Redeploy the app" in guide.advice


def test_unreachable_cluster_is_one_calm_line() -> None:
    mounts = ClusterMounts("unreachable", "unreachable (refused)")
    view = mount_view([disk("B", True)], mounts, "guide")
    assert view.verdict == "unreachable"
    assert view.line.plain == "assigned B · cluster: unreachable (refused)"


def test_no_pv_and_pv_without_pods_are_told_apart() -> None:
    b = disk("B", True)
    assert mount_view([b], ClusterMounts("ok"), "guide").verdict == "no-pv"
    idle = mount_view([b], _mount(b, ()), "guide")
    assert idle.verdict == "unmounted" and "no running pod" in idle.line.plain
    stale_pv = mount_view([b, disk("A")], _mount(disk("A"), ()), "guide")
    assert stale_pv.verdict == "drift"


def test_history_remembers_the_previous_disk_until_someone_else_swaps(tmp_path: Path) -> None:
    path = tmp_path / "state" / "assign-history.json"
    history = AssignHistory(path)
    history.record("p/c/app/db", ["A"], "B", NOW)
    again = AssignHistory(path)  # read back from the file
    assert again.previous("p/c/app/db", ["B"]) == "A"
    assert again.previous("p/c/app/db", ["C"]) is None  # swapped elsewhere since
    assert again.previous("p/c/app/other", ["B"]) is None
    path.write_text("not json", encoding="utf-8")
    assert AssignHistory(path).previous("p/c/app/db", ["B"]) is None


def test_control_characters_in_names_are_shown_not_obeyed() -> None:
    evil = replace(disk("X"), name="01J\x1b]0;pwned\x07")
    rows = disk_rows([evil], [], NOW)
    shown = str(rows[0][1][1])
    assert "\x1b" not in shown and "␛" in shown


def test_summary_says_since_when_the_data_is_stale_and_why() -> None:
    from kompox_tui.model import Volume
    from kompox_tui.ui.screens.volumes.state import VolumeState
    from kompox_tui.ui.screens.volumes.summary import summary_text

    state = VolumeState(disks=[disk("B", True)], snapshots=[], loaded_at=NOW)
    fresh = summary_text(Volume("db", "32Gi", 32), state, NOW, undo=True).plain
    assert fresh.startswith("Volume db · 32 GiB · ✔ ok · assigned ★ B (created 1h ago)")
    assert "u: back to ↶" in fresh and fresh.endswith("refreshed 03:00:00")
    state.error = "disk list failed: (ServiceUnavailable) try \x1b[2J later"
    stale = summary_text(Volume("db", "32Gi", 32), state, NOW + timedelta(minutes=7), undo=False)
    assert stale.plain.splitlines()[1] == (
        "as of 03:00: the last refresh failed: "
        "disk list failed: (ServiceUnavailable) try ␛[2J later"
    )


def test_describe_documents_are_the_pv_claim_and_pods_of_the_disk() -> None:
    from kompox_tui.ui.screens.volumes.state import cluster_documents

    d = disk("A")
    pod = PodUse("ns", "web-0", NODE, "Running", "pv-1")
    mounts = ClusterMounts(
        "ok",
        mounts=(PvMount("pv-1", d.resource_id, "Bound", "ns", "pv-1", "Bound", (pod,)),),
        objects={
            "pv/pv-1": {"kind": "PersistentVolume"},
            "pvc/ns/pv-1": {"kind": "PersistentVolumeClaim"},
            "pod/ns/web-0": {"kind": "Pod"},
        },
    )
    kinds = [doc["kind"] for doc in cluster_documents(mounts, [d.resource_id.lower()])]
    assert kinds == ["PersistentVolume", "PersistentVolumeClaim", "Pod"]
    assert cluster_documents(ClusterMounts("unreachable", "x"), [d.resource_id]) == []


def test_a_cluster_not_provisioned_is_not_called_unreachable() -> None:
    mounts = ClusterMounts("not-provisioned", "not provisioned, so nothing mounts these disks")
    view = mount_view([disk("B", True)], mounts, "kompoxops")
    assert view.verdict == "no-cluster" and str(view.cell) == "○ no cluster"
    assert view.line.plain == "assigned B · cluster not provisioned, so nothing mounts these disks"
