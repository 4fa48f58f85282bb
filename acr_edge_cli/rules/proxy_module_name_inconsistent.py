"""The API proxy module has another name on a child than on its parent. The parent's proxy
certificate carries its own module name, and the child's proxy checks the parent's
certificate against the child's module name, so TLS between the layers fails. Fix: use
one `defaults.api_proxy.module_name` everywhere."""

from collections.abc import Iterator

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import HierarchyContext, OutputContext, proxy_setting_path

NAME = "proxy-module-name-inconsistent"
SEVERITY = Severity.WARNING
SUMMARY = "the API proxy module name differs between layers (TLS names won't match)"


def check_hierarchy(context: HierarchyContext) -> Iterator[Finding]:
    for plan in context.plan.devices:
        parent = plan.parent
        if plan.proxy is None or parent is None or parent.proxy is None:
            continue
        if plan.proxy.module_name.lower() != parent.proxy.module_name.lower():
            yield Finding(
                proxy_setting_path(plan, "module_name"),
                f"API proxy module is {plan.proxy.module_name!r} on {plan.id!r} but "
                f"{parent.proxy.module_name!r} on its parent {parent.id!r}",
            )


def check_output(context: OutputContext) -> Iterator[Finding]:
    for device in context.devices:
        parent = context.by_id(device.parent)
        proxy, parent_proxy = device.api_proxy(), parent.api_proxy() if parent else None
        if proxy is None or parent_proxy is None or parent is None:
            continue
        if proxy.name.lower() != parent_proxy.name.lower():
            yield Finding(
                proxy.path,
                f"API proxy module is {proxy.name!r} on {device.id!r} but {parent_proxy.name!r} "
                f"on its parent {parent.id!r}",
                on_key=True,
                document=device.manifest.document,
            )
