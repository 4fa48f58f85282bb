"""The two-layer example gives the manifests of the official nested connected-registry
tutorial (learn.microsoft.com: tutorial-deploy-connected-registry-nested-iot-edge-cli),
module by module, with the differences the project chose on purpose:

- current versions (runtime 1.5, API proxy 1.1, connected registry 0.9.0, not 1.2.4/1.1.2/0.8.0);
- the obsolete NGINX_CONFIG_ENV_VAR_LIST dropped from the lower layer's API proxy;
- one API proxy module name on both layers (the tutorial's lower layer says IoTEdgeApiProxy);
- startupOrder 1 on the connected registry and 2 on the API proxy on both layers (the
  tutorial sets 3 on the lower layer's proxy only): nginx does not start until the
  registry's name resolves;
- the lower layer's connected registry binds the host's CA store read-only, as the preview
  nested quickstart did (without it the sync over TLS fails, Azure/acr#620);
- no BLOB_UPLOAD_ROUTE_ADDRESS: no device runs the blob module, so uploads go to the parent;
- edgeAgent createOptions "{}" instead of "" (both mean "no options" to the runtime);
- the data folder /var/lib/connected-registry instead of the tutorial's home directory;
- the lower layer's pull credentials are named after what they reach (connectedregistry).

The tutorial's values are written out here as facts; the docs' files are not copied.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLES, CliResult, read_json

LOGIN = "contosoregistry.azurecr.io"
DATA_ENDPOINT = "contosoregistry.eastus.data.azurecr.io"
UPSTREAM = "$upstream:8000"


def _module(
    image: str, create_options: dict[str, Any], env: dict[str, str], startup_order: int
) -> dict[str, Any]:
    return {
        "type": "docker",
        "image": image,
        "createOptions": create_options,
        "env": env,
        "status": "running",
        "restartPolicy": "always",
        "startupOrder": startup_order,
        "version": "1.0",
    }


def _expected(layer: str) -> dict[str, Any]:
    top = layer == "top"
    registry = LOGIN if top else UPSTREAM
    registry_name, token = (
        ("topregistry", "topregistry-sync-token")
        if top
        else (
            "lowerregistry",
            "lowerregistry-sync-token",
        )
    )
    password = "${TOP_SYNC_TOKEN_PASSWORD}" if top else "${LOWER_SYNC_TOKEN_PASSWORD}"
    parent = DATA_ENDPOINT if top else "$IOTEDGE_PARENTHOSTNAME:8000"
    return {
        "schemaVersion": "1.1",
        "minDockerVersion": "v1.25",
        "registryCredentials": {
            "cloudregistry" if top else "connectedregistry": {
                "username": token,
                "password": password,
                "address": registry,
            }
        },
        "edgeAgent": {
            "image": f"{registry}/azureiotedge-agent:1.5",
            "createOptions": {},
            "env": {"SendRuntimeQualityTelemetry": "false"},
        },
        "edgeHub": {
            "image": f"{registry}/azureiotedge-hub:1.5",
            "createOptions": {
                "HostConfig": {
                    "PortBindings": {
                        "443/tcp": [{"HostPort": "443"}],
                        "5671/tcp": [{"HostPort": "5671"}],
                        "8883/tcp": [{"HostPort": "8883"}],
                    }
                }
            },
            "status": "running",
            "restartPolicy": "always",
        },
        "modules": {
            "connected-registry": _module(
                f"{registry}/acr/connected-registry:0.9.0",
                {
                    "HostConfig": {
                        "Binds": ["/var/lib/connected-registry:/var/acr/data"]
                        + (
                            []
                            if top
                            else [
                                "/etc/ssl/certs:/etc/ssl/certs:ro",
                                "/usr/local/share/ca-certificates:"
                                "/usr/local/share/ca-certificates:ro",
                            ]
                        )
                    }
                },
                {
                    "ACR_REGISTRY_CONNECTION_STRING": (
                        f"ConnectedRegistryName={registry_name};SyncTokenName={token};"
                        f"SyncTokenPassword={password};ParentGatewayEndpoint={parent};"
                        "ParentEndpointProtocol=https"
                    )
                },
                1,
            ),
            "IoTEdgeAPIProxy": _module(
                f"{registry}/azureiotedge-api-proxy:1.1",
                {"HostConfig": {"PortBindings": {"8000/tcp": [{"HostPort": "8000"}]}}},
                {
                    "NGINX_DEFAULT_PORT": "8000",
                    "CONNECTED_ACR_ROUTE_ADDRESS": "connected-registry:8080",
                },
                2,
            ),
        },
        "routes": ["FROM /messages/* INTO $upstream"],
        "hubSchemaVersion": "1.1",
        "timeToLiveSecs": 7200,
    }


def _flatten_module(spec: dict[str, Any]) -> dict[str, Any]:
    """A manifest module in the comparison's terms: createOptions parsed, env values only."""
    settings = spec["settings"]
    flat = {k: v for k, v in spec.items() if k not in ("settings", "env")}
    flat["image"] = settings["image"]
    flat["createOptions"] = json.loads(settings["createOptions"] or "{}")
    flat["env"] = {name: entry["value"] for name, entry in spec.get("env", {}).items()}
    return flat


def _actual(manifest: dict[str, Any]) -> dict[str, Any]:
    agent = manifest["modulesContent"]["$edgeAgent"]["properties.desired"]
    hub = manifest["modulesContent"]["$edgeHub"]["properties.desired"]
    system = agent["systemModules"]
    edge_agent = _flatten_module(system["edgeAgent"])
    edge_agent.pop("type")
    edge_hub = _flatten_module(system["edgeHub"])
    edge_hub.pop("type")
    edge_hub.pop("env")
    return {
        "schemaVersion": agent["schemaVersion"],
        "minDockerVersion": agent["runtime"]["settings"]["minDockerVersion"],
        "registryCredentials": agent["runtime"]["settings"]["registryCredentials"],
        "edgeAgent": edge_agent,
        "edgeHub": edge_hub,
        "modules": {name: _flatten_module(spec) for name, spec in agent["modules"].items()},
        "routes": list(hub["routes"].values()),
        "hubSchemaVersion": hub["schemaVersion"],
        "timeToLiveSecs": hub["storeAndForwardConfiguration"]["timeToLiveSecs"],
    }


@pytest.mark.parametrize(
    ("layer", "manifest"),
    [
        ("top", "layer-0/top-layer/deployment.json"),
        ("lower", "layer-1/lower-layer/deployment.json"),
    ],
)
def test_two_layer_example_matches_the_tutorial(
    layer: str, manifest: str, tmp_path: Path, cli: Callable[..., CliResult]
) -> None:
    result = cli("generate", EXAMPLES / "two-layer.yaml", "-o", tmp_path / "out")
    assert result.exit_code == 0, result.stderr
    actual = _actual(read_json(tmp_path / "out" / manifest))
    expected = _expected(layer)
    assert actual.keys() == expected.keys()
    assert actual["modules"].keys() == expected["modules"].keys()
    for name, module in expected["modules"].items():
        assert actual["modules"][name] == module, name
    assert actual == expected
