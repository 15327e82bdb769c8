"""The validation phase, before anything is created: schema, the static expression
pass (syntax and function names in the whole template, nested templates too) and
parameter binding (types, allowed values, lengths, ranges, defaults).

ARM validates the same way: a template with a typo in its last output fails before
its first resource is deployed.
"""

from __future__ import annotations

from typing import Any

from .errors import (
    AT,
    FUNCTIONS_HELP,
    SYNTAX_HELP,
    ExpressionError,
    TemplateError,
    invalid_template,
)
from .evaluate import EVALUATOR, Ctx, Frame
from .functions import KNOWN_FUNCTIONS
from .interface import RESOURCE_GROUP_SCHEMAS, SUBSCRIPTION_SCHEMAS, DeploymentScope
from .nodes import calls
from .parser import is_expression, parse_expression
from .registry import unsupported_note
from .values import equal, to_string, type_name

_PARAM_TYPES = {
    "string": (str,),
    "securestring": (str,),
    "int": (int,),
    "bool": (bool,),
    "object": (dict,),
    "secureobject": (dict,),
    "array": (list,),
}
_TYPE_LABEL = {
    "string": "String, Uri",
    "securestring": "String, Uri",
    "int": "Integer",
    "bool": "Boolean",
    "object": "Object",
    "secureobject": "Object",
    "array": "Array",
}


def validate(
    template: dict[str, Any], parameters: dict[str, Any] | None, *, scope: DeploymentScope
) -> None:
    """The validation phase: schema, expressions, parameter binding. Raises TemplateError."""
    check_schema(template, subscription_scope=scope.resource_group is None, where="template")
    _check_template_statically(template, "")
    frame = Frame(template, scope, None)
    bind_parameters(frame, parameters, where="parameters")


def check_schema(template: Any, *, subscription_scope: bool, where: str) -> None:
    """The ``$schema`` fits the deployment's scope and ``resources`` is a list or object."""
    if not isinstance(template, dict):
        raise invalid_template(f"The template at '{where}' must be a JSON object.", where)
    schema = str(template.get("$schema", ""))
    allowed = SUBSCRIPTION_SCHEMAS if subscription_scope else RESOURCE_GROUP_SCHEMAS
    if schema.lower() not in (s.lower() for s in allowed):
        kind = "subscription" if subscription_scope else "resource group"
        raise invalid_template(
            f"The template schema '{schema}' at '{where}' is not supported for a {kind} "
            f"deployment. Supported: '{', '.join(allowed)}'. {SYNTAX_HELP}",
            where,
        )
    resources = template.get("resources", [])
    if not isinstance(resources, list | dict):
        raise invalid_template(f"'{where}.resources' must be an array.", where)


def _check_expressions(value: Any, where: str) -> None:
    """Parse every expression below ``value`` and reject unknown functions (the static pass)."""
    if isinstance(value, str):
        if not is_expression(value):
            return
        try:
            node = parse_expression(value[1:-1])
        except ExpressionError as exc:
            raise TemplateError(
                "InvalidTemplate",
                f"Deployment template validation failed: 'The template language expression at "
                f"'{where}' is not valid: {exc}'.",
                where,
            ) from None
        for call in calls(node):
            if call.name.lower() not in KNOWN_FUNCTIONS:
                raise TemplateError(
                    "InvalidTemplate",
                    f"Deployment template validation failed: 'The template function "
                    f"'{call.name}' at '{where}' is not valid. {FUNCTIONS_HELP}'."
                    f"{unsupported_note(call.name)}",
                    where,
                )
        return
    if isinstance(value, list):
        for i, item in enumerate(value):
            _check_expressions(item, f"{where}[{i}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_expressions(item, f"{where}.{key}" if where else key)


def _check_template_statically(template: dict[str, Any], where: str) -> None:
    """Expression syntax and function names in the whole template, nested templates too."""
    prefix = f"{where}." if where else ""
    _check_sections(template, prefix)
    for section in ("parameters", "variables", "outputs"):
        _check_expressions(template.get(section) or {}, f"{prefix}{section}")
    resources = template.get("resources") or []
    items = resources.items() if isinstance(resources, dict) else enumerate(resources)
    for key, resource in items:
        rwhere = (
            f"{prefix}resources[{key!r}]" if isinstance(key, str) else f"{prefix}resources[{key}]"
        )
        if not isinstance(resource, dict):
            raise invalid_template(f"The resource at '{rwhere}' must be an object.", rwhere)
        for rkey, rvalue in resource.items():
            if rkey == "properties" and isinstance(rvalue, dict):
                for pkey, pvalue in rvalue.items():
                    if pkey == "template" and isinstance(pvalue, dict):
                        _check_template_statically(pvalue, f"{rwhere}.properties.template")
                    else:
                        _check_expressions(pvalue, f"{rwhere}.properties.{pkey}")
            else:
                _check_expressions(rvalue, f"{rwhere}.{rkey}")


def _check_sections(template: dict[str, Any], prefix: str) -> None:
    """The sections have the JSON type ARM's template schema gives them."""
    for section in ("parameters", "variables", "outputs"):
        value = template.get(section)
        if value is not None and not isinstance(value, dict):
            where = f"{prefix}{section}"
            raise invalid_template(
                f"The template section '{where}' must be a JSON object, not "
                f"{type_name(value)}. {SYNTAX_HELP}",
                where,
            )
    resources = template.get("resources")
    if resources is not None and not isinstance(resources, list | dict):
        where = f"{prefix}resources"
        raise invalid_template(
            f"The template section '{where}' must be an array, not {type_name(resources)}. "
            f"{SYNTAX_HELP}",
            where,
        )


def bind_parameters(frame: Frame, given: dict[str, Any] | None, *, where: str) -> None:
    """Check and bind parameter values (given as ``{name: {"value": v}}``)."""
    decls: dict[str, Any] = frame.template.get("parameters") or {}
    lower_decls = {k.lower(): k for k in decls}
    given = given or {}
    if not isinstance(given, dict):
        raise invalid_template("The deployment parameters must be a JSON object.", where)
    unknown = [k for k in given if k.lower() not in lower_decls]
    if unknown:
        supported = ", ".join(decls)
        raise invalid_template(
            f"The template parameters '{', '.join(unknown)}' in the parameters file are not "
            "valid; they are not present in the original template and can therefore not be "
            f"provided at deployment time. The only supported parameters for this template are "
            f"'{supported}'. Please see https://aka.ms/arm-pass-parameter-values for usage "
            "details.",
            where,
        )
    given_lower = {k.lower(): v for k, v in given.items()}
    for name, decl in decls.items():
        key = name.lower()
        if not isinstance(decl, dict) or "type" not in decl:
            raise invalid_template(
                f"The template parameter '{name}' {AT} has no 'type'. {SYNTAX_HELP}", where
            )
        ptype = str(decl["type"]).lower()
        if ptype not in _PARAM_TYPES:
            raise invalid_template(
                f"The template parameter '{name}' {AT} has an invalid type '{decl['type']}'. "
                "Allowed types: string, securestring, int, bool, object, secureobject, array.",
                where,
            )
        if key in given_lower:
            entry = given_lower[key]
            if not isinstance(entry, dict) or "value" not in entry:
                if isinstance(entry, dict) and "reference" in entry:
                    raise invalid_template(
                        f"The template parameter '{name}' uses a Key Vault reference, which "
                        "the emulator does not support.",
                        where,
                    )
                raise invalid_template(
                    f"The value for the template parameter '{name}' must be given as "
                    '{"value": ...}.',
                    where,
                )
            value = entry["value"]
        elif "defaultValue" in decl:
            ctx = Ctx(frame, f"{where}.parameters.{name}.defaultValue", in_parameter_default=True)
            value = EVALUATOR.value(ctx, decl["defaultValue"])
        else:
            raise invalid_template(
                f"The value for the template parameter '{name}' {AT} is not provided. Please "
                "see https://aka.ms/arm-create-parameter-file for usage details.",
                where,
            )
        wanted = _PARAM_TYPES[ptype]
        type_ok = isinstance(value, wanted) and not (ptype == "int" and isinstance(value, bool))
        if not type_ok:
            raise invalid_template(
                f"Template parameter JToken type is not valid for the parameter '{name}'. "
                f"Expected '{_TYPE_LABEL[ptype]}'. Actual '{type_name(value)}'. Please see "
                "https://aka.ms/arm-create-parameter-file for usage details.",
                where,
            )
        _check_constraints(name, decl, value, where)
        frame.params[key] = value


def _check_constraints(name: str, decl: dict[str, Any], value: Any, where: str) -> None:
    allowed = decl.get("allowedValues")
    if isinstance(allowed, list):
        items = value if isinstance(value, list) else [value]
        for item in items:
            if not any(equal(item, a) for a in allowed):
                listing = ",".join(to_string(a) for a in allowed)
                raise invalid_template(
                    f"The provided value '{to_string(item)}' for the template parameter "
                    f"'{name}' {AT} is not valid. The parameter value is not part of the "
                    f"allowed value(s): '{listing}'.",
                    where,
                )
    if isinstance(value, str | list):
        min_length = decl.get("minLength")
        max_length = decl.get("maxLength")
        if isinstance(min_length, int) and len(value) < min_length:
            raise invalid_template(
                f"The provided value for the template parameter '{name}' {AT} is not valid. "
                f"Length of the value should be greater than or equal to '{min_length}'. "
                "Please see https://aka.ms/arm-parameters for usage details.",
                where,
            )
        if isinstance(max_length, int) and len(value) > max_length:
            raise invalid_template(
                f"The provided value for the template parameter '{name}' {AT} is not valid. "
                f"Length of the value should be less than or equal to '{max_length}'. "
                "Please see https://aka.ms/arm-parameters for usage details.",
                where,
            )
    if isinstance(value, int) and not isinstance(value, bool):
        min_value = decl.get("minValue")
        max_value = decl.get("maxValue")
        if isinstance(min_value, int) and value < min_value:
            raise invalid_template(
                f"The provided value '{value}' for the template parameter '{name}' {AT} is "
                f"not valid. The value should be greater than or equal to '{min_value}'.",
                where,
            )
        if isinstance(max_value, int) and value > max_value:
            raise invalid_template(
                f"The provided value '{value}' for the template parameter '{name}' {AT} is "
                f"not valid. The value should be less than or equal to '{max_value}'.",
                where,
            )
