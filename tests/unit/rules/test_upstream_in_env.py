from tests.unit.rules.helpers import AGENT, agent, manifest, manifest_findings


def test_fires_on_upstream_in_an_environment_value() -> None:
    content = manifest("lower")
    agent(content)["modules"]["IoTEdgeAPIProxy"]["env"]["PARENT"] = {"value": "$upstream:8000"}
    (finding,) = manifest_findings(content, "upstream-in-env")
    assert finding.pointer == f"{AGENT}/modules/IoTEdgeAPIProxy/env/PARENT/value"


def test_near_miss_parent_hostname_variable() -> None:
    content = manifest("lower")
    agent(content)["modules"]["IoTEdgeAPIProxy"]["env"]["PARENT"] = {
        "value": "$IOTEDGE_PARENTHOSTNAME:8000"
    }
    assert manifest_findings(content, "upstream-in-env") == []
