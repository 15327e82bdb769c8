"""The real ``kubectl`` against the emulated Kubernetes API, as a user of our kubeconfig.

The kubeconfig comes from ``listClusterAdminCredential`` through the real
``ContainerServiceClient``. Skipped (with the reason) where ``kubectl`` is not installed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kompox_tui.emulator import Emulator
from kompox_tui.emulator.testing import ArmClients

KUBECTL = shutil.which("kubectl")
pytestmark = pytest.mark.skipif(
    KUBECTL is None, reason="kubectl is not on PATH (install it to run the kubectl tests)"
)
RESOURCE_GROUP = "rg-kubectl-tests"
CLUSTER = "aks-kubectl"

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: {ns}
spec:
  replicas: 2
  selector:
    matchLabels: {{app: web}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports: [{{containerPort: 80}}]
"""


@pytest.fixture(scope="module")
def kubeconfig(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Path:
    emulator.create_managed_cluster(RESOURCE_GROUP, CLUSTER)
    with ArmClients(emulator) as arm:
        creds = arm.containers.managed_clusters.list_cluster_admin_credentials(
            RESOURCE_GROUP, CLUSTER
        )
    assert creds.kubeconfigs and creds.kubeconfigs[0].value
    path = tmp_path_factory.mktemp("kubectl") / "config"
    path.write_bytes(creds.kubeconfigs[0].value)
    return path


def kubectl(
    kubeconfig: Path, *args: str, stdin: str | None = None, check: bool = True, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    assert KUBECTL is not None
    env = {**os.environ, "KUBECONFIG": str(kubeconfig), "HOME": str(kubeconfig.parent)}
    done = subprocess.run(
        [KUBECTL, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )
    if check and done.returncode != 0:
        raise AssertionError(f"kubectl {' '.join(args)} failed: {done.stderr}")
    return done


@pytest.fixture
def namespace(kubeconfig: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    name = "k-" + request.node.name.lower().replace("_", "-")[5:40].strip("-")
    kubectl(kubeconfig, "create", "namespace", name)
    yield name
    kubectl(kubeconfig, "delete", "namespace", name, "--wait=false", check=False)


def test_create_namespace_is_sent_in_protobuf_and_works(kubeconfig: Path) -> None:
    done = kubectl(kubeconfig, "create", "namespace", "made-by-kubectl", "-v=6")
    assert "namespace/made-by-kubectl created" in done.stdout
    shown = kubectl(kubeconfig, "get", "namespace", "made-by-kubectl", "-o", "json")
    assert json.loads(shown.stdout)["status"]["phase"] == "Active"


def test_apply_validates_on_the_server_and_refuses_unknown_fields(
    kubeconfig: Path, namespace: str
) -> None:
    manifest = DEPLOYMENT.format(ns=namespace)
    done = kubectl(kubeconfig, "apply", "-f", "-", stdin=manifest)
    assert "deployment.apps/web created" in done.stdout
    again = kubectl(kubeconfig, "apply", "-f", "-", stdin=manifest)
    assert "deployment.apps/web unchanged" in again.stdout
    bad = kubectl(
        kubeconfig,
        "apply",
        "-f",
        "-",
        stdin=manifest.replace("replicas:", "replicass:"),
        check=False,
    )
    assert bad.returncode != 0
    assert 'strict decoding error: unknown field "spec.replicass"' in bad.stderr


def test_rollout_status_scale_and_logs(kubeconfig: Path, namespace: str) -> None:
    kubectl(kubeconfig, "apply", "-f", "-", stdin=DEPLOYMENT.format(ns=namespace))
    done = kubectl(
        kubeconfig, "rollout", "status", "deployment/web", "-n", namespace, "--timeout=30s"
    )
    assert 'deployment "web" successfully rolled out' in done.stdout
    kubectl(kubeconfig, "scale", "deployment/web", "--replicas=3", "-n", namespace)
    kubectl(kubeconfig, "rollout", "status", "deployment/web", "-n", namespace, "--timeout=30s")
    pods = json.loads(kubectl(kubeconfig, "get", "pods", "-n", namespace, "-o", "json").stdout)
    assert len(pods["items"]) == 3
    assert {p["status"]["phase"] for p in pods["items"]} == {"Running"}
    assert all(p["spec"]["nodeName"].startswith("aks-nodepool1-") for p in pods["items"])
    logs = kubectl(kubeconfig, "logs", "deployment/web", "-n", namespace)
    assert "starting web (image nginx:1.27)" in logs.stdout


def test_get_all_lists_pods_replicasets_deployments_and_services(
    kubeconfig: Path, namespace: str
) -> None:
    kubectl(kubeconfig, "apply", "-f", "-", stdin=DEPLOYMENT.format(ns=namespace))
    done = kubectl(kubeconfig, "get", "all", "-A")
    assert f"{namespace}   deployment.apps/web" in done.stdout
    assert "replicaset.apps/web-" in done.stdout
    assert "pod/web-" in done.stdout
    assert "service/kubernetes" in done.stdout


def test_get_pods_watch_streams_table_rows_until_the_timeout(
    kubeconfig: Path, namespace: str
) -> None:
    kubectl(kubeconfig, "apply", "-f", "-", stdin=DEPLOYMENT.format(ns=namespace))
    started = time.monotonic()
    assert KUBECTL is not None
    env = {**os.environ, "KUBECONFIG": str(kubeconfig), "HOME": str(kubeconfig.parent)}
    watcher = subprocess.Popen(
        [KUBECTL, "get", "pods", "-A", "-w", "--request-timeout=4s"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    time.sleep(1.5)
    kubectl(kubeconfig, "scale", "deployment/web", "--replicas=3", "-n", namespace)
    out, _ = watcher.communicate(timeout=30)
    elapsed = time.monotonic() - started
    lines = [line for line in out.splitlines() if namespace in line]
    assert out.splitlines()[0].split()[:3] == ["NAMESPACE", "NAME", "READY"]
    assert len({line.split()[1] for line in lines}) == 3  # the third pod arrived while watching
    assert elapsed >= 3.5  # long-lived: it ended at the timeout, not after the first batch


def test_explain_api_resources_and_auth_can_i(kubeconfig: Path) -> None:
    explained = kubectl(kubeconfig, "explain", "deployment.spec.replicas")
    assert "KIND:       Deployment" in explained.stdout
    assert "FIELD: replicas <integer>" in explained.stdout
    resources = kubectl(kubeconfig, "api-resources").stdout
    for name in ("pods", "nodes", "events", "replicasets", "leases", "persistentvolumes"):
        assert f"\n{name} " in resources
    assert kubectl(kubeconfig, "auth", "can-i", "create", "pods").stdout.strip() == "yes"
    rules = kubectl(kubeconfig, "auth", "can-i", "--list").stdout
    assert "*.*" in rules


def test_nodes_are_named_as_aks_names_them(kubeconfig: Path) -> None:
    nodes = json.loads(kubectl(kubeconfig, "get", "nodes", "-o", "json").stdout)["items"]
    assert len(nodes) == 1
    name = nodes[0]["metadata"]["name"]
    prefix, digits, instance = name.rsplit("-", 2)
    assert (prefix, len(digits), instance) == ("aks-nodepool1", 8, "vmss000000")
    provider = nodes[0]["spec"]["providerID"]
    assert provider.startswith("azure:///subscriptions/")
    assert provider.endswith(
        f"/virtualMachineScaleSets/aks-nodepool1-{digits}-vmss/virtualMachines/0"
    )


def test_patch_describe_and_delete(kubeconfig: Path, namespace: str) -> None:
    kubectl(kubeconfig, "create", "configmap", "settings", "--from-literal=a=1", "-n", namespace)
    kubectl(
        kubeconfig,
        "patch",
        "configmap",
        "settings",
        "-n",
        namespace,
        "--type=merge",
        "-p",
        '{"data":{"b":"2"}}',
    )
    data = json.loads(
        kubectl(kubeconfig, "get", "configmap", "settings", "-n", namespace, "-o", "json").stdout
    )["data"]
    assert data == {"a": "1", "b": "2"}
    described = kubectl(kubeconfig, "describe", "configmap", "settings", "-n", namespace).stdout
    assert "Name:         settings" in described
    kubectl(kubeconfig, "delete", "configmap", "settings", "-n", namespace)
    gone = kubectl(kubeconfig, "get", "configmap", "settings", "-n", namespace, check=False)
    assert 'configmaps "settings" not found' in gone.stderr


def test_a_pod_failure_fault_shows_in_kubectl(
    emulator: Emulator, kubeconfig: Path, namespace: str
) -> None:
    rule = emulator.faults.add_pod_failure(f"^{namespace}/", "ImagePullBackOff")
    try:
        kubectl(kubeconfig, "apply", "-f", "-", stdin=DEPLOYMENT.format(ns=namespace))
        time.sleep(0.1)
        table = kubectl(kubeconfig, "get", "pods", "-n", namespace).stdout
        assert "ImagePullBackOff" in table or "ErrImagePull" in table
        status = kubectl(
            kubeconfig,
            "rollout",
            "status",
            "deployment/web",
            "-n",
            namespace,
            "--timeout=2s",
            check=False,
        )
        assert status.returncode != 0
        dep = json.loads(
            kubectl(kubeconfig, "get", "deployment", "web", "-n", namespace, "-o", "json").stdout
        )
        assert dep["status"].get("readyReplicas", 0) == 0
    finally:
        emulator.faults.remove_pod_failure(rule)


def test_server_side_apply_conflicts_with_another_manager_until_forced(
    kubeconfig: Path, namespace: str
) -> None:
    manifest = DEPLOYMENT.format(ns=namespace)
    assert (
        "serverside-applied"
        in kubectl(kubeconfig, "apply", "--server-side", "-f", "-", stdin=manifest).stdout
    )
    kubectl(kubeconfig, "scale", "deployment/web", "--replicas=5", "-n", namespace)
    changed = manifest.replace("replicas: 2", "replicas: 4")
    refused = kubectl(kubeconfig, "apply", "--server-side", "-f", "-", stdin=changed, check=False)
    assert refused.returncode != 0
    assert "Apply failed with 1 conflict" in refused.stderr
    assert ".spec.replicas" in refused.stderr
    kubectl(kubeconfig, "apply", "--server-side", "--force-conflicts", "-f", "-", stdin=changed)
    replicas = kubectl(
        kubeconfig, "get", "deployment", "web", "-n", namespace, "-o", "jsonpath={.spec.replicas}"
    ).stdout
    assert replicas == "4"


def test_edit_writes_what_the_editor_changed(
    kubeconfig: Path, namespace: str, tmp_path: Path
) -> None:
    kubectl(kubeconfig, "create", "configmap", "edited", "--from-literal=mode=old", "-n", namespace)
    editor = tmp_path / "editor.sh"
    editor.write_text("#!/bin/sh\nsed -i 's/mode: old/mode: new/' \"$1\"\n")
    editor.chmod(0o755)
    assert KUBECTL is not None
    env = {
        **os.environ,
        "KUBECONFIG": str(kubeconfig),
        "HOME": str(kubeconfig.parent),
        "KUBE_EDITOR": str(editor),
    }
    done = subprocess.run(
        [KUBECTL, "edit", "configmap", "edited", "-n", namespace],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    data = kubectl(
        kubeconfig, "get", "configmap", "edited", "-n", namespace, "-o", "jsonpath={.data.mode}"
    ).stdout
    assert data == "new"


def test_logs_follow_stays_open_until_the_pod_is_deleted(kubeconfig: Path, namespace: str) -> None:
    kubectl(kubeconfig, "apply", "-f", "-", stdin=DEPLOYMENT.format(ns=namespace))
    kubectl(kubeconfig, "rollout", "status", "deployment/web", "-n", namespace, "--timeout=30s")
    pod = kubectl(kubeconfig, "get", "pods", "-n", namespace, "-o", "name").stdout.split()[0]
    assert KUBECTL is not None
    env = {**os.environ, "KUBECONFIG": str(kubeconfig), "HOME": str(kubeconfig.parent)}
    follower = subprocess.Popen(
        [KUBECTL, "logs", "-f", pod, "-n", namespace],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    time.sleep(1.5)
    assert follower.poll() is None  # still following
    kubectl(kubeconfig, "delete", pod, "-n", namespace, "--wait=false")
    out, _ = follower.communicate(timeout=20)
    assert "starting web (image nginx:1.27)" in out


def test_drain_evicts_and_uncordon_lets_the_pending_pods_run(
    kubeconfig: Path, namespace: str
) -> None:
    kubectl(kubeconfig, "apply", "-f", "-", stdin=DEPLOYMENT.format(ns=namespace))
    node = kubectl(kubeconfig, "get", "nodes", "-o", "name").stdout.split()[0]
    try:
        drained = kubectl(kubeconfig, "drain", node, "--ignore-daemonsets", "--timeout=30s")
        assert "evicted" in drained.stdout and "drained" in drained.stdout
        assert "SchedulingDisabled" in kubectl(kubeconfig, "get", node).stdout
        pods = json.loads(kubectl(kubeconfig, "get", "pods", "-n", namespace, "-o", "json").stdout)
        assert {p["status"]["phase"] for p in pods["items"]} == {"Pending"}
    finally:
        kubectl(kubeconfig, "uncordon", node)
    kubectl(kubeconfig, "rollout", "status", "deployment/web", "-n", namespace, "--timeout=30s")
