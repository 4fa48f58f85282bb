"""`startupOrder` or `imagePullPolicy` is set while `$edgeAgent` declares schemaVersion 1.0.
Both arrived with schema 1.1; a 1.0 twin with them is refused. Fix: set the `$edgeAgent`
schemaVersion to "1.1" (recommended since IoT Edge 1.0.10)."""

from collections.abc import Iterator

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import ManifestContext

NAME = "startup-order-needs-schema-1-1"
SEVERITY = Severity.ERROR
SUMMARY = "`startupOrder` or `imagePullPolicy` with `$edgeAgent` schemaVersion 1.0"
KEYS = ("startupOrder", "imagePullPolicy")


def check_manifest(context: ManifestContext) -> Iterator[Finding]:
    if context.agent_schema_version != "1.0":
        return
    for entry in context.all_modules():
        for key in KEYS:
            if key in entry.spec:
                yield Finding(
                    (*entry.path, key),
                    f"{entry.name}: {key} needs $edgeAgent schemaVersion 1.1",
                    on_key=True,
                )
