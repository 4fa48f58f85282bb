"""An image is not a reference edgeAgent can pull: `[host[:port]/]path[:tag][@digest]`, with
no empty path part, no space and at most one tag. Fix: correct the reference, e.g.
`contoso.azurecr.io/acr/connected-registry:0.9.0`."""

from collections.abc import Iterator

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import ManifestContext

NAME = "image-reference-invalid"
SEVERITY = Severity.ERROR
SUMMARY = "an image does not parse as `[host[:port]/]path[:tag][@digest]`"


def check_manifest(context: ManifestContext) -> Iterator[Finding]:
    for entry in context.all_modules():
        image = entry.image
        if image is None:
            continue  # the schema reports a missing or non-string image
        if image.startswith("$upstream") and not image.startswith("$upstream:"):
            continue  # upstream-missing-port says what is wrong
        if entry.reference is None:
            yield Finding(
                (*entry.path, "settings", "image"),
                f"{entry.name}: {image!r} is not an image reference "
                "([host[:port]/]path[:tag][@digest])",
            )
