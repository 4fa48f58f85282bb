"""The API proxy's `proxy_config` desired property is not usable. It must be the base64 of
an nginx template and, as any twin value, at most 4096 bytes (the default template alone is
7232 bytes in base64). `#if_tag !${VAR}` blocks are never removed by the proxy's template
engine of the `:1.1` image, so both branches end up in the config (a warning: the `:1.0`
image's engine removed them when the variable was set, so a config written for it is
right there, and is not reported). Fix: shrink the config or bind-mount it to
`/app/nginx_default_config.conf`; for negation write
`#if_tag boolean_expression[!(${VAR})]`. The proxy's template engine also refuses the
whole configuration when a variable the template uses holds `$`, `{` or `}` (for example an
`NGINX_DEFAULT_CIPHERS` copied with a shell variable in it): write the literal value."""

import base64
import binascii
from collections.abc import Iterator

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.images import version_of
from acr_edge_cli.manifest_modules import env_path
from acr_edge_cli.placeholders import has_placeholder
from acr_edge_cli.proxyconfig import RefusedValue, proxy_settings, substitute, template_of
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import ManifestContext

NAME = "proxy-config-invalid"
SEVERITY = Severity.ERROR
SUMMARY = (
    "`proxy_config` is not base64, decodes to over 4096 bytes as a twin value, or uses "
    "`#if_tag !${…}` (never removed by the :1.1 proxy; a warning); a variable the "
    "template uses holds `$`, `{` or `}`"
)
LIMIT = 4096


def check_manifest(context: ManifestContext) -> Iterator[Finding]:
    yield from _refused_values(context)
    for entry in context.user_modules():
        if not entry.is_api_proxy:
            continue
        twin = context.modules_content.get(entry.name)
        desired = twin.get("properties.desired") if isinstance(twin, dict) else None
        if not isinstance(desired, dict) or "proxy_config" not in desired:
            continue
        path = ("modulesContent", entry.name, "properties.desired", "proxy_config")
        value = desired["proxy_config"]
        if not isinstance(value, str):
            yield Finding(path, f"{entry.name}: proxy_config must be a base64 string")
            continue
        if len(value.encode("utf-8")) > LIMIT:
            yield Finding(
                path,
                f"{entry.name}: proxy_config is {len(value.encode('utf-8'))} bytes; a twin "
                f"value holds at most {LIMIT}",
            )
        try:
            text = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            yield Finding(path, f"{entry.name}: proxy_config is not base64 of UTF-8 text")
            continue
        version = version_of(entry.reference)
        if "#if_tag !${" in text and (version is None or version[:2] != (1, 0)):
            which = f"{entry.image}" if version else "the :1.1 image"
            yield Finding(
                path,
                f"{entry.name}: proxy_config uses '#if_tag !${{...}}', which {which} never "
                "removes (only the 1.0 image did); write '#if_tag boolean_expression[!(${VAR})]'",
                Severity.WARNING,
            )


def _refused_values(context: ManifestContext) -> Iterator[Finding]:
    settings = proxy_settings(context.content)
    if settings is None:
        return
    proxy = next(m for m in context.user_modules() if m.name == settings.module_name)
    # a placeholder (`${VAR}`, `$VAR`) is filled in by a tool or pipeline before the proxy
    # sees it: unknown, not wrong
    env = {name: value for name, value in settings.env.items() if not has_placeholder(value)}
    try:
        substitute(template_of(settings), env)
    except RefusedValue as refused:
        yield Finding(env_path(proxy, refused.variable), f"{proxy.name}: {refused}")
