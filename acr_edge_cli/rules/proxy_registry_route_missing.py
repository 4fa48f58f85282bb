"""A top-layer API proxy has no registry route. Without `CONNECTED_ACR_ROUTE_ADDRESS` or
`DOCKER_REQUEST_ROUTE_ADDRESS`, nginx sends `/v2` to its parent, and a top-layer device has
none: every pull from the layer below fails. With both set, the Docker route wins and the
connected registry is bypassed (warning). Fix: set exactly one, normally
`CONNECTED_ACR_ROUTE_ADDRESS=<connected registry module>:8080`."""

from collections.abc import Iterator

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import ManifestContext

NAME = "proxy-registry-route-missing"
SEVERITY = Severity.ERROR
SUMMARY = (
    "a top-layer API proxy has neither registry route (then `/v2` goes to a parent that does "
    "not exist); warning when both are set (the docker route wins)"
)


def check_manifest(context: ManifestContext) -> Iterator[Finding]:
    for entry in context.user_modules():
        if not entry.is_api_proxy:
            continue
        env = entry.env()
        connected = "CONNECTED_ACR_ROUTE_ADDRESS" in env
        docker = "DOCKER_REQUEST_ROUTE_ADDRESS" in env
        if connected and docker:
            yield Finding(
                (*entry.path, "env", "DOCKER_REQUEST_ROUTE_ADDRESS"),
                f"{entry.name}: both registry routes are set; DOCKER_REQUEST_ROUTE_ADDRESS "
                "wins and the connected registry is not used",
                Severity.WARNING,
                on_key=True,
            )
        elif not connected and not docker and not context.is_lower_layer and not context.partial:
            yield Finding(
                entry.path,
                f"{entry.name}: top-layer API proxy without CONNECTED_ACR_ROUTE_ADDRESS or "
                "DOCKER_REQUEST_ROUTE_ADDRESS; /v2 would go to a parent that does not exist",
            )
