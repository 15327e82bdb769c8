"""Whatever a template holds, the engine answers with a TemplateError, never a Python
error: the shipped templates with values swapped for wrong types and broken
expressions (seeded, so a failure reproduces)."""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Iterator
from importlib import resources
from typing import Any

import pytest

from kompox_tui.emulator.arm import DeploymentScope, TemplateError, deploy

SCOPE = DeploymentScope("00000000-0000-0000-0000-000000000000", "t", "japaneast", "d", "dep")
PARAMETERS = {
    "environmentName": {"value": "c1"},
    "location": {"value": "japaneast"},
    "resourceGroupName": {"value": "rg-c1"},
}
SWAPS: list[Any] = [
    None,
    -1,
    1.5,
    True,
    "x",
    "[",
    "[]",
    "[x]",
    "[concat(",
    "[createArray()[5]]",
    "[json('')]",
    "[union(1, 2)]",
    "[format('{0:D', 1)]",
    "[int('1.5')]",
    "[copyIndex('x', 'y')]",
    "[reference('nowhere')]",
    [],
    [1],
    {},
    {"a": 1},
]


class StoreAll:
    """Stores anything; resource groups exist once created."""

    def __init__(self) -> None:
        self.resources: dict[str, dict[str, Any]] = {}

    def create(
        self, resource_id: str, resource_type: str, api_version: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        stored = copy.deepcopy(body)
        stored.setdefault("properties", {})
        stored["identity"] = {"principalId": "p"}
        self.resources[resource_id.lower()] = stored
        return stored

    def get(self, resource_id: str) -> dict[str, Any] | None:
        return self.resources.get(resource_id.lower())


def _shipped() -> list[dict[str, Any]]:
    azure = resources.files("kompox_tui.azure")
    return [
        json.loads(azure.joinpath("main.json").read_text()),
        json.loads(azure.joinpath("templates/kompoxops.json").read_text()),
    ]


def _paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if path:
        yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _paths(item, (*path, i))


def _mutated(rng: random.Random, base: dict[str, Any]) -> dict[str, Any]:
    template = copy.deepcopy(base)
    for _ in range(rng.randint(1, 3)):
        *parents, last = rng.choice(list(_paths(template)))
        target = template
        for key in parents:
            target = target[key]
        target[last] = copy.deepcopy(rng.choice(SWAPS))
    return template


@pytest.mark.parametrize("seed", range(4))
def test_malformed_shipped_templates_fail_only_with_template_errors(seed: int) -> None:
    rng = random.Random(seed)
    bases = _shipped()
    outcomes = {"deployed": 0, "refused": 0}
    for _ in range(150):
        template = _mutated(rng, rng.choice(bases))
        try:
            deploy(template, PARAMETERS, scope=SCOPE, host=StoreAll())
        except TemplateError as exc:
            assert exc.code and exc.message
            outcomes["refused"] += 1
        else:
            outcomes["deployed"] += 1
    assert outcomes["refused"] > 0  # the mutations do reach the error paths
