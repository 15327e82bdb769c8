"""The ARM expression language: parser and every supported function (pure, no HTTP)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from kompox_tui.emulator.template import (
    KNOWN_FUNCTIONS,
    Call,
    DeploymentScope,
    ExpressionError,
    Index,
    Literal,
    Property,
    TemplateError,
    deterministic_guid,
    evaluate,
    normalize_id,
    parse_expression,
    parse_resource_id,
    unique_string,
)

SUB = "00000000-0000-0000-0000-000000000000"
TENANT = "11111111-1111-1111-1111-111111111111"
DEPLOYER = "22222222-2222-2222-2222-222222222222"
RG_SCOPE = DeploymentScope(SUB, TENANT, "japaneast", DEPLOYER, "dep", resource_group="rg1")


class DictHost:
    """A ResourceHost over a dict (keys lower-cased ids)."""

    def __init__(self, resources: dict[str, dict[str, Any]] | None = None) -> None:
        self.resources = {k.lower(): v for k, v in (resources or {}).items()}

    def create(
        self, resource_id: str, resource_type: str, api_version: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        self.resources[resource_id.lower()] = body
        return body

    def get(self, resource_id: str) -> dict[str, Any] | None:
        return self.resources.get(resource_id.lower())


def ev(expr: str, **kw: Any) -> Any:
    return evaluate(expr, **kw)


# --- parser ------------------------------------------------------------------------------


def test_parser_builds_calls_properties_and_indexes() -> None:
    node = parse_expression("variables('a').b[0]")
    assert node == Index(Property(Call("variables", (Literal("a"),)), "b"), Literal(0))


def test_parser_reads_escaped_quotes_in_string_literals() -> None:
    assert parse_expression("'it''s'") == Literal("it's")


def test_parser_reads_negative_and_decimal_numbers() -> None:
    assert parse_expression("add(-3, 1.5)") == Call("add", (Literal(-3), Literal(1.5)))


def test_parser_accepts_bare_true_false_null() -> None:
    assert parse_expression("if(true, null, false)") == Call(
        "if", (Literal(True), Literal(None), Literal(False))
    )


@pytest.mark.parametrize("text", ["concat('a'", "concat('a' 'b')", "'open", "a.b", "concat(#)", ""])
def test_parser_rejects_malformed_expressions(text: str) -> None:
    with pytest.raises(ExpressionError):
        parse_expression(text)


def test_double_bracket_is_a_literal_string() -> None:
    assert ev("[[notAnExpression()]") == "[notAnExpression()]"


def test_plain_strings_pass_through() -> None:
    assert ev("hello [world]") == "hello [world]"


def test_nested_structures_are_evaluated_recursively() -> None:
    value = {"a": ["[concat('x', 'y')]", {"b": "[toUpper('q')]"}], "n": 1}
    assert ev(value) == {"a": ["xy", {"b": "Q"}], "n": 1}  # type: ignore[arg-type]


def test_function_names_are_case_insensitive() -> None:
    assert ev("[TOLOWER(CONCAT('A', 'B'))]") == "ab"


# --- functions ---------------------------------------------------------------------------

CASES: list[tuple[str, Any]] = [
    ("[concat('a', 'b', 'c')]", "abc"),
    ("[concat(createArray(1, 2), createArray(3))]", [1, 2, 3]),
    ("[concat('n', 1)]", "n1"),
    ("[format('{0}-{1}', 'a', 2)]", "a-2"),
    ("[format('{0:D3}', 7)]", "007"),
    ("[format('{{{0}}}', 'x')]", "{x}"),
    ("[format('{0,5}|', 'ab')]", "   ab|"),
    ("[toLower('AbC')]", "abc"),
    ("[toUpper('AbC')]", "ABC"),
    ("[if(equals(1, 1), 'yes', 'no')]", "yes"),
    ("[if(false(), 'yes', 'no')]", "no"),
    ("[empty('')]", True),
    ("[empty(createArray())]", True),
    ("[empty(createObject())]", True),
    ("[empty(null())]", True),
    ("[empty('x')]", False),
    ("[equals('a', 'a')]", True),
    ("[equals(createObject('a', 1), createObject('A', 1))]", True),
    ("[equals(1, '1')]", False),
    ("[not(true())]", False),
    ("[and(true(), true(), false())]", False),
    ("[or(false(), true())]", True),
    ("[length('abcd')]", 4),
    ("[length(createArray(1, 2))]", 2),
    ("[length(createObject('a', 1))]", 1),
    ("[substring('abcdef', 1, 3)]", "bcd"),
    ("[substring('abcdef', 2)]", "cdef"),
    ("[replace('a-b-c', '-', '_')]", "a_b_c"),
    ("[take('abcdef', 3)]", "abc"),
    ("[take(createArray(1, 2, 3), 2)]", [1, 2]),
    ("[skip('abcdef', 4)]", "ef"),
    ("[skip(createArray(1, 2, 3), 1)]", [2, 3]),
    ("[createObject('a', 1, 'b', createArray('x'))]", {"a": 1, "b": ["x"]}),
    ("[createArray('a', 1, true())]", ["a", 1, True]),
    ("[contains('hello', 'ell')]", True),
    ("[contains(createArray('a', 'b'), 'b')]", True),
    ("[contains(createObject('Key', 1), 'key')]", True),
    ("[contains(createArray('a'), 'z')]", False),
    ("[coalesce(null(), 'x', 'y')]", "x"),
    ("[string(1)]", "1"),
    ("[string(true())]", "True"),
    ("[string(createObject('a', 1))]", '{"a":1}'),
    ("[int('42')]", 42),
    ("[bool('TRUE')]", True),
    ("[bool(0)]", False),
    ("[greater(2, 1)]", True),
    ("[greaterOrEquals(1, 1)]", True),
    ("[less('a', 'b')]", True),
    ("[lessOrEquals(3, 2)]", False),
    ("[first(createArray(1, 2))]", 1),
    ("[last(createArray(1, 2))]", 2),
    ("[first('abc')]", "a"),
    ("[last('abc')]", "c"),
    ("[split('a,b;c', createArray(',', ';'))]", ["a", "b", "c"]),
    ("[split('1,2,3', ',')]", ["1", "2", "3"]),
    ("[startsWith('Hello', 'he')]", True),
    ("[endsWith('Hello', 'LO')]", True),
    ("[trim('  x  ')]", "x"),
    ("[json('{\"a\": [1, 2]}').a[1]]", 2),
    ("[base64('hi')]", "aGk="),
    ("[base64ToString('aGk=')]", "hi"),
    ("[uri('https://x.test/a/b', 'c')]", "https://x.test/a/c"),
    ("[uri('https://x.test/a/', 'c')]", "https://x.test/a/c"),
    ("[union(createArray(1, 2), createArray(2, 3))]", [1, 2, 3]),
    ("[intersection(createArray(1, 2, 3), createArray(2, 3, 4))]", [2, 3]),
    ("[min(3, 1, 2)]", 1),
    ("[max(createArray(3, 1, 2))]", 3),
    ("[range(2, 3)]", [2, 3, 4]),
    ("[array('x')]", ["x"]),
    ("[indexOf(createArray('a', 'b'), 'b')]", 1),
    ("[padLeft('7', 3, '0')]", "007"),
    ("[environment().suffixes.acrLoginServer]", ".azurecr.io"),
    ("[createObject('a', createObject('b', 'c')).a.b]", "c"),
    ("[createArray('x', 'y')[1]]", "y"),
    ("[createObject('k', 'v')['K']]", "v"),
]


@pytest.mark.parametrize(("expr", "expected"), CASES, ids=[c[0] for c in CASES])
def test_function_results(expr: str, expected: Any) -> None:
    assert ev(expr) == expected


def test_union_deep_merges_objects_later_values_win() -> None:
    a = (
        "[union(createObject('a', 1, 'n', createObject('x', 1, 'y', 1)), "
        "createObject('b', 2, 'n', createObject('y', 2)))]"
    )
    assert ev(a) == {"a": 1, "b": 2, "n": {"x": 1, "y": 2}}


def test_union_replaces_non_object_values() -> None:
    assert ev("[union(createObject('a', createArray(1)), createObject('a', createArray(2)))]") == {
        "a": [2]
    }


def test_if_evaluates_only_the_chosen_branch() -> None:
    assert ev("[if(true(), 'ok', parameters('missing'))]") == "ok"


def test_parameters_and_variables_resolve_case_insensitively() -> None:
    out = ev(
        "[concat(parameters('Name'), variables('Suffix'))]",
        parameters={"name": "app"},
        variables={"suffix": "[toUpper(variables('raw'))]", "raw": "-x"},
    )
    assert out == "app-X"


def test_variables_that_refer_to_themselves_fail() -> None:
    with pytest.raises(TemplateError, match="refers to itself"):
        ev("[variables('a')]", variables={"a": "[variables('a')]"})


def test_unknown_parameter_names_the_parameter() -> None:
    with pytest.raises(TemplateError, match="'nope' is not found"):
        ev("[parameters('nope')]", parameters={"a": 1})


def test_unknown_function_names_the_function_and_location() -> None:
    with pytest.raises(TemplateError) as info:
        ev({"p": "[frobnicate('x')]"})
    assert info.value.code == "InvalidTemplate"
    assert "frobnicate" in info.value.message
    assert info.value.target == "value.p"


def test_missing_property_lists_available_properties() -> None:
    with pytest.raises(TemplateError, match="available properties are 'a'"):
        ev("[createObject('a', 1).b]")


def test_array_index_out_of_bounds() -> None:
    with pytest.raises(TemplateError, match="out of bounds"):
        ev("[createArray(1)[3]]")


def test_wrong_argument_type_is_reported() -> None:
    with pytest.raises(TemplateError, match="toLower"):
        ev("[toLower(1)]")


def test_wrong_arity_is_reported() -> None:
    with pytest.raises(TemplateError, match="'replace' must have 3"):
        ev("[replace('a', 'b')]")


def test_substring_out_of_range_is_reported() -> None:
    with pytest.raises(TemplateError, match="length parameter"):
        ev("[substring('abc', 1, 5)]")


def test_unique_string_is_13_lowercase_base32_chars_and_stable() -> None:
    value = ev("[uniqueString('a', 'b')]")
    assert re.fullmatch(r"[a-z2-7]{13}", value)
    assert value == unique_string("a", "b") == ev("[uniqueString('a', 'b')]")
    assert value != ev("[uniqueString('a', 'c')]")


def test_guid_is_a_deterministic_uuid() -> None:
    value = ev("[guid('a', 'b')]")
    assert str(uuid.UUID(value)) == value
    assert value == deterministic_guid("a", "b")
    assert value != ev("[guid('b', 'a')]")


def test_subscription_tenant_and_deployer() -> None:
    assert ev("[subscription()]") == {
        "id": f"/subscriptions/{SUB}",
        "subscriptionId": SUB,
        "tenantId": TENANT,
        "displayName": "Emulated subscription",
    }
    assert ev("[tenant().tenantId]") == TENANT
    assert ev("[deployer()]") == {"objectId": DEPLOYER, "tenantId": TENANT}


def test_resource_group_reads_the_stored_group() -> None:
    host = DictHost(
        {
            f"/subscriptions/{SUB}/resourceGroups/rg1": {
                "name": "rg1",
                "location": "westus",
                "tags": {"k": "v"},
            }
        }
    )
    rg = ev("[resourceGroup()]", scope=RG_SCOPE, host=host)
    assert rg["id"] == f"/subscriptions/{SUB}/resourceGroups/rg1"
    assert (rg["name"], rg["location"], rg["tags"]) == ("rg1", "westus", {"k": "v"})


def test_resource_group_is_not_allowed_at_subscription_scope() -> None:
    with pytest.raises(TemplateError, match="RESOURCEGROUP"):
        ev("[resourceGroup()]")


def test_resource_id_at_resource_group_scope() -> None:
    assert ev("[resourceId('Microsoft.KeyVault/vaults', 'kv')]", scope=RG_SCOPE) == (
        f"/subscriptions/{SUB}/resourceGroups/rg1/providers/Microsoft.KeyVault/vaults/kv"
    )


def test_resource_id_with_resource_group_and_subscription() -> None:
    assert ev("[resourceId('other', 'Microsoft.Web/sites', 'w')]", scope=RG_SCOPE) == (
        f"/subscriptions/{SUB}/resourceGroups/other/providers/Microsoft.Web/sites/w"
    )
    assert ev("[resourceId('s2', 'rg2', 'Microsoft.Web/sites', 'w')]") == (
        "/subscriptions/s2/resourceGroups/rg2/providers/Microsoft.Web/sites/w"
    )


def test_resource_id_of_nested_types_takes_one_name_per_segment() -> None:
    assert ev("[resourceId('Microsoft.A/b/c', 'n1', 'n2')]", scope=RG_SCOPE) == (
        f"/subscriptions/{SUB}/resourceGroups/rg1/providers/Microsoft.A/b/n1/c/n2"
    )
    with pytest.raises(TemplateError, match="one resource name argument"):
        ev("[resourceId('Microsoft.A/b/c', 'n1')]")


def test_resource_id_at_subscription_scope_is_subscription_level() -> None:
    assert ev("[resourceId('Microsoft.Authorization/roleDefinitions', 'r')]") == (
        f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/r"
    )


def test_subscription_resource_id() -> None:
    assert ev("[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'r')]") == (
        f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/r"
    )
    assert ev("[subscriptionResourceId('s9', 'Microsoft.Resources/resourceGroups', 'g')]") == (
        "/subscriptions/s9/resourceGroups/g"
    )


def test_extension_and_tenant_resource_ids() -> None:
    assert ev(
        "[extensionResourceId('/subscriptions/s/resourceGroups/g', "
        "'Microsoft.Resources/deployments', 'd')]"
    ) == ("/subscriptions/s/resourceGroups/g/providers/Microsoft.Resources/deployments/d")
    assert ev("[tenantResourceId('Microsoft.Management/managementGroups', 'mg')]") == (
        "/providers/Microsoft.Management/managementGroups/mg"
    )


def test_reference_returns_properties_or_the_full_resource() -> None:
    rid = f"/subscriptions/{SUB}/resourceGroups/rg1/providers/Microsoft.X/y/n"
    stored = {"id": rid, "identity": {"principalId": "p"}, "properties": {"uri": "u"}}
    host = DictHost({rid: stored})
    assert ev(f"[reference('{rid}').uri]", host=host) == "u"
    assert ev(f"[reference('{rid}', '2020-01-01', 'Full').identity.principalId]", host=host) == "p"


def test_reference_to_a_missing_resource_is_not_found() -> None:
    with pytest.raises(TemplateError, match="was not found"):
        ev(
            f"[reference('/subscriptions/{SUB}/resourceGroups/g/providers/Microsoft.X/y/n')]",
            host=DictHost(),
        )


def test_copy_index_with_offset() -> None:
    assert ev("[copyIndex(1)]", copy_index=2) == 3
    assert ev("[copyIndex()]", copy_index=0) == 0
    with pytest.raises(TemplateError, match="copyIndex"):
        ev("[copyIndex()]")


def test_utc_now_and_new_guid_only_in_parameter_defaults() -> None:
    with pytest.raises(TemplateError, match="utcNow"):
        ev("[utcNow()]")
    with pytest.raises(TemplateError, match="newGuid"):
        ev("[newGuid()]")


def test_deployment_function_names_the_deployment() -> None:
    assert ev("[deployment().name]") == "evaluate"


def test_every_registered_function_is_covered_by_a_case() -> None:
    text = " ".join(c[0] for c in CASES).lower() + (
        " parameters variables uniquestring guid subscription tenant deployer resourcegroup"
        " resourceid subscriptionresourceid extensionresourceid tenantresourceid reference"
        " copyindex utcnow newguid deployment null true false"
    )
    missing = [f for f in KNOWN_FUNCTIONS if f not in text]
    assert missing == []


def test_parse_resource_id_types_and_names() -> None:
    base = "/subscriptions/s/resourceGroups/g/providers"
    assert parse_resource_id(f"{base}/Microsoft.A/b/n1/c/n2") == (
        "s",
        "g",
        "Microsoft.A/b/c",
        "n1/n2",
    )
    assert parse_resource_id(
        f"{base}/Microsoft.A/b/n1/providers/Microsoft.Authorization/roleAssignments/r"
    ) == ("s", "g", "Microsoft.Authorization/roleAssignments", "r")
    assert parse_resource_id("/subscriptions/s/resourceGroups/g") == (
        "s",
        "g",
        "Microsoft.Resources/resourceGroups",
        "g",
    )


def test_normalize_id_treats_provider_style_group_ids_as_groups() -> None:
    assert normalize_id("/subscriptions/S/providers/Microsoft.Resources/resourceGroups/G") == (
        normalize_id("/subscriptions/s/resourceGroups/g/")
    )
