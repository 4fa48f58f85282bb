"""An edgeHub route does not parse in edgeHub's route grammar: `FROM <source> [WHERE
<condition>] INTO <sink>`, the source a path such as `/messages/*` or
`/messages/modules/<module>/outputs/<output>`, the sink `$upstream` or
`BrokeredEndpoint("/modules/<module>/inputs/<input>")`. edgeHub refuses the whole
configuration on one bad route, so no route of the device works until it is fixed. A
template's `${...}` and `%NAME%` tokens are read as names. Fix: rewrite the route in that
form, e.g. `FROM /messages/modules/sensor/outputs/* INTO $upstream`."""

from collections.abc import Iterator

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.manifest_modules import HUB
from acr_edge_cli.placeholders import neutral_braced
from acr_edge_cli.routes import route_error
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import ManifestContext

NAME = "route-syntax-invalid"
SEVERITY = Severity.ERROR
SUMMARY = (
    "an edgeHub route does not parse in edgeHub's route grammar "
    "(`FROM <source> [WHERE <condition>] INTO <sink>`); edgeHub rejects the whole configuration"
)


def check_manifest(context: ManifestContext) -> Iterator[Finding]:
    routes = context.hub.get("routes")
    if not isinstance(routes, dict):
        return
    for name, route in routes.items():
        text = route.get("route") if isinstance(route, dict) else route
        if not isinstance(text, str):
            continue  # the schema reports a route that is not text
        error = route_error(neutral_braced(text))
        if error is None:
            continue
        path = (
            (*HUB, "routes", name, "route") if isinstance(route, dict) else (*HUB, "routes", name)
        )
        yield Finding(
            path,
            f"route {name!r}: {error.message} (character {error.offset + 1}); edgeHub would "
            "refuse the whole configuration",
        )
