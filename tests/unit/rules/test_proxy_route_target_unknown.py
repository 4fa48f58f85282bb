from tests.unit.rules.helpers import AGENT, agent, manifest, manifest_findings

ROUTE = f"{AGENT}/modules/IoTEdgeAPIProxy/env/CONNECTED_ACR_ROUTE_ADDRESS/value"


def _route(address: str) -> dict[str, object]:
    content = manifest()
    agent(content)["modules"]["IoTEdgeAPIProxy"]["env"]["CONNECTED_ACR_ROUTE_ADDRESS"] = {
        "value": address
    }
    return content


def test_fires_on_a_module_name_that_is_not_deployed() -> None:
    (finding,) = manifest_findings(_route("connectedRegistry:8080"), "proxy-route-target-unknown")
    assert finding.pointer == ROUTE
    assert finding.severity.label == "error"


def test_fires_on_the_wrong_port_for_a_connected_registry() -> None:
    (finding,) = manifest_findings(_route("connected-registry:5000"), "proxy-route-target-unknown")
    assert "serves on 8080" in finding.message


def test_blob_route_to_a_missing_module_is_a_warning_that_says_to_remove_it() -> None:
    content = manifest("lower")
    agent(content)["modules"]["IoTEdgeAPIProxy"]["env"]["BLOB_UPLOAD_ROUTE_ADDRESS"] = {
        "value": "AzureBlobStorageonIoTEdge:11002"
    }
    (finding,) = manifest_findings(content, "proxy-route-target-unknown")
    assert finding.severity.label == "warning"
    assert "remove it so that blob uploads go to the parent" in finding.message


def test_near_miss_correct_route() -> None:
    assert manifest_findings(_route("connected-registry:8080"), "proxy-route-target-unknown") == []
