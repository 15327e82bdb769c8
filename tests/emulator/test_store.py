"""The emulator's key/value store (plain tests of ``core.Store``)."""

from __future__ import annotations

from typing import Any

from kompox_tui.emulator.core import Store

copies = 0


class Counted(dict[str, Any]):
    """A value that counts how often the store deep-copies it."""

    def __deepcopy__(self, memo: dict[int, Any]) -> Counted:
        global copies
        copies += 1
        return Counted(self)


def _store(n: int) -> Store:
    store = Store()
    for i in range(n):
        kind = "disks" if i % 2 == 0 else "snapshots"
        store.put("arm", f"/rg/providers/c/{kind}/n{i:04d}", Counted(type=kind, i=i))
    store.put("arm", "/other/x", Counted(type="disks", i=-1))
    return store


def test_a_page_copies_only_its_own_items() -> None:
    global copies
    store = _store(2000)
    copies = 0
    page, more = store.page("arm", "/RG/", limit=10, where=lambda _k, v: v["type"] == "disks")
    assert copies == 10
    assert more
    assert [v["i"] for _, v in page] == list(range(0, 20, 2))


def test_pages_continue_after_the_last_key_and_end() -> None:
    store = _store(7)
    seen: list[int] = []
    after: str | None = None
    while True:
        page, more = store.page("arm", "/rg/", limit=3, after=after)
        seen += [v["i"] for _, v in page]
        if not more:
            break
        after = page[-1][0]
    assert sorted(seen) == list(range(7))
    assert len(seen) == 7


def test_the_key_index_follows_puts_deletes_and_loads() -> None:
    store = _store(4)
    assert [k for k, _ in store.items("arm", "/rg/")][:1] == ["/rg/providers/c/disks/n0000"]
    store.delete("arm", "/rg/providers/c/disks/n0000")
    store.put("arm", "/rg/providers/c/disks/a", {"type": "disks"})
    assert [k for k, _ in store.items("arm", "/rg/providers/c/disks/")] == [
        "/rg/providers/c/disks/a",
        "/rg/providers/c/disks/n0002",
    ]
    assert store.delete_prefix("arm", "/rg/providers/c/disks/") == [
        "/rg/providers/c/disks/a",
        "/rg/providers/c/disks/n0002",
    ]
    assert [k for k, _ in store.items("arm", "/rg/")] == [
        "/rg/providers/c/snapshots/n0001",
        "/rg/providers/c/snapshots/n0003",
    ]
    store.load({"arm": {"/b": {}, "/a": {}}})
    assert [k for k, _ in store.items("arm")] == ["/a", "/b"]
