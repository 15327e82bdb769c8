"""Every template function the ARM engine keeps: a literal expression and the value
ARM documents for it (aka.ms/arm-functions; examples taken from those pages where
they give one), plus the message for ARM functions the emulator leaves out."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from arm_hosts import DictHost

from kompox_tui.emulator import template as template_shim
from kompox_tui.emulator.arm import (
    KNOWN_FUNCTIONS,
    SUBSCRIPTION_SCHEMAS,
    DeploymentScope,
    TemplateError,
    deploy,
    evaluate,
    parse_expression,
    validate,
)
from kompox_tui.emulator.arm import nodes as arm_nodes
from kompox_tui.emulator.arm.registry import ARM_FUNCTIONS

SUB = "00000000-0000-0000-0000-000000000000"
TENANT = "11111111-1111-1111-1111-111111111111"
DEPLOYER = "22222222-2222-2222-2222-222222222222"
SUB_SCOPE = DeploymentScope(SUB, TENANT, "japaneast", DEPLOYER, "dep")
RG_SCOPE = DeploymentScope(SUB, TENANT, "japaneast", DEPLOYER, "dep", resource_group="rg1")
RG_ID = f"/subscriptions/{SUB}/resourceGroups/rg1"
VAULT_ID = f"{RG_ID}/providers/Microsoft.KeyVault/vaults/kv1"


HOST = DictHost(
    {
        RG_ID: {"name": "rg1", "location": "westus", "tags": {"env": "dev"}},
        VAULT_ID: {
            "id": VAULT_ID,
            "identity": {"principalId": "p-1"},
            "properties": {"vaultUri": "https://kv1.vault.azure.net/"},
        },
    }
)

# (expression, evaluate() keyword arguments, expected value)
CASES: list[tuple[str, dict[str, Any], Any]] = [
    # --- string functions
    ("[concat('prefix', '-', 'x')]", {}, "prefix-x"),
    ("[concat(createArray('1-1', '1-2'), createArray('2-1'))]", {}, ["1-1", "1-2", "2-1"]),
    ("[concat('n', 1)]", {}, "n1"),
    (
        "[format('{0}, {1}. Formatted number: {2:N0}', 'Hello', 'User', 8175133)]",
        {},
        "Hello, User. Formatted number: 8,175,133",
    ),
    ("[format('{0:D3}', 7)]", {}, "007"),
    ("[format('{{{0}}}', 'x')]", {}, "{x}"),
    ("[format('{0,5}|', 'ab')]", {}, "   ab|"),
    ("[toLower('One Two Three')]", {}, "one two three"),
    ("[toUpper('One Two Three')]", {}, "ONE TWO THREE"),
    ("[substring('one two three', 4, 3)]", {}, "two"),
    ("[substring('abcdef', 2)]", {}, "cdef"),
    ("[replace('123-123-1234', '-', '')]", {}, "1231231234"),
    ("[split('one,two,three', ',')]", {}, ["one", "two", "three"]),
    ("[split('one;two,three', createArray(',', ';'))]", {}, ["one", "two", "three"]),
    (
        "[string(createObject('valueA', 10, 'valueB', 'Example Text'))]",
        {},
        '{"valueA":10,"valueB":"Example Text"}',
    ),
    ("[string(createArray('a', 'b', 'c'))]", {}, '["a","b","c"]'),
    ("[string(5)]", {}, "5"),
    ("[string(true())]", {}, "True"),
    ("[base64('one, two, three')]", {}, "b25lLCB0d28sIHRocmVl"),
    # uniqueString and guid: shape and determinism are pinned below
    # --- array and object functions
    ("[createArray(1, 2, 3)]", {}, [1, 2, 3]),
    ("[createArray()]", {}, []),
    (
        "[createObject('intProp', 1, 'arrayProp', createArray('a'))]",
        {},
        {"intProp": 1, "arrayProp": ["a"]},
    ),
    (
        "[union(createArray('one', 'two', 'three'), createArray('three', 'four'))]",
        {},
        ["one", "two", "three", "four"],
    ),
    (
        "[union(createObject('a', 'b', 'c', 'd'), createObject('c', 'e', 'f', 'g'))]",
        {},
        {"a": "b", "c": "e", "f": "g"},
    ),
    ("[contains('OneTwoThree', 'e')]", {}, True),
    ("[contains('OneTwoThree', 'z')]", {}, False),
    ("[contains(createObject('one', 'a'), 'ONE')]", {}, True),
    ("[contains(createArray('one', 'two'), 'two')]", {}, True),
    ("[empty('')]", {}, True),
    ("[empty(createArray())]", {}, True),
    ("[empty(createObject())]", {}, True),
    ("[empty(null())]", {}, True),
    ("[empty('x')]", {}, False),
    ("[length('One Two Three')]", {}, 13),
    ("[length(createArray('one', 'two', 'three'))]", {}, 3),
    ("[length(createObject('a', 1, 'b', 2))]", {}, 2),
    ("[first(createArray('one', 'two', 'three'))]", {}, "one"),
    ("[first('One Two Three')]", {}, "O"),
    ("[last(createArray('one', 'two', 'three'))]", {}, "three"),
    ("[last('One Two Three')]", {}, "e"),
    ("[take(createArray('one', 'two', 'three'), 2)]", {}, ["one", "two"]),
    ("[take('one two three', 2)]", {}, "on"),
    ("[take('abc', 0)]", {}, ""),
    ("[skip(createArray('one', 'two', 'three'), 2)]", {}, ["three"]),
    ("[skip('one two three', 4)]", {}, "two three"),
    ("[range(1, 5)]", {}, [1, 2, 3, 4, 5]),
    ('[json(\'{"a": "b"}\').a]', {}, "b"),
    ("[json('null')]", {}, None),
    # --- logical, comparison, numeric
    ("[if(equals(1, 1), 'yes', 'no')]", {}, "yes"),
    ("[if(false(), 'yes', 'no')]", {}, "no"),
    ("[and(true(), true(), false())]", {}, False),
    ("[or(false(), true())]", {}, True),
    ("[not(true())]", {}, False),
    ("[true()]", {}, True),
    ("[false()]", {}, False),
    ("[null()]", {}, None),
    ("[equals('abc', 'abc')]", {}, True),
    ("[equals(1, '1')]", {}, False),
    ("[equals(createObject('a', 1), createObject('A', 1))]", {}, True),
    ("[coalesce(null(), null(), 'default')]", {}, "default"),
    ("[coalesce(null(), '')]", {}, ""),
    ("[bool('true')]", {}, True),
    ("[bool(0)]", {}, False),
    ("[bool(1)]", {}, True),
    ("[int('4')]", {}, 4),
    # --- deployment values and scope
    ("[parameters('Name')]", {"parameters": {"name": "app"}}, "app"),
    (
        "[variables('Full')]",
        {"variables": {"full": "[concat(variables('raw'), '-x')]", "raw": "v"}},
        "v-x",
    ),
    ("[copyIndex()]", {"copy_index": 2}, 2),
    ("[copyIndex(1)]", {"copy_index": 2}, 3),
    ("[deployment().name]", {"scope": SUB_SCOPE}, "dep"),
    (
        "[deployment().id]",
        {"scope": RG_SCOPE},
        f"{RG_ID}/providers/Microsoft.Resources/deployments/dep",
    ),
    ("[deployer()]", {}, {"objectId": DEPLOYER, "tenantId": TENANT}),
    (
        "[subscription()]",
        {},
        {
            "id": f"/subscriptions/{SUB}",
            "subscriptionId": SUB,
            "tenantId": TENANT,
            "displayName": "Emulated subscription",
        },
    ),
    ("[tenant().tenantId]", {}, TENANT),
    ("[resourceGroup().id]", {"scope": RG_SCOPE, "host": HOST}, RG_ID),
    ("[resourceGroup().location]", {"scope": RG_SCOPE, "host": HOST}, "westus"),
    ("[resourceGroup().tags.env]", {"scope": RG_SCOPE, "host": HOST}, "dev"),
    # --- resource functions
    ("[resourceId('Microsoft.KeyVault/vaults', 'kv1')]", {"scope": RG_SCOPE}, VAULT_ID),
    (
        "[resourceId('s2', 'rg2', 'Microsoft.Web/sites', 'w')]",
        {},
        "/subscriptions/s2/resourceGroups/rg2/providers/Microsoft.Web/sites/w",
    ),
    (
        "[resourceId('Microsoft.A/b/c', 'n1', 'n2')]",
        {"scope": RG_SCOPE},
        f"{RG_ID}/providers/Microsoft.A/b/n1/c/n2",
    ),
    (
        "[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'r')]",
        {"scope": RG_SCOPE},
        f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/r",
    ),
    (
        "[subscriptionResourceId('Microsoft.Resources/resourceGroups', 'g')]",
        {},
        f"/subscriptions/{SUB}/resourceGroups/g",
    ),
    (
        f"[extensionResourceId('{VAULT_ID}', 'Microsoft.Authorization/roleAssignments', 'ra')]",
        {},
        f"{VAULT_ID}/providers/Microsoft.Authorization/roleAssignments/ra",
    ),
    (f"[reference('{VAULT_ID}').vaultUri]", {"host": HOST}, "https://kv1.vault.azure.net/"),
    (
        f"[reference('{VAULT_ID}', '2023-07-01', 'Full').identity.principalId]",
        {"host": HOST},
        "p-1",
    ),
]


@pytest.mark.parametrize(("expr", "kwargs", "expected"), CASES, ids=[c[0] for c in CASES])
def test_function_gives_the_documented_value(
    expr: str, kwargs: dict[str, Any], expected: Any
) -> None:
    assert evaluate(expr, **kwargs) == expected


def test_unique_string_is_13_lowercase_base32_chars_stable_and_argument_sensitive() -> None:
    value = evaluate("[uniqueString('sub', 'rg')]")
    assert re.fullmatch(r"[a-z2-7]{13}", value)
    assert value == evaluate("[uniqueString('sub', 'rg')]")
    assert value != evaluate("[uniqueString('sub', 'rg2')]")


def test_guid_is_a_uuid_stable_and_order_sensitive() -> None:
    value = evaluate("[guid('a', 'b')]")
    assert str(uuid.UUID(value)) == value
    assert value == evaluate("[guid('a', 'b')]")
    assert value != evaluate("[guid('b', 'a')]")


UTC_NOW_TEMPLATE: dict[str, Any] = {
    "$schema": SUBSCRIPTION_SCHEMAS[0],
    "contentVersion": "1.0.0.0",
    "parameters": {
        "year": {"type": "string", "defaultValue": "[utcNow('yyyy')]"},
        "stamp": {"type": "string", "defaultValue": "[utcNow()]"},
    },
    "resources": [],
    "outputs": {
        "year": {"type": "string", "value": "[parameters('year')]"},
        "stamp": {"type": "string", "value": "[parameters('stamp')]"},
    },
}


def test_utc_now_in_a_parameter_default_gives_the_current_time() -> None:
    outputs = deploy(UTC_NOW_TEMPLATE, None, scope=SUB_SCOPE, host=DictHost()).outputs
    assert outputs["year"]["value"] == str(datetime.now(UTC).year)
    # The documented default format is yyyyMMddTHHmmssZ.
    assert re.fullmatch(r"\d{8}T\d{6}Z", outputs["stamp"]["value"])


def test_utc_now_outside_a_parameter_default_is_refused() -> None:
    with pytest.raises(TemplateError, match="utcNow"):
        evaluate("[utcNow()]")


def _names(expr: str) -> set[str]:
    return {c.name.lower() for c in arm_nodes.calls(parse_expression(expr[1:-1]))}


def test_every_kept_function_has_a_documented_case() -> None:
    covered = set().union(*(_names(c[0]) for c in CASES))
    covered |= {"uniquestring", "guid", "utcnow"}  # pinned by the tests above
    assert sorted(KNOWN_FUNCTIONS - covered) == []


def test_every_kept_function_is_an_arm_function() -> None:
    assert sorted(KNOWN_FUNCTIONS - ARM_FUNCTIONS) == []


DROPPED = ["greater", "indexOf", "padLeft", "dateTimeAdd", "listKeys", "tenantResourceId"]


@pytest.mark.parametrize("name", DROPPED)
def test_an_arm_function_left_out_is_named_as_not_emulated_before_deploying(name: str) -> None:
    template = dict(
        UTC_NOW_TEMPLATE, outputs={"x": {"type": "string", "value": f"[{name}('a', 1)]"}}
    )
    with pytest.raises(TemplateError) as info:
        validate(template, None, scope=SUB_SCOPE)
    assert info.value.code == "InvalidTemplate"
    assert f"'{name}'" in info.value.message
    assert "the emulator does not implement" in info.value.message
    assert info.value.target == "outputs.x.value"


def test_an_unknown_function_is_just_not_valid() -> None:
    with pytest.raises(TemplateError) as info:
        evaluate("[frobnicate('x')]")
    assert "'frobnicate' is not valid" in info.value.message
    assert "does not implement" not in info.value.message


def test_the_template_module_re_exports_the_engine() -> None:
    assert template_shim.deploy is deploy
    assert template_shim.KNOWN_FUNCTIONS is KNOWN_FUNCTIONS


@pytest.mark.parametrize(
    ("expr", "fragment"),
    [
        ("[range(0, 10001)]", "non-negative integer up to 10000"),
        ("[range(0, -1)]", "non-negative integer up to 10000"),
        ("[range(2147483647, 1)]", "no greater than 2147483647"),
    ],
)
def test_range_keeps_to_arms_documented_bounds(expr: str, fragment: str) -> None:
    with pytest.raises(TemplateError, match=fragment):
        evaluate(expr)
    assert len(evaluate("[range(0, 10000)]")) == 10000
