"""Microsoft ended support for the connected registry on IoT Edge on 2024-09-30; it is
supported on Arc-enabled Kubernetes only. The module still runs, but gets no fixes. Fix:
plan a move to the Arc extension; silence with `--disable
connected-registry-on-iot-edge-retired`."""

from collections.abc import Iterator

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import FleetDevice, ManifestContext

NAME = "connected-registry-on-iot-edge-retired"
SEVERITY = Severity.INFO
SUMMARY = (
    "connected registry on IoT Edge left Microsoft support on 2024-09-30 (Arc-enabled "
    "Kubernetes is the supported target)"
)
MESSAGE = "connected registry on IoT Edge has been out of Microsoft support since 2024-09-30"


def check_manifest(context: ManifestContext) -> Iterator[Finding]:
    entry = next((m for m in context.user_modules() if m.is_connected_registry), None)
    if entry is not None:
        yield Finding(entry.path, MESSAGE)


def check_fleet(fleet: list[FleetDevice]) -> Iterator[Finding]:
    """A hierarchy or a generated folder is one fleet: once, at its first registry."""
    place = next((d.registry_at for d in fleet if d.registry_at is not None), None)
    if place is not None:
        yield Finding(place.path, MESSAGE, document=place.document)
