"""An edgeHub route names a module that is not in this deployment, as its source
(`FROM /messages/modules/<name>/...`) or its sink
(`BrokeredEndpoint("/modules/<name>/inputs/...")`).
Messages from or to it go nowhere, silently. Module names are case-sensitive. In a
hand-written manifest this is a warning: a base deployment may rely on a layered deployment
to add the module. Fix: correct the name in the route, or add the module."""

import re
from collections.abc import Iterator

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.manifest_modules import HUB
from acr_edge_cli.placeholders import has_placeholder
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import ManifestContext

NAME = "route-unknown-module"
SEVERITY = Severity.ERROR
SUMMARY = (
    "an edgeHub route names a module (source or `BrokeredEndpoint`) that is not in the deployment"
)
SOURCE = re.compile(r"FROM\s+/messages/modules/([^/\s]+)", re.IGNORECASE)
SINK = re.compile(r"BrokeredEndpoint\s*\(\s*[\"']/modules/([^/\"']+)/", re.IGNORECASE)


def check_manifest(context: ManifestContext) -> Iterator[Finding]:
    routes = context.hub.get("routes")
    if not isinstance(routes, dict) or context.partial:
        return  # a layered deployment's modules may be in the base deployment
    known = {entry.name for entry in context.user_modules()}
    # Only a generated manifest is known to be the whole deployment.
    severity = None if context.device is not None else Severity.WARNING
    for name, route in routes.items():
        text = route.get("route") if isinstance(route, dict) else route
        if not isinstance(text, str):
            continue
        path = (
            (*HUB, "routes", name, "route") if isinstance(route, dict) else (*HUB, "routes", name)
        )
        for pattern, role in ((SOURCE, "source"), (SINK, "sink")):
            for match in pattern.finditer(text):
                module = match.group(1)
                if module != "*" and module not in known and not has_placeholder(module):
                    yield Finding(
                        path,
                        f"route {name!r}: {role} module {module!r} is not in this deployment",
                        severity,
                    )
