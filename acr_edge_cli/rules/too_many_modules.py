"""More than 50 modules in one deployment, the IoT Edge limit. Fix: split the modules over
devices, or remove unused ones."""

from collections.abc import Iterator

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.manifest_modules import AGENT
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import ManifestContext

NAME = "too-many-modules"
SEVERITY = Severity.ERROR
SUMMARY = "more than 50 modules in one deployment"
LIMIT = 50


def check_manifest(context: ManifestContext) -> Iterator[Finding]:
    count = len(context.user_modules())
    if count > LIMIT:
        yield Finding((*AGENT, "modules"), f"{count} modules; a deployment holds at most {LIMIT}")
