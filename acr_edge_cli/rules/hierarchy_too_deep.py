"""IoT Edge supports at most five layers of devices below a top-layer device. A deeper
device cannot connect through its parents. Fix: flatten the hierarchy so that no device is
more than five layers below the top."""

from collections.abc import Iterator

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import FleetDevice

NAME = "hierarchy-too-deep"
SEVERITY = Severity.ERROR
SUMMARY = "more than 5 layers below a top-layer device"
MAX_LAYERS_BELOW_TOP = 5


def check_fleet(fleet: list[FleetDevice]) -> Iterator[Finding]:
    for device in fleet:
        if device.layer > MAX_LAYERS_BELOW_TOP:
            yield Finding(
                device.layer_at.path,
                f"device {device.id!r} is {device.layer} layers below the top; "
                f"IoT Edge allows at most {MAX_LAYERS_BELOW_TOP}",
            )
