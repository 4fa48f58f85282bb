"""The `$edgeAgent` or `$edgeHub` schemaVersion is not one the runtime accepts: edgeAgent
reads 1.0 and 1.1, edgeHub 1.0 to 1.3; anything else is refused on the device (edgeAgent
reports status 412). `az iot` silently skips its checks for such versions; acr-edge does
not. Fix: use "1.1" for both unless you need a later edgeHub feature."""

from collections.abc import Iterator

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.manifest_modules import AGENT, HUB
from acr_edge_cli.placeholders import has_placeholder
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import ManifestContext
from acr_edge_cli.schema_check import AGENT_SCHEMA_VERSIONS, HUB_SCHEMA_VERSIONS

NAME = "unknown-schema-version"
SEVERITY = Severity.ERROR
SUMMARY = (
    "schemaVersion is not one the runtime accepts (agent 1.0-1.1, hub 1.0-1.3); "
    "never silently skipped"
)


def check_manifest(context: ManifestContext) -> Iterator[Finding]:
    for twin, desired, known in (
        ("$edgeAgent", context.agent, AGENT_SCHEMA_VERSIONS),
        ("$edgeHub", context.hub, HUB_SCHEMA_VERSIONS),
    ):
        version = desired.get("schemaVersion")
        if isinstance(version, str) and version not in known and not has_placeholder(version):
            base = AGENT if twin == "$edgeAgent" else HUB
            yield Finding(
                (*base, "schemaVersion"),
                f"{twin} schemaVersion {version!r} is not one the runtime accepts "
                f"({', '.join(known)})",
            )
