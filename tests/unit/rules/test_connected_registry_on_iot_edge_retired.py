from pathlib import Path

from tests.unit.rules.helpers import (
    agent,
    hierarchy,
    hierarchy_findings,
    manifest,
    manifest_findings,
)


def test_fires_once_per_hierarchy(tmp_path: Path) -> None:
    findings = hierarchy_findings(hierarchy(), "connected-registry-on-iot-edge-retired", tmp_path)
    assert [(f.pointer, f.severity.label) for f in findings] == [
        ("/devices/0/connected_registry", "info")
    ]


def test_fires_on_a_manifest_with_a_connected_registry() -> None:
    assert len(manifest_findings(manifest(), "connected-registry-on-iot-edge-retired")) == 1


def test_near_miss_without_connected_registry() -> None:
    content = manifest()
    del agent(content)["modules"]["connected-registry"]
    assert manifest_findings(content, "connected-registry-on-iot-edge-retired") == []
