"""nginx refuses the configuration an API proxy module would run (checked by `validate
--nginx`, which runs `nginx -t` on acr-edge's model of the proxy's routes with the module's
settings and the manifest's environment, module names resolved as Docker's DNS would). The
proxy would not start, and nothing on this device or below it could pull an image: a
`CONNECTED_ACR_ROUTE_ADDRESS` naming no module of the deployment is one such case, since
nginx resolves that upstream when it starts. A variable holding `$`, `{` or `}` is another:
the proxy's template engine refuses it. Fix: correct the variable or `proxy_config` the
message names; `acr-edge validate --nginx` again until nginx accepts it."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.manifest_modules import AGENT
from acr_edge_cli.placeholders import has_placeholder
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
    from acr_edge_cli.proxyconfig import (
        RefusedValue,
        check_with_nginx,
        proxy_settings,
        render_nginx_config,
        resolved_as_on_device,
    )

    settings = proxy_settings(context.content) if isinstance(context.content, dict) else None
    if settings is None or any(has_placeholder(value) for value in settings.env.values()):
        return  # a template's placeholders are filled in later: nothing to run nginx on yet
    proxy_path = (*AGENT, "modules", settings.module_name)
    try:
        config = render_nginx_config(
            resolved_as_on_device(settings), parent_hostname=context.parent_host
        )
    except RefusedValue as refused:
        yield Finding(
            (*proxy_path, "env", refused.variable, "value"), f"{settings.module_name}: {refused}"
        )
        return
    check = check_with_nginx(config, context.tools)
    if check.ok:
        return
    named = {
        variable: value
        for variable, value in settings.env.items()
        if value.rpartition(":")[0] in check.unresolved
    }
    for variable, value in named.items():
        yield Finding(
            (*proxy_path, "env", variable, "value"),
            f"{settings.module_name}: {variable} {value!r} names no module of this "
            "deployment; nginx resolves it when it starts, so the API proxy will not start "
            "and every route through it (edgeHub's included) is down",
        )
    if not named:
        yield Finding(
            proxy_path,
            f"{settings.module_name}: nginx -t refuses the proxy configuration: "
            + " ".join(check.output.split()),
        )
