"""A device with children runs no API proxy. Children pull their images and reach IoT Hub
through their parent's API proxy, so without it they cannot start. Fix: remove
`api_proxy: false` from the parent (the proxy is on by default for a parent)."""

from collections.abc import Iterator

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import HierarchyContext, OutputContext

NAME = "parent-without-proxy"
SEVERITY = Severity.ERROR
SUMMARY = "a device with children runs no API proxy"


def check_hierarchy(context: HierarchyContext) -> Iterator[Finding]:
    for plan in context.plan.devices:
        if plan.device.children and plan.proxy is None:
            yield Finding(
                (*plan.source, "api_proxy"),
                f"device {plan.id!r} has {len(plan.device.children)} child device(s) "
                "but no API proxy to serve them",
            )


def check_output(context: OutputContext) -> Iterator[Finding]:
    for device in context.devices:
        children = context.children_of(device)
        if children and device.api_proxy() is None:
            yield Finding(
                ("modulesContent", "$edgeAgent", "properties.desired", "modules"),
                f"device {device.id!r} has {len(children)} child device(s) but no API proxy "
                "to serve them",
                document=device.manifest.document,
            )
