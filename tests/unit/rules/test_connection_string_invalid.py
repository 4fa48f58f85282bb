import pytest

from tests.unit.rules.helpers import AGENT, agent, manifest, manifest_findings

POINTER = f"{AGENT}/modules/connected-registry/env/ACR_REGISTRY_CONNECTION_STRING/value"


def _with(layer: str, value: str) -> dict[str, object]:
    content = manifest(layer)
    agent(content)["modules"]["connected-registry"]["env"]["ACR_REGISTRY_CONNECTION_STRING"] = {
        "value": value
    }
    return content


@pytest.mark.parametrize(
    ("layer", "value", "message"),
    [
        (
            "top",
            "ConnectedRegistryName=topregistry;SyncTokenName=t;SyncTokenPassword=${P}",
            "connected-registry: connection string lacks ParentGatewayEndpoint, ParentEndpointProtocol",
        ),
        (
            "lower",
            "ConnectedRegistryName=lowerregistry;SyncTokenName=t;SyncTokenPassword=${P};"
            "ParentGatewayEndpoint=$upstream:8000;ParentEndpointProtocol=https",
            "connected-registry: $upstream is not resolved in environment variables; write "
            "ParentGatewayEndpoint=$IOTEDGE_PARENTHOSTNAME:<proxy port>",
        ),
        (
            "top",
            "ConnectedRegistryName=topregistry;SyncTokenName=t;SyncTokenPassword=${P};"
            "ParentGatewayEndpoint=c.eastus.data.azurecr.io;ParentEndpointProtocol=http",
            "connected-registry: ParentEndpointProtocol must be https towards the cloud registry, "
            "not 'http'",
        ),
        (
            "top",
            "ConnectedRegistryName=top-registry;SyncTokenName=t;SyncTokenPassword=${P};"
            "ParentGatewayEndpoint=c.eastus.data.azurecr.io;ParentEndpointProtocol=https",
            "connected-registry: ConnectedRegistryName 'top-registry' must start with a letter and "
            "have 5 to 40 letters and digits",
        ),
    ],
)
def test_fires(layer: str, value: str, message: str) -> None:
    (finding,) = manifest_findings(_with(layer, value), "connection-string-invalid")
    assert (finding.pointer, finding.message) == (POINTER, message)


def test_fires_when_missing() -> None:
    content = manifest()
    del agent(content)["modules"]["connected-registry"]["env"]["ACR_REGISTRY_CONNECTION_STRING"]
    (finding,) = manifest_findings(content, "connection-string-invalid")
    assert finding.pointer == f"{AGENT}/modules/connected-registry/env"


def test_near_miss_http_to_a_parent_device_and_a_password_with_equals() -> None:
    value = (
        "ConnectedRegistryName=lowerregistry;SyncTokenName=t;SyncTokenPassword=ab/c=d==;"
        "ParentGatewayEndpoint=$IOTEDGE_PARENTHOSTNAME:8000;ParentEndpointProtocol=http"
    )
    assert manifest_findings(_with("lower", value), "connection-string-invalid") == []
