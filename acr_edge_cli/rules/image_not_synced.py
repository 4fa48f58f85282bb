"""A device below the top layer pulls an image whose repository the connected registry above
it does not sync. Lower devices pull through their parent's API proxy from the nearest
connected registry above them, which serves only what it syncs: the pull fails with
`manifest unknown` on the device. Fix: add the repository to that registry's
`repositories` (and to every registry above it)."""

from collections.abc import Iterator

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.images import parse_image
from acr_edge_cli.plan import pulled_images
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import HierarchyContext

NAME = "image-not-synced"
SEVERITY = Severity.ERROR
SUMMARY = (
    "a device below the top pulls an image whose repository its parent's connected registry "
    "does not sync"
)


def check_hierarchy(context: HierarchyContext) -> Iterator[Finding]:
    for plan in context.plan.devices:
        if plan.is_top:
            continue
        source = plan.nearest_registry_ancestor
        synced = set(source.registry.repositories) if source and source.registry else set()
        for path, image in pulled_images(plan):
            reference = parse_image(image)
            if reference is None or reference.host is not None:
                continue  # reported by image-reference-invalid / image-host-below-top
            if reference.repository in synced:
                continue
            if source is None or source.registry is None:
                yield Finding(
                    path,
                    f"{plan.id!r} pulls {image!r} through its parents, but no device above it "
                    "runs a connected registry",
                )
            else:
                yield Finding(
                    path,
                    f"{plan.id!r} pulls {image!r}, but {reference.repository!r} is not in the "
                    f"repositories of {source.registry.name!r} on {source.id!r}",
                )
