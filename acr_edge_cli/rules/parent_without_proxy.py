"""A device with children runs no API proxy. Children pull their images and reach IoT Hub
through their parent's API proxy, so without it they cannot start. Fix: remove
`api_proxy: false` from the parent (the proxy is on by default for a parent)."""

from collections.abc import Iterator

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import FleetDevice, Place

NAME = "parent-without-proxy"
SEVERITY = Severity.ERROR
SUMMARY = "a device with children runs no API proxy"


def check_fleet(fleet: list[FleetDevice]) -> Iterator[Finding]:
    for device in fleet:
        if device.children and device.proxy_name is None:
            yield _at(
                device.proxy_at,
                f"device {device.id!r} has {device.children} child device(s) but no API proxy "
                "to serve them",
            )


def _at(place: Place, message: str) -> Finding:
    return Finding(place.path, message, on_key=place.on_key, document=place.document)
