"""Nothing on this device binds host port 443, though it runs the API proxy (so it serves
a layer below). Child devices reach their parent's edgeHub on 443 for its REST API and,
with the proxy on 443, pull images there too; moving the proxy to another port (8000) must
give 443 back to edgeHub (Azure/iotedge#5612). Fix: bind `443/tcp` on edgeHub, or move the
proxy to 443 and leave edgeHub without it."""

from collections.abc import Iterator

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.manifest_modules import AGENT
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import ManifestContext

NAME = "parent-443-unbound"
SEVERITY = Severity.WARNING
SUMMARY = "a manifest with an API proxy in which neither edgeHub nor the proxy binds host port 443"
PORT = "443"


def _host_ports(options: dict[str, object]) -> set[str]:
    host_config = options.get("HostConfig")
    bindings = host_config.get("PortBindings") if isinstance(host_config, dict) else None
    ports = set()
    for hosts in bindings.values() if isinstance(bindings, dict) else ():
        for host in hosts if isinstance(hosts, list) else ():
            if isinstance(host, dict) and host.get("HostPort") is not None:
                ports.add(str(host["HostPort"]))
    return ports


def check_manifest(context: ManifestContext) -> Iterator[Finding]:
    if context.partial:
        return  # edgeHub is in the base deployment
    proxy = next((m for m in context.user_modules() if m.is_api_proxy), None)
    hub = next((m for m in context.system_modules() if m.name == "edgeHub"), None)
    if proxy is None or hub is None:
        return
    options = [proxy.create_options, hub.create_options]
    if any(option is None for option in options):
        return  # unreadable: create-options-invalid says so
    if any(PORT in _host_ports(option) for option in options if option is not None):
        return
    yield Finding(
        (*AGENT, "systemModules", "edgeHub", "settings", "createOptions"),
        f"neither edgeHub nor {proxy.name} binds host port 443; children reach their "
        "parent's edgeHub there",
    )
