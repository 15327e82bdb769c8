"""Saving and merging kubeconfig files: links, comments, locks, conflicts (issues 14, 16)."""

from __future__ import annotations

import multiprocessing
import os
import stat
from pathlib import Path
from typing import Any

import pytest
import yaml

from kompox_tui.azure.kubeconfig import (
    KubeconfigConflict,
    file_lock,
    read_kubeconfig,
    save_kubeconfig,
)
from kompox_tui.errors import ConfigError, ConflictError


def _kubeconfig(server: str, token: str = "tok") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "admin",
        "clusters": [{"name": "aks", "cluster": {"server": server}}],
        "users": [{"name": "admin", "user": {"token": token}}],
        "contexts": [{"name": "admin", "context": {"cluster": "aks", "user": "admin"}}],
    }


USER_FILE = """\
# my clusters -- keep this comment
apiVersion: v1
kind: Config
current-context: mine  # the one I use
clusters:
- name: mine
  cluster:
    server: https://mine.example
users:
- name: mine
  user:
    token: my-token
contexts:
- name: mine
  context:
    cluster: mine
    user: mine
"""


def test_merge_writes_through_a_symlink_and_keeps_comments(tmp_path: Path) -> None:
    real = tmp_path / "dotfiles" / "kubeconfig"
    real.parent.mkdir()
    real.write_text(USER_FILE)
    link = tmp_path / "config"
    link.symlink_to(real)
    saved = save_kubeconfig(_kubeconfig("https://c1"), "kompoxops-c1", link, merge=True)
    assert link.is_symlink() and os.readlink(link) == str(real)
    text = real.read_text()
    assert "# my clusters -- keep this comment" in text and "# the one I use" in text
    doc = yaml.safe_load(text)
    assert {c["name"] for c in doc["contexts"]} == {"mine", "kompoxops-c1"}
    assert saved.previous_context == "mine" and saved.current_context == "kompoxops-c1"
    assert stat.S_IMODE(real.stat().st_mode) == 0o600


def test_merge_can_keep_the_current_context(tmp_path: Path) -> None:
    target = tmp_path / "config"
    target.write_text(USER_FILE)
    saved = save_kubeconfig(
        _kubeconfig("https://c1"), "kompoxops-c1", target, merge=True, set_current=False
    )
    assert saved.current_context == "mine"
    assert yaml.safe_load(target.read_text())["current-context"] == "mine"


def test_a_context_pointing_at_another_server_is_refused_and_the_file_is_unchanged(
    tmp_path: Path,
) -> None:
    target = tmp_path / "config"
    save_kubeconfig(_kubeconfig("https://first"), "kompoxops-c1", target, merge=True)
    before = target.read_bytes()
    with pytest.raises(KubeconfigConflict) as info:
        save_kubeconfig(_kubeconfig("https://second", "t2"), "kompoxops-c1", target, merge=True)
    assert "https://first" in str(info.value) and "t2" not in str(info.value)
    assert target.read_bytes() == before
    saved = save_kubeconfig(
        _kubeconfig("https://second"), "kompoxops-c1", target, merge=True, overwrite=True
    )
    assert saved.replaced
    assert yaml.safe_load(target.read_text())["clusters"][0]["cluster"]["server"] == (
        "https://second"
    )


def test_saving_over_another_clusters_file_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "c1.yaml"
    save_kubeconfig(_kubeconfig("https://svc-a"), "kompoxops-c1", target, merge=False)
    with pytest.raises(KubeconfigConflict):
        save_kubeconfig(_kubeconfig("https://svc-b"), "kompoxops-c1", target, merge=False)
    # The same cluster again (fresh credentials) is fine.
    save_kubeconfig(_kubeconfig("https://svc-a", "new"), "kompoxops-c1", target, merge=False)
    assert yaml.safe_load(target.read_text())["users"][0]["user"]["token"] == "new"


def _merge_one(args: tuple[str, str]) -> None:
    path, name = args
    save_kubeconfig(_kubeconfig(f"https://{name}"), name, Path(path), merge=True)


def test_concurrent_merges_from_separate_processes_lose_no_context(tmp_path: Path) -> None:
    target = tmp_path / "config"
    names = [f"kompoxops-c{i}" for i in range(12)]
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(4) as pool:
        pool.map(_merge_one, [(str(target), n) for n in names])
    doc = yaml.safe_load(target.read_text())
    assert sorted(c["name"] for c in doc["contexts"]) == sorted(names)
    assert not (tmp_path / "config.lock").exists()


def test_a_held_kubectl_lock_makes_the_merge_wait_then_say_so(tmp_path: Path) -> None:
    target = tmp_path / "config"
    (tmp_path / "config.lock").write_text("")  # what kubectl leaves while it writes
    with pytest.raises(ConflictError, match=r"config\.lock"), file_lock(target, wait=0.2):
        pass
    assert not target.exists()


def test_a_fifo_or_a_huge_file_is_not_read(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(ConfigError, match="not a regular file"):
        read_kubeconfig(fifo)
    big = tmp_path / "big"
    with big.open("wb") as fh:
        fh.truncate(17 * 1024 * 1024)
    with pytest.raises(ConfigError, match="larger than"):
        read_kubeconfig(big)
