from tests.unit.rules.helpers import AGENT, agent, manifest, manifest_findings


def test_fires_on_a_top_layer_proxy_without_registry_route() -> None:
    content = manifest()
    del agent(content)["modules"]["IoTEdgeAPIProxy"]["env"]["CONNECTED_ACR_ROUTE_ADDRESS"]
    (finding,) = manifest_findings(content, "proxy-registry-route-missing")
    assert finding.pointer == f"{AGENT}/modules/IoTEdgeAPIProxy"
    assert finding.severity.label == "error"


def test_both_routes_is_a_warning() -> None:
    content = manifest()
    agent(content)["modules"]["IoTEdgeAPIProxy"]["env"]["DOCKER_REQUEST_ROUTE_ADDRESS"] = {
        "value": "connected-registry:8080"
    }
    (finding,) = manifest_findings(content, "proxy-registry-route-missing")
    assert finding.severity.label == "warning"


def test_near_miss_lower_layer_proxy_may_forward_to_its_parent() -> None:
    content = manifest("lower")
    del agent(content)["modules"]["IoTEdgeAPIProxy"]["env"]["CONNECTED_ACR_ROUTE_ADDRESS"]
    assert manifest_findings(content, "proxy-registry-route-missing") == []
