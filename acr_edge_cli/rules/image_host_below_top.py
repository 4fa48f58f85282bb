"""A device below the top layer names an image with a registry host (for example
`mcr.microsoft.com/...`). Lower layers have no route to the internet; they can only pull
through their parent's API proxy. Fix: import the image into the cloud registry, sync its
repository down the hierarchy, and write it as `repository:tag`."""

from collections.abc import Iterator

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.images import registry_host
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import HierarchyContext

NAME = "image-host-below-top"
SEVERITY = Severity.ERROR
SUMMARY = "a device below the top layer names an image with a registry host"


def check_hierarchy(context: HierarchyContext) -> Iterator[Finding]:
    for plan in context.plan.devices:
        if plan.is_top:
            continue
        for name, module in plan.device.modules.items():
            host = registry_host(module.image)
            if host is not None:
                yield Finding(
                    (*plan.source, "modules", name, "image"),
                    f"{module.image!r} names the registry {host!r}, which a lower-layer device "
                    "cannot reach; write it as repository:tag",
                )
