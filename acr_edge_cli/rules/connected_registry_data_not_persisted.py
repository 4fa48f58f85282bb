"""The connected registry has no host folder bound to its data volume (`/var/acr/data`, or
`ACR_REGISTRY_DATA_VOLUME`). Every synced image lives in the container and is lost when the
module is recreated: the next start syncs everything again. Fix: bind a writable host
folder, e.g. `"Binds": ["/var/lib/connected-registry:/var/acr/data"]`."""

from collections.abc import Iterator

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.manifest_modules import bind_targets, create_options_path
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import ManifestContext

NAME = "connected-registry-data-not-persisted"
SEVERITY = Severity.WARNING
SUMMARY = "the connected registry has no host bind for its data volume (`/var/acr/data`)"
DEFAULT_DATA_VOLUME = "/var/acr/data"


def check_manifest(context: ManifestContext) -> Iterator[Finding]:
    for entry in context.user_modules():
        if not entry.is_connected_registry:
            continue
        volume = entry.env().get("ACR_REGISTRY_DATA_VOLUME", DEFAULT_DATA_VOLUME)
        options = entry.create_options
        if options is None:
            continue  # unreadable: create-options-invalid says so, this rule cannot tell
        if str(volume).rstrip("/") not in bind_targets(options):
            yield Finding(
                create_options_path(entry)
                if entry.settings.get("createOptions") is not None
                else (*entry.path, "settings"),
                f"{entry.name}: no host folder is bound to {volume}; synced images are lost "
                "when the container is recreated",
            )
