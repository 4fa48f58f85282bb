"""`iotedge check` cannot run on a lower layer: it starts the `azureiotedge-diagnostics`
image, which a device below the top can only pull through its parent, and the parent's
connected registry does not sync it (Azure/iotedge#7044). Fix: add
`azureiotedge-diagnostics` to the parent registry's `repositories` and import it into the
cloud registry, then run `iotedge check --diagnostics-image-name
<parent hostname>:<port>/azureiotedge-diagnostics:<runtime version>` on the device
(`iotedge check` does not resolve `$upstream`, and adds the parent's hostname without a port
only to a name starting with `/`; `acr-edge bundle` prints the line for each device)."""

from collections.abc import Iterator

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import HierarchyContext

NAME = "diagnostics-image-not-synced"
SEVERITY = Severity.INFO
SUMMARY = (
    "a lower layer's parent does not sync `azureiotedge-diagnostics`, so `iotedge check` "
    "cannot run there"
)
REPOSITORY = "azureiotedge-diagnostics"


def check_hierarchy(context: HierarchyContext) -> Iterator[Finding]:
    reported: set[str] = set()
    for plan in context.plan.devices:
        if plan.is_top:
            continue
        source = plan.nearest_registry_ancestor
        if source is None or source.registry is None or source.id in reported:
            continue
        if REPOSITORY in source.registry.repositories:
            continue
        reported.add(source.id)
        parent = plan.parent.device.hostname if plan.parent else None
        host = parent or "<parent hostname>"
        image = f"{host}:{plan.upstream_port}/{REPOSITORY}:{plan.runtime.version}"
        yield Finding(
            (*source.source, "connected_registry", "repositories"),
            f"{source.registry.name} does not sync {REPOSITORY}: `iotedge check` fails on "
            f"{plan.id} and the other devices below it; sync it and run `iotedge check "
            f"--diagnostics-image-name {image}`",
        )
