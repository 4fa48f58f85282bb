"""An image has no tag, or the tag `latest`. The device keeps whatever it pulled first and a
new device may get another version: deployments stop being reproducible. Fix: pin a version
tag (e.g. `:1.5`) or a digest."""

from collections.abc import Iterator

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.placeholders import has_placeholder
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import ManifestContext

NAME = "image-tag-not-pinned"
SEVERITY = Severity.WARNING
SUMMARY = "an image has no tag or uses `latest`"


def check_manifest(context: ManifestContext) -> Iterator[Finding]:
    for entry in context.all_modules():
        reference = entry.reference
        if reference is None or reference.digest is not None or has_placeholder(entry.image):
            continue  # a placeholder's version is decided when the template is built
        if reference.tag is None or reference.tag == "latest":
            yield Finding(
                (*entry.path, "settings", "image"),
                f"{entry.name}: image {entry.image!r} is not pinned to a version",
            )
