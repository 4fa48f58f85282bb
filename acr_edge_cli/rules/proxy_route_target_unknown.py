"""An API proxy route address does not reach a module of this deployment. The proxy sends
`/v2` and `/acr` to `CONNECTED_ACR_ROUTE_ADDRESS` (`<connected registry module>:8080`) or
`DOCKER_REQUEST_ROUTE_ADDRESS` (`<registry module>:<port>`), by module name on the IoT Edge
network. The connected registry's address is resolved once, when nginx starts: a name that
is not a module stops the proxy from starting at all, edgeHub's routes through it included
(`validate --nginx` shows it); a wrong port, or a wrong Docker route name (looked up per
request), gives 502 on every pull. A `BLOB_UPLOAD_ROUTE_ADDRESS` whose
module is missing breaks blob uploads on that device (warning): unset, uploads go to the
parent's proxy and on up to the layer that runs the blob module. Fix: write the module's
name exactly as in `modules`, with the port it serves; on a layer without the blob module,
remove `BLOB_UPLOAD_ROUTE_ADDRESS`."""

from collections.abc import Iterator

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.manifest_modules import env_path
from acr_edge_cli.placeholders import has_placeholder
from acr_edge_cli.plan import REGISTRY_CONTAINER_PORT
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import ManifestContext

NAME = "proxy-route-target-unknown"
SEVERITY = Severity.ERROR
SUMMARY = (
    "`CONNECTED_ACR_ROUTE_ADDRESS` or `DOCKER_REQUEST_ROUTE_ADDRESS` does not name a module "
    "of this deployment with the right port (connected registry 8080); warning for a "
    "`BLOB_UPLOAD_ROUTE_ADDRESS` whose module is not in this deployment"
)
ROUTES = (
    "CONNECTED_ACR_ROUTE_ADDRESS",
    "DOCKER_REQUEST_ROUTE_ADDRESS",
    "BLOB_UPLOAD_ROUTE_ADDRESS",
)


def check_manifest(context: ManifestContext) -> Iterator[Finding]:
    modules = {entry.name.lower(): entry for entry in context.user_modules()}
    for proxy in context.user_modules():
        if not proxy.is_api_proxy:
            continue
        env = proxy.env()
        for variable in ROUTES:
            value = env.get(variable)
            if not isinstance(value, str) or has_placeholder(value):
                continue  # a placeholder is unknown, not wrong
            severity = Severity.WARNING if variable == "BLOB_UPLOAD_ROUTE_ADDRESS" else None
            name, _, port = value.rpartition(":")
            if not name or not port.isdigit():
                yield Finding(
                    env_path(proxy, variable),
                    f"{proxy.name}: {variable} {value!r} must be <module>:<port>",
                    severity,
                )
                continue
            target = modules.get(name.lower())
            if target is None and context.partial:
                continue  # it may be in the base deployment
            if target is None:
                hint = (
                    "; remove it so that blob uploads go to the parent (the default)"
                    if variable == "BLOB_UPLOAD_ROUTE_ADDRESS"
                    else ""
                )
                yield Finding(
                    env_path(proxy, variable),
                    f"{proxy.name}: {variable} points at {name!r}, which is not a module of "
                    f"this deployment{hint}",
                    severity,
                )
            elif target.is_connected_registry and int(port) != REGISTRY_CONTAINER_PORT:
                yield Finding(
                    env_path(proxy, variable),
                    f"{proxy.name}: {variable} uses port {port}, but the connected registry "
                    f"{target.name!r} serves on {REGISTRY_CONTAINER_PORT}",
                    severity,
                )
