"""A connected registry accepts at most 20 client tokens. Fix: share tokens between clients
with the same access, or split the clients across registries."""

from collections.abc import Iterator

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import HierarchyContext

NAME = "client-tokens-too-many"
SEVERITY = Severity.ERROR
SUMMARY = "more than 20 client tokens"
LIMIT = 20


def check_hierarchy(context: HierarchyContext) -> Iterator[Finding]:
    for plan in context.plan.devices:
        if plan.registry is not None and len(plan.registry.client_tokens) > LIMIT:
            yield Finding(
                (*plan.source, "connected_registry", "client_tokens"),
                f"{plan.registry.name!r} has {len(plan.registry.client_tokens)} client tokens; "
                f"the limit is {LIMIT}",
            )
