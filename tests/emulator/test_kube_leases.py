"""``coordination.k8s.io/v1`` Leases through the official ``kubernetes`` client.

The optimistic concurrency leader election relies on: every write carries the
resourceVersion it read; a stale one is a 409 ``Conflict``; an update without one is
refused (``AllowUnconditionalUpdate() == false``); a PUT to a missing name creates it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from kompox_tui.emulator import Emulator
from kompox_tui.emulator.testing import ArmClients

RESOURCE_GROUP = "rg-kube-lease-tests"
CLUSTER = "aks-kube-lease"


@pytest.fixture(scope="module")
def coordination(emulator: Emulator) -> Iterator[client.CoordinationV1Api]:
    emulator.create_managed_cluster(RESOURCE_GROUP, CLUSTER)
    with ArmClients(emulator) as arm:
        creds = arm.containers.managed_clusters.list_cluster_admin_credentials(
            RESOURCE_GROUP, CLUSTER
        )
    assert creds.kubeconfigs and creds.kubeconfigs[0].value
    api = config.new_client_from_config_dict(yaml.safe_load(creds.kubeconfigs[0].value))
    yield client.CoordinationV1Api(api)
    api.close()


def _lease(name: str, holder: str, rv: str | None = None) -> client.V1Lease:
    meta: dict[str, Any] = {"name": name}
    if rv is not None:
        meta["resourceVersion"] = rv
    # What the client's validate_call makes of a dict body, made explicit for the types.
    return client.V1Lease.model_validate(
        {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": meta,
            "spec": {"holderIdentity": holder, "leaseDurationSeconds": 30},
        }
    )


def _status(exc: ApiException) -> dict[str, Any]:
    assert exc.body is not None, exc
    status: dict[str, Any] = json.loads(exc.body)
    return status


def test_second_writer_with_the_same_read_gets_409_conflict(
    coordination: client.CoordinationV1Api,
) -> None:
    created = coordination.create_namespaced_lease("default", _lease("swap-a", "one"))
    assert created.metadata is not None
    rv = created.metadata.resource_version
    taken = coordination.replace_namespaced_lease("swap-a", "default", _lease("swap-a", "two", rv))
    assert taken.spec and taken.metadata
    assert taken.spec.holder_identity == "two"
    assert taken.metadata.resource_version != rv
    with pytest.raises(ApiException) as info:
        coordination.replace_namespaced_lease("swap-a", "default", _lease("swap-a", "three", rv))
    assert info.value.status == 409
    assert _status(info.value)["reason"] == "Conflict"
    current = coordination.read_namespaced_lease("swap-a", "default")
    assert current.spec is not None
    assert current.spec.holder_identity == "two"


def test_create_of_an_existing_lease_is_409_already_exists(
    coordination: client.CoordinationV1Api,
) -> None:
    coordination.create_namespaced_lease("default", _lease("swap-b", "one"))
    with pytest.raises(ApiException) as info:
        coordination.create_namespaced_lease("default", _lease("swap-b", "two"))
    assert info.value.status == 409
    assert _status(info.value)["reason"] == "AlreadyExists"


def test_update_without_resource_version_is_refused(
    coordination: client.CoordinationV1Api,
) -> None:
    coordination.create_namespaced_lease("default", _lease("swap-c", "one"))
    with pytest.raises(ApiException) as info:
        coordination.replace_namespaced_lease("swap-c", "default", _lease("swap-c", "two"))
    assert info.value.status == 422
    assert "must be specified for an update" in _status(info.value)["message"]


def test_put_to_a_missing_lease_creates_it(coordination: client.CoordinationV1Api) -> None:
    made = coordination.replace_namespaced_lease("swap-d", "default", _lease("swap-d", "one"))
    assert made.spec is not None
    assert made.spec.holder_identity == "one"
    listed = coordination.list_namespaced_lease("default", field_selector="metadata.name=swap-d")
    assert [i.metadata.name if i.metadata else None for i in listed.items] == ["swap-d"]


def test_delete_with_stale_precondition_is_409(coordination: client.CoordinationV1Api) -> None:
    created = coordination.create_namespaced_lease("default", _lease("swap-e", "one"))
    assert created.metadata is not None
    rv = created.metadata.resource_version
    coordination.replace_namespaced_lease("swap-e", "default", _lease("swap-e", "two", rv))
    with pytest.raises(ApiException) as info:
        coordination.delete_namespaced_lease(
            "swap-e",
            "default",
            body=client.V1DeleteOptions(
                preconditions=client.V1Preconditions.model_validate({"resourceVersion": rv})
            ),
        )
    assert info.value.status == 409
    coordination.delete_namespaced_lease("swap-e", "default")
    with pytest.raises(ApiException) as gone:
        coordination.read_namespaced_lease("swap-e", "default")
    assert gone.value.status == 404
