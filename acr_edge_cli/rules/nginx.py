"""nginx refuses the configuration an API proxy module would run (checked by `validate
--nginx`, which runs `nginx -t` on acr-edge's model of the proxy's routes with the module's
settings and the manifest's environment). The proxy would not start, and nothing on this
device or below it could pull an image. Fix: correct the variable or `proxy_config` the
message names; `acr-edge validate --nginx` again until nginx accepts it."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.manifest_modules import AGENT
from acr_edge_cli.rules.base import Finding

NAME = "nginx"
SEVERITY = Severity.ERROR
SUMMARY = "`nginx -t` refuses the configuration the API proxy would run (`validate --nginx`)"


@dataclass(frozen=True)
class NginxContext:
    """One manifest's API proxy: the manifest, its parent's host (None on top), and the
    programs to run."""

    content: Any
    parent_host: str | None
    tools: Any  # proxyconfig.NginxTools


def check_nginx(context: NginxContext) -> Iterator[Finding]:
    from acr_edge_cli.proxyconfig import check_with_nginx, proxy_settings, render_nginx_config

    settings = proxy_settings(context.content) if isinstance(context.content, dict) else None
    if settings is None:
        return
    config = render_nginx_config(settings, parent_hostname=context.parent_host)
    check = check_with_nginx(config, context.tools)
    if not check.ok:
        yield Finding(
            (*AGENT, "modules", settings.module_name),
            f"{settings.module_name}: nginx -t refuses the proxy configuration: "
            + " ".join(check.output.split()),
        )
