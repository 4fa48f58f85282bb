"""Run one rule over a manifest or a hierarchy given as data."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import yaml

from acr_edge_cli.diagnostics import Diagnostic
from acr_edge_cli.loader import parse_json
from acr_edge_cli.pipeline import generate
from acr_edge_cli.validation.engine import check_manifest
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
