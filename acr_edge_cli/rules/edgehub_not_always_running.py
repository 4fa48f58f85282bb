"""edgeHub is not `status: running` with `restartPolicy: always`. Without edgeHub no module
can send a message and no child device can connect; the runtime expects it to run always.
Fix: set both values on `systemModules.edgeHub`."""

from collections.abc import Iterator

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import ManifestContext

NAME = "edgehub-not-always-running"
SEVERITY = Severity.ERROR
SUMMARY = "edgeHub is not `status: running` with `restartPolicy: always`"
REQUIRED = {"status": "running", "restartPolicy": "always"}


def check_manifest(context: ManifestContext) -> Iterator[Finding]:
    if context.partial:
        return  # layered deployments may not set system modules
    hub = next((m for m in context.system_modules() if m.name == "edgeHub"), None)
    if hub is None:
        return  # the schema reports a missing edgeHub
    for key, expected in REQUIRED.items():
        value = hub.spec.get(key)
        if value is not None and value != expected:
            yield Finding((*hub.path, key), f"edgeHub {key} is {value!r}; it must be {expected!r}")
