"""The API proxy module has another name on a child than on its parent. The parent's proxy
certificate carries its own module name, and the child's proxy checks the parent's
certificate against the child's module name, so TLS between the layers fails. Fix: use
one `defaults.api_proxy.module_name` everywhere."""

from collections.abc import Iterator

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import FleetDevice, Place

NAME = "proxy-module-name-inconsistent"
SEVERITY = Severity.WARNING
SUMMARY = "the API proxy module name differs between layers (TLS names won't match)"


def check_fleet(fleet: list[FleetDevice]) -> Iterator[Finding]:
    by_id = {device.id: device for device in reversed(fleet)}  # the first of an id wins
    for device in fleet:
        parent = by_id.get(device.parent) if device.parent else None
        if parent is None or parent.proxy_name is None or device.proxy_name is None:
            continue
        assert device.proxy_name_at is not None
        if device.proxy_name.lower() != parent.proxy_name.lower():
            yield _at(
                device.proxy_name_at,
                f"API proxy module is {device.proxy_name!r} on {device.id!r} but "
                f"{parent.proxy_name!r} on its parent {parent.id!r}",
            )


def _at(place: Place, message: str) -> Finding:
    return Finding(place.path, message, on_key=place.on_key, document=place.document)
