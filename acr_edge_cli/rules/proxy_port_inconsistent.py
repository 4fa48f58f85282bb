"""A child's API proxy listens on another port than its parent's. The proxy forwards to its
parent on its own `NGINX_DEFAULT_PORT`, and the child pulls from `$upstream:<port>`, so
every layer must use the same port. Fix: set one `defaults.api_proxy.port` and remove the
per-device `port` overrides."""

from collections.abc import Iterator

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import FleetDevice, Place

NAME = "proxy-port-inconsistent"
SEVERITY = Severity.ERROR
SUMMARY = "a child's API proxy port (and `$upstream:<port>`) differs from its parent's"


def check_fleet(fleet: list[FleetDevice]) -> Iterator[Finding]:
    by_id = {device.id: device for device in reversed(fleet)}  # the first of an id wins
    for device in fleet:
        parent = by_id.get(device.parent) if device.parent else None
        if parent is None or parent.proxy_port is None:
            continue
        if device.proxy_port is not None and device.proxy_port != parent.proxy_port:
            assert device.proxy_port_at is not None
            yield _at(
                device.proxy_port_at,
                f"API proxy of {device.id!r} listens on {device.proxy_port}, its parent "
                f"{parent.id!r} on {parent.proxy_port}; the proxy calls its parent on its own "
                "port",
            )
        for module, image, place in device.upstream_images:
            if not image.startswith(f"$upstream:{parent.proxy_port}/"):
                yield _at(
                    place,
                    f"{module}: {image!r} is pulled through another port than the parent "
                    f"{parent.id!r} serves ({parent.proxy_port})",
                )


def _at(place: Place, message: str) -> Finding:
    return Finding(place.path, message, on_key=place.on_key, document=place.document)
