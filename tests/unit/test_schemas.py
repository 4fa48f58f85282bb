"""The bundled schemas: valid draft 2020-12, the hierarchy one generated from the model."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import jsonschema
import pytest

from acr_edge_cli import resources
from acr_edge_cli.model import hierarchy_json_schema
from acr_edge_cli.schema_check import manifest_errors
from tests.conftest import EXAMPLES, GOLDEN, load_example


@pytest.mark.parametrize("name", resources.schema_names())
def test_bundled_schema_is_valid_2020_12(name: str) -> None:
    schema = resources.load_schema(name)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_hierarchy_schema_is_in_sync_with_the_model(update_golden: bool) -> None:
    path = resources.schemas_dir() / "hierarchy.schema.json"
    generated = json.dumps(hierarchy_json_schema(), indent=2) + "\n"
    if update_golden:
        path.write_text(generated, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == generated, "run pytest --update-golden"


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.yaml")))
def test_examples_are_valid_against_the_exported_hierarchy_schema(name: str) -> None:
    validator = jsonschema.Draft202012Validator(resources.load_schema("hierarchy"))
    assert list(validator.iter_errors(load_example(name))) == []


def _golden_manifest() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (GOLDEN / "two-layer/layer-0/top-layer/deployment.json").read_text()
    )
    return data


def test_generated_manifest_passes_the_manifest_schemas() -> None:
    assert manifest_errors(_golden_manifest()) == []


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda a, h: a.update(schemaVersion="1.10"),
            [],  # unknown versions are the unknown-schema-version rule's, not the schema's
        ),
        (
            lambda a, h: a["systemModules"]["edgeHub"].update(restartPolicy="never"),
            [(("systemModules", "edgeHub", "restartPolicy"), "must be 'always', not 'never'")],
        ),
        (
            lambda a, h: a["modules"]["IoTEdgeAPIProxy"]["settings"].update(createOptions100="x"),
            [(("modules", "IoTEdgeAPIProxy", "settings", "createOptions100"), "unknown key")],
        ),
        (
            lambda a, h: a["modules"].update({"my.module": a["modules"]["IoTEdgeAPIProxy"]}),
            [(("modules", "my.module"), "key 'my.module' is not allowed here")],
        ),
        (
            lambda a, h: h["routes"].update(
                bad={"route": "FROM /* INTO $upstream", "priority": 10}
            ),
            [(("routes", "bad", "priority"), "10 is greater than the maximum of 9")],
        ),
    ],
)
def test_schema_findings_are_located(
    edit: Callable[[dict[str, Any], dict[str, Any]], object],
    expected: list[tuple[tuple[str, ...], str]],
) -> None:
    manifest = _golden_manifest()
    content = manifest["modulesContent"]
    agent = content["$edgeAgent"]["properties.desired"]
    hub = content["$edgeHub"]["properties.desired"]
    edit(agent, hub)
    findings = manifest_errors(manifest)
    assert len(findings) == len(expected)
    for (path, message, _), (tail, fragment) in zip(findings, expected, strict=True):
        assert path[-len(tail) :] == tail
        assert fragment in message


def test_the_compiled_validator_agrees_with_the_explaining_one() -> None:
    """The Rust validator decides; jsonschema explains. They must agree on every case."""
    from acr_edge_cli.schema_check import _fast_validator, validator

    agent_schema = "edgeagent-1.1"
    good = _golden_manifest()["modulesContent"]["$edgeAgent"]
    cases = [good]
    for key, value in [("schemaVersion", "1.2"), ("modules", {"my.module": {}}), ("x", 1)]:
        broken = json.loads(json.dumps(good))
        broken["properties.desired"][key] = value
        cases.append(broken)
    env_key = json.loads(json.dumps(good))
    env_key["properties.desired"]["modules"]["IoTEdgeAPIProxy"]["env"]["A B"] = {"value": "x"}
    cases.append(env_key)
    for case in cases:
        explained = not list(validator(agent_schema).iter_errors(case))
        assert _fast_validator(agent_schema).is_valid(case) == explained
