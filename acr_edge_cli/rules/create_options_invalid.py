"""A module's `createOptions` (its chunks joined in order) is not a string holding a JSON
object. edgeAgent cannot create the container and the module never starts. An empty string
is accepted, as the runtime accepts it. Fix: write the Docker create options as one JSON
object, e.g. `{"HostConfig":{"Binds":["/data:/var/acr/data"]}}`, then stringify it."""

from collections.abc import Iterator

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.manifest_modules import create_options_path
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import ManifestContext

NAME = "create-options-invalid"
SEVERITY = Severity.ERROR
SUMMARY = (
    "`createOptions` (with its chunks joined) is not a string holding a JSON object "
    "(an empty string is accepted, as the runtime accepts it)"
)


def check_manifest(context: ManifestContext) -> Iterator[Finding]:
    for entry in context.all_modules():
        if not entry.create_options_keys:
            continue
        if entry.create_options_text is None:  # a chunk is not text
            bad = next(
                k for k in entry.create_options_keys if not isinstance(entry.settings[k], str)
            )
            yield Finding(
                (*entry.path, "settings", bad),
                f"{entry.name}: {bad} must be a string of JSON (stringified), not "
                f"{type(entry.settings[bad]).__name__}",
            )
            continue
        value, problem = entry.create_options_parsed
        if problem is not None:
            yield Finding(
                create_options_path(entry),
                f"{entry.name}: createOptions is not valid JSON ({problem})",
            )
        elif not isinstance(value, dict):
            yield Finding(
                create_options_path(entry),
                f"{entry.name}: createOptions must hold a JSON object, not {type(value).__name__}",
            )
