"""A child's API proxy listens on another port than its parent's. The proxy forwards to its
parent on its own `NGINX_DEFAULT_PORT`, and the child pulls from `$upstream:<port>`, so
every layer must use the same port. Fix: set one `defaults.api_proxy.port` and remove the
per-device `port` overrides."""

from collections.abc import Iterator

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.rules.base import Finding, HierarchyContext, proxy_setting_path

NAME = "proxy-port-inconsistent"
SEVERITY = Severity.ERROR
SCOPES = ("hierarchy",)
SUMMARY = "a child's API proxy port (and `$upstream:<port>`) differs from its parent's"


def check(context: HierarchyContext) -> Iterator[Finding]:
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
