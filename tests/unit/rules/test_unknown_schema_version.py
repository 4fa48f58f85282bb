from tests.unit.rules.helpers import AGENT, HUB, agent, hub, manifest, manifest_findings


def test_fires_on_an_agent_version_the_runtime_refuses() -> None:
    content = manifest()
    agent(content)["schemaVersion"] = "1.10"
    (finding,) = manifest_findings(content, "unknown-schema-version")
    assert finding.pointer == f"{AGENT}/schemaVersion"
    assert finding.message == (
        "$edgeAgent schemaVersion '1.10' is not one the runtime accepts (1.0, 1.1)"
    )


def test_fires_on_hub_version_1_4() -> None:
    content = manifest()
    hub(content)["schemaVersion"] = "1.4"
    (finding,) = manifest_findings(content, "unknown-schema-version")
    assert finding.pointer == f"{HUB}/schemaVersion"


def test_near_miss_hub_1_3_is_known() -> None:
    content = manifest()
    hub(content)["schemaVersion"] = "1.3"
    assert manifest_findings(content, "unknown-schema-version") == []
