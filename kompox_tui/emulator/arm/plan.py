"""Planning one template: resource declarations -> ordered instances.

Expands resource copy loops, evaluates each instance's name, condition and id
(``reference`` is not allowed here: nothing is deployed yet), resolves ``dependsOn``
(symbolic name, loop name, resource name, ``type/name`` or full id) and orders the
instances so that each comes after what it depends on, keeping declaration order
otherwise; a cycle is ARM's "Circular dependency detected".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import AT, SYNTAX_HELP, TemplateError, invalid_template
from .evaluate import COPY_COUNT_LIMIT, EVALUATOR, Ctx, Frame
from .ids import interleave, normalize_id
from .interface import DEPLOYMENTS_TYPE, RESOURCE_GROUPS_TYPE, DeploymentScope


@dataclass
class Instance:
    """One resource to deploy (a copy-loop iteration of a declaration)."""

    index: int
    decl: dict[str, Any]
    path: str
    copy: dict[str, int]
    symbolic: str | None
    loop: str | None
    type: str = ""
    real_type: str = ""
    """The type stored: the extension's type for ``A/b/providers/C/d`` declarations."""
    name: str = ""
    api_version: str = ""
    resource_id: str = ""
    condition: bool = True
    depends: list[int] = field(default_factory=list)
    """Indexes (into the frame's instances) of what this one waits for."""


def plan(frame: Frame, where: str) -> list[Instance]:
    """The frame's resources in deployment order (also stored in ``frame.instances``)."""
    resources = frame.template.get("resources") or []
    decls: list[tuple[str | None, dict[str, Any], str]] = []
    if isinstance(resources, dict):
        for symbolic, decl in resources.items():
            decls.append((symbolic, decl, f"{where}resources['{symbolic}']"))
    else:
        for i, decl in enumerate(resources):
            decls.append((None, decl, f"{where}resources[{i}]"))
    instances: list[Instance] = []
    for symbolic, decl, path in decls:
        if decl.get("existing"):
            continue
        copy_spec = decl.get("copy")
        if copy_spec is not None:
            spec = copy_spec if isinstance(copy_spec, dict) else {}
            loop = spec.get("name")
            count = EVALUATOR.value(Ctx(frame, f"{path}.copy.count"), spec.get("count"))
            if not isinstance(loop, str) or not isinstance(count, int) or count < 0:
                raise invalid_template(
                    f"The copy loop of the resource at '{path}' needs a 'name' and a "
                    "non-negative integer 'count'.",
                    path,
                )
            if count > COPY_COUNT_LIMIT:
                raise invalid_template(
                    f"The copy loop '{loop}' of the resource at '{path}' has count {count}; "
                    f"the count can't exceed {COPY_COUNT_LIMIT}.",
                    path,
                )
            for i in range(count):
                instances.append(
                    Instance(len(instances), decl, path, {"": i, loop: i}, symbolic, loop)
                )
        else:
            instances.append(Instance(len(instances), decl, path, {}, symbolic, None))
    frame.instances = instances
    for inst in instances:
        _describe(frame, inst)
    for inst in instances:
        _dependencies(frame, inst, instances)
    return _order(instances)


def nested_scope(frame: Frame, inst: Instance, ctx: Ctx) -> DeploymentScope:
    """Where a nested ``Microsoft.Resources/deployments`` instance deploys its template."""
    decl = inst.decl
    scope = frame.scope
    rg = EVALUATOR.value(ctx, decl["resourceGroup"]) if "resourceGroup" in decl else None
    sub = EVALUATOR.value(ctx, decl["subscriptionId"]) if "subscriptionId" in decl else None
    if rg is None:
        rg = scope.resource_group
    return DeploymentScope(
        subscription_id=str(sub or scope.subscription_id),
        tenant_id=scope.tenant_id,
        location=str(EVALUATOR.value(ctx, decl.get("location")) or scope.location),
        deployer_object_id=scope.deployer_object_id,
        deployment_name=inst.name,
        resource_group=str(rg) if rg is not None else None,
        subscription_display_name=scope.subscription_display_name,
    )


def _describe(frame: Frame, inst: Instance) -> None:
    """Type, name, API version, condition and id of one instance."""
    decl = inst.decl
    ctx = Ctx(frame, inst.path, dict(inst.copy), allow_reference=False)
    rtype = decl.get("type")
    if not isinstance(rtype, str) or "/" not in rtype:
        raise invalid_template(
            f"The resource at '{inst.path}' must have a 'type' like 'Microsoft.X/y'.",
            inst.path,
        )
    inst.type = rtype
    name = EVALUATOR.value(ctx, decl.get("name"))
    if not isinstance(name, str) or not name:
        raise invalid_template(f"The resource at '{inst.path}' must have a 'name'.", inst.path)
    inst.name = name
    inst.api_version = str(decl.get("apiVersion") or "")
    if not inst.api_version:
        raise invalid_template(
            f"The resource '{rtype}/{name}' at '{inst.path}' has no 'apiVersion'.", inst.path
        )
    condition = EVALUATOR.value(ctx, decl.get("condition", True))
    if not isinstance(condition, bool):
        raise invalid_template(
            f"The 'condition' of the resource at '{inst.path}' must be a Boolean.", inst.path
        )
    inst.condition = condition
    if rtype.lower() == DEPLOYMENTS_TYPE.lower():
        inst.resource_id = nested_scope(frame, inst, ctx).deployment_id
        inst.real_type = DEPLOYMENTS_TYPE
        return
    scope_value = EVALUATOR.value(ctx, decl.get("scope")) if "scope" in decl else None
    if scope_value is not None and not isinstance(scope_value, str):
        raise invalid_template(f"The 'scope' at '{inst.path}' must be a string.", inst.path)
    inst.resource_id, inst.real_type = _declared_id(frame, inst, scope_value)


def _scope_id(frame: Frame, scope_value: str) -> str:
    """A resource's ``scope`` property as a full id (relative values are under the RG)."""
    if scope_value.startswith("/"):
        return scope_value.rstrip("/")
    base = frame.scope.resource_group_id or frame.scope.subscription_resource_id
    return f"{base}/providers/{scope_value.strip('/')}"


def _declared_id(frame: Frame, inst: Instance, scope_value: str | None) -> tuple[str, str]:
    """``(resource id, real type)`` of a declared resource instance."""
    rtype, name = inst.type, inst.name
    namespace, *types = rtype.split("/")
    names = name.split("/")
    scope = frame.scope
    container = scope.resource_group_id or scope.subscription_resource_id
    lowered = [t.lower() for t in types]
    if "providers" in lowered:
        # An extension resource declared as "A/b/providers/C/d" with name "n/C/m".
        k = lowered.index("providers")
        base_types, ext_types = types[:k], types[k + 1 :]
        if len(names) != len(base_types) + 1 + len(ext_types):
            raise _segment_error(inst)
        base_names = names[: len(base_types)]
        ext_ns = names[len(base_types)]
        ext_names = names[len(base_types) + 1 :]
        base = f"{container}/providers/{namespace}/{interleave(base_types, base_names)}"
        rid = f"{base}/providers/{ext_ns}/{interleave(ext_types, ext_names)}"
        return rid, "/".join([ext_ns, *ext_types])
    if len(names) != len(types):
        raise _segment_error(inst)
    if scope_value:
        return (
            f"{_scope_id(frame, scope_value)}/providers/{namespace}/{interleave(types, names)}",
            rtype,
        )
    if rtype.lower() == RESOURCE_GROUPS_TYPE.lower():
        if scope.resource_group is not None:
            raise invalid_template(
                f"The resource '{inst.path}' of type '{rtype}' can only be deployed at "
                "subscription scope.",
                inst.path,
            )
        return f"{scope.subscription_resource_id}/resourceGroups/{name}", rtype
    return f"{container}/providers/{namespace}/{interleave(types, names)}", rtype


def _segment_error(inst: Instance) -> TemplateError:
    return invalid_template(
        f"The template resource '{inst.name}' for type '{inst.type}' {AT} has incorrect "
        "segment lengths. A nested resource type must have identical number of segments as "
        "its resource name. A root resource type must have segment length one greater than "
        f"its resource name. {SYNTAX_HELP}",
        inst.path,
    )


def _dependencies(frame: Frame, inst: Instance, instances: list[Instance]) -> None:
    depends = inst.decl.get("dependsOn") or []
    if not isinstance(depends, list):
        raise invalid_template(f"'dependsOn' at '{inst.path}' must be an array.", inst.path)
    ctx = Ctx(frame, f"{inst.path}.dependsOn", dict(inst.copy), allow_reference=False)
    for raw in depends:
        entry = EVALUATOR.value(ctx, raw)
        if not isinstance(entry, str):
            raise invalid_template(
                f"A 'dependsOn' entry at '{inst.path}' must be a string.", inst.path
            )
        matches = _match(entry, instances)
        if not matches:
            raise invalid_template(
                f"The resource '{entry}' is not defined in the template (referenced from "
                f"'dependsOn' at '{inst.path}'). {SYNTAX_HELP}",
                inst.path,
            )
        for other in matches:
            if other.index != inst.index and other.index not in inst.depends:
                inst.depends.append(other.index)


def _match(entry: str, instances: list[Instance]) -> list[Instance]:
    """The instances a ``dependsOn`` entry names (a loop name names every iteration)."""
    if entry.startswith("/"):
        key = normalize_id(entry)
        return [i for i in instances if normalize_id(i.resource_id) == key]
    low = entry.lower()
    return [
        i
        for i in instances
        if (i.symbolic or "").lower() == low
        or (i.loop or "").lower() == low
        or i.name.lower() == low
        or f"{i.type}/{i.name}".lower() == low
    ]


def _order(instances: list[Instance]) -> list[Instance]:
    """Dependencies first, otherwise declaration order (a stable topological sort)."""
    done: set[int] = set()
    ordered: list[Instance] = []
    pending = list(instances)
    while pending:
        ready = [i for i in pending if all(d in done for d in i.depends)]
        if not ready:
            names = ", ".join(f"'{i.type}/{i.name}'" for i in pending)
            raise invalid_template(
                f"Circular dependency detected on resource(s): {names}. {SYNTAX_HELP}"
            )
        first = ready[0]
        ordered.append(first)
        done.add(first.index)
        pending.remove(first)
    return ordered
