"""The emulated Kubernetes API's pure parts and handlers, without the HTTPS server.

End-to-end behaviour through the real ``kubernetes`` client is in ``test_kube_client.py``.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import yaml

from kompox_tui.emulator import core, kube


def _deployment(name: str, replicas: int) -> dict[str, Any]:
    labels = {"app": name}
    return {
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
            },
        },
    }


CLUSTER_ID = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg1"
    "/providers/Microsoft.ContainerService/managedClusters/aks1"
)


class Api:
    """Calls the registered handlers the way the server does."""

    def __init__(self, speed: float = 1000.0) -> None:
        clock = core.Clock(speed)
        self.ctx = core.EmulatorContext(
            router=core.Router(),
            store=core.Store(),
            clock=clock,
            operations=core.Operations(clock),
            subscription_id="00000000-0000-0000-0000-000000000000",
            tenant_id="11111111-1111-1111-1111-111111111111",
            base_url="https://127.0.0.1:8443",
            ca_pem=b"-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----\n",
        )
        kube.register(self.ctx)
        self.service: kube.KubeService = self.ctx.services["kube"]
        self.kubeconfig = yaml.safe_load(self.service.kubeconfig(CLUSTER_ID, "aks1"))
        self.token = self.kubeconfig["users"][0]["user"]["token"]
        self.base = self.service.base_path(CLUSTER_ID)

    def __call__(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        content_type: str = "application/json",
        query: dict[str, str] | None = None,
        token: str | None = None,
    ) -> tuple[int, Any]:
        headers = {
            "authorization": f"Bearer {self.token if token is None else token}",
            "content-type": content_type,
        }
        raw = (
            body if isinstance(body, bytes) else b"" if body is None else json.dumps(body).encode()
        )
        req = core.Request(method, self.base + path, query or {}, headers, raw, self.ctx.base_url)
        match = self.ctx.router.match(method, req.path)
        assert match is not None, path
        handler, params = match
        resp = handler(req, params)
        stream = getattr(resp, "stream", None)
        if stream is not None:  # a watch: read it to its end (timeoutSeconds)
            return resp.status, b"".join(stream)
        return resp.status, resp.body


@pytest.fixture
def api() -> Api:
    return Api()


# --- pure functions ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("selector", "labels", "expected"),
    [
        ("app=web", {"app": "web"}, True),
        ("app==web", {"app": "db"}, False),
        ("app!=web", {}, True),
        ("app in (web, db)", {"app": "db"}, True),
        ("app notin (web,db)", {"app": "db"}, False),
        ("app notin (web,db)", {}, True),
        ("app", {"app": ""}, True),
        ("!app", {"app": "x"}, False),
        ("app=web,tier in (a,b),!legacy", {"app": "web", "tier": "b"}, True),
        ("", {"x": "y"}, True),
    ],
)
def test_label_selector_matches_like_the_api_server(
    selector: str, labels: dict[str, str], expected: bool
) -> None:
    assert all(p(labels) for p in kube.parse_label_selector(selector)) is expected


def test_label_selector_that_does_not_parse_is_bad_request() -> None:
    with pytest.raises(kube.KubeError) as info:
        kube.parse_label_selector("app in web")
    assert info.value.code == 400


def test_strategic_merge_merges_containers_by_name_and_ports_by_key() -> None:
    target = {
        "spec": {
            "containers": [
                {"name": "a", "image": "a:1", "ports": [{"containerPort": 80, "name": "web"}]},
                {"name": "b", "image": "b:1"},
            ],
            "ports": [{"port": 80, "name": "web"}, {"port": 443, "name": "tls"}],
        }
    }
    patch = {
        "spec": {
            "containers": [
                {"name": "a", "image": "a:2", "ports": [{"containerPort": 8080}]},
                {"name": "b", "$patch": "delete"},
                {"name": "c", "image": "c:1"},
            ],
            "ports": [{"port": 443, "nodePort": 30443}],
        }
    }
    merged = kube.strategic_merge_patch(target, patch)
    assert merged["spec"]["containers"] == [
        {
            "name": "a",
            "image": "a:2",
            "ports": [{"containerPort": 80, "name": "web"}, {"containerPort": 8080}],
        },
        {"name": "c", "image": "c:1"},
    ]
    assert merged["spec"]["ports"] == [
        {"port": 80, "name": "web"},
        {"port": 443, "name": "tls", "nodePort": 30443},
    ]


def test_strategic_merge_replace_directive_and_unkeyed_lists_replace() -> None:
    target = {"rules": [{"verbs": ["get"]}], "meta": {"a": "1", "b": "2"}}
    patch = {"rules": [{"verbs": ["list"]}], "meta": {"$patch": "replace", "c": "3"}}
    assert kube.strategic_merge_patch(target, patch) == {
        "rules": [{"verbs": ["list"]}],
        "meta": {"c": "3"},
    }


def test_merge_patch_replaces_lists_and_null_deletes() -> None:
    target = {"a": {"b": 1, "c": 2}, "l": [1, 2]}
    assert kube.merge_patch(target, {"a": {"b": None}, "l": [3]}) == {"a": {"c": 2}, "l": [3]}


def test_json_patch_basic_operations() -> None:
    doc = {"metadata": {"labels": {"a": "1"}}, "list": [1, 2]}
    ops = [
        {"op": "add", "path": "/metadata/labels/b", "value": "2"},
        {"op": "replace", "path": "/metadata/labels/a", "value": "x"},
        {"op": "remove", "path": "/list/0"},
        {"op": "add", "path": "/list/-", "value": 9},
        {"op": "copy", "from": "/list", "path": "/copy"},
        {"op": "test", "path": "/copy/1", "value": 9},
    ]
    assert kube.json_patch(doc, ops) == {
        "metadata": {"labels": {"a": "x", "b": "2"}},
        "list": [2, 9],
        "copy": [2, 9],
    }
    with pytest.raises(kube.KubeError) as info:
        kube.json_patch(doc, [{"op": "test", "path": "/list/0", "value": 7}])
    assert info.value.code == 422


# --- handlers ----------------------------------------------------------------------------


def test_kubeconfig_points_at_the_cluster_path_with_the_ca_and_a_token(api: Api) -> None:
    cfg = api.kubeconfig
    assert cfg["current-context"] == "aks1-admin"
    server = cfg["clusters"][0]["cluster"]["server"]
    assert server == f"https://127.0.0.1:8443/k8s/{kube.cluster_key(CLUSTER_ID)}"
    assert cfg["users"][0]["name"] == "clusterAdmin_rg1_aks1"
    again = yaml.safe_load(api.service.kubeconfig(CLUSTER_ID, "aks1"))
    assert again["users"][0]["user"]["token"] == api.token


def test_wrong_token_is_401_status(api: Api) -> None:
    status, body = api("GET", "/api/v1/namespaces", token="nope")
    assert status == 401
    assert body == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "Unauthorized",
        "reason": "Unauthorized",
        "code": 401,
    }


def test_unknown_cluster_is_404(api: Api) -> None:
    req = core.Request("GET", "/k8s/ffffffffffff/api", {}, {}, b"", api.ctx.base_url)
    match = api.ctx.router.match("GET", req.path)
    assert match is not None
    assert match[0](req, match[1]).status == 404


def test_cluster_existing_only_in_arm_is_known_but_needs_a_token(api: Api) -> None:
    other = CLUSTER_ID.replace("aks1", "aks2")
    api.ctx.store.put("arm", other, {"id": other, "name": "aks2", "properties": {}})
    path = f"/k8s/{kube.cluster_key(other)}/api"
    req = core.Request("GET", path, {}, {}, b"", api.ctx.base_url)
    match = api.ctx.router.match("GET", path)
    assert match is not None
    assert match[0](req, match[1]).status == 401


def test_version_follows_the_managed_cluster_kubernetes_version(api: Api) -> None:
    api.ctx.store.put("arm", CLUSTER_ID, {"properties": {"kubernetesVersion": "1.33.1"}})
    status, body = api("GET", "/version")
    assert status == 200
    assert body["gitVersion"] == "v1.33.1"
    assert (body["major"], body["minor"]) == ("1", "33")


def test_forget_drops_objects_and_token(api: Api) -> None:
    api("POST", "/api/v1/namespaces", {"metadata": {"name": "x"}})
    api.service.forget(CLUSTER_ID)
    assert api.ctx.store.items("k8s") == []
    status, _ = api("GET", "/api/v1/namespaces")
    assert status == 404


def test_create_conflict_and_missing_namespace(api: Api) -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {}}
    assert api("POST", "/api/v1/namespaces/default/configmaps", cm)[0] == 201
    status, body = api("POST", "/api/v1/namespaces/default/configmaps", cm)
    assert (status, body["reason"]) == (409, "AlreadyExists")
    status, body = api("POST", "/api/v1/namespaces/ghost/configmaps", cm)
    assert (status, body["message"]) == (404, 'namespaces "ghost" not found')
    status, body = api("POST", "/api/v1/namespaces/default/configmaps", {"metadata": {}})
    assert (status, body["reason"]) == (422, "Invalid")
    status, body = api("POST", "/api/v1/namespaces/default/configmaps", {**cm, "kind": "Secret"})
    assert (status, body["reason"]) == (400, "BadRequest")


def test_resource_version_is_monotonic_and_noop_replace_keeps_it(api: Api) -> None:
    _, first = api("POST", "/api/v1/namespaces/default/configmaps", {"metadata": {"name": "a"}})
    _, second = api("POST", "/api/v1/namespaces/default/configmaps", {"metadata": {"name": "b"}})
    assert int(second["metadata"]["resourceVersion"]) > int(first["metadata"]["resourceVersion"])
    status, same = api("PUT", "/api/v1/namespaces/default/configmaps/a", first)
    assert status == 200
    assert same["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]


def test_secret_string_data_is_encoded_into_data(api: Api) -> None:
    body = {"metadata": {"name": "s"}, "stringData": {"k": "v"}}
    _, secret = api("POST", "/api/v1/namespaces/default/secrets", body)
    assert secret["data"] == {"k": "dg=="}
    assert secret["type"] == "Opaque"
    assert "stringData" not in secret


def test_deployment_becomes_ready_after_a_speed_scaled_delay() -> None:
    api = Api(speed=1.0)
    dep = _deployment("d", 2)
    _, created = api("POST", "/apis/apps/v1/namespaces/default/deployments", dep)
    assert "readyReplicas" not in created["status"]
    fast = Api(speed=100000.0)
    fast("POST", "/apis/apps/v1/namespaces/default/deployments", dep)
    time.sleep(0.001)
    _, ready = fast("GET", "/apis/apps/v1/namespaces/default/deployments/d")
    assert ready["status"]["readyReplicas"] == 2
    assert ready["status"]["observedGeneration"] == ready["metadata"]["generation"]


def test_namespace_status_subresource_and_terminating_delete(api: Api) -> None:
    api("POST", "/api/v1/namespaces", {"metadata": {"name": "n"}})
    status, body = api("GET", "/api/v1/namespaces/n/status")
    assert (status, body["status"]["phase"]) == (200, "Active")
    status, body = api("DELETE", "/api/v1/namespaces/n")
    assert (status, body["status"]["phase"]) == (200, "Terminating")
    assert api("GET", "/api/v1/namespaces/n")[0] == 404


def test_new_namespace_gets_default_service_account_and_root_ca(api: Api) -> None:
    api("POST", "/api/v1/namespaces", {"metadata": {"name": "n"}})
    assert api("GET", "/api/v1/namespaces/n/serviceaccounts/default")[0] == 200
    assert api("GET", "/api/v1/namespaces/n/configmaps/kube-root-ca.crt")[0] == 200


def test_list_pages_with_limit_and_continue(api: Api) -> None:
    for n in range(5):
        api("POST", "/api/v1/namespaces/default/configmaps", {"metadata": {"name": f"p{n}"}})
    names: list[str] = []
    query = {"limit": "2", "labelSelector": ""}
    while True:
        _, page = api("GET", "/api/v1/namespaces/default/configmaps", query=query)
        names += [i["metadata"]["name"] for i in page["items"]]
        token = page["metadata"].get("continue")
        if not token:
            break
        query = {"limit": "2", "continue": token}
    assert [n for n in names if n.startswith("p")] == [f"p{n}" for n in range(5)]


def test_field_selector_by_name(api: Api) -> None:
    _, body = api("GET", "/api/v1/namespaces", query={"fieldSelector": "metadata.name=default"})
    assert [i["metadata"]["name"] for i in body["items"]] == ["default"]


def test_unsupported_patch_type_is_415(api: Api) -> None:
    status, _ = api(
        "PATCH", "/api/v1/namespaces/default", {"metadata": {}}, content_type="text/plain"
    )
    assert status == 415


def test_apply_patch_creates_then_merges_per_field_manager(api: Api) -> None:
    doc = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\ndata:\n  a: '1'\n"
    path = "/api/v1/namespaces/default/configmaps/applied"
    ctype = "application/apply-patch+yaml"
    assert api("PATCH", path, doc, content_type=ctype)[0] == 400  # fieldManager required
    q = {"fieldManager": "test"}
    assert api("PATCH", path, doc, content_type=ctype, query=q)[0] == 201
    doc2 = doc.replace(b"a: '1'", b"b: '2'")
    status, body = api("PATCH", path, doc2, content_type=ctype, query={"fieldManager": "other"})
    assert (status, body["data"]) == (200, {"a": "1", "b": "2"})
    # The same manager no longer applying "a" removes it (it owned it alone).
    doc3 = doc.replace(b"a: '1'", b"c: '3'")
    status, body = api("PATCH", path, doc3, content_type=ctype, query=q)
    assert (status, body["data"]) == (200, {"b": "2", "c": "3"})
    managers = {e["manager"]: e for e in body["metadata"]["managedFields"]}
    assert managers["test"]["fieldsV1"] == {"f:data": {"f:c": {}}}
    assert managers["test"]["operation"] == "Apply"


def test_apply_of_a_field_another_manager_owns_conflicts_unless_forced(api: Api) -> None:
    doc = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: owned\ndata:\n  a: '1'\n"
    path = "/api/v1/namespaces/default/configmaps/owned"
    ctype = "application/apply-patch+yaml"
    assert api("PATCH", path, doc, content_type=ctype, query={"fieldManager": "one"})[0] == 201
    other = doc.replace(b"a: '1'", b"a: '2'")
    status, body = api("PATCH", path, other, content_type=ctype, query={"fieldManager": "two"})
    assert (status, body["reason"]) == (409, "Conflict")
    assert body["details"]["causes"] == [
        {
            "reason": "FieldManagerConflict",
            "message": 'conflict with "one" using v1',
            "field": ".data.a",
        }
    ]
    forced = {"fieldManager": "two", "force": "true"}
    status, body = api("PATCH", path, other, content_type=ctype, query=forced)
    assert (status, body["data"]) == (200, {"a": "2"})
    assert [e["manager"] for e in body["metadata"]["managedFields"]] == ["two"]


def test_apply_that_changes_nothing_keeps_the_resource_version(api: Api) -> None:
    doc = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: same\ndata:\n  a: '1'\n"
    path = "/api/v1/namespaces/default/configmaps/same"
    ctype = "application/apply-patch+yaml"
    q = {"fieldManager": "kompox-tui"}
    _, first = api("PATCH", path, doc, content_type=ctype, query=q)
    _, again = api("PATCH", path, doc, content_type=ctype, query=q)
    assert again["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]


def test_kubectl_table_output_has_the_usual_columns(api: Api) -> None:
    api(
        "POST",
        "/api/v1/namespaces/default/services",
        {
            "metadata": {"name": "lb"},
            "spec": {"type": "LoadBalancer", "ports": [{"port": 80}]},
        },
    )
    headers = {
        "authorization": f"Bearer {api.token}",
        "accept": "application/json;as=Table;v=v1;g=meta.k8s.io,application/json",
    }
    path = api.base + "/api/v1/namespaces/default/services"
    req = core.Request("GET", path, {}, headers, b"", api.ctx.base_url)
    match = api.ctx.router.match("GET", path)
    assert match is not None
    table = match[0](req, match[1]).body
    assert isinstance(table, dict), table
    assert table["kind"] == "Table"
    names = [c["name"] for c in table["columnDefinitions"]]
    assert names[:7] == ["Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age", "Selector"]
    rows = {r["cells"][0]: r for r in table["rows"]}
    assert rows["lb"]["cells"][1] == "LoadBalancer"
    assert rows["lb"]["object"]["kind"] == "Service"


def test_protobuf_bodies_are_decoded_as_kubectl_create_sends_them(api: Api) -> None:
    # k8s\0 + Unknown{typeMeta{v1, Namespace}, raw=Namespace{metadata{name: "pb"}}}
    body = b"k8s\x00\n\x0f\n\x02v1\x12\tNamespace\x12\x0c\n\x04\n\x02pb\x12\x00\x1a\x00"
    status, created = api(
        "POST", "/api/v1/namespaces", body, content_type="application/vnd.kubernetes.protobuf"
    )
    assert (status, created["metadata"]["name"]) == (201, "pb")
    status, bad = api(
        "POST",
        "/api/v1/namespaces",
        b"k8s\x00\xff",
        content_type="application/vnd.kubernetes.protobuf",
    )
    assert (status, bad["reason"]) == (400, "BadRequest")
    status, other = api("POST", "/api/v1/namespaces", b"<ns/>", content_type="application/xml")
    assert (status, other["reason"]) == (415, "UnsupportedMediaType")


def test_watch_reports_a_deployment_becoming_ready() -> None:
    api = Api(speed=30.0)  # ready after 3 emulated s = 0.1 s of wall time
    dep = _deployment("d", 1)
    _, created = api("POST", "/apis/apps/v1/namespaces/default/deployments", dep)
    rv = created["metadata"]["resourceVersion"]
    status, body = api(
        "GET",
        "/apis/apps/v1/namespaces/default/deployments",
        query={"watch": "true", "resourceVersion": rv, "timeoutSeconds": "2"},
    )
    assert status == 200
    events = [json.loads(line) for line in body.splitlines()]
    assert [e["type"] for e in events] == ["MODIFIED"]
    assert events[0]["object"]["status"]["readyReplicas"] == 1
    assert events[0]["object"]["kind"] == "Deployment"


def test_replacing_a_deployment_with_what_was_read_changes_nothing(api: Api) -> None:
    dep = _deployment("d", 1)
    api("POST", "/apis/apps/v1/namespaces/default/deployments", dep)
    _, read = api("GET", "/apis/apps/v1/namespaces/default/deployments/d")
    read["status"]["readyReplicas"] = 99
    _, replaced = api("PUT", "/apis/apps/v1/namespaces/default/deployments/d", read)
    assert replaced["metadata"]["resourceVersion"] == read["metadata"]["resourceVersion"]
    assert replaced["status"].get("readyReplicas") != 99


def test_delete_collection_by_label_keeps_protected_objects(api: Api) -> None:
    for name in ("x1", "x2"):
        api(
            "POST",
            "/api/v1/namespaces/default/configmaps",
            {
                "metadata": {"name": name, "labels": {"batch": "x"}},
            },
        )
    status, body = api(
        "DELETE", "/api/v1/namespaces/default/configmaps", query={"labelSelector": "batch=x"}
    )
    assert status == 200
    assert sorted(i["metadata"]["name"] for i in body["items"]) == ["x1", "x2"]
    assert api("GET", "/api/v1/namespaces/default/configmaps/x1")[0] == 404
    assert api("DELETE", "/api/v1/namespaces/default/services")[0] == 200
    assert api("GET", "/api/v1/namespaces/default/services/kubernetes")[0] == 200


def test_field_selectors_accept_only_the_labels_a_kind_supports(api: Api) -> None:
    status, body = api("GET", "/api/v1/pods", query={"fieldSelector": "status.phase!=Failed"})
    assert status == 200
    status, body = api("GET", "/api/v1/configmaps", query={"fieldSelector": "data.a=1"})
    assert (status, body["message"]) == (400, "field label not supported: data.a")
    status, body = api("GET", "/api/v1/events", query={"fieldSelector": "source=kubelet"})
    assert status == 200


def test_watch_from_a_resource_version_reports_new_objects_as_added() -> None:
    api = Api(speed=1000.0)
    _, first = api("POST", "/api/v1/namespaces/default/configmaps", {"metadata": {"name": "old"}})
    rv = first["metadata"]["resourceVersion"]
    api(
        "PUT",
        "/api/v1/namespaces/default/configmaps/old",
        {"metadata": {"name": "old"}, "data": {"a": "1"}},
    )
    api("POST", "/api/v1/namespaces/default/configmaps", {"metadata": {"name": "new"}})
    _, body = api(
        "GET",
        "/api/v1/namespaces/default/configmaps",
        query={"watch": "1", "resourceVersion": rv, "timeoutSeconds": "0"},
    )
    events = {
        e["object"]["metadata"]["name"]: e["type"] for e in map(json.loads, body.splitlines())
    }
    assert events == {"old": "MODIFIED", "new": "ADDED"}
