"""Two devices in the hierarchy have the same id, or ids of one layer that differ only in
case. IoT Hub device ids are unique per hub, so the second device would overwrite the first
one's deployment and its output folder; ids differing only in case are two devices to IoT
Hub, but their folders (`layer-N/<id>`) are one on a case-insensitive file system (Windows,
macOS), where the output is checked out or unpacked. Fix: give every device its own id (the
id the device was registered with in IoT Hub), not only a different case."""

from collections.abc import Iterator

from acr_edge_cli.diagnostics import JsonPath, Severity
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import HierarchyContext, OutputContext

NAME = "device-id-duplicate"
SEVERITY = Severity.ERROR
SUMMARY = "two devices share an id"


def check_hierarchy(context: HierarchyContext) -> Iterator[Finding]:
    first_seen: dict[str, tuple[str, JsonPath]] = {}
    folded: dict[tuple[int, str], tuple[str, JsonPath]] = {}
    for plan in context.plan.devices:
        first = first_seen.get(plan.id)
        if first is not None:
            where = ".".join(str(part) for part in first[1])
            yield Finding(
                (*plan.source, "id"), f"device id {plan.id!r} is used twice (first at {where})"
            )
            continue
        first_seen[plan.id] = (plan.id, plan.source)
        same_folder = folded.setdefault((plan.layer, plan.id.casefold()), (plan.id, plan.source))
        if same_folder[0] != plan.id:
            where = ".".join(str(part) for part in same_folder[1])
            yield Finding(
                (*plan.source, "id"),
                f"device id {plan.id!r} differs from {same_folder[0]!r} (at {where}) only in "
                f"case: their folders in layer-{plan.layer}/ are one on case-insensitive file "
                "systems",
            )


def check_output(context: OutputContext) -> Iterator[Finding]:
    seen: set[str] = set()
    for device in context.devices:
        if device.id in seen:
            yield Finding((*device.index_path, "id"), f"device id {device.id!r} is listed twice")
        seen.add(device.id)
