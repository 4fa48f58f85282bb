"""The connected registry's connection string (`ACR_REGISTRY_CONNECTION_STRING`): its keys,
how it is read, and how acr-edge writes one."""

from __future__ import annotations

VARIABLE = "ACR_REGISTRY_CONNECTION_STRING"
KEYS = (
    "ConnectedRegistryName",
    "SyncTokenName",
    "SyncTokenPassword",
    "ParentGatewayEndpoint",
    "ParentEndpointProtocol",
)


def parse_connection_string(text: str) -> dict[str, str]:
    """Pairs split on the first `=` only: token passwords may contain `=` and `/`."""
    pairs: dict[str, str] = {}
    for part in text.split(";"):
        if part:
            key, _, value = part.partition("=")
            pairs[key] = value
    return pairs


def connection_string(
    registry: str, token: str, password: str, parent_endpoint: str, protocol: str
) -> str:
    """The string `az acr connected-registry get-settings` gives, from its parts."""
    return (
        f"ConnectedRegistryName={registry};SyncTokenName={token};SyncTokenPassword={password}"
        f";ParentGatewayEndpoint={parent_endpoint};ParentEndpointProtocol={protocol}"
    )
