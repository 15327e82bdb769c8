"""The ARM expression language: parser, evaluation and its errors (pure, no HTTP).

Each function's own values are pinned in test_arm_functions.py."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from arm_hosts import DictHost

from kompox_tui.emulator.arm import (
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


def ev(expr: Any, **kw: Any) -> Any:
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
    assert ev(value) == {"a": ["xy", {"b": "Q"}], "n": 1}


def test_function_names_are_case_insensitive() -> None:
    assert ev("[TOLOWER(CONCAT('A', 'B'))]") == "ab"


# --- evaluation ---------------------------------------------------------------------------

ACCESS_CASES: list[tuple[str, Any]] = [
    ("[createObject('a', createObject('b', 'c')).a.b]", "c"),
    ("[createArray('x', 'y')[1]]", "y"),
    ("[createObject('k', 'v')['K']]", "v"),
    ("[json('{\"a\": [1, 2]}').a[1]]", 2),
]


@pytest.mark.parametrize(("expr", "expected"), ACCESS_CASES, ids=[c[0] for c in ACCESS_CASES])
def test_properties_and_indexes_read_results_case_insensitively(expr: str, expected: Any) -> None:
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


def test_extension_resource_id_appends_to_any_scope() -> None:
    assert ev(
        "[extensionResourceId('/subscriptions/s/resourceGroups/g', "
        "'Microsoft.Resources/deployments', 'd')]"
    ) == ("/subscriptions/s/resourceGroups/g/providers/Microsoft.Resources/deployments/d")


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


def test_format_alignment_that_is_not_a_number_is_reported() -> None:
    with pytest.raises(TemplateError, match="alignment 'x'"):
        ev("[format('{0,x}', 1)]")


def test_property_copy_entries_must_be_objects() -> None:
    with pytest.raises(TemplateError, match="property copy loop needs a 'name'"):
        ev({"copy": [5]})
    assert ev({"copy": [{"name": "a", "count": 2, "input": "[copyIndex('a')]"}]}) == {"a": [0, 1]}


@pytest.mark.parametrize("count", [-1, 801])
def test_property_copy_count_is_between_0_and_800(count: int) -> None:
    with pytest.raises(TemplateError, match="can't be negative or exceed 800"):
        ev({"copy": [{"name": "a", "count": count, "input": "x"}]})
    assert len(ev({"copy": [{"name": "a", "count": 800, "input": "x"}]})["a"]) == 800
