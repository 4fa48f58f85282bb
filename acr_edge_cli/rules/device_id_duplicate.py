"""Two devices in the hierarchy have the same id, or ids of one layer that differ only in
case. IoT Hub device ids are unique per hub, so the second device would overwrite the first
one's deployment and its output folder; ids differing only in case are two devices to IoT
Hub, but their folders (`layer-N/<id>`) are one on a case-insensitive file system (Windows,
macOS), where the output is checked out or unpacked. Fix: give every device its own id (the
id the device was registered with in IoT Hub), not only a different case."""

from collections.abc import Iterator

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import FleetDevice, Place

NAME = "device-id-duplicate"
SEVERITY = Severity.ERROR
SUMMARY = "two devices share an id"


def check_fleet(fleet: list[FleetDevice]) -> Iterator[Finding]:
    first_seen: dict[str, FleetDevice] = {}
    folded: dict[tuple[int, str], FleetDevice] = {}
    for device in fleet:
        first = first_seen.get(device.id)
        if first is not None:
            yield _at(device.at, f"device id {device.id!r} is used twice (first at {first.where})")
            continue
        first_seen[device.id] = device
        same_folder = folded.setdefault((device.layer, device.id.casefold()), device)
        if same_folder.id != device.id:
            yield _at(
                device.at,
                f"device id {device.id!r} differs from {same_folder.id!r} (at "
                f"{same_folder.where}) only in case: their folders in layer-{device.layer}/ "
                "are one on case-insensitive file systems",
            )


def _at(place: Place, message: str) -> Finding:
    return Finding(place.path, message, on_key=place.on_key, document=place.document)
