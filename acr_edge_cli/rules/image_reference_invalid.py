"""An image is not a reference Docker can pull: `[host[:port]/]path[:tag][@digest]` in
Docker's reference grammar: repository parts in lowercase letters and digits with single
`.`, `_`, `__` or `-` separators, a tag of 1-128 word characters, a name of at most 255
characters. `myacr.azurecr.io/testModule:1.0` fails on the device with "invalid reference
format". Placeholders of a template (`${MODULES.x}`) are left alone. Fix: correct the
reference, e.g. `contoso.azurecr.io/acr/connected-registry:0.9.0`."""

from collections.abc import Iterator

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.images import reference_problem
from acr_edge_cli.placeholders import has_placeholder
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
        if has_placeholder(image):
            continue  # filled in when the template is built: unknown, not wrong
        problem = reference_problem(image)
        if problem is not None:
            yield Finding(
                (*entry.path, "settings", "image"),
                f"{entry.name}: {image!r} is not a valid image reference: {problem}",
            )
