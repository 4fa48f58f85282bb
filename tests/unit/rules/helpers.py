"""Run one rule over a manifest or a hierarchy given as data."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import yaml

from acr_edge_cli.diagnostics import Diagnostic
from acr_edge_cli.generate import generate
from acr_edge_cli.loader import parse_json
from acr_edge_cli.rules.engine import check_manifest
from tests.conftest import GOLDEN, load_example

AGENT = "/modulesContent/$edgeAgent/properties.desired"
HUB = "/modulesContent/$edgeHub/properties.desired"


def manifest(layer: str = "top") -> dict[str, Any]:
    """A generated manifest of the two-layer example, to break in a test."""
    path = {
        "top": "two-layer/layer-0/top-layer/deployment.json",
        "lower": "two-layer/layer-1/lower-layer/deployment.json",
        "line": "factory-isa95/layer-2/line-1-controller/deployment.json",
    }[layer]
    data: dict[str, Any] = json.loads((GOLDEN / path).read_text(encoding="utf-8"))
    return data


def agent(content: dict[str, Any]) -> dict[str, Any]:
    desired: dict[str, Any] = content["modulesContent"]["$edgeAgent"]["properties.desired"]
    return desired


def hub(content: dict[str, Any]) -> dict[str, Any]:
    desired: dict[str, Any] = content["modulesContent"]["$edgeHub"]["properties.desired"]
    return desired


def manifest_findings(content: dict[str, Any], rule: str) -> list[Diagnostic]:
    """The rule's findings on a hand-written manifest (as `acr-edge validate` checks it)."""
    document = parse_json(json.dumps(content, indent=2), "deployment.json")
    return [d for d in check_manifest(document) if d.rule == rule]


def hierarchy(name: str = "two-layer.yaml") -> dict[str, Any]:
    return copy.deepcopy(load_example(name))


def hierarchy_findings(data: dict[str, Any], rule: str, tmp_path: Path) -> list[Diagnostic]:
    """The rule's findings when generating from a hierarchy (hierarchy and manifest rules)."""
    path = tmp_path / "hierarchy.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    result = generate(path, output="out", environ={})
    return [d for d in result.diagnostics if d.rule == rule]


def device(data: dict[str, Any], *indexes: int) -> dict[str, Any]:
    """devices[i].children[j]... of hierarchy data."""
    node: dict[str, Any] = data["devices"][indexes[0]]
    for index in indexes[1:]:
        node = node["children"][index]
    return node


def configuration(layered: bool = False) -> dict[str, Any]:
    """An IoT Hub configuration document: the two-layer top manifest as a base deployment,
    or a layer adding one module."""
    if layered:
        content: dict[str, Any] = {
            "modulesContent": {
                "$edgeAgent": {
                    "properties.desired.modules.sensor": {
                        "settings": {
                            "image": "contoso.azurecr.io/sensor:1.0",
                            "createOptions": "{}",
                        },
                        "type": "docker",
                        "status": "running",
                        "restartPolicy": "always",
                        "version": "1.0",
                    }
                },
                "sensor": {"properties.desired": {"SendInterval": 5}},
            }
        }
    else:
        content = manifest()
    return {
        "id": "contoso-layer-0" + ("-sensor" if layered else ""),
        "schemaVersion": "2.0",
        "labels": {"hierarchy": "contoso-tutorial", "layer": "0"},
        "content": content,
        "targetCondition": "tags.hierarchy='contoso-tutorial' AND tags.layer=0",
        "priority": 20 if layered else 10,
        "metrics": {
            "queries": {
                "applied": "SELECT deviceId FROM devices WHERE "
                "properties.reported.lastDesiredStatus.code = 200"
            }
        },
    }


def configuration_findings(
    documents: list[dict[str, Any]] | dict[str, Any], rule: str
) -> list[Diagnostic]:
    """The rule's findings over configurations checked together, as for one hub."""
    from acr_edge_cli.rules.engine import check_configuration

    items = documents if isinstance(documents, list) else [documents]
    found: list[Diagnostic] = []
    for position, item in enumerate(items):
        document = parse_json(json.dumps(item, indent=2), f"config-{position}.json")
        found += check_configuration(document, position=position, total=len(items))
    return [d for d in found if d.rule == rule]


def output_findings(
    tmp_path: Path,
    rule: str,
    edit: Any,
    example: str = "factory-isa95.yaml",
) -> list[Diagnostic]:
    """Generate an example into a folder, let `edit(folder)` break it, validate the folder."""
    from acr_edge_cli.generate import write_generated
    from acr_edge_cli.validate import validate_paths

    source = tmp_path / example
    source.write_text(yaml.safe_dump(hierarchy(example), sort_keys=False), encoding="utf-8")
    out = tmp_path / "out"
    write_generated(generate(source, output=str(out), environ={}), out)
    edit(out)
    result = validate_paths([out], environ={})
    return [d for d in result.diagnostics if d.rule == rule]


def edit_json(path: Path, change: Any) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
