"""The hierarchy's hostnames do not fit together. IoT Edge wants either FQDNs or IP
addresses throughout, not both (the parent's certificate is issued for its hostname and
children verify it against `parent_hostname`, Azure/iotedge#5231); and a device with
children needs a hostname, which its children use as `parent_hostname`. Fix: use one kind
of hostname on every device, and give every parent one."""

from collections.abc import Iterator

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import HierarchyContext
from acr_edge_cli.rules.hostname_invalid import is_ip_address

NAME = "hostname-inconsistent"
SEVERITY = Severity.WARNING
SUMMARY = "hostnames mix IP addresses and FQDNs, or a device with children has no hostname"


def check_hierarchy(context: HierarchyContext) -> Iterator[Finding]:
    first: tuple[str, bool] | None = None  # (device, is an IP address) setting the convention
    for plan in context.plan.devices:
        hostname = plan.device.hostname
        if hostname is None:
            if plan.device.children:
                yield Finding(
                    (*plan.source, "id"),
                    f"{plan.id} has children but no hostname; they need it as parent_hostname",
                )
            continue
        is_ip = is_ip_address(hostname)
        if first is None:
            first = (plan.id, is_ip)
        elif is_ip != first[1]:
            kinds = ("an IP address", "a name") if is_ip else ("a name", "an IP address")
            yield Finding(
                (*plan.source, "hostname"),
                f"{plan.id}: hostname {hostname!r} is {kinds[0]}, but {first[0]} uses "
                f"{kinds[1]}; use FQDNs or IP addresses, not both",
            )
