"""The connected registry's `ACR_REGISTRY_CONNECTION_STRING` is missing or wrong. It must hold
`ConnectedRegistryName`, `SyncTokenName`, `SyncTokenPassword`, `ParentGatewayEndpoint` and
`ParentEndpointProtocol`. On the top layer the parent is the cloud registry's data endpoint
over `https`; below, `$IOTEDGE_PARENTHOSTNAME:<proxy port>` (`$upstream` is not resolved
in environment variables). A runtime before 0.3.0 configured with the separate
`ACR_REGISTRY_NAME`, `ACR_SYNC_TOKEN_NAME`, ... variables is judged as written for its
version. Fix: copy the string from `az acr connected-registry get-settings`, or let
`acr-edge generate` write it."""

import re
from collections.abc import Iterator

from acr_edge_cli.connection_strings import KEYS, VARIABLE, parse_connection_string
from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.images import version_of
from acr_edge_cli.manifest_modules import ModuleEntry, env_path
from acr_edge_cli.placeholders import has_placeholder, is_placeholder
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import ManifestContext

NAME = "connection-string-invalid"
SEVERITY = Severity.ERROR
SUMMARY = (
    "`ACR_REGISTRY_CONNECTION_STRING` is missing, lacks a key, uses `$upstream`, is not "
    "`https` towards the cloud, or names a registry that breaks the name rule"
)
REGISTRY_NAME = re.compile(r"[a-zA-Z][a-zA-Z0-9]{4,39}")
#: The separate variables of the runtime before the connection string (0.2.0 brought it;
#: samples of the 0.2 era still used these).
LEGACY_VARIABLES = ("ACR_REGISTRY_NAME", "ACR_SYNC_TOKEN_NAME", "ACR_SYNC_TOKEN_PASSWORD")
CONNECTION_STRING_SINCE = (0, 3)


def _configured_before_connection_strings(entry: ModuleEntry) -> bool:
    """A runtime older than 0.3.0 (or of unknown version) set up with the separate
    `ACR_*` variables: judged by the version it names."""
    version = version_of(entry.reference)
    env = entry.env()
    return (version is None or version[:2] < CONNECTION_STRING_SINCE) and all(
        name in env for name in LEGACY_VARIABLES
    )


def check_manifest(context: ManifestContext) -> Iterator[Finding]:
    lower = context.is_lower_layer
    for entry in context.user_modules():
        if not entry.is_connected_registry:
            continue
        value = entry.env().get(VARIABLE)
        if value is None and _configured_before_connection_strings(entry):
            continue
        if not isinstance(value, str):
            yield Finding(
                (*entry.path, "env"), f"{entry.name}: {VARIABLE} is missing or not a string"
            )
            continue
        if is_placeholder(value):
            continue  # filled in when the template is built
        path = env_path(entry, VARIABLE)
        pairs = parse_connection_string(value)
        missing = [key for key in KEYS if key not in pairs]
        if missing:
            yield Finding(path, f"{entry.name}: connection string lacks {', '.join(missing)}")
        if "$upstream" in value:
            yield Finding(
                path,
                f"{entry.name}: $upstream is not resolved in environment variables; write "
                "ParentGatewayEndpoint=$IOTEDGE_PARENTHOSTNAME:<proxy port>",
            )
        name = pairs.get("ConnectedRegistryName", "")
        if name and not has_placeholder(name) and not REGISTRY_NAME.fullmatch(name):
            yield Finding(
                path,
                f"{entry.name}: ConnectedRegistryName {name!r} must start with a letter and "
                "have 5 to 40 letters and digits",
            )
        protocol = pairs.get("ParentEndpointProtocol")
        endpoint = pairs.get("ParentGatewayEndpoint", "")
        towards_cloud = not lower and "$IOTEDGE_PARENTHOSTNAME" not in endpoint
        if towards_cloud and protocol is not None and protocol != "https":
            yield Finding(
                path,
                f"{entry.name}: ParentEndpointProtocol must be https towards the cloud "
                f"registry, not {protocol!r}",
            )
        if protocol is not None and protocol not in ("http", "https"):
            yield Finding(
                path, f"{entry.name}: ParentEndpointProtocol {protocol!r} is not http or https"
            )
