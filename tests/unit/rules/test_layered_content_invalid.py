from tests.unit.rules.helpers import configuration, configuration_findings


def test_fires_without_edge_agent() -> None:
    document = configuration(layered=True)
    modules = document["content"]["modulesContent"]
    modules["$edgeHub"] = {"properties.desired.routes.r": "FROM /messages/* INTO $upstream"}
    del modules["$edgeAgent"]
    (finding,) = configuration_findings(document, "layered-content-invalid")
    assert finding.pointer == "/content/modulesContent"


def test_fires_on_whole_system_desired_properties_and_unknown_paths() -> None:
    document = configuration(layered=True)
    modules = document["content"]["modulesContent"]
    modules["$edgeHub"] = {
        "properties.desired": {"routes": {}},
        "properties.desired.rutes.r": "FROM /messages/* INTO $upstream",
    }
    findings = configuration_findings(document, "layered-content-invalid")
    assert [f.pointer for f in findings] == [
        "/content/modulesContent/$edgeHub/properties.desired",
        "/content/modulesContent/$edgeHub/properties.desired.rutes.r",
    ]


def test_near_miss_empty_edge_agent_and_a_route() -> None:
    document = configuration(layered=True)
    modules = document["content"]["modulesContent"]
    modules["$edgeAgent"] = {}
    modules["$edgeHub"] = {"properties.desired.routes.r": "FROM /messages/* INTO $upstream"}
    assert configuration_findings(document, "layered-content-invalid") == []
    assert configuration_findings(document, "schema") == []
