"""A child connected registry syncs a repository that its parent registry does not. A child
syncs from its parent, so a repository the parent lacks never arrives (the Azure CLI adds a
child's repositories to every ancestor for this reason). Fix: add the repository to the
parent's `repositories`, or remove it from the child's."""

from collections.abc import Iterator

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import HierarchyContext

NAME = "repositories-not-subset"
SEVERITY = Severity.ERROR
SUMMARY = "a child registry syncs a repository its parent does not"


def check_hierarchy(context: HierarchyContext) -> Iterator[Finding]:
    for plan in context.plan.devices:
        ancestor = plan.nearest_registry_ancestor
        if plan.registry is None or ancestor is None or ancestor.registry is None:
            continue
        synced_above = set(ancestor.registry.repositories)
        for index, repository in enumerate(plan.registry.repositories):
            if repository not in synced_above:
                yield Finding(
                    (*plan.source, "connected_registry", "repositories", index),
                    f"{repository!r} is synced by {plan.registry.name!r} but not by its parent "
                    f"registry {ancestor.registry.name!r} on {ancestor.id!r}",
                )
