"""The emulated Kubernetes API (one API server per AKS managed cluster).

Modules: :mod:`.kinds` (served types, Status errors), :mod:`.store` (object CRUD),
:mod:`.selectors`, :mod:`.patches`, :mod:`.apply` (PATCH and server-side apply),
:mod:`.controllers` with :mod:`.workloads`, :mod:`.pods`, :mod:`.nodes`,
:mod:`.volumes` and :mod:`.events`, :mod:`.tables` (``kubectl get`` printing),
:mod:`.watch`, :mod:`.discovery`, :mod:`.openapi`, :mod:`.reviews`, :mod:`.protobuf`,
and :mod:`.server` (routes; ``ctx.services["kube"]``).
"""

from .kinds import KINDS, Kind, KubeError
from .nodes import instance_id, pool_digits
from .patches import json_patch, merge_patch, strategic_merge_patch
from .pods import POD_START_SECONDS
from .selectors import parse_field_selector, parse_label_selector
from .server import DEFAULT_KUBERNETES_VERSION, KubeService, cluster_key, register
from .store import PROTECTED_NAMESPACES

__all__ = [
    "DEFAULT_KUBERNETES_VERSION",
    "KINDS",
    "POD_START_SECONDS",
    "PROTECTED_NAMESPACES",
    "Kind",
    "KubeError",
    "KubeService",
    "cluster_key",
    "instance_id",
    "json_patch",
    "merge_patch",
    "parse_field_selector",
    "parse_label_selector",
    "pool_digits",
    "register",
    "strategic_merge_patch",
]
