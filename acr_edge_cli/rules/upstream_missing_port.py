"""`$upstream` is used without `:<port>`. edgeAgent replaces `$upstream` with the parent's
hostname only when a port follows (`$upstream:8000/...`); otherwise the image is "not in the
right format" and the module never starts. Fix: write `$upstream:<parent API proxy
port>`, the same port in images and in the registryCredentials address."""

import re
from collections.abc import Iterator

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.manifest_modules import AGENT
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import ManifestContext

NAME = "upstream-missing-port"
SEVERITY = Severity.ERROR
SUMMARY = "`$upstream` without `:<port>` in an image or a registry credentials address"
IMAGE_WITH_PORT = re.compile(r"\$upstream:[1-9][0-9]*/")
ADDRESS_WITH_PORT = re.compile(r"\$upstream:[1-9][0-9]*")


def check_manifest(context: ManifestContext) -> Iterator[Finding]:
    for entry in context.all_modules():
        image = entry.image
        if image is not None and image.startswith("$upstream") and not IMAGE_WITH_PORT.match(image):
            yield Finding(
                (*entry.path, "settings", "image"),
                f"{entry.name}: image {image!r} needs a port after $upstream "
                "(e.g. $upstream:8000/...)",
            )
    for key, credential in context.registry_credentials().items():
        address = credential.get("address") if isinstance(credential, dict) else None
        if (
            isinstance(address, str)
            and address.startswith("$upstream")
            and not ADDRESS_WITH_PORT.fullmatch(address)
        ):
            yield Finding(
                (*AGENT, "runtime", "settings", "registryCredentials", key, "address"),
                f"registry credentials {key!r}: address {address!r} needs a port "
                "(e.g. $upstream:8000)",
            )
