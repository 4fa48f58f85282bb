"""A child's API proxy listens on another port than its parent's. The proxy forwards to its
parent on its own `NGINX_DEFAULT_PORT`, and the child pulls from `$upstream:<port>`, so
every layer must use the same port. Fix: set one `defaults.api_proxy.port` and remove the
per-device `port` overrides."""

from collections.abc import Iterator

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import HierarchyContext, OutputContext, proxy_setting_path

NAME = "proxy-port-inconsistent"
SEVERITY = Severity.ERROR
SUMMARY = "a child's API proxy port (and `$upstream:<port>`) differs from its parent's"


def check_hierarchy(context: HierarchyContext) -> Iterator[Finding]:
    for plan in context.plan.devices:
        parent = plan.parent
        if plan.proxy is None or parent is None or parent.proxy is None:
            continue
        if plan.proxy.port != parent.proxy.port:
            yield Finding(
                proxy_setting_path(plan, "port"),
                f"API proxy of {plan.id!r} listens on {plan.proxy.port}, its parent "
                f"{parent.id!r} on {parent.proxy.port}; the proxy calls its parent on its own port",
            )


def check_output(context: OutputContext) -> Iterator[Finding]:
    for device in context.devices:
        parent = context.by_id(device.parent)
        parent_port = parent.proxy_port() if parent is not None else None
        if parent is None or parent_port is None:
            continue
        proxy = device.api_proxy()
        if proxy is not None and device.proxy_port() != parent_port:
            yield Finding(
                (*proxy.path, "env", "NGINX_DEFAULT_PORT", "value"),
                f"API proxy of {device.id!r} listens on {device.proxy_port()}, its parent "
                f"{parent.id!r} on {parent_port}",
                document=device.manifest.document,
            )
        for entry in device.manifest.all_modules():
            image = entry.image or ""
            if image.startswith("$upstream:") and not image.startswith(f"$upstream:{parent_port}/"):
                yield Finding(
                    (*entry.path, "settings", "image"),
                    f"{entry.name}: {image!r} is pulled through another port than the parent "
                    f"{parent.id!r} serves ({parent_port})",
                    document=device.manifest.document,
                )
