"""`y` on the overview: the cluster's stack as Azure sends it, as YAML (issue 13.3)."""

from __future__ import annotations

from collections.abc import Callable

import yaml
from ui_helpers import wait_until

from kompox_tui.azure.driver import AksDriver
from kompox_tui.ui.app import KompoxApp
from kompox_tui.ui.screens.describe import DescribeScreen

SIZE = (150, 40)


async def test_y_describes_the_clusters_stack_as_azure_sends_it(
    ui_driver: Callable[..., AksDriver],
) -> None:
    driver = ui_driver()
    driver.cluster_provision()
    app = KompoxApp([driver], start_paused=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(app.screen, DescribeScreen))
        screen = app.screen
        assert isinstance(screen, DescribeScreen)
        await wait_until(pilot, lambda: bool(screen.yaml_text), timeout=30)
        assert "deployment stack" in screen.title_text
        document = yaml.safe_load(screen.yaml_text)
        assert document["type"] == "Microsoft.Resources/deploymentStacks"
        # Deployment stacks spell their states in lower case (DeploymentStackProvisioningState).
        assert document["properties"]["provisioningState"] == "succeeded"
        assert document["name"].endswith(driver.config.cluster.name)
