"""Pods: defaults, scheduling onto nodes, status over emulated time, and logs.

A pod is scheduled when it is created (onto the node with the fewest pods among those
matching its ``nodeSelector``). Its containers are ``ContainerCreating`` for
:data:`POD_START_SECONDS` emulated seconds after that, then running and ready -- unless
a pod-failure fault (:meth:`..faults.Faults.add_pod_failure`) matches it: then its
containers wait in ``ImagePullBackOff`` (phase Pending) or restart in
``CrashLoopBackOff`` (phase Running, never ready). No node at all leaves it Pending
and ``Unschedulable``. ``GET .../pods/<name>/log`` answers plain text the way the
kubelet does, or 400 while the container is not running.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from .kinds import NODE, POD, KubeError, bad_request, invalid, path

if TYPE_CHECKING:
    from .store import ObjectStore

POD_START_SECONDS = 3.0
"""Emulated seconds from scheduling to containers running (pull, create, start)."""
CRASH_PERIOD_SECONDS = 20.0
"""Emulated seconds between restarts of a crash-looping container."""


def _stamp(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def defaults(st: ObjectStore, key: str, body: dict[str, Any]) -> None:
    spec = body.setdefault("spec", {})
    name = body["metadata"]["name"]
    containers = spec.get("containers")
    if not containers:
        raise invalid(POD, name, "spec.containers", "Required value", "")
    for n, container in enumerate(containers):
        if not isinstance(container, dict) or not container.get("name"):
            raise invalid(POD, name, f"spec.containers[{n}].name", "Required value", "")
        if not container.get("image"):
            raise invalid(POD, name, f"spec.containers[{n}].image", "Required value", "")
        image = str(container["image"])
        latest = ":" not in image.rsplit("/", 1)[-1] or image.endswith(":latest")
        container.setdefault("imagePullPolicy", "Always" if latest else "IfNotPresent")
        container.setdefault("terminationMessagePath", "/dev/termination-log")
        container.setdefault("terminationMessagePolicy", "File")
        container.setdefault("resources", {})
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("serviceAccountName", spec.get("serviceAccount") or "default")
    spec.setdefault("serviceAccount", spec["serviceAccountName"])
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("enableServiceLinks", True)
    spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
    spec.setdefault("priority", 0)
    spec.setdefault(
        "tolerations",
        [
            {
                "key": f"node.kubernetes.io/{t}",
                "operator": "Exists",
                "effect": "NoExecute",
                "tolerationSeconds": 300,
            }
            for t in ("not-ready", "unreachable")
        ],
    )
    if not spec.get("nodeName"):
        node = _pick_node(st, key, spec.get("nodeSelector") or {})
        if node is not None:
            spec["nodeName"] = node


def _pick_node(st: ObjectStore, key: str, selector: dict[str, str]) -> str | None:
    counts: dict[str, int] = {}
    for entry in st.entries(key, NODE):
        labels = path(entry["object"], "metadata", "labels") or {}
        if path(entry["object"], "spec", "unschedulable"):
            continue  # cordoned
        if all(labels.get(k) == v for k, v in selector.items()):
            counts[entry["object"]["metadata"]["name"]] = 0
    if not counts:
        return None
    for entry in st.entries(key, POD):
        node = path(entry["object"], "spec", "nodeName")
        if node in counts:
            counts[node] += 1
    return min(sorted(counts), key=lambda n: counts[n])


def _failure(st: ObjectStore, pod: dict[str, Any]) -> str | None:
    faults = st.ctx.services.get("faults")
    finder = getattr(faults, "pod_failure", None)
    if finder is None:
        return None
    images = [str(c.get("image", "")) for c in path(pod, "spec", "containers") or []]
    meta = pod["metadata"]
    found = finder(meta.get("namespace", ""), meta["name"], images)
    return str(found.reason) if found is not None else None


def _node(st: ObjectStore, key: str, name: str | None) -> dict[str, Any] | None:
    if not name:
        return None
    entry = st.entry(key, NODE, None, name)
    return entry["object"] if entry else None


def status(st: ObjectStore, key: str, pod: dict[str, Any], entry: dict[str, Any]) -> dict[str, Any]:
    spec = pod.get("spec") or {}
    containers = spec.get("containers") or []
    created = str(entry.get("scheduledAt") or entry.get("changedAt") or "")
    start = datetime.fromisoformat(created) if created else st.ctx.clock.now()
    elapsed = st.elapsed(created)
    speed = st.ctx.clock.speed
    node = _node(st, key, spec.get("nodeName"))
    if node is None:
        return {
            "phase": "Pending",
            "qosClass": "BestEffort",
            "conditions": [
                {
                    "type": "PodScheduled",
                    "status": "False",
                    "reason": "Unschedulable",
                    "message": "0/0 nodes are available: no nodes available to schedule pods.",
                    "lastTransitionTime": _stamp(start),
                }
            ],
        }
    failure = _failure(st, pod)
    running = elapsed >= POD_START_SECONDS and failure != "ImagePullBackOff"
    ready = running and failure is None
    started = start + timedelta(seconds=POD_START_SECONDS / speed)
    host_ip = next(
        (
            a["address"]
            for a in path(node, "status", "addresses") or []
            if a.get("type") == "InternalIP"
        ),
        "10.224.0.4",
    )
    digest = hashlib.sha256(str(pod["metadata"].get("uid", "")).encode()).digest()
    statuses = []
    for c in containers:
        image = str(c.get("image", ""))
        cstatus: dict[str, Any] = {
            "name": c.get("name"),
            "image": image,
            "imageID": "",
            "ready": ready,
            "restartCount": 0,
            "started": ready,
        }
        if elapsed < POD_START_SECONDS and failure is None:
            cstatus["state"] = {"waiting": {"reason": "ContainerCreating"}}
        elif failure == "ImagePullBackOff":
            reason = "ImagePullBackOff" if int(elapsed / 10) % 2 == 0 else "ErrImagePull"
            cstatus["state"] = {
                "waiting": {"reason": reason, "message": f'Back-off pulling image "{image}"'}
            }
        else:
            cstatus["imageID"] = (
                f"{image.split(':')[0]}@sha256:{hashlib.sha256(image.encode()).hexdigest()}"
            )
            seed = f"{pod['metadata'].get('uid', '')}/{c.get('name')}"
            cstatus["containerID"] = f"containerd://{hashlib.sha256(seed.encode()).hexdigest()}"
            if failure == "CrashLoopBackOff":
                restarts = 1 + int(max(0.0, elapsed - POD_START_SECONDS) / CRASH_PERIOD_SECONDS)
                cstatus["restartCount"] = restarts
                cstatus["started"] = False
                cstatus["state"] = {
                    "waiting": {
                        "reason": "CrashLoopBackOff",
                        "message": f"back-off 10s restarting failed container={c.get('name')} "
                        f"pod={pod['metadata']['name']}_{pod['metadata'].get('namespace')}",
                    }
                }
                cstatus["lastState"] = {
                    "terminated": {
                        "exitCode": 1,
                        "reason": "Error",
                        "startedAt": _stamp(started),
                        "finishedAt": _stamp(started),
                    }
                }
            else:
                cstatus["state"] = {"running": {"startedAt": _stamp(started)}}
        statuses.append(cstatus)
    phase = "Running" if running else "Pending"
    not_ready = [] if ready else [str(c.get("name")) for c in containers]
    message = f"containers with unready status: [{' '.join(not_ready)}]"
    conditions: list[dict[str, Any]] = [
        {"type": "PodReadyToStartContainers", "status": "True" if running else "False"},
        {"type": "Initialized", "status": "True"},
        {"type": "Ready", "status": "True" if ready else "False"},
        {"type": "ContainersReady", "status": "True" if ready else "False"},
        {"type": "PodScheduled", "status": "True"},
    ]
    for cond in conditions:
        cond["lastProbeTime"] = None
        cond["lastTransitionTime"] = _stamp(started if cond["status"] == "True" else start)
        if cond["status"] == "False" and cond["type"] in ("Ready", "ContainersReady"):
            cond["reason"] = "ContainersNotReady"
            cond["message"] = message
    return {
        "phase": phase,
        "conditions": conditions,
        "hostIP": host_ip,
        "hostIPs": [{"ip": host_ip}],
        "podIP": f"10.244.{digest[0] % 4}.{digest[1] % 250 + 2}",
        "podIPs": [{"ip": f"10.244.{digest[0] % 4}.{digest[1] % 250 + 2}"}],
        "startTime": _stamp(start),
        "containerStatuses": statuses,
        "qosClass": "Burstable" if any(c.get("resources") for c in containers) else "BestEffort",
    }


def scheduled(st: ObjectStore, key: str, pod: dict[str, Any]) -> None:
    """The scheduler's and kubelet's events for a new pod."""
    from .events import record

    meta = pod["metadata"]
    node = path(pod, "spec", "nodeName")
    if not node:
        record(
            st,
            key,
            pod,
            "Warning",
            "FailedScheduling",
            "0/0 nodes are available: no nodes available to schedule pods.",
            "default-scheduler",
        )
        return
    record(
        st,
        key,
        pod,
        "Normal",
        "Scheduled",
        f"Successfully assigned {meta.get('namespace')}/{meta['name']} to {node}",
        "default-scheduler",
    )
    failure = _failure(st, pod)
    for c in path(pod, "spec", "containers") or []:
        image = c.get("image")
        record(st, key, pod, "Normal", "Pulling", f'Pulling image "{image}"', "kubelet", node)
        if failure == "ImagePullBackOff":
            record(
                st,
                key,
                pod,
                "Warning",
                "Failed",
                f'Failed to pull image "{image}": rpc error: code = NotFound desc = failed to '
                f'pull and unpack image "{image}": not found',
                "kubelet",
                node,
            )
            record(
                st,
                key,
                pod,
                "Normal",
                "BackOff",
                f'Back-off pulling image "{image}"',
                "kubelet",
                node,
            )
            continue
        record(
            st,
            key,
            pod,
            "Normal",
            "Pulled",
            f'Successfully pulled image "{image}"',
            "kubelet",
            node,
        )
        record(
            st,
            key,
            pod,
            "Normal",
            "Created",
            f"Created container: {c.get('name')}",
            "kubelet",
            node,
        )
        record(
            st, key, pod, "Normal", "Started", f"Started container {c.get('name')}", "kubelet", node
        )
        if failure == "CrashLoopBackOff":
            record(
                st,
                key,
                pod,
                "Warning",
                "BackOff",
                "Back-off restarting failed container "
                f"{c.get('name')} in pod {meta['name']}_{meta.get('namespace')}",
                "kubelet",
                node,
            )


def logs(
    st: ObjectStore, key: str, pod: dict[str, Any], container: str | None, tail: str | None
) -> bytes:
    """What ``kubectl logs`` prints: a few lines a real container of that image writes."""
    name = pod["metadata"]["name"]
    containers = [str(c.get("name")) for c in path(pod, "spec", "containers") or []]
    if container is None:
        if len(containers) > 1:
            raise bad_request(
                f"a container name must be specified for pod {name}, choose one of: "
                f"[{' '.join(containers)}]"
            )
        container = containers[0] if containers else ""
    if container not in containers:
        raise bad_request(f"container {container} is not valid for pod {name}")
    cstatus: dict[str, Any] = next(
        (s for s in path(pod, "status", "containerStatuses") or [] if s.get("name") == container),
        {},
    )
    state = cstatus.get("state") or {}
    waiting = (state.get("waiting") or {}).get("reason")
    if waiting and waiting != "CrashLoopBackOff":
        raise KubeError(
            400,
            "BadRequest",
            f'container "{container}" in pod "{name}" is waiting to start: {waiting}',
        )
    spec = next(c for c in path(pod, "spec", "containers") or [] if c.get("name") == container)
    image = str(spec.get("image", ""))
    started = str(
        path(cstatus, "state", "running", "startedAt")
        or path(cstatus, "lastState", "terminated", "startedAt")
        or ""
    )
    stamp = started.replace("Z", ".000000000Z") if started else ""
    lines = [f"{stamp} starting {container} (image {image})"]
    if "traefik" in image:
        lines += [
            f"{stamp} INF Traefik version {image.rsplit(':', 1)[-1]} built on 2025-01-01T00:00:00Z",
            f"{stamp} INF Starting provider *ingress.Provider",
            f"{stamp} INF Starting provider *crd.Provider",
        ]
    else:
        lines.append(f"{stamp} listening on :8080")
    if waiting == "CrashLoopBackOff":
        lines.append(f"{stamp} fatal: {container} exited with status 1")
    if tail and tail.lstrip("-").isdigit() and int(tail) >= 0:
        lines = lines[len(lines) - int(tail) :] if int(tail) else []
    return "".join(line + "\n" for line in lines).encode()


def schedule_pending(st: ObjectStore, key: str) -> list[dict[str, Any]]:
    """The scheduler's second chance: bind pods that found no node to one that fits now
    (after a node was added or uncordoned); returns the pods it bound."""
    bound = []
    for entry in st.entries(key, POD):
        pod = entry["object"]
        if path(pod, "spec", "nodeName"):
            continue
        node = _pick_node(st, key, path(pod, "spec", "nodeSelector") or {})
        if node is None:
            continue
        pod["spec"]["nodeName"] = node
        entry["scheduledAt"] = st.ctx.clock.now().isoformat()
        pod["metadata"]["resourceVersion"] = st.next_rv(key)
        st.save(key, POD, entry)
        bound.append(pod)
    return bound
