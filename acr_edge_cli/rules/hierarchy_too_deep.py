"""IoT Edge supports at most five layers of devices below a top-layer device. A deeper
device cannot connect through its parents. Fix: flatten the hierarchy so that no device is
more than five layers below the top."""

from collections.abc import Iterator

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import HierarchyContext, OutputContext

NAME = "hierarchy-too-deep"
SEVERITY = Severity.ERROR
SUMMARY = "more than 5 layers below a top-layer device"
MAX_LAYERS_BELOW_TOP = 5


def check_hierarchy(context: HierarchyContext) -> Iterator[Finding]:
    for plan in context.plan.devices:
        if plan.layer > MAX_LAYERS_BELOW_TOP:
            yield Finding(
                (*plan.source, "id"),
                f"device {plan.id!r} is {plan.layer} layers below the top; "
                f"IoT Edge allows at most {MAX_LAYERS_BELOW_TOP}",
            )


def check_output(context: OutputContext) -> Iterator[Finding]:
    for device in context.devices:
        if device.layer > MAX_LAYERS_BELOW_TOP:
            yield Finding(
                (*device.index_path, "layer"),
                f"device {device.id!r} is {device.layer} layers below the top; "
                f"IoT Edge allows at most {MAX_LAYERS_BELOW_TOP}",
            )
