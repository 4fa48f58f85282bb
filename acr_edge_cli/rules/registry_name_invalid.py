"""A connected registry name must start with a letter and hold 5 to 40 letters and digits
(the intersection of what the REST API, the Azure CLI and the docs accept; `-` and `_` are
refused by the service). Fix: rename the registry, e.g. `factorytop` instead of
`factory-top`."""

import re
from collections.abc import Iterator

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import HierarchyContext

NAME = "registry-name-invalid"
SEVERITY = Severity.ERROR
SUMMARY = "a connected registry name breaks `^[a-zA-Z][a-zA-Z0-9]{4,39}$`"
PATTERN = re.compile(r"[a-zA-Z][a-zA-Z0-9]{4,39}")


def check_hierarchy(context: HierarchyContext) -> Iterator[Finding]:
    for plan in context.plan.devices:
        if plan.registry is not None and not PATTERN.fullmatch(plan.registry.name):
            yield Finding(
                (*plan.source, "connected_registry", "name"),
                f"connected registry name {plan.registry.name!r} must start with a letter and "
                "have 5 to 40 letters and digits",
            )
