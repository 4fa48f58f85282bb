from pathlib import Path

from tests.unit.rules.helpers import (
    AGENT,
    agent,
    device,
    hierarchy,
    hierarchy_findings,
    manifest,
    manifest_findings,
)


def test_fires_on_literal_passwords_in_a_manifest() -> None:
    content = manifest()
    desired = agent(content)
    desired["runtime"]["settings"]["registryCredentials"]["cloudregistry"]["password"] = "hunter2"
    findings = manifest_findings(content, "literal-secret")
    assert [f.pointer for f in findings] == [
        f"{AGENT}/runtime/settings/registryCredentials/cloudregistry/password"
    ]
    assert "hunter2" not in findings[0].message


def test_fires_on_a_literal_in_the_hierarchy_at_its_line(tmp_path: Path) -> None:
    data = hierarchy()
    device(data, 0)["connected_registry"]["sync_token"]["password"] = "hunter2"
    (finding,) = hierarchy_findings(data, "literal-secret", tmp_path)
    assert finding.pointer == "/devices/0/connected_registry/sync_token/password"
    assert finding.file.endswith("hierarchy.yaml")
    assert finding.line is not None


def test_near_miss_references() -> None:
    assert manifest_findings(manifest(), "literal-secret") == []
