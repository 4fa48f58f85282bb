"""A device's hostname cannot be used by IoT Edge: `iotedge check` requires an RFC 1035
name (labels of letters, digits and hyphens, each starting with a letter and not ending
with a hyphen) or an IP address, and under 64 characters, because the hostname becomes the
common name of the device's edge CA certificate and children check it against
`parent_hostname`. Fix: use a name such as `plant-dmz.contoso.local`, or the device's IP
address."""

import ipaddress
import re
from collections.abc import Iterator

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import HierarchyContext

NAME = "hostname-invalid"
SEVERITY = Severity.ERROR
SUMMARY = "a hostname breaks RFC 1035 or is 64 characters or longer"
#: A certificate's common name holds at most 64 characters; iotedge check wants fewer.
LIMIT = 64
_LABEL = re.compile(r"[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


def is_ip_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def hostname_problem(name: str) -> str | None:
    if len(name) >= LIMIT:
        return f"is {len(name)} characters; it must be under {LIMIT} (a certificate's common name)"
    if is_ip_address(name):
        return None
    for label in name.split("."):
        if not _LABEL.fullmatch(label):
            return (
                f"breaks RFC 1035 at {label!r}: labels start with a letter, hold letters, "
                "digits and hyphens, and do not end with a hyphen"
            )
    return None


def check_hierarchy(context: HierarchyContext) -> Iterator[Finding]:
    for plan in context.plan.devices:
        hostname = plan.device.hostname
        if hostname is None:
            continue
        problem = hostname_problem(hostname)
        if problem is not None:
            yield Finding((*plan.source, "hostname"), f"{plan.id}: hostname {hostname!r} {problem}")
