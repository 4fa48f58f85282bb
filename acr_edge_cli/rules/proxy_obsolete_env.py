"""The API proxy has an environment variable that does nothing or does harm.
`NGINX_CONFIG_ENV_VAR_LIST` / `PROXY_CONFIG_ENV_VAR_LIST` were removed in 2021 (every
`${VAR}` in the config is substituted now): warning. `IOTEDGE_PARENTHOSTNAME` is set by
edgeAgent on child devices; a hand-set value breaks the `/parent` route: error. Fix:
delete the variable."""

from collections.abc import Iterator

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import ManifestContext

NAME = "proxy-obsolete-env"
SEVERITY = Severity.WARNING
SUMMARY = (
    "`NGINX_CONFIG_ENV_VAR_LIST` / `PROXY_CONFIG_ENV_VAR_LIST` (no effect since 2021); error "
    "for a hand-set `IOTEDGE_PARENTHOSTNAME`"
)
OBSOLETE = ("NGINX_CONFIG_ENV_VAR_LIST", "PROXY_CONFIG_ENV_VAR_LIST")


def check_manifest(context: ManifestContext) -> Iterator[Finding]:
    for entry in context.user_modules():
        if not entry.is_api_proxy:
            continue
        env = entry.env()
        for name in OBSOLETE:
            if name in env:
                yield Finding(
                    (*entry.path, "env", name),
                    f"{entry.name}: {name} has had no effect since 2021; remove it",
                    on_key=True,
                )
        if "IOTEDGE_PARENTHOSTNAME" in env:
            yield Finding(
                (*entry.path, "env", "IOTEDGE_PARENTHOSTNAME"),
                f"{entry.name}: IOTEDGE_PARENTHOSTNAME is set by edgeAgent; do not set it",
                Severity.ERROR,
                on_key=True,
            )
