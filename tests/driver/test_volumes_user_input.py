"""Disk and snapshot names typed by a user: checked before any call, forgiving on case."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from kompox_tui import naming
from kompox_tui.errors import NotFoundError

if TYPE_CHECKING:
    from volumes_fixtures import VolEnv

pytest_plugins = ["volumes_fixtures"]

BAD_NAMES = ("not-a-ulid", "01J0000000000000000000000", "01J00000000000000000000000U", "")


def _name_taking_calls(env: VolEnv, bad: str) -> dict[str, Callable[[], Any]]:
    d = env.driver
    return {
        "disk assign": lambda: d.disk_assign("db", bad),
        "disk delete": lambda: d.disk_delete("db", bad),
        "snapshot create": lambda: d.snapshot_create("db", bad),
        "snapshot delete": lambda: d.snapshot_delete("db", bad),
        "snapshot restore": lambda: d.snapshot_restore("db", bad),
    }


@pytest.mark.parametrize("bad", BAD_NAMES)
def test_a_malformed_name_fails_with_one_clear_message_before_any_call(
    vol_env: VolEnv, bad: str
) -> None:
    mark = vol_env.mark()
    for operation, call in _name_taking_calls(vol_env, bad).items():
        with pytest.raises(NotFoundError) as info:
            call()
        text = str(info.value)
        assert f"'{bad}'" in text, operation
        assert "volume 'db'" in text and "ULID" in text, operation
        assert "list" in text, operation  # what to do: take the name from the list
    assert vol_env.events == []
    assert vol_env.requests_since(mark) == []


def test_an_unknown_volume_names_the_known_ones_and_what_to_do(vol_env: VolEnv) -> None:
    with pytest.raises(NotFoundError) as info:
        vol_env.driver.disk_assign("nope", naming.new_ulid())
    text = str(info.value)
    assert "'nope'" in text and str(vol_env.config.path) in text
    assert "known volumes: db" in text and "app.volumes" in text
    assert vol_env.events == []


def test_a_lower_case_or_full_azure_name_means_the_same_disk(vol_env: VolEnv) -> None:
    d = vol_env.driver
    first = d.disk_create("db")
    second = d.disk_create("db")
    d.disk_assign("db", second.name.lower())
    assert vol_env.assigned() == [second.name]
    d.disk_assign("db", first.azure_name)
    assert vol_env.assigned() == [first.name]
    snap = d.snapshot_create("db", second.name.lower())
    assert snap.source_disk == second.name
    restored = d.snapshot_restore("db", snap.name.lower())
    assert restored.source == snap.name
    d.snapshot_delete("db", snap.name.lower())
    d.disk_delete("db", restored.name.lower())
    assert {x.name for x in d.disk_list("db")} == {first.name, second.name}
    assert d.snapshot_list("db") == []
