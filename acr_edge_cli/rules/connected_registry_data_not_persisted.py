"""The connected registry has no host folder bound to its data volume (`/var/acr/data`, or
`ACR_REGISTRY_DATA_VOLUME`). Every synced image lives in the container and is lost when the
module is recreated: the next start syncs everything again. Fix: bind a writable host
folder, e.g. `"Binds": ["/var/lib/connected-registry:/var/acr/data"]`."""

from collections.abc import Iterator

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.manifest_modules import create_options_path
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import ManifestContext

NAME = "connected-registry-data-not-persisted"
SEVERITY = Severity.WARNING
SUMMARY = "the connected registry has no host bind for its data volume (`/var/acr/data`)"
DEFAULT_DATA_VOLUME = "/var/acr/data"


def _targets(options: dict[str, object]) -> set[str]:
    host_config = options.get("HostConfig")
    if not isinstance(host_config, dict):
        return set()
    targets = set()
    binds, mounts = host_config.get("Binds"), host_config.get("Mounts")
    for bind in binds if isinstance(binds, list) else []:
        if isinstance(bind, str) and bind.count(":") >= 1:
            targets.add(bind.split(":")[1].rstrip("/"))
    for mount in mounts if isinstance(mounts, list) else []:
        if isinstance(mount, dict) and isinstance(mount.get("Target"), str):
            targets.add(mount["Target"].rstrip("/"))
    return targets


def check_manifest(context: ManifestContext) -> Iterator[Finding]:
    for entry in context.user_modules():
        if not entry.is_connected_registry:
            continue
        volume = entry.env().get("ACR_REGISTRY_DATA_VOLUME", DEFAULT_DATA_VOLUME)
        if str(volume).rstrip("/") not in _targets(entry.create_options):
            yield Finding(
                create_options_path(entry)
                if entry.settings.get("createOptions") is not None
                else (*entry.path, "settings"),
                f"{entry.name}: no host folder is bound to {volume}; synced images are lost "
                "when the container is recreated",
            )
