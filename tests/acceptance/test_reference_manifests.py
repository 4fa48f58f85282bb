"""Manifests people wrote for the official docs, samples and the IoT Edge end-to-end tests
validate with no error; the early-preview sample reports each of its known defects.

The files are read from the workplace's shared/reference/manifests (beside the checkout)
and are not copied into the project; without that folder these tests skip.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import REPO, CliResult

REFERENCE = Path(
    os.environ.get("ACR_EDGE_REFERENCE_MANIFESTS")
    or REPO.parent / "shared" / "reference" / "manifests"
)
GOOD = [
    "tutorial-nested-top-layer.deploymentTopLayer.json",
    "tutorial-nested-lower-layer.deploymentLowerLayer.json",
    "iotedge-config-cli.tutorial.deploymentTopLayer.json",
    "iotedge-config-cli.tutorial.deploymentLowerLayer.json",
    "iotedge-e2e.nestededge_topLayerBaseDeployment_amqp.json",
    "iotedge-e2e.nestededge_middleLayerBaseDeployment_amqp.json",
]
KNOWN_BAD = "acr-preview.nested-lower-layer.KNOWN-BAD.json"

pytestmark = pytest.mark.skipif(
    not REFERENCE.is_dir(), reason=f"reference manifests not found at {REFERENCE}"
)


@pytest.mark.parametrize("name", GOOD)
def test_reference_manifest_has_no_error(name: str, cli: Callable[..., CliResult]) -> None:
    result = cli("validate", REFERENCE / name, "--format", "json")
    report = json.loads(result.stdout)
    errors = [d for d in report["diagnostics"] if d["severity"] == "error"]
    assert errors == []
    assert result.exit_code == 0


def test_known_bad_preview_sample_reports_each_defect(cli: Callable[..., CliResult]) -> None:
    result = cli("validate", REFERENCE / KNOWN_BAD, "--format", "json")
    assert result.exit_code == 1
    found = {(d["rule"], d["pointer"]) for d in json.loads(result.stdout)["diagnostics"]}
    agent = "/modulesContent/$edgeAgent/properties.desired"
    expected = {
        # LogConfig inside the Binds array: not parseable JSON
        ("create-options-invalid", f"{agent}/modules/connected-registry/settings/createOptions"),
        # $upstream without a port, in images and in the registry address
        ("upstream-missing-port", f"{agent}/modules/connected-registry/settings/image"),
        ("upstream-missing-port", f"{agent}/modules/IoTEdgeApiProxy/settings/image"),
        ("upstream-missing-port", f"{agent}/systemModules/edgeAgent/settings/image"),
        ("upstream-missing-port", f"{agent}/systemModules/edgeHub/settings/image"),
        (
            "upstream-missing-port",
            f"{agent}/runtime/settings/registryCredentials/tsmregistry/address",
        ),
        # the API proxy and edgeHub both bind host port 443
        ("host-port-conflict", f"{agent}/modules/IoTEdgeApiProxy/settings/createOptions"),
        # route to connectedRegistry:8080, but the module is connected-registry
        (
            "proxy-route-target-unknown",
            f"{agent}/modules/IoTEdgeApiProxy/env/CONNECTED_ACR_ROUTE_ADDRESS/value",
        ),
        # the obsolete env list
        ("proxy-obsolete-env", f"{agent}/modules/IoTEdgeApiProxy/env/NGINX_CONFIG_ENV_VAR_LIST"),
    }
    assert expected <= found
