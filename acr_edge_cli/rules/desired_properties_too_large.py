"""A twin's desired properties are over 32 KB, counted the way IoT Hub counts them (key
lengths, string values as UTF-8 bytes, 8 bytes per number, 4 per boolean). The hub refuses
the deployment. For `$edgeAgent` this is what limits the number and size of modules. Fix:
move modules to a layered deployment, or trim createOptions and environment variables."""

from collections.abc import Iterator
from typing import Any

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.rules.base import Finding, ManifestContext

NAME = "desired-properties-too-large"
SEVERITY = Severity.ERROR
SCOPES = ("manifest",)
SUMMARY = "a module twin's desired properties exceed 32 KB, counted the way IoT Hub counts"
LIMIT = 32 * 1024


def twin_size(value: Any) -> int:
    """Bytes IoT Hub charges for a twin section (module-twins doc, "Module twin size")."""
    if isinstance(value, bool):
        return 4
    if isinstance(value, (int, float)):
        return 8
    if isinstance(value, str):
        return len(value.encode("utf-8"))
    if isinstance(value, dict):
        return sum(len(k.encode("utf-8")) + twin_size(v) for k, v in value.items())
    if isinstance(value, list):
        return sum(twin_size(v) for v in value)
    return 0  # null


def check(context: ManifestContext) -> Iterator[Finding]:
    for twin, content in context.modules_content.items():
        if not isinstance(content, dict):
            continue
        desired = content.get("properties.desired")
        if desired is None:
            continue
        size = twin_size(desired)
        if size > LIMIT:
            yield Finding(
                ("modulesContent", twin, "properties.desired"),
                f"{twin} desired properties are {size:,} bytes; IoT Hub allows {LIMIT:,}",
            )
