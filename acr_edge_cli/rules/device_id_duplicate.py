"""Two devices in the hierarchy have the same id. IoT Hub device ids are unique per hub, so
the second device would overwrite the first one's deployment and its output folder. Fix:
give every device its own id (the id the device was registered with in IoT Hub)."""

from collections.abc import Iterator

from acr_edge_cli.diagnostics import JsonPath, Severity
from acr_edge_cli.rules.base import Finding, HierarchyContext, OutputContext

NAME = "device-id-duplicate"
SEVERITY = Severity.ERROR
SCOPES = ("hierarchy",)
SUMMARY = "two devices share an id"


def check(context: HierarchyContext) -> Iterator[Finding]:
    first_seen: dict[str, JsonPath] = {}
    for plan in context.plan.devices:
        first = first_seen.get(plan.id)
        if first is None:
            first_seen[plan.id] = plan.source  # its place is spelled out only if repeated
        else:
            where = ".".join(str(part) for part in first)
            yield Finding(
                (*plan.source, "id"), f"device id {plan.id!r} is used twice (first at {where})"
            )


def check_output(context: OutputContext) -> Iterator[Finding]:
    seen: set[str] = set()
    for device in context.devices:
        if device.id in seen:
            yield Finding((*device.index_path, "id"), f"device id {device.id!r} is listed twice")
        seen.add(device.id)
