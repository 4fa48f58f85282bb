"""The nginx rule: `nginx -t` on the configuration each API proxy would run."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from acr_edge_cli.proxyconfig import nginx_tools
from tests.conftest import EXAMPLES, CliResult

TOOLS = nginx_tools()
if isinstance(TOOLS, str) and not os.environ.get("ACR_EDGE_E2E_REQUIRED"):
    pytest.skip(f"needs {TOOLS} (apt-get install nginx openssl)", allow_module_level=True)


def _generated(tmp_path: Path, cli: Callable[..., CliResult]) -> Path:
    out = tmp_path / "out"
    assert cli("generate", EXAMPLES / "two-layer.yaml", "-o", out).exit_code == 0
    return out


def _break_proxy(out: Path) -> Path:
    path = out / "layer-1/lower-layer/deployment.json"
    manifest = json.loads(path.read_text())
    broken = "events {}\nhttp { server { listen ${NGINX_DEFAULT_PORT}; proxy_pas x; } }\n"
    manifest["modulesContent"]["IoTEdgeAPIProxy"] = {
        "properties.desired": {"proxy_config": base64.b64encode(broken.encode()).decode()}
    }
    path.write_text(json.dumps(manifest, indent=2))
    return path


def test_fires_when_nginx_refuses_the_proxy_configuration(
    tmp_path: Path, cli: Callable[..., CliResult]
) -> None:
    path = _break_proxy(_generated(tmp_path, cli))
    result = cli("validate", path, "--nginx", "--format", "json")
    assert result.exit_code == 1
    (finding,) = [d for d in json.loads(result.stdout)["diagnostics"] if d["rule"] == "nginx"]
    assert (
        finding["pointer"]
        == "/modulesContent/$edgeAgent/properties.desired/modules/IoTEdgeAPIProxy"
    )
    assert 'unknown directive "proxy_pas"' in finding["message"]


def test_near_miss_generated_proxies_pass(tmp_path: Path, cli: Callable[..., CliResult]) -> None:
    result = cli("validate", _generated(tmp_path, cli), "--nginx", "--format", "json")
    assert [d for d in json.loads(result.stdout)["diagnostics"] if d["rule"] == "nginx"] == []


def test_it_is_a_catalog_rule_that_can_be_disabled(
    tmp_path: Path, cli: Callable[..., CliResult]
) -> None:
    path = _break_proxy(_generated(tmp_path, cli))
    result = cli("validate", path, "--nginx", "--disable", "nginx", "--format", "json")
    assert result.exit_code == 0, result.stderr
    explained = cli("rules", "nginx")
    assert explained.exit_code == 0
    assert explained.stdout.startswith("nginx (error)\n")


def _with_registry_route(out: Path, value: str, target: Path) -> Path:
    """The top layer's manifest with CONNECTED_ACR_ROUTE_ADDRESS set to `value`, as `target`."""
    manifest = json.loads((out / "layer-0/top-layer/deployment.json").read_text())
    proxy = manifest["modulesContent"]["$edgeAgent"]["properties.desired"]["modules"][
        "IoTEdgeAPIProxy"
    ]
    proxy["env"]["CONNECTED_ACR_ROUTE_ADDRESS"]["value"] = value
    target.write_text(json.dumps(manifest, indent=2))
    return target


def test_a_registry_route_naming_no_module_stops_the_proxy(
    tmp_path: Path, cli: Callable[..., CliResult]
) -> None:
    # the name of an old sample: nginx resolves it at start, finds nothing, does not start
    out = _generated(tmp_path, cli)
    path = _with_registry_route(
        out, "connectedRegistry:8080", out / "layer-0/top-layer/deployment.json"
    )
    result = cli("validate", path, "--nginx", "--format", "json")
    assert result.exit_code == 1
    (finding,) = [d for d in json.loads(result.stdout)["diagnostics"] if d["rule"] == "nginx"]
    assert finding["pointer"] == (
        "/modulesContent/$edgeAgent/properties.desired/modules/IoTEdgeAPIProxy/env/"
        "CONNECTED_ACR_ROUTE_ADDRESS/value"
    )
    assert finding["message"] == (
        "IoTEdgeAPIProxy: CONNECTED_ACR_ROUTE_ADDRESS 'connectedRegistry:8080' names no "
        "module of this deployment; nginx resolves it when it starts, so the API proxy will "
        "not start and every route through it (edgeHub's included) is down"
    )


def test_near_miss_a_template_with_placeholder_routes_is_not_run(
    tmp_path: Path, cli: Callable[..., CliResult]
) -> None:
    # ${NAME} is filled in by the tools before the proxy sees it: nginx cannot judge it yet
    template = _with_registry_route(
        _generated(tmp_path, cli), "${REGISTRY_MODULE}:8080", tmp_path / "deployment.template.json"
    )
    result = cli("validate", template, "--nginx", "--format", "json")
    assert [d for d in json.loads(result.stdout)["diagnostics"] if d["rule"] == "nginx"] == []
