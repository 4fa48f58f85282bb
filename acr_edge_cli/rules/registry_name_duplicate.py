"""Two connected registries have the same name (names are compared without case, as the
service does). A connected registry can be active on one device only; the second
activation fails with "already activated by another instance". Fix: give each device's
registry its own name."""

from collections.abc import Iterator

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import FleetDevice, Place

NAME = "registry-name-duplicate"
SEVERITY = Severity.ERROR
SUMMARY = "two connected registries share a name (case-insensitive)"


def check_fleet(fleet: list[FleetDevice]) -> Iterator[Finding]:
    first_device: dict[str, str] = {}
    for device in fleet:
        name = device.registry_name
        if name is None or device.registry_name_at is None:
            continue
        if name.lower() in first_device:
            yield _at(
                device.registry_name_at,
                f"connected registry name {name!r} is also used on device "
                f"{first_device[name.lower()]!r}",
            )
        else:
            first_device[name.lower()] = device.id


def _at(place: Place, message: str) -> Finding:
    return Finding(place.path, message, on_key=place.on_key, document=place.document)
