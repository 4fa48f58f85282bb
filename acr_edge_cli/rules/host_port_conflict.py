"""Two modules bind the same host port. Docker refuses to start the second container. The
usual case is edgeHub and the API proxy both on 443: when the proxy takes 443, remove 443
from edgeHub's PortBindings (keep 5671 and 8883); or keep edgeHub on 443 and run the proxy
on 8000. Fix: give each binding its own host port."""

from collections.abc import Iterator

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.manifest_modules import create_options_path
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import ManifestContext

NAME = "host-port-conflict"
SEVERITY = Severity.ERROR
SUMMARY = "two modules bind the same host port (typically edgeHub and the API proxy on 443)"


def check_manifest(context: ManifestContext) -> Iterator[Finding]:
    bound_by: dict[tuple[str, str], str] = {}
    for entry in context.all_modules():
        options = entry.create_options
        if options is None:
            continue  # unreadable: create-options-invalid says so
        host_config = options.get("HostConfig")
        bindings = host_config.get("PortBindings") if isinstance(host_config, dict) else None
        if not isinstance(bindings, dict):
            continue
        for container_port, hosts in bindings.items():
            protocol = container_port.partition("/")[2] or "tcp"
            for host in hosts if isinstance(hosts, list) else []:
                port = str(host.get("HostPort", "")) if isinstance(host, dict) else ""
                if not port:
                    continue
                key = (port, protocol)
                other = bound_by.get(key)
                if other is not None and other != entry.name:
                    yield Finding(
                        create_options_path(entry),
                        f"host port {port}/{protocol} is bound by both {other} and {entry.name}",
                    )
                bound_by.setdefault(key, entry.name)
