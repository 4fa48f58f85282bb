"""A layered deployment's content is malformed. A layered deployment must include an
`$edgeAgent` object (possibly `{}`), must address `$edgeAgent` and `$edgeHub` only by dot
paths (`properties.desired.modules.<name>`, `properties.desired.routes.<name>`), never
their whole desired properties, and every dot path must name a part those twins have.
Fix: write e.g. `"properties.desired.modules.sensor": {...}` under `$edgeAgent`."""

from collections.abc import Iterator

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import ConfigurationContext

NAME = "layered-content-invalid"
SEVERITY = Severity.ERROR
SUMMARY = (
    "a layered deployment without `$edgeAgent`, with whole system-module desired properties, "
    "or with a dot path that does not exist"
)
KNOWN_ROOTS = {
    "$edgeAgent": {"modules", "runtime", "systemModules", "schemaVersion"},
    "$edgeHub": {"routes", "storeAndForwardConfiguration", "schemaVersion", "mqttBroker"},
}
BASE = ("content", "modulesContent")


def check_configuration(context: ConfigurationContext) -> Iterator[Finding]:
    if not context.is_layered:
        return
    modules_content = context.modules_content
    if "$edgeAgent" not in modules_content:
        yield Finding(BASE, "a layered deployment must include $edgeAgent (it may be {})")
    for twin, roots in KNOWN_ROOTS.items():
        content = modules_content.get(twin)
        if not isinstance(content, dict):
            continue
        for key in content:
            path = (*BASE, twin, key)
            if key == "properties.desired":
                yield Finding(
                    path,
                    f"{twin}: a layered deployment may not set the whole desired properties; "
                    "use dot paths such as properties.desired.modules.<name>",
                    on_key=True,
                )
                continue
            parts = key.split(".")
            if parts[:2] == ["properties", "desired"] and len(parts) > 2 and parts[2] not in roots:
                yield Finding(
                    path,
                    f"{twin}: {key!r} does not exist; {twin} has "
                    f"{', '.join(sorted(roots))} under properties.desired",
                    on_key=True,
                )
