"""Test helpers: real Azure SDK clients pointed at an :class:`~.server.Emulator`.

Used by the test suite (``tests/conftest.py``) and handy in a REPL. Imports the Azure
management SDKs lazily; the driver never imports this package.
"""

from __future__ import annotations

from typing import Any

from .server import Emulator


def authority_kwargs(emu: Emulator) -> dict[str, Any]:
    """azure-identity keyword arguments for the emulator's Entra ID: its authority, its CA
    (TLS stays verified) and no instance discovery (it would go to login.microsoftonline.com)."""
    return {
        "authority": emu.authority_url,
        "connection_verify": emu.ca_bundle,
        "disable_instance_discovery": True,
    }


class ArmClients:
    """Real SDK clients pointed at one emulator (TLS verified with its CA)."""

    def __init__(self, emu: Emulator, **client_kwargs: Any) -> None:
        from azure.identity import ClientSecretCredential
        from azure.mgmt.compute import ComputeManagementClient
        from azure.mgmt.containerservice import ContainerServiceClient
        from azure.mgmt.resource.deploymentstacks import DeploymentStacksClient
        from azure.mgmt.resource.resources import ResourceManagementClient

        self.emu = emu
        self.credential = ClientSecretCredential(
            emu.tenant_id,
            emu.client_id,
            emu.client_secret,
            **authority_kwargs(emu),
        )
        kw: dict[str, Any] = {
            "base_url": emu.arm_url,
            "connection_verify": emu.ca_bundle,
            "polling_interval": 0.01,
            "retry_backoff_factor": 0.01,
        }
        kw.update(client_kwargs)
        self.resources = ResourceManagementClient(self.credential, emu.subscription_id, **kw)
        self.compute = ComputeManagementClient(self.credential, emu.subscription_id, **kw)
        self.containers = ContainerServiceClient(self.credential, emu.subscription_id, **kw)
        self.stacks = DeploymentStacksClient(self.credential, emu.subscription_id, **kw)

    def __enter__(self) -> ArmClients:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def create_rg(self, name: str, location: str = "japaneast", **tags: str) -> Any:
        return self.resources.resource_groups.create_or_update(
            name, {"location": location, "tags": tags}
        )

    def create_disk(
        self, rg: str, name: str, size_gb: int = 32, sku: str = "Premium_LRS", **extra: Any
    ) -> Any:
        body: dict[str, Any] = {
            "location": "japaneast",
            "sku": {"name": sku},
            "properties": {"creationData": {"createOption": "Empty"}, "diskSizeGB": size_gb},
        }
        body.update(extra)
        disks: Any = self.compute.disks
        return disks.begin_create_or_update(rg, name, body).result()

    def close(self) -> None:
        for client in (self.resources, self.compute, self.containers, self.stacks):
            client.close()
        self.credential.close()
