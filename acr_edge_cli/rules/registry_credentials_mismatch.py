"""An image from an Azure container registry has no registryCredentials entry whose address
is that image's registry host, exactly (edgeAgent compares host names without case, but
whole: `https://` or a path never match). The pull is anonymous and fails with
`unauthorized`. In a generated hierarchy the same holds for the parent's connected registry
behind `$upstream:<port>`. Fix: add credentials with `address` set to the host as written in
the image, e.g. `contoso.azurecr.io` or `$upstream:8000`."""

from collections.abc import Iterator

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.manifest_modules import AGENT
from acr_edge_cli.placeholders import has_placeholder
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import ManifestContext

NAME = "registry-credentials-mismatch"
SEVERITY = Severity.ERROR
SUMMARY = (
    "an image from an Azure container registry (or a connected registry reached through "
    "`$upstream` in a generated hierarchy) has no `registryCredentials` entry whose address "
    "matches its host exactly, or an address carries a scheme or path"
)


def _needs_credentials(host: str, generated: bool) -> bool:
    lowered = host.lower()
    return lowered.endswith(".azurecr.io") or (generated and lowered.startswith("$upstream"))


def check_manifest(context: ManifestContext) -> Iterator[Finding]:
    if context.partial:
        return  # the credentials may be in the base deployment
    credentials = context.registry_credentials()
    addresses = set()
    unknown = False
    for key, credential in credentials.items():
        address = credential.get("address") if isinstance(credential, dict) else None
        if not isinstance(address, str):
            continue  # registry-credentials-invalid reports it
        if has_placeholder(address):
            unknown = True  # a template's address: any host may be the one it names
            continue
        if "://" in address or "/" in address:
            yield Finding(
                (*AGENT, "runtime", "settings", "registryCredentials", key, "address"),
                f"registry credentials {key!r}: address {address!r} must be a host[:port] "
                "without scheme or path",
            )
        addresses.add(address.lower())
    generated = context.device is not None
    for entry in context.all_modules():
        reference = entry.reference
        if reference is None or reference.host is None or unknown or has_placeholder(entry.image):
            continue
        if (
            _needs_credentials(reference.host, generated)
            and reference.host.lower() not in addresses
        ):
            yield Finding(
                (*entry.path, "settings", "image"),
                f"{entry.name}: no registryCredentials entry has the address "
                f"{reference.host!r}, so the image is pulled without credentials",
            )
