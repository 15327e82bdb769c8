"""``authorization.k8s.io/v1`` self-subject reviews (``kubectl auth can-i``).

The kubeconfig ``listClusterAdminCredential`` hands out is the cluster admin's (bound to
``cluster-admin``), so every access review is allowed and the rules review lists the
wildcard rules of that role, as a real AKS cluster answers its admin.
"""

from __future__ import annotations

import copy
from typing import Any

from .kinds import Kind, bad_request


def answer(kind: Kind, body: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(body)
    out["apiVersion"] = kind.api_version
    out["kind"] = kind.kind
    out.setdefault("metadata", {})
    out["metadata"].setdefault("creationTimestamp", None)
    spec = out.get("spec")
    if not isinstance(spec, dict):
        raise bad_request(f"{kind.kind}.spec is required")
    if kind.kind == "SelfSubjectAccessReview":
        if not spec.get("resourceAttributes") and not spec.get("nonResourceAttributes"):
            raise bad_request(
                "exactly one of nonResourceAttributes or resourceAttributes must be specified"
            )
        out["status"] = {
            "allowed": True,
            "reason": 'RBAC: allowed by ClusterRoleBinding "cluster-admin"',
        }
    else:
        out["status"] = {
            "resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}],
            "nonResourceRules": [
                {"verbs": ["*"], "nonResourceURLs": ["*"]},
                {
                    "verbs": ["get"],
                    "nonResourceURLs": [
                        "/api",
                        "/api/*",
                        "/apis",
                        "/apis/*",
                        "/healthz",
                        "/livez",
                        "/openapi",
                        "/openapi/*",
                        "/readyz",
                        "/version",
                        "/version/",
                    ],
                },
            ],
            "incomplete": False,
        }
    return out
