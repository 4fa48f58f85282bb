"""A twin's desired properties are over 32 KB, counted the way IoT Hub counts them (key
lengths, string values as UTF-8 bytes, 8 bytes per number, 4 per boolean). The hub refuses
the deployment. For `$edgeAgent` this is what limits the number and size of modules. Fix:
move modules to a layered deployment, or trim createOptions and environment variables."""

from collections.abc import Iterator

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import TWIN_DESIRED_LIMIT, ManifestContext

NAME = "desired-properties-too-large"
SEVERITY = Severity.ERROR
SUMMARY = "a module twin's desired properties exceed 32 KB, counted the way IoT Hub counts"
LIMIT = TWIN_DESIRED_LIMIT


def check_manifest(context: ManifestContext) -> Iterator[Finding]:
    for twin, size in context.twin_sizes[0].items():
        yield Finding(
            ("modulesContent", twin, "properties.desired"),
            f"{twin} desired properties are {size:,} bytes; IoT Hub allows {LIMIT:,}",
        )
