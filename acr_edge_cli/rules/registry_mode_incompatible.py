"""A ReadWrite connected registry sits under a ReadOnly one. Only ReadOnly registries can be
children of a ReadOnly registry (the Azure CLI refuses to create such a child), and the mode
cannot be changed later. Fix: make the child ReadOnly, or the parent ReadWrite."""

from collections.abc import Iterator

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import HierarchyContext

NAME = "registry-mode-incompatible"
SEVERITY = Severity.ERROR
SUMMARY = "a ReadWrite registry under a ReadOnly parent"
READ_ONLY = {"ReadOnly", "Mirror"}


def check_hierarchy(context: HierarchyContext) -> Iterator[Finding]:
    for plan in context.plan.devices:
        ancestor = plan.nearest_registry_ancestor
        if plan.registry is None or ancestor is None or ancestor.registry is None:
            continue
        if ancestor.registry.mode in READ_ONLY and plan.registry.mode not in READ_ONLY:
            yield Finding(
                (*plan.source, "connected_registry", "mode"),
                f"{plan.registry.name!r} is {plan.registry.mode} under the ReadOnly registry "
                f"{ancestor.registry.name!r} on {ancestor.id!r}",
            )
