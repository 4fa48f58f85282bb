"""A lower-layer manifest pulls some images from a host it cannot reach. Its runtime images
come through `$upstream:<port>` (the parent's API proxy), which says this device sits below
the top and reaches no registry but its parent; a module image from `mcr.microsoft.com` or
`*.azurecr.io` then fails to pull on the device. Fix: pull it through the parent too,
`$upstream:<port>/<repository>:<tag>`, and sync that repository on the parent's connected
registry."""

from collections.abc import Iterator

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.placeholders import has_placeholder
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import ManifestContext

NAME = "image-bypasses-parent"
SEVERITY = Severity.WARNING
SUMMARY = (
    "the runtime images come through `$upstream` but a module image is pulled from another "
    "host (lower layers cannot reach it)"
)


def _through_parent(image: str) -> bool:
    return image.startswith("$upstream")


def check_manifest(context: ManifestContext) -> Iterator[Finding]:
    if context.partial or context.device is not None:
        # a layered deployment's runtime images are in its base; a generated manifest's
        # images were judged on the hierarchy (image-host-below-top)
        return
    system = [m for m in context.system_modules() if m.image]
    if not system or not all(_through_parent(m.image or "") for m in system):
        return
    for entry in context.user_modules():
        image = entry.image
        if image is None or _through_parent(image) or has_placeholder(image):
            continue
        host = entry.reference.host if entry.reference else None
        yield Finding(
            (*entry.path, "settings", "image"),
            f"{entry.name}: {image!r} is pulled from {host or 'Docker Hub'}, but this device "
            "pulls its runtime through $upstream and reaches no other registry",
        )
