from tests.unit.rules.helpers import AGENT, agent, manifest, manifest_findings


def test_fires_on_startup_order_with_schema_1_0() -> None:
    content = manifest()
    agent(content)["schemaVersion"] = "1.0"
    agent(content)["modules"]["IoTEdgeAPIProxy"]["startupOrder"] = 3
    found = manifest_findings(content, "startup-order-needs-schema-1-1")
    assert sorted(f.pointer for f in found) == [
        f"{AGENT}/modules/IoTEdgeAPIProxy/startupOrder",
        f"{AGENT}/modules/connected-registry/startupOrder",
    ]
    # reported under the rule, not again as a schema error
    assert manifest_findings(content, "schema") == []


def test_near_miss_schema_1_1() -> None:
    content = manifest()
    agent(content)["modules"]["IoTEdgeAPIProxy"]["startupOrder"] = 3
    assert manifest_findings(content, "startup-order-needs-schema-1-1") == []
