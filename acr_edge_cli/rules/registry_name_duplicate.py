"""Two connected registries have the same name (names are compared without case, as the
service does). A connected registry can be active on one device only; the second
activation fails with "already activated by another instance". Fix: give each device's
registry its own name."""

from collections.abc import Iterator

from acr_edge_cli.connection_strings import VARIABLE, parse_connection_string
from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.manifest_modules import env_path
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import HierarchyContext, OutputContext

NAME = "registry-name-duplicate"
SEVERITY = Severity.ERROR
SUMMARY = "two connected registries share a name (case-insensitive)"


def check_hierarchy(context: HierarchyContext) -> Iterator[Finding]:
    first_device: dict[str, str] = {}
    for plan in context.plan.devices:
        if plan.registry is None:
            continue
        key = plan.registry.name.lower()
        if key in first_device:
            yield Finding(
                (*plan.source, "connected_registry", "name"),
                f"connected registry name {plan.registry.name!r} is also used on device "
                f"{first_device[key]!r}",
            )
        else:
            first_device[key] = plan.id


def check_output(context: OutputContext) -> Iterator[Finding]:
    first_device: dict[str, str] = {}
    for device in context.devices:
        for entry in device.manifest.user_modules():
            value = entry.env().get(VARIABLE)
            if not isinstance(value, str):
                continue
            name = parse_connection_string(value).get("ConnectedRegistryName", "")
            if not name:
                continue
            if name.lower() in first_device:
                yield Finding(
                    env_path(entry, VARIABLE),
                    f"connected registry name {name!r} is also used on device "
                    f"{first_device[name.lower()]!r}",
                    document=device.manifest.document,
                )
            else:
                first_device[name.lower()] = device.id
